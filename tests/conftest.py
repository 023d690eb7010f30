"""Shared test fixtures.

* ``cluster_client``: one LocalCluster (2 worker processes x 1 thread, 127.0.0.1) for the session.
* ``two_workers``: starts such a cluster for a module that needs its own (torch, TensorFlow).
* ``client``: that client, made the current client and dask's scheduler for one test.
* ``scheduler``: runs a test twice, under dask's threaded scheduler and on the LocalCluster.
* ``input_kind`` / ``as_kind``: the four input kinds (numpy, pandas, dask array, dask dataframe).
* Every module must leave no default client and dask's scheduler unset (``_no_scheduler_left``).

Tests that must break a cluster (kill a worker, tiny memory limits) start their own small one
with the plain helpers of ``support.py`` (``small_cluster``, ``kill_at_pass``, ...).
"""

from __future__ import annotations

import contextlib
import time
import warnings

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import Client
from distributed.diagnostics.plugin import SchedulerPlugin

from dasklearn._client import current_client, local_cluster

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


class _Departures(SchedulerPlugin):
    """Why and when workers left the session cluster (its scheduler runs in this process)."""

    name = "departures"

    def __init__(self) -> None:
        self.log: list[str] = []

    def remove_worker(self, scheduler, worker, *, stimulus_id, **kwargs):
        self.log.append(f"{time.strftime('%H:%M:%S')} {worker} ({stimulus_id})")


@pytest.fixture(scope="session")
def cluster_client():
    with _two_workers("2GiB") as client:
        departures = _Departures()
        client.cluster.scheduler.add_plugin(departures)
        client.departures = departures
        yield client


@contextlib.contextmanager
def _using(client):
    """``client`` current and dask's scheduler, once both workers are there: a worker the nanny
    restarted (after a memory overrun, say) takes seconds to come back, and a test that counts
    workers would see one or none (a CI run saw none once; the warning says why)."""
    if len(client.scheduler_info(n_workers=-1)["workers"]) < 2:
        client.wait_for_workers(2, timeout=120)
        log = client.departures.log
        warnings.warn(f"waited for the session cluster's workers; left: {log}", stacklevel=2)
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


@pytest.fixture(autouse=True, scope="module")
def _no_scheduler_left(request):
    """A module that leaves a default client (or dask's scheduler set) decides where every later
    module's compute() runs: a half-made client left so made a CI run wait forever. (Within a
    module, a module-scoped fixture may make its own cluster the default on purpose.)"""
    yield
    client, scheduler = current_client(), dask.config.get("scheduler", None)
    if client is not None or scheduler is not None:
        if client is not None:
            client.close()  # so that the modules after it still run where they expect
        dask.config.config.pop("scheduler", None)
        pytest.fail(f"{request.node.nodeid} left client {client} and scheduler {scheduler!r}")


@pytest.fixture(params=INPUT_KINDS)
def input_kind(request):
    return request.param


@pytest.fixture(name="as_kind")
def as_kind_fixture():
    return as_kind
