"""Several partitions of a persisted dask DataFrame per call of a costly per-row function.

The DataFrame side of :mod:`dasklearn._call_groups`: where a dask DataFrame's partitions are
persisted on the current cluster, :func:`map_frame_groups` runs one call per group of a
worker's partitions on that worker, with that worker's kept copy of the model, and cuts each
call's result back into one output partition per input partition (same index, same
divisions). A forest costs ~10 ms a call whatever its rows (75 ms for 10,000 rows, 286 ms for
50,000), and with ``map_partitions`` the model travelled in every call's graph
(``benchmarks/results/parallel_post_fit.md``).

Partitions fewer than the threads are cut into runs of rows, one call each, and their pieces
joined again (one partition of 100,000 rows on 2 workers: 0.54 -> 0.33 s).

A frame cut from a pandas frame in this process (``dd.from_pandas``, whose partitions' rows
are known) and not persisted is grouped the same way, in few calls across dask's threads or
the cluster's (placed by the scheduler); other frames not persisted (read from files,
filtered) stay one call per partition, since their partitions' sizes are not known before
they are read.

The result is a dask DataFrame expression of its own (:class:`_FrameCalls`): dask knows that
it keeps the rows of its input, so ``len()`` of it does not run the model, and its tasks are
written when the graph is, from the keys of the input as dask has optimised it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import dask.dataframe as dd
import numpy as np
from dask.base import tokenize
from dask.dataframe.dask_expr._collection import new_collection
from dask.dataframe.dask_expr._expr import Expr
from dask.dataframe.dask_expr.io.io import FromPandas
from dask.task_spec import List, Task, TaskRef
from dask.utils import funcname

from ._blockwise import task_args
from ._call_groups import (
    MIN_PIECE_BYTES,
    _call_bytes,
    _copies_per_home,
    _holders,
    _joined,
    _n_calls,
    _piece,
    _pieces,
    _placed,
    _placing,
    _run_group,
    _split,
    _threads,
)
from ._client import active_client

__all__ = ["FrameGroups", "frame_groups", "map_frame_groups"]


class FrameGroups(NamedTuple):
    """The pieces of each call and the worker it runs on (None: wherever dask's threads run
    it); a piece is ``(partition, k, count)``, the ``k``-th of ``count`` equal runs of that
    partition's rows (``count`` 1: all of it)."""

    blocks: list[list[int]]
    workers: list[str | None]
    pieces: list[tuple[int, int, int]]


def frame_groups(X: dd.DataFrame, max_bytes: int | None = None) -> FrameGroups | None:
    """The pieces of X's partitions to run as one call each, and each call's worker, where X is
    persisted on the current cluster (or computed blockwise from partitions persisted there)
    and its scheduler places calls, or, not persisted, where X's partitions are cut from a
    pandas frame here (:func:`_groups_in_memory`); None otherwise. Calls of at most
    ``max_bytes`` of input (default: :func:`~dasklearn._call_groups._call_bytes`) as the
    scheduler counts the partitions' bytes; partitions fewer than the threads are cut into runs
    of rows (of at least :data:`~dasklearn._call_groups.MIN_PIECE_BYTES`), one per thread, as
    an array's blocks are (:func:`~dasklearn._call_groups.split_blocks`)."""
    if not isinstance(X, dd.DataFrame):
        return None
    client = active_client()
    found = _holders(X, client, nbytes=True) if client is not None else None
    if found is None:
        return _groups_in_memory(X, client, max_bytes)
    if not _placing(client):
        return None
    holders, sizes = found
    threads, n_threads = _threads(client)
    pieces, piece_sizes = _cut(sizes, n_threads)
    piece_holders = [holders[j] for j, _, _ in pieces]
    max_bytes = max_bytes or _call_bytes(client, n_threads)
    groups, workers = _placed(piece_holders, piece_sizes, threads, max_bytes)
    return FrameGroups(groups, workers, pieces)


def _cut(sizes: Sequence[float], n_threads: int) -> tuple[list[tuple[int, int, int]], list[float]]:
    """The pieces of partitions of ``sizes`` bytes so that every thread gets a call
    (:func:`~dasklearn._call_groups._pieces`), and each piece's bytes."""
    counts = _pieces(sizes, n_threads, MIN_PIECE_BYTES)
    pieces = [(j, k, c) for j, c in enumerate(counts) for k in range(c)]
    return pieces, [sizes[j] / c for j, _, c in pieces]


def _sizes_in_memory(X: dd.DataFrame) -> list[float] | None:
    """The bytes of X's partitions where X is a pandas frame of this process cut by
    ``dd.from_pandas`` (its rows known per partition), else None."""
    expr = X.expr.optimize()
    if not isinstance(expr, FromPandas) or expr.operand("_partitions") is not None:
        return None
    frame = expr.frame  # all its columns: an upper bound where X reads some of them
    row_bytes = 8 + sum(getattr(dtype, "itemsize", 8) for dtype in frame.dtypes)  # + index
    return [n * row_bytes for n in np.diff(expr._locations())]


def _groups_in_memory(X: dd.DataFrame, client: Any, max_bytes: int | None) -> FrameGroups | None:
    """Calls over X's partitions on the threads of dask or of ``client``'s cluster, left to
    the scheduler to place, as :func:`frame_groups` makes them for persisted partitions (at
    least one per thread, of at most ``max_bytes``, partitions fewer than the threads cut
    into runs of rows); None where X's partitions' sizes are not known here or
    no call would join or cut partitions."""
    sizes = _sizes_in_memory(X)
    if not sizes:
        return None
    _, n_threads = _threads(client)
    pieces, piece_sizes = _cut(sizes, n_threads)
    max_bytes = max_bytes or _call_bytes(client, n_threads)
    n = _n_calls(sum(piece_sizes), n_threads, len(pieces), max_bytes)
    groups = _split(list(range(len(pieces))), piece_sizes, n)
    if len(groups) == len(sizes):
        return None  # one call per partition, as map_partitions makes them
    return FrameGroups(groups, [None] * len(groups), pieces)


def _rows(part: Any, k: int, count: int) -> Any:
    """The ``k``-th of ``count`` equal runs of a partition's rows."""
    n = len(part)
    return part.iloc[k * n // count : (k + 1) * n // count]


class _FrameCalls(Expr):
    """``block_func`` over groups of a frame's partitions, one output partition per input
    partition. ``calls`` holds the arguments of the calls on each worker (``None``: the same
    for every call), ``extra`` the graph they refer to (kept copies of the model, or the
    model once)."""

    _parameters = ["frame", "groups", "block_func", "calls", "extra", "meta", "token"]
    _is_length_preserving = True

    @functools.cached_property
    def _name(self) -> str:
        prefix = funcname(self.operand("block_func"))
        return f"{prefix}-{tokenize(self.frame._name, self.operand('token'))}"

    def __dask_tokenize__(self) -> str:
        return self._name

    @property
    def _meta(self) -> Any:
        return self.operand("meta")

    def _divisions(self) -> tuple:
        return self.frame.divisions

    @property
    def _projection_columns(self) -> list:
        return list(self.frame.columns)  # every column of the input goes into the calls

    def _layer(self) -> dict:
        groups: FrameGroups = self.operand("groups")
        calls: dict = self.operand("calls")
        block_func = self.operand("block_func")
        parts = [TaskRef((self.frame._name, i)) for i in range(self.frame.npartitions)]
        layer = dict(self.operand("extra"))
        group_name = f"{self._name}-group"
        made: dict[int, list[tuple]] = {}  # partition -> (piece, call, position, home)
        for g, members in enumerate(groups.blocks):
            key = (group_name, g)
            home = groups.workers[g]
            args = calls.get(home, calls.get(None))
            blocks = []
            for position, i in enumerate(members):
                j, k, count = groups.pieces[i]
                blocks.append(parts[j] if count == 1 else Task(None, _rows, parts[j], k, count))
                made.setdefault(j, []).append((k, key, position, home))
            layer[key] = Task(key, _run_group, List(*blocks), block_func, *args, home=home)
        for j, outputs in made.items():
            out_key = (self._name, j)
            if len(outputs) == 1:
                _, key, position, home = outputs[0]
                layer[out_key] = Task(out_key, _piece, TaskRef(key), position, home=home)
                continue
            runs = (Task(None, _piece, TaskRef(key), pos) for _, key, pos, _ in sorted(outputs))
            layer[out_key] = Task(out_key, _joined, List(*runs))  # its pieces, in order
        return layer


def map_frame_groups(
    block_func: Callable[..., Any],
    X: dd.DataFrame,
    args: Sequence[Any],
    *,
    meta: Any,
) -> dd.DataFrame | dd.Series | None:
    """``block_func(partition, *args)`` over X's partitions, in calls of several partitions on
    the workers that hold them, or over the threads for a frame cut here from pandas
    (:func:`frame_groups`); None for other frames (``map_partitions`` serves then).
    ``block_func`` returns a pandas object of one row per input row, with its index; Delayed
    ``args`` are copied once to each worker of the calls
    (:func:`~dasklearn._call_groups._copies_per_home`) or enter once."""
    groups = frame_groups(X)
    if groups is None:
        return None
    shared, delayed = task_args(args)
    extra: dict = {}
    placed = None if None in groups.workers else groups.workers
    per_home = _copies_per_home(shared, delayed, placed, extra)
    if per_home is None:
        for value in delayed:
            extra.update(dict(value.__dask_graph__()))
    calls = per_home if per_home is not None else {None: tuple(shared)}
    calls = {home: tuple(own) for home, own in calls.items()}
    token = tokenize(groups, block_func, sorted(extra, key=str), meta, *shared)
    expr = _FrameCalls(X.expr, groups, block_func, calls, extra, meta, token)
    return new_collection(expr)
