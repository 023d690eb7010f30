"""Pairwise distances and kernels by row blocks of X: scikit-learn's values, X's row chunks."""

from __future__ import annotations

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import sklearn.metrics.pairwise as skp

from dasklearn.metrics import (
    euclidean_distances,
    linear_kernel,
    pairwise_distances,
    pairwise_distances_argmin_min,
    pairwise_kernels,
    polynomial_kernel,
    rbf_kernel,
    sigmoid_kernel,
)

RTOL = 1e-12
CHUNKS = 13


def data(n=60, m=7, d=4, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype(dtype), rng.normal(size=(m, d)).astype(dtype)


def as_kind(kind, X):
    if kind == "numpy":
        return X
    if kind == "pandas":
        return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    if kind == "dask_array":
        return da.from_array(X, chunks=(CHUNKS, X.shape[1]))
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    return dd.from_pandas(frame, npartitions=-(-len(X) // CHUNKS), sort=False)


def check_blockwise(got, expected, kind, rtol=RTOL):
    if kind in ("dask_array", "dask_dataframe"):
        assert isinstance(got, da.Array)
        assert got.numblocks[1] == 1
        if kind == "dask_array":
            assert got.chunks[0] == da.empty(len(expected), chunks=CHUNKS).chunks[0]
        got = got.compute()
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=0)


KINDS = ("numpy", "pandas", "dask_array", "dask_dataframe")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "metric", ["euclidean", "manhattan", "cosine", "correlation", "minkowski", "callable"]
)
def test_pairwise_distances_match_sklearn(kind, metric):
    X, Y = data()
    if metric == "callable":
        metric = _chebyshev
    kwargs = {"p": 3} if metric == "minkowski" else {}
    expected = skp.pairwise_distances(X, Y, metric=metric, **kwargs)
    got = pairwise_distances(as_kind(kind, X), Y, metric=metric, **kwargs)
    check_blockwise(got, expected, kind)


def _chebyshev(a, b):
    return np.abs(a - b).max()


@pytest.mark.parametrize("kind", ["dask_array", "dask_dataframe"])
@pytest.mark.parametrize("metric", ["euclidean", "cosine", "cityblock", "correlation"])
def test_distances_of_x_to_itself_are_zero_on_the_diagonal(kind, metric):
    X, _ = data()
    expected = skp.pairwise_distances(X, metric=metric)
    got = pairwise_distances(as_kind(kind, X), metric=metric).compute()
    assert np.all(np.diag(got) == 0)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=1e-13)


def test_euclidean_distances_options():
    X, Y = data()
    Xd = as_kind("dask_array", X)
    x_norms, y_norms = (X**2).sum(axis=1), (Y**2).sum(axis=1)
    expected = skp.euclidean_distances(X, Y, squared=True, Y_norm_squared=y_norms)
    check_blockwise(
        euclidean_distances(Xd, Y, squared=True, Y_norm_squared=y_norms), expected, "dask_array"
    )
    expected = skp.euclidean_distances(X, Y, X_norm_squared=x_norms)
    for norms in (x_norms, x_norms[:, None], da.from_array(x_norms, chunks=20)):
        got = euclidean_distances(Xd, Y, X_norm_squared=norms)
        check_blockwise(got, expected, "dask_array")
    got = euclidean_distances(Xd, X_norm_squared=x_norms).compute()
    np.testing.assert_allclose(
        got, skp.euclidean_distances(X, X_norm_squared=x_norms), rtol=RTOL, atol=1e-13
    )
    assert np.all(np.diag(got) == 0)


def test_float32_stays_float32():
    X, Y = data(dtype=np.float32)
    got = euclidean_distances(as_kind("dask_array", X), Y)
    expected = skp.euclidean_distances(X, Y)
    assert got.dtype == expected.dtype == np.float32
    np.testing.assert_allclose(got.compute(), expected, rtol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("ours", "theirs", "kwargs"),
    [
        (rbf_kernel, skp.rbf_kernel, {"gamma": 0.3}),
        (linear_kernel, skp.linear_kernel, {}),
        (polynomial_kernel, skp.polynomial_kernel, {"degree": 2, "coef0": 0.5}),
        (sigmoid_kernel, skp.sigmoid_kernel, {"gamma": 0.1}),
    ],
)
def test_kernels_match_sklearn(kind, ours, theirs, kwargs):
    X, Y = data()
    check_blockwise(ours(as_kind(kind, X), Y, **kwargs), theirs(X, Y, **kwargs), kind)
    self_kernel = ours(as_kind(kind, X), **kwargs)
    got = self_kernel.compute() if kind.startswith("dask") else self_kernel
    np.testing.assert_allclose(got, theirs(X, **kwargs), rtol=RTOL, atol=1e-14)
    if ours is rbf_kernel:
        assert np.all(np.diag(got) == 1.0)


@pytest.mark.parametrize("metric", ["linear", "rbf", "poly", "laplacian", "cosine", "chi2"])
def test_pairwise_kernels_match_sklearn(metric):
    X, Y = data()
    X, Y = np.abs(X), np.abs(Y)  # chi2 takes non-negative data
    expected = skp.pairwise_kernels(X, Y, metric=metric)
    check_blockwise(
        pairwise_kernels(as_kind("dask_array", X), Y, metric=metric), expected, "dask_array"
    )
    got = pairwise_kernels(as_kind("dask_array", X), metric=metric, filter_params=True).compute()
    np.testing.assert_allclose(got, skp.pairwise_kernels(X, metric=metric), rtol=RTOL, atol=1e-14)


def test_precomputed_is_returned_as_is():
    D = np.abs(data()[0])
    got = pairwise_distances(as_kind("dask_array", D), metric="precomputed")
    np.testing.assert_array_equal(got.compute(), D)


def test_dask_y_is_read_as_one_block(scheduler):
    X, Y = data()
    got = pairwise_distances(as_kind("dask_array", X), da.from_array(Y, chunks=3))
    check_blockwise(got, skp.pairwise_distances(X, Y), "dask_array")
    got = rbf_kernel(as_kind("dask_dataframe", X), as_kind("dask_dataframe", Y))
    check_blockwise(got, skp.rbf_kernel(X, Y), "dask_dataframe")


def test_data_dependent_metric_parameters_must_be_given():
    X, _ = data()
    with pytest.raises(ValueError, match="'V' parameter"):
        pairwise_distances(as_kind("dask_array", X), metric="seuclidean")
    V = X.var(axis=0, ddof=1)
    got = pairwise_distances(as_kind("dask_array", X), metric="seuclidean", V=V).compute()
    np.testing.assert_allclose(got, skp.pairwise_distances(X, metric="seuclidean"), atol=1e-12)


def test_mismatched_features_raise():
    X, Y = data()
    with pytest.raises(ValueError, match="Incompatible dimension"):
        pairwise_distances(as_kind("dask_array", X), Y[:, :2])


def test_empty_block_and_unknown_chunks(scheduler):
    X, Y = data()
    Xd = da.from_array(X, chunks=((20, 0, 40), (4,)))
    check_blockwise(rbf_kernel(Xd, Y), skp.rbf_kernel(X, Y), "numpy")
    keep = X[:, 0] > 0
    Xf = Xd[Xd[:, 0] > 0]
    assert np.isnan(Xf.shape[0])
    np.testing.assert_allclose(
        pairwise_distances(Xf, Y).compute(), skp.pairwise_distances(X[keep], Y), rtol=RTOL
    )
    got = euclidean_distances(Xf).compute()  # X itself, lengths found first
    np.testing.assert_allclose(got, skp.euclidean_distances(X[keep]), rtol=RTOL, atol=1e-13)


# --------------------------------------------------------------------------------------------
# argmin / min
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("axis", [0, 1])
def test_argmin_min_matches_sklearn(kind, axis):
    X, Y = data()
    X[5] = X[40]  # a tie across blocks for axis=0: the first row wins
    Y[2] = X[40]
    expected_index, expected_dist = skp.pairwise_distances_argmin_min(X, Y, axis=axis)
    index, dist = pairwise_distances_argmin_min(as_kind(kind, X), Y, axis=axis)
    if kind.startswith("dask"):
        assert isinstance(index, da.Array) and isinstance(dist, da.Array)
        if axis == 1 and kind == "dask_array":
            assert index.chunks == (da.empty(len(X), chunks=CHUNKS).chunks[0],)
        index, dist = dask.compute(index, dist)
    assert index.dtype == expected_index.dtype
    np.testing.assert_array_equal(index, expected_index)
    np.testing.assert_allclose(dist, expected_dist, rtol=RTOL, atol=1e-13)


@pytest.mark.parametrize("axis", [0, 1])
def test_argmin_min_with_metric_empty_block_and_scheduler(scheduler, axis):
    X, Y = data()
    Xd = da.from_array(X, chunks=((20, 0, 40), (4,)))
    kwargs = {"metric": "minkowski", "metric_kwargs": {"p": 1.5}}
    expected = skp.pairwise_distances_argmin_min(X, Y, axis=axis, **kwargs)
    got = dask.compute(*pairwise_distances_argmin_min(Xd, Y, axis=axis, **kwargs))
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_allclose(got[1], expected[1], rtol=RTOL)
