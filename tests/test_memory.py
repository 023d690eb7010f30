"""Memory pressure: under a worker memory limit a quarter of the data's size, the estimators that
stream do (no worker ever holds more than a few blocks, nothing is spilled to disk), and no fit
gathers the data onto the client.

The data are generated block by block on the workers (``dasklearn.datasets``), so a streamed
fit regenerates each block at each pass and a persisted one would have to hold all of it. The
limit applies to managed memory (``MANAGED_MEMORY_ONLY``: a worker process needs ~150 MB just to
run), traced at every task transition (``PeakMemory``); what reaches the client is measured
where every result of a computation arrives (``Client._gather``). KMeans streaming a parquet
dataset four times the cluster's memory is tested in ``tests/cluster/test_kmeans_cluster.py``.
"""

from __future__ import annotations

import dask
import numpy as np
import pytest
from dask.sizeof import sizeof
from distributed import Client
from support import MANAGED_MEMORY_ONLY, PeakMemory, fast_restarts, peak_memory, small_cluster

from dasklearn.datasets import make_classification
from dasklearn.impute import SimpleImputer
from dasklearn.linear_model import LogisticRegression
from dasklearn.preprocessing import StandardScaler

N_ROWS, N_FEATURES, BLOCK = 160_000, 10, 2_500
DATA_BYTES = N_ROWS * N_FEATURES * 8  # 12.8 MB, 64 blocks of 0.2 MB
LIMIT = DATA_BYTES // 4  # per worker: the two workers together hold half the data
#: the most a fit may send to the client: per-pass summaries, never the data
CLIENT_BYTES = 1_000_000


@pytest.fixture(scope="module")
def tight():
    with (
        fast_restarts(),  # workers start with dasklearn imported
        dask.config.set(MANAGED_MEMORY_ONLY),
        small_cluster(memory_limit=LIMIT) as client,
    ):
        client.register_plugin(PeakMemory())
        yield client


def _reset_peak(dask_worker):
    dask_worker.plugins["peak-memory"].peak = 0


@pytest.fixture
def cluster(tight, monkeypatch):
    """The tight cluster, peaks reset, and ``received``: bytes of every result the client
    gathers from the cluster."""
    tight.run(_reset_peak)
    received: list[int] = []
    original = Client._gather

    async def gather(self, futures, *args, **kwargs):
        out = await original(self, futures, *args, **kwargs)
        received.append(sizeof(out))
        return out

    monkeypatch.setattr(Client, "_gather", gather)
    tight.received = received
    yield tight


def _data():
    return make_classification(N_ROWS, N_FEATURES, n_informative=4, chunks=BLOCK, random_state=0)


ESTIMATORS = {
    "LogisticRegression": lambda: LogisticRegression(solver="newton", max_iter=2),
    "StandardScaler": StandardScaler,
    "SimpleImputer": lambda: SimpleImputer(strategy="mean"),
}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", ESTIMATORS)
def test_streaming_fit_under_a_quarter_of_the_data(cluster, name):
    X, y = _data()
    assert X.nbytes == DATA_BYTES and LIMIT * 2 < DATA_BYTES
    with dask.config.set(scheduler=cluster):
        ESTIMATORS[name]().fit(X, y)
    for peak, spilled in cluster.run(peak_memory).values():
        assert 0 < peak < 0.9 * LIMIT  # a few blocks at a time, never the dataset
        assert spilled == 0
    assert sum(cluster.received) < CLIENT_BYTES, cluster.received


def test_the_gauges_see_data_gathered_to_the_client(cluster):
    """The measure above fails a fit that gathers: a collection computed onto the client is
    counted in full (and the workers, which hold it block by block, stay under the limit)."""
    X, _ = _data()
    with dask.config.set(scheduler=cluster):
        total = X[: N_ROWS // 4].compute()
    assert sum(cluster.received) >= total.nbytes > CLIENT_BYTES
    np.testing.assert_equal(total.shape, (N_ROWS // 4, N_FEATURES))
