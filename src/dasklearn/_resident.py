"""Passes over persisted blocks run by the workers that hold them, without a task per pass.

On a distributed cluster a pass of tasks costs the scheduler's work for every task and a round
trip: a Lloyd pass over 10 persisted blocks took 59 ms on a 2-worker LocalCluster against 31 ms
on two threads of one process, and 29 ms when each worker's blocks were held by a distributed
``Actor`` whose method ran the kernel over them (``benchmarks/results/cluster_pass.md``). So a
fit whose data are persisted on a cluster creates, once, one actor per worker holding the row
blocks of its placement that this worker holds (:class:`BlockHolder`); each pass is then one
direct call to each actor, which runs the pass's kernel over its blocks (on as many local threads
as the worker has) and returns one partial per block. The client merges the partials in block
order, as the task path does, so the result is the same bit for bit.

Actors are not resilient: when a call fails (a worker died, a kernel raised), the runner drops
them and runs that pass and the rest of the fit as tasks, which the scheduler recomputes where
needed (:meth:`dasklearn._passes.Passes.run`).
"""

from __future__ import annotations

import concurrent.futures as cf
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dask.array as da
from dask._task_spec import convert_legacy_graph, execute_graph
from dask.base import is_dask_collection
from distributed import Future, get_worker

from ._blockwise import merge
from ._chunks import block_futures, block_keys
from ._client import balanced

__all__ = ["BlockHolder", "Recipe", "ResidentBlocks", "compute_on_workers", "recipe"]

#: How often a pass waiting on the actors checks that none was lost.
WAIT_CHECK_SECONDS = 0.5
#: Arrays the actors hold at most (the placement's, and arrays persisted after it, such as a
#: fit's encoded targets): a fit that persisted a new array for every pass would restart the
#: actors every pass, and runs as tasks instead.
MAX_HELD = 8


@dataclass(frozen=True)
class Recipe:
    """One pass as the actors run it: ``chunk(*blocks_i, *block_args[i], *args)`` on every
    row block ``i`` of ``arrays`` (the placement's arrays, or None), the partials merged in
    block order with ``combine``, then ``aggregate``d (as :func:`dasklearn._blockwise.reduction`
    does)."""

    chunk: Callable[..., Any]
    arrays: tuple[da.Array | None, ...]
    args: tuple[Any, ...]
    block_args: Sequence[Sequence[Any]]
    combine: Callable[[Any, Any], Any] | None
    aggregate: Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Derived:
    """A per-row vector computed blockwise from held blocks (encoded labels, class weights):
    per block, the tasks that make it, its key, and the held blocks it reads, as
    ``{key: array position}`` (the block of the same index)."""

    graphs: tuple[dict, ...]
    outputs: tuple[Any, ...]
    reads: tuple[dict, ...]


@dataclass(frozen=True)
class _Work:
    """A recipe as an actor receives it: each array as its position among the held ones, or
    the name of a derived vector (``derived``: those the actor has not made yet)."""

    chunk: Callable[..., Any]
    which: tuple[int | str | None, ...]
    block_args: Sequence[Sequence[Any]]
    args: tuple[Any, ...]
    derived: dict[str, _Derived]


class BlockHolder:
    """An actor on one worker: its row blocks of every array of a placement, and the passes."""

    def __init__(self, block_ids: list[int], *columns: Any) -> None:
        self.block_ids = block_ids
        n = len(block_ids)
        self.arrays = [list(columns[a * n : (a + 1) * n]) for a in range(len(columns) // n)]
        self.threads = max(1, int(get_worker().state.nthreads))
        self.derived: dict[str, list[Any]] = {}

    def _block(self, which: int | str | None, j: int) -> Any:
        if which is None:
            return None
        return self.derived[which][j] if isinstance(which, str) else self.arrays[which][j]

    def _one(self, work: _Work, j: int) -> Any:
        blocks = [self._block(a, j) for a in work.which]
        return work.chunk(*blocks, *work.block_args[self.block_ids[j]], *work.args)

    def _derive(self, name: str, how: _Derived) -> None:
        blocks = []
        for j, i in enumerate(self.block_ids):
            cache = {key: self.arrays[a][j] for key, a in how.reads[i].items()}
            out = how.outputs[i]
            blocks.append(execute_graph(how.graphs[i], cache=cache, keys=[out])[out])
        self.derived[name] = blocks

    def run(self, tasks: list[_Work]) -> list[list[Any]]:
        """Every pass over this worker's blocks: per pass, one partial per block."""
        for work in tasks:
            for name, how in work.derived.items():
                if name not in self.derived:
                    self._derive(name, how)
        jobs = [(t, j) for t in tasks for j in range(len(self.block_ids))]
        if self.threads == 1 or len(jobs) == 1:
            out = [self._one(t, j) for t, j in jobs]
        else:
            with cf.ThreadPoolExecutor(min(self.threads, len(jobs))) as pool:
                out = list(pool.map(lambda tj: self._one(*tj), jobs))
        n = len(self.block_ids)
        return [out[i * n : (i + 1) * n] for i in range(len(tasks))]


def _is_plain(value: Any) -> bool:
    """No futures or dask collections inside (the task path resolves those; an actor call
    would receive them as they are)."""
    if isinstance(value, Future) or is_dask_collection(value):
        return False
    if isinstance(value, tuple | list):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_is_plain(v) for v in value.values())
    return True


def recipe(
    chunk: Callable[..., Any],
    arrays: Sequence[da.Array | None],
    args: Sequence[Any],
    block_args: Sequence[Sequence[Any]],
    combine: Callable[[Any, Any], Any] | None,
    aggregate: Callable[[Any], Any] | None,
) -> Recipe | None:
    """The pass as a :class:`Recipe`, or None when its arguments hold futures or dask
    collections (state kept on the workers between passes)."""
    if not (_is_plain(list(args)) and _is_plain(list(block_args))):
        return None
    return Recipe(chunk, tuple(arrays), tuple(args), block_args, combine, aggregate)


class ResidentBlocks:
    """The actors holding a placement's persisted blocks, one per worker, for its passes."""

    def __init__(self, client: Any, actors: list[tuple], names: list[Any]):
        self.client = client
        self.actors = actors  # (actor proxy, its future, block ids), one per worker
        self.names = names  # of the placement's arrays, in order (None for a None vector)
        self.n_blocks = sum(len(ids) for _, _, ids in actors)
        self.broken = False
        self.arrays: list[da.Array | None] = []  # set by start()
        self.derived: dict[str, _Derived] = {}  # vectors the actors make and keep
        self._keys: dict[Any, tuple[int, int]] | None = None

    @staticmethod
    def _actors(client: Any, arrays: list[da.Array | None]) -> list[tuple] | None:
        """(actor, its future, block ids) per worker: the blocks it holds, up to its share of
        the work (the rest go to a worker below its share, copied there once)."""
        present = [a for a in arrays if a is not None]
        per_array = [block_futures(a) for a in present]
        if any(f is None for f in per_array):
            return None
        who_has = client.who_has(per_array[0])
        holders = [sorted(who_has.get(f.key) or ())[:1] for f in per_array[0]]
        if not all(holders):
            return None
        lengths = present[0].chunks[0]
        sizes = [1.0 if math.isnan(n) else float(n) for n in lengths]
        by_worker = balanced([h[0] for h in holders], sizes, client.nthreads())
        submitted = []
        for worker, ids in sorted(by_worker.items()):
            columns = [futures[i] for futures in per_array for i in ids]
            future = client.submit(
                BlockHolder,
                ids,
                *columns,
                actor=True,
                workers=[worker],
                allow_other_workers=True,
                pure=False,
            )
            submitted.append((future, ids))
        with client.as_current():  # the actors' proxies bind to the current client
            return [(future.result(), future, ids) for future, ids in submitted]

    @classmethod
    def start(cls, client: Any, arrays: list[da.Array | None]) -> ResidentBlocks | None:
        """Actors for persisted ``arrays`` (X first; None entries kept), or None when a block is
        not persisted or has no holder."""
        actors = cls._actors(client, arrays)
        if actors is None:
            return None
        blocks = cls(client, actors, [None if a is None else a.name for a in arrays])
        blocks.arrays = list(arrays)
        return blocks

    def _hold(self, array: da.Array) -> bool:
        """Restart the actors holding ``array`` too (persisted after the placement, as a fit's
        encoded targets are); False when it is not persisted."""
        if len(self.arrays) >= MAX_HELD or array.numblocks[0] != self.n_blocks:
            return False
        if block_futures(array) is None:
            return False
        actors = self._actors(self.client, [*self.arrays, array])
        if actors is None:
            return False
        self.actors, self.arrays = actors, [*self.arrays, array]
        self.names = [*self.names, array.name]
        self.derived, self._keys = {}, None
        return True

    def _held_keys(self) -> dict[Any, tuple[int, int]]:
        """{block key: (array position, block index)} of the held arrays."""
        if self._keys is None:
            self._keys = {}
            for a, array in enumerate(x for x in self.arrays if x is not None):
                for i, key in enumerate(block_keys(array)):
                    self._keys[key] = (a, i)
        return self._keys

    def _derivation(self, array: da.Array) -> _Derived | None:
        """How each block of a 1-D ``array`` is made from the held block of the same index,
        or None when it reads anything else (another block, a future, a source)."""
        if array.ndim != 1 or array.numblocks[0] != self.n_blocks:
            return None
        held = self._held_keys()
        tasks = convert_legacy_graph(dict(array.__dask_graph__()))
        graphs, outputs, reads = [], [], []
        for i, key in enumerate(block_keys(array)):
            graph, read, todo = {}, {}, [key]
            while todo:
                k = todo.pop()
                if k in graph or k in read:
                    continue
                if k in held:
                    if held[k][1] != i:
                        return None
                    read[k] = held[k][0]
                    continue
                node = tasks.get(k)
                if node is None or not _is_plain(getattr(node, "value", None)):
                    return None
                graph[k] = node
                todo.extend(node.dependencies)
            graphs.append(graph)
            outputs.append(key)
            reads.append(read)
        return _Derived(tuple(graphs), tuple(outputs), tuple(reads))

    def _wait(self, call: Any) -> Any:
        """An actor call's result; raises as soon as an actor is lost (its worker died: the
        scheduler then makes it again elsewhere, and the call would wait for that)."""
        while True:
            try:
                return call.result(timeout=WAIT_CHECK_SECONDS)
            except TimeoutError:
                lost = [f for _, f, _ in self.actors if f.status != "finished"]
                if lost:
                    raise OSError(f"an actor holding blocks was lost ({lost[0].status})") from None

    def _which(self, arrays: Sequence[da.Array | None]) -> tuple[list, dict] | None:
        """A pass's arrays as held positions or derived names, and the derivations the
        actors still need; None when an array is neither."""
        held = [n for n in self.names if n is not None]
        which: list[int | str | None] = []
        new: dict[str, _Derived] = {}
        for a in arrays:
            if a is None:
                which.append(None)
            elif not isinstance(a, da.Array):
                return None
            elif a.name in held:
                which.append(held.index(a.name))
            elif a.name in self.derived:
                which.append(a.name)
            elif (how := self._derivation(a)) is not None:
                new[a.name] = how
                which.append(a.name)
            elif self._hold(a):
                return self._which(arrays)
            else:
                return None
        return which, new

    def compute(self, recipes: Sequence[Recipe]) -> tuple | None:
        """The passes' results, or None when one reads an array the actors do not hold.
        Raises what a call raised (a lost worker, a kernel's error); the caller then runs
        the passes as tasks."""
        work = []
        for r in recipes:
            found = self._which(r.arrays)
            if found is None:
                return None
            which, new = found
            work.append(_Work(r.chunk, tuple(which), r.block_args, r.args, new))
            self.derived.update(new)
        calls = [(actor.run(work), ids) for actor, _, ids in self.actors]
        partials: list[list[Any]] = [[None] * self.n_blocks for _ in work]
        for call, ids in calls:
            for t, values in enumerate(self._wait(call)):
                for i, value in zip(ids, values, strict=True):
                    partials[t][i] = value
        return tuple(
            merge(parts, r.combine, r.aggregate) for parts, r in zip(partials, recipes, strict=True)
        )


def compute_on_workers(graphs: Sequence[Any]) -> tuple | None:
    """Passes computed by the actors holding their blocks, when every graph is a reduction
    that carries a recipe for the same :class:`ResidentBlocks` and they are not broken; None
    otherwise (and after a failed call, which marks them broken: later passes run as tasks)."""
    runs = [getattr(g, "resident", None) for g in graphs]
    if not runs or any(r is None for r in runs):
        return None
    blocks = runs[0][0]
    if blocks.broken or any(r[0] is not blocks for r in runs):
        return None
    try:
        return blocks.compute([recipe for _, recipe in runs])
    except Exception:  # a lost worker, or a kernel's error that the task path raises again
        blocks.broken = True
        return None
