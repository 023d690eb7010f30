"""One pass over the row blocks of dask arrays: a chunk kernel per block, merged into a result.

:func:`reduction` is the one abstraction every pass of every algorithm and every blockwise score
goes through, shaped like dask's own ``reduction``:

* ``chunk(*blocks, *block_args[i], *args)`` runs on row block ``i`` where it lives and returns a
  small partial result (sums, counts, a Gram matrix, a few sampled rows);
* ``combine(a, b)`` merges two partials (default :func:`sum_parts`: elementwise sums);
* ``aggregate(partial)`` turns the merged partial into the result (default: the partial).

Partials are merged in block order, so a result never depends on the scheduler. By default the
per-block partials travel to the client, which merges them (no reduction tree: on a cluster a
tree costs a round trip per level for partials of a few KiB); ``split_every`` merges them in a
tree on the workers instead, for partials too large to gather (Hessians of thousands of
features). Arguments go through :func:`share`: small ones travel inside every block task, large
ones enter the graph once. On a cluster (:func:`compute_reductions`) whatever only one block
task needs (its read, its transforms) runs inside that task (:func:`fuse_block_inputs`).

Per-row *outputs* (predictions, transforms) are not passes: they go through
:mod:`dasklearn._output`. Where the data of a fit lives (persisted or streamed) and how passes
are counted is :mod:`dasklearn._passes`.
"""

from __future__ import annotations

import contextlib
import functools
import pickle
import sys
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from functools import reduce
from graphlib import TopologicalSorter
from typing import Any

import cloudpickle
import dask
import dask.array as da
import dask.threaded
import numpy as np
import pandas as pd
import xxhash
from dask._task_spec import convert_legacy_graph
from dask.base import get_scheduler, is_dask_collection
from dask.delayed import Delayed
from dask.highlevelgraph import HighLevelGraph, MaterializedLayer
from dask.task_spec import DataNode, List, Task, TaskRef
from distributed import Future

from ._chunks import block_keys, is_frame, partition_blocks, rows_only
from ._client import active_client
from ._heap import roomy_heap

__all__ = [
    "EMBED_BYTES",
    "Reduction",
    "aligned",
    "compute_passes",
    "compute_reductions",
    "merge",
    "reduction",
    "share",
    "share_once",
    "single_blas_thread",
    "sum_parts",
    "task_args",
    "value_token",
    "with_single_blas_thread",
]


def sum_parts(a: Any, b: Any) -> Any:
    """Add two partial results: numbers, arrays, or tuples/lists/dicts of them, elementwise."""
    if isinstance(a, tuple | list):
        return type(a)(sum_parts(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return {k: sum_parts(a[k], b[k]) for k in a}
    return a + b


#: Array arguments up to this size are embedded in every block task; larger ones enter once.
EMBED_BYTES = 256 * 2**10


def value_token(value: Any) -> str:
    """A key for ``value`` from one pickling of it: the same for equal pickles.

    dask's ``tokenize`` pickles an object it does not know twice and unpickles it twice, to
    check that the pickle is deterministic (39 ms for a 16 MiB forest, a third of the time to
    build its ``predict_proba`` graph); a pickle that is not deterministic only gives another
    key here. Objects of ``__main__`` are pickled by value (cloudpickle), as dask does, so that a
    class redefined in a session gets a new key; what neither pickles gets dask's token. The
    pickle is hashed with xxHash's 128-bit XXH3, not SHA-1: a wrapped model is named on every
    ``predict``, and SHA-1 took 10 ms over a 100-tree forest's 22 MB, XXH3 0.6 ms.
    """
    if is_dask_collection(value) or isinstance(value, Future):
        return dask.base.tokenize(value)
    buffers: list[pickle.PickleBuffer] = []
    try:
        stream = pickle.dumps(value, protocol=5, buffer_callback=buffers.append)
        if b"__main__" in stream:
            buffers.clear()
            stream = cloudpickle.dumps(value, protocol=5, buffer_callback=buffers.append)
    except Exception:
        return dask.base.tokenize(value)
    digest = xxhash.xxh3_128(stream)
    for buffer in buffers:
        digest.update(buffer.raw())
    return digest.hexdigest()


def share_once(value: Any, token: str | None = None) -> Any:
    """``value`` as one key that every task of a graph depends on, whatever its size.

    It is one node of the graph, on every scheduler: the value travels with the graph once, and
    workers fetch it from each other. It is not scattered: the scheduler cannot recompute
    scattered data, and its active memory manager drops the extra copies of a broadcast within
    seconds, so a worker that died took the only copy with it (and the computation failed). For
    values whose size is not known from ``nbytes``: a fitted model shipped once per call, not
    once per block. The key comes from ``token`` (:func:`value_token` when None).
    """
    if is_dask_collection(value) or isinstance(value, Future):
        return value
    token = token or value_token(value)
    return dask.delayed(value, name=f"{type(value).__name__}-{token}")


def _nbytes(value: Any) -> int:
    """Bytes of an array, or of the arrays in a tuple/list/dict (one level deep is enough for
    kernel arguments); 0 for other objects."""
    if isinstance(value, tuple | list):
        return sum(_nbytes(v) for v in value)
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    return int(getattr(value, "nbytes", 0) or 0)


def share(value: Any) -> Any:
    """A kernel argument as it should enter a pass: embedded when small, else shared once.

    Embedding keeps every kernel task dependent on its block alone, so the scheduler runs each
    block's read and kernel back to back. A separate argument task was ordered after all the
    reads of a streamed parquet dataset: one worker read all 60 blocks (the whole dataset)
    before the first kernel could start. Arrays (or tuples, lists, dicts of arrays) over
    :data:`EMBED_BYTES` become one graph node (:func:`share_once`, which says why not
    scattered); other objects (numbers, small parameter objects) are embedded.
    """
    if is_dask_collection(value) or _nbytes(value) <= EMBED_BYTES:
        return value
    return share_once(value)


# --------------------------------------------------------------------------------------------
# the reduction
# --------------------------------------------------------------------------------------------


def merge(results: Sequence[Any], combine: Callable | None, aggregate: Callable | None) -> Any:
    """The client-side end of a pass: partials merged in block order, then aggregated."""
    if combine is None:
        out: Any = list(results)
    else:
        out = reduce(combine, results)
    return out if aggregate is None else aggregate(out)


def _merge_groups(
    results: Sequence[list], order: list[int], combine: Callable | None, aggregate: Callable | None
) -> Any:
    """Grouped tasks' partials back in block order, then merged as :func:`merge` does."""
    partials: list[Any] = [None] * len(order)
    for i, value in zip(order, (v for group in results for v in group), strict=True):
        partials[i] = value
    return merge(partials, combine, aggregate)


def _run_group(chunk: Callable, blocks: list, extras: list, *shared: Any) -> list:
    """The chunks of one group of blocks, in one task: one partial per block."""
    return [chunk(*b, *e, *shared) for b, e in zip(blocks, extras, strict=True)]


def _combine_list(parts: list, combine: Callable) -> Any:
    return reduce(combine, parts)


class Reduction:
    """One pass as a dask collection: computes to the merged (and aggregated) result.

    One collection with one key per block (or per tree root): ``dask.compute(*delayeds)`` wraps
    every Delayed in an expression of its own and costs ~0.1 ms a block on top (a 10-block
    k-means pass: 2.2 ms of overhead against 0.9 ms), and a final task gathering the partials
    would make a cluster send every part through one worker first. Graph optimisation is
    skipped: the tasks are final (optimise the input arrays once, with ``dask.optimize``,
    before passes over them: :func:`dasklearn._placement.place`).
    """

    def __init__(
        self,
        graph: HighLevelGraph,
        name: str,
        keys: list,
        combine: Callable | None,
        aggregate: Callable | None,
        order: list[int] | None = None,
        block_keys: list | None = None,
    ) -> None:
        self._graph, self._name, self._keys = graph, name, keys
        self._combine, self._aggregate = combine, aggregate
        self._order = order
        self.block_keys = keys if block_keys is None else block_keys
        #: (ResidentBlocks, Recipe): the same pass for the actors holding the blocks of a fit
        #: on a cluster (:mod:`dasklearn._resident`); set by the fit's pass runner.
        self.resident: tuple[Any, Any] | None = None

    def __dask_graph__(self) -> HighLevelGraph:
        return self._graph

    def __dask_keys__(self) -> list:
        return self._keys

    def __dask_layers__(self) -> tuple[str]:
        return (self._name,)

    def __dask_tokenize__(self) -> str:
        return self._name

    def __dask_postcompute__(self) -> tuple[Callable, tuple]:
        if self._order is not None:
            return _merge_groups, (self._order, self._combine, self._aggregate)
        return merge, (self._combine, self._aggregate)

    @staticmethod
    def __dask_optimize__(graph: Any, keys: Any, **kwargs: Any) -> Any:
        return graph

    __dask_scheduler__ = staticmethod(dask.threaded.get)

    def compute(self, **kwargs: Any) -> Any:
        """The result of the pass (:func:`compute_passes` computes several at once)."""
        (out,) = compute_passes([self], **kwargs)
        return out


def compute_passes(graphs: Sequence[Any], **kwargs: Any) -> tuple:
    """Passes (and other collections) computed together. Reductions go to the scheduler as
    they are: on a distributed client through :func:`compute_reductions`, elsewhere through
    the scheduler dask's configuration names (threads by default). ``dask.compute`` would
    first build and simplify an expression of them: about half of the 1.1 ms a 6-block pass on
    threads spends outside its tasks. Anything else (or any ``dask.compute`` keywords) goes
    through ``dask.compute``."""
    if kwargs or not graphs or not all(isinstance(g, Reduction) for g in graphs):
        return dask.compute(*graphs, **kwargs)
    client = active_client()
    if client is not None:
        return compute_reductions(client, graphs)
    graph = HighLevelGraph.merge(*(r.__dask_graph__() for r in graphs))
    get = get_scheduler(collections=list(graphs))
    return _finished(graphs, get(graph, [r.__dask_keys__() for r in graphs]))


def _finished(reductions: Sequence[Reduction], parts: Sequence[Any]) -> tuple:
    """Each reduction's result from its computed keys."""
    finish = (r.__dask_postcompute__() for r in reductions)
    return tuple(fn(p, *args) for p, (fn, args) in zip(parts, finish, strict=True))


def compute_reductions(client: Any, reductions: Sequence[Reduction]) -> tuple:
    """Reductions computed on a distributed client, their partials fetched by the client
    directly. ``dask.compute`` adds a finalize task that first gathers every partial on one
    worker: one more scheduler round trip and transfer per pass (a 10-block pass on a 2-worker
    LocalCluster: 41 ms against 33; ``benchmarks/results/cluster_pass.md``). A block's own
    reads run inside its chunk's task (:func:`fuse_block_inputs`)."""
    graph = HighLevelGraph.merge(*(r.__dask_graph__() for r in reductions))
    blocks = [k for r in reductions for k in r.block_keys]
    graph = fuse_block_inputs(graph, blocks)
    parts = client.get(graph, [r.__dask_keys__() for r in reductions], sync=True)
    return _finished(reductions, parts)


def _private_inputs(tasks: dict, blocks: set) -> dict:
    """{key: the block task it is private to}: tasks that only one block task needs (directly or
    through other such tasks). Values already on the cluster (futures) and embedded data stay
    where they are."""
    dependents: dict = {k: [] for k in tasks}
    for key, node in tasks.items():
        for dep in node.dependencies:
            if dep in dependents:
                dependents[dep].append(key)
    owner: dict = {}
    for key in TopologicalSorter(dependents).static_order():  # dependents first
        node = tasks[key]
        if key in blocks:
            owner[key] = key
        elif isinstance(node, DataNode):  # a future or plain data (convert_legacy_graph)
            owner[key] = None
        else:
            owners = {owner[d] for d in dependents[key]}
            owner[key] = owners.pop() if len(owners) == 1 else None
    return {k: b for k, b in owner.items() if b is not None and k != b}


def fuse_block_inputs(graph: HighLevelGraph, blocks: Sequence) -> HighLevelGraph:
    """The graph with every task that only one block task needs run inside that task: a
    streamed block is read, transformed and reduced in one task, on one worker, and only its
    partial stays. Left to the scheduler, a block's read and its reduction are separate tasks:
    it sometimes read most blocks of a source before reducing any (15-20 blocks of X and of y
    held per worker, ``tests/linear_model/test_lm_scale.py``), and placed a partition's chain
    of transforms on different workers, which then sent each other the partitions
    (``tests/test_pipelines.py``). Tasks that several blocks need (a shared source block, a
    model's parameters) stay tasks of their own; layer annotations are kept."""
    blocks = set(blocks)
    original = dict(graph)
    tasks = convert_legacy_graph(original)
    private = _private_inputs(tasks, blocks)
    if not private:
        return graph
    inner = defaultdict(list)
    for key, block in private.items():
        inner[block].append(tasks[key])
    fused = {b: Task.fuse(*nodes, tasks[b], key=b) for b, nodes in inner.items()}
    layers, seen = {}, set(private)
    for name, layer in graph.layers.items():
        kept = {k: fused.get(k, original[k]) for k in layer if k not in seen}
        seen.update(kept)
        layers[name] = MaterializedLayer(kept, annotations=layer.annotations)
    return HighLevelGraph(layers, graph.dependencies)


def task_args(args: Sequence[Any]) -> tuple[list[Any], list[Delayed]]:
    """Arguments as a hand-built task holds them: a Delayed value (a large one, entered once
    by :func:`share`) as a reference to its key, anything else as it is; and the Delayed
    values, which the graph must depend on."""
    values, delayed = [], []
    for value in args:
        if isinstance(value, Delayed):
            delayed.append(value)
            value = TaskRef(value.key)
        values.append(value)
    return values, delayed


def _block_refs(array: da.Array | None, n_blocks: int) -> list:
    if array is None:
        return [None] * n_blocks
    return [TaskRef(k) for k in block_keys(array)]


def _n_blocks(who: str, arrays: Sequence[da.Array], block_args: Sequence | None) -> int:
    """Row blocks the arrays share; known chunk lengths must agree too."""
    if not arrays:
        raise ValueError(f"{who} needs at least one array")
    counts = {a.numblocks[0] for a in arrays}
    if len(counts) > 1:
        raise ValueError(f"{who}: arrays have different row chunks ({sorted(counts)} blocks)")
    known = [a.chunks[0] for a in arrays if not any(np.isnan(c) for c in a.chunks[0])]
    if any(c != known[0] for c in known[1:]):
        raise ValueError(f"{who}: arrays have different row chunks")
    n_blocks = counts.pop()
    if block_args is not None and len(block_args) != n_blocks:
        raise ValueError(f"{who}: {len(block_args)} block_args for {n_blocks} blocks")
    return n_blocks


def _pass_graph(name: str, layer: dict, dependencies: list) -> HighLevelGraph:
    """The pass's layer over its inputs' graphs, its tasks first in line on a cluster: a block's
    partial runs as soon as its inputs are there (its private reads run inside its task anyway,
    :func:`fuse_block_inputs`; this orders the tasks that several blocks share)."""
    with dask.annotate(priority=1):
        return HighLevelGraph.from_collections(name, layer, dependencies=dependencies)


def reduction(
    chunk: Callable[..., Any],
    *arrays: da.Array | None,
    args: Sequence[Any] = (),
    block_args: Sequence[Sequence[Any]] | None = None,
    combine: Callable[[Any, Any], Any] | None = sum_parts,
    aggregate: Callable[[Any], Any] | None = None,
    split_every: int | None = None,
    name: str | None = None,
    groups: Sequence[Sequence[int]] | None = None,
) -> Reduction:
    """One pass over the row blocks of ``arrays``: ``chunk`` per block, partials merged in order.

    Parameters
    ----------
    chunk : callable
        ``chunk(*blocks_i, *block_args[i], *args)`` on the NumPy blocks of row block ``i``
        (``None`` for a ``None`` entry of ``arrays``), returning a small partial result.
    *arrays : dask arrays, dask DataFrames/Series, or None
        The same number of row blocks (chunk lengths may be unknown); 2-D arrays are read with
        all their columns in one block; a dask dataframe's partitions reach ``chunk`` as pandas.
    args : sequence
        Arguments for every block, embedded as given: pass large ones through :func:`share`
        first (a Delayed or a Future is a reference to a value that enters the graph once).
    block_args : sequence of sequences, optional
        ``block_args[i]`` goes to the chunk of row block ``i`` only (state kept per block
        between passes, as in consensus ADMM, or the block's index). Small values.
    combine : callable or None
        Binary merge of two partials, applied in block order (default :func:`sum_parts`).
        None: the pass computes to the list of per-block partials.
    aggregate : callable, optional
        Applied once to the merged partial (a metric from its sufficient statistics).
    split_every : int, optional
        Merge in a tree of this fan-in on the workers instead of on the client: for partials
        too large to gather (a Hessian of thousands of features per block).
    name : str, optional
        Prefix of the task names (default: the chunk's name). Keys are unique per call, so
        two passes with equal arguments never share half-released keys.
    groups : sequence of sequences of int, optional
        Run the chunks of each group of blocks as one task (the blocks a worker thread holds:
        one task per thread per pass instead of one per block; see
        :attr:`dasklearn._placement.Placement.groups`). Partials still merge in block order, so
        the result is the same. Ignored with ``split_every``.

    Returns
    -------
    Reduction
        A dask collection: ``dask.compute`` it, together with anything else computed in the
        same pass.
    """
    arrays = tuple(
        None if a is None else partition_blocks(a) if is_frame(a) else rows_only(a) for a in arrays
    )
    present = [a for a in arrays if a is not None]
    n_blocks = _n_blocks("reduction", present, block_args)
    per_block = block_args if block_args is not None else [()] * n_blocks
    name = f"{name or getattr(chunk, '__name__', 'chunk')}-{uuid.uuid4().hex}"
    refs = [_block_refs(a, n_blocks) for a in arrays]
    shared, delayed = task_args(args)
    dependencies: list[Any] = [*present, *delayed]
    layer: dict = {}
    if groups is not None and split_every is None:
        order = [i for group in groups for i in group]
        if sorted(order) != list(range(n_blocks)):
            raise ValueError(f"reduction: groups {groups} do not cover {n_blocks} blocks once")
        for j, group in enumerate(groups):
            key = (name, j)
            blocks = List(*(List(*(r[i] for r in refs)) for i in group))
            extras = List(*(List(*per_block[i]) for i in group))
            layer[key] = Task(key, _run_group, chunk, blocks, extras, *shared)
        graph = _pass_graph(name, layer, dependencies)
        return Reduction(graph, name, list(layer), combine, aggregate, order=order)
    for i in range(n_blocks):
        key = (name, i)
        layer[key] = Task(key, chunk, *(r[i] for r in refs), *per_block[i], *shared)
    keys = block_keys = list(layer)
    if split_every is not None and combine is not None:
        level = 0
        while len(keys) > 1:
            level += 1
            merged = []
            for j in range(0, len(keys), max(2, int(split_every))):
                key = (f"{name}-combine-{level}", j)
                group = List(*(TaskRef(k) for k in keys[j : j + max(2, int(split_every))]))
                layer[key] = Task(key, _combine_list, group, combine)
                merged.append(key)
            keys = merged
    graph = _pass_graph(name, layer, dependencies)
    return Reduction(graph, name, keys, combine, aggregate, block_keys=block_keys)


# --------------------------------------------------------------------------------------------
# BLAS threads: one per kernel
# --------------------------------------------------------------------------------------------

_BLAS_LOCK = threading.Lock()
_BLAS_STATE: dict[str, Any] = {"depth": 0, "limiter": None, "controller": None, "n_modules": 0}


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread in this process while any caller is inside this block.

    Dask runs one kernel per thread (threaded scheduler, or a worker's threads); a BLAS that also
    starts one thread per core for every GEMM oversubscribes the CPU and its threads spin against
    each other (k-means on 2 cores: 20x slower). Worker processes started by a nanny already run
    with ``OPENBLAS_NUM_THREADS=1``; this covers threads in the client process. Thread-safe and
    re-entrant: the first caller in sets the limit, the last one out restores it.

    Every kernel entry comes through here, so the allocator's setting for kernels is made here
    too: in a worker process that distributed started, glibc's heap thresholds are raised while
    kernels run (:func:`~dasklearn._heap.roomy_heap`).
    """
    with _BLAS_LOCK:
        if _BLAS_STATE["depth"] == 0:
            # A controller knows the libraries loaded when it was made (about 2 ms to make);
            # BLAS libraries arrive with extension-module imports, so remake it after those.
            if _BLAS_STATE["controller"] is None or _BLAS_STATE["n_modules"] != len(sys.modules):
                from threadpoolctl import ThreadpoolController

                _BLAS_STATE["controller"] = ThreadpoolController()
                _BLAS_STATE["n_modules"] = len(sys.modules)
            limit = functools.partial(_BLAS_STATE["controller"].limit, limits=1, user_api="blas")
            _BLAS_STATE["limiter"] = _in_control(limit)
        _BLAS_STATE["depth"] += 1
    try:
        with roomy_heap():
            yield
    finally:
        with _BLAS_LOCK:
            _BLAS_STATE["depth"] -= 1
            if _BLAS_STATE["depth"] == 0:
                _in_control(_BLAS_STATE["limiter"].restore_original_limits)
                _BLAS_STATE["limiter"] = None


def _in_control(action: Callable[[], Any]) -> Any:
    """Run ``action`` as the thread that controls OpenBLAS's process-wide pool size.

    threadpoolctl lets only one thread set that size (the first to try, until it lets go); other
    threads' calls are silently ignored. The first caller into :func:`single_blas_thread` and the
    last one out may be different threads, and ``_BLAS_LOCK`` already serialises them, so each
    takes control for its call and lets go after.
    """
    import threadpoolctl

    openblas = getattr(threadpoolctl, "OpenBLASController", None)
    release = getattr(openblas, "clear_controlling_thread", None)
    if release is not None:
        release(force=True)
    try:
        return action()
    finally:
        if release is not None:
            release(force=True)


class with_single_blas_thread:  # noqa: N801 - used like a decorator
    """Wrap a block kernel so that each call runs under :func:`single_blas_thread`.

    For kernels that run later, in a graph the user computes (lazy ``predict``/``transform``).
    Picklable, and tokenized by the wrapped function.
    """

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.__name__ = getattr(func, "__name__", "kernel")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with single_blas_thread():
            return self.func(*args, **kwargs)

    def __dask_tokenize__(self) -> Any:
        return ("with_single_blas_thread", dask.base.tokenize(self.func))


# --------------------------------------------------------------------------------------------
# memory alignment of blocks
# --------------------------------------------------------------------------------------------


#: Byte alignment below which a block is copied before kernels read it (see ``aligned``).
_ALIGNMENT = 16


def aligned(block: Any, c_order: bool = True) -> Any:
    """``block``, or a copy of it when its data does not start on a 16-byte boundary or (with
    ``c_order``) is not C-contiguous. Without ``c_order`` the copy keeps the block's layout:
    what a user's estimator is given stays as it was, only moved.

    Arrays deserialized from the network (scattered, sent to or between workers, embedded in a
    graph) are views into the message buffer and can start at any byte of it: about 7 in 8 do
    not start on a multiple of their item size. NumPy does not call BLAS on those, and its own
    loops run slower: a 200,000 x 20 Gram 3.3x, scikit-learn's ``LogisticRegression.fit`` 4.5x,
    a k-means pass on a LocalCluster 2.9x (13.4 ms a block misaligned, 4.6 ms aligned). The copy
    costs one memcpy. The compiled kernels are also specialised for C order. Aligned C-ordered
    blocks and non-arrays pass through without a copy.

    Every worker-side entry that reads data which may have travelled calls it: the pass runner
    (once, when it persists), the output layer, and the tasks of searches and ``Incremental``.
    A pandas object is copied whole when one of its numeric columns is misaligned (each dtype's
    block arrives in a buffer of its own; one column of each dtype is checked).
    """
    if isinstance(block, pd.DataFrame | pd.Series):
        return block.copy(deep=True) if _misaligned_frame(block) else block
    if not isinstance(block, np.ndarray) or not block.size:
        return block
    if block.ctypes.data % _ALIGNMENT:
        return np.array(block, order="C" if c_order else "K", copy=True)
    if c_order and not block.flags.c_contiguous:
        return np.array(block, order="C", copy=True)
    return block


def _misaligned_frame(frame: pd.DataFrame | pd.Series) -> bool:
    columns = frame.to_frame() if isinstance(frame, pd.Series) else frame
    checked: set[np.dtype] = set()
    for i, dtype in enumerate(columns.dtypes):
        if isinstance(dtype, np.dtype) and dtype.kind in "biufc" and dtype not in checked:
            checked.add(dtype)
            values = columns.iloc[:, i].to_numpy()
            if values.size and values.ctypes.data % _ALIGNMENT:
                return True
    return False
