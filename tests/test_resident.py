"""Passes over a fit's persisted blocks run by distributed actors that hold them
(``dasklearn._resident``): no task per pass, the same results bit for bit as the task path, and
the task path again whenever an actor call fails."""

from __future__ import annotations

import gc
import time

import dask
import dask.array as da
import numpy as np
import pytest
from distributed import futures_of, get_task_stream

import dasklearn._passes as P
import dasklearn._placement as PL
import dasklearn._resident as R
from dasklearn.cluster import KMeans
from dasklearn.linear_model import LinearRegression, LogisticRegression


def _blocks_sum(block: np.ndarray) -> np.ndarray:
    return block.sum(axis=0)


def _refuse_positive(block: np.ndarray) -> np.ndarray:
    if (block[:, 0] > 0).any():
        raise ValueError("a block this kernel refuses")
    return block.sum(axis=0)


def _where(block: np.ndarray) -> int:
    return block.ctypes.data % 16


@pytest.fixture
def counted(monkeypatch):
    """How many passes the actors ran (list of one entry each)."""
    runs: list = []
    original = R.ResidentBlocks.compute

    def compute(self, recipes):
        out = original(self, recipes)
        if out is not None:
            runs.append(len(recipes))
        return out

    monkeypatch.setattr(R.ResidentBlocks, "compute", compute)
    return runs


def _no_actors(monkeypatch):
    monkeypatch.setattr(R.ResidentBlocks, "start", classmethod(lambda cls, c, arrays: None))


def test_placed_blocks_are_aligned_where_they_were_made(client):
    data = PL.place(np.random.default_rng(0).standard_normal((1_000_000, 20)))  # 6 blocks
    with get_task_stream(client) as stream:
        offsets = [client.submit(_where, f, pure=False).result() for f in futures_of(data.X)]
    assert offsets == [0] * data.n_blocks
    assert not any(s["action"] == "transfer" for t in stream.data for s in t["startstops"])


def test_a_pass_runs_on_the_actors_without_tasks(client, counted):
    data = PL.place(np.random.default_rng(0).standard_normal((600_000, 20)))
    runner = P.Passes(data, check_first=None)
    first = runner.run(runner.reduction(_blocks_sum, data.X))  # starts the actors
    with get_task_stream(client) as stream:
        again = runner.run(runner.reduction(_blocks_sum, data.X))
    assert stream.data == []
    assert counted == [1, 1]
    values = data.X.compute()
    with dask.config.set(scheduler="threads"):
        local = P.Passes(PL.place(da.from_array(values, chunks=data.X.chunks)))
        expected = local.run(local.reduction(_blocks_sum, local.data.X))
    np.testing.assert_array_equal(first, expected)
    np.testing.assert_array_equal(again, expected)


def test_a_kernel_error_is_raised_by_the_task_path_which_runs_the_rest(client, counted):
    X = np.random.default_rng(0).standard_normal((600_000, 20))
    X[:, 0] = -1.0
    X[-1, 0] = 1.0
    runner = P.Passes(PL.place(X), check_first=None)
    with pytest.raises(ValueError, match="a block this kernel refuses"):
        runner.run(runner.reduction(_refuse_positive, runner.data.X))
    assert counted == [] and runner._resident.broken
    with get_task_stream(client) as stream:
        runner.run(runner.reduction(_blocks_sum, runner.data.X))
    # tasks from now on; the failed pass's other task may still report in the same window
    ours = [t for t in stream.data if str(t["key"]).startswith("('_blocks_sum-")]
    assert len(ours) == len(runner.data.groups)


FITS = {
    "kmeans": (lambda: KMeans(n_clusters=4, random_state=0), ("cluster_centers_", "inertia_")),
    "multinomial, class weights": (
        lambda: LogisticRegression(class_weight="balanced", max_iter=30),
        ("coef_", "intercept_"),
    ),
    "binary lbfgs": (lambda: LogisticRegression(solver="lbfgs", max_iter=20), ("coef_",)),
    "linear": (lambda: LinearRegression(), ("coef_", "intercept_")),
}


@pytest.mark.parametrize("name", list(FITS))
def test_fits_equal_the_task_path_bit_for_bit(client, monkeypatch, counted, name):
    make, attributes = FITS[name]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500_000, 10))
    classes = 2 if "binary" in name else 3
    y = (X[:, 0] + rng.standard_normal(len(X)) > 0).astype(int) + (X[:, 1] > 1) * (classes - 2)
    target = X @ np.arange(10.0) if name == "linear" else y
    with_actors = make().fit(X, None if name == "kmeans" else target)
    assert sum(counted) >= 2  # the fit's passes ran on the actors
    _no_actors(monkeypatch)
    counted.clear()
    as_tasks = make().fit(X, None if name == "kmeans" else target)
    assert counted == []
    for attribute in attributes:
        np.testing.assert_array_equal(getattr(with_actors, attribute), getattr(as_tasks, attribute))


def test_the_actors_go_when_the_fit_ends(client):
    X = np.random.default_rng(0).standard_normal((300_000, 10))
    LogisticRegression(max_iter=50).fit(X, (X[:, 0] > 0).astype(int))
    gc.collect()
    scheduler = client.cluster.scheduler
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not any("BlockHolder" in str(key) for key in scheduler.tasks):
            break
        time.sleep(0.05)
    assert not any("BlockHolder" in str(key) for key in scheduler.tasks)


def test_the_actors_share_the_blocks_of_one_worker(client):
    first = sorted(client.nthreads())[0]
    values = np.random.default_rng(0).standard_normal((100_000, 4))
    X = client.persist(da.from_array(values, chunks=10_000), workers=[first])  # 10 blocks
    data = PL.place(X)
    runner = P.Passes(data, check_first=None)
    got = runner.run(runner.reduction(_blocks_sum, data.X))
    assert sorted(len(ids) for _, _, ids in runner._resident.actors) == [5, 5]
    with dask.config.set(scheduler="threads"):
        local = P.Passes(PL.place(da.from_array(values, chunks=10_000)))
        expected = local.run(local.reduction(_blocks_sum, local.data.X))
    np.testing.assert_array_equal(got, expected)
