"""TruncatedSVD against scikit-learn on every input kind and scheduler; shapes; errors."""

from __future__ import annotations

import pickle

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pytest
import sklearn.decomposition as skd
from support import output_type

import dasklearn._passes as KM
from dasklearn.decomposition import TruncatedSVD
from dasklearn.exceptions import InvalidParameterError


def _data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.normal(size=(d, d)))[0]
    return rng.normal(size=(n, d)) * np.linspace(3.0, 0.5, d) @ basis + 2.0


@pytest.fixture(scope="module")
def tall():
    return _data(500, 10)


def _values(out):
    return out.compute() if dask.is_dask_collection(out) else np.asarray(out)


def _sklearn(algorithm, X, k=3, **params):
    name = "arpack" if algorithm == "tsqr" else algorithm
    return skd.TruncatedSVD(k, algorithm=name, random_state=0, **params).fit(X)


def _assert_equal(model, sk, atol=1e-9):
    np.testing.assert_allclose(model.components_, sk.components_, atol=atol)
    np.testing.assert_allclose(model.singular_values_, sk.singular_values_, rtol=atol)
    np.testing.assert_allclose(model.explained_variance_, sk.explained_variance_, rtol=1e-8)
    np.testing.assert_allclose(
        model.explained_variance_ratio_, sk.explained_variance_ratio_, rtol=1e-8
    )


@pytest.mark.parametrize("algorithm", ["tsqr", "randomized"])
def test_matches_sklearn(tall, input_kind, as_kind, scheduler, algorithm):
    Xk = as_kind(input_kind, tall, chunks=100)
    model = TruncatedSVD(3, algorithm=algorithm, random_state=0).fit(Xk)
    sk = _sklearn(algorithm, tall)
    _assert_equal(model, sk)
    # n_iter=5: 6 passes, and one for the variance of the projections
    assert model.n_passes_ == (7 if algorithm == "randomized" else 1)
    out = model.transform(Xk)
    assert isinstance(out, output_type(input_kind, 2))
    np.testing.assert_allclose(_values(out), sk.transform(tall), atol=1e-9)
    back = model.inverse_transform(out)
    np.testing.assert_allclose(_values(back), sk.inverse_transform(sk.transform(tall)), atol=1e-9)
    if input_kind == "dask_dataframe":
        assert list(out.columns) == ["truncatedsvd0", "truncatedsvd1", "truncatedsvd2"]
        assert list(back.columns) == [f"x{i}" for i in range(10)]


@pytest.mark.parametrize("shape", [(30, 200), (400, 300)])
def test_short_fat_and_non_skinny(shape, as_kind, input_kind):
    X = _data(*shape, seed=1)
    Xk = as_kind(input_kind, X, chunks=100 if shape[0] > 100 else 12)
    _assert_equal(TruncatedSVD(4).fit(Xk), _sklearn("tsqr", X, 4), atol=1e-8)
    randomized = TruncatedSVD(4, algorithm="randomized", n_iter=7, random_state=0).fit(Xk)
    sk = _sklearn("randomized", X, 4, n_iter=7)
    if shape[0] >= shape[1]:  # the same sketch as scikit-learn's
        _assert_equal(randomized, sk, atol=1e-8)
    else:  # scikit-learn sketches the rows of short-fat data: compare the spectra
        np.testing.assert_allclose(randomized.singular_values_, sk.singular_values_, rtol=0.02)


def test_same_random_state_same_components_on_threads_and_cluster(tall, client):
    X = da.from_array(tall, chunks=100)
    model = TruncatedSVD(3, algorithm="randomized", n_iter=2, random_state=5)
    on_cluster = model.fit(X).components_
    with dask.config.set(scheduler="threads"):
        on_threads = TruncatedSVD(3, algorithm="randomized", n_iter=2, random_state=5).fit(X)
    # the same sketch: equal up to rounding (BLAS sums in an order that follows alignment)
    np.testing.assert_allclose(on_cluster, on_threads.components_, rtol=1e-12, atol=1e-14)


def test_float32_and_fit_transform(tall):
    X = tall.astype(np.float32)
    model = TruncatedSVD(3)
    out = model.fit_transform(da.from_array(X, chunks=100))
    assert model.components_.dtype == np.float32 and out.dtype == np.float32
    sk = _sklearn("tsqr", tall)
    np.testing.assert_allclose(model.components_, sk.components_, atol=1e-5)
    np.testing.assert_allclose(out.compute(), sk.transform(tall), rtol=1e-4, atol=1e-4)


def test_pickle(tall):
    model = TruncatedSVD(2).fit(dd.from_array(tall, chunksize=100))
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.transform(tall), model.transform(tall))


@pytest.fixture
def no_pass(monkeypatch):
    def refuse(*graphs):
        raise AssertionError("a pass over the data ran before the error")

    monkeypatch.setattr(KM, "compute", refuse)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"n_components": 11, "algorithm": "randomized"}, ValueError, "n_features=10"),
        ({"n_components": 11}, ValueError, r"min\(n_samples, n_features\)=10"),
        ({"n_components": 0}, InvalidParameterError, "n_components"),
        ({"algorithm": "lanczos"}, InvalidParameterError, "algorithm"),
        ({"n_iter": -1}, InvalidParameterError, "n_iter"),
    ],
)
def test_errors_before_any_pass(tall, no_pass, params, error, match):
    with pytest.raises(error, match=match):
        TruncatedSVD(**params).fit(da.from_array(tall, chunks=100))


def test_one_feature_is_refused(no_pass):
    with pytest.raises(ValueError, match="1 feature"):
        TruncatedSVD(1).fit(np.ones((10, 1)))


@pytest.mark.parametrize("algorithm", ["tsqr", "randomized"])
def test_nan_is_reported_in_the_first_pass(tall, monkeypatch, algorithm):
    X = tall.copy()
    X[7, 3] = np.nan
    passes = []
    original = KM.compute

    def counting(*graphs):
        passes.append(1)
        return original(*graphs)

    monkeypatch.setattr(KM, "compute", counting)
    with pytest.raises(ValueError, match="NaN or infinity"):
        TruncatedSVD(2, algorithm=algorithm).fit(da.from_array(X, chunks=100))
    assert len(passes) == 1
