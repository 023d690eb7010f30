"""KMeans against scikit-learn on every input kind, scheduler and init; errors; pickling."""

from __future__ import annotations

import pickle

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans as SKKMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from support import output_type

import dasklearn._passes as KM
from dasklearn.cluster import KMeans

INITS = ["k-means||", "k-means++", "random"]


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(600, 4, centers=3, cluster_std=0.8, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def overlapping():
    rng = np.random.default_rng(7)
    return rng.standard_normal((4000, 4))


def _values(out):
    return out.compute() if dask.is_dask_collection(out) else np.asarray(out)


def _matched(centers, reference):
    """``centers`` reordered to line up with ``reference`` (nearest reference center)."""
    order = ((reference[:, None, :] - centers[None]) ** 2).sum(-1).argmin(1)
    return centers[order]


@pytest.mark.parametrize("init", INITS)
def test_blobs_match_sklearn(blobs, input_kind, as_kind, init):
    X, y = blobs
    sk = SKKMeans(3, n_init=10, random_state=0).fit(X)
    model = KMeans(3, init=init, random_state=0).fit(as_kind(input_kind, X, chunks=100))
    # the container of the input (the shared output layer): dask Series for a dask DataFrame
    expected = {"dask_array": da.Array, "dask_dataframe": dd.Series}.get(input_kind, np.ndarray)
    assert isinstance(model.labels_, expected)
    labels = _values(model.labels_)
    assert labels.dtype == np.int32 and labels.shape == (600,)
    assert adjusted_rand_score(labels, sk.labels_) >= 0.99
    np.testing.assert_allclose(model.inertia_, sk.inertia_, rtol=1e-6)
    np.testing.assert_allclose(
        _matched(model.cluster_centers_, sk.cluster_centers_), sk.cluster_centers_, atol=1e-6
    )
    assert model.n_iter_ >= 1 and model.n_features_in_ == 4
    if input_kind in ("pandas", "dask_dataframe"):
        assert list(model.feature_names_in_) == [f"x{i}" for i in range(4)]


def test_array_init_follows_sklearn(blobs):
    X, _ = blobs
    init = X[[0, 1, 2]]
    sk = SKKMeans(3, init=init, n_init=1, max_iter=300, tol=1e-4).fit(X)
    model = KMeans(3, init=init).fit(da.from_array(X, chunks=100))
    np.testing.assert_allclose(model.cluster_centers_, sk.cluster_centers_, atol=1e-8)
    np.testing.assert_allclose(model.inertia_, sk.inertia_, rtol=1e-10)


@pytest.mark.parametrize("init", ["k-means||", "k-means++"])
def test_overlapping_inertia_within_one_percent(overlapping, init):
    sk = SKKMeans(8, n_init=10, random_state=0).fit(overlapping)
    model = KMeans(8, init=init, random_state=0).fit(da.from_array(overlapping, chunks=500))
    assert model.inertia_ <= 1.01 * sk.inertia_
    exact = ((overlapping - model.cluster_centers_[_values(model.labels_)]) ** 2).sum()
    np.testing.assert_allclose(model.inertia_, exact, rtol=1e-10)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["numpy", "dask_array"])
def test_same_centers_on_threads_and_cluster(overlapping, as_kind, client, kind):
    X = as_kind(kind, overlapping, chunks=800)
    model = KMeans(5, random_state=3, n_init=2, tol=1e-3).fit(X)
    with dask.config.set(scheduler="threads"):
        threads = KMeans(5, random_state=3, n_init=2, tol=1e-3).fit(X)
    np.testing.assert_array_equal(model.cluster_centers_, threads.cluster_centers_)
    assert model.inertia_ == threads.inertia_ and model.n_iter_ == threads.n_iter_


def test_methods_match_sklearn_with_the_same_centers(blobs, input_kind, as_kind, scheduler):
    X, _ = blobs
    model = KMeans(3, random_state=0).fit(X)
    sk = SKKMeans(3, init=model.cluster_centers_, n_init=1, max_iter=1).fit(X)
    sk.cluster_centers_ = model.cluster_centers_
    Xk = as_kind(input_kind, X, chunks=128)
    lazy = input_kind.startswith("dask")
    for method in ("predict", "transform"):
        out = getattr(model, method)(Xk)
        assert isinstance(out, da.Array | dd.Series | dd.DataFrame) == lazy
        assert isinstance(out, output_type(input_kind, 1 if method == "predict" else 2))
        np.testing.assert_allclose(_values(out), getattr(sk, method)(X), rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(model.score(Xk), sk.score(X), rtol=1e-9)
    np.testing.assert_array_equal(_values(model.predict(Xk)), model.labels_)


def test_fit_predict_fit_transform_feature_names(blobs):
    X, _ = blobs
    frame = pd.DataFrame(X, columns=list("abcd"))
    model = KMeans(3, random_state=0)
    labels = model.fit_predict(frame)
    np.testing.assert_array_equal(labels, model.labels_)
    distances = KMeans(3, random_state=0).fit_transform(frame)
    assert distances.shape == (600, 3)
    assert list(model.get_feature_names_out()) == ["kmeans0", "kmeans1", "kmeans2"]
    with pytest.raises(ValueError, match="feature names"):
        model.predict(frame.rename(columns={"a": "z"}))
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :3])


def test_sample_weight_equals_repeated_rows(blobs, input_kind, as_kind):
    X, _ = blobs
    counts = np.random.default_rng(0).integers(1, 4, len(X))
    init = X[[0, 1, 2]]
    repeated = KMeans(3, init=init).fit(np.repeat(X, counts, axis=0))
    Xk = as_kind(input_kind, X, chunks=100)
    weights = counts if input_kind in ("numpy", "pandas") else da.from_array(counts, chunks=100)
    weighted = KMeans(3, init=init).fit(Xk, sample_weight=weights)
    np.testing.assert_allclose(weighted.cluster_centers_, repeated.cluster_centers_, atol=1e-9)
    np.testing.assert_allclose(weighted.inertia_, repeated.inertia_, rtol=1e-9)
    sk = SKKMeans(3, n_init=10, random_state=0).fit(X, sample_weight=counts)
    default_init = KMeans(3, random_state=0).fit(Xk, sample_weight=weights)
    np.testing.assert_allclose(default_init.inertia_, sk.inertia_, rtol=1e-6)


def test_float32_stays_float32(blobs):
    X = blobs[0].astype(np.float32)
    model = KMeans(3, random_state=0).fit(da.from_array(X, chunks=100))
    assert model.cluster_centers_.dtype == np.float32
    assert model.transform(X).dtype == np.float32
    sk = SKKMeans(3, n_init=10, random_state=0).fit(X)
    np.testing.assert_allclose(model.inertia_, sk.inertia_, rtol=1e-4)


def test_empty_cluster_is_reseeded(blobs):
    X, _ = blobs
    init = np.vstack([X[:2], [[1e3] * 4]])  # the third center is far from every row
    model = KMeans(3, init=init, max_iter=50).fit(da.from_array(X, chunks=100))
    assert np.bincount(_values(model.labels_), minlength=3).min() > 0
    sk = SKKMeans(3, n_init=10, random_state=0).fit(X)
    assert model.inertia_ <= 1.01 * sk.inertia_


def test_duplicate_points_fewer_distinct_than_clusters():
    X = np.repeat(np.arange(3.0)[:, None], 20, axis=0)
    model = KMeans(4, random_state=0).fit(da.from_array(X, chunks=7))
    assert model.inertia_ == pytest.approx(0.0, abs=1e-12)
    assert np.isfinite(model.cluster_centers_).all()


def test_pickle_roundtrip(blobs, input_kind, as_kind):
    X, _ = blobs
    Xk = as_kind(input_kind, X, chunks=100)
    model = KMeans(3, random_state=0).fit(Xk)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.cluster_centers_, model.cluster_centers_)
    np.testing.assert_array_equal(_values(clone.labels_), _values(model.labels_))
    np.testing.assert_array_equal(_values(clone.predict(X)), _values(model.predict(X)))


def test_unknown_chunk_sizes_are_resolved(blobs):
    X, _ = blobs
    Xd = da.from_array(X, chunks=100)
    unknown = Xd[Xd[:, 0] > -np.inf]  # the same rows, chunk sizes unknown
    assert np.isnan(unknown.shape[0])
    a = KMeans(3, random_state=0).fit(unknown)
    b = KMeans(3, random_state=0).fit(Xd)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)


@pytest.mark.parametrize("rounds", [None, 2])
@pytest.mark.parametrize("kind", ["numpy", "dask_array"])
def test_data_past_the_first_sample(as_kind, kind, rounds):
    """More rows than the first pass samples: the first candidates come from the sample's
    k-means, then ``init_max_iter`` rounds (None: 0) and the weighing pass; as good as
    scikit-learn's best of ten, and ``rounds + 2`` passes before the Lloyd iterations."""
    X, _ = make_blobs(14_000, 5, centers=10, cluster_std=1.5, random_state=3)
    data = as_kind(kind, X, chunks=2_000)
    model = KMeans(10, random_state=0, init_max_iter=rounds).fit(data)
    reference = SKKMeans(10, n_init=10, random_state=0).fit(X)
    assert model.inertia_ <= reference.inertia_ * (1 + 1e-6)
    init_passes = 2 + (rounds or 0)
    assert model.n_passes_ - model.n_iter_ in (init_passes, init_passes + 1)  # + final pass
    again = KMeans(10, random_state=0, init_max_iter=rounds).fit(data)
    np.testing.assert_array_equal(again.cluster_centers_, model.cluster_centers_)


def test_tol_zero_runs_to_strict_convergence(overlapping):
    model = KMeans(4, random_state=0, tol=0.0, max_iter=500).fit(overlapping)
    again = KMeans(4, init=model.cluster_centers_, tol=0.0, max_iter=5).fit(overlapping)
    assert again.n_iter_ == 1
    np.testing.assert_array_equal(again.cluster_centers_, model.cluster_centers_)


# ---- errors, before any pass over the data --------------------------------------------------


@pytest.fixture
def no_pass(monkeypatch):
    """Fail the test if a pass over the data starts."""

    def refuse(*graphs):
        raise AssertionError("a pass over the data ran before the error")

    monkeypatch.setattr(KM, "compute", refuse)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_clusters": 0}, "n_clusters"),
        ({"n_clusters": 2.5}, "n_clusters"),
        ({"init": "kmeans"}, "init must be"),
        ({"init": np.zeros((2, 4))}, r"shape \(2, 4\); expected \(3, 4\)"),
        ({"init": np.zeros((3, 5))}, r"shape \(3, 5\); expected \(3, 4\)"),
        ({"init": np.zeros(3)}, "init array"),
        ({"max_iter": 0}, "max_iter"),
        ({"tol": -1}, "tol"),
        ({"n_init": 0}, "n_init"),
        ({"init_max_iter": -1}, "init_max_iter"),
        ({"oversampling_factor": 0}, "oversampling_factor"),
        ({"algorithm": "elkan"}, "algorithm"),
    ],
)
def test_bad_parameters(blobs, no_pass, params, match):
    X = da.from_array(blobs[0], chunks=100)
    params = {"n_clusters": 3, **params}
    with pytest.raises(ValueError, match=match):
        KMeans(**params).fit(X)


def test_more_clusters_than_samples(no_pass):
    X = da.from_array(np.random.default_rng(0).standard_normal((5, 2)), chunks=2)
    with pytest.raises(ValueError, match="n_samples=5 should be >= n_clusters=6"):
        KMeans(6).fit(X)


@pytest.mark.parametrize("kind", ["numpy", "dask_array", "dask_dataframe"])
@pytest.mark.parametrize("init", ["k-means||", "random", "array"])
def test_nan_is_reported_after_the_first_pass(blobs, as_kind, monkeypatch, kind, init):
    X = blobs[0].copy()
    X[123, 2] = np.nan
    passes = []
    original = KM.compute

    def counting(*graphs):
        passes.append(1)
        return original(*graphs)

    monkeypatch.setattr(KM, "compute", counting)
    model = KMeans(3, init=X[:3] if init == "array" else init, random_state=0)
    with pytest.raises(ValueError, match="NaN"):
        model.fit(as_kind(kind, X, chunks=100))
    assert len(passes) <= 1


def test_negative_or_zero_weights(blobs):
    X = blobs[0]
    with pytest.raises(ValueError, match="non-negative"):
        KMeans(3).fit(X, sample_weight=-np.ones(len(X)))
    with pytest.raises(ValueError, match="sums to zero"):
        KMeans(3).fit(da.from_array(X, chunks=100), sample_weight=da.zeros(len(X), chunks=100))
    with pytest.raises(ValueError, match="different numbers of rows"):
        KMeans(3).fit(X, sample_weight=np.ones(5))


def test_unfitted_and_nan_at_predict(blobs):
    X = blobs[0]
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        KMeans(3).predict(X)
    model = KMeans(3, random_state=0).fit(X)
    bad = X.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.predict(bad)
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.predict(da.from_array(bad, chunks=100)).compute()
