"""KMeans on clusters we break: a worker killed mid-fit, a dataset larger than cluster memory."""

from __future__ import annotations

import pickle

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pytest
from support import MANAGED_MEMORY_ONLY, PeakMemory, kill_at_pass, peak_memory, small_cluster

import dasklearn._passes as KM
from dasklearn.cluster import KMeans
from dasklearn.cluster import _kmeans_algorithm as A
from dasklearn.datasets import make_blobs


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["numpy", "dask_array"])
def test_worker_killed_mid_fit_gives_the_same_centers(monkeypatch, kind):
    X, _ = make_blobs(12_000, 5, centers=4, cluster_std=2.0, chunks=1_500, random_state=0)
    if kind == "numpy":
        X = X.compute()
    with dask.config.set(scheduler="threads"):
        reference = KMeans(4, random_state=1, tol=1e-3).fit(X)

    with small_cluster() as client:
        # after the data were placed on the workers and read twice
        passes = kill_at_pass(monkeypatch, client, 3)
        model = KMeans(4, random_state=1, tol=1e-3).fit(X)
    assert len(passes) > 3
    np.testing.assert_array_equal(model.cluster_centers_, reference.cluster_centers_)
    assert model.inertia_ == reference.inertia_


@pytest.mark.slow
def test_parquet_larger_than_cluster_memory_is_streamed(tmp_path, monkeypatch):
    """48 MB of parquet, workers limited to 8 MiB each: streamed; workers stay under the limit
    without spilling, and only small per-pass summaries reach the client.

    The limit applies to *managed* memory (``MANAGED_MEMORY_ONLY``), traced at every task
    transition (``PeakMemory``).
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
    # spill managed data above 7.2 MiB; process memory (a worker's baseline is more than
    # 8 MiB) is not limited
    with dask.config.set(MANAGED_MEMORY_ONLY), small_cluster(memory_limit=limit) as client:
        client.register_plugin(PeakMemory())
        source = dd.read_parquet(str(tmp_path / "data"))
        model = KMeans(5, random_state=0).fit(source)
        # lazy labels stream the same way; labels_ is a dask Series (the input's container), whose
        # own .compute() would concatenate every partition on one worker first (dask-expr's
        # finalize step): the partitions are gathered to the client instead
        labels = np.concatenate(dask.compute(*model.labels_.to_delayed()))
        peaks = client.run(peak_memory)
    for peak, spilled in peaks.values():
        assert peak < 0.9 * limit  # a few 0.8 MB blocks at a time, never the dataset
        assert spilled == 0
    # only small per-pass summaries reach the client, and two samples of rows whose size does
    # not grow with the data: the first pass's uniform one (the first candidates) and the
    # weighing pass's (the re-clustering), here 1/100 and 1/30 of the data
    seed_sample = A._SEED_SAMPLE_MIN * (10 + 1) * 8
    sample = A._RECLUSTER_SAMPLE_MIN * (10 + 2) * 8
    assert seed_sample + sample < dataset_bytes / 10
    largest = sorted(results)
    assert largest[-1] < 100_000 + 1.1 * sample
    assert largest[-2] < 100_000 + 1.2 * seed_sample
    assert largest[-3] < 100_000

    lengths = tuple(
        int(n) for n in dd.read_parquet(str(tmp_path / "data")).map_partitions(len).compute()
    )
    with dask.config.set(scheduler="threads"):
        reference = KMeans(5, random_state=0).fit(da.from_array(in_memory, chunks=(lengths, 10)))
    np.testing.assert_allclose(model.cluster_centers_, reference.cluster_centers_, rtol=1e-12)
    np.testing.assert_array_equal(labels, reference.labels_.compute())
