"""The clusters dasklearn starts (their workers' allocator settings, ``_client.WORKER_MALLOC``,
profiler interval and event loop tick, ``_client.WORKER_PROFILE_INTERVAL`` and
``_client.EVENT_LOOP_TICK``) and the clients it opens."""

from __future__ import annotations

import os

import dask
import dask.array as da
import pytest
from distributed import Client

from dasklearn._client import (
    EVENT_LOOP_TICK,
    WORKER_MALLOC,
    WORKER_PROFILE_INTERVAL,
    connect,
    current_client,
    local_cluster,
)
from dasklearn.parallel import on_cluster


def _malloc_env():
    return {k: os.environ.get(k) for k in WORKER_MALLOC}


def test_workers_keep_small_temporaries_on_the_heap(cluster_client):
    expected = {k: str(v) for k, v in WORKER_MALLOC.items()}
    assert set(map(repr, cluster_client.run(_malloc_env).values())) == {repr(expected)}


def test_a_setting_of_the_user_is_kept(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "1000000")
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    with local_cluster(1, dashboard=False) as cluster, Client(cluster) as client:
        (env,) = client.run(_malloc_env).values()
    assert env == {"MALLOC_TRIM_THRESHOLD_": "1000000", "MALLOC_MMAP_THRESHOLD_": None}
    assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "1000000"


def _profile_ms(dask_worker):
    return dask_worker.periodic_callbacks["profile"].callback_time


def test_workers_sample_their_stacks_every_100_ms_unless_told():
    assert WORKER_PROFILE_INTERVAL == "100ms"
    with local_cluster(1, dashboard=False) as cluster, Client(cluster) as client:
        assert set(client.run(_profile_ms).values()) == {100}
    with dask.config.set({"distributed.worker.profile.interval": "20ms"}):
        with local_cluster(1, dashboard=False) as cluster, Client(cluster) as client:
            assert set(client.run(_profile_ms).values()) == {20}
    assert dask.config.get("distributed.worker.profile.interval") == "10ms"  # put back


def _tick_ms(dask_worker=None, dask_scheduler=None):
    return (dask_worker or dask_scheduler).periodic_callbacks["tick"].callback_time


def _ticks(client):
    return {*client.run(_tick_ms).values(), client.run_on_scheduler(_tick_ms)}


def test_event_loops_tick_every_100_ms_unless_told():
    assert EVENT_LOOP_TICK == "100ms"
    with local_cluster(2, dashboard=False) as cluster, Client(cluster) as client:
        assert _ticks(client) == {100}
        assert {n.periodic_callbacks["tick"].callback_time for n in cluster.workers.values()} == {
            100
        }
    with connect(n_workers=1, dashboard=False) as client:
        assert _ticks(client) == {100}
    with dask.config.set({"distributed.admin.tick.interval": "50ms"}):
        with local_cluster(1, dashboard=False) as cluster, Client(cluster) as client:
            assert _ticks(client) == {50}
    assert dask.config.get("distributed.admin.tick.interval") == "20ms"  # put back


@pytest.mark.parametrize("open_it", [connect, lambda a: on_cluster(a).__enter__()])
def test_a_failed_connection_leaves_dask_scheduler_as_it_was(open_it):
    # distributed's Client makes itself dask's default before it connects; left there after an
    # unknown scheme, it made every later compute() wait forever (a CI run hung on it)
    with pytest.raises(ValueError, match="nope"):
        open_it("nope://x")
    assert current_client() is None
    assert dask.config.get("scheduler", None) is None
    assert da.ones(4, chunks=2).sum().compute(timeout=30) == 4
