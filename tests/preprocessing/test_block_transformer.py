"""BlockTransformer: a function over every block, in the container of the input."""

from __future__ import annotations

import pickle
import sys

import cloudpickle
import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from dasklearn.preprocessing import BlockTransformer

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/


def _data(n=100, d=3):
    return np.abs(np.random.default_rng(0).standard_normal((n, d)))


def _values(out):
    return np.asarray(out.compute() if dask.is_dask_collection(out) else out)


def _scale(block, factor=1.0):
    return block * factor


def test_every_input_kind(input_kind, as_kind, scheduler):
    X = _data()
    Xk = as_kind(input_kind, X, chunks=30)
    trn = BlockTransformer(_scale, factor=3.0)
    out = trn.fit_transform(Xk)
    expected = {
        "numpy": np.ndarray,
        "pandas": pd.DataFrame,
        "dask_array": da.Array,
        "dask_dataframe": dd.DataFrame,
    }[input_kind]
    assert isinstance(out, expected)
    np.testing.assert_allclose(_values(out), X * 3.0)
    if input_kind == "dask_array":
        assert out.chunks == Xk.chunks
    if input_kind == "dask_dataframe":
        assert list(out.columns) == list(Xk.columns)
        assert out.npartitions == Xk.npartitions


def test_width_and_type_may_change():
    X = _data()
    row_sums = BlockTransformer(np.sum, axis=1).transform(da.from_array(X, chunks=30))
    assert row_sums.shape == (100,)
    np.testing.assert_allclose(row_sums.compute(), X.sum(1))
    frame = dd.from_pandas(pd.DataFrame(X, columns=list("abc")), npartitions=3)
    hashed = BlockTransformer(pd.util.hash_pandas_object, index=False).transform(frame)
    assert isinstance(hashed, dd.Series) and hashed.dtype == np.uint64
    expected = pd.util.hash_pandas_object(frame.compute(), index=False)
    np.testing.assert_array_equal(hashed.compute().to_numpy(), expected.to_numpy())


def test_kw_args_are_parameters():
    trn = BlockTransformer(_scale, factor=2.0)
    assert trn.get_params() == {"func": _scale, "validate": False, "factor": 2.0}
    copy = clone(trn)
    assert copy.kw_args == {"factor": 2.0}
    copy.set_params(factor=5.0, validate=True)
    assert copy.kw_args == {"factor": 5.0} and copy.validate
    np.testing.assert_allclose(copy.transform(_data()), _data() * 5.0)
    assert "factor=2.0" in repr(trn)
    again = pickle.loads(pickle.dumps(trn))
    np.testing.assert_allclose(again.transform(_data()), _data() * 2.0)


def test_validate():
    X = _data()
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        BlockTransformer(_scale, validate=True).transform(bad)
    np.testing.assert_array_equal(np.isnan(BlockTransformer(_scale).transform(bad)).sum(), 1)
    with pytest.raises(ValueError, match="2-dimensional"):
        BlockTransformer(_scale, validate=True).transform(X[:, 0])
    frame = dd.from_pandas(pd.DataFrame(X, columns=list("abc")), npartitions=2)
    trn = BlockTransformer(_scale, validate=True).fit(frame)
    assert trn.n_features_in_ == 3
    with pytest.raises(ValueError, match="feature names"):
        trn.transform(frame.rename(columns={"a": "z"}))
