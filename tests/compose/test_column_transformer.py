"""ColumnTransformer against scikit-learn on pandas and dask DataFrames, NumPy and dask arrays."""

from __future__ import annotations

import pickle

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from dask.callbacks import Callback
from joblib import parallel_config
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer as SkColumnTransformer
from sklearn.compose import make_column_selector
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    MinMaxScaler,
    Normalizer,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)

from dasklearn.compose import ColumnTransformer, make_column_transformer
from dasklearn.compose._parts import reads_dask
from dasklearn.exceptions import InvalidParameterError
from dasklearn.impute import SimpleImputer
from dasklearn.wrappers import ParallelPostFit

N = 120


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "a": rng.normal(size=N),
            "b": rng.integers(0, 5, N),
            "c": rng.choice(["x", "y", "z"], N),
            "d": rng.normal(size=N),
        }
    )
    df.loc[rng.random(N) < 0.1, "a"] = np.nan
    return df


def _dense(out):
    if dask.is_dask_collection(out):
        out = out.compute()
    if sp.issparse(out):
        out = out.toarray()
    return np.asarray(out)


def _pair(transformers, **params):
    return SkColumnTransformer(transformers, **params), ColumnTransformer(transformers, **params)


def _same_fit(ours, reference):
    assert list(ours.get_feature_names_out()) == list(reference.get_feature_names_out())
    assert ours.output_indices_ == reference.output_indices_
    assert ours.sparse_output_ == reference.sparse_output_
    rows = [
        (n, type(t).__name__ if not isinstance(t, str) else t, c) for n, t, c in ours.transformers_
    ]
    expected = [
        (n, type(t).__name__ if not isinstance(t, str) else t, c)
        for n, t, c in reference.transformers_
    ]
    assert rows == expected


class _Boom(Callback):
    """Counts the computes that run (under the threaded scheduler)."""

    def __init__(self):
        super().__init__()
        self.computes = 0

    def _start(self, dsk):
        self.computes += 1


def _unreadable(ddf):
    def boom(part):
        raise AssertionError("the data was read")

    return ddf.map_partitions(boom, meta=ddf._meta)


@pytest.mark.parametrize("kind", ["pandas", "dask_dataframe"])
def test_mixed_frame_matches_sklearn(frame, kind, scheduler):
    transformers = [
        ("num", StandardScaler(), ["b", "d"]),
        ("cat", OneHotEncoder(sparse_output=False), ["c"]),
        ("imp", SimpleImputer(), ["a"]),  # dasklearn: fitted on the dask column
    ]
    reference, ours = _pair(transformers, remainder="drop")
    expected = reference.fit_transform(frame)
    X = frame if kind == "pandas" else dd.from_pandas(frame, npartitions=4)
    out = ours.fit_transform(X)
    np.testing.assert_allclose(_dense(out), expected, rtol=1e-12)
    np.testing.assert_allclose(_dense(ours.transform(X)), expected, rtol=1e-12)
    _same_fit(ours, reference)
    if kind == "dask_dataframe":
        assert isinstance(out, dd.DataFrame)
        assert out.divisions == X.divisions and out.npartitions == X.npartitions
        assert list(out.columns) == list(reference.get_feature_names_out())
    else:
        assert isinstance(out, np.ndarray)


def test_passthrough_columns_keep_their_dtypes(frame, scheduler):
    X = dd.from_pandas(frame, npartitions=3)
    ct = ColumnTransformer([("s", StandardScaler(), ["d"])], remainder="passthrough")
    out = ct.fit_transform(X)
    assert list(out.columns) == ["s__d", "remainder__a", "remainder__b", "remainder__c"]
    assert out.dtypes["remainder__b"] == np.int64
    assert out.dtypes["remainder__c"] == X.dtypes["c"]
    computed = out.compute()
    assert computed["remainder__c"].tolist() == frame["c"].tolist()
    assert (computed.index == frame.index).all()


@pytest.mark.parametrize(
    "columns",
    [[0, 1], slice(1, 3), [-1], np.array([True, False, True, False, False]), lambda X: [3, 4]],
    ids=["list", "slice", "negative", "mask", "callable"],
)
@pytest.mark.parametrize("kind", ["numpy", "dask_array"])
def test_positions_on_arrays(columns, kind, scheduler):
    X = np.random.default_rng(1).normal(size=(N, 5))
    Xk = X if kind == "numpy" else da.from_array(X, chunks=50)
    transformers = [("s", StandardScaler(), columns)]
    reference, ours = _pair(transformers, remainder=Normalizer())
    expected = reference.fit_transform(X)
    out = ours.fit(Xk).transform(Xk)
    np.testing.assert_allclose(_dense(out), expected, rtol=1e-12)
    _same_fit(ours, reference)
    if kind == "dask_array":
        assert isinstance(out, da.Array) and out.chunks[0] == Xk.chunks[0]


def test_column_selector_and_name_slices_on_dask(frame, scheduler):
    X = dd.from_pandas(frame, npartitions=3)
    transformers = [
        ("num", StandardScaler(), make_column_selector(dtype_include="number")),
        ("cat", OrdinalEncoder(), make_column_selector(pattern="^c$")),
    ]
    reference, ours = _pair(transformers)
    expected = reference.fit_transform(frame.fillna(0))
    out = ours.fit_transform(X.fillna(0))
    np.testing.assert_allclose(_dense(out), expected, rtol=1e-12)
    _same_fit(ours, reference)
    reference, ours = _pair([("s", StandardScaler(), slice("b", "d"))])
    reference.fit(frame[["a", "b", "d"]])
    ours.fit(X[["a", "b", "d"]])
    _same_fit(ours, reference)


def test_scalar_column_gives_a_1d_column(frame):
    df = frame.assign(t=np.where(frame["b"] > 2, "aa bb", "bb cc"))
    X = dd.from_pandas(df, npartitions=3)
    reference, ours = _pair([("cv", CountVectorizer(), "t")], remainder="drop")
    expected = reference.fit_transform(df)
    out = ours.fit(X).transform(X)
    np.testing.assert_allclose(_dense(out), _dense(expected))
    _same_fit(ours, reference)


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.9])
def test_sparse_output_decided_as_sklearn(frame, threshold, scheduler):
    X = dd.from_pandas(frame, npartitions=3)
    transformers = [("cat", OneHotEncoder(), ["c"]), ("num", StandardScaler(), ["d"])]
    reference, ours = _pair(transformers, sparse_threshold=threshold)
    expected = reference.fit_transform(frame)
    out = ours.fit(X).transform(X)
    assert ours.sparse_output_ == reference.sparse_output_
    if ours.sparse_output_:
        assert isinstance(out, da.Array) and sp.issparse(out.blocks[0].compute())
    np.testing.assert_allclose(_dense(out), _dense(expected), rtol=1e-12)


def test_density_of_dask_fitted_sparse_outputs_takes_a_pass(frame):
    """A dasklearn transformer's sparse output: the density comes from one pass over X."""
    X = dd.from_pandas(frame, npartitions=3)
    transformers = [
        ("cat", ParallelPostFit(OneHotEncoder()), ["c"]),
        ("num", StandardScaler(), ["d"]),
    ]
    ours = ColumnTransformer(transformers, sparse_threshold=0.9).fit(X)
    reference = SkColumnTransformer(
        [("cat", OneHotEncoder(), ["c"]), ("num", StandardScaler(), ["d"])], sparse_threshold=0.9
    ).fit(frame)
    assert ours.sparse_output_ == reference.sparse_output_ is True
    np.testing.assert_allclose(_dense(ours.transform(X)), _dense(reference.transform(frame)))


def test_fit_reads_the_in_memory_columns_once(frame):
    X = dd.from_pandas(frame, npartitions=3)
    transformers = [("s", StandardScaler(), ["b", "d"]), ("o", OrdinalEncoder(), ["c"])]
    with dask.config.set(scheduler="threads"), _Boom() as counter:
        ct = ColumnTransformer(transformers).fit(X)
        assert counter.computes == 1
        out = ct.transform(X)
        assert counter.computes == 1  # lazy
        out.compute()
        assert counter.computes == 2


def test_dasklearn_transformers_get_dask_columns():
    class Spy(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None):
            self.seen_ = type(X).__name__
            return self

        def transform(self, X):
            return np.asarray(X, dtype=float)

        def get_feature_names_out(self, input_features=None):
            return np.asarray(input_features, dtype=object)

    Spy.__module__ = "dasklearn._test_spy"  # the rule: dasklearn's transformers read dask
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 6.0]})
    X = dd.from_pandas(df, npartitions=2)
    ct = ColumnTransformer([("spy", Spy(), ["a"]), ("s", StandardScaler(), ["b"])]).fit(X)
    assert ct.named_transformers_["spy"].seen_ == "DataFrame"
    assert isinstance(ct.named_transformers_["spy"], Spy)
    assert reads_dask(Spy()) and reads_dask(make_pipeline(SimpleImputer(), Spy()))
    assert not reads_dask(StandardScaler()) and not reads_dask(make_pipeline(StandardScaler()))
    assert reads_dask(ParallelPostFit(StandardScaler()))


def test_wrapped_pipeline_and_nested_transformers(frame, scheduler):
    X = dd.from_pandas(frame, npartitions=3)
    transformers = [
        ("ppf", ParallelPostFit(StandardScaler()), ["d"]),
        ("pipe", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["a"]),
        ("nest", ColumnTransformer([("s", StandardScaler(), ["b"])]), ["b", "c"]),
    ]
    reference = SkColumnTransformer(
        [
            ("ppf", StandardScaler(), ["d"]),
            ("pipe", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["a"]),
            ("nest", SkColumnTransformer([("s", StandardScaler(), ["b"])]), ["b", "c"]),
        ]
    )
    expected = reference.fit_transform(frame)
    out = ColumnTransformer(transformers).fit_transform(X)
    np.testing.assert_allclose(_dense(out), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "remainder", ["drop", "passthrough", StandardScaler()], ids=["drop", "passthrough", "scaler"]
)
def test_remainder_and_weights(frame, remainder, scheduler):
    transformers = [("s", StandardScaler(), ["d"]), ("o", OrdinalEncoder(), ["c"])]
    reference, ours = _pair(
        transformers, remainder=remainder, transformer_weights={"s": 2.0, "remainder": 3.0}
    )
    numeric = frame.drop(columns="a")
    expected = reference.fit_transform(numeric)
    out = ours.fit_transform(dd.from_pandas(numeric, npartitions=2))
    np.testing.assert_allclose(_dense(out), _dense(expected).astype(float), rtol=1e-12)
    _same_fit(ours, reference)


@pytest.mark.parametrize(
    "names",
    [True, False, "{feature_name}@{transformer_name}", lambda t, f: f"{f}:{t}"],
    ids=["prefix", "plain", "format", "callable"],
)
def test_feature_names_out(frame, names):
    transformers = [("s", StandardScaler(), ["d"]), ("o", OneHotEncoder(), ["c"])]
    reference, ours = _pair(transformers, verbose_feature_names_out=names)
    reference.fit(frame)
    ours.fit(dd.from_pandas(frame, npartitions=2))
    assert list(ours.get_feature_names_out()) == list(reference.get_feature_names_out())


def test_feature_names_must_be_unique_without_prefixes(frame):
    ct = ColumnTransformer(
        [("a", StandardScaler(), ["d"]), ("b", StandardScaler(), ["d"])],
        verbose_feature_names_out=False,
    ).fit(frame)
    with pytest.raises(ValueError, match="are not unique"):
        ct.get_feature_names_out()


def test_set_output_pandas(frame):
    transformers = [("s", StandardScaler(), ["d"]), ("p", "passthrough", ["c", "b"])]
    reference = SkColumnTransformer(transformers).set_output(transform="pandas")
    ours = ColumnTransformer(transformers).set_output(transform="pandas")
    pd.testing.assert_frame_equal(ours.fit_transform(frame), reference.fit_transform(frame))
    pd.testing.assert_frame_equal(ours.transform(frame), reference.transform(frame))
    assert ours.named_transformers_["s"].transform(frame[["d"]]).columns.tolist() == ["d"]


def test_preserve_dataframe(frame):
    passthrough = [("p", "passthrough", ["c", "b"])]
    out = ColumnTransformer(passthrough).fit_transform(frame)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["p__c", "p__b"]
    out = ColumnTransformer(passthrough, preserve_dataframe=False).fit_transform(frame)
    assert isinstance(out, np.ndarray) and out.dtype == object
    mixed = [("s", StandardScaler(), ["d"]), ("p", "passthrough", ["b"])]
    assert isinstance(ColumnTransformer(mixed).fit_transform(frame), np.ndarray)


def test_columns_by_name_at_transform(frame, scheduler):
    X = dd.from_pandas(frame, npartitions=3)
    ct = ColumnTransformer([("s", StandardScaler(), ["d", "b"])], remainder="drop").fit(X)
    expected = _dense(ct.transform(X))
    shuffled = dd.from_pandas(frame[["c", "b", "d"]].assign(extra=1.0), npartitions=3)
    np.testing.assert_allclose(_dense(ct.transform(shuffled)), expected)
    with pytest.raises(ValueError, match="columns are missing: {'d'}"):
        ct.transform(_unreadable(X[["a", "b", "c"]]))
    with pytest.raises(ValueError, match="columns are missing"):
        ct.transform(frame[["b"]])


def test_bad_input_fails_before_any_work(frame):
    X = _unreadable(dd.from_pandas(frame, npartitions=2))
    with pytest.raises(ValueError, match="not a column of the dataframe"):
        ColumnTransformer([("s", StandardScaler(), ["zz"])]).fit(X)
    with pytest.raises(ValueError, match="only supported for dataframes"):
        ColumnTransformer([("s", StandardScaler(), ["a"])]).fit(da.ones((4, 2), chunks=2))
    with pytest.raises(TypeError, match="should implement fit and transform"):
        ColumnTransformer([("s", object(), ["a"])]).fit(X)
    with pytest.raises(ValueError, match="not unique"):
        ColumnTransformer([("s", "drop", ["a"]), ("s", "drop", ["b"])]).fit(X)
    with pytest.raises(InvalidParameterError, match="sparse_threshold"):
        ColumnTransformer([], sparse_threshold=2).fit(X)
    fitted = ColumnTransformer([("s", StandardScaler(), [0])]).fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match="3 features"):
        fitted.transform(da.ones((4, 2), chunks=2))


def test_params_clone_and_pickle(frame):
    ct = make_column_transformer(
        (StandardScaler(), ["d"]), (StandardScaler(), ["b"]), remainder="passthrough"
    )
    assert [name for name, _, _ in ct.transformers] == ["standardscaler-1", "standardscaler-2"]
    params = ct.get_params()
    assert params["standardscaler-1__with_mean"] is True
    ct.set_params(**{"standardscaler-1__with_mean": False, "standardscaler-2": "drop"})
    assert ct.transformers[0][1].with_mean is False and ct.transformers[1][1] == "drop"
    twin = clone(ct)
    assert twin.transformers[0][1] is not ct.transformers[0][1]
    fitted = twin.fit(dd.from_pandas(frame, npartitions=2))
    again = pickle.loads(pickle.dumps(fitted))
    pd.testing.assert_frame_equal(
        pd.DataFrame(again.transform(frame)), pd.DataFrame(fitted.transform(frame))
    )
    assert again["standardscaler-1"].with_mean is False


def test_empty_partitions_and_n_jobs(frame):
    X = dd.from_pandas(frame, npartitions=3)
    X = dd.concat([X, X[X["b"] > 100]])
    transformers = [("s", StandardScaler(), ["d"]), ("o", OrdinalEncoder(), ["c"])]
    reference = SkColumnTransformer(transformers).fit(frame)
    with parallel_config(backend="threading"):  # no process start-up on a busy test machine
        ours = ColumnTransformer(transformers, n_jobs=2).fit(X)
    np.testing.assert_allclose(_dense(ours.transform(X)), reference.transform(frame))


def test_dasklearn_preprocessing_inside(frame, scheduler):
    from dasklearn.preprocessing import MinMaxScaler as DaskMinMaxScaler
    from dasklearn.preprocessing import StandardScaler as DaskStandardScaler

    X = dd.from_pandas(frame.fillna(0.0), npartitions=4)
    ours = ColumnTransformer(
        [("s", DaskStandardScaler(), ["a", "d"]), ("m", DaskMinMaxScaler(), ["b"])],
        remainder="passthrough",
    )
    reference = SkColumnTransformer(
        [("s", StandardScaler(), ["a", "d"]), ("m", MinMaxScaler(), ["b"])],
        remainder="passthrough",
    )
    expected = reference.fit_transform(frame.fillna(0.0))
    out = ours.fit_transform(X)
    assert isinstance(out, dd.DataFrame) and out.divisions == X.divisions
    computed = out.compute()
    np.testing.assert_allclose(computed.iloc[:, :3].to_numpy(float), expected[:, :3].astype(float))
    assert computed.iloc[:, 3].tolist() == frame["c"].tolist()
    assert list(out.columns) == list(reference.get_feature_names_out())
