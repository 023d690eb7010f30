"""Dask collections as the algorithms read them: frames as aligned arrays, lengths, row blocks."""

from __future__ import annotations

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from dasklearn._chunks import (
    frames_to_arrays,
    n_rows,
    resolve_chunks,
    row_blocks,
    rows_only,
    with_row_chunks,
)
from dasklearn.linear_model import LogisticRegression


@pytest.fixture
def parquet(tmp_path):
    """20 columns of parquet in 8 partitions: a projection of one column alone makes dask merge
    its partitions (the read is cheaper per row), the classic X = df[features], y = df[target]."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(4000, 20)), columns=[f"c{i}" for i in range(20)])
    frame["target"] = (frame["c0"] + rng.logistic(size=4000) > 0).astype(int)
    dd.from_pandas(frame, npartitions=8).to_parquet(str(tmp_path / "p"), write_index=False)
    return frame, str(tmp_path / "p")


def test_frames_from_one_parquet_keep_one_partitioning(parquet):
    frame, path = parquet
    source = dd.read_parquet(path)
    features = [f"c{i}" for i in range(1, 20)]
    X, y = source[features], source["target"]
    alone = y.to_dask_array()
    Xa, ya = frames_to_arrays(X, y)
    assert Xa.numblocks[0] == ya.numblocks[0]
    assert alone.numblocks[0] != Xa.numblocks[0]  # what converting y alone would have given
    Xc, yc = dask.compute(Xa, ya)
    np.testing.assert_array_equal(Xc, frame[features].to_numpy())
    np.testing.assert_array_equal(yc, frame["target"].to_numpy())


def test_a_fit_on_parquet_columns(parquet):
    frame, path = parquet
    source = dd.read_parquet(path)
    features = [f"c{i}" for i in range(1, 20)]
    model = LogisticRegression().fit(source[features], source["target"])
    reference = LogisticRegression().fit(frame[features], frame["target"])
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-8, atol=1e-10)
    pred = model.predict(source[features])
    assert isinstance(pred, dd.Series) and pred.npartitions == source.npartitions


def test_partitions_that_do_not_line_up_raise_when_read():
    a = dd.from_pandas(pd.DataFrame({"x": np.arange(10.0)}), npartitions=2)
    b = dd.from_pandas(pd.Series(np.arange(10.0), name="y"), npartitions=2)
    b = b[b > 2]  # same number of partitions, fewer rows in one
    Xa, ya = frames_to_arrays(a, b)
    with pytest.raises(ValueError, match="do not line up"):
        dask.compute(Xa, ya)
    with pytest.raises(ValueError, match="different numbers of partitions"):
        frames_to_arrays(a, dd.from_pandas(pd.Series(np.arange(10.0)), npartitions=3))


def test_mixed_and_nullable_columns():
    frame = pd.DataFrame(
        {"i": pd.array([1, None, 3], dtype="Int64"), "f": [0.5, 1.5, 2.5], "b": [True, False, True]}
    )
    (X,) = frames_to_arrays(dd.from_pandas(frame, npartitions=1))
    out = X.compute()
    assert out.dtype == np.float64 and np.isnan(out[1, 0])


def test_resolve_chunks_finds_lengths_and_nan_in_one_compute():
    x = da.from_array(np.arange(20.0).reshape(10, 2), chunks=(4, 2))
    filtered = x[x[:, 0] > 5]
    (out,) = resolve_chunks([filtered], [(True, False)], ["X"])
    assert out.chunks[0] == (1, 4, 2)
    bad = da.from_array(np.array([[1.0], [np.nan]]), chunks=1)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        resolve_chunks([bad], [(True, False)], ["X"])


def test_small_helpers():
    x = da.ones((10, 6), chunks=(5, 2))
    assert rows_only(x).chunks == ((5, 5), (6,))
    assert len(row_blocks(x)) == 2
    assert with_row_chunks(x[x[:, 0] > 0], (5, 5)).chunks[0] == (5, 5)
    assert n_rows(x) == 10 and n_rows(x[x[:, 0] > 0]) is None
    assert n_rows(dd.from_pandas(pd.DataFrame({"a": range(7)}), npartitions=2)) == 7


def _draw_rows(part: pd.DataFrame) -> pd.Series:
    return pd.Series(np.arange(len(part)) % 5 != 0, index=part.index)


def test_a_frame_whose_length_dask_cannot_plan_is_learned_from_its_blocks(parquet):
    """``df[mask][features]`` with the mask computed from ``df``: dask pushes ``len`` into the
    filter, reads the parquet with no columns in fewer partitions than the mask, and fails.
    ``n_rows`` then says unknown, and a fit learns the lengths from the blocks."""
    frame, path = parquet
    source = dd.read_parquet(path)
    kept = source[source.map_partitions(_draw_rows, meta=pd.Series([], dtype=bool))]
    features = [f"c{i}" for i in range(20)]
    with dask.config.set(scheduler="threads"):
        assert n_rows(source) == len(frame)
        assert n_rows(kept[features]) is None
        model = LogisticRegression().fit(kept[features], kept["target"])
    rows = np.concatenate([np.arange(500) % 5 != 0] * 8)
    expected = LogisticRegression().fit(frame[features][rows], frame["target"][rows])
    np.testing.assert_allclose(model.coef_, expected.coef_, rtol=1e-6, atol=1e-9)
