"""Nystrom SpectralClustering against scikit-learn; affinities; memory O(n * m); errors."""

from __future__ import annotations

import pickle

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pytest
from sklearn.cluster import KMeans as SKKMeans
from sklearn.cluster import SpectralClustering as SKSpectral
from sklearn.datasets import make_blobs, make_moons
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.pairwise import rbf_kernel

from dasklearn.cluster import KMeans, SpectralClustering


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(600, 3, centers=3, cluster_std=0.5, random_state=0)


def _values(out):
    return out.compute() if dask.is_dask_collection(out) else np.asarray(out)


def test_blobs_match_sklearn(blobs, input_kind, as_kind):
    X, y = blobs
    sk = SKSpectral(3, gamma=0.5, random_state=0).fit(X)
    model = SpectralClustering(3, gamma=0.5, random_state=0, n_components=60)
    model.fit(as_kind(input_kind, X, chunks=100))
    # the container of the input (the shared output layer): dask Series for a dask DataFrame
    expected = {"dask_array": da.Array, "dask_dataframe": dd.Series}.get(input_kind, np.ndarray)
    assert isinstance(model.labels_, expected)
    labels = _values(model.labels_)
    assert adjusted_rand_score(labels, sk.labels_) >= 0.99
    assert adjusted_rand_score(labels, y) >= 0.99
    assert model.eigenvalues_.shape == (3,) and model.landmarks_.shape == (60, 3)
    assert isinstance(model.assign_labels_, KMeans)


def test_same_labels_on_threads_and_cluster(blobs, client):
    X = da.from_array(blobs[0], chunks=150)
    model = SpectralClustering(3, gamma=0.5, random_state=4, n_components=40).fit(X)
    with dask.config.set(scheduler="threads"):
        threads = SpectralClustering(3, gamma=0.5, random_state=4, n_components=40).fit(X)
    np.testing.assert_array_equal(model.labels_.compute(), threads.labels_.compute())
    np.testing.assert_allclose(model.eigenvalues_, threads.eigenvalues_, rtol=1e-12)


def test_nystrom_with_many_landmarks_matches_the_exact_spectrum():
    X, _ = make_blobs(300, 2, centers=3, cluster_std=1.5, random_state=1)
    W = rbf_kernel(X, gamma=0.2)
    d = W.sum(1)
    exact = np.sort(np.linalg.eigvalsh(W / np.sqrt(np.outer(d, d))))[::-1][:3]
    model = SpectralClustering(3, gamma=0.2, n_components=299, random_state=0).fit(X)
    np.testing.assert_allclose(model.eigenvalues_, exact, rtol=1e-6)


def test_moons_need_the_graph(blobs):
    X, y = make_moons(1500, noise=0.05, random_state=0)
    model = SpectralClustering(2, gamma=20.0, n_components=150, random_state=0).fit(X)
    assert adjusted_rand_score(model.labels_, y) >= 0.99
    kmeans = KMeans(2, random_state=0).fit(X)
    assert adjusted_rand_score(kmeans.labels_, y) < 0.6  # what spectral clustering is for


@pytest.mark.parametrize(
    "affinity, params",
    [
        ("laplacian", {"gamma": 0.5}),
        ("polynomial", {"gamma": 0.1, "degree": 2, "coef0": 10.0}),
        (lambda a, b, scale: rbf_kernel(a, b, gamma=scale), {"kernel_params": {"scale": 0.5}}),
    ],
)
def test_other_affinities(blobs, affinity, params):
    X, y = blobs
    model = SpectralClustering(3, affinity=affinity, random_state=0, n_components=50, **params)
    model.fit(da.from_array(X, chunks=100))
    assert adjusted_rand_score(model.labels_.compute(), y) >= 0.99


def test_precomputed_reads_only_the_sampled_columns(blobs):
    X, y = blobs
    K = rbf_kernel(X, gamma=0.5)
    dense = SpectralClustering(3, affinity="precomputed", random_state=0, n_components=50)
    dense.fit(K)
    chunked = SpectralClustering(3, affinity="precomputed", random_state=0, n_components=50)
    chunked.fit(da.from_array(K, chunks=(100, 120)))
    assert chunked.landmarks_.shape == (50,)
    assert adjusted_rand_score(chunked.labels_.compute(), dense.labels_) == 1.0
    assert adjusted_rand_score(dense.labels_, y) >= 0.99


def test_memory_is_n_times_m_never_n_squared(blobs):
    X, y = blobs
    shapes = []

    def spy(a, b):
        shapes.append((a.shape[0], b.shape[0]))
        return rbf_kernel(a, b, gamma=0.5)

    model = SpectralClustering(3, affinity=spy, random_state=0, n_components=30)
    model.fit(da.from_array(X, chunks=100))
    assert adjusted_rand_score(model.labels_.compute(), y) >= 0.99
    assert max(r for r, _ in shapes) <= 100  # one row block at a time ...
    assert {m for _, m in shapes} == {30}  # ... against the landmarks only


def test_persist_embedding_kmeans_params_and_pickle(blobs):
    X, y = blobs
    model = SpectralClustering(
        3,
        gamma=0.5,
        random_state=0,
        n_components=40,
        persist_embedding=True,
        kmeans_params={"init": "k-means++", "max_iter": 50},
    ).fit(da.from_array(X, chunks=100))
    assert model.assign_labels_.init == "k-means++" and model.assign_labels_.max_iter == 50
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.labels_.compute(), model.labels_.compute())
    assert adjusted_rand_score(clone.labels_.compute(), y) >= 0.99


def test_assign_labels_estimator(blobs):
    X, y = blobs
    model = SpectralClustering(
        3, gamma=0.5, n_components=40, random_state=0, assign_labels=SKKMeans(3, n_init=3)
    ).fit(X)
    assert isinstance(model.assign_labels_, SKKMeans)
    assert adjusted_rand_score(model.labels_, y) >= 0.99
    assert model.fit_predict(X).shape == (600,)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_components": 2}, "n_components must be an integer >= n_clusters"),
        ({"affinity": "nearest_neighbors"}, "Unknown affinity"),
        ({"affinity": 3}, "affinity must be"),
        ({"assign_labels": "discretize"}, "assign_labels"),
        ({"n_clusters": 0}, "n_clusters"),
    ],
)
def test_bad_parameters(blobs, params, match):
    with pytest.raises(ValueError, match=match):
        SpectralClustering(**{"n_clusters": 3, **params}).fit(blobs[0])


def test_as_many_landmarks_as_rows_is_the_exact_embedding(blobs, scheduler):
    """n_components >= n_samples: every row a landmark, with a warning; fewer rows than
    clusters: a clear error."""
    X, y = blobs[0][:120], blobs[1][:120]
    with pytest.warns(UserWarning, match="every row is a landmark"):
        model = SpectralClustering(3, gamma=0.5, n_components=600, random_state=0).fit(X)
    assert model.landmarks_.shape == (120, X.shape[1])
    assert adjusted_rand_score(model.labels_, y) >= 0.99
    with pytest.raises(ValueError, match="n_samples=2 should be >= n_clusters=3"):
        SpectralClustering(3, n_components=20).fit(X[:2])


def test_bad_input(blobs):
    X = blobs[0].copy()
    X[10, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SpectralClustering(3, n_components=20).fit(da.from_array(X, chunks=100))
    centred = blobs[0] - blobs[0].mean(0)
    with pytest.raises(ValueError, match="degrees are not positive"):
        SpectralClustering(3, affinity="linear", n_components=20, random_state=0).fit(centred)
    with pytest.raises(ValueError, match="square"):
        SpectralClustering(3, affinity="precomputed", n_components=20).fit(np.ones((50, 40)))
