"""The shared output layer, table-driven: every public estimator x per-row method x input kind.

For each case the result must be in the container of the input (NumPy for NumPy and pandas,
a dask array with X's row chunks for a dask array, a dask Series/DataFrame with X's index and
divisions for a dask DataFrame), with the dtype and column names scikit-learn's equivalent gives,
and the values scikit-learn's equivalent model computes on the same rows.
"""

from __future__ import annotations

import copy

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn import cluster as skc
from sklearn import linear_model as sklm
from sklearn.decomposition import PCA
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import make_pipeline

from dasklearn.cluster import KMeans, SpectralClustering
from dasklearn.linear_model import LinearRegression, LogisticRegression, PoissonRegression
from dasklearn.preprocessing import OneHotEncoder
from dasklearn.wrappers import Incremental, ParallelPostFit

pytestmark = pytest.mark.filterwarnings("ignore:X has feature names")

N, P, CHUNK = 230, 4, 60  # four row blocks, the last one short


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, P))
    labels = np.where(X[:, 0] + 0.5 * rng.normal(size=N) > 0, "yes", "no")
    three = np.digitize(X[:, 1] + 0.3 * rng.normal(size=N), [-0.5, 0.5])
    counts = rng.poisson(np.exp(0.3 * X[:, 0]))
    return X, labels, three, counts


X, LABELS, THREE, COUNTS = _data()
COLUMNS = [f"x{i}" for i in range(P)]


def _as(kind, X):
    frame = pd.DataFrame(X, columns=COLUMNS, index=np.arange(N) * 3 + 7)  # a non-default index
    if kind == "numpy":
        return X
    if kind == "pandas":
        return frame
    if kind == "dask_array":
        return da.from_array(X, chunks=(CHUNK, P))
    return dd.from_pandas(frame, chunksize=CHUNK, sort=True)


def _kmeans():
    model = KMeans(3, random_state=0).fit(X)
    sk = skc.KMeans(3, init=model.cluster_centers_, n_init=1, max_iter=1).fit(X)
    sk.cluster_centers_ = model.cluster_centers_
    return model, sk


def _logistic(y):
    model = LogisticRegression().fit(X, y)
    sk = sklm.LogisticRegression()
    sk.coef_, sk.intercept_, sk.classes_ = model.coef_, model.intercept_, model.classes_
    return model, sk


def _linear():
    y = X @ [1.0, -2.0, 0.5, 0.0] + 0.1
    model = LinearRegression().fit(X, y)
    sk = sklm.LinearRegression()
    sk.coef_, sk.intercept_ = model.coef_, model.intercept_
    return model, sk


def _poisson():
    model = PoissonRegression().fit(X, COUNTS)
    sk = sklm.PoissonRegressor(alpha=0).fit(X, COUNTS)
    sk.coef_, sk.intercept_ = model.coef_, model.intercept_
    return model, sk


def _wrapped_logistic():
    sk = sklm.LogisticRegression().fit(X, THREE)
    return ParallelPostFit(sk), sk


def _wrapped_pca():
    sk = PCA(2, random_state=0).fit(X)
    return ParallelPostFit(sk), sk


def _incremental():
    model = Incremental(SGDClassifier(random_state=0), random_state=0).fit(
        X, LABELS, classes=np.unique(LABELS)
    )
    return model, model.estimator_


# (name, factory, method, ndim of the result, expected frame column names or None)
CASES = [
    ("KMeans", _kmeans, "predict", 1, None),
    ("KMeans", _kmeans, "transform", 2, ["kmeans0", "kmeans1", "kmeans2"]),
    ("LogisticRegression-binary", lambda: _logistic(LABELS), "predict", 1, None),
    ("LogisticRegression-binary", lambda: _logistic(LABELS), "predict_proba", 2, ["no", "yes"]),
    ("LogisticRegression-binary", lambda: _logistic(LABELS), "decision_function", 1, None),
    ("LogisticRegression-multi", lambda: _logistic(THREE), "predict_proba", 2, [0, 1, 2]),
    ("LogisticRegression-multi", lambda: _logistic(THREE), "predict_log_proba", 2, [0, 1, 2]),
    ("LogisticRegression-multi", lambda: _logistic(THREE), "decision_function", 2, [0, 1, 2]),
    ("LinearRegression", _linear, "predict", 1, None),
    ("PoissonRegression", _poisson, "predict", 1, None),
    ("ParallelPostFit", _wrapped_logistic, "predict", 1, None),
    ("ParallelPostFit", _wrapped_logistic, "predict_proba", 2, [0, 1, 2]),
    ("ParallelPostFit", _wrapped_pca, "transform", 2, ["pca0", "pca1"]),
    ("Incremental", _incremental, "predict", 1, None),
    ("Incremental", _incremental, "decision_function", 1, None),
]
KINDS = ("numpy", "pandas", "dask_array", "dask_dataframe")


def _check_container(out, kind, Xk, ndim, columns):
    if kind in ("numpy", "pandas"):
        assert isinstance(out, np.ndarray)
        assert out.ndim == ndim
        return out
    if kind == "dask_array":
        assert isinstance(out, da.Array) and out.ndim == ndim
        assert out.chunks[0] == Xk.chunks[0]
        return out.compute()
    assert isinstance(out, dd.Series if ndim == 1 else dd.DataFrame)
    assert out.divisions == Xk.divisions and out.npartitions == Xk.npartitions
    computed = out.compute()
    pd.testing.assert_index_equal(computed.index, Xk.index.compute())
    assert out.dtypes.equals(computed.dtypes) if ndim == 2 else out.dtype == computed.dtype
    if columns is not None:
        assert list(computed.columns) == columns
    return computed.to_numpy()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name, factory, method, ndim, columns", CASES, ids=lambda v: str(v))
def test_every_estimator_method_and_input_kind(kind, name, factory, method, ndim, columns):
    model, reference = factory()
    Xk = _as(kind, X)
    out = getattr(model, method)(Xk)
    values = _check_container(out, kind, Xk, ndim, columns)
    expected = getattr(reference, method)(X)
    assert values.dtype == np.asarray(expected).dtype or values.dtype.kind == "O"
    if values.dtype.kind == "f":
        np.testing.assert_allclose(values, expected, rtol=1e-10, atol=1e-12)
    else:
        np.testing.assert_array_equal(values, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_labels_and_fit_predict_keep_the_container(kind):
    Xk = _as(kind, X)
    model = KMeans(3, random_state=0).fit(Xk)
    labels = _check_container(model.labels_, kind, Xk, 1, None)
    np.testing.assert_array_equal(labels, model.predict(X))
    again = _check_container(KMeans(3, random_state=0).fit_predict(Xk), kind, Xk, 1, None)
    np.testing.assert_array_equal(again, labels)
    spectral = SpectralClustering(2, n_components=40, random_state=0).fit(Xk)
    _check_container(spectral.labels_, kind, Xk, 1, None)


def test_set_output_pandas_for_in_memory_input():
    model = KMeans(3, random_state=0).fit(X)
    frame = _as("pandas", X)
    out = model.set_output(transform="pandas").transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["kmeans0", "kmeans1", "kmeans2"]
    pd.testing.assert_index_equal(out.index, frame.index)
    lazy = model.transform(_as("dask_dataframe", X))  # dask input: dask, whatever the setting
    assert isinstance(lazy, dd.DataFrame)
    assert isinstance(model.set_output(transform="default").transform(frame), np.ndarray)


def test_empty_blocks_and_unknown_chunk_sizes():
    model, reference = _logistic(THREE)
    dX = da.from_array(X, chunks=((100, 0, 130), (P,)))
    proba = model.predict_proba(dX)
    assert proba.chunks == (dX.chunks[0], (3,))
    np.testing.assert_allclose(proba.compute(), reference.predict_proba(X), rtol=1e-12)
    keep = X[:, 0] > 0
    masked = da.from_array(X, chunks=(CHUNK, P))[da.from_array(keep, chunks=CHUNK)]
    assert np.isnan(masked.shape[0])
    pred = model.predict(masked)
    assert np.isnan(pred.shape[0])  # stays lazy: no pass to find the lengths
    np.testing.assert_array_equal(pred.compute(), reference.predict(X[keep]))


def test_nan_in_a_dask_block_is_an_error_not_a_prediction():
    model, _ = _logistic(LABELS)
    bad = X.copy()
    bad[5, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.predict(da.from_array(bad, chunks=(CHUNK, P))).compute()
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.predict(bad)


def test_on_a_cluster(client):
    model, reference = _logistic(THREE)
    Xk = _as("dask_dataframe", X)
    out = model.predict_proba(Xk)
    values = _check_container(out, "dask_dataframe", Xk, 2, [0, 1, 2])
    np.testing.assert_allclose(values, reference.predict_proba(X), rtol=1e-12)
    (labels,) = dask.compute(KMeans(3, random_state=0).fit(Xk).labels_)
    assert isinstance(labels, pd.Series)


# --------------------------------------------------------------------------------------------
# lazy labels_ of the training data: copies
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, columns",
    [
        (lambda: KMeans(n_clusters=3, random_state=0), ["a", "b"]),
        (lambda: SpectralClustering(n_clusters=3, n_components=30, random_state=0), ["a", "b"]),
        # the lazy labels_ hold the encoder's graph too (a delayed fitted encoder)
        (
            lambda: make_pipeline(
                OneHotEncoder(sparse_output=False), KMeans(n_clusters=3, random_state=0)
            ),
            ["c"],
        ),
    ],
    ids=["KMeans", "SpectralClustering", "encoder+KMeans"],
)
def test_deepcopy_of_a_model_with_lazy_labels(make, columns):
    """copy.deepcopy (the command line's model files, users' copies) shares the lazy labels_
    and copies the rest; dask alone cannot deep-copy a dataframe whose graph holds a delayed
    value."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.rand(120, 2), columns=["a", "b"])
    frame["c"] = pd.Categorical(rng.choice(["u", "v", "w"], 120))
    X = dd.from_pandas(frame[columns], npartitions=3)
    with dask.config.set(scheduler="threads"):
        model = make().fit(X)
        twin = copy.deepcopy(model)
        last = model[-1] if hasattr(model, "steps") else model
        twin_last = twin[-1] if hasattr(twin, "steps") else twin
        assert twin_last.labels_ is last.labels_  # shared, not copied
        assert twin_last is not last
        for name, value in vars(last).items():
            if isinstance(value, np.ndarray):
                assert getattr(twin_last, name) is not value
                np.testing.assert_array_equal(getattr(twin_last, name), value)
        if hasattr(model, "predict"):
            np.testing.assert_array_equal(twin.predict(X).compute(), model.predict(X).compute())


_TRANSFORMED: list[int] = []


def _counted_scale(block: pd.DataFrame) -> pd.DataFrame:
    _TRANSFORMED.append(len(block))
    return block * 2.0


def test_the_length_of_a_transformed_frame_is_the_length_of_its_input():
    """len() of a per-row output frame asks its input (parquet answers from its metadata), it
    does not read every partition through the model: a pipeline's later steps ask for it."""
    from dasklearn._output import Output, map_rows

    frame = dd.from_pandas(pd.DataFrame(X, columns=list("abcd")), npartitions=4)
    output = Output(np.float64, width=P, columns=list("abcd"))
    out = map_rows(_counted_scale, frame, output=output, dtype=None)
    with dask.config.set(scheduler="sync"):
        _TRANSFORMED.clear()
        assert len(out) == N and _TRANSFORMED == []
        pd.testing.assert_frame_equal(out.compute(), frame.compute() * 2.0)
