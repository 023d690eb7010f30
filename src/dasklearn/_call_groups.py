"""Several row blocks per call of a costly per-row function (a fitted model's ``predict``).

A model's cost per call can exceed its cost per row: a 100-tree forest walks every tree once per
call, so in one process ``predict_proba`` over 1e6 rows took 7.46 s in one call and 8.87 s in
blocks of 20,000 rows (``benchmarks/results/parallel_post_fit.md``). Streaming data comes in
small blocks, so :func:`call_groups` gathers a worker's blocks into calls of about
:data:`~dasklearn._passes.BLOCK_BYTES` of input, and :func:`map_groups` runs one task per group
that returns the results of its blocks; each output block is then one item of its group's
result, so the output keeps X's row chunks.

Which blocks go together:

* X persisted on a distributed cluster, or computed from persisted blocks (a column selection):
  the blocks each worker holds, split into calls of about equal size, at least one per thread
  of that worker (blocks beyond a worker's share of the work move to a worker below its share);
* otherwise (a lazy source, local threads): runs of consecutive blocks, as many calls as a
  multiple of the threads that run them, each reading its own blocks inside its task.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import dask
import dask.array as da
import numpy as np
import scipy.sparse as sp
from dask._task_spec import convert_legacy_graph
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph
from dask.system import CPU_COUNT
from dask.task_spec import List, Task, TaskRef
from distributed import futures_of

from ._blockwise import fuse_block_inputs, task_args
from ._chunks import block_keys
from ._client import active_client, balanced
from ._passes import BLOCK_BYTES

__all__ = ["call_groups", "map_groups"]


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


def _holders(X: da.Array, client: Any) -> list[str] | None:
    """The worker holding each block of X (or most of the persisted blocks it is computed
    from), when X is built on data persisted on ``client``; None otherwise."""
    if client is None:
        return None
    futures = {f.key: f for f in futures_of(X)}
    if not futures or any(f.status != "finished" for f in futures.values()):
        return None
    inputs = _persisted_inputs(X, block_keys(X), set(futures))
    if not all(inputs):
        return None
    who_has = client.who_has([futures[k] for k in set().union(*map(set, inputs))])
    holders = []
    for block_inputs in inputs:
        votes = Counter(sorted(w)[0] for k in block_inputs if (w := who_has.get(k)))
        if not votes:
            return None
        holders.append(min(votes, key=lambda w: (-votes[w], w)))
    return holders


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


def call_groups(X: da.Array, max_bytes: int = BLOCK_BYTES) -> list[list[int]] | None:
    """The row blocks of X to run as one call each, or None for one call per block.

    None when the block lengths are unknown, when the blocks are not NumPy (sparse, GPU) or
    when no two blocks would share a call.
    """
    lengths = X.chunks[0]
    if len(lengths) < 2 or any(math.isnan(n) for n in lengths):
        return None
    if type(X._meta) is not np.ndarray:
        return None
    row_bytes = X.dtype.itemsize * int(np.prod(X.shape[1:], dtype=np.int64))
    sizes = [n * max(row_bytes, 1) for n in lengths]
    client = active_client()
    holders = _holders(X, client)
    if holders is not None:
        threads = client.nthreads()
        groups = []
        for worker, blocks in sorted(balanced(holders, sizes, threads).items()):
            total = sum(sizes[i] for i in blocks)
            n = _n_calls(total, threads.get(worker, 1), len(blocks), max_bytes)
            groups += _split(blocks, sizes, n)
    else:
        if client is not None:
            threads = sum(client.nthreads().values()) or 1
        else:
            threads = int(dask.config.get("num_workers", None) or CPU_COUNT)
        n = _n_calls(sum(sizes), threads, len(sizes), max_bytes)
        groups = _split(list(range(len(sizes))), sizes, n)
    return None if len(groups) == len(sizes) else groups


def _joined(blocks: list[Any]) -> Any:
    if any(sp.issparse(b) for b in blocks):
        return sp.vstack(blocks, format="csr")
    return np.concatenate(blocks) if len(blocks) > 1 else blocks[0]


def _run_group(blocks: list[Any], block_func: Callable[..., Any], *args: Any) -> tuple:
    """``block_func`` on the group's blocks joined, its result cut back into one per block."""
    out = block_func(_joined(blocks), *args)
    ends = np.cumsum([len(b) for b in blocks])
    starts = np.concatenate([[0], ends[:-1]])
    return tuple(out[a:b] for a, b in zip(starts, ends, strict=True))


def map_groups(
    block_func: Callable[..., Any],
    X: da.Array,
    groups: Sequence[Sequence[int]],
    args: Sequence[Any],
    *,
    chunks: tuple,
    meta: Any,
    name: str | None = None,
) -> da.Array:
    """``block_func(block, *args)`` over the row blocks of X, one call per group of blocks.

    ``block_func`` returns one result row per input row (as ``da.map_blocks`` would call it);
    the result has ``chunks`` (X's row chunks first). Delayed ``args`` enter the graph once.
    """
    name = name or f"{getattr(block_func, '__name__', 'call')}-{tokenize(X, groups, *args)}"
    group_name = f"{name}-group"
    refs = [TaskRef(k) for k in block_keys(X)]
    shared, delayed = task_args(args)
    layer: dict = {}
    for g, members in enumerate(groups):
        key = (group_name, g)
        blocks = List(*(refs[i] for i in members))
        layer[key] = Task(key, _run_group, blocks, block_func, *shared)
        for position, i in enumerate(members):
            out_key = (name, i) + (0,) * (len(chunks) - 1)
            layer[out_key] = Task(out_key, operator.getitem, TaskRef(key), position)
    graph = HighLevelGraph.from_collections(name, layer, dependencies=[X, *delayed])
    graph = fuse_block_inputs(graph, [(group_name, g) for g in range(len(groups))])
    return da.Array(graph, name, chunks, meta=meta)
