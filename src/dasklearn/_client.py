"""Cluster helpers: the local cluster dasklearn starts, and finding the client in use.

:func:`resolve_client` is the one place a job that must run on a cluster (xgboost, lightgbm,
torch, TensorFlow) gets its ``distributed.Client``, with a clear error when there is none.

A cluster started here listens on 127.0.0.1 only. Connecting to a remote scheduler goes through
``distributed.Client``, which applies dask's own security (TLS) configuration.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import Any

import dask
from distributed import Client, LocalCluster

from ._heap import DISTRIBUTED_TRIM_THRESHOLD, KERNEL_MMAP_THRESHOLD, KERNEL_TRIM_THRESHOLD

__all__ = [
    "active_client",
    "balanced",
    "connect",
    "current_client",
    "local_cluster",
    "memory_budget",
    "open_client",
    "resolve_client",
    "WORKER_MALLOC",
]


def _local_kwargs(
    n_workers: int, threads_per_worker: int, memory_limit: Any, processes: bool, dashboard: bool
) -> dict[str, Any]:
    params: dict[str, Any] = dict(
        n_workers=n_workers,
        threads_per_worker=threads_per_worker,
        memory_limit=memory_limit,
        processes=processes,
        dashboard_address="127.0.0.1:0" if dashboard else None,
    )
    if processes:
        params["host"] = "127.0.0.1"
    else:
        # threads only: the cluster talks in-process (inproc://, where a host is an error), but
        # each worker's HTTP server (metrics, health) would listen on every interface
        params["worker_dashboard_address"] = "127.0.0.1:0"
    return params


#: glibc's allocator settings for the worker processes of a cluster started here: the
#: thresholds that :mod:`dasklearn._heap` gives kernels in other clusters' workers (why: there),
#: here from the start and for every task. Temporaries up to 32 MiB come from the heap, larger
#: ones (a 32 MiB block) are still mapped and returned to the system when freed. A value the
#: user set (environment or dask config) is left as it is.
WORKER_MALLOC = {
    "MALLOC_TRIM_THRESHOLD_": KERNEL_TRIM_THRESHOLD,
    "MALLOC_MMAP_THRESHOLD_": KERNEL_MMAP_THRESHOLD,
}
_PRE_SPAWN = "distributed.nanny.pre-spawn-environ"
_DISTRIBUTED_TRIM = str(DISTRIBUTED_TRIM_THRESHOLD)  # nannies also copy it to os.environ


@contextlib.contextmanager
def _worker_malloc() -> Iterator[None]:
    """Nannies started inside get :data:`WORKER_MALLOC`, unless the user chose a setting.

    A nanny copies its settings into this process's ``os.environ`` when it starts a worker
    (distributed's own side effect; there they override dask's config for later nannies). The
    previous values are put back on exit; a nanny that starts its worker later (a restart, or
    a cluster that a ``Client`` starts in the background) copies them in again.
    """
    config = dict(dask.config.get(_PRE_SPAWN, default={}) or {})
    ours = {k: str(v) for k, v in WORKER_MALLOC.items()}
    before = {k: os.environ.get(k) for k in ours}
    trim, mmap = "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"
    chosen = (
        str(config.get(trim, _DISTRIBUTED_TRIM)) != _DISTRIBUTED_TRIM
        or mmap in config
        or before[trim] not in (None, _DISTRIBUTED_TRIM, ours[trim])
        or before[mmap] not in (None, ours[mmap])
    )
    if chosen:
        yield
        return
    for k in ours:
        os.environ.pop(k, None)
    try:
        with dask.config.set({_PRE_SPAWN: {**config, **WORKER_MALLOC}}):
            yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


#: How often the workers of a cluster started here sample their running tasks' stacks for
#: the dashboard's profile page (distributed's default: every 10 ms). Each sample takes the GIL
#: from the task: on 2 cores, a forest's ``predict_proba`` on a 2x1 cluster ran 3-9% faster
#: sampling every 100 ms (``benchmarks/results/parallel_post_fit.md``).
WORKER_PROFILE_INTERVAL = "100ms"

#: How often the scheduler, nannies and workers of a cluster started here wake up to measure
#: their event loop's delay (distributed's default: every 20 ms, for a warning when a loop is
#: blocked for 3 s). Those ticks were two thirds of an idle 2x1 cluster's wake-ups: at 100 ms the
#: idle cluster took 6.5% of a core instead of 10%, and a forest call on 2 busy cores ran
#: 0.3-2.6% faster (``benchmarks/results/parallel_post_fit.md``).
EVENT_LOOP_TICK = "100ms"

#: The settings changed on clusters started here: key, distributed's default (as its
#: configuration file writes it), ours. A value the user set is left as it is.
_CLUSTER_SETTINGS = (
    ("distributed.worker.profile.interval", "10ms", WORKER_PROFILE_INTERVAL),
    ("distributed.admin.tick.interval", "20ms", EVENT_LOOP_TICK),
)


def _unchanged(key: str, default: str) -> bool:
    value = str(dask.config.get(key, default=default))
    return value.replace(" ", "") == default


@contextlib.contextmanager
def _worker_settings() -> Iterator[None]:
    """Nannies started inside get :data:`WORKER_MALLOC`, and the scheduler, nannies and
    workers :data:`WORKER_PROFILE_INTERVAL` and :data:`EVENT_LOOP_TICK` (a nanny keeps dask's
    configuration of its start for its worker's restarts), unless the user chose other
    settings."""
    ours = {key: value for key, default, value in _CLUSTER_SETTINGS if _unchanged(key, default)}
    with _worker_malloc(), dask.config.set(ours):
        yield


def local_cluster(
    n_workers: int = 2,
    threads_per_worker: int = 1,
    memory_limit: str | float | None = "auto",
    processes: bool = True,
    dashboard: bool = True,
    **kwargs: Any,
) -> LocalCluster:
    """A :class:`distributed.LocalCluster` bound to 127.0.0.1 (scheduler, workers and
    dashboard), its worker processes started with :data:`WORKER_MALLOC`, and with
    :data:`WORKER_PROFILE_INTERVAL` and :data:`EVENT_LOOP_TICK`."""
    params = _local_kwargs(n_workers, threads_per_worker, memory_limit, processes, dashboard)
    with _worker_settings():
        return LocalCluster(**params, **kwargs)


def connect(
    scheduler: str | None = None,
    *,
    n_workers: int = 2,
    threads_per_worker: int = 1,
    memory_limit: str | float | None = "auto",
    processes: bool = True,
    dashboard: bool = True,
    **kwargs: Any,
) -> Client:
    """A client for ``scheduler`` (an address), or for a new 127.0.0.1 cluster when it is None.

    A client that started its own local cluster closes it when the client closes. A remote
    scheduler is reached with dask's configured security (``distributed.comm.tls``); a
    ``tls://`` address without TLS settings is a clear ValueError.
    """
    if scheduler is not None:
        _check_tls(scheduler, kwargs.get("security"))
        return open_client(scheduler, **kwargs)
    params = _local_kwargs(n_workers, threads_per_worker, memory_limit, processes, dashboard)
    with _worker_settings():
        return Client(**params, **kwargs)


def open_client(address: str, **kwargs: Any) -> Client:
    """``distributed.Client(address, **kwargs)``, leaving no half-made client behind on failure.

    A ``Client`` registers itself as dask's default scheduler before it connects. When the
    connection fails on an address distributed cannot use (an unknown scheme), it stays
    registered until the garbage collector finds it, and every ``compute()`` without an explicit
    scheduler waits on it forever. Such a client is closed here before the error propagates.
    """
    before = current_client()
    try:
        return Client(address, **kwargs)
    except BaseException:
        after = current_client()
        if after is not None and after is not before:
            after.close()
        raise


def _check_tls(address: Any, security: Any) -> None:
    """A clear error for a ``tls://`` address without TLS settings (distributed's own is a
    TypeError about ``ssl_context``)."""
    if not (isinstance(address, str) and address.startswith("tls://")):
        return
    from distributed.security import Security

    if security is None:
        security = Security()  # dask's configuration: distributed.comm.tls.*
    if isinstance(security, Security) and security.get_connection_args("client")["ssl_context"]:
        return
    raise ValueError(
        f"the scheduler at {address} requires TLS, but no TLS settings are configured: set "
        "distributed.comm.tls.ca-file, distributed.comm.tls.client.cert and "
        "distributed.comm.tls.client.key in dask's configuration (or DASK_DISTRIBUTED__COMM__"
        "TLS__* variables), or pass security=distributed.security.Security(...)."
    )


def current_client() -> Client | None:
    """The default ``distributed.Client`` when one is active, else None (dask's local scheduler)."""
    try:
        from distributed import default_client

        return default_client()
    except ValueError:
        return None


def resolve_client(client: Client | None, what: str) -> Client:
    """``client`` itself, or the current ``distributed.Client``; a clear error if there is none."""
    if client is None:
        client = current_client()
        if client is None:
            raise ValueError(
                f"{what} runs on a Dask cluster and needs a distributed Client, but none is "
                "active. Start one first, e.g. client = distributed.Client() or "
                "dasklearn._client.connect(), or pass client=..."
            )
    if isinstance(client, str):
        raise TypeError(
            f"client must be a distributed.Client, got the string {client!r}; connect first: "
            "client = distributed.Client(address) (dask's security configuration applies)."
        )
    if not isinstance(client, Client):
        raise TypeError(f"client must be a distributed.Client, got {type(client).__name__}.")
    if client.status in ("closed", "closing"):
        raise ValueError(
            f"{what}: the client is closed (distributed.Client.close was called); create a new "
            "one or pass client=..."
        )
    return client


def active_client() -> Client | None:
    """The ``distributed.Client`` that ``dask.compute`` would use right now, else None.

    Follows dask's own rule: ``dask.config.set(scheduler=...)`` first, then the default client.
    None means a local scheduler (threads, processes or synchronous) runs the graph.
    """
    owner = getattr(dask.base.get_scheduler(), "__self__", None)
    return owner if isinstance(owner, Client) else None


def memory_budget(client: Client | None = None) -> int:
    """Bytes of memory that computations may hold: the workers' total memory limit, or RAM.

    With a client, the sum of its workers' ``memory_limit`` (a worker without a limit counts the
    memory of its host, as the scheduler reports it). Without one (dask's local schedulers), the
    memory this machine has available now.
    """
    import psutil

    if client is None:
        return int(psutil.virtual_memory().available)
    workers = client.scheduler_info(n_workers=-1).get("workers", {})
    total = 0
    for info in workers.values():
        limit = info.get("memory_limit") or 0
        if not limit:
            limit = psutil.virtual_memory().total  # unlimited worker: count the host's memory
        total += int(limit)
    return total


def balanced(
    holders: list[str], sizes: Sequence[float], threads: dict[str, int]
) -> dict[str, list[int]]:
    """Blocks by the worker that should work on them: each worker's own (``holders[i]`` holds
    block ``i``, of ``sizes[i]``), up to its share of the work in proportion to its threads;
    the blocks beyond it go to the workers below theirs. The scheduler leaves persisted blocks
    unevenly (23 and 27 of 50, 6 and 4 of 10), and the fuller worker would finish every call
    or pass last by the difference."""
    workers = sorted(set(holders) | set(threads))
    total_threads = sum(threads.get(w, 1) for w in workers)
    share = {w: sum(sizes) * threads.get(w, 1) / total_threads for w in workers}
    kept: dict[str, list[int]] = {w: [] for w in workers}
    load = dict.fromkeys(workers, 0.0)
    spare = []
    for i, worker in enumerate(holders):
        if load[worker] + sizes[i] / 2 <= share[worker]:
            kept[worker].append(i)
            load[worker] += sizes[i]
        else:
            spare.append(i)
    for i in spare:
        worker = max(workers, key=lambda w: share[w] - load[w])
        kept[worker].append(i)
        load[worker] += sizes[i]
    return {w: sorted(blocks) for w, blocks in kept.items() if blocks}
