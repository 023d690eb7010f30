"""dasklearn.torch: PyTorch DDP jobs on the workers of a LocalCluster.

These tests start their own small cluster (2 worker processes x 1 thread) for the module rather
than using the shared ``client`` fixture: every rank imports torch (~250 MB per worker) and
runs a process group in the worker process, which the other areas' tests should not inherit;
and a job's ranks must have their workers to themselves (one thread each).
"""

from __future__ import annotations

import os
import socket

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (extra 'torch')")
dtorch = pytest.importorskip("dasklearn.torch")


ENV = ("MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")


# every test has a time limit (tests that start jobs set their own, larger ones)
pytestmark = [pytest.mark.timeout(60), pytest.mark.slow]


@pytest.fixture(scope="module")
def torch_client(two_workers):
    with two_workers("3GiB") as client:
        yield client


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(800, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.05 * rng.normal(size=800)
    ids = np.arange(800.0)
    return X, y, ids


def fit_linear(X, y, ids=None, epochs=25, fail_rank=None, batch_size=50):
    """The training function of the tests: DDP on a linear model, minibatch SGD."""
    import torch.distributed as dist

    rank = dist.get_rank()
    torch.manual_seed(rank)  # different initial weights: DDP must broadcast rank 0's
    model = torch.nn.Linear(X.shape[1], 1).double()
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.05)
    steps = dtorch.steps_per_epoch(len(X), batch_size)
    losses = []
    for epoch in range(epochs):
        if fail_rank == rank and epoch == 2:
            raise ValueError(f"boom on rank {rank}")
        total = 0.0
        for s in range(steps):
            xb = X[s * batch_size : (s + 1) * batch_size]
            yb = y[s * batch_size : (s + 1) * batch_size, None]
            opt.zero_grad()
            loss = ((ddp(xb) - yb) ** 2).mean()
            loss.backward()
            opt.step()
            total += loss.item()
        losses.append(total / steps)
    return {
        "env": {k: os.environ.get(k) for k in ENV},
        "rows": len(X),
        "ids": None if ids is None else ids.numpy().tolist(),
        "dtype": str(X.dtype),
        "losses": losses,
        "state": dtorch.state_dict(ddp),
    }


def _worker_state():
    import psutil
    import torch.distributed as dist

    from dasklearn import torch as dt

    return {
        "initialized": dist.is_initialized(),
        "job": dict(dt._JOB),
        "env": [k for k in ENV if k in os.environ],
        "children": len(psutil.Process().children()),
    }


def _assert_clean(client, port=None):
    for state in client.run(_worker_state).values():
        assert state == {"initialized": False, "job": {}, "env": [], "children": 0}
    if port is not None:
        with socket.socket() as s:  # nothing listens on the master port any more
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine
            s.bind(("127.0.0.1", port))


@pytest.mark.timeout(120)
def test_ddp_two_ranks_train_one_model(torch_client, regression):
    X, y, ids = regression
    out = dtorch.run(
        torch_client,
        fit_linear,
        da.from_array(X, chunks=100),
        da.from_array(y, chunks=100),
        ids=da.from_array(ids, chunks=100),
    )
    assert len(out) == 2
    assert [o["env"]["RANK"] for o in out] == ["0", "1"]
    assert {o["env"]["WORLD_SIZE"] for o in out} == {"2"}
    assert [o["env"]["LOCAL_RANK"] for o in out] == ["0", "1"]  # both on 127.0.0.1
    assert {o["env"]["MASTER_ADDR"] for o in out} == {"127.0.0.1"}
    # each rank trained on its own share; together they cover every row once
    assert [o["rows"] for o in out] == [400, 400]
    assert sorted(out[0]["ids"] + out[1]["ids"]) == list(range(800))
    assert out[0]["dtype"] == "torch.float64"
    # the loss fell and both ranks hold the same parameters
    for o in out:
        assert o["losses"][-1] < 0.05 * o["losses"][0]
    for name, value in out[0]["state"].items():
        assert torch.equal(value, out[1]["state"][name])
    np.testing.assert_allclose(
        out[0]["state"]["weight"].numpy().ravel(), [1.0, -2.0, 0.5, 3.0], atol=0.05
    )
    _assert_clean(torch_client, int(out[0]["env"]["MASTER_PORT"]))


@pytest.mark.timeout(120)
def test_dataframe_arguments_and_one_rank(torch_client, regression):
    X, y, _ = regression
    frame = pd.DataFrame(X, columns=list("abcd")).assign(target=y)
    ddf = dd.from_pandas(frame, npartitions=4)
    out = dtorch.run(torch_client, fit_linear, ddf[list("abcd")], y=ddf["target"], epochs=5)
    assert [o["rows"] for o in out] == [400, 400]
    out = dtorch.run(torch_client, fit_linear, ddf[list("abcd")], ddf["target"], n_workers=1)
    assert len(out) == 1 and out[0]["rows"] == 800 and out[0]["env"]["WORLD_SIZE"] == "1"
    # unknown chunk sizes are found from the persisted partitions
    Xu = ddf[list("abcd")].to_dask_array()
    assert np.isnan(Xu.shape[0])
    out = dtorch.run(torch_client, fit_linear, Xu, ddf["target"].to_dask_array(), epochs=2)
    assert sum(o["rows"] for o in out) == 800
    _assert_clean(torch_client)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fail_rank", [1, 0])
def test_failure_on_one_rank_stops_the_other(torch_client, regression, fail_rank):
    X, y, _ = regression
    Xd, yd = da.from_array(X, chunks=100), da.from_array(y, chunks=100)
    with pytest.raises(ValueError, match=f"boom on rank {fail_rank}") as info:
        dtorch.run(torch_client, fit_linear, Xd, yd, epochs=200, fail_rank=fail_rank)
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert f"rank {fail_rank}" in notes and "had not stopped" not in notes
    _assert_clean(torch_client)
    # the workers are free for the next job
    out = dtorch.run(torch_client, fit_linear, Xd, yd, epochs=2)
    assert len(out) == 2


@pytest.mark.timeout(60)
def test_bad_input_is_refused_before_the_job(torch_client, regression):
    X, y, _ = regression
    Xd = da.from_array(X, chunks=100)
    with pytest.raises(ValueError, match="only 2 worker"):
        dtorch.run(torch_client, fit_linear, Xd, da.from_array(y, chunks=100), n_workers=3)
    with pytest.raises(ValueError, match="do not line up"):
        dtorch.run(torch_client, fit_linear, Xd, da.from_array(y, chunks=((50, 150) + (100,) * 6,)))
    with pytest.raises(ValueError, match="different numbers of partitions"):
        dtorch.run(torch_client, fit_linear, Xd, da.from_array(y, chunks=200))
    with pytest.raises(ValueError, match="every rank needs at least one"):
        dtorch.run(torch_client, fit_linear, da.from_array(X), da.from_array(y))
    text = dd.from_pandas(pd.DataFrame({"a": ["x"] * 8, "b": 1.0}), npartitions=2)
    with pytest.raises(ValueError, match="non-numeric columns"):
        dtorch.run(torch_client, fit_linear, text, text["b"])
    with pytest.raises(ValueError, match="backend"):
        dtorch.run(torch_client, fit_linear, Xd, Xd, backend="mpi")
    with pytest.raises(TypeError, match="callable"):
        dtorch.run(torch_client, "not a function")
    _assert_clean(torch_client)


def test_no_client_is_a_clear_error():
    from distributed import default_client

    try:
        default_client()
        pytest.skip("a default client is active in this session")
    except ValueError:
        pass
    with pytest.raises(ValueError, match="needs a distributed.Client"):
        dtorch.run(None, fit_linear, np.zeros((4, 2)), np.zeros(4))


def test_helpers_outside_a_job():
    assert dtorch.steps_per_epoch(101, 10) == 11
    with pytest.raises(ValueError):
        dtorch.steps_per_epoch(10, 0)
    model = torch.nn.Linear(2, 1)
    state = dtorch.state_dict(model)
    assert set(state) == {"weight", "bias"} and state["weight"].device.type == "cpu"


def test_missing_framework_names_the_extra():
    import subprocess
    import sys

    code = "import sys; sys.modules['torch'] = None; import dasklearn.torch"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode != 0
    assert "pip install 'dasklearn[torch]'" in out.stderr and "needs PyTorch" in out.stderr
