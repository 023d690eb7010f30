"""Chunked synthetic datasets: lazy, generated on the workers, reproducible on any scheduler."""

from __future__ import annotations

import pickle
import time

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from dasklearn import datasets

GENERATORS = {
    "classification": lambda **kw: datasets.make_classification(n_features=6, **kw),
    "multiclass": lambda **kw: datasets.make_classification(n_features=6, n_classes=4, **kw),
    "regression": lambda **kw: datasets.make_regression(
        n_features=6, n_informative=3, noise=1.0, **kw
    ),
    "blobs": lambda **kw: datasets.make_blobs(n_features=6, centers=4, **kw),
    "counts": lambda **kw: datasets.make_counts(n_features=6, **kw),
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_shapes_chunks_and_dtypes(name):
    X, y = GENERATORS[name](n_samples=1050, chunks=200, random_state=0)[:2]
    assert isinstance(X, da.Array) and isinstance(y, da.Array)
    assert X.shape == (1050, 6) and y.shape == (1050,)
    assert X.chunks == ((200,) * 5 + (50,), (6,))
    assert y.chunks == (X.chunks[0],)
    Xc, yc = dask.compute(X, y, scheduler="sync")
    assert Xc.dtype == np.float64 and Xc.shape == (1050, 6)
    assert np.isfinite(Xc).all()
    assert yc.dtype == (np.float64 if name == "regression" else np.int64)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_same_random_state_same_values_on_every_scheduler(name, client):
    make = GENERATORS[name]
    X1, y1 = make(n_samples=600, chunks=100, random_state=7)[:2]
    X2, y2 = make(n_samples=600, chunks=100, random_state=7)[:2]
    sync = dask.compute(X1, y1, scheduler="sync")
    threads = dask.compute(X2, y2, scheduler="threads")
    on_cluster = client.compute([X2, y2], sync=True)
    for other in (threads, on_cluster):
        np.testing.assert_array_equal(sync[0], other[0])
        np.testing.assert_array_equal(sync[1], other[1])
    X3, _ = make(n_samples=600, chunks=100, random_state=8)[:2]
    assert not np.allclose(sync[0], X3.compute(scheduler="sync"))


def test_blocks_are_independent_of_the_number_of_workers(client):
    X, y = datasets.make_classification(400, 5, chunks=100, random_state=3)
    one_block = X.blocks[2].compute(scheduler="sync")
    np.testing.assert_array_equal(one_block, client.compute(X, sync=True)[200:300])


def test_a_billion_rows_is_lazy_and_instant():
    start = time.perf_counter()
    X, y = datasets.make_classification(10**9, 20, chunks=1_000_000, random_state=0)
    elapsed = time.perf_counter() - start
    assert X.shape == (10**9, 20)
    assert elapsed < 5  # generous: the graph is built, no data is made
    # The graph holds seeds and small coefficients, never data.
    assert len(pickle.dumps(dict(X.__dask_graph__()))) < 2_000_000


def test_classification_is_learnable():
    from sklearn.linear_model import LogisticRegression

    X, y = datasets.make_classification(
        4000, 5, n_informative=3, scale=2.0, chunks=1000, random_state=0
    )
    X, y = dask.compute(X, y)
    majority = np.bincount(y[3000:]).max() / 1000
    assert LogisticRegression().fit(X[:3000], y[:3000]).score(X[3000:], y[3000:]) > majority + 0.15
    X, y = datasets.make_classification(
        4000, 5, n_classes=3, scale=3.0, chunks=1000, random_state=0
    )
    X, y = dask.compute(X, y)
    assert set(np.unique(y)) == {0, 1, 2}
    majority = np.bincount(y[3000:]).max() / 1000
    assert LogisticRegression().fit(X[:3000], y[:3000]).score(X[3000:], y[3000:]) > majority + 0.15


def test_regression_coefficients():
    X, y, coef = datasets.make_regression(
        2000, 8, n_informative=3, noise=0.5, bias=2.0, coef=True, chunks=500, random_state=1
    )
    X, y = dask.compute(X, y)
    assert (coef != 0).sum() == 3
    A = np.column_stack([X, np.ones(len(X))])
    fitted = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(fitted[:-1], coef, atol=0.1)
    assert abs(fitted[-1] - 2.0) < 0.1


def test_blobs_centers():
    centers = np.array([[0.0, 0.0], [10.0, 10.0]])
    X, y = datasets.make_blobs(1000, centers=centers, cluster_std=0.1, chunks=300, random_state=0)
    X, y = dask.compute(X, y)
    for k in range(2):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centers[k], atol=0.05)


def test_counts_are_poisson():
    X, y = datasets.make_counts(3000, 4, n_informative=1, scale=0.5, chunks=1000, random_state=0)
    y = y.compute()
    assert y.min() >= 0 and y.dtype == np.int64
    assert 0.5 < y.mean() < 3


def test_classification_df(client):
    X, y = datasets.make_classification_df(2000, n_features=3, chunks=500, random_state=0)
    assert isinstance(X, dd.DataFrame) and isinstance(y, dd.Series)
    assert X.npartitions == 4
    assert list(X.columns) == ["x0", "x1", "x2", "visits", "region", "plan", "signup"]
    assert isinstance(X.dtypes["region"], pd.CategoricalDtype)
    assert pd.api.types.is_string_dtype(X.dtypes["plan"])
    assert pd.api.types.is_datetime64_any_dtype(X.dtypes["signup"])
    frame, target = client.compute([X, y], sync=True)
    assert len(frame) == 2000 and frame.index.is_unique
    again = datasets.make_classification_df(2000, n_features=3, chunks=500, random_state=0)[0]
    pd.testing.assert_frame_equal(frame, again.compute(scheduler="sync"))
    assert 0.2 < target.mean() < 0.8


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_informative"):
        datasets.make_classification(100, 3, n_informative=5)
    with pytest.raises(ValueError, match="n_classes"):
        datasets.make_classification(100, 3, n_classes=1)
    with pytest.raises(ValueError, match="n_samples"):
        datasets.make_regression(0, 3, n_informative=2)
    with pytest.raises(ValueError, match="do not add up"):
        datasets.make_blobs(100, chunks=(30, 30, 30))
    with pytest.raises(ValueError, match="positive"):
        datasets.make_counts(100, 3, chunks=0)
    with pytest.raises(ValueError, match="response_rate"):
        datasets.make_classification_df(100, response_rate=1.5)
