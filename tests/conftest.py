"""Shared test fixtures.

* ``cluster_client``: one LocalCluster (2 worker processes x 1 thread, 127.0.0.1) for the session.
* ``two_workers``: starts such a cluster for a module that needs its own (torch, TensorFlow).
* ``client``: that client, made the current client and dask's scheduler for one test.
* ``scheduler``: runs a test twice, under dask's threaded scheduler and on the LocalCluster.
* ``input_kind`` / ``as_kind``: the four input kinds (numpy, pandas, dask array, dask dataframe).

Tests that must break a cluster (kill a worker, tiny memory limits) start their own small one,
with these helpers:

* ``small_cluster(**kwargs)``: a LocalCluster (2 worker processes x 1 thread, 127.0.0.1, each
  worker under a nanny that restarts it) and a client to it, the current client inside.
* ``kill_worker(client)``, ``kill_at_pass(monkeypatch, client, n)`` (SIGKILL a worker process
  when the ``n``-th pass of a fit starts), ``kill_after_tasks(client, n)`` (when the ``n``-th
  task of any computation finishes: searches, wrappers, one-pass fits).
* ``PeakMemory`` (a worker plugin: the most managed memory a worker held) and
  ``peak_memory(dask_worker)`` (to ``client.run``: that peak and the bytes spilled to disk);
  ``MANAGED_MEMORY_ONLY``: dask config that applies a memory limit to managed memory only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

import cloudpickle
import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import Client
from distributed.diagnostics.plugin import SchedulerPlugin, WorkerPlugin

import dasklearn._passes as PASSES
from dasklearn._client import local_cluster

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/

INPUT_KINDS = ("numpy", "pandas", "dask_array", "dask_dataframe")


@contextlib.contextmanager
def _two_workers(memory_limit: str):
    """A LocalCluster of 2 worker processes x 1 thread on 127.0.0.1, and a client to it that is
    not dask's default scheduler; both closed on exit."""
    cluster = local_cluster(
        n_workers=2, threads_per_worker=1, memory_limit=memory_limit, dashboard=False
    )
    client = Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="session")
def two_workers():
    """:func:`_two_workers`, for modules that need a cluster of their own (frameworks that
    leave state in the worker processes)."""
    return _two_workers


@pytest.fixture(scope="session")
def cluster_client():
    with _two_workers("2GiB") as client:
        yield client


@contextlib.contextmanager
def _using(client):
    with client.as_current(), dask.config.set(scheduler=client):
        yield client


@pytest.fixture
def client(cluster_client):
    with _using(cluster_client):
        yield cluster_client


@pytest.fixture(params=["threads", "distributed"])
def scheduler(request):
    """The scheduler a test runs under; for 'distributed' the cluster client is current."""
    if request.param == "threads":
        with dask.config.set(scheduler="threads"):
            yield "threads"
    else:
        with _using(request.getfixturevalue("cluster_client")):
            yield "distributed"


def as_kind(kind: str, X, y=None, chunks: int = 50):
    """Convert NumPy X (and y) into ``kind``; dask collections get row blocks of ``chunks``."""
    X = np.asarray(X)
    columns = [f"x{i}" for i in range(X.shape[1])] if X.ndim == 2 else None
    if kind == "numpy":
        out = X, y
    elif kind == "pandas":
        out = pd.DataFrame(X, columns=columns), None if y is None else pd.Series(y, name="y")
    elif kind == "dask_array":
        Xd = da.from_array(X, chunks=(chunks,) + X.shape[1:])
        yd = None if y is None else da.from_array(np.asarray(y), chunks=chunks)
        out = Xd, yd
    elif kind == "dask_dataframe":
        nparts = max(1, -(-len(X) // chunks))
        frame = pd.DataFrame(X, columns=columns)
        if y is not None:
            frame["y"] = y
        ddf = dd.from_pandas(frame, npartitions=nparts, sort=False)
        out = (ddf[columns], None) if y is None else (ddf[columns], ddf["y"])
    else:
        raise ValueError(kind)
    return out if y is not None else out[0]


@pytest.fixture(params=INPUT_KINDS)
def input_kind(request):
    return request.param


@pytest.fixture(name="as_kind")
def as_kind_fixture():
    return as_kind


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
    """SIGKILLs ``pid`` when the ``n``-th task reaches memory (runs in the scheduler, which a
    LocalCluster keeps in this process)."""

    def __init__(self, pid: int, n: int) -> None:
        self.pid, self.n, self.finished, self.killed = pid, n, 0, False

    def transition(self, key, start, finish, *args, **kwargs):
        if finish == "memory" and start == "processing" and not self.killed:
            self.finished += 1
            if self.finished >= self.n:
                self.killed = True
                os.kill(self.pid, signal.SIGKILL)


@contextlib.contextmanager
def kill_after_tasks(client, n: int):
    """Inside: a worker process of ``client``'s LocalCluster is SIGKILLed when the ``n``-th task
    of any computation finishes. Yields the plugin (``.killed``: whether it happened)."""
    plugin = _KillAfterTasks(max(client.run(os.getpid).values()), n)
    scheduler = client.cluster.scheduler
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
