"""Scale and faults on clusters of their own: data several times a worker's memory limit is
streamed without reaching the client, and a worker killed in the middle of a fit changes nothing."""

from __future__ import annotations

import os
import signal
import threading
import time

import dask
import numpy as np
import psutil
import pytest
from distributed import Client

from dasklearn._client import local_cluster
from dasklearn._placement import place
from dasklearn.datasets import make_classification
from dasklearn.linear_model import LogisticRegression

MiB = 2**20


def _start_memory_monitor(dask_worker):
    proc = psutil.Process()
    state = {"base": proc.memory_info().rss, "peak": 0, "stop": False}

    def loop():
        while not state["stop"]:
            state["peak"] = max(state["peak"], proc.memory_info().rss)
            time.sleep(0.01)

    threading.Thread(target=loop, daemon=True).start()
    dask_worker._lm_memory = state


def _stop_memory_monitor(dask_worker):
    state = dask_worker._lm_memory
    state["stop"] = True
    return (state["peak"] - state["base"]) / MiB


class _ClientMemory:
    """Peak growth of this process's resident memory while the block runs (MiB)."""

    def __enter__(self):
        self.proc = psutil.Process()
        self.base = self.proc.memory_info().rss
        self.peak = self.base
        self.stop = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    def _loop(self):
        while not self.stop:
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.01)

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()
        self.growth = (self.peak - self.base) / MiB


@pytest.mark.slow
def test_data_several_times_worker_memory_is_streamed():
    """512 MiB of data, workers limited to 128 MiB each (256 MiB for the cluster).

    dask's own pause/terminate thresholds are off, since a worker's baseline (its imports) is
    already above 128 MiB; the test measures instead that each worker's memory grows by less
    than its limit and that the client's stays flat. A small fit first compiles the kernels in
    every worker: numba's compiler takes 50-80 MiB of a worker's memory once (when its cache is
    cold, as on a fresh checkout), whatever the data size.
    """
    limit = 128 * MiB
    off = {
        "distributed.worker.memory.target": False,
        "distributed.worker.memory.spill": False,
        "distributed.worker.memory.pause": False,
        "distributed.worker.memory.terminate": False,
    }
    with (
        dask.config.set(off),
        local_cluster(n_workers=2, threads_per_worker=1, memory_limit=limit, dashboard=False) as c,
        Client(c) as client,
    ):
        X, y = make_classification(3_400_000, 20, n_informative=5, random_state=0, chunks=50_000)
        assert X.nbytes >= 4 * limit
        LogisticRegression().fit(*make_classification(40_000, 20, random_state=1, chunks=5_000))
        client.run(_start_memory_monitor)
        with _ClientMemory() as client_memory:
            est = LogisticRegression(verbose=1).fit(X, y)
        worker_growth = client.run(_stop_memory_monitor)
        print(f"client +{client_memory.growth:.0f} MiB, workers + {worker_growth} MiB")
        assert est.data_policy_ == "streamed"
        assert est.solver_ == "newton" and est.n_passes_ <= 10
        assert client_memory.growth < 64, client_memory.growth
        assert max(worker_growth.values()) < limit / MiB, worker_growth
        acc = est.score(X[:200_000], y[:200_000])
        assert acc > 0.7


def _pids(client):
    return client.run(os.getpid)


@pytest.mark.slow
def test_worker_killed_mid_fit_gives_same_coefficients():
    with (
        local_cluster(n_workers=2, threads_per_worker=1, memory_limit="1GiB", dashboard=False) as c,
        Client(c) as client,
    ):
        X, y = make_classification(
            200_000, 10, n_informative=4, n_classes=3, random_state=1, chunks=20_000
        )
        clean = LogisticRegression(tol=1e-8).fit(X, y)
        assert clean.data_policy_ == "persisted"
        before = _pids(client)
        killed = []

        def kill_one(iteration, w):
            if iteration == 2 and not killed:
                pid = next(iter(before.values()))
                os.kill(pid, signal.SIGKILL)  # persisted blocks on it are lost
                killed.append(pid)

        hit = LogisticRegression(tol=1e-8, solver_kwargs={"callback": kill_one}).fit(X, y)
        assert killed
        np.testing.assert_allclose(hit.coef_, clean.coef_, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(hit.intercept_, clean.intercept_, rtol=1e-12, atol=1e-14)
        assert hit.n_passes_ == clean.n_passes_
        client.wait_for_workers(2, timeout=30)
        assert killed[0] not in _pids(client).values()


def _received(dask_worker):
    return sum(entry["total"] for entry in dask_worker.transfer_incoming_log)


def test_numpy_input_reaches_the_workers_once(client):
    """NumPy input on a distributed client is persisted once: the graph of every later pass
    holds only references to the blocks on the workers, and blocks do not move between them."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40_000, 8))
    y = (X[:, 0] + rng.logistic(size=len(X)) > 0).astype(int)
    data = place(X, y)
    Xd, policy = data.X, data.policy
    assert policy == "persisted"
    graph = dict(Xd.__dask_graph__())
    assert graph and not any(isinstance(v, np.ndarray) for v in graph.values())
    before = client.run(_received)
    est = LogisticRegression(solver="lbfgs", tol=1e-6).fit(X, y)
    assert est.data_policy_ == "persisted" and est.n_passes_ > 5
    moved = sum(client.run(_received).values()) - sum(before.values())
    assert moved < X.nbytes / 2
