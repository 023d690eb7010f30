"""The dasklearn command: `dasklearn demo` on an existing cluster, and the cluster it starts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dasklearn import __version__
from dasklearn._client import connect
from dasklearn.cli.__main__ import main


def test_demo_campaign_step_on_existing_cluster(cluster_client, capsys):
    address = cluster_client.scheduler.address
    main(
        ["demo", "--scheduler", address, "--rows", "30000", "--steps", "campaign", "--no-progress"]
    )
    out = capsys.readouterr().out
    assert "Write a contributions table to parquet" in out
    assert "total by employer" in out and "average by occupation" in out
    assert "SELF-EMPLOYED" in out
    assert f"scheduler: {address}" in out
    assert "dashboard:" in out and "Summary" in out


def test_unknown_step_is_refused(cluster_client):
    with pytest.raises(ValueError, match="Unknown demo steps"):
        main(["demo", "--scheduler", cluster_client.scheduler.address, "--steps", "nope"])


def test_version_and_help():
    out = subprocess.run(
        [sys.executable, "-m", "dasklearn.cli", "--version"], capture_output=True, text=True
    )
    assert __version__ in out.stdout
    out = subprocess.run(
        [sys.executable, "-m", "dasklearn.cli", "demo", "--help"], capture_output=True, text=True
    )
    assert "--scheduler" in out.stdout and "--rows" in out.stdout


def test_started_cluster_listens_on_localhost_only(cluster_client):
    assert cluster_client.scheduler.address.startswith("tcp://127.0.0.1:")
    workers = cluster_client.scheduler_info()["workers"]
    assert len(workers) == 2
    assert all(addr.startswith("tcp://127.0.0.1:") for addr in workers)


@pytest.mark.timeout(120)
def test_connect_starts_and_stops_a_local_cluster():
    with connect(n_workers=1, dashboard=False, memory_limit="1GiB") as client:
        assert client.scheduler.address.startswith("tcp://127.0.0.1:")
        assert client.submit(lambda: 41 + 1).result() == 42
        cluster = client.cluster
    assert cluster.status.name in ("closed", "closing")
