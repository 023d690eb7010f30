"""PCA against scikit-learn on every input kind, scheduler, solver and shape; errors; streaming."""

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
import sklearn.decomposition as skd
from distributed import Client
from distributed.diagnostics.plugin import WorkerPlugin
from sklearn.exceptions import NotFittedError
from support import output_type

import dasklearn._passes as KM
from dasklearn._client import local_cluster
from dasklearn.decomposition import PCA
from dasklearn.exceptions import InvalidParameterError

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/

#: Exact routes agree with scikit-learn's LAPACK SVD to rounding (measured: ~1e-14).
EXACT = 1e-9


def _data(n, d, seed=0, offset=5.0):
    rng = np.random.default_rng(seed)
    scales = np.linspace(3.0, 0.5, d)  # distinct variances: components well defined
    basis = np.linalg.qr(rng.normal(size=(d, d)))[0]
    return rng.normal(size=(n, d)) * scales @ basis + offset


@pytest.fixture(scope="module")
def tall():
    return _data(600, 8)


def _values(out):
    return out.compute() if dask.is_dask_collection(out) else np.asarray(out)


def _assert_fit_equal(model, sk, atol=EXACT, rows=None):
    """``rows``: compare only the leading components (the others span the null space)."""
    assert model.n_components_ == sk.n_components_
    np.testing.assert_allclose(model.components_[:rows], sk.components_[:rows], atol=atol)
    top = sk.explained_variance_.max(initial=0.0)  # null directions: zero up to rounding
    np.testing.assert_allclose(
        model.explained_variance_, sk.explained_variance_, rtol=atol, atol=1e-12 * top
    )
    np.testing.assert_allclose(
        model.explained_variance_ratio_, sk.explained_variance_ratio_, rtol=atol, atol=1e-15
    )
    np.testing.assert_allclose(
        model.singular_values_, sk.singular_values_, rtol=atol, atol=1e-12 * np.sqrt(top)
    )
    np.testing.assert_allclose(model.mean_, sk.mean_, rtol=1e-12)
    np.testing.assert_allclose(model.noise_variance_, sk.noise_variance_, rtol=1e-7, atol=1e-12)


# --------------------------------------------------------------------------------------------
# against scikit-learn
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["covariance_eigh", "full", "randomized"])
def test_matches_sklearn(tall, input_kind, as_kind, scheduler, solver):
    X = tall
    Xk = as_kind(input_kind, X, chunks=100)
    model = PCA(3, svd_solver=solver, random_state=0).fit(Xk)
    sk = skd.PCA(3, svd_solver=solver, random_state=0).fit(X)
    _assert_fit_equal(model, sk)
    assert model.n_passes_ == (5 if solver == "randomized" else 1)  # iterated_power 4 -> 5
    out = model.transform(Xk)
    assert isinstance(out, output_type(input_kind, 2))
    np.testing.assert_allclose(_values(out), sk.transform(X), atol=1e-9)
    if input_kind in ("pandas", "dask_dataframe"):
        assert list(model.feature_names_in_) == [f"x{i}" for i in range(8)]
    if input_kind == "dask_dataframe":
        assert list(out.columns) == ["pca0", "pca1", "pca2"]
        assert out.npartitions == Xk.npartitions


@pytest.mark.parametrize("n_components", [None, 0, 5, 0.95, "mle"])
@pytest.mark.parametrize("solver", ["covariance_eigh", "full"])
def test_n_components_forms(tall, n_components, solver):
    model = PCA(n_components, svd_solver=solver).fit(da.from_array(tall, chunks=150))
    sk = skd.PCA(n_components, svd_solver=solver).fit(tall)
    _assert_fit_equal(model, sk)
    assert isinstance(model.n_components_, int)


def test_short_fat(as_kind, input_kind):
    rng = np.random.default_rng(1)  # 10 strong directions in 600 features, and noise
    signal = rng.normal(size=(40, 10)) * np.linspace(30, 10, 10) @ rng.normal(size=(10, 600))
    X = signal + rng.normal(size=(40, 600))
    Xk = as_kind(input_kind, X, chunks=15)
    exact = skd.PCA(5, svd_solver="full").fit(X)
    for solver, k in [("full", None), ("covariance_eigh", 5), ("auto", 5)]:
        model = PCA(k, svd_solver=solver, random_state=0).fit(Xk)
        sk = skd.PCA(k, svd_solver=solver, random_state=0).fit(X)
        if solver == "auto":  # randomized on both sides (scikit-learn sketches the rows)
            assert model._fit_svd_solver == sk._fit_svd_solver == "randomized"
            _assert_fit_equal(model, exact, atol=1e-6)
            continue
        # centred 40-row data has rank 39: the 40th component is any null direction
        _assert_fit_equal(model, sk, atol=1e-8, rows=39)


def test_large_non_skinny_is_randomized_as_sklearn(as_kind, input_kind):
    """(600, 520): 'auto' picks the randomized solver on both sides, with the same sketch."""
    X = _data(600, 520, seed=2)
    model = PCA(5, random_state=3).fit(as_kind(input_kind, X, chunks=150))
    sk = skd.PCA(5, random_state=3).fit(X)
    assert model._fit_svd_solver == sk._fit_svd_solver == "randomized"
    assert model.n_passes_ == 8  # iterated_power="auto" -> 7 power iterations
    _assert_fit_equal(model, sk, atol=1e-8)


@pytest.mark.parametrize(
    "shape, n_components",
    [((600, 8), 3), ((40, 300), 3), ((600, 520), 5), ((600, 520), None), ((120, 60), "mle")],
)
def test_auto_route_follows_sklearn(shape, n_components):
    X = _data(*shape, seed=8)
    model = PCA(n_components, random_state=0).fit(X)
    sk = skd.PCA(n_components, random_state=0).fit(X)
    assert model._fit_svd_solver == sk._fit_svd_solver
    assert model.n_components_ == sk.n_components_
    # 'mle' on large data: exact (scikit-learn's own MLE loop takes minutes at 520 features)
    assert PCA("mle")._route(600, 520) == ("mle", "full")


def test_same_random_state_same_components_on_threads_and_cluster(tall, client):
    X = da.from_array(_data(900, 60, seed=4), chunks=100)
    on_cluster = PCA(4, svd_solver="randomized", iterated_power=2, random_state=7).fit(X)
    with dask.config.set(scheduler="threads"):
        on_threads = PCA(4, svd_solver="randomized", iterated_power=2, random_state=7).fit(X)
    # the same sketch: equal up to rounding (BLAS sums in an order that follows alignment)
    np.testing.assert_allclose(on_cluster.components_, on_threads.components_, atol=1e-13)
    np.testing.assert_allclose(on_cluster.singular_values_, on_threads.singular_values_, rtol=1e-13)


@pytest.mark.parametrize("solver", ["covariance_eigh", "full", "randomized"])
def test_large_partials_are_merged_in_a_tree(tall, monkeypatch, scheduler, solver):
    import dasklearn._passes as P

    monkeypatch.setattr(P, "GATHER_BYTES", 0)  # every pass merges on the workers, fan-in 8
    model = PCA(3, svd_solver=solver, random_state=0).fit(da.from_array(tall, chunks=20))
    _assert_fit_equal(model, skd.PCA(3, svd_solver=solver, random_state=0).fit(tall))


def test_far_from_the_origin_keeps_its_precision():
    """Columns at 1e8 with unit spread: every block is centred on its own mean before any
    product, so the covariance route keeps the components of the centred data."""
    X = _data(5000, 6, seed=5, offset=0.0)
    reference = skd.PCA(svd_solver="full").fit(X)
    for solver in ("covariance_eigh", "full", "randomized"):
        model = PCA(svd_solver=solver, random_state=0).fit(da.from_array(X + 1e8, chunks=700))
        np.testing.assert_allclose(
            np.abs(model.components_), np.abs(reference.components_), atol=1e-6
        )
        np.testing.assert_allclose(
            model.explained_variance_, reference.explained_variance_, rtol=1e-6
        )


def test_float32(tall, as_kind, input_kind):
    X = tall.astype(np.float32)
    model = PCA(3).fit(as_kind(input_kind, X, chunks=100))
    sk = skd.PCA(3, svd_solver="full").fit(X.astype(np.float64))
    for name in ("components_", "explained_variance_", "mean_", "singular_values_"):
        assert getattr(model, name).dtype == np.float32
    assert model.noise_variance_.dtype == np.float32
    np.testing.assert_allclose(model.components_, sk.components_, atol=1e-5)
    assert (
        np.asarray(_values(model.transform(as_kind(input_kind, X, chunks=100)))).dtype == np.float32
    )


# --------------------------------------------------------------------------------------------
# methods
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("whiten", [False, True])
def test_methods_match_sklearn(tall, input_kind, as_kind, whiten):
    X = tall
    Xk = as_kind(input_kind, X, chunks=100)
    model = PCA(4, whiten=whiten).fit(Xk)
    sk = skd.PCA(4, whiten=whiten).fit(X)
    Z = model.transform(Xk)
    np.testing.assert_allclose(_values(Z), sk.transform(X), atol=1e-9)
    back = model.inverse_transform(Z)
    assert isinstance(back, output_type(input_kind, 2))
    np.testing.assert_allclose(_values(back), sk.inverse_transform(sk.transform(X)), atol=1e-9)
    if input_kind == "dask_dataframe":
        assert list(back.columns) == [f"x{i}" for i in range(8)]
    np.testing.assert_allclose(model.get_covariance(), sk.get_covariance(), atol=1e-10)
    np.testing.assert_allclose(model.get_precision(), sk.get_precision(), atol=1e-9)
    np.testing.assert_allclose(_values(model.score_samples(Xk)), sk.score_samples(X), rtol=1e-10)
    np.testing.assert_allclose(model.score(Xk), sk.score(X), rtol=1e-10)
    np.testing.assert_allclose(_values(model.fit_transform(Xk)), sk.transform(X), atol=1e-9)


def test_output_containers(tall):
    frame = pd.DataFrame(tall, columns=[f"f{i}" for i in range(8)], index=np.arange(600) + 7)
    model = PCA(2).set_output(transform="pandas").fit(frame)
    out = model.transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["pca0", "pca1"] and (out.index == frame.index).all()
    assert list(model.get_feature_names_out()) == ["pca0", "pca1"]
    ddf = dd.from_pandas(frame, npartitions=4)
    lazy = PCA(2).fit(ddf).transform(ddf)
    assert isinstance(lazy, dd.DataFrame) and list(lazy.columns) == ["pca0", "pca1"]
    pd.testing.assert_index_equal(lazy.compute().index, frame.index)


def test_pickle_roundtrip(tall):
    model = PCA(3).fit(da.from_array(tall, chunks=100))
    again = pickle.loads(pickle.dumps(model))
    for name, value in vars(model).items():
        if name.endswith("_"):
            assert not dask.is_dask_collection(value)
    np.testing.assert_array_equal(again.transform(tall), model.transform(tall))


def test_unknown_chunk_sizes(tall):
    X = da.from_array(tall, chunks=100)
    X = X[X[:, 0] > -np.inf]  # same rows, unknown chunk sizes
    assert np.isnan(X.shape[0])
    model = PCA(3).fit(X)
    _assert_fit_equal(model, skd.PCA(3).fit(tall))


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------


@pytest.fixture
def no_pass(monkeypatch):
    """Fail the test if a pass over the data starts."""

    def refuse(*graphs):
        raise AssertionError("a pass over the data ran before the error")

    monkeypatch.setattr(KM, "compute", refuse)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"n_components": 9}, ValueError, r"between 0 and min\(n_samples, n_features\)=8"),
        ({"n_components": 601, "svd_solver": "full"}, ValueError, "=8"),
        ({"n_components": 0, "svd_solver": "randomized"}, ValueError, "between 1 and"),
        ({"n_components": "mle", "svd_solver": "randomized"}, ValueError, "exact solver"),
        ({"n_components": 0.5, "svd_solver": "randomized"}, ValueError, "exact solver"),
        ({"n_components": -1}, InvalidParameterError, "n_components"),
        ({"n_components": 1.5}, InvalidParameterError, "n_components"),
        ({"svd_solver": "arpack"}, InvalidParameterError, "svd_solver"),
        ({"iterated_power": -1}, InvalidParameterError, "iterated_power"),
        ({"n_oversamples": 0}, InvalidParameterError, "n_oversamples"),
    ],
)
@pytest.mark.parametrize("kind", ["numpy", "dask_array", "dask_dataframe"])
def test_errors_before_any_pass(tall, as_kind, no_pass, kind, params, error, match):
    with pytest.raises(error, match=match):
        PCA(**params).fit(as_kind(kind, tall, chunks=100))


def test_mle_needs_more_rows_than_columns(no_pass):
    with pytest.raises(ValueError, match="n_samples >= n_features"):
        PCA("mle").fit(da.from_array(_data(20, 30), chunks=10))


@pytest.mark.parametrize("kind", ["numpy", "dask_array", "dask_dataframe"])
@pytest.mark.parametrize("solver", ["covariance_eigh", "full", "randomized"])
def test_nan_is_reported_in_the_first_pass(tall, as_kind, monkeypatch, kind, solver):
    X = tall.copy()
    X[321, 4] = np.nan
    passes = []
    original = KM.compute

    def counting(*graphs):
        passes.append(1)
        return original(*graphs)

    monkeypatch.setattr(KM, "compute", counting)
    with pytest.raises(ValueError, match="NaN or infinity"):
        PCA(3, svd_solver=solver).fit(as_kind(kind, X, chunks=100))
    assert len(passes) == 1


def test_unfitted_and_bad_input_after_fit(tall):
    with pytest.raises(NotFittedError):
        PCA(2).transform(tall)
    model = PCA(2).fit(tall)
    with pytest.raises(ValueError, match="8 features"):
        model.transform(tall[:, :5])
    with pytest.raises(ValueError, match="2 columns"):
        model.inverse_transform(tall)
    bad = tall.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.transform(bad)
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.score(da.from_array(bad, chunks=100))


def test_one_sample_is_refused():
    with pytest.raises(ValueError, match="1 sample"):
        PCA().fit(np.ones((1, 3)))


# --------------------------------------------------------------------------------------------
# larger than the cluster's memory
# --------------------------------------------------------------------------------------------


class PeakMemory(WorkerPlugin):
    """The most managed memory (bytes of task results held) a worker ever had."""

    name = "peak-memory"

    def setup(self, worker):
        self.worker = worker
        self.peak = 0

    def transition(self, key, start, finish, **kwargs):
        self.peak = max(self.peak, self.worker.state.nbytes)


def _peak_managed(dask_worker):
    return dask_worker.plugins["peak-memory"].peak


@pytest.mark.slow
def test_parquet_four_times_the_workers_memory_is_streamed(tmp_path):
    """48 MB of parquet; each of the 2 workers may hold 12 MB (a quarter of the data): every
    pass streams the dataset, the workers' managed memory stays under the limit, and the fit
    equals the in-memory one."""
    X = da.from_array(_data(600_000, 10, seed=6), chunks=(10_000, 10))
    frame = dd.from_dask_array(X, columns=[f"f{i}" for i in range(10)])
    with dask.config.set(scheduler="threads"):
        frame.to_parquet(str(tmp_path / "data"), write_index=False)
        in_memory = dd.read_parquet(str(tmp_path / "data")).compute().to_numpy()
    limit = in_memory.nbytes // 4
    memory = {
        "distributed.worker.memory.target": 0.9,
        "distributed.worker.memory.spill": False,  # a worker process's baseline is above 12 MB:
        "distributed.worker.memory.pause": False,  # the limit is for managed memory (results
        "distributed.worker.memory.terminate": False,  # held), traced at every transition
    }
    with (
        dask.config.set(memory),
        local_cluster(
            n_workers=2, threads_per_worker=1, memory_limit=limit, dashboard=False
        ) as cluster,
        Client(cluster) as client,
    ):
        client.register_plugin(PeakMemory())
        source = dd.read_parquet(str(tmp_path / "data"))
        exact = PCA(4).fit(source)
        randomized = PCA(4, svd_solver="randomized", iterated_power=2, random_state=0).fit(source)
        peaks = client.run(_peak_managed)
    assert exact.n_passes_ == 1 and randomized.n_passes_ == 3
    assert max(peaks.values()) < 0.9 * limit
    _assert_fit_equal(exact, skd.PCA(4).fit(in_memory))
    reference = skd.PCA(4, svd_solver="randomized", iterated_power=2, random_state=0)
    _assert_fit_equal(randomized, reference.fit(in_memory), atol=1e-8)


@pytest.mark.parametrize("offset", [0.0, 3.0, 1e8])
@pytest.mark.parametrize(
    "shape, dtype",
    [
        ((20_000, 6), np.float64),
        ((20_001, 20), np.float64),
        ((37, 9), np.float64),
        ((5_000, 1), np.float64),
        ((9_999, 13), np.float32),
    ],
)
def test_block_gram_near_and_far_from_the_origin(offset, shape, dtype):
    """The centred Gram of a block (each tile of rows about its own mean, then the scatter
    between tile means) as the exact scatter of the block, also far from the origin, where
    raw products would cancel; any width (the compiled Gram's 4 x 4 blocks and the columns
    after them), a short last tile, float32."""
    from dasklearn.decomposition._kernels import gram_block

    rng = np.random.default_rng(0)
    Xin = rng.standard_normal(shape) + offset
    Xin[len(Xin) // 2 :] += 1e6 * (offset > 1e3)  # the far case drifts further within the block
    Xin = Xin.astype(dtype)
    X = Xin.astype(np.float64)
    n, mean, M = gram_block(Xin)
    Xc = X - X.mean(axis=0)
    expected = np.einsum("ij,ik->jk", Xc, Xc)  # float64 sums, as the reference
    assert n == len(X)
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=1e-14, atol=1e-14)
    scale = np.abs(expected).max()  # raw products keep digits relative to the whole matrix
    np.testing.assert_allclose(M, expected, rtol=0, atol=(1e-9 if offset > 1e3 else 1e-13) * scale)
