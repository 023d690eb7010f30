"""dasklearn._ranks: workers, hosts and ports of a rank job, shards, one task per rank.

Host names, local ranks, free ports and the argument helpers are pure; worker selection,
shards and :func:`run_ranks` run on the shared LocalCluster (``client`` fixture), never on
mocks. The frameworks themselves are exercised in test_torch.py and test_tensorflow.py.
"""

from __future__ import annotations

import socket
import time

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import Client

from dasklearn._client import local_cluster
from dasklearn._ranks import (
    check_numeric_collection,
    dask_ports,
    free_port,
    local_ranks,
    mark_failure,
    pick_workers,
    run_ranks,
    shard_arguments,
    with_local,
    without_dask,
    worker_host,
)

pytestmark = pytest.mark.timeout(60)


# --------------------------------------------------------------------------------------------
# hosts, local ranks, ports (pure)
# --------------------------------------------------------------------------------------------


def test_worker_host():
    assert worker_host("tcp://10.0.0.5:40123") == "10.0.0.5"
    assert worker_host("tls://node-1.example:8786") == "node-1.example"
    assert worker_host("tcp://[::1]:8786") == "::1"


def test_local_ranks_count_workers_per_host():
    workers = ["tcp://10.0.0.1:1", "tcp://10.0.0.2:1", "tcp://10.0.0.1:2", "tcp://10.0.0.1:3"]
    assert local_ranks(workers) == ([0, 0, 1, 2], [3, 1, 3, 3])
    assert local_ranks(["tcp://10.0.0.1:1"]) == ([0], [1])
    assert local_ranks([]) == ([], [])


def test_free_port_can_be_bound():
    port = free_port()
    assert isinstance(port, int) and 0 < port < 65536
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("", port))


def test_argument_helpers_swap_dask_collections_for_local_data():
    X = da.ones((4, 2), chunks=2)
    y = dd.from_pandas(pd.Series(np.arange(4.0)), npartitions=2)
    args, kwargs = (X, 3, "a"), {"y": y, "epochs": 2}
    assert without_dask(args, kwargs) == ((None, 3, "a"), {"y": None, "epochs": 2})
    local = {"args[0]": "X here", "y": "y here"}
    assert with_local(args, kwargs, local) == (("X here", 3, "a"), {"y": "y here", "epochs": 2})


def test_mark_failure_stamps_rank_and_time():
    err = ValueError("boom")
    before = time.time()
    mark_failure(err, 3)
    assert err.dasklearn_rank == 3 and before <= err.dasklearn_failed_at <= time.time()


def test_check_numeric_collection():
    frame = dd.from_pandas(pd.DataFrame({"a": [1.0, 2.0], "b": [True, False]}), npartitions=1)
    check_numeric_collection("X", frame)
    check_numeric_collection("y", da.ones(3, dtype=bool, chunks=3))
    text = dd.from_pandas(pd.DataFrame({"a": ["x", "y"], "b": [1, 2]}), npartitions=1)
    with pytest.raises(ValueError, match=r"X has non-numeric columns \['a'\]"):
        check_numeric_collection("X", text)
    with pytest.raises(ValueError, match="args\\[1\\] has dtype <U1"):
        check_numeric_collection("args[1]", da.from_array(np.array(["a", "b"]), chunks=1))


# --------------------------------------------------------------------------------------------
# pick_workers (on the LocalCluster)
# --------------------------------------------------------------------------------------------


def test_pick_workers_order_is_fixed(client):
    info = client.scheduler_info(n_workers=-1)["workers"]
    workers = pick_workers(client, None)
    # one host: the order is the workers' names (0, 1), rank 0 first
    assert [str(info[w]["name"]) for w in workers] == ["0", "1"]
    assert pick_workers(client, None) == workers
    assert pick_workers(client, 1) == workers[:1]
    assert pick_workers(client, np.int64(2)) == workers


def test_pick_workers_errors(client):
    with pytest.raises(ValueError, match=r"Asked for 3 ranks .* only 2 worker\(s\); each rank"):
        pick_workers(client, 3)
    with pytest.raises(ValueError, match="Asked for 5 tasks .* each task runs"):
        pick_workers(client, 5, "tasks")
    with pytest.raises(ValueError, match="at least 1, got 0"):
        pick_workers(client, 0)
    for bad in (True, 1.0, "2"):
        with pytest.raises(TypeError, match="n_workers must be an integer or None"):
            pick_workers(client, bad)


def test_pick_workers_on_a_cluster_without_workers():
    with (
        local_cluster(n_workers=0, dashboard=False) as cluster,
        Client(cluster, set_as_default=False) as empty,
    ):
        with pytest.raises(RuntimeError, match="no workers"):
            pick_workers(empty, None)


def test_dask_ports_cover_scheduler_and_workers(client):
    info = client.scheduler_info(n_workers=-1)
    ports = dask_ports(client)
    expected = {int(a.rsplit(":", 1)[1]) for a in [info["address"], *info["workers"]]}
    assert expected <= ports and 0 not in ports


# --------------------------------------------------------------------------------------------
# shard_arguments, run_ranks (on the LocalCluster)
# --------------------------------------------------------------------------------------------


def test_shard_arguments_put_each_share_on_its_worker(client):
    X = np.arange(40.0).reshape(20, 2)
    y = np.arange(20.0)
    workers = pick_workers(client, None)
    shards = shard_arguments(
        client, workers, (da.from_array(X, chunks=5), 7), {"y": da.from_array(y, chunks=5)}
    )
    assert [set(s) for s in shards] == [{"args[0]", "y"}, {"args[0]", "y"}]
    who = client.who_has([f for s in shards for f in s.values()])
    for w, shard in zip(workers, shards, strict=True):
        assert all(set(who[f.key]) == {w} for f in shard.values())
    parts = client.gather(shards)
    assert sum(len(p["y"]) for p in parts) == 20
    for p in parts:  # rows of X and y stay paired
        np.testing.assert_array_equal(p["args[0]"][:, 0], 2 * p["y"])
    assert shard_arguments(client, workers, (1, 2), {"a": 3}) == [{}, {}]


def test_shard_arguments_need_a_partition_per_rank(client):
    workers = pick_workers(client, None)
    with pytest.raises(ValueError, match="args\\[0\\] has 1 partition\\(s\\) but the job has 2"):
        shard_arguments(client, workers, (da.ones(10, chunks=10),), {})


def _rank_task(rank, fail):
    if fail:
        raise ValueError(f"boom on rank {rank}")
    return rank * 10


def test_run_ranks_returns_results_by_rank(client):
    workers = pick_workers(client, None)
    out = run_ranks(client, _rank_task, workers, [(0, False), (1, False)], name="test-job")
    assert out == [0, 10]


def test_run_ranks_raises_the_failing_ranks_error(client):
    workers = pick_workers(client, None)
    with pytest.raises(ValueError, match="boom on rank 1") as info:
        run_ranks(client, _rank_task, workers, [(0, False), (1, True)], name="test-job")
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert "test-job: rank 1" in notes and "failed first" in notes
