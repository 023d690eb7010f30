"""Running distributed training frameworks on the workers of a Dask cluster.

Shared by :mod:`dasklearn.xgboost`, :mod:`dasklearn.lightgbm`, :mod:`dasklearn.torch` and
:mod:`dasklearn.tensorflow`:

* the client in use and a deterministic choice of workers (rank 0 is the first),
* a free port on a worker, the host of a worker and each worker's local rank,
* persisting the dask inputs of a job in one pass and checking that their partitions line up
  (lengths come from the persisted partitions, so unknown chunk sizes cost no extra pass),
* handing each rank its share of the partitions, preferring the partitions it already holds,
* running one task per rank at once and failing fast: the first rank that raises decides the
  error, the other ranks are told to stop, and a worker that leaves the cluster ends the job;
* for the boosting frameworks: validated, persisted and aligned fit inputs (in-memory input
  split into one partition per worker, categories unified, class labels encoded once) and
  predictions mapped over blocks, aligned with the input.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
from dask.core import flatten
from distributed import Client, Future, futures_of, wait
from distributed.comm import get_address_host

from dasklearn._client import current_client

__all__ = [
    "FitData",
    "Partitions",
    "RankFailure",
    "assign_partitions",
    "check_features",
    "concat_parts",
    "free_port",
    "local_ranks",
    "map_predict",
    "mark_failure",
    "missing_extra",
    "persist_aligned",
    "pick_workers",
    "prepare_fit",
    "resolve_client",
    "run_ranks",
    "shard_arguments",
    "with_local",
    "without_dask",
]


def missing_extra(framework: str, module: str, err: ImportError) -> ImportError:
    """The ImportError raised when an optional framework is not installed."""
    return ImportError(
        f"dasklearn.{module} needs {framework}, which is not installed ({err}). "
        f"Install it with the '{module}' extra: pip install 'dasklearn[{module}]'."
    )


# --------------------------------------------------------------------------------------------
# client and workers
# --------------------------------------------------------------------------------------------


def resolve_client(client: Client | None, what: str) -> Client:
    """``client`` itself, or the current ``distributed.Client``; a clear error if there is none."""
    if client is None:
        client = current_client()
        if client is None:
            raise ValueError(
                f"{what} runs on a Dask cluster and needs a distributed.Client, but none is "
                "active. Start one first, e.g. client = distributed.Client() or "
                "dasklearn._client.connect(), or pass client=..."
            )
    if not isinstance(client, Client):
        raise TypeError(f"client must be a distributed.Client, got {type(client).__name__}.")
    return client


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
# inputs: one persist, aligned partitions
# --------------------------------------------------------------------------------------------


def is_dask_collection(x: Any) -> bool:
    return isinstance(x, da.Array | dd.DataFrame | dd.Series)


def n_partitions(x: da.Array | dd.DataFrame | dd.Series) -> int:
    return x.numblocks[0] if isinstance(x, da.Array) else x.npartitions


def _rows_only(x: Any) -> Any:
    """Dask arrays chunked along rows only (one block across every other axis)."""
    if isinstance(x, da.Array) and x.ndim > 1 and any(n != 1 for n in x.numblocks[1:]):
        return x.rechunk({i: -1 for i in range(1, x.ndim)})
    return x


def _part_len(part: Any) -> int:
    return int(part.shape[0]) if hasattr(part, "shape") else len(part)


def _ordered_futures(client: Client, persisted: Any) -> list[Future]:
    """One future per partition of a persisted collection, in partition order.

    The keys of a persisted dataframe may be aliases of other keys, so the partitions are
    taken through ``to_delayed`` (trivial tasks on the workers that hold the data).
    """
    if isinstance(persisted, da.Array):
        by_key = {f.key: f for f in futures_of(persisted)}
        keys = list(flatten(persisted.__dask_keys__()))
        if all(k in by_key for k in keys):
            return [by_key[k] for k in keys]
    parts = persisted.to_delayed()
    parts = list(parts.ravel()) if isinstance(parts, np.ndarray) else list(parts)
    return client.compute(parts)


@dataclass
class Partitions:
    """Persisted dask inputs of one job, partition by partition.

    Attributes
    ----------
    collections : dict
        Name -> persisted collection (dask arrays get their now-known row chunks).
    futures : dict
        Name -> the futures of its partitions, in order.
    lengths : tuple of int
        Rows of each partition (the same for every collection).
    """

    collections: dict[str, Any]
    futures: dict[str, list[Future]]
    lengths: tuple[int, ...]

    def locations(self, client: Client, name: str | None = None) -> list[str | None]:
        """The worker holding each partition (of the first collection unless ``name``)."""
        futs = self.futures[name or next(iter(self.futures))]
        who = client.who_has(futs)
        return [next(iter(who.get(f.key, ())), None) for f in futs]


def persist_aligned(
    client: Client, named: dict[str, Any], *, what: str = "The inputs"
) -> Partitions:
    """Persist every dask collection in ``named`` at once and check that their partitions line up.

    Number of partitions is checked from metadata before anything runs; the rows of each
    partition come from the persisted partitions (tiny tasks where the data lives), so dask
    arrays and dataframes with unknown chunk sizes cost no extra pass over the data.

    Raises
    ------
    ValueError
        When the collections have different numbers of partitions or of rows per partition,
        naming the collections and the first partition that differs.
    """
    names = list(named)
    colls = [_rows_only(named[n]) for n in names]
    counts = [n_partitions(c) for c in colls]
    if len(set(counts)) > 1:
        listing = ", ".join(f"{n} has {k}" for n, k in zip(names, counts, strict=True))
        raise ValueError(
            f"{what} are split into different numbers of partitions ({listing}); each "
            "partition of one must hold the same rows as the same partition of the others. "
            "Build them from one dataframe (X = df[features], y = df[target]) or rechunk to "
            "the same row chunks (y = y.rechunk(X.chunks[0]))."
        )
    _check_known_chunks(names, colls, what)
    persisted = client.persist(colls)
    futures = {n: _ordered_futures(client, p) for n, p in zip(names, persisted, strict=True)}
    length_futures = {n: client.map(_part_len, fs, pure=False) for n, fs in futures.items()}
    lengths = client.gather(length_futures)
    first = lengths[names[0]]
    for n in names[1:]:
        if lengths[n] != first:
            i = next(i for i, (a, b) in enumerate(zip(first, lengths[n], strict=True)) if a != b)
            raise ValueError(
                f"{what} do not line up: partition {i} has {first[i]} rows in {names[0]} but "
                f"{lengths[n][i]} in {n}. Each partition of one must hold the same rows as the "
                "same partition of the others."
            )
    out = {}
    for n, p in zip(names, persisted, strict=True):
        if isinstance(p, da.Array) and p.chunks[0] != tuple(first):
            p = da.Array(p.dask, p.name, (tuple(first),) + p.chunks[1:], meta=p._meta)
        out[n] = p
    return Partitions(out, futures, tuple(int(k) for k in first))


def _check_known_chunks(names: list[str], colls: list[Any], what: str) -> None:
    """Known row chunks of dask arrays must agree (free: metadata only)."""
    known = [
        (n, c.chunks[0])
        for n, c in zip(names, colls, strict=True)
        if isinstance(c, da.Array) and not any(np.isnan(c.chunks[0]))
    ]
    for n, chunks in known[1:]:
        if chunks != known[0][1]:
            i = next(i for i, (a, b) in enumerate(zip(known[0][1], chunks, strict=True)) if a != b)
            raise ValueError(
                f"{what} do not line up: row block {i} has {known[0][1][i]} rows in "
                f"{known[0][0]} but {chunks[i]} in {n}. Rechunk one to match the other, e.g. "
                f"{n} = {n}.rechunk({known[0][0]}.chunks[0])."
            )


def assign_partitions(
    lengths: Sequence[int], locations: Sequence[str | None], workers: Sequence[str]
) -> list[list[int]]:
    """Share partitions among ranks (one per worker): local partitions first, then balance rows.

    Every partition goes to the rank whose worker already holds it; partitions on other
    workers go to the rank with the fewest rows. Then whole partitions move from the rank
    with the most rows to the one with the fewest while that narrows the gap. Each rank's
    list stays in the original partition order.
    """
    n = len(workers)
    index = {w: r for r, w in enumerate(workers)}
    shares: list[list[int]] = [[] for _ in range(n)]
    rows = [0] * n
    homeless = []
    for i, (size, where) in enumerate(zip(lengths, locations, strict=True)):
        r = index.get(where) if where is not None else None
        if r is None:
            homeless.append(i)
        else:
            shares[r].append(i)
            rows[r] += size
    for i in sorted(homeless, key=lambda i: -lengths[i]):
        r = int(np.argmin(rows))
        shares[r].append(i)
        rows[r] += lengths[i]
    while True:
        hi, lo = int(np.argmax(rows)), int(np.argmin(rows))
        gap = rows[hi] - rows[lo]
        best = None
        for i in shares[hi]:
            new_gap = abs((rows[hi] - lengths[i]) - (rows[lo] + lengths[i]))
            if lengths[i] > 0 and new_gap < gap and (best is None or new_gap < best[1]):
                best = (i, new_gap)
        if best is None:
            break
        i = best[0]
        shares[hi].remove(i)
        shares[lo].append(i)
        rows[hi] -= lengths[i]
        rows[lo] += lengths[i]
    return [sorted(s) for s in shares]


def concat_parts(parts: Sequence[Any]) -> np.ndarray:
    """One NumPy array from a rank's partitions (NumPy blocks or pandas frames/series)."""
    arrays = [
        p.to_numpy() if isinstance(p, pd.DataFrame | pd.Series) else np.asarray(p) for p in parts
    ]
    if not arrays:
        raise ValueError("No partitions to concatenate.")
    if len(arrays) == 1:
        return arrays[0]
    return np.concatenate(arrays, axis=0)


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
    named = {f"args[{i}]": a for i, a in enumerate(args) if is_dask_collection(a)}
    named.update({k: v for k, v in kwargs.items() if is_dask_collection(v)})
    if not named:
        return [{} for _ in workers]
    for name, value in named.items():
        check_numeric_collection(name, value)
        if n_partitions(value) < len(workers):
            raise ValueError(
                f"{name} has {n_partitions(value)} partition(s) but the job has {len(workers)} "
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
        tuple(None if is_dask_collection(a) else a for a in args),
        {k: (None if is_dask_collection(v) else v) for k, v in kwargs.items()},
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


class RankFailure(RuntimeError):
    """A rank's worker left the cluster while the job ran."""


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


# --------------------------------------------------------------------------------------------
# gradient boosting (xgboost, lightgbm): inputs for a fit, predictions over blocks
# --------------------------------------------------------------------------------------------


def _is_in_memory(x: Any) -> bool:
    return x is not None and not is_dask_collection(x)


def check_features(X: Any, what: str = "X") -> None:
    """X for a boosting framework: 2-D, numeric, boolean or categorical columns (metadata only)."""
    if isinstance(X, dd.Series | pd.Series):
        raise ValueError(f"Expected a 2-dimensional {what}, got a Series; use a DataFrame.")
    if isinstance(X, dd.DataFrame | pd.DataFrame):
        bad = [
            str(c)
            for c, t in X.dtypes.items()
            if not (
                pd.api.types.is_numeric_dtype(t)
                or pd.api.types.is_bool_dtype(t)
                or isinstance(t, pd.CategoricalDtype)
            )
        ]
        if bad:
            raise ValueError(
                f"{what} has columns {bad} that are neither numeric nor categorical; convert "
                "them, e.g. X[cols] = X[cols].astype('category')."
            )
        return
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-dimensional {what}, got {X.ndim} dimension(s).")
    if not (pd.api.types.is_numeric_dtype(X.dtype) or pd.api.types.is_bool_dtype(X.dtype)):
        raise ValueError(f"{what} has dtype {X.dtype}; numbers are needed.")


def _as_1d(y: Any, what: str) -> Any:
    if isinstance(y, dd.DataFrame | pd.DataFrame):
        if len(y.columns) != 1:
            raise ValueError(f"{what} must be one column, got {len(y.columns)}.")
        return y[y.columns[0]]
    if isinstance(y, np.ndarray | da.Array) and y.ndim == 2 and y.shape[1] == 1:
        return y[:, 0]
    if hasattr(y, "ndim") and y.ndim != 1:
        raise ValueError(f"{what} must be 1-dimensional, got shape {y.shape}.")
    return y


def _memory_to_dask(group: dict[str, Any], n_parts: int) -> dict[str, Any]:
    """A group of NumPy/pandas inputs (X first) as dask collections split alike into row blocks."""
    X = group["X"]
    n = len(X)
    out = {}
    if isinstance(X, pd.DataFrame):
        nparts = max(1, min(n_parts, n))
        for k, v in group.items():
            if k != "X" and not isinstance(v, pd.Series):
                v = pd.Series(np.asarray(v), index=X.index, name=k)
            elif k != "X":
                v = pd.Series(v.to_numpy(), index=X.index, name=v.name)
            out[k] = dd.from_pandas(v, npartitions=nparts, sort=False)
        return out
    rows = max(1, -(-n // max(1, n_parts)))
    for k, v in group.items():
        v = v.to_numpy() if isinstance(v, pd.Series) else np.asarray(v)
        out[k] = da.from_array(v, chunks=(rows,) + v.shape[1:])
    return out


def _split_like(values: Any, lengths: Sequence[int], what: str) -> da.Array:
    values = (
        values.to_numpy() if isinstance(values, pd.Series | pd.DataFrame) else np.asarray(values)
    )
    if len(values) != sum(lengths):
        raise ValueError(f"{what} has {len(values)} rows but X has {sum(lengths)}.")
    return da.from_array(values, chunks=(tuple(lengths),) + values.shape[1:])


@dataclass
class FitData:
    """Validated, persisted inputs of one boosting fit.

    Attributes
    ----------
    train : dict
        ``X``, ``y`` and any extra per-row inputs (weights, ...) as aligned dask collections.
    evals : list of dict
        The same for each eval set.
    lengths : tuple of int
        Rows of each training partition.
    locations : list
        The worker holding each training partition of X.
    classes : ndarray or None
        For a classifier, the sorted original labels (y is then encoded as 0..n_classes-1).
    partition_classes : list of ndarray
        For a classifier, the labels found in each training partition.
    """

    train: dict[str, Any]
    evals: list[dict[str, Any]]
    lengths: tuple[int, ...]
    locations: list[str | None]
    classes: np.ndarray | None = None
    partition_classes: list[np.ndarray] | None = None

    def classes_by_worker(self) -> dict[str | None, np.ndarray]:
        """Labels held by each worker (where the training partitions of X live)."""
        out: dict[str | None, set] = {}
        for where, labels in zip(self.locations, self.partition_classes or [], strict=False):
            out.setdefault(where, set()).update(labels.tolist())
        return {w: np.array(sorted(v)) for w, v in out.items()}


def prepare_fit(
    client: Client,
    X: Any,
    y: Any,
    *,
    extra: dict[str, Any] | None = None,
    eval_set: Sequence[tuple[Any, Any]] | None = None,
    eval_extra: Sequence[dict[str, Any] | None] | None = None,
    classifier: bool = False,
    what: str = "fit",
) -> FitData:
    """Validate, convert and persist (in one pass) the inputs of a boosting fit.

    NumPy and pandas inputs become dask collections of one partition per worker; NumPy or
    pandas per-row inputs beside dask X are split into X's partitions. Every group (training
    data, each eval set) must have partitions that line up. Categorical columns get known
    categories shared by training and eval data. For a classifier, labels are encoded as
    0..n_classes-1 (``classes`` keeps the original labels).
    """
    n_parts = len(pick_workers(client, None))
    groups = [{"X": X, "y": y, **(extra or {})}]
    eval_extra = list(eval_extra or [])
    for i, pair in enumerate(eval_set or []):
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise ValueError(f"eval_set[{i}] must be a pair (X, y), got {type(pair).__name__}.")
        more = eval_extra[i] if i < len(eval_extra) and eval_extra[i] else {}
        groups.append({"X": pair[0], "y": pair[1], **more})
    names = ["training data", *[f"eval_set[{i}]" for i in range(len(groups) - 1)]]

    prepared: list[dict[str, Any]] = []
    for gname, group in zip(names, groups, strict=True):
        group = {k: v for k, v in group.items() if v is not None}
        if "y" not in group:
            raise ValueError(f"{what} needs labels y for the {gname}; got None.")
        check_features(group["X"], "X" if gname == "training data" else f"X of {gname}")
        for k in list(group):
            if k != "X":
                group[k] = _as_1d(group[k], k)
        if _is_in_memory(group["X"]):
            n = len(group["X"])
            for k, v in group.items():
                if k != "X" and is_dask_collection(v):
                    raise TypeError(
                        f"{k} is a dask collection while X ({gname}) is in memory; pass both "
                        "as dask collections or both in memory."
                    )
                if k != "X" and len(v) != n:
                    raise ValueError(f"X has {n} rows but {k} has {len(v)} ({gname}).")
            group = _memory_to_dask(group, n_parts)
        prepared.append(group)

    # one persist for every dask member of every group (in-memory members beside dask X wait)
    keys = [(gi, k) for gi, g in enumerate(prepared) for k, v in g.items() if is_dask_collection(v)]
    persisted = client.persist([_rows_only(prepared[gi][k]) for gi, k in keys])
    for (gi, k), p in zip(keys, persisted, strict=True):
        prepared[gi][k] = p
    parts = []
    for gi, gname in enumerate(names):
        group = prepared[gi]
        members = {k: v for k, v in group.items() if is_dask_collection(v)}
        p = persist_aligned(client, members, what=f"X, {', '.join(list(members)[1:])} ({gname})")
        for k in group:
            group[k] = p.collections[k] if k in members else _split_like(group[k], p.lengths, k)
        parts.append(p)

    _unify_categories(client, prepared)
    data = FitData(prepared[0], prepared[1:], parts[0].lengths, parts[0].locations(client))
    if classifier:
        _encode_labels(client, data, parts[0].futures["y"])
    return data


def _categories_of(part: pd.DataFrame, columns: list[str]) -> dict[str, list[Any]]:
    return {c: list(part[c].cat.categories) for c in columns}


def _unify_categories(client: Client, groups: list[dict[str, Any]]) -> None:
    """Give categorical columns with unknown categories the union of their categories.

    Runs tiny tasks on the persisted partitions; training and eval data share the result so
    that a category has the same code on every worker.
    """
    frames = [g["X"] for g in groups if isinstance(g["X"], dd.DataFrame)]
    unknown = sorted(
        {
            c
            for f in frames
            for c, t in f.dtypes.items()
            if isinstance(t, pd.CategoricalDtype) and not f[c].cat.known
        },
        key=str,
    )
    if not unknown:
        return
    tasks = []
    for f in frames:
        cols = [c for c in unknown if c in f.columns]
        tasks += [
            client.submit(_categories_of, p, cols, pure=False) for p in _ordered_futures(client, f)
        ]
    found: dict[Any, set] = {c: set() for c in unknown}
    for cats in client.gather(tasks):
        for c, values in cats.items():
            found[c].update(values)
    dtypes = {
        c: pd.CategoricalDtype(sorted(found[c], key=lambda v: (str(type(v)), v))) for c in unknown
    }
    for g in groups:
        X = g["X"]
        if isinstance(X, dd.DataFrame):
            cols = {c: t for c, t in dtypes.items() if c in X.columns}
            if cols:
                g["X"] = client.persist(X.astype(cols))


def _unique_labels(part: Any) -> np.ndarray:
    values = part.to_numpy() if isinstance(part, pd.Series | pd.DataFrame) else np.asarray(part)
    return np.unique(values.ravel())


def _encode(part: Any, classes: np.ndarray) -> Any:
    values = part.to_numpy() if isinstance(part, pd.Series) else np.asarray(part)
    codes = np.minimum(np.searchsorted(classes, values), len(classes) - 1).astype(np.int32)
    if isinstance(part, pd.Series):
        return pd.Series(codes, index=part.index, name=part.name)
    return codes


def _encode_labels(client: Client, data: FitData, y_futures: list[Future]) -> None:
    per_part = client.gather([client.submit(_unique_labels, f, pure=False) for f in y_futures])
    classes = np.unique(np.concatenate(per_part))
    if len(classes) < 2:
        raise ValueError(f"A classifier needs at least 2 classes in y; got {classes.tolist()}.")
    for i, g in enumerate(data.evals):
        found = client.gather(
            [client.submit(_unique_labels, f, pure=False) for f in _ordered_futures(client, g["y"])]
        )
        extra = np.setdiff1d(np.unique(np.concatenate(found)), classes)
        if len(extra):
            raise ValueError(f"eval_set[{i}] has labels {extra.tolist()[:10]} that are not in y.")
    data.classes = classes
    data.partition_classes = [np.searchsorted(classes, p) for p in per_part]
    if classes.dtype.kind in "iu" and np.array_equal(classes, np.arange(len(classes))):
        return
    for g in [data.train, *data.evals]:
        y = g["y"]
        if isinstance(y, dd.Series):
            meta = pd.Series([], dtype=np.int32, name=y.name)
            g["y"] = y.map_partitions(_encode, classes, meta=meta)
        else:
            g["y"] = y.map_blocks(_encode, classes, dtype=np.int32)


def map_predict(
    X: Any,
    kernel: Callable[..., np.ndarray],
    *args: Any,
    width: int | None,
    dtype: Any,
    columns: Sequence[Any] | None = None,
    name: str | None = None,
) -> Any:
    """Apply ``kernel(block, *args)`` to every row block; output aligned with the input.

    Dask arrays give dask arrays with the same row chunks; dask dataframes give a dask Series
    (``width`` None) or DataFrame with the same index and divisions; NumPy and pandas input
    is predicted here, eagerly, into NumPy.
    """
    if not is_dask_collection(X):
        return kernel(X, *args)
    from dasklearn._blockwise import broadcast

    shared = [broadcast(a) if not np.isscalar(a) and a is not None else a for a in args]
    if isinstance(X, da.Array):
        X = _rows_only(X)
        if width is None:
            return X.map_blocks(
                kernel, *shared, dtype=dtype, drop_axis=1, meta=np.empty((0,), dtype=dtype)
            )
        return X.map_blocks(
            kernel,
            *shared,
            dtype=dtype,
            chunks=(X.chunks[0], (width,)),
            meta=np.empty((0, width), dtype=dtype),
        )
    if width is None:
        meta = pd.Series(np.empty((0,), dtype=dtype), name=name)
    else:
        cols = list(columns) if columns is not None else list(range(width))
        meta = pd.DataFrame(np.empty((0, width), dtype=dtype), columns=cols)
    return X.map_partitions(
        _frame_kernel,
        kernel,
        *shared,
        meta=meta,
        out_width=width,
        out_columns=columns,
        out_name=name,
    )


def _frame_kernel(
    part: pd.DataFrame,
    kernel: Callable[..., np.ndarray],
    *args: Any,
    out_width: Any,
    out_columns: Any,
    out_name: Any,
) -> pd.Series | pd.DataFrame:
    out = np.asarray(kernel(part, *args))
    if out_width is None:
        return pd.Series(out.reshape(-1), index=part.index, name=out_name)
    cols = list(out_columns) if out_columns is not None else list(range(out_width))
    return pd.DataFrame(out.reshape(len(part), out_width), index=part.index, columns=cols)
