"""TensorFlow jobs on the workers of a Dask cluster.

* :func:`run` executes a training function on ``n_workers`` workers at once under
  ``tf.distribute.MultiWorkerMirroredStrategy``, with ``TF_CONFIG`` set on each worker, inside
  the strategy's scope (``tf.distribute.get_strategy()`` returns it), and returns each worker's
  result. Dask arrays and dataframes passed as arguments are persisted once and each worker
  receives its share of the partitions as NumPy arrays in their place.
* :func:`start_tensorflow` starts a ``tf.distribute.Server`` for every task of a TensorFlow
  cluster (e.g. ``ps=1, worker=2`` for ``ParameterServerStrategy``) on the Dask workers and
  returns the cluster specification both ways: TensorFlow's (job -> ``host:port`` list, ready
  for ``tf.train.ClusterSpec``) and Dask's (job -> worker addresses).

Two TensorFlow facts shape this module:

* A process configures TensorFlow's collective runtime once. The strategy a worker creates is
  kept and reused by later :func:`run` calls on the same workers; asking for a different set of
  workers raises an error that says to restart them (``client.restart_workers(...)``).
* When a worker's training function raises, the others would wait forever in their next
  collective. :func:`run` aborts their collectives at once and raises the first error; the
  aborted runtime cannot be reset inside a running process, so those workers must be restarted
  before the next :func:`run` (later calls say so instead of hanging).

Keras 3's ``Model.fit`` does not work under ``MultiWorkerMirroredStrategy``
(keras-team/keras#20585): build and compile-free Keras models under the scope and train them
with a custom loop (``strategy.run`` inside a ``tf.function``), as in the example of :func:`run`.

Needs the ``tensorflow`` extra (``pip install 'dasklearn[tensorflow]'``; the CPU wheel is enough)
on every worker. TensorFlow is imported only on the workers, never in the client process.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable
from typing import Any

from dasklearn._client import resolve_client
from dasklearn._ranks import (
    free_port,
    mark_failure,
    pick_workers,
    run_ranks,
    shard_arguments,
    with_local,
    without_dask,
    worker_host,
)
from dasklearn.exceptions import missing_extra

if importlib.util.find_spec("tensorflow") is None:  # pragma: no cover - only without the extra
    raise missing_extra("TensorFlow", "tensorflow", ImportError("No module named 'tensorflow'"))

__all__ = ["run", "start_tensorflow"]

#: TensorFlow state of this (worker) process: cluster, strategy, servers, aborted flag
_STATE: dict[str, Any] = {}

_RESTART = (
    "TensorFlow cannot reset its collective runtime inside a running process: restart these "
    "workers before the next dasklearn.tensorflow.run, e.g. client.restart_workers({workers})"
    " or client.restart()."
)


def _import_tf() -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    return tf


# --------------------------------------------------------------------------------------------
# worker side
# --------------------------------------------------------------------------------------------


def _probe() -> dict[str, Any]:
    """This worker's TensorFlow configuration (if any) and a free port.

    Also imports TensorFlow here, in a task thread, before any job task arrives: a job task
    whose function comes from a module that imports TensorFlow would otherwise race a second
    import of it (TensorFlow's import is not safe to run twice at once).
    """
    _import_tf()
    return {
        "cluster": _STATE.get("cluster"),
        "index": _STATE.get("index"),
        "aborted": _STATE.get("aborted"),
        "port": free_port(),
        "servers": [s["job"] for s in _STATE.get("servers", [])],
    }


def _abort(message: str) -> str:
    """Abort this process's collectives so a rank blocked in one fails now."""
    _STATE["aborted"] = message
    if "cluster" not in _STATE:
        return "idle"
    from tensorflow.python.eager import context
    from tensorflow.python.framework import errors

    context.context().abort_collective_ops(errors.UNAVAILABLE, message)
    return "aborted"


def _abort_soon(message: str) -> str:
    """:func:`_abort` in a thread of its own: never blocks the worker's event loop."""
    import threading

    _STATE["aborted"] = message
    threading.Thread(target=_abort, args=(message,), daemon=True, name="dasklearn-abort").start()
    return "aborting"


def _to_plain(value: Any) -> Any:
    if (
        hasattr(value, "numpy")
        and callable(value.numpy)
        and type(value).__module__.startswith(("tensorflow", "keras"))
    ):
        return value.numpy()
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple) and not hasattr(value, "_fields"):
        return type(value)(_to_plain(v) for v in value)
    return value


def _strategy(tf: Any, cluster: list[str], index: int) -> Any:
    if _STATE.get("strategy") is not None:
        return _STATE["strategy"]
    _STATE.update(cluster=list(cluster), index=index)
    _STATE["strategy"] = tf.distribute.MultiWorkerMirroredStrategy()
    return _STATE["strategy"]


def _rank_main(
    train_fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    shards: dict[str, Any],
    info: dict[str, Any],
) -> Any:
    rank = info["index"]
    if _STATE.get("aborted"):
        raise RuntimeError(
            f"TensorFlow's collectives on this worker were aborted earlier ({_STATE['aborted']}). "
            + _RESTART.format(workers=info["workers"])
        )
    config = {
        "cluster": {"worker": info["cluster"]},
        "task": {"type": "worker", "index": rank},
    }
    saved = os.environ.get("TF_CONFIG")
    os.environ["TF_CONFIG"] = json.dumps(config)
    try:
        tf = _import_tf()
        strategy = _strategy(tf, info["cluster"], rank)
        call_args, call_kwargs = with_local(args, kwargs, shards)
        with strategy.scope():
            return _to_plain(train_fn(*call_args, **call_kwargs))
    except BaseException as err:
        mark_failure(err, rank)
        try:
            _abort(f"rank {rank} failed: {type(err).__name__}: {err}")
        except Exception:
            pass
        raise
    finally:
        if saved is None:
            os.environ.pop("TF_CONFIG", None)
        else:
            os.environ["TF_CONFIG"] = saved


def _start_server(spec: dict[str, list[str]], job: str, index: int) -> str:
    tf = _import_tf()
    server = tf.distribute.Server(
        tf.train.ClusterSpec(spec), job_name=job, task_index=index, start=True
    )
    _STATE.setdefault("servers", []).append({"job": job, "index": index, "server": server})
    return server.target


# --------------------------------------------------------------------------------------------
# client side
# --------------------------------------------------------------------------------------------


def _probes(client: Any, workers: list[str]) -> list[dict[str, Any]]:
    return client.gather(
        [client.submit(_probe, workers=[w], allow_other_workers=False, pure=False) for w in workers]
    )


def start_tensorflow(
    client: Any = None, **job_counts: int
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Start a TensorFlow server for every task of a cluster made of Dask workers.

    Parameters
    ----------
    client : distributed.Client or None
        The cluster; None for the current client.
    **job_counts : int
        Tasks per job, e.g. ``ps=1, worker=2``; default one ``worker`` task per Dask worker.
        Each task gets its own worker, in job order; the server stays up for the life of
        the worker process (TensorFlow servers cannot be stopped).

    Returns
    -------
    tf_spec : dict
        ``{job: ["host:port", ...]}``, e.g. ``tf.train.ClusterSpec(tf_spec)``.
    dask_spec : dict
        ``{job: [worker address, ...]}``: which Dask worker runs each task.
    """
    client = resolve_client(client, "dasklearn.tensorflow.start_tensorflow")
    if not job_counts:
        job_counts = {"worker": len(pick_workers(client, None))}
    for job, count in job_counts.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"{job}={count!r}: each job needs a positive number of tasks.")
    total = sum(job_counts.values())
    workers = pick_workers(client, total, "tasks")
    probes = _probes(client, workers)
    taken = [w for w, p in zip(workers, probes, strict=True) if p["servers"]]
    if taken:
        raise RuntimeError(
            f"Worker(s) {taken} already run a TensorFlow server (servers cannot be stopped); "
            "restart them first, e.g. client.restart_workers(...)."
        )
    tf_spec: dict[str, list[str]] = {}
    dask_spec: dict[str, list[str]] = {}
    i = 0
    for job, count in job_counts.items():
        for _ in range(count):
            tf_spec.setdefault(job, []).append(f"{worker_host(workers[i])}:{probes[i]['port']}")
            dask_spec.setdefault(job, []).append(workers[i])
            i += 1
    futures = [
        client.submit(
            _start_server, tf_spec, job, k, workers=[w], allow_other_workers=False, pure=False
        )
        for job, ws in dask_spec.items()
        for k, w in enumerate(ws)
    ]
    client.gather(futures)
    return tf_spec, dask_spec


def run(
    client: Any,
    train_fn: Callable[..., Any],
    *args: Any,
    n_workers: int | None = None,
    **kwargs: Any,
) -> list[Any]:
    """Run ``train_fn(*args, **kwargs)`` on ``n_workers`` workers under MultiWorkerMirroredStrategy.

    Parameters
    ----------
    client : distributed.Client or None
        The cluster; None for the current client.
    train_fn : callable
        Runs on every worker at once, in the worker's process, with ``TF_CONFIG`` set and
        inside ``strategy.scope()``: ``tf.distribute.get_strategy()`` is the strategy. Create
        models and optimizers in it and train with ``strategy.run`` in a ``tf.function``.
        Tensors in the result come back as NumPy arrays.
    *args, **kwargs
        Passed to ``train_fn``. Dask arrays, dataframes and series among them (not nested)
        are replaced on each worker by a NumPy array of its share of the partitions, split
        alike across arguments. Each worker needs at least one partition.
    n_workers : int, optional
        Number of TensorFlow workers, one per Dask worker; default every worker.

    Returns
    -------
    list
        Each worker's return value, by task index.

    Examples
    --------
    >>> def train(X, y, epochs=5):  # doctest: +SKIP
    ...     import keras, tensorflow as tf
    ...     strategy = tf.distribute.get_strategy()
    ...     model = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(1)])
    ...     opt = keras.optimizers.SGD(0.1)
    ...
    ...     @tf.function
    ...     def step(xb, yb):
    ...         def one(xb, yb):
    ...             with tf.GradientTape() as tape:
    ...                 loss = tf.reduce_mean((model(xb) - yb) ** 2)
    ...             grads = tape.gradient(loss, model.trainable_variables)
    ...             opt.apply_gradients(zip(grads, model.trainable_variables))
    ...             return loss
    ...         return strategy.reduce("MEAN", strategy.run(one, (xb, yb)), axis=None)
    ...
    ...     return [float(step(X, y[:, None])) for _ in range(epochs)]
    >>> losses = dasklearn.tensorflow.run(client, train, X, y)  # doctest: +SKIP
    """
    client = resolve_client(client, "dasklearn.tensorflow.run")
    if not callable(train_fn):
        raise TypeError(f"train_fn must be callable, got {type(train_fn).__name__}.")
    workers = pick_workers(client, n_workers, "workers")
    probes = _probes(client, workers)
    aborted = [w for w, p in zip(workers, probes, strict=True) if p["aborted"]]
    if aborted:
        raise RuntimeError(
            f"TensorFlow's collectives on worker(s) {aborted} were aborted by an earlier failed "
            f"job ({probes[workers.index(aborted[0])]['aborted']}). "
            + _RESTART.format(workers=aborted)
        )
    configured = [p["cluster"] for p in probes]
    if all(c is None for c in configured):
        cluster = [f"{worker_host(w)}:{p['port']}" for w, p in zip(workers, probes, strict=True)]
    elif all(
        c is not None and c == configured[0] and len(c) == len(workers) and p["index"] == r
        for r, (c, p) in enumerate(zip(configured, probes, strict=True))
    ):
        cluster = configured[0]
    else:
        busy = [w for w, c in zip(workers, configured, strict=True) if c is not None]
        raise RuntimeError(
            f"Worker(s) {busy} already belong to a TensorFlow cluster of other workers "
            f"(or another order); this job asks for {workers}. " + _RESTART.format(workers=busy)
        )
    shards = shard_arguments(client, workers, args, kwargs)
    plain_args, plain_kwargs = without_dask(args, kwargs)
    rank_args = [
        (
            train_fn,
            plain_args,
            plain_kwargs,
            shards[r],
            {"cluster": cluster, "index": r, "workers": list(workers)},
        )
        for r in range(len(workers))
    ]

    def stop(running: list[str]) -> None:
        client.run(_abort_soon, "another worker of the job failed", workers=running)

    try:
        return run_ranks(
            client,
            _rank_main,
            workers,
            rank_args,
            name="dasklearn.tensorflow.run",
            on_failure=stop,
        )
    except Exception as err:
        if not isinstance(err, RuntimeError) or "restart" not in str(err):
            try:
                err.add_note(_RESTART.format(workers=list(workers)))
            except Exception:
                pass
        raise
