"""The passes an algorithm makes over the data of a fit.

Every iterative estimator (KMeans, SpectralClustering, the linear models, and what comes after
them) places its validated input with :func:`dasklearn._placement.place` and reads it through a
:class:`Passes` runner:

* **one runner**: :meth:`Passes.run` is the one compute of a pass. It counts passes
  (``n_passes_``), runs the kernels with BLAS held to one thread, checks the first pass's
  result for NaN or infinity (a NaN anywhere in X poisons every sum), and prints each pass when
  verbose.
* **the driver too**: an iterative fit enters its runner (``with Passes(data) as runner:``)
  so that BLAS stays at one thread in this process between its passes as well
  (:meth:`Passes.__enter__`).
* **no task per pass on a cluster**: over data persisted on a distributed cluster, the passes
  are run by actors that hold each worker's blocks (:mod:`dasklearn._resident`), and as tasks
  (one per worker thread) where they cannot be.
"""

from __future__ import annotations

import contextlib
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dask
import dask.array as da
import numpy as np
from dask.utils import format_bytes
from distributed import KilledWorker

from ._blockwise import (
    Reduction,
    compute_passes,
    reduction,
    share,
    single_blas_thread,
    sum_parts,
)
from ._client import active_client
from ._placement import Placement
from ._resident import ResidentBlocks, compute_on_workers, recipe

__all__ = [
    "GATHER_BYTES",
    "TREE_FAN_IN",
    "Passes",
]

#: Per-block partials of a pass up to this many bytes in all travel to the client and are
#: merged there in block order (on a cluster, one task per worker thread per pass); more (the
#: d x d matrices of many blocks) are merged in a tree of fan-in :data:`TREE_FAN_IN` on the
#: workers.
GATHER_BYTES = 64 * 2**20
TREE_FAN_IN = 8


# --------------------------------------------------------------------------------------------
# the runner
# --------------------------------------------------------------------------------------------


class _Measured:
    """A chunk that also reports its block's rows (the first pass over a streamed source),
    and checks that the blocks of X, y and the weights hold the same rows."""

    def __init__(self, chunk: Callable[..., Any], n_arrays: int) -> None:
        self.chunk, self.n_arrays = chunk, n_arrays
        self.__name__ = getattr(chunk, "__name__", "chunk")

    def __call__(self, *args: Any) -> tuple[tuple[int, ...], Any]:
        blocks = [b for b in args[: self.n_arrays] if b is not None]
        lengths = {len(b) for b in blocks}
        if len(lengths) > 1:
            raise ValueError(
                "The row blocks of X and y (or sample_weight) do not line up: one block pair "
                f"has {sorted(lengths)} rows. Partition them alike (X = df[features], "
                "y = df[target] from one dataframe)."
            )
        return (len(blocks[0]),), self.chunk(*args)


class _MeasuredCombine:
    def __init__(self, combine: Callable[[Any, Any], Any]) -> None:
        self.combine = combine

    def __call__(self, a: tuple, b: tuple) -> tuple:
        return a[0] + b[0], self.combine(a[1], b[1])


def _finite_block(block: Any) -> bool:
    return block.dtype.kind not in "fc" or bool(np.isfinite(block).all())


def worker_died(err: KilledWorker, step: str = "a pass", X: da.Array | None = None) -> str:
    """The message for a task that killed every worker that ran it: the step, the task, the
    workers' memory limit and (given X) the size of the row blocks a task reads: running out of
    memory is the usual cause."""
    client = active_client()
    limits = []
    if client is not None:
        workers = client.scheduler_info(n_workers=-1).get("workers", {})
        limits = [w.get("memory_limit") or 0 for w in workers.values()]
    limit = f"{format_bytes(min(limits))} per worker" if limits and all(limits) else "not set"
    needed = ""
    if X is not None:
        rows = max((c for c in X.chunks[0] if not math.isnan(c)), default=0)
        block = rows * int(np.prod(X.shape[1:])) * X.dtype.itemsize
        n = X.numblocks[0]
        needed = (
            f"each task reads a row block of X of up to {format_bytes(block)} "
            f"({n} block{'s' * (n != 1)}) and needs a few times that; "
        )
    return (
        f"{step} over the data failed: the worker running task {err.task!r} died (most likely "
        f"out of memory; {needed}the workers' memory limit is {limit}). Cut X into smaller row "
        "blocks (X.rechunk(...)) or give the workers more memory."
    )


def compute(*graphs: Any) -> tuple:
    """The one compute of every pass (tests count passes here): by the actors holding
    a fit's persisted blocks on a cluster where they can (:mod:`dasklearn._resident`), else as
    tasks. A task that killed every worker that ran it (distributed's ``KilledWorker``) is a
    MemoryError that says so."""
    on_workers = compute_on_workers(graphs)
    if on_workers is not None:
        return on_workers
    try:
        return compute_passes(graphs)
    except KilledWorker as err:
        raise MemoryError(worker_died(err)) from err


def all_finite(result: Any) -> bool:
    """True when every float in a (nested) pass result is finite."""
    if isinstance(result, dict):
        return all(all_finite(v) for v in result.values())
    if isinstance(result, tuple | list):
        return all(all_finite(v) for v in result)
    values = np.asarray(result)
    if values.dtype.kind not in "fc":
        return True
    return bool(np.isfinite(values).all())


@dataclass
class Pass:
    """A reduction built by :meth:`Passes.reduction`, waiting for :meth:`Passes.run`."""

    reduction: Reduction
    aggregate: Callable[[Any], Any] | None
    measured: bool
    listwise: bool

    def finish(self, result: Any) -> tuple[tuple[int, ...] | None, Any]:
        """(block lengths or None, the pass's result)."""
        if not self.measured:
            return None, result
        if self.listwise:
            lengths = tuple(n for part in result for n in part[0])
            result = [part[1] for part in result]
        else:
            lengths, result = result
        return lengths, result if self.aggregate is None else self.aggregate(result)


@dataclass
class Passes:
    """Runs the passes of one fit over a :class:`Placement`.

    Parameters
    ----------
    data : Placement
    verbose : int
        Print one line per pass when > 0.
    check_first : callable or None
        ``check_first(result)`` on the first pass's result: False means X held NaN or
        infinity (default :func:`all_finite`). None: no check.
    """

    data: Placement
    verbose: int = 0
    check_first: Callable[[Any], bool] | None = all_finite
    n_passes: int = field(default=0, init=False)
    _resident: ResidentBlocks | bool | None = field(default=None, init=False, repr=False)
    _held: contextlib.ExitStack = field(
        default_factory=contextlib.ExitStack, init=False, repr=False
    )

    def __enter__(self) -> Passes:
        """Hold BLAS to one thread in this process until the fit leaves the runner.

        The passes run with BLAS at one thread anyway (:meth:`run`); this covers an iterative
        fit's own work between them (scipy's L-BFGS-B, a Newton step's solve, k-means++ on a
        sample). BLAS called there at its default thread count wakes OpenBLAS's threads, which
        stay busy for a while after it and take a core from the next pass's tasks (measured:
        ``benchmarks/results/pass_floor.md``, stop 37). That work is small next to a pass (a
        matrix of the features squared at most), so one thread costs it little. A fit whose
        only work after its last pass is a large decomposition (PCA's eigh) does not enter.
        """
        self._held.enter_context(single_blas_thread())
        return self

    def __exit__(self, *exc: object) -> None:
        self._held.close()

    def _resident_blocks(self) -> ResidentBlocks | None:
        """The actors holding the placement's blocks, started by the first pass that can use
        them: data persisted on a distributed cluster (one task per worker thread)."""
        if self._resident is None:
            client = active_client()
            self._resident = False
            if client is not None and self.data.policy == "persisted" and self.data.groups:
                try:
                    arrays = [self.data.X, *self.data.vectors]
                    self._resident = ResidentBlocks.start(client, arrays) or False
                except Exception:  # a worker lost meanwhile: the passes run as tasks
                    self._resident = False
        return self._resident or None

    def reduction(
        self,
        chunk: Callable[..., Any],
        *arrays: da.Array | None,
        args: Sequence[Any] = (),
        block_args: Sequence[Sequence[Any]] | None = None,
        combine: Callable[[Any, Any], Any] | None = sum_parts,
        aggregate: Callable[[Any], Any] | None = None,
        split_every: int | None = None,
        index: bool = False,
        partial_bytes: int | None = None,
    ) -> Pass:
        """A pass over placed arrays (``data.X``, ``data.vectors``), as
        :func:`dasklearn._blockwise.reduction`; large ``args`` are shared once.

        ``partial_bytes``: the size of one block's partial; when all of them together exceed
        :data:`GATHER_BYTES`, they are merged in a tree on the workers (unless ``split_every``
        says how), else on the client.

        ``index=True`` passes each block's index to ``chunk`` right after the blocks (per-block
        seeds make a random draw the same on any scheduler).
        """
        shared = [share(a) for a in args]
        if split_every is None and partial_bytes is not None:
            if partial_bytes * self.data.n_blocks > GATHER_BYTES:
                split_every = TREE_FAN_IN
        if index:
            block_args = [
                (i, *(block_args[i] if block_args is not None else ()))
                for i in range(self.data.n_blocks)
            ]
        measured = self.data.lengths is None  # a streamed source, read for the first time
        if measured:
            chunk = _Measured(chunk, len(arrays))
            combine = None if combine is None else _MeasuredCombine(combine)
        red = reduction(
            chunk,
            *arrays,
            args=shared,
            block_args=block_args,
            combine=combine,
            aggregate=None if measured else aggregate,
            split_every=split_every,
            groups=self.data.groups,
        )
        resident = None if measured or split_every is not None else self._resident_blocks()
        if resident is not None:
            per_block = block_args if block_args is not None else [()] * self.data.n_blocks
            plain = recipe(chunk, arrays, args, per_block, combine, aggregate)
            red.resident = None if plain is None else (resident, plain)
        return Pass(red, aggregate, measured, listwise=combine is None)

    def _first_pass_problem(self) -> str:
        """What made the first pass's result non-finite: NaN/inf in X (the usual), or finite
        values so large that the arithmetic overflowed. Costs one more read, on this error
        path only."""
        finite = reduction(_finite_block, self.data.X, combine=operator.and_).compute()
        if finite:
            return (
                "Input X holds values too large for float64 arithmetic (no NaN or infinity, "
                "but the first pass over the data overflowed, e.g. |x| near 1e308); rescale "
                "the features first."
            )
        return (
            "Input X contains NaN or infinity (found in the first pass over the data); "
            "drop or impute those values first."
        )

    def run(self, *passes: Pass, what: str = "", counted: bool = True) -> Any:
        """Compute one pass (several reductions over the same blocks at once): one result each,
        or the single result.

        ``counted=False``: a pass over per-row vectors only (the target), not over X: not
        counted in :attr:`n_passes`, and not the pass whose result is checked for NaN.

        A task that killed every worker that ran it (distributed's ``KilledWorker``) is a
        MemoryError naming the pass, the size of X's row blocks and the workers' memory limit
        (:func:`worker_died`).
        """
        local = {"scheduler": "threads"} if self.data.policy == "in-memory" else {}
        with single_blas_thread(), dask.config.set(local):
            try:
                computed = compute(*(p.reduction for p in passes))
            except MemoryError as err:
                if not isinstance(err.__cause__, KilledWorker):
                    raise
                step = f"pass {self.n_passes + 1}" + (f" ({what})" if what else "")
                raise MemoryError(worker_died(err.__cause__, step, self.data.X)) from err.__cause__
        results = []
        for p, value in zip(passes, computed, strict=True):
            lengths, value = p.finish(value)
            if lengths is not None and self.data.lengths is None:
                self.data.set_lengths(lengths)
            results.append(value)
        if not counted:
            return results[0] if len(results) == 1 else tuple(results)
        self.n_passes += 1
        if self.verbose:
            print(f"    pass {self.n_passes}: {what}", flush=True)
        if self.n_passes == 1 and self.check_first is not None:
            if not all(self.check_first(r) for r in results):
                raise ValueError(self._first_pass_problem())
        return results[0] if len(results) == 1 else tuple(results)
