"""KMeans on clusters we break: a worker killed mid-fit, a dataset larger than cluster memory."""

from __future__ import annotations

import os
import pickle
import signal
import sys

import cloudpickle
import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pytest
from distributed import Client
from distributed.diagnostics.plugin import WorkerPlugin

import dasklearn._passes as KM
from dasklearn._client import local_cluster
from dasklearn.cluster import KMeans
from dasklearn.datasets import make_blobs

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["numpy", "dask_array"])
def test_worker_killed_mid_fit_gives_the_same_centers(monkeypatch, kind):
    X, _ = make_blobs(12_000, 5, centers=4, cluster_std=2.0, chunks=1_500, random_state=0)
    if kind == "numpy":
        X = X.compute()
    with dask.config.set(scheduler="threads"):
        reference = KMeans(4, random_state=1, tol=1e-3).fit(X)

    passes = []
    original = KM.compute

    def kill_at_third_pass(*graphs):
        passes.append(1)
        if len(passes) == 3:  # after the data were placed on the workers and read twice
            victim = max(client.run(os.getpid).values())
            os.kill(victim, signal.SIGKILL)
        return original(*graphs)

    monkeypatch.setattr(KM, "compute", kill_at_third_pass)
    with (
        local_cluster(n_workers=2, threads_per_worker=1, dashboard=False) as cluster,
        Client(cluster) as client,
    ):
        model = KMeans(4, random_state=1, tol=1e-3).fit(X)
    assert len(passes) > 3
    np.testing.assert_array_equal(model.cluster_centers_, reference.cluster_centers_)
    assert model.inertia_ == reference.inertia_


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
def test_parquet_larger_than_cluster_memory_is_streamed(tmp_path, monkeypatch):
    """48 MB of parquet, workers limited to 8 MiB each: streamed; workers stay under the limit
    without spilling, and only small per-pass summaries reach the client.

    A worker process needs ~150 MB just to run, so the limit applies to *managed* memory (task
    results held by the worker, which is what persisting or a leak would grow): the process-memory
    thresholds are switched off and managed memory is traced at every task transition.
    """
    X, _ = make_blobs(600_000, 10, centers=5, chunks=10_000, random_state=2)
    frame = dd.from_dask_array(X, columns=[f"f{i}" for i in range(10)])
    with dask.config.set(scheduler="threads"):
        frame.to_parquet(str(tmp_path / "data"), write_index=False)
        in_memory = dd.read_parquet(str(tmp_path / "data")).compute().to_numpy()
    dataset_bytes = in_memory.nbytes
    limit = 8 * 2**20
    assert dataset_bytes > 2.5 * 2 * limit  # several times the cluster's total memory limit

    results = []
    original = KM.compute

    def sized(*graphs):
        out = original(*graphs)
        results.append(len(pickle.dumps(out)))
        return out

    monkeypatch.setattr(KM, "compute", sized)
    memory = {
        "distributed.worker.memory.target": 0.9,  # spill managed data above 7.2 MiB
        "distributed.worker.memory.spill": False,  # process memory: a worker's baseline
        "distributed.worker.memory.pause": False,  # is more than 8 MiB, so these
        "distributed.worker.memory.terminate": False,  # would stop it at once
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
        model = KMeans(5, random_state=0).fit(source)
        # lazy labels stream the same way; labels_ is a dask Series (the input's container), whose
        # own .compute() would concatenate every partition on one worker first (dask-expr's
        # finalize step): the partitions are gathered to the client instead
        labels = np.concatenate(dask.compute(*model.labels_.to_delayed()))
        peaks = client.run(_peak)
    for peak, spilled in peaks.values():
        assert peak < 0.9 * limit  # a few 0.8 MB blocks at a time, never the dataset
        assert spilled == 0
    assert max(results) < 100_000  # only small per-pass summaries reach the client

    lengths = tuple(
        int(n) for n in dd.read_parquet(str(tmp_path / "data")).map_partitions(len).compute()
    )
    with dask.config.set(scheduler="threads"):
        reference = KMeans(5, random_state=0).fit(da.from_array(in_memory, chunks=(lengths, 10)))
    np.testing.assert_allclose(model.cluster_centers_, reference.cluster_centers_, rtol=1e-12)
    np.testing.assert_array_equal(labels, reference.labels_.compute())
