"""Plain helpers shared by test modules (``from support import ...``; ``tests/`` is on pytest's
``pythonpath``). Fixtures live in ``conftest.py``; several conftest files exist, so test modules
never import from ``conftest`` (which one ``import conftest`` finds depends on the run).

* ``output_type(kind, ndim)``: the container a per-row result has for input of ``kind``.
* ``blas_threads()``: the thread count of every BLAS library loaded in this process.
* ``misaligned(a)``: a copy of ``a`` whose data start 3 bytes past an aligned address, as
  arrays deserialized from the network often do.
* ``BigModel``: a fitted logistic model carrying 1 MiB more (a model whose size shows in a
  graph); ``on_scheduler(client, keys)``: those of ``keys`` the scheduler still has;
  ``released(client, keys)``: wait until it has none of them (False after 30 s).

Tests that must break a cluster (kill a worker, tiny memory limits) start their own small one:

* ``small_cluster(**kwargs)``: a LocalCluster (2 worker processes x 1 thread, 127.0.0.1, each
  worker under a nanny that restarts it) and a client to it, the current client inside.
* ``fast_restarts()``: inside, worker processes are forked from a server that has already
  imported dasklearn (a killed worker is back in ~0.5 s instead of ~3 s on 2 busy cores).
* ``workers_up(client)``: wait until both workers answer (a killed one restarted).
* ``kill_worker(client)``, ``kill_at_pass(monkeypatch, client, n)`` (SIGKILL a worker process
  when the ``n``-th pass of a fit starts), ``kill_after_tasks(client, n)`` (when the ``n``-th
  task of any computation finishes: searches, wrappers, one-pass fits).
* ``PeakMemory`` (a worker plugin: the most managed memory a worker held) and
  ``peak_memory(dask_worker)`` (to ``client.run``: that peak and the bytes spilled to disk);
  ``MANAGED_MEMORY_ONLY``: dask config that applies a memory limit to managed memory only.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import time

import cloudpickle
import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
from dask.utils import key_split
from distributed import Client
from distributed.diagnostics.plugin import SchedulerPlugin, WorkerPlugin
from distributed.utils import get_mp_context
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

import dasklearn._passes as PASSES
from dasklearn._client import local_cluster

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/


def output_type(kind: str, ndim: int = 1):
    """The container a per-row result has for input of ``kind`` (the shared output layer)."""
    if kind == "dask_array":
        return da.Array
    if kind == "dask_dataframe":
        return dd.Series if ndim == 1 else dd.DataFrame
    return np.ndarray


def blas_threads() -> list[int]:
    """The thread count of every BLAS library loaded in this process (threadpoolctl)."""
    from threadpoolctl import threadpool_info

    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def misaligned(a: np.ndarray) -> np.ndarray:
    buffer = np.empty(a.nbytes + 64, dtype=np.uint8)
    start = (-buffer.ctypes.data) % 64 + 3
    out = buffer[start : start + a.nbytes].view(a.dtype).reshape(a.shape)
    out[...] = a
    assert out.ctypes.data % 8 and not out.flags.aligned
    return out


# --------------------------------------------------------------------------------------------
# clusters that tests break
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def small_cluster(**kwargs):
    """A LocalCluster of 2 worker processes x 1 thread on 127.0.0.1 (each under a nanny, which
    restarts a killed worker) and a client to it, the default client inside; ``kwargs`` go to
    :func:`dasklearn._client.local_cluster`."""
    params = dict(n_workers=2, threads_per_worker=1, dashboard=False) | kwargs
    with local_cluster(**params) as cluster, Client(cluster) as client:
        yield client


#: what the fork server imports once; every worker forked from it starts with these loaded
_PRELOAD = ("distributed", "numpy", "scipy", "pandas", "sklearn", "dask.array", "dask.dataframe")
_PRELOAD_DASKLEARN = ("dasklearn", "dasklearn.cluster", "dasklearn.linear_model")


@contextlib.contextmanager
def fast_restarts():
    """Inside, nannies start worker processes from a fork server that has imported dasklearn:
    a killed worker is back in ~0.5 s (a fresh interpreter takes ~3 s on 2 busy cores). Keep the
    whole life of the cluster inside: its nannies read this setting at every restart."""
    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        get_mp_context()  # distributed sets its own preload list once, first
        multiprocessing.get_context("forkserver").set_forkserver_preload(
            [*_PRELOAD, *_PRELOAD_DASKLEARN]
        )
        yield


def workers_up(client, n: int = 2, timeout: float = 30) -> None:
    """Wait until ``n`` (or more) live worker processes answer (a killed one restarted by its
    nanny)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if len(client.run(os.getpid)) >= n:
                return
        except Exception:  # a worker that died a moment ago is still listed
            pass
        time.sleep(0.05)
    raise TimeoutError(f"the cluster did not get back to {n} workers in {timeout} s")


def kill_worker(client) -> int:
    """SIGKILL one worker process of a local cluster (the newest); its nanny starts a new one.
    Returns the killed process's id."""
    victim = max(client.run(os.getpid).values())
    os.kill(victim, signal.SIGKILL)
    return victim


def kill_at_pass(monkeypatch, client, n: int) -> list:
    """Kill a worker when the ``n``-th pass (:func:`dasklearn._passes.compute`) starts: after
    the data were placed on the workers and read ``n - 1`` times. Returns the list that counts
    the passes (one entry each)."""
    passes: list = []
    original = PASSES.compute

    def compute(*graphs):
        passes.append(1)
        if len(passes) == n:
            kill_worker(client)
        return original(*graphs)

    monkeypatch.setattr(PASSES, "compute", compute)
    return passes


class _KillAfterTasks(SchedulerPlugin):
    """SIGKILLs a worker process when the ``n``-th task reaches memory (runs in the scheduler,
    which a LocalCluster keeps in this process): the newest, or with ``holding`` one that holds
    a key of that name (``key_split``), if any."""

    def __init__(self, scheduler, pids: dict[str, int], n: int, holding: str | None) -> None:
        self.scheduler, self.pids, self.n, self.holding = scheduler, pids, n, holding
        self.finished, self.killed = 0, False

    def _victim(self) -> int:
        if self.holding is not None:
            for ts in self.scheduler.tasks.values():
                if key_split(ts.key) == self.holding and ts.who_has:
                    return self.pids[next(iter(ts.who_has)).address]
        return max(self.pids.values())

    def transition(self, key, start, finish, *args, **kwargs):
        if finish == "memory" and start == "processing" and not self.killed:
            self.finished += 1
            if self.finished >= self.n:
                self.killed = True
                os.kill(self._victim(), signal.SIGKILL)


@contextlib.contextmanager
def kill_after_tasks(client, n: int, holding: str | None = None):
    """Inside: a worker process of ``client``'s LocalCluster is SIGKILLed when the ``n``-th task
    of any computation finishes (with ``holding``: a worker that holds a key of that name, such
    as the one shared model every task of a graph needs). Yields the plugin (``.killed``:
    whether it happened)."""
    scheduler = client.cluster.scheduler
    plugin = _KillAfterTasks(scheduler, client.run(os.getpid), n, holding)
    client.sync(_add_plugin, scheduler, plugin)
    try:
        yield plugin
    finally:
        scheduler.remove_plugin(name="kill-after-tasks")


async def _add_plugin(scheduler, plugin):
    scheduler.add_plugin(plugin, name="kill-after-tasks")


class PeakMemory(WorkerPlugin):
    """Records the most managed memory (bytes of task results held) a worker ever had."""

    name = "peak-memory"

    def setup(self, worker):
        self.worker = worker
        self.peak = 0

    def transition(self, key, start, finish, **kwargs):
        self.peak = max(self.peak, self.worker.state.nbytes)


def peak_memory(dask_worker):
    """(peak managed bytes, bytes spilled to disk) of a worker with :class:`PeakMemory`."""
    spilled = getattr(dask_worker.data, "spilled_total", None)
    return dask_worker.plugins["peak-memory"].peak, 0 if spilled is None else spilled.memory


#: A worker process needs ~150-300 MB just to run, so a limit of a few MiB applies to *managed*
#: memory (task results held, which is what persisting or a leak would grow): the
#: process-memory thresholds are switched off; managed data spill above 90% of the limit.
MANAGED_MEMORY_ONLY = {
    "distributed.worker.memory.target": 0.9,
    "distributed.worker.memory.spill": False,
    "distributed.worker.memory.pause": False,
    "distributed.worker.memory.terminate": False,
}


class BigModel(ClassifierMixin, BaseEstimator):
    """A fitted logistic model carrying 1 MiB more (a model whose size shows in a graph)."""

    def fit(self, X, y):
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        self.n_features_in_ = np.shape(X)[1]
        self.ballast_ = np.ones(2**17)
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.model_.predict(X)


def on_scheduler(client, keys):
    def present(dask_scheduler=None, keys=()):
        return sorted(str(k) for k in keys if k in dask_scheduler.tasks)

    return client.run_on_scheduler(present, keys=list(keys))


def released(client, keys, seconds=30):
    deadline = time.monotonic() + seconds
    while on_scheduler(client, keys):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
