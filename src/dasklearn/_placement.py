"""Where the data of a fit lives: one placement policy for every iterative estimator.

Every iterative estimator (KMeans, SpectralClustering, the linear models, and what comes after
them) places its validated input with :func:`place` and reads it through a
:class:`dasklearn._passes.Passes` runner:

* **placement, one policy**: NumPy input is cut into row blocks by :func:`in_memory_row_chunks`
  (views, no copy; the same blocks on every scheduler, so the same ``random_state`` gives the
  same model anywhere) and sent to the workers once on a distributed client. Dask input is
  persisted when it takes at most half of the memory computations may use
  (:func:`dasklearn._client.memory_budget`), and otherwise streamed from its source at every
  pass, a few blocks per worker at a time, with its graph optimised once.
* **unknown chunk sizes**: persisted data get their row counts from the persisted blocks (tiny
  tasks, no read of the source); streamed data learn them in the first pass, which reports
  each block's rows beside its result: no pass of their own.
* **blocks by worker thread**: data persisted on a distributed cluster are grouped by the
  worker thread that holds them (:attr:`Placement.groups`), so that a pass that runs as tasks
  runs one task per worker thread, where its blocks are.
"""

from __future__ import annotations

import math
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import dask
import dask.array as da
import numpy as np
from distributed import wait

from ._blockwise import aligned, compute_passes, reduction
from ._chunks import (
    FRAME_CUT,
    _short,
    as_dask_array,
    block_futures,
    block_keys,
    rows_only,
    with_row_chunks,
)
from ._client import active_client, memory_budget

__all__ = [
    "Placement",
    "in_memory_row_chunks",
    "persist_if_fits",
    "place",
]

Policy = Literal["in-memory", "persisted", "streamed"]

#: In-memory input up to this size is one block; larger input is cut into blocks of about
#: :data:`BLOCK_BYTES`, an even number of them (two threads, two workers: equal work each).
ONE_BLOCK_BYTES = 4 * 2**20
#: 32 MiB: a k-means pass over 2e6 x 20 on a 2-worker LocalCluster took 97 ms in 8 blocks and
#: 123 ms in 20 (per-task overhead), the same on threads.
BLOCK_BYTES = 32 * 2**20


def in_memory_row_chunks(n_rows: int, row_bytes: int) -> tuple[int, ...]:
    """Row blocks for in-memory input: balanced, about 32 MiB each, independent of the scheduler."""
    total = n_rows * max(1, row_bytes)
    if total <= ONE_BLOCK_BYTES or n_rows < 2:
        return (n_rows,)
    n_blocks = max(2, math.ceil(total / BLOCK_BYTES))
    n_blocks = min(n_rows, n_blocks + n_blocks % 2)
    base, extra = divmod(n_rows, n_blocks)
    return tuple(base + (i < extra) for i in range(n_blocks))


# --------------------------------------------------------------------------------------------
# persist or stream
# --------------------------------------------------------------------------------------------


def _under_new_keys(array: Any) -> Any:
    """The same array under fresh keys (aligned), so that persisting it leaves the caller's keys
    alone and kernels later read aligned memory."""
    if not isinstance(array, da.Array):
        return array
    name = f"persisted-{uuid.uuid4().hex}"
    return array.map_blocks(aligned, dtype=array.dtype, meta=array._meta, name=name)


@dataclass(frozen=True)
class _BlockHomes:
    """The worker that makes and keeps row block ``i`` of in-memory data sent to a cluster: a
    contiguous run of blocks per worker, in proportion to its threads (a task's block index is
    the second element of its key). A ``workers`` annotation the scheduler calls per key, with
    other workers allowed (a lost block is made again elsewhere). Without it the scheduler
    leaves the blocks unevenly (6 and 4 of 10), and every pass waits for the fuller worker."""

    names: frozenset[str]
    homes: tuple[str, ...]
    everywhere: tuple[str, ...]

    @classmethod
    def of(cls, arrays: list[Any], client: Any) -> _BlockHomes | None:
        threads = client.nthreads()
        n_blocks = arrays[0].numblocks[0]
        if len(threads) < 2 or n_blocks < 2:
            return None
        workers = sorted(threads)
        bounds = np.cumsum([threads[w] for w in workers]) / sum(threads.values()) * n_blocks
        homes = tuple(workers[int(np.searchsorted(bounds, i + 0.5))] for i in range(n_blocks))
        names = frozenset(k[0] for a in arrays for k in _keys_with_sources(a))
        return cls(names, homes, tuple(workers))

    def __call__(self, key: Any) -> list[str]:
        if isinstance(key, tuple) and len(key) > 1 and key[0] in self.names:
            if isinstance(key[1], int) and 0 <= key[1] < len(self.homes):
                return [self.homes[key[1]]]
        return list(self.everywhere)


def _keys_with_sources(array: da.Array) -> list:
    """The keys of the row blocks of ``array`` and of every layer below it."""
    return block_keys(array) + [k for k in array.__dask_graph__() if isinstance(k, tuple)]


def _persist(arrays: list[Any], client: Any, spread: bool = False) -> list[Any]:
    """Persist under fresh keys; ``spread``: in-memory blocks placed evenly (_BlockHomes)."""
    fresh = [_under_new_keys(a) for a in arrays]
    homes = _BlockHomes.of(fresh, client) if spread and client is not None else None
    where = {"workers": homes, "allow_other_workers": True} if homes is not None else {}
    with warnings.catch_warnings(), dask.annotate(**where):
        # in-memory blocks travel inside the graph, once
        warnings.filterwarnings("ignore", message=".*[Ss]ending large graph.*")
        if client is None:
            return list(dask.persist(*fresh))
        # Not optimised when placed: fusing would run each block's copy to aligned memory as a
        # task of another name, which the homes do not cover, and make the persisted key an
        # alias that fetched the result from wherever it ran (4 of 10 blocks arrived from the
        # other worker, misaligned, and every pass copied them again).
        return list(client.persist(fresh, optimize_graph=homes is None))


def _nbytes(array: da.Array, n_rows: int | None) -> float:
    if not math.isnan(array.shape[0]):
        return float(array.nbytes)
    if n_rows is None:
        return math.inf
    return float(n_rows) * array.dtype.itemsize * int(np.prod(array.shape[1:], dtype=np.int64))


def persist_if_fits(
    *arrays: Any, fraction: float = 0.5, n_rows: int | None = None
) -> tuple[tuple[Any, ...], bool]:
    """Persist dask arrays that an algorithm reads many times, when they fit comfortably.

    The policy: persist when their total size is at most ``fraction`` of the memory computations
    may use (the workers' total memory limit on a distributed client, the machine's available
    memory otherwise); otherwise leave them lazy, so that every pass streams them from their
    source (parquet, a generator) block by block, with their graphs optimised once here (a
    parquet read fused with its conversion to an array: one task a block instead of three).
    ``n_rows`` sizes arrays whose chunk lengths are unknown. ``None`` entries pass through.

    Dask arrays are persisted under fresh keys: the caller's own collection (and anything that
    shares its keys, such as a lazy ``labels_`` built from it) is untouched, and computing it
    later does not collide with the persisted copy still being released. Blocks that arrive
    misaligned (deserialized from the network) are copied to aligned memory once, here.

    Returns the (possibly persisted) collections and whether they were persisted.
    """
    present = [a for a in arrays if a is not None]
    if not present:
        return arrays, False
    nbytes = sum(_nbytes(a, n_rows) for a in present)
    client = active_client()
    if not np.isfinite(nbytes) or nbytes > fraction * memory_budget(client):
        return _optimized(arrays), False
    return tuple(_fill(_persist(present, client), list(arrays))), True


def _optimized(arrays: tuple[Any, ...]) -> tuple[Any, ...]:
    """Streamed arrays' graphs optimised once, unless they were cut from one partitioning of
    dataframes (:func:`dasklearn._chunks.frames_to_arrays`, already optimised as one
    expression): optimised again, X and y would each get a read of every partition of their own
    (a logistic pass over 10 GB of parquet took 2.4 reads instead of 1;
    ``benchmarks/results/far_past_memory.md``). Other arrays that share tasks (X and y of one
    generator) are optimised as before: left unfused, a streamed fit held more blocks at once
    (a worker grew by 77-145 MiB instead of about 20 in ``test_lm_scale``)."""
    if any(isinstance(a, da.Array) and a.name.startswith(FRAME_CUT) for a in arrays):
        return arrays
    return dask.optimize(*arrays)


# --------------------------------------------------------------------------------------------
# placement
# --------------------------------------------------------------------------------------------


def _length(block: Any) -> int:
    return len(block)


def _learn_lengths(X: da.Array, vectors: Sequence[Any]) -> tuple[da.Array, list[Any]]:
    """X and its dask vectors with the block lengths of X, learned in one pass that also counts
    the vectors' blocks of unknown length; raises when any vector's blocks hold other rows."""
    unknown = [
        i for i, v in enumerate(vectors) if isinstance(v, da.Array) and math.isnan(v.shape[0])
    ]
    counts = compute_passes(
        [reduction(_length, a, combine=None) for a in (X, *(vectors[i] for i in unknown))]
    )
    lengths = tuple(int(n) for n in counts[0])
    learned = dict(zip(unknown, counts[1:], strict=True))
    out = list(vectors)
    for i, v in enumerate(vectors):
        if not isinstance(v, da.Array):
            continue
        theirs = tuple(int(n) for n in learned[i]) if i in learned else v.chunks[0]
        if theirs != lengths:
            raise ValueError(
                "The row blocks of X and y (or sample_weight) do not line up: X's blocks hold "
                f"{_short(lengths)} rows, the other's {_short(theirs)}. Partition them alike "
                "(X = df[features], y = df[target] from one dataframe)."
            )
        out[i] = with_row_chunks(v, lengths) if i in learned else v
    return with_row_chunks(X, lengths), out


@dataclass
class Placement:
    """The data of one fit, placed for its passes.

    Attributes
    ----------
    X : dask.array.Array
        Features, all columns in one block.
    vectors : list of dask.array.Array or None
        Per-row arrays (targets, weights) in X's row blocks.
    policy : {"in-memory", "persisted", "streamed"}
        ``"in-memory"``: NumPy blocks on the local scheduler; ``"persisted"``: held in the
        cluster's (or this process's) memory; ``"streamed"``: re-read from the source at every
        pass.
    from_memory : bool
        The user passed NumPy or pandas data: per-row results of the fit come back eagerly.
    n_samples : int or None
        Rows of X (None: a single-pass placement of a source whose length is not known yet;
        set by the first pass).
    groups : list of lists of int, or None
        For data persisted on a distributed cluster: the blocks each worker thread holds. A pass
        that runs as tasks runs one per group instead of one per block (a scheduler round trip
        costs about as much as reading a block; measured in ``benchmarks/results/``), each
        where its blocks are; most passes run on the actors holding the blocks instead
        (:mod:`dasklearn._resident`). None: one task per block (local threads, streamed data).
    """

    X: da.Array
    vectors: list[da.Array | None]
    policy: Policy
    from_memory: bool
    n_samples: int | None
    groups: list[list[int]] | None = None

    @property
    def n_blocks(self) -> int:
        return int(self.X.numblocks[0])

    @property
    def lengths(self) -> tuple[int, ...] | None:
        """Rows per block, or None while a streamed source has not been read yet."""
        chunks = self.X.chunks[0]
        return None if any(math.isnan(c) for c in chunks) else tuple(int(c) for c in chunks)

    def set_lengths(self, lengths: Sequence[int]) -> None:
        """Record the row counts of the blocks (learned by the first pass)."""
        lengths = tuple(int(n) for n in lengths)
        if self.n_samples is None:
            self.n_samples = sum(lengths)
        if sum(lengths) != self.n_samples:
            raise ValueError(
                f"The blocks of X hold {sum(lengths)} rows, but its length was {self.n_samples}."
            )
        self.X = with_row_chunks(self.X, lengths)
        self.vectors = [None if v is None else with_row_chunks(v, lengths) for v in self.vectors]


def place(
    X: np.ndarray | da.Array,
    *vectors: np.ndarray | da.Array | None,
    n_samples: int | None = None,
    reuse: bool = True,
) -> Placement:
    """Place validated X and its row-aligned vectors for the passes of a fit (see the module).

    ``n_samples`` is the row count of dask X whose chunk lengths are unknown (the ``len`` of
    the dataframe it came from, which parquet answers from its metadata): it sizes the data for
    the persist decision, and the block lengths come later (from the persisted blocks, or the
    first pass). Without it, unknown lengths are found with one pass over X first, unless the
    placement is for a single pass (``reuse=False``), which learns them as it reads. NumPy
    vectors beside dask X are cut into X's row blocks.

    ``reuse=False`` places data for a single pass (a score): never persisted, and in-memory
    data stay in this process (run on local threads, not shipped to a cluster).
    """
    client = active_client()
    if not isinstance(X, da.Array):
        # kernels read C-ordered blocks (a copy if F-ordered); scipy.sparse rows as CSR
        X = X.tocsr() if hasattr(X, "tocsr") else np.ascontiguousarray(X)
        n = X.shape[0]
        if hasattr(X, "tocsr"):  # stored values (and their indices) per row
            row_bytes = max(1, (X.data.nbytes + X.indices.nbytes) // max(n, 1))
        else:
            row_bytes = X.itemsize * int(np.prod(X.shape[1:], dtype=np.int64))
        Xd = as_dask_array(X, chunks=in_memory_row_chunks(n, row_bytes))
        arrays = [Xd] + [None if v is None else as_dask_array(v, Xd.chunks[0]) for v in vectors]
        if client is None or not reuse:
            return Placement(arrays[0], arrays[1:], "in-memory", True, n)
        present = [a for a in arrays if a is not None]
        arrays = _fill(_persist(present, client, spread=True), arrays)
        return Placement(arrays[0], arrays[1:], "persisted", True, n, _thread_groups(arrays[0]))
    X = rows_only(X)
    in_memory_vectors = any(v is not None and not isinstance(v, da.Array) for v in vectors)
    if math.isnan(X.shape[0]) and (in_memory_vectors or (n_samples is None and reuse)):
        X, vectors = _learn_lengths(X, vectors)
    known = not math.isnan(X.shape[0])
    n = int(X.shape[0]) if known else None if n_samples is None else int(n_samples)
    vecs = [
        v if v is None or isinstance(v, da.Array) else as_dask_array(v, X.chunks[0])
        for v in vectors
    ]
    if not reuse:
        return Placement(X, vecs, "streamed", False, n)
    (Xp, *vps), persisted = persist_if_fits(X, *vecs, n_rows=n)
    placement = Placement(Xp, list(vps), "persisted" if persisted else "streamed", False, n)
    if persisted and placement.lengths is None:
        placement.set_lengths(_learn_lengths(Xp, vps)[0].chunks[0])
    if persisted:
        placement.groups = _thread_groups(Xp)
    return placement


def _thread_groups(X: da.Array) -> list[list[int]] | None:
    """The row blocks of persisted X grouped by the worker thread that should read them: each
    worker's blocks dealt among its threads. None without a distributed client."""
    client = active_client()
    if client is None:
        return None
    futures = block_futures(X)
    if futures is None:
        return None
    with client.as_current():  # a block still being made has no holder yet
        wait(futures)
    who_has = client.who_has(futures)
    keys = block_keys(X)
    threads = client.nthreads()
    by_worker: dict[str, list[int]] = {}
    groups: list[list[int]] = []
    for i, key in enumerate(keys):
        holders = who_has.get(key) or ()
        if holders:
            by_worker.setdefault(sorted(holders)[0], []).append(i)
        else:
            groups.append([i])
    for worker, blocks in sorted(by_worker.items()):
        n = max(1, min(threads.get(worker, 1), len(blocks)))
        groups.extend(blocks[t::n] for t in range(n))
    return groups


def _fill(persisted: list[Any], originals: list[Any]) -> list[Any]:
    """Persisted arrays in the positions of the non-None originals."""
    it = iter(persisted)
    return [None if a is None else next(it) for a in originals]
