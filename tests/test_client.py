"""The clusters dasklearn starts: their workers' allocator settings (``_client.WORKER_MALLOC``)."""

from __future__ import annotations

import os

from distributed import Client

from dasklearn._client import WORKER_MALLOC, local_cluster


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
