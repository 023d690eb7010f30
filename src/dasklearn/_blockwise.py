"""Blockwise helpers: map a kernel over row blocks, tree-reduce per-block partial results.

Algorithms express one pass over the data as ``reduce_blocks(kernel, X, y, args=(...))``: the
kernel runs on every row block where that block lives and returns small NumPy results (sums, counts,
Gram matrices, losses), which are summed pairwise in a tree into one small result; or as
``block_results(kernel, X, ...)``, a collection that computes to the list of per-block results
(merged by the caller, in block order). Arguments go through :func:`share`: small ones travel
inside every block task, large ones (a fitted model, many centers) enter the graph once.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from functools import reduce
from typing import Any

import dask
import dask.array as da
import dask.threaded
import numpy as np
from dask.base import is_dask_collection
from dask.delayed import Delayed
from dask.highlevelgraph import HighLevelGraph
from dask.task_spec import Task, TaskRef

__all__ = [
    "BlockResults",
    "aligned",
    "block_results",
    "broadcast",
    "map_row_blocks",
    "persist_if_fits",
    "reduce_blocks",
    "share",
    "single_blas_thread",
    "sum_parts",
    "with_single_blas_thread",
]


def sum_parts(a: Any, b: Any) -> Any:
    """Add two partial results: numbers, arrays, or tuples/lists/dicts of them, elementwise."""
    if isinstance(a, tuple | list):
        return type(a)(sum_parts(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return {k: sum_parts(a[k], b[k]) for k in a}
    return a + b


def _combine(parts: Sequence[Any], combine: Callable[[Any, Any], Any]) -> Any:
    return reduce(combine, parts)


def broadcast(value: Any) -> Any:
    """Wrap a value so that it enters a dask graph once and is shared by every block task."""
    if is_dask_collection(value):
        return value
    return dask.delayed(value, pure=True)


#: Array arguments up to this size are embedded in every block task; larger ones enter once.
EMBED_BYTES = 256 * 2**10


def share(value: Any, client: Any = None) -> Any:
    """A kernel argument as it should enter a pass: embedded when small, else shared once.

    Embedding keeps every kernel task dependent on its block alone, so the scheduler runs each
    block's read and kernel back to back. A separate argument task was ordered after all the
    reads of a streamed parquet dataset: one worker read all 60 blocks (the whole dataset)
    before the first kernel could start. Arrays over :data:`EMBED_BYTES` are scattered to every
    worker of ``client`` (or become one graph node without a client); other objects (numbers,
    small parameter objects) are embedded.
    """
    if is_dask_collection(value) or getattr(value, "nbytes", 0) <= EMBED_BYTES:
        return value
    if client is not None:
        return client.scatter(value, broadcast=True, hash=False)
    return broadcast(value)


def _row_blocks(array: da.Array) -> list[Delayed]:
    if array.ndim == 2 and array.numblocks[1] != 1:
        array = array.rechunk({1: -1})
    return list(array.to_delayed().ravel())


class BlockResults:
    """The per-block results of one pass, as a dask collection that computes to a list.

    One collection with one key per block: ``dask.compute(*delayeds)`` wraps every Delayed in
    an expression of its own and costs ~0.1 ms a block on top (a 10-block k-means pass: 2.2 ms
    of overhead against 0.9 ms), and a final task gathering the list would make a cluster send
    every part through one worker first. Graph optimisation is skipped: the tasks are final
    (optimise the input arrays once, with ``dask.optimize``, before passes over them).
    """

    def __init__(self, graph: HighLevelGraph, name: str, keys: list) -> None:
        self._graph, self._name, self._keys = graph, name, keys

    def __dask_graph__(self) -> HighLevelGraph:
        return self._graph

    def __dask_keys__(self) -> list:
        return self._keys

    def __dask_layers__(self) -> tuple[str]:
        return (self._name,)

    def __dask_tokenize__(self) -> str:
        return self._name

    def __dask_postcompute__(self) -> tuple[Callable, tuple]:
        return list, ()

    @staticmethod
    def __dask_optimize__(graph: Any, keys: Any, **kwargs: Any) -> Any:
        return graph

    __dask_scheduler__ = staticmethod(dask.threaded.get)


def _pass_layout(
    who: str, arrays: Sequence[da.Array], block_args: Sequence[Sequence[Any]] | None
) -> tuple[int, Sequence[Sequence[Any]]]:
    """Number of row blocks the arrays share, and one tuple of extra arguments per block."""
    if not arrays:
        raise ValueError(f"{who} needs at least one array")
    row_chunks = arrays[0].chunks[0]
    if any(a.chunks[0] != row_chunks for a in arrays[1:]):
        raise ValueError(f"{who}: arrays have different row chunks")
    n_blocks = len(row_chunks)
    if block_args is None:
        return n_blocks, [()] * n_blocks
    if len(block_args) != n_blocks:
        raise ValueError(f"{who}: {len(block_args)} block_args for {n_blocks} blocks")
    return n_blocks, block_args


def _block_keys(array: da.Array | None, n_blocks: int) -> list:
    if array is None:
        return [None] * n_blocks
    if array.ndim == 2 and array.numblocks[1] != 1:
        raise ValueError("block_results needs 2-D arrays with all columns in one block")
    keys = array.__dask_keys__()
    return [TaskRef(k[0] if isinstance(k, list) else k) for k in keys]


def block_results(
    kernel: Callable[..., Any],
    *arrays: da.Array | None,
    args: Sequence[Any] = (),
    block_args: Sequence[Sequence[Any]] | None = None,
    name: str | None = None,
) -> BlockResults:
    """``kernel(*blocks_i, *block_args[i], *args)`` on every row block ``i``, results as a list.

    ``arrays`` share their row chunks (``None`` entries pass ``None`` to every kernel call);
    ``args`` are embedded as given: pass them through :func:`share` first (a Delayed or a
    Future is a reference to a value computed or scattered once). Keys are unique per call, so
    two passes with equal arguments never share half-released keys. ``dask.compute`` returns
    the list in block order.
    """
    present = [a for a in arrays if a is not None]
    n_blocks, block_args = _pass_layout("block_results", present, block_args)
    name = f"{name or getattr(kernel, '__name__', 'kernel')}-{uuid.uuid4().hex}"
    refs = [_block_keys(a, n_blocks) for a in arrays]
    dependencies = list(present)
    shared = []
    for value in args:
        if isinstance(value, Delayed):
            dependencies.append(value)
            value = TaskRef(value.key)
        shared.append(value)
    layer = {}
    for i in range(n_blocks):
        key = (name, i)
        layer[key] = Task(key, kernel, *(r[i] for r in refs), *block_args[i], *shared)
    graph = HighLevelGraph.from_collections(name, layer, dependencies=dependencies)
    return BlockResults(graph, name, list(layer))


def reduce_blocks(
    kernel: Callable[..., Any],
    *arrays: da.Array,
    args: Sequence[Any] = (),
    combine: Callable[[Any, Any], Any] = sum_parts,
    split_every: int = 8,
    block_args: Sequence[Sequence[Any]] | None = None,
) -> Delayed:
    """One pass over the row blocks of ``arrays``: ``kernel`` per block, tree-combined.

    Parameters
    ----------
    kernel : callable
        ``kernel(*blocks, *block_args[i], *args)`` on NumPy blocks, returning a small result.
    *arrays : dask arrays
        Same row chunks; 2-D arrays are taken with all columns in one block.
    args : sequence
        Extra arguments: small ones embedded in every block task, large arrays placed in the
        graph once (:func:`share`).
    combine : callable
        Binary function merging two partial results (default: elementwise sum).
    split_every : int
        Fan-in of the reduction tree.
    block_args : sequence of sequences, optional
        Per-block arguments: ``block_args[i]`` goes to the kernel of row block ``i`` only (state
        kept per block between passes, as in consensus ADMM). Small values; one per block.

    Returns
    -------
    dask.delayed.Delayed
        Call ``dask.compute`` on it, together with anything else computed in the same pass.
    """
    n_blocks, block_args = _pass_layout("reduce_blocks", arrays, block_args)
    blocks = [_row_blocks(a) for a in arrays]
    shared = [share(a) for a in args]
    # impure: unique keys per pass, so back-to-back equal passes never share released keys
    task = dask.delayed(kernel, pure=False)
    parts = [task(*(b[i] for b in blocks), *block_args[i], *shared) for i in range(n_blocks)]
    combiner = dask.delayed(_combine, pure=True)
    while len(parts) > 1:
        parts = [
            combiner(parts[i : i + split_every], combine) for i in range(0, len(parts), split_every)
        ]
    return parts[0]


def map_row_blocks(
    func: Callable[..., np.ndarray],
    X: da.Array,
    *args: Any,
    dtype: Any,
    n_columns: int | None = None,
    name: str | None = None,
) -> da.Array:
    """Apply ``func(block, *args)`` to each row block of a 2-D dask array.

    ``func`` returns a 1-D array with one value per row (``n_columns=None``) or a 2-D array with
    ``n_columns`` columns. ``args`` are broadcast: each enters the graph once.
    """
    if X.ndim == 2 and X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    shared = [broadcast(a) for a in args]
    dtype = np.dtype(dtype)
    if n_columns is None:
        return da.map_blocks(
            func,
            X,
            *shared,
            dtype=dtype,
            drop_axis=1,
            chunks=(X.chunks[0],),
            meta=np.empty((0,), dtype=dtype),
            name=name,
        )
    return da.map_blocks(
        func,
        X,
        *shared,
        dtype=dtype,
        chunks=(X.chunks[0], (n_columns,)),
        meta=np.empty((0, 0), dtype=dtype),
        name=name,
    )


# --------------------------------------------------------------------------------------------
# BLAS threads: one per kernel
# --------------------------------------------------------------------------------------------

_BLAS_LOCK = threading.Lock()
_BLAS_STATE: dict[str, Any] = {"depth": 0, "limiter": None, "controller": None}


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread in this process while any caller is inside this block.

    Dask runs one kernel per thread (threaded scheduler, or a worker's threads); a BLAS that also
    starts one thread per core for every GEMM oversubscribes the CPU and its threads spin against
    each other (k-means on 2 cores: 20x slower). Worker processes started by a nanny already run
    with ``OPENBLAS_NUM_THREADS=1``; this covers threads in the client process. Thread-safe and
    re-entrant: the first caller in sets the limit, the last one out restores it.
    """
    with _BLAS_LOCK:
        if _BLAS_STATE["depth"] == 0:
            if _BLAS_STATE["controller"] is None:
                from threadpoolctl import ThreadpoolController

                _BLAS_STATE["controller"] = ThreadpoolController()
            _BLAS_STATE["limiter"] = _BLAS_STATE["controller"].limit(limits=1, user_api="blas")
        _BLAS_STATE["depth"] += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_STATE["depth"] -= 1
            if _BLAS_STATE["depth"] == 0:
                _BLAS_STATE["limiter"].restore_original_limits()
                _BLAS_STATE["limiter"] = None


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
# persist-if-it-fits
# --------------------------------------------------------------------------------------------


#: Byte alignment below which a block is copied before kernels read it (see ``aligned``).
_ALIGNMENT = 16


def aligned(block: Any) -> Any:
    """``block``, or a C-contiguous copy of it when its data does not start on a 16-byte boundary
    or is not C-contiguous.

    Arrays deserialized from the network (blocks sent to or between workers) can start at any
    byte of the message buffer; BLAS and NumPy loops on such data run about 3x slower (k-means
    pass on a LocalCluster: 13.4 ms a block misaligned, 4.6 ms aligned), and the compiled
    kernels are specialised for C order. Aligned C-ordered blocks and non-arrays pass through
    without a copy.
    """
    if (
        isinstance(block, np.ndarray)
        and block.size
        and (block.ctypes.data % _ALIGNMENT or not block.flags.c_contiguous)
    ):
        return np.array(block, order="C", copy=True)
    return block


def _under_new_keys(array: Any) -> Any:
    """The same array under fresh keys (aligned), so that persisting it leaves the caller's keys
    alone and kernels later read aligned memory."""
    if not isinstance(array, da.Array):
        return array
    name = f"persisted-{uuid.uuid4().hex}"
    return array.map_blocks(aligned, dtype=array.dtype, meta=array._meta, name=name)


def persist_if_fits(*arrays: Any, fraction: float = 0.5) -> tuple[tuple[Any, ...], bool]:
    """Persist dask collections that an algorithm reads many times, when they fit comfortably.

    The policy: persist when their total size is at most ``fraction`` of the memory computations
    may use (:func:`dasklearn._client.memory_budget`: the workers' total memory limit on a
    distributed client, the machine's available memory otherwise); otherwise leave them lazy, so
    that every pass streams them from their source (parquet, a generator) block by block, and
    memory stays at a few blocks per worker, with their graphs optimised once. ``None``
    entries pass through.

    Dask arrays are persisted under fresh keys: the caller's own collection (and anything that
    shares its keys, such as a lazy ``labels_`` built from it) is untouched, and computing it
    later does not collide with the persisted copy still being released. Blocks that arrive
    misaligned (deserialized from the network) are copied to aligned memory once, here
    (:func:`aligned`), instead of slowing every later pass.

    Returns the (possibly persisted) collections and whether they were persisted.
    """
    from ._client import active_client, memory_budget

    present = [a for a in arrays if a is not None]
    if not present:
        return arrays, False
    nbytes = sum(float(a.nbytes) for a in present)
    client = active_client()
    if not np.isfinite(nbytes) or nbytes > fraction * memory_budget(client):
        # streamed: optimised once here (a parquet read fused with its conversion to an array,
        # one task a block instead of three) rather than at every pass
        return dask.optimize(*arrays), False
    fresh = [_under_new_keys(a) for a in present]
    persisted = iter(client.persist(fresh) if client is not None else dask.persist(*fresh))
    return tuple(None if a is None else next(persisted) for a in arrays), True
