"""SimpleImputer against scikit-learn on every input kind and scheduler; its passes; bad input."""

from __future__ import annotations

import pickle
import warnings

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from dask.callbacks import Callback
from sklearn.impute import SimpleImputer as SkImputer

from dasklearn.exceptions import InvalidParameterError
from dasklearn.impute import SimpleImputer
from dasklearn.impute import _kernels as K

N, P, CHUNK = 230, 4, 50  # 5 row blocks, the last one short


@pytest.fixture(scope="module")
def X_missing():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, P))
    X[:, 2] = np.round(X[:, 2])  # ties for the median and the mode
    X[rng.random(X.shape) < 0.2] = np.nan
    X[:, 3] = np.nan  # a feature without any value
    return X


def _values(out):
    if dask.is_dask_collection(out):
        out = out.compute()
    return out.to_numpy() if isinstance(out, pd.DataFrame) else np.asarray(out)


def _boom(part):
    raise AssertionError("the data was read")


def _unreadable(ddf):
    """A dask DataFrame like ``ddf`` whose partitions fail when computed."""
    return ddf.map_partitions(_boom, meta=ddf._meta)


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent", "constant"])
def test_strategies_match_sklearn(X_missing, input_kind, as_kind, scheduler, strategy):
    Xk = as_kind(input_kind, X_missing, chunks=CHUNK)
    ours = SimpleImputer(strategy=strategy, add_indicator=True)
    reference = SkImputer(strategy=strategy, add_indicator=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Skipping features without any observed values"
        expected = reference.fit_transform(X_missing)
        out = ours.fit(Xk).transform(Xk)
    stats = ours.statistics_.astype(float)
    np.testing.assert_allclose(stats, reference.statistics_.astype(float), rtol=1e-13)
    np.testing.assert_allclose(_values(out).astype(float), expected, rtol=1e-13)
    np.testing.assert_array_equal(ours.indicator_.features_, reference.indicator_.features_)
    assert ours.n_passes_ == 1
    if input_kind == "dask_array":
        assert isinstance(out, da.Array) and out.chunks[0] == Xk.chunks[0]
    elif input_kind == "dask_dataframe":
        assert isinstance(out, dd.DataFrame)
        assert out.divisions == Xk.divisions
        assert list(out.columns) == list(ours.get_feature_names_out())
    else:
        assert isinstance(out, np.ndarray) and out.dtype == expected.dtype
    if input_kind in ("numpy", "dask_array"):
        assert list(ours.get_feature_names_out()) == list(reference.get_feature_names_out())


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent", "constant"])
def test_keep_empty_features(X_missing, strategy):
    Xd = da.from_array(X_missing, chunks=CHUNK)
    ours = SimpleImputer(strategy=strategy, keep_empty_features=True).fit(Xd)
    reference = SkImputer(strategy=strategy, keep_empty_features=True).fit(X_missing)
    stats = ours.statistics_.astype(float)
    np.testing.assert_allclose(stats, reference.statistics_.astype(float), rtol=1e-13)
    np.testing.assert_allclose(ours.transform(Xd).compute(), reference.transform(X_missing))
    assert ours.n_passes_ == (0 if strategy == "constant" else 1)


def test_median_is_exact_in_two_passes(monkeypatch, scheduler):
    """Blocks larger than the grid: the second pass picks the exact median (ties, even n)."""
    monkeypatch.setattr(K, "GRID_POINTS", 8)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(997, 3))
    X[:, 1] = rng.integers(0, 4, size=len(X))  # heavy ties around the median
    X[:, 2] = np.where(rng.random(len(X)) < 0.5, 0.0, X[:, 2])
    X[rng.random(X.shape) < 0.3] = np.nan
    for chunks in (61, 997):
        ours = SimpleImputer(strategy="median").fit(da.from_array(X, chunks=chunks))
        np.testing.assert_array_equal(
            ours.statistics_, SkImputer(strategy="median").fit(X).statistics_
        )
        assert ours.n_passes_ == 2


def test_median_bracket_holds_the_median():
    rng = np.random.default_rng(2)
    for _ in range(50):
        blocks = [
            np.sort(rng.integers(0, 6, size=rng.integers(0, 40)).astype(float)) for _ in range(4)
        ]
        grids = []
        for v in blocks:
            pos = np.unique(np.linspace(0, max(len(v) - 1, 0), 4).round().astype(np.int64))
            pos = pos[: len(v)]
            grids.append((len(v), pos, v[pos]))
        found = K.median_bracket(grids)
        values = np.concatenate(blocks)
        if not len(values):
            assert np.isnan(found[1])
            continue
        median = np.median(values)
        if found[0] == "exact":
            assert found[1] == median
        else:
            assert found[1] <= median <= found[2]


def test_mixed_dataframe_keeps_columns_and_dtypes(scheduler):
    df = pd.DataFrame(
        {
            "x": [1.0, np.nan, 3.0, 3.0, np.nan, 5.0],
            "s": ["a", None, "b", "a", "b", "b"],
            "c": pd.Categorical(["u", None, "v", "v", "u", None]),
            "i": [1, 2, 2, 3, 3, 1],
        }
    )
    ddf = dd.from_pandas(df, npartitions=3)
    for strategy in ("most_frequent", "constant"):
        reference = SkImputer(strategy=strategy).fit(df)
        ours = SimpleImputer(strategy=strategy).fit(ddf)
        np.testing.assert_array_equal(ours.statistics_, reference.statistics_)
        out = ours.transform(ddf)
        assert list(out.columns) == list(df.columns)
        assert out.dtypes["s"] == ddf.dtypes["s"]
        assert isinstance(out.dtypes["c"], pd.CategoricalDtype)
        assert (out.compute().to_numpy(dtype=object) == reference.transform(df)).all()
        eager = ours.transform(df)  # pandas in: NumPy out, as scikit-learn
        assert eager.dtype == object and (eager == reference.transform(df)).all()
    out = SimpleImputer(strategy="most_frequent").fit(ddf).transform(ddf)
    assert out.dtypes["x"] == np.float64 and out.dtypes["i"] == np.int64
    assert out.dtypes["c"] == df.dtypes["c"]  # the fill value is a category already
    framed = SimpleImputer(strategy="most_frequent").set_output(transform="pandas").fit(df)
    pd.testing.assert_frame_equal(framed.transform(df), out.compute(), check_dtype=False)
    assert (
        framed.transform(df).dtypes.astype(str) == ["float64", "str", "category", "int64"]
    ).all()


def test_constant_adds_the_category_and_keeps_strings():
    df = pd.DataFrame({"c": pd.Categorical(["u", None, "v"]), "s": ["a", None, "b"]})
    out = SimpleImputer(strategy="constant", fill_value="zz").fit(df)
    framed = out.set_output(transform="pandas").transform(df)
    assert list(framed["c"].cat.categories) == ["u", "v", "zz"]
    assert framed["s"].dtype == df["s"].dtype
    assert framed.iloc[1].tolist() == ["zz", "zz"]


@pytest.mark.parametrize("missing_values", [np.nan, pd.NA])
def test_nullable_columns_and_pandas_na(missing_values, scheduler):
    df = pd.DataFrame(
        {"n": pd.array([1, None, 2, 2, None, 7], dtype="Int64"), "f": [1.5, np.nan, 2, 2, 8, 1]}
    )
    ddf = dd.from_pandas(df, npartitions=2)
    for strategy in ("mean", "median", "most_frequent"):
        reference = SkImputer(strategy=strategy, missing_values=missing_values).fit(df)
        ours = SimpleImputer(strategy=strategy, missing_values=missing_values).fit(ddf)
        np.testing.assert_allclose(ours.statistics_, reference.statistics_)
        out = _values(ours.transform(ddf)).astype(float)
        np.testing.assert_allclose(out, reference.transform(df))
    out = SimpleImputer(strategy="most_frequent", missing_values=missing_values).fit(ddf)
    assert out.transform(ddf).dtypes["n"] == "Int64"


def test_value_markers_match_sklearn(scheduler):
    A = np.array([[1, -1], [2, 3], [-1, 3], [2, 5], [7, -1]])
    for strategy in ("mean", "median", "most_frequent", "constant"):
        reference = SkImputer(strategy=strategy, missing_values=-1).fit(A)
        ours = SimpleImputer(strategy=strategy, missing_values=-1).fit(da.from_array(A, chunks=2))
        out = ours.transform(da.from_array(A, chunks=2))
        expected = reference.transform(A)
        assert out.dtype == expected.dtype
        np.testing.assert_array_equal(out.compute(), expected)
    S = pd.DataFrame({"b": ["x", "?", "y", "x"], "c": ["?", "?", "q", "r"]}, dtype=object)
    reference = SkImputer(strategy="most_frequent", missing_values="?").fit(S)
    ours = SimpleImputer(strategy="most_frequent", missing_values="?")
    ours.fit(dd.from_pandas(S, npartitions=2))
    np.testing.assert_array_equal(ours.statistics_, reference.statistics_)
    np.testing.assert_array_equal(ours.transform(S), reference.transform(S))


def test_object_arrays_follow_sklearn_nan_rules():
    obj = np.array([["a", None], ["b", "c"], ["a", "c"], [np.nan, "d"]], dtype=object)
    reference = SkImputer(strategy="most_frequent").fit(obj)  # NaN marks NaN, not None
    ours = SimpleImputer(strategy="most_frequent").fit(da.from_array(obj, chunks=2))
    np.testing.assert_array_equal(ours.statistics_, reference.statistics_)
    assert ours.transform(obj).tolist() == reference.transform(obj).tolist()
    ours = SimpleImputer(strategy="most_frequent", missing_values=None).fit(obj[:3])
    np.testing.assert_array_equal(
        ours.statistics_,
        SkImputer(strategy="most_frequent", missing_values=None).fit(obj[:3]).statistics_,
    )


def test_callable_strategy(X_missing):
    ours = SimpleImputer(strategy=np.max).fit(da.from_array(X_missing[:, :3], chunks=CHUNK))
    reference = SkImputer(strategy=np.max).fit(X_missing[:, :3])
    np.testing.assert_allclose(ours.statistics_, reference.statistics_)


def test_empty_partitions_and_laziness():
    df = pd.DataFrame({"x": [1.0, np.nan, 3.0, 5.0], "s": ["a", None, "a", "b"]})
    ddf = dd.from_pandas(df, npartitions=2)
    ddf = dd.concat([ddf, ddf[ddf["x"] > 100]])  # an empty partition at the end
    imp = SimpleImputer(strategy="most_frequent").fit(ddf)
    out = imp.transform(_unreadable(ddf))  # lazy: builds a graph, reads nothing
    assert isinstance(out, dd.DataFrame)
    out = imp.transform(ddf).compute()
    assert out["s"].tolist() == ["a", "a", "a", "b"]


def test_fitted_imputer_pickles(X_missing):
    imp = SimpleImputer(strategy="median", add_indicator=True).fit(
        da.from_array(X_missing, chunks=CHUNK)
    )
    again = pickle.loads(pickle.dumps(imp))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(again.transform(X_missing), imp.transform(X_missing))
    assert isinstance(again.statistics_, np.ndarray)


def test_bad_input_fails_before_any_work():
    df = pd.DataFrame({"x": [1.0, np.nan], "s": ["a", "b"]})
    bad = _unreadable(dd.from_pandas(df, npartitions=1))
    with pytest.raises(ValueError, match="Cannot use mean strategy with non-numeric data"):
        SimpleImputer().fit(bad)
    with pytest.raises(ValueError, match="types are expected to be both numerical"):
        SimpleImputer(missing_values="?").fit(bad[["x"]])
    with pytest.raises(ValueError, match="cannot be cast"):
        SimpleImputer(strategy="constant", fill_value="z").fit(bad[["x"]])
    with pytest.raises(InvalidParameterError, match="strategy"):
        SimpleImputer(strategy="mode").fit(bad)
    with pytest.raises(ValueError, match="does not support data with dtype"):
        SimpleImputer().fit(np.array([[True, False]]))
    fitted = SimpleImputer(strategy="most_frequent").fit(df)
    with pytest.raises(ValueError, match="feature names should match"):
        fitted.transform(bad.rename(columns={"s": "t"}))
    with pytest.raises(ValueError, match="2 features"):
        SimpleImputer().fit(np.ones((3, 2))).transform(da.ones((4, 3), chunks=2))
    with pytest.raises(ValueError, match="infinity"):
        SimpleImputer().fit(da.from_array(np.array([[1.0], [np.inf]]), chunks=1))


def test_unfitted_transform_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SimpleImputer().transform(np.ones((2, 2)))


class _Computes(Callback):
    """Counts the computes that run under the threaded scheduler."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def _start(self, dsk):
        self.count += 1


@pytest.mark.parametrize("strategy", ["mean", "most_frequent", "constant"])
def test_one_pass_and_no_length_pass(X_missing, strategy):
    """One compute for the fit, even where the blocks' lengths are unknown."""
    df = pd.DataFrame(X_missing, columns=[f"x{i}" for i in range(P)])
    ddf = dd.from_pandas(df, npartitions=5).map_partitions(lambda part: part + 0.0)
    unknown = ddf.to_dask_array()
    reference = SkImputer(strategy=strategy).fit(X_missing)
    for X in (ddf, unknown):
        with dask.config.set(scheduler="threads"), _Computes() as computes:
            ours = SimpleImputer(strategy=strategy).fit(X)
        assert computes.count == 1
        stats = ours.statistics_.astype(float)
        np.testing.assert_allclose(stats, reference.statistics_.astype(float), rtol=1e-13)
