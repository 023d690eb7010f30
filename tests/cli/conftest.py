"""Fixtures of the command-line tests: the ``dasklearn`` command run as a user runs it, small
tables on disk, and a Dask cluster of ``dask scheduler`` / ``dask worker`` processes."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

BIN = Path(sys.executable).parent


def command() -> list[str]:
    """The installed ``dasklearn`` script, else ``python -m dasklearn.cli``."""
    script = BIN / "dasklearn"
    return [str(script)] if script.exists() else [sys.executable, "-m", "dasklearn.cli"]


def run_cli(*args: str, timeout: float = 240, cwd: Path | None = None):
    """Run ``dasklearn ARGS`` in a subprocess (stdout is a pipe, not a terminal)."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run(
        [*command(), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
    )


@pytest.fixture(scope="session")
def cli():
    return run_cli


@pytest.fixture(scope="session")
def tables(tmp_path_factory):
    """Small tables: ``train.parquet`` (numeric, count, categorical and string columns, a binary
    target ``churn``, an ``id``), the same rows as ``train.csv``, ``new.csv`` without the target
    (with a category never seen in training), and ``houses.csv`` for regression."""
    import pandas as pd

    from dasklearn.datasets import make_mixed_df

    folder = tmp_path_factory.mktemp("tables")
    X, y = make_mixed_df(n_samples=1200, n_features=3, chunks=300, random_state=0)
    frame = X.drop(columns="signup").assign(churn=y).compute().reset_index(drop=True)
    frame.insert(0, "id", np.arange(len(frame)))
    frame.to_parquet(folder / "train.parquet", index=False, row_group_size=300)
    frame.to_csv(folder / "train.csv", index=False)
    new = frame.drop(columns="churn").copy()
    new["plan"] = new["plan"].astype(object)
    new.loc[:4, "plan"] = "enterprise"  # unseen in training
    new.to_csv(folder / "new.csv", index=False)
    rng = np.random.default_rng(0)
    area = rng.uniform(30, 200, 900)
    rooms = rng.integers(1, 6, 900)
    price = 3.0 * area + 20.0 * rooms + rng.normal(0, 15, 900)
    pd.DataFrame({"area": area, "rooms": rooms, "price": price}).to_csv(
        folder / "houses.csv", index=False
    )
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def scheduler_address():
    """A cluster of processes as a user starts one: ``dask scheduler`` and one ``dask worker``
    (2 threads) on 127.0.0.1; both are stopped at the end of the session."""
    from distributed import Client

    dask_cmd = shutil.which("dask", path=str(BIN)) or shutil.which("dask")
    if dask_cmd is None:
        pytest.skip("the 'dask' command is not installed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    common = ["--no-dashboard"]
    processes = [
        subprocess.Popen(
            [dask_cmd, "scheduler", "--host", "127.0.0.1", "--port", str(port), *common],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        processes.append(
            subprocess.Popen(
                [dask_cmd, "worker", address, "--host", "127.0.0.1", "--nthreads", "2"]
                + ["--memory-limit", "2GiB", *common],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(1, timeout=120)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(condition, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return condition()
