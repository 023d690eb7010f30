"""Several row blocks per call of a costly per-row function (a fitted model's ``predict``).

A model's cost per call can exceed its cost per row: a 100-tree forest walks every tree once per
call, so in one process ``predict_proba`` over 1e6 rows took 7.46 s in one call and 8.87 s in
blocks of 20,000 rows (``benchmarks/results/parallel_post_fit.md``). Streaming data comes in
small blocks, so :func:`call_groups` gathers a worker's blocks into calls of at most
:data:`CALL_BYTES` of input, and :func:`map_groups` runs one task per group
that returns the results of its blocks; each output block is then one item of its group's
result, so the output keeps X's row chunks.

Which blocks go together:

* X persisted on a distributed cluster, or computed from persisted blocks (a column selection):
  the blocks each worker holds, split into calls of about equal size, at least one per thread
  of that worker (blocks beyond a worker's share of the work move to a worker below its share),
  each call run on that worker (:class:`CallHomes`), the shared model copied to each of up to
  :data:`COPIES_UP_TO` workers once and kept there for later calls (:data:`KEPT_VALUES`), also
  where each call has one block;
* otherwise (a lazy source, local threads): runs of consecutive blocks, as many calls as a
  multiple of the threads that run them, each reading its own blocks inside its task.

Where X has fewer blocks than threads, :func:`split_blocks` first cuts them into pieces (a
single block of 5,000 rows was one call on one of two threads); the output is merged back into
X's row chunks.
"""

from __future__ import annotations

import math
import uuid
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import dask
import dask.array as da
import numpy as np
import pandas as pd
import scipy.sparse as sp
from dask._expr import LLGExpr
from dask._task_spec import DataNode, _execute_subgraph, convert_legacy_graph
from dask.base import tokenize
from dask.dataframe.dispatch import concat
from dask.delayed import Delayed
from dask.highlevelgraph import HighLevelGraph
from dask.system import CPU_COUNT
from dask.task_spec import List, Task, TaskRef
from distributed import futures_of
from distributed.diagnostics.plugin import SchedulerPlugin

from ._blockwise import fuse_block_inputs, task_args
from ._chunks import block_keys
from ._client import active_client, balanced, memory_budget
from ._placement import BLOCK_BYTES

__all__ = [
    "CALL_BYTES",
    "COPIES_UP_TO",
    "KEPT_VALUES",
    "MIN_PIECE_BYTES",
    "CallGroups",
    "CallHomes",
    "call_groups",
    "kept_shared",
    "map_groups",
    "planned_calls",
    "split_blocks",
]

#: With calls on up to this many workers, each of them gets its own copy of a shared value (the
#: fitted model) straight from the scheduler, instead of one copy that the workers pass on: the
#: second worker no longer waits until the first has it (a 16 MiB forest on a 2x1 cluster: its
#: first call started with the other's, not 0.05-0.3 s later; a cluster's first call ~5% faster,
#: later calls 1-2%). On more workers the scheduler would send the value once per worker, which
#: the workers passing it on spread among themselves.
COPIES_UP_TO = 4
#: The input of one call at most (a call joins its blocks: one copy of that size per thread).
#: A forest's cost per row keeps falling with the rows of a call: ``tree_.apply`` 5.06 us a row
#: over 50,000 rows, 4.89 over 167,000, 4.56 over 500,000; ``predict_proba`` over 500,000 rows
#: in one process took 2.37 s in 1 call, 2.44 in 3, 2.62 in 10. Over 1e6 x 20 rows on dask's
#: threads (one call per thread) it ran 0.935 of two plain processes' speed against 0.847 in
#: calls of 32 MiB, faster in 5 of 6 alternated rounds; on a 2x1 cluster 0.865 against 0.869
#: (``benchmarks/results/parallel_post_fit.md``).
CALL_BYTES = 4 * BLOCK_BYTES
#: A call's input is at most 1/16 of a thread's share of the memory (:func:`_call_bytes`).
CALL_MEMORY_SHARE = 16
#: A block is cut into pieces of at least this size where there are fewer blocks than threads
#: (:func:`split_blocks`).
MIN_PIECE_BYTES = 2**17
#: Shared values (fitted models) whose per-worker copies a client keeps on its cluster between
#: calls, the newest first: a second ``predict`` of the same model sends nothing but its small
#: graph, and its calls start at once.
KEPT_VALUES = 2


class CallGroups(NamedTuple):
    """The row blocks of each call, and the worker each call should run on (None: wherever the
    scheduler puts it, for X that no cluster holds)."""

    blocks: list[list[int]]
    workers: list[str] | None = None


class _Kept(NamedTuple):
    value: weakref.ref
    copies: dict[str, Any]  # worker -> future of its copy


_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # client -> {key: _Kept}


class CallHomes(SchedulerPlugin):
    """On the scheduler: each task of :func:`map_groups` that names a worker (a call, a worker's
    copy of the model, a block's piece of a call's result) runs there (a loose restriction: if
    that worker has left, anywhere; work stealing may still hand it to an idle worker).

    A ``workers`` annotation would say the same, but dask's array optimisation merges the
    graph's layers into one dict before it reaches the scheduler, and layer annotations are
    lost with them (dask 2026.8). Left to choose, the scheduler took the ready calls one at a
    time for whichever worker could start each first: a forest's 6 calls over 1e6 rows ran 4
    and 2 on a 2-worker cluster in 2 of 3 fresh clusters, every call 25% longer
    (``benchmarks/results/parallel_post_fit.md``).
    """

    name = "dasklearn-call-homes"
    idempotent = True

    def update_graph(self, scheduler: Any, *, tasks: list, **kwargs: Any) -> None:
        for key in tasks:
            ts = scheduler.tasks.get(key)
            if ts is None or ts.state not in ("released", "waiting") or ts.worker_restrictions:
                continue
            home = _home(ts.run_spec)
            if home in scheduler.workers:
                ts.worker_restrictions = {home}
                ts.loose_restrictions = True


def _home(spec: Any) -> str | None:
    """The worker a call's task names, when inputs private to it were fused in or not."""
    if isinstance(spec, Task) and spec.func is _execute_subgraph and spec.args:
        inner, out = spec.args[0], spec.args[1]
        spec = inner.get(out) if isinstance(inner, dict) else None
    if isinstance(spec, Task) and spec.func in (_run_group, _on_home, _piece):
        return spec.kwargs.get("home")
    return None


_PLACING: weakref.WeakSet = weakref.WeakSet()  # clients whose scheduler runs CallHomes


def _placing(client: Any) -> bool:
    """Whether ``client``'s scheduler runs :class:`CallHomes` (registered once per client); not
    where the scheduler cannot load it (dasklearn not installed there)."""
    if client not in _PLACING:
        try:
            client.register_plugin(CallHomes())
        except Exception:  # the calls still run, wherever the scheduler puts them
            return False
        _PLACING.add(client)
    return True


def _persisted_inputs(X: da.Array, keys: list[Any], persisted: set[Any]) -> list[list[Any]]:
    """For each block key, the persisted keys its task reads (directly or through lazy steps
    such as a column selection)."""
    if all(k in persisted for k in keys):
        return [[k] for k in keys]
    tasks = convert_legacy_graph(dict(X.__dask_graph__()))
    found: dict[Any, list[Any]] = {}

    def inputs(key: Any) -> list[Any]:
        if key in persisted:
            return [key]
        if key not in found:
            node = tasks.get(key)
            deps = getattr(node, "dependencies", ()) if node is not None else ()
            found[key] = sorted({p for d in deps for p in inputs(d)}, key=str)
        return found[key]

    return [inputs(k) for k in keys]


def _holders(X: Any, client: Any, nbytes: bool = False) -> Any:
    """The worker holding each block of X (or most of the persisted blocks it is computed
    from), when X is built on data persisted on ``client``; None otherwise. With ``nbytes``,
    also the bytes of each block's persisted inputs, as the scheduler counts them (for a
    dask DataFrame, whose partition lengths dask does not know): ``(holders, sizes)``."""
    if client is None:
        return None
    futures = {f.key: f for f in futures_of(X)}
    if not futures or any(f.status != "finished" for f in futures.values()):
        return None
    inputs = _persisted_inputs(X, block_keys(X), set(futures))
    if not all(inputs):
        return None
    keys = set().union(*map(set, inputs))
    who_has = client.who_has([futures[k] for k in keys])
    holders = []
    for block_inputs in inputs:
        votes = Counter(sorted(w)[0] for k in block_inputs if (w := who_has.get(k)))
        if not votes:
            return None
        holders.append(min(votes, key=lambda w: (-votes[w], w)))
    if not nbytes:
        return holders
    counted = client.nbytes(list(keys), summary=False)
    return holders, [float(sum(counted.get(k, 0) for k in ks)) for ks in inputs]


def _split(blocks: list[int], sizes: Sequence[float], n_calls: int) -> list[list[int]]:
    """``blocks`` in order, cut into ``n_calls`` runs of about equal total size, none empty."""
    n_calls = max(1, min(n_calls, len(blocks)))
    ends = np.cumsum([sizes[i] for i in blocks], dtype=float)
    bounds = [0]
    for k in range(1, n_calls):
        cut = int(np.argmin(np.abs(ends - ends[-1] * k / n_calls))) + 1
        bounds.append(min(max(cut, bounds[-1] + 1), len(blocks) - (n_calls - k)))
    bounds.append(len(blocks))
    return [blocks[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _n_calls(nbytes: float, threads: int, n_blocks: int, max_bytes: int) -> int:
    """Calls of at most about ``max_bytes``, a multiple of ``threads`` (equal work for each)."""
    n = max(math.ceil(nbytes / max_bytes), 1)
    return min(n_blocks, math.ceil(n / threads) * threads)


def _call_bytes(client: Any, threads: int) -> int:
    """:data:`CALL_BYTES`, or less where a thread's share of the memory (the workers' limits,
    else this machine's available memory) is under :data:`CALL_MEMORY_SHARE` times that."""
    return int(min(CALL_BYTES, memory_budget(client) / max(threads, 1) / CALL_MEMORY_SHARE))


def _placed(
    holders: list[str], sizes: Sequence[float], threads: dict[str, int], max_bytes: int
) -> tuple[list[list[int]], list[str]]:
    """Calls over blocks held by workers: each worker's share of the blocks
    (:func:`~dasklearn._client.balanced`) in runs of at most about ``max_bytes``, at least one
    per thread; the blocks of each call, and the worker it runs on."""
    groups: list[list[int]] = []
    workers: list[str] = []
    for worker, blocks in sorted(balanced(holders, sizes, threads).items()):
        total = sum(sizes[i] for i in blocks)
        n = _n_calls(total, threads.get(worker, 1), len(blocks), max_bytes)
        groups += _split(blocks, sizes, n)
        workers += [worker] * (len(groups) - len(workers))
    return groups, workers


def _threads(client: Any) -> tuple[dict[str, int], int]:
    """Each worker's threads (none without a client), and the threads that run the calls."""
    if client is None:
        return {}, int(dask.config.get("num_workers", None) or CPU_COUNT)
    threads = client.nthreads()
    return threads, sum(threads.values()) or 1


def _pieces(sizes: Sequence[float], n_threads: int, min_bytes: int) -> list[int]:
    """How many pieces each block (of ``sizes`` bytes) is cut into so that every one of
    ``n_threads`` threads gets a call, pieces of at least ``min_bytes``: in proportion to the
    blocks' sizes (largest remainders), at least one each; all ones where the blocks suffice."""
    total = sum(sizes)
    n_pieces = min(n_threads, int(total // min_bytes))
    if n_pieces <= len(sizes):
        return [1] * len(sizes)
    shares = [n_pieces * size / total for size in sizes]
    counts = [max(1, math.floor(share)) for share in shares]
    by_remainder = sorted(range(len(sizes)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: max(0, n_pieces - sum(counts))]:
        counts[i] += 1
    return counts


def split_blocks(
    X: da.Array, min_bytes: int = MIN_PIECE_BYTES, thread_counts: tuple | None = None
) -> da.Array:
    """X with its row blocks cut into more when they are fewer than the threads that run the
    calls, so that every thread gets a call (pieces of at least ``min_bytes``); X itself when
    it has enough blocks, or blocks of unknown length or not NumPy. ``thread_counts``: what
    :func:`_threads` says of the current client, when the caller has asked already."""
    lengths = X.chunks[0]
    if not lengths or any(math.isnan(n) for n in lengths) or type(X._meta) is not np.ndarray:
        return X
    _, n_threads = thread_counts or _threads(active_client())
    row_bytes = max(X.dtype.itemsize * int(np.prod(X.shape[1:], dtype=np.int64)), 1)
    counts = _pieces([n * row_bytes for n in lengths], n_threads, min_bytes)
    if all(count == 1 for count in counts):
        return X
    rows: list[int] = []
    for length, count in zip(lengths, counts, strict=True):
        cuts = np.linspace(0, length, count + 1).round().astype(int)
        rows += np.diff(cuts).tolist()
    return X.rechunk({0: tuple(rows)})


def planned_calls(X: da.Array) -> tuple[da.Array, CallGroups | None]:
    """X's blocks as the calls read them (:func:`split_blocks`) and the calls over them
    (:func:`call_groups`), the cluster's threads asked once (a scheduler round trip)."""
    thread_counts = _threads(active_client())
    source = split_blocks(X, thread_counts=thread_counts)
    return source, call_groups(source, thread_counts=thread_counts)


def call_groups(
    X: da.Array, max_bytes: int | None = None, thread_counts: tuple | None = None
) -> CallGroups | None:
    """The row blocks of X to run as one call each, or None for one call per block.

    Calls of at most ``max_bytes`` of input (default: :func:`_call_bytes`);
    ``thread_counts`` as for :func:`split_blocks`. None when the block lengths are unknown,
    when the blocks are not NumPy (sparse, GPU) or when no two blocks would share a call and
    no worker is named for them. X persisted on the cluster always gets
    its calls, one block each where blocks are large or few: placed, they keep their worker's
    copy of the model between calls (a 16 MiB forest sent with every call of a 2-block X:
    0.16 s a call against 0.11 s kept).
    """
    lengths = X.chunks[0]
    if not lengths or any(math.isnan(n) for n in lengths):
        return None
    if type(X._meta) is not np.ndarray:
        return None
    row_bytes = X.dtype.itemsize * int(np.prod(X.shape[1:], dtype=np.int64))
    sizes = [n * max(row_bytes, 1) for n in lengths]
    client = active_client()
    holders = _holders(X, client)
    if holders is None and len(lengths) < 2:
        return None
    threads, n_threads = thread_counts or _threads(client)
    max_bytes = max_bytes or _call_bytes(client, n_threads)
    workers: list[str] | None = None
    if holders is not None:
        groups, workers = _placed(holders, sizes, threads, max_bytes)
        if not _placing(client):
            workers = None
    else:
        n = _n_calls(sum(sizes), n_threads, len(sizes), max_bytes)
        groups = _split(list(range(len(sizes))), sizes, n)
    if len(groups) == len(sizes) and workers is None:
        return None  # no call joins blocks, none is placed
    return CallGroups(groups, workers)


def _on_home(value: Any, home: str | None = None) -> Any:
    """A shared value's copy for the calls of one worker (``home``, read by :class:`CallHomes`)."""
    return value


def _kept_copies(client: Any, key: Any, value: Any, homes: list[str]) -> dict[str, Any] | None:
    """Each home's copy of ``value`` (the graph key ``key``) as a future that ``client`` keeps
    until ``value`` is garbage-collected or :data:`KEPT_VALUES` newer values are kept; None for
    a value that cannot be weakly referenced. Copies that are kept and still live are reused,
    the missing ones computed now (their tasks hold the value: a worker that dies loses nothing
    the scheduler cannot recompute); the copies on other workers stay kept."""
    kept = _KEPT.setdefault(client, {})
    entry = kept.pop(key, None)

    def forget(ref: weakref.ref) -> None:
        if (current := kept.get(key)) is not None and current.value is ref:
            del kept[key]

    try:
        ref = weakref.ref(value, forget)
    except TypeError:
        return None
    live = ("pending", "finished")
    copies = {h: f for h, f in entry.copies.items() if f.status in live} if entry else {}
    missing = [h for h in homes if h not in copies]
    if missing:
        node = DataNode(None, value)
        graph = {(f"{key}-on", h): Task((f"{key}-on", h), _on_home, node, home=h) for h in missing}
        # A graph given as a dict gets a token from its contents: dask pickles and unpickles
        # the value twice for each copy (0.04 s for a 16 MiB forest, 0.14 s on a fresh
        # cluster). Its keys already name the value; a unique token is what ``submit`` gives.
        expr = LLGExpr(graph, _determ_token=uuid.uuid4().hex)
        # The value is sent once on purpose; dask's advice for a large graph is this very future.
        with dask.config.set({"distributed.admin.large-graph-warning-threshold": "1 PiB"}):
            futures = client.get(expr, list(graph), sync=False)
        copies.update(zip(missing, futures, strict=True))
    kept[key] = _Kept(ref, copies)  # also those other calls placed elsewhere still use
    for old in list(kept)[:-KEPT_VALUES]:
        del kept[old]
    return {h: copies[h] for h in homes}


def _node_of(value: Delayed) -> Any:
    """The graph node of a Delayed's key (a ``DataNode`` for a plain value entered once)."""
    return convert_legacy_graph(dict(value.__dask_graph__())).get(value.key)


def kept_shared(shared: list[Any], X: Any) -> list[Any]:
    """``shared`` with each plain value entered once (a fitted model) replaced by a copy that
    the client keeps on its cluster between calls (:func:`_kept_copies`), on the worker holding
    most of X, where X is built on data persisted there (its graph is bound to that client
    anyway); as it is otherwise (a lazy X's graph stays computable anywhere). For calls over a
    dask array that are not placed (blocks of unknown length, sparse blocks): the other workers
    fetch the copy from there, and a second call sends no model. Not for dask DataFrames: their
    expressions keep the graph they built (and its futures) after the collection is gone, so a
    kept copy outlived its model there."""
    client = active_client()
    if client is None or not any(isinstance(arg, Delayed) for arg in shared):
        return shared
    futures = futures_of(X)
    if not futures or any(f.status != "finished" for f in futures):
        return shared
    votes = Counter(w for ws in client.who_has(futures).values() for w in ws)
    if not votes:
        return shared
    home = min(votes, key=lambda w: (-votes[w], w))
    out = []
    for arg in shared:
        node = _node_of(arg) if isinstance(arg, Delayed) else None
        if isinstance(node, DataNode):
            kept = _kept_copies(client, arg.key, node.value, [home])
            arg = kept[home] if kept is not None else arg
        out.append(arg)
    return out


def _copies_per_home(
    shared: list[Any], delayed: list[Any], workers: list[str] | None, layer: dict
) -> dict[str, list[Any]] | None:
    """For each worker of the calls, the arguments with every shared value replaced by that
    worker's copy (added to ``layer``: a future the client keeps between calls
    (:func:`_kept_copies`) on a distributed client, else a task); None where one shared copy
    in the graph serves (no workers named, one worker without a client, a shared argument that
    is not a plain value, more than :data:`COPIES_UP_TO` workers for a value the client cannot
    keep). On more than :data:`COPIES_UP_TO` workers the client keeps one copy, on the worker
    of the most calls, which the others fetch: a later call sends no model either."""
    homes = sorted(set(workers or ()))
    client = active_client()
    fewest = 1 if client is not None else 2  # a kept copy serves one worker's later calls too
    if not delayed or len(homes) < fewest:
        return None
    few = len(homes) <= COPIES_UP_TO
    nodes = {d.key: _node_of(d) for d in delayed}
    if not all(isinstance(node, DataNode) for node in nodes.values()):
        return None
    calls = Counter(workers)
    where = homes if few else [max(homes, key=lambda h: (calls[h], h))]
    copies: dict[Any, dict[str, Any]] = {}
    for key, node in nodes.items():
        kept = _kept_copies(client, key, node.value, where) if client is not None else None
        if kept is not None:
            layer.update({future.key: future for future in kept.values()})
            copies[key] = {h: kept.get(h, kept[where[0]]).key for h in homes}
            continue
        if not few:
            return None
        copies[key] = {}
        for h, home in enumerate(homes):
            copies[key][home] = copy = (f"{key}-on", h)
            layer[copy] = Task(copy, _on_home, DataNode(None, node.value), home=home)
    return {
        home: [
            TaskRef(copies[a.key][home]) if isinstance(a, TaskRef) and a.key in copies else a
            for a in shared
        ]
        for home in homes
    }


def _joined(blocks: list[Any]) -> Any:
    if len(blocks) == 1:
        return blocks[0]
    if isinstance(blocks[0], pd.DataFrame | pd.Series):
        return concat(blocks)  # dask's: categoricals of different categories stay categorical
    if any(sp.issparse(b) for b in blocks):
        return sp.vstack(blocks, format="csr")
    return np.concatenate(blocks)


def _run_group(
    blocks: list[Any], block_func: Callable[..., Any], *args: Any, home: str | None = None
) -> tuple:
    """``block_func`` on the group's blocks joined, its result cut back into one per block
    (``home``: the worker it should run on, read by :class:`CallHomes` on the scheduler)."""
    out = block_func(_joined(blocks), *args)
    ends = np.cumsum([len(b) for b in blocks])
    starts = np.concatenate([[0], ends[:-1]])
    rows = out.iloc if isinstance(out, pd.DataFrame | pd.Series) else out
    return tuple(rows[a:b] for a, b in zip(starts, ends, strict=True))


def _piece(results: tuple, position: int, home: str | None = None) -> Any:
    """One block's result out of its call's (``home``: the call's worker, which holds them)."""
    return results[position]


def map_groups(
    block_func: Callable[..., Any],
    X: da.Array,
    groups: CallGroups,
    args: Sequence[Any],
    *,
    chunks: tuple,
    meta: Any,
    name: str | None = None,
) -> da.Array:
    """``block_func(block, *args)`` over the row blocks of X, one call per group of blocks.

    ``block_func`` returns one result row per input row (as ``da.map_blocks`` would call it);
    the result has ``chunks`` (X's row chunks first). Delayed ``args`` enter the graph once,
    or once per worker of the calls (:data:`COPIES_UP_TO`). A call with a worker in
    ``groups.workers`` runs there (:class:`CallHomes`), and so do the tasks that take its
    blocks' results out of it (left to the scheduler, the worker done first took some of
    another call's and fetched that call's whole result for them:
    ``benchmarks/results/parallel_post_fit.md``).
    """
    name = name or f"{getattr(block_func, '__name__', 'call')}-{tokenize(X, groups, *args)}"
    group_name = f"{name}-group"
    refs = [TaskRef(k) for k in block_keys(X)]
    shared, delayed = task_args(args)
    layer: dict = {}
    per_home = _copies_per_home(shared, delayed, groups.workers, layer)
    if per_home is not None:
        delayed = []  # their values are in the copies
    for g, members in enumerate(groups.blocks):
        key = (group_name, g)
        blocks = List(*(refs[i] for i in members))
        home = groups.workers[g] if groups.workers is not None else None
        where = {"home": home} if home is not None else {}
        own = per_home[home] if per_home is not None else shared
        layer[key] = Task(key, _run_group, blocks, block_func, *own, **where)
        for position, i in enumerate(members):
            out_key = (name, i) + (0,) * (len(chunks) - 1)
            layer[out_key] = Task(out_key, _piece, TaskRef(key), position, **where)
    graph = HighLevelGraph.from_collections(name, layer, dependencies=[X, *delayed])
    graph = fuse_block_inputs(graph, [(group_name, g) for g in range(len(groups.blocks))])
    return da.Array(graph, name, chunks, meta=meta)
