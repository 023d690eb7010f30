"""Rank jobs: one task per rank of a torch or TensorFlow job, on the workers of a Dask cluster.

Shared by :mod:`dasklearn.torch` and :mod:`dasklearn.tensorflow`. Owns:

* a deterministic choice of workers, rank 0 first (:func:`pick_workers`; the boosting
  helpers use it to count the workers too),
* a free port, the host of a worker, each worker's local rank and the ports dask itself
  listens on,
* each rank's share of the dask arguments of a job, already on the rank's worker
  (:func:`shard_arguments`; the partitions are placed by :mod:`dasklearn._partitions`),
* running one task per rank at once and failing fast (:func:`run_ranks`): the first rank that
  raises decides the error, the other ranks are told to stop, and a worker that leaves the
  cluster ends the job with :class:`dasklearn.exceptions.RankFailure`.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd
from distributed import Client, Future, wait
from distributed.comm import get_address_host

from dasklearn._chunks import is_dask_input, n_blocks
from dasklearn._partitions import (
    Partitions,
    assign_partitions,
    concat_parts,
    persist_aligned,
)
from dasklearn.exceptions import RankFailure

__all__ = [
    "check_numeric_collection",
    "dask_ports",
    "free_port",
    "local_ranks",
    "mark_failure",
    "pick_workers",
    "run_ranks",
    "shard_arguments",
    "with_local",
    "without_dask",
    "worker_host",
]


# --------------------------------------------------------------------------------------------
# workers, hosts and ports
# --------------------------------------------------------------------------------------------


def _sorted_workers(client: Client) -> list[str]:
    info = client.scheduler_info(n_workers=-1)["workers"]
    return sorted(info, key=lambda a: (get_address_host(a), str(info[a].get("name", "")), a))


def pick_workers(client: Client, n_workers: int | None, what: str = "ranks") -> list[str]:
    """The first ``n_workers`` workers in a fixed order (host, name, address); all when None."""
    workers = _sorted_workers(client)
    if not workers:
        raise RuntimeError("The Dask cluster has no workers; start or scale it up first.")
    if n_workers is None:
        return workers
    if isinstance(n_workers, bool) or not isinstance(n_workers, int | np.integer):
        raise TypeError(f"n_workers must be an integer or None, got {n_workers!r}.")
    if n_workers < 1:
        raise ValueError(f"n_workers must be at least 1, got {n_workers}.")
    if n_workers > len(workers):
        raise ValueError(
            f"Asked for {n_workers} {what} but the cluster has only {len(workers)} worker(s); "
            f"each {what[:-1] if what.endswith('s') else what} runs in its own worker process. "
            f"Scale the cluster up or pass n_workers <= {len(workers)}."
        )
    return workers[: int(n_workers)]


def worker_host(address: str) -> str:
    """The host name or IP of a worker address such as ``tcp://10.0.0.5:40123``."""
    return get_address_host(address)


def local_ranks(workers: Sequence[str]) -> tuple[list[int], list[int]]:
    """Each worker's rank among the workers on its host, and how many share that host."""
    hosts = [worker_host(w) for w in workers]
    seen: dict[str, int] = {}
    local = []
    for h in hosts:
        local.append(seen.get(h, 0))
        seen[h] = seen.get(h, 0) + 1
    return local, [seen[h] for h in hosts]


def free_port() -> int:
    """A TCP port that is free on this machine right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("", 0))
        return int(s.getsockname()[1])


def dask_ports(client: Client) -> set[int]:
    """Ports the scheduler, the workers and their nannies listen on (never touched by jobs)."""
    info = client.scheduler_info(n_workers=-1)
    ports = set()
    for address in [info.get("address", ""), *info["workers"]]:
        ports.add(_port(address))
    for w in info["workers"].values():
        if w.get("nanny"):
            ports.add(_port(w["nanny"]))
    ports.discard(0)
    return ports


def _port(address: str) -> int:
    try:
        return int(str(address).rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return 0


# --------------------------------------------------------------------------------------------
# each rank's share of the dask arguments
# --------------------------------------------------------------------------------------------


def check_numeric_collection(name: str, x: Any) -> None:
    """Dask inputs handed to a framework as tensors must be numeric (metadata only)."""
    if isinstance(x, dd.DataFrame):
        bad = [
            str(c)
            for c, t in x.dtypes.items()
            if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t))
        ]
        if bad:
            raise ValueError(
                f"{name} has non-numeric columns {bad}; encode them as numbers before handing "
                "the data to the training function."
            )
    else:
        dtype = x.dtype
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            raise ValueError(f"{name} has dtype {dtype}; numbers are needed for tensors.")


def shard_arguments(
    client: Any, workers: list[str], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> list[dict[str, Future]]:
    """Each rank's share of every dask argument, as one array already on the rank's worker.

    Dask arrays, dataframes and series among ``args`` (named ``args[i]``) and ``kwargs`` are
    persisted in one pass, checked to line up, and shared among the ranks of ``workers`` by
    :func:`assign_partitions`. Each rank's partitions are then concatenated by a task on its
    own worker, and this waits for those tasks: when the job starts, no rank has data left to
    fetch from another (a rank blocked in its framework's start-up, holding the GIL, could not
    serve it). Returns, per rank, ``{name: future of a NumPy array}``.
    """
    named = {f"args[{i}]": a for i, a in enumerate(args) if is_dask_input(a)}
    named.update({k: v for k, v in kwargs.items() if is_dask_input(v)})
    if not named:
        return [{} for _ in workers]
    for name, value in named.items():
        check_numeric_collection(name, value)
        if n_blocks(value) < len(workers):
            raise ValueError(
                f"{name} has {n_blocks(value)} partition(s) but the job has {len(workers)} "
                "ranks; every rank needs at least one. Split it into more partitions "
                "(x.rechunk(...) or df.repartition(npartitions=...))."
            )
    parts: Partitions = persist_aligned(
        client, named, what=f"The dask arguments ({', '.join(named)})"
    )
    shares = assign_partitions(parts.lengths, parts.locations(client), workers)
    token = uuid.uuid4().hex[:8]
    local = [
        {
            name: client.submit(
                concat_parts,
                [parts.futures[name][i] for i in share],
                key=f"dasklearn-shard-{r}-{k}-{token}",
                workers=[w],
                allow_other_workers=False,
                pure=False,
            )
            for k, name in enumerate(named)
        }
        for r, (w, share) in enumerate(zip(workers, shares, strict=True))
    ]
    with client.as_current():
        wait([f for rank in local for f in rank.values()])
    for rank in local:
        for f in rank.values():
            if f.status == "error":
                f.result()
    return local


def without_dask(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict]:
    """The arguments with their dask collections left out (they travel as partitions)."""
    return (
        tuple(None if is_dask_input(a) else a for a in args),
        {k: (None if is_dask_input(v) else v) for k, v in kwargs.items()},
    )


def with_local(
    args: tuple[Any, ...], kwargs: dict[str, Any], local: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The arguments with each rank's local data in place of the dask collections."""
    return (
        tuple(local.get(f"args[{i}]", a) for i, a in enumerate(args)),
        {k: local.get(k, v) for k, v in kwargs.items()},
    )


# --------------------------------------------------------------------------------------------
# one task per rank, all at once, failing fast
# --------------------------------------------------------------------------------------------


def mark_failure(err: BaseException, rank: int) -> None:
    """Stamp an exception raised on a rank with the rank and the time, to find the first one."""
    try:
        err.dasklearn_rank = rank  # type: ignore[attr-defined]
        err.dasklearn_failed_at = time.time()  # type: ignore[attr-defined]
    except Exception:  # some exception types refuse attributes; the order then falls back
        pass


def run_ranks(
    client: Client,
    rank_fn: Callable[..., Any],
    workers: Sequence[str],
    rank_args: Sequence[tuple[Any, ...]],
    *,
    name: str,
    on_failure: Callable[[list[str]], None] | None = None,
    grace: float = 30.0,
    poll: float = 0.05,
) -> list[Any]:
    """Run ``rank_fn(*rank_args[r])`` on ``workers[r]`` for every rank at once; results by rank.

    Each rank is one task pinned to its worker. When a rank raises, ``on_failure`` is called
    with the workers of the ranks still running (to make them stop), the job waits up to
    ``grace`` seconds for them, and the error of the rank that failed first is raised with a
    note naming it. When a worker leaves the cluster the job ends with :class:`RankFailure`.
    """
    token = uuid.uuid4().hex[:8]
    futures = [
        client.submit(
            rank_fn,
            *args,
            key=f"{name}-rank{r}-{token}",
            workers=[w],
            allow_other_workers=False,
            pure=False,
            retries=0,
        )
        for r, (w, args) in enumerate(zip(workers, rank_args, strict=True))
    ]
    try:
        _wait_ranks(
            client, futures, workers, name=name, on_failure=on_failure, grace=grace, poll=poll
        )
        return client.gather(futures)
    finally:
        client.cancel([f for f in futures if f.status not in ("finished", "error")])


def _wait_ranks(
    client: Client,
    futures: list[Future],
    workers: Sequence[str],
    *,
    name: str,
    on_failure: Callable[[list[str]], None] | None,
    grace: float,
    poll: float,
) -> None:
    last_check = time.monotonic()
    while True:
        statuses = [f.status for f in futures]
        if any(s in ("error", "cancelled", "lost") for s in statuses):
            break
        if all(s == "finished" for s in statuses):
            return
        now = time.monotonic()
        if now - last_check > 1.0:
            last_check = now
            alive = set(client.scheduler_info(n_workers=-1)["workers"])
            gone = [
                (r, w)
                for r, w in enumerate(workers)
                if w not in alive and statuses[r] != "finished"
            ]
            if gone:
                running = [
                    w for r, w in enumerate(workers) if statuses[r] == "pending" and w in alive
                ]
                if on_failure is not None and running:
                    on_failure(running)
                ranks = ", ".join(f"rank {r} on {w}" for r, w in gone)
                raise RankFailure(
                    f"{name}: the worker of {ranks} left the cluster during the job; the other "
                    "ranks were stopped."
                )
        time.sleep(poll)

    # a rank failed: stop the others, wait for them a little, report the first failure
    running = [w for f, w in zip(futures, workers, strict=True) if f.status == "pending"]
    if on_failure is not None and running:
        try:
            on_failure(running)
        except Exception:  # stopping is best effort; the rank's own error is what matters
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(f.status == "pending" for f in futures):
        time.sleep(poll)
    failed = [(r, f) for r, f in enumerate(futures) if f.status == "error"]
    if not failed:
        bad = next(f for f in futures if f.status in ("cancelled", "lost"))
        raise RankFailure(f"{name}: a rank's task was {bad.status} ({bad.key}).")

    def first(item: tuple[int, Future]) -> tuple[float, int]:
        err = item[1].exception()
        return getattr(err, "dasklearn_failed_at", float("inf")), item[0]

    r, fut = min(failed, key=first)
    err = fut.exception()
    still = [w for f, w in zip(futures, workers, strict=True) if f.status == "pending"]
    note = f"{name}: rank {r} (worker {workers[r]}) failed first; the other ranks were stopped."
    if still:
        note += f" Rank(s) on {still} had not stopped after {grace:.0f} s."
    try:
        err.add_note(note)
    except Exception:
        pass
    fut.result()  # raises the rank's exception with its remote traceback
