"""PyTorch DistributedDataParallel jobs on the workers of a Dask cluster.

:func:`run` starts a user's training function on ``n_workers`` workers at once as one
``torch.distributed`` job: it picks the master address and a free port on the rank-0 worker,
sets ``MASTER_ADDR``, ``MASTER_PORT``, ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and
``LOCAL_WORLD_SIZE`` on each rank, initialises the default process group (``gloo`` on CPU,
``nccl`` when every rank has a GPU of its own), runs the function on every rank in the worker's
own process, tears the group down and returns each rank's result.

Data: dask arrays and dask dataframes/series passed as arguments are persisted once and each
rank receives *its share of the partitions* as local ``torch.Tensor`` objects in their place
(partitions a worker already holds stay on it; shares are balanced by rows). Inside the
function, :func:`steps_per_epoch` gives every rank the same number of batches (ranks of a DDP
job must run the same number of steps) and :func:`state_dict` returns a model's trained state
as CPU tensors to send back.

Failures: when one rank raises, its network connections to the other ranks are shut down (gloo)
or its communicators aborted (nccl), the others are told to do the same, their collectives fail
at once, and :func:`run` raises the first rank's error. The process group is destroyed on
every rank in every case, so no port stays open and the workers can run the next job.

Needs the ``torch`` extra (``pip install 'dasklearn[torch]'``; the CPU build is enough for
``gloo``) on the client and on every worker.
"""

from __future__ import annotations

import datetime
import gc
import os
import socket
import traceback
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from dasklearn._client import resolve_client
from dasklearn._ranks import (
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
from dasklearn.exceptions import missing_extra

try:
    import torch
    import torch.distributed as dist
except ImportError as _err:  # pragma: no cover - exercised only without the extra
    raise missing_extra("PyTorch", "torch", _err) from _err

__all__ = ["run", "state_dict", "steps_per_epoch"]

#: seconds the ranks wait for each other to join (collectives then get ``timeout``)
_INIT_TIMEOUT = 300.0

#: the job running in this (worker) process: its backend and gloo sockets, for aborting it
_JOB: dict[str, Any] = {}


# --------------------------------------------------------------------------------------------
# helpers for the training function (run on the ranks)
# --------------------------------------------------------------------------------------------


def state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A model's parameters and buffers as detached CPU tensors, to return from a rank.

    Parameters
    ----------
    model : torch.nn.Module
        The model, or its ``DistributedDataParallel`` wrapper (removed here, so that the keys
        have no ``module.`` prefix).

    Returns
    -------
    dict of str to torch.Tensor
        Copies on the CPU, with the keys of ``model.state_dict()``: safe to send back from a
        worker and to load with ``load_state_dict`` anywhere.

    Examples
    --------
    >>> import torch
    >>> from dasklearn.torch import state_dict
    >>> state = state_dict(torch.nn.Linear(3, 1))
    >>> sorted(state), state["weight"].device.type
    (['bias', 'weight'], 'cpu')
    """
    module = model.module if isinstance(model, torch.nn.parallel.DistributedDataParallel) else model
    return {k: v.detach().to("cpu", copy=True) for k, v in module.state_dict().items()}


def steps_per_epoch(n_rows: int, batch_size: int) -> int:
    """The number of batches every rank can run: the smallest ``ceil(n_rows / batch_size)``.

    Ranks of a DDP job must take the same number of optimizer steps (each step all-reduces
    gradients); call this inside the training function, on every rank, with the rank's local
    row count.

    Parameters
    ----------
    n_rows : int
        Rows this rank holds.
    batch_size : int
        Rows per batch, at least 1.

    Returns
    -------
    int
        The smallest ``ceil(n_rows / batch_size)`` over the ranks (one all-reduce, a
        collective, when a process group is initialised); this rank's own count outside a job.

    Raises
    ------
    ValueError
        For ``batch_size < 1``.

    Examples
    --------
    >>> from dasklearn.torch import steps_per_epoch
    >>> steps_per_epoch(1000, 64)  # outside a job: this rank's own count
    16
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
    steps = torch.tensor([-(-int(n_rows) // int(batch_size))], dtype=torch.int64)
    if dist.is_initialized():
        if dist.get_backend() == "nccl":
            steps = steps.cuda()
        dist.all_reduce(steps, op=dist.ReduceOp.MIN)
    return int(steps.item())


# --------------------------------------------------------------------------------------------
# rank side
# --------------------------------------------------------------------------------------------


def _tcp_sockets() -> dict[int, Any]:
    import psutil

    return {c.fd: c for c in psutil.Process().net_connections(kind="tcp") if c.fd != -1}


def _job_sockets(before: Mapping[int, Any], exclude_ports: set[int]) -> list[int]:
    """File descriptors of the connections the process group opened (not listeners, not dask)."""
    out = []
    for fd, c in _tcp_sockets().items():
        if fd in before or c.status != "ESTABLISHED" or not c.raddr:
            continue
        if c.laddr.port in exclude_ports or c.raddr.port in exclude_ports:
            continue
        out.append(fd)
    return out


def _abort_local_job() -> str:
    """Make this process's collectives fail now: shut its gloo links / abort nccl."""
    if not _JOB:
        return "idle"
    if _JOB.get("backend") == "nccl":
        try:
            dist.distributed_c10d._abort_process_group()
        except Exception:
            pass
        return "aborted"
    for fd in _JOB.get("sockets", ()):
        try:
            with socket.socket(fileno=os.dup(fd)) as s:
                s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    return "shut down"


def _to_cpu(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple) and not hasattr(value, "_fields"):
        return type(value)(_to_cpu(v) for v in value)
    return value


def _tensor(array: Any) -> torch.Tensor:
    array = np.asarray(array)
    if not array.flags.writeable:
        array = array.copy()
    return torch.from_numpy(array)


def _rank_main(
    train_fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    shards: dict[str, Any],
    info: dict[str, Any],
) -> Any:
    rank = info["rank"]
    if dist.is_initialized() or _JOB:
        raise RuntimeError(
            f"Worker of rank {rank} already runs a torch.distributed job; one job per worker."
        )
    env = {
        "MASTER_ADDR": info["master_addr"],
        "MASTER_PORT": str(info["master_port"]),
        "RANK": str(rank),
        "WORLD_SIZE": str(info["world_size"]),
        "LOCAL_RANK": str(info["local_rank"]),
        "LOCAL_WORLD_SIZE": str(info["local_world_size"]),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    backend = info["backend"]
    init: dict[str, Any] = {}
    if backend == "nccl":
        device = torch.device("cuda", info["local_rank"] % torch.cuda.device_count())
        torch.cuda.set_device(device)
        init["device_id"] = device
    before = _tcp_sockets()
    try:
        dist.init_process_group(
            backend,
            init_method="env://",
            rank=rank,
            world_size=info["world_size"],
            timeout=datetime.timedelta(seconds=min(info["timeout"], _INIT_TIMEOUT)),
            **init,
        )
        if info["timeout"] > _INIT_TIMEOUT:
            try:  # collectives get the full timeout; waiting for peers to join does not
                dist.distributed_c10d._set_pg_timeout(datetime.timedelta(seconds=info["timeout"]))
            except Exception:
                pass
        exclude = set(info["dask_ports"]) | {int(info["master_port"])}
        _JOB.update(backend=backend, sockets=_job_sockets(before, exclude))
        local = {name: _tensor(parts) for name, parts in shards.items()}
        call_args, call_kwargs = with_local(args, kwargs, local)
        result = _to_cpu(train_fn(*call_args, **call_kwargs))
        del local, call_args, call_kwargs
        # DDP models hold the process group (and its store) through reference cycles: collect
        # them now, or the store's port stays open after the group is destroyed
        gc.collect()
        if backend == "nccl":
            dist.barrier(device_ids=[torch.cuda.current_device()])
        else:
            dist.barrier()
        return result
    except BaseException as err:
        mark_failure(err, rank)
        _abort_local_job()
        traceback.clear_frames(err.__traceback__)  # the failed function's models, for gc
        raise
    finally:
        gc.collect()
        if dist.is_initialized():
            try:
                dist.destroy_process_group()
            except Exception:
                pass
        _JOB.clear()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _probe(is_master: bool) -> dict[str, Any]:
    """Runs on each chosen worker before the job: CUDA devices and, on rank 0, a free port."""
    try:
        # imported lazily by the first DDP model of a process, torch._dynamo keeps that job's
        # process group (and its store's port) alive for good: import it outside any job
        import torch._dynamo  # noqa: F401
    except Exception:
        pass
    return {
        "cuda": torch.cuda.device_count() if torch.cuda.is_available() else 0,
        "port": free_port() if is_master else None,
        "busy": dist.is_initialized() or bool(_JOB),
    }


# --------------------------------------------------------------------------------------------
# client side
# --------------------------------------------------------------------------------------------


def run(
    client: Any,
    train_fn: Callable[..., Any],
    *args: Any,
    n_workers: int | None = None,
    backend: str | None = None,
    timeout: float = 1800.0,
    **kwargs: Any,
) -> list[Any]:
    """Run ``train_fn(*args, **kwargs)`` on ``n_workers`` workers as one DDP job.

    Parameters
    ----------
    client : distributed.Client or None
        The cluster; None for the current client.
    train_fn : callable
        Runs on every rank, in the worker's process, after the default process group is
        initialised (``torch.distributed.get_rank()`` and friends work). Wrap the model in
        ``torch.nn.parallel.DistributedDataParallel``; return anything picklable (tensors are
        moved to the CPU), e.g. ``dasklearn.torch.state_dict(model)`` on rank 0.
    *args, **kwargs
        Passed to ``train_fn``. Dask arrays, dataframes and series among them (not nested)
        are replaced on each rank by a ``torch.Tensor`` holding the rank's partitions, in
        partition order; all of them are split alike, so row i of one matches row i of the
        others. Each rank needs at least one partition.
    n_workers : int, optional
        Number of ranks, one per worker process; default every worker. Rank 0 is the first
        worker by host, name and address.
    backend : {"gloo", "nccl"}, optional
        Default ``nccl`` when every rank has a GPU of its own (each host has at least as
        many GPUs as ranks; rank ``r`` uses GPU ``LOCAL_RANK``), else ``gloo``.
    timeout : float
        Seconds a rank waits in any collective before failing; every rank must also have
        started within ``min(timeout, 300)`` seconds of the others.

    Returns
    -------
    list
        Each rank's return value, by rank.

    Raises
    ------
    ValueError
        More ranks than workers, too few partitions, or dask arguments whose partitions do
        not line up; raised before anything runs on the workers.
    Exception
        The error of the first rank that failed (the others are stopped), with a note naming
        the rank; :class:`dasklearn.exceptions.RankFailure` when a worker leaves mid-job.
    """
    client = resolve_client(client, "dasklearn.torch.run")
    if not callable(train_fn):
        raise TypeError(f"train_fn must be callable, got {type(train_fn).__name__}.")
    if backend not in (None, "gloo", "nccl"):
        raise ValueError(f"backend must be 'gloo', 'nccl' or None, got {backend!r}.")
    workers = pick_workers(client, n_workers, "ranks")
    shards = shard_arguments(client, workers, args, kwargs)

    probes = client.gather(
        [
            client.submit(_probe, r == 0, workers=[w], allow_other_workers=False, pure=False)
            for r, w in enumerate(workers)
        ]
    )
    busy = [w for w, p in zip(workers, probes, strict=True) if p["busy"]]
    if busy:
        raise RuntimeError(f"Worker(s) {busy} already run a torch.distributed job.")
    local, local_size = local_ranks(workers)
    # nccl needs a GPU of its own for every rank: as many on each host as ranks there
    own_gpu = all(p["cuda"] >= n for p, n in zip(probes, local_size, strict=True))
    if backend is None:
        backend = "nccl" if own_gpu else "gloo"
    elif backend == "nccl" and not own_gpu:
        raise ValueError(
            "backend='nccl' needs a GPU for every rank: some host has fewer GPUs than ranks "
            f"(GPUs seen: {[p['cuda'] for p in probes]}, ranks per host: {local_size})."
        )
    ports = sorted(dask_ports(client))
    base = {
        "master_addr": worker_host(workers[0]),
        "master_port": probes[0]["port"],
        "world_size": len(workers),
        "backend": backend,
        "timeout": float(timeout),
        "dask_ports": ports,
    }
    plain_args, plain_kwargs = without_dask(args, kwargs)
    rank_args = [
        (
            train_fn,
            plain_args,
            plain_kwargs,
            shards[r],
            {**base, "rank": r, "local_rank": local[r], "local_world_size": local_size[r]},
        )
        for r in range(len(workers))
    ]

    def stop(running: list[str]) -> None:
        client.run(_abort_local_job, workers=running)

    return run_ranks(
        client, _rank_main, workers, rank_args, name="dasklearn.torch.run", on_failure=stop
    )
