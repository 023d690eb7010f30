"""StandardScaler, MinMaxScaler and RobustScaler against scikit-learn on every input kind."""

from __future__ import annotations

import contextlib
import pickle
import sys

import cloudpickle
import dask
import dask.array as da
import dask.dataframe as dd
import dask.threaded
import numpy as np
import pandas as pd
import pytest
import sklearn.preprocessing as skp
from distributed import Client
from distributed.diagnostics.plugin import WorkerPlugin
from sklearn.exceptions import NotFittedError
from support import output_type

import dasklearn._passes as PASSES
from dasklearn._client import local_cluster
from dasklearn.exceptions import InvalidParameterError
from dasklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/

RTOL = 1e-10


def _data(n=300, d=4, seed=0, nan=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * np.array([1.0, 10.0, 0.01, 3.0])[:d] + [5, -2, 0, 100][:d]
    X[:, 1] = np.round(X[:, 1])  # ties
    if nan:
        X[rng.random((n, d)) < 0.1] = np.nan
    return X


@contextlib.contextmanager
def counting_scheduler():
    """Dask's threaded scheduler, recording every graph it runs (validation passes included)."""
    calls = []

    def get(dsk, keys, **kwargs):
        calls.append(1)
        return dask.threaded.get(dsk, keys, **kwargs)

    with dask.config.set(scheduler=get):
        yield calls


def _values(out):
    return np.asarray(out.compute() if dask.is_dask_collection(out) else out)


def _check_transform(model, sk, Xk, X, kind):
    out = model.transform(Xk)
    assert isinstance(out, output_type(kind, 2))
    np.testing.assert_allclose(_values(out), sk.transform(X), rtol=RTOL, atol=1e-12)
    back = model.inverse_transform(out)
    assert isinstance(back, output_type(kind, 2))
    np.testing.assert_allclose(_values(back), X, rtol=1e-9, atol=1e-9)
    if kind == "dask_dataframe":
        assert list(out.columns) == list(Xk.columns)
        assert out.npartitions == Xk.npartitions
        pd.testing.assert_index_equal(out.compute().index, Xk.compute().index)


# --------------------------------------------------------------------------------------------
# StandardScaler
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("nan", [False, True])
def test_standard_scaler_matches_sklearn(input_kind, as_kind, scheduler, nan):
    X = _data(nan=nan)
    sk = skp.StandardScaler().fit(X)
    Xk = as_kind(input_kind, X, chunks=70)
    model = StandardScaler().fit(Xk)
    for name in ("mean_", "var_", "scale_"):
        np.testing.assert_allclose(getattr(model, name), getattr(sk, name), rtol=RTOL)
        assert type(getattr(model, name)) is np.ndarray
    np.testing.assert_array_equal(model.n_samples_seen_, sk.n_samples_seen_)
    assert np.asarray(model.n_samples_seen_).dtype == np.asarray(sk.n_samples_seen_).dtype
    _check_transform(model, sk, Xk, X, input_kind)
    if nan:
        assert np.isnan(_values(model.transform(Xk))).sum() == np.isnan(X).sum()


@pytest.mark.parametrize("with_mean, with_std", [(True, False), (False, True), (False, False)])
def test_standard_scaler_options(input_kind, as_kind, with_mean, with_std):
    X = _data(nan=True)
    sk = skp.StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
    model = StandardScaler(with_mean=with_mean, with_std=with_std).fit(as_kind(input_kind, X))
    for name in ("mean_", "var_", "scale_"):
        expected = getattr(sk, name)
        if expected is None:
            assert getattr(model, name) is None
        else:
            np.testing.assert_allclose(getattr(model, name), expected, rtol=RTOL)
    np.testing.assert_array_equal(model.n_samples_seen_, sk.n_samples_seen_)
    np.testing.assert_allclose(
        _values(model.transform(as_kind(input_kind, X))), sk.transform(X), rtol=RTOL
    )


def test_standard_scaler_sample_weight(input_kind, scheduler):
    X = _data(nan=True)
    w = np.random.default_rng(3).uniform(0, 3, len(X))
    w[:10] = 0.0
    sk = skp.StandardScaler().fit(X, sample_weight=w)
    if input_kind == "dask_dataframe":
        frame = dd.from_pandas(pd.DataFrame(X, columns=list("abcd")).assign(w=w), npartitions=4)
        Xk, wk = frame[list("abcd")], frame["w"]
    elif input_kind == "dask_array":
        Xk, wk = da.from_array(X, chunks=(70, 4)), da.from_array(w, chunks=70)
    else:
        Xk, wk = (X if input_kind == "numpy" else pd.DataFrame(X)), w
    model = StandardScaler().fit(Xk, sample_weight=wk)
    for name in ("mean_", "var_", "scale_"):
        np.testing.assert_allclose(getattr(model, name), getattr(sk, name), rtol=RTOL)
    np.testing.assert_allclose(model.n_samples_seen_, sk.n_samples_seen_, rtol=RTOL)


def test_standard_scaler_dask_weights_checked_in_the_pass():
    X = da.from_array(_data(), chunks=(70, 4))
    w = da.from_array(np.r_[np.ones(299), -1.0], chunks=70)
    with pytest.raises(ValueError, match="non-negative"):
        StandardScaler().fit(X, sample_weight=w)


def test_standard_scaler_partial_fit(input_kind, as_kind):
    X = _data(nan=True)
    sk = skp.StandardScaler()
    model = StandardScaler()
    for part in (X[:100], X[100:130], X[130:]):
        sk.partial_fit(part)
        model.partial_fit(as_kind(input_kind, part, chunks=40))
    for name in ("mean_", "var_", "scale_"):
        np.testing.assert_allclose(getattr(model, name), getattr(sk, name), rtol=RTOL)
    np.testing.assert_array_equal(model.n_samples_seen_, sk.n_samples_seen_)


def test_standard_scaler_float32_and_constant_columns():
    X = _data().astype(np.float32)
    X[:, 2] = 0.1  # constant: scale 1, as scikit-learn
    sk = skp.StandardScaler().fit(X)
    model = StandardScaler().fit(da.from_array(X, chunks=(70, 4)))
    np.testing.assert_allclose(model.mean_, sk.mean_, rtol=1e-6)
    np.testing.assert_allclose(model.var_, sk.var_, rtol=1e-5)
    assert model.scale_[2] == 1.0 == sk.scale_[2]
    out = model.transform(da.from_array(X, chunks=(70, 4)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.compute(), sk.transform(X), rtol=1e-5, atol=1e-5)


def test_standard_scaler_fit_is_one_pass():
    """The fit reads a dask dataframe once: validation adds no pass, nor does NaN."""
    frame = dd.from_pandas(pd.DataFrame(_data(nan=True), columns=list("abcd")), npartitions=4)
    with counting_scheduler() as calls:
        StandardScaler().fit(frame)
    assert len(calls) == 1


# --------------------------------------------------------------------------------------------
# MinMaxScaler
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("feature_range, clip", [((0, 1), False), ((-2, 3), True)])
def test_minmax_scaler_matches_sklearn(input_kind, as_kind, scheduler, feature_range, clip):
    X = _data(nan=True)
    sk = skp.MinMaxScaler(feature_range=feature_range, clip=clip).fit(X)
    Xk = as_kind(input_kind, X, chunks=70)
    model = MinMaxScaler(feature_range=feature_range, clip=clip).fit(Xk)
    for name in ("data_min_", "data_max_", "data_range_", "scale_", "min_"):
        np.testing.assert_allclose(getattr(model, name), getattr(sk, name), rtol=RTOL)
    assert model.n_samples_seen_ == sk.n_samples_seen_
    _check_transform(model, sk, Xk, X, input_kind)
    held_out = as_kind(input_kind, X * 2 - 1, chunks=70)
    np.testing.assert_allclose(
        _values(model.transform(held_out)), sk.transform(X * 2 - 1), rtol=RTOL
    )


def test_minmax_scaler_partial_fit(input_kind, as_kind):
    X = _data(nan=True)
    sk, model = skp.MinMaxScaler(), MinMaxScaler()
    for part in (X[:100], X[100:]):
        sk.partial_fit(part)
        model.partial_fit(as_kind(input_kind, part, chunks=40))
    for name in ("data_min_", "data_max_", "scale_", "min_"):
        np.testing.assert_allclose(getattr(model, name), getattr(sk, name), rtol=RTOL)
    assert model.n_samples_seen_ == sk.n_samples_seen_


def test_minmax_scaler_bad_range():
    with pytest.raises(ValueError, match="Minimum of desired feature range"):
        MinMaxScaler(feature_range=(1, 0)).fit(_data())
    with pytest.raises(InvalidParameterError, match="feature_range"):
        MinMaxScaler(feature_range=[0, 1]).fit(_data())


# --------------------------------------------------------------------------------------------
# RobustScaler
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("quantile_range, unit_variance", [((25.0, 75.0), False), ((10, 95), True)])
def test_robust_scaler_matches_sklearn(
    input_kind, as_kind, scheduler, quantile_range, unit_variance
):
    X = _data(nan=True)
    kwargs = dict(quantile_range=quantile_range, unit_variance=unit_variance)
    sk = skp.RobustScaler(**kwargs).fit(X)
    Xk = as_kind(input_kind, X, chunks=70)
    model = RobustScaler(**kwargs).fit(Xk)
    np.testing.assert_allclose(model.center_, sk.center_, rtol=RTOL)
    np.testing.assert_allclose(model.scale_, sk.scale_, rtol=RTOL)
    _check_transform(model, sk, Xk, X, input_kind)


def test_robust_scaler_exact_in_three_passes_on_large_dask_input(monkeypatch, scheduler):
    """More rows than the sample: the bracket, the counts and the gathered intervals."""
    rng = np.random.default_rng(5)
    X = np.column_stack(
        [
            rng.standard_normal(30_000),
            rng.integers(0, 5, 30_000).astype(float),  # heavy ties: ranks on sampled values
            rng.exponential(size=30_000),
        ]
    )
    X[rng.random(X.shape) < 0.05] = np.nan
    passes = []
    original = PASSES.compute
    monkeypatch.setattr(PASSES, "compute", lambda *g: (passes.append(1), original(*g))[1])
    for kwargs in ({}, {"quantile_range": (1.0, 99.5)}):
        passes.clear()
        sk = skp.RobustScaler(**kwargs).fit(X)
        model = RobustScaler(**kwargs).fit(da.from_array(X, chunks=(4_000, 3)))
        np.testing.assert_allclose(model.center_, sk.center_, rtol=RTOL)
        np.testing.assert_allclose(model.scale_, sk.scale_, rtol=RTOL)
        assert len(passes) == 3


def test_robust_scaler_options(as_kind):
    X = _data(nan=True)
    for kwargs in ({"with_centering": False}, {"with_scaling": False}):
        sk = skp.RobustScaler(**kwargs).fit(X)
        model = RobustScaler(**kwargs).fit(as_kind("dask_array", X))
        for name in ("center_", "scale_"):
            if getattr(sk, name) is None:
                assert getattr(model, name) is None
        np.testing.assert_allclose(
            model.transform(as_kind("dask_array", X)).compute(), sk.transform(X), rtol=RTOL
        )
    with pytest.raises(ValueError, match="Invalid quantile range"):
        RobustScaler(quantile_range=(80, 20)).fit(X)


# --------------------------------------------------------------------------------------------
# all scalers: outputs, errors, pickling
# --------------------------------------------------------------------------------------------

SCALERS = [StandardScaler, MinMaxScaler, RobustScaler]


@pytest.mark.parametrize("cls", SCALERS)
def test_set_output_pandas(cls):
    X = pd.DataFrame(_data(), columns=list("abcd"), index=np.arange(300) * 2)
    model = cls().set_output(transform="pandas").fit(X)
    out = model.transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list("abcd")
    pd.testing.assert_index_equal(out.index, X.index)
    assert list(model.get_feature_names_out()) == list("abcd")
    assert isinstance(cls().fit(X).transform(X), np.ndarray)  # scikit-learn's default


@pytest.mark.parametrize("cls", SCALERS)
def test_infinity_refused_nan_kept(cls, input_kind, as_kind):
    X = _data()
    bad = X.copy()
    bad[7, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        cls().fit(as_kind(input_kind, bad))
    model = cls().fit(X)
    with pytest.raises(ValueError, match="infinity"):
        _values(model.transform(as_kind(input_kind, bad)))


@pytest.mark.parametrize("cls", SCALERS)
def test_dask_transform_checks_columns_before_any_work(cls):
    frame = dd.from_pandas(pd.DataFrame(_data(), columns=list("abcd")), npartitions=3)
    model = cls().fit(frame)
    with counting_scheduler() as calls:
        with pytest.raises(ValueError, match="feature names"):
            model.transform(frame.rename(columns={"a": "z"}))
        with pytest.raises(ValueError, match="features"):
            model.transform(frame[["a", "b", "c"]])
        with pytest.raises(ValueError, match="features"):
            model.transform(da.ones((10, 5), chunks=5))
        out = model.transform(frame)  # lazy
    assert isinstance(out, dd.DataFrame) and calls == []


@pytest.mark.parametrize("cls", SCALERS)
def test_unfitted_and_pickled(cls):
    with pytest.raises(NotFittedError):
        cls().transform(_data())
    model = cls().fit(da.from_array(_data(), chunks=(100, 4)))
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.transform(_data()), model.transform(_data()))
    for name, value in vars(model).items():
        if name.endswith("_") and value is not None:
            assert isinstance(value, np.ndarray | np.generic | int | float | str), name


def test_bad_parameters():
    with pytest.raises(InvalidParameterError, match="with_mean"):
        StandardScaler(with_mean="yes").fit(_data())
    with pytest.raises(InvalidParameterError, match="quantile_range"):
        RobustScaler(quantile_range=[25, 75]).fit(_data())


# --------------------------------------------------------------------------------------------
# streaming: a parquet dataset larger than the cluster's memory
# --------------------------------------------------------------------------------------------


class PeakMemory(WorkerPlugin):
    """Records the most managed memory (bytes of task results held) a worker ever had."""

    name = "peak-memory"

    def setup(self, worker):
        self.worker = worker
        self.peak = 0

    def transition(self, key, start, finish, **kwargs):
        self.peak = max(self.peak, self.worker.state.nbytes)


def _peak(dask_worker):
    spilled = getattr(dask_worker.data, "spilled_total", None)
    return dask_worker.plugins["peak-memory"].peak, 0 if spilled is None else spilled.memory


@pytest.mark.slow
def test_standard_scaler_streams_parquet_larger_than_cluster_memory(tmp_path, monkeypatch):
    """70 MB of parquet; two workers limited to 8 MiB each (a quarter of the data together):
    the fit streams it in one pass, no worker holds more than a few blocks, nothing spills, and
    only the per-column moments reach the client.

    The limit applies to managed memory (task results a worker holds: what persisting would
    grow); the process-memory thresholds are off, as a worker process alone needs ~150 MB.
    """
    rng = np.random.default_rng(0)
    n, d = 440_000, 20
    X = rng.standard_normal((n, d)) * np.arange(1, d + 1) + np.arange(d)
    X[rng.random((n, d)) < 0.01] = np.nan
    columns = [f"f{i}" for i in range(d)]
    frame = dd.from_pandas(pd.DataFrame(X, columns=columns), npartitions=40)
    with dask.config.set(scheduler="threads"):
        frame.to_parquet(str(tmp_path / "data"), write_index=False)
    limit = 8 * 2**20
    assert X.nbytes >= 4 * 2 * limit

    results = []
    original = PASSES.compute

    def sized(*graphs):
        out = original(*graphs)
        results.append(len(pickle.dumps(out)))
        return out

    monkeypatch.setattr(PASSES, "compute", sized)
    memory = {
        "distributed.worker.memory.target": 0.9,
        "distributed.worker.memory.spill": False,
        "distributed.worker.memory.pause": False,
        "distributed.worker.memory.terminate": False,
    }
    with (
        dask.config.set(memory),
        local_cluster(
            n_workers=2, threads_per_worker=1, memory_limit=limit, dashboard=False
        ) as cluster,
        Client(cluster) as client,
    ):
        client.register_plugin(PeakMemory())
        model = StandardScaler().fit(dd.read_parquet(str(tmp_path / "data")))
        peaks = client.run(_peak)
    for peak, spilled in peaks.values():
        assert peak < 0.9 * limit
        assert spilled == 0
    assert len(results) == 1 and results[0] < 10_000
    sk = skp.StandardScaler().fit(X)
    np.testing.assert_allclose(model.mean_, sk.mean_, rtol=RTOL)
    np.testing.assert_allclose(model.var_, sk.var_, rtol=RTOL)
    np.testing.assert_array_equal(model.n_samples_seen_, sk.n_samples_seen_)
