"""Run scikit-learn's own parallel work (``n_jobs``) on the workers of a dask cluster.

scikit-learn parallelises with joblib: random forests fit their trees, ``GridSearchCV`` and
``cross_validate`` fit their candidates and folds through ``joblib.Parallel``. joblib's ``dask``
backend turns each batch of those calls into a task on a ``distributed`` cluster, so an unchanged
scikit-learn estimator with ``n_jobs=-1`` uses every worker thread of the cluster::

    from dasklearn.parallel import on_cluster

    with on_cluster(client, scatter=[X, y]):
        GridSearchCV(SVC(), grid, n_jobs=-1).fit(X, y)
        RandomForestClassifier(n_estimators=200, n_jobs=-1).fit(X, y)

Inside the block the workers of a cluster started with distributed's allocator setting keep
temporaries of up to 32 MiB on glibc's heap, as dasklearn's own kernels do there
(:mod:`dasklearn._heap`); distributed's setting is put back when the block ends.

The data must fit in memory on the client and on each worker; each task receives whole arrays.
``scatter`` sends the listed objects to every worker once, up front; tasks that receive those very
objects then refer to the workers' copies instead of carrying the data. Estimators that convert
their input first (a random forest makes a float32 copy of X) pass the converted copy instead,
which joblib's dask backend ships once per ``Parallel`` call: either way the training data travel
to the workers once per call, not once per task.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import joblib
from distributed import Client

from ._client import open_client, resolve_client
from ._heap import hold_roomy_heap, release_roomy_heap

__all__ = ["on_cluster"]


@contextlib.contextmanager
def on_cluster(
    client: Client | str | None = None,
    scatter: Sequence[Any] | None = None,
    n_jobs: int = -1,
    **backend_params: Any,
) -> Iterator[Client]:
    """Send joblib-parallel work (scikit-learn's ``n_jobs``) to a dask cluster's workers.

    Parameters
    ----------
    client : distributed.Client or str, optional
        The cluster to use: a client, or a scheduler's address (``"tcp://host:8786"``; a client
        is opened for the block and closed after it, with dask's security configuration);
        defaults to the current client.
    scatter : sequence of objects, optional
        Data that every task uses (typically ``[X, y]``), broadcast to all workers once when the
        block starts and released when it ends.
    n_jobs : int
        Default ``n_jobs`` for joblib calls that do not set it (``-1``: every worker thread). An
        estimator's own ``n_jobs=-1`` means the same inside the block.
    **backend_params
        Passed to joblib's dask backend (for example ``wait_for_workers_timeout=``, or
        ``resources=`` for every submitted task).

    Yields
    ------
    distributed.Client
        The client in use.

    Raises
    ------
    ValueError
        When no client is given and none is current, the client is closed, or the address's
        scheme is unknown.
    OSError
        When no scheduler answers at the address.
    """
    owned = None
    if isinstance(client, str):  # a scheduler's address: connect for the block's duration
        try:
            client = owned = open_client(client)
        except (ValueError, OSError) as err:  # a bad scheme, no scheduler listening there
            kind = OSError if isinstance(err, OSError) else ValueError
            raise kind(f"on_cluster cannot connect to {client!r}: {err}") from None
    client = resolve_client(client, "on_cluster")
    if scatter is not None and not isinstance(scatter, list | tuple):
        raise TypeError(f"scatter must be a list or tuple of objects, got {type(scatter).__name__}")
    held = _hold_heaps(client)
    try:
        with joblib.parallel_config(
            backend="dask",
            n_jobs=n_jobs,
            client=client,
            scatter=None if scatter is None else list(scatter),
            **backend_params,
        ):
            yield client
    finally:
        if held:
            _run_on_workers(client, release_roomy_heap)
        if owned is not None:
            owned.close()


def _run_on_workers(client: Client, func: Any) -> dict:
    """``func()`` on every worker, by worker; an exception where a worker cannot run it (no
    dasklearn there), nothing for an asynchronous client or a cluster that cannot be asked."""
    if getattr(client, "asynchronous", False):
        return {}
    try:
        return client.run(func, on_error="return")
    except Exception:  # the batches still run, as distributed set the workers up
        return {}


def _hold_heaps(client: Client) -> bool:
    """The workers' glibc heap thresholds raised for the block, as for dasklearn's own kernels
    (:func:`~dasklearn._heap.hold_roomy_heap`: only in workers started with distributed's
    allocator setting); whether any worker changed."""
    return any(held is True for held in _run_on_workers(client, hold_roomy_heap).values())
