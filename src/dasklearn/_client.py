"""Cluster helpers: the local cluster dasklearn starts, and finding the client in use.

A cluster started here listens on 127.0.0.1 only. Connecting to a remote scheduler goes through
``distributed.Client``, which applies dask's own security (TLS) configuration.
"""

from __future__ import annotations

from typing import Any

from distributed import Client, LocalCluster

__all__ = ["connect", "current_client", "local_cluster"]


def _local_kwargs(
    n_workers: int, threads_per_worker: int, memory_limit: Any, processes: bool, dashboard: bool
) -> dict[str, Any]:
    return dict(
        n_workers=n_workers,
        threads_per_worker=threads_per_worker,
        memory_limit=memory_limit,
        processes=processes,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0" if dashboard else None,
    )


def local_cluster(
    n_workers: int = 2,
    threads_per_worker: int = 1,
    memory_limit: str | float | None = "auto",
    processes: bool = True,
    dashboard: bool = True,
    **kwargs: Any,
) -> LocalCluster:
    """A :class:`distributed.LocalCluster` bound to 127.0.0.1 (scheduler, workers and dashboard)."""
    params = _local_kwargs(n_workers, threads_per_worker, memory_limit, processes, dashboard)
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
    scheduler is reached with dask's configured security (``distributed.comm.tls``).
    """
    if scheduler is not None:
        return Client(scheduler, **kwargs)
    params = _local_kwargs(n_workers, threads_per_worker, memory_limit, processes, dashboard)
    return Client(**params, **kwargs)


def current_client() -> Client | None:
    """The default ``distributed.Client`` when one is active, else None (dask's local scheduler)."""
    try:
        from distributed import default_client

        return default_client()
    except ValueError:
        return None
