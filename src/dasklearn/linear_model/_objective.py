"""The objective over the row blocks of the data: every method here is one pass.

:class:`Objective` holds the data (dask arrays with the same row blocks), a family and a penalty,
and evaluates the penalised mean loss, its gradient and Hessian. Each call maps a kernel from
:mod:`._kernels` over the row blocks and tree-sums the small results: one ``compute`` per pass,
counted in :attr:`Objective.passes`. Solvers in :mod:`._solvers` only talk to this class.

Where the data lives (:func:`place_data`):

* NumPy/pandas input becomes a dask array of balanced row blocks (a multiple of the number of
  worker threads, about 64 MiB at most), views of the array. On a distributed client it is
  persisted: it reaches the workers once, not once per pass.
* Dask input is persisted when it fits in half of the cluster's memory (the sum of the workers'
  memory limits; the available RAM on the local threaded scheduler): the shared
  ``persist_if_fits`` policy. Otherwise it is streamed: each pass recomputes or re-reads its
  blocks from the source, and memory use stays at a few blocks per worker whatever the size of
  the data.

Every kernel runs with BLAS held to one thread (``with_single_blas_thread``): dask already runs
one kernel per thread, and nested BLAS threads oversubscribe the cores.
"""

from __future__ import annotations

import functools
import math
import os
from typing import Any

import dask
import dask.array as da
import numpy as np

from .._blockwise import persist_if_fits, reduce_blocks, with_single_blas_thread
from .._client import active_client
from .._validation import as_dask_array
from ._families import Family
from ._kernels import (
    admm_local_solve,
    label_counts,
    loss_grad,
    loss_grad_hess,
    merge_label_counts,
    merge_moments,
    target_moments,
)
from ._penalties import Penalty

__all__ = ["Objective", "place_data"]

_BLOCK_BYTES = 64 * 2**20
_SMALL_BYTES = 4 * 2**20


# --------------------------------------------------------------------------------------------
# placement: persist or stream
# --------------------------------------------------------------------------------------------


def _threads(client: Any) -> int:
    """Threads that run tasks: the workers' on a distributed client, else the local pool's."""
    if client is None:
        return int(dask.config.get("num_workers", None) or os.cpu_count() or 1)
    return int(sum(client.nthreads().values()) or 1)


def _balanced_rows(n_rows: int, row_bytes: int, threads: int) -> int:
    """Rows per block: a multiple of ``threads`` blocks (at least two per thread), each at most
    about 64 MiB, so that every thread gets the same work in every pass."""
    total = n_rows * row_bytes
    if total <= _SMALL_BYTES:
        return max(1, n_rows)
    n_blocks = max(2 * threads, math.ceil(total / _BLOCK_BYTES))
    n_blocks = threads * math.ceil(n_blocks / threads)
    return max(1, math.ceil(n_rows / n_blocks))


def place_data(
    X: np.ndarray | da.Array, *vectors: np.ndarray | da.Array | None
) -> tuple[da.Array, list[da.Array | None], str]:
    """Dask arrays for X and its row-aligned vectors, persisted or streamed; and the policy used.

    NumPy input is cut into balanced row blocks (views, no copy); on dask's local scheduler it
    stays where it is (``"in-memory"``). Otherwise the shared policy applies
    (:func:`dasklearn._blockwise.persist_if_fits`): ``"persisted"`` when everything fits in half
    the memory computations may use, so that it is read from its source (or sent to the
    workers) once; ``"streamed"`` otherwise.
    """
    client = active_client()
    if not isinstance(X, da.Array):
        rows = _balanced_rows(len(X), X.itemsize * max(1, X.shape[1]), _threads(client))
        X = as_dask_array(X, chunks=rows)
        if client is None:
            vecs = [None if v is None else as_dask_array(v, chunks=X.chunks[0]) for v in vectors]
            return X, vecs, "in-memory"
    vecs = [
        None if v is None else v if isinstance(v, da.Array) else as_dask_array(v, X.chunks[0])
        for v in vectors
    ]
    (X, *vecs), persisted = persist_if_fits(X, *vecs)
    return X, list(vecs), "persisted" if persisted else "streamed"


# --------------------------------------------------------------------------------------------
# passes over the target only
# --------------------------------------------------------------------------------------------


def _unweighted_y(kernel: Any, y: np.ndarray, *args: Any) -> Any:
    """Call ``kernel(y, sw, ...)`` with ``sw=None``."""
    return kernel(y, None, *args)


def _unweighted(kernel: Any, X: np.ndarray, y: np.ndarray, *args: Any) -> Any:
    """Call ``kernel(X, y, sw, ...)`` with ``sw=None``."""
    return kernel(X, y, None, *args)


def label_pass(y: da.Array, sw: da.Array | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted labels of y, their counts and weight sums: one pass over y (and sample weights)."""
    arrays = (y,) if sw is None else (y, sw)
    kernel = label_counts if sw is not None else functools.partial(_unweighted_y, label_counts)
    (out,) = dask.compute(reduce_blocks(kernel, *arrays, combine=merge_label_counts))
    return out


def moments_pass(y: da.Array, sw: da.Array | None) -> dict[str, float]:
    """Rows, weight sum, weighted mean, minimum and non-finite count of a numeric target."""
    arrays = (y,) if sw is None else (y, sw)
    kernel = target_moments if sw is not None else functools.partial(_unweighted_y, target_moments)
    (out,) = dask.compute(reduce_blocks(kernel, *arrays, combine=merge_moments))
    n, s, sy, ymin, bad = (float(v) for v in out)
    return {
        "n": n,
        "weight_sum": s,
        "mean": sy / s if s > 0 else 0.0,
        "min": ymin,
        "n_bad": bad,
    }


# --------------------------------------------------------------------------------------------
# the objective
# --------------------------------------------------------------------------------------------


class Objective:
    """Penalised mean loss over dask data; each evaluation is one pass over the row blocks.

    Parameters
    ----------
    X : dask.array.Array
        Features, one block along the columns.
    y : dask.array.Array
        Encoded target, same row blocks.
    sw : dask.array.Array or None
        Per-row weights (sample weights times class weights), same row blocks.
    family : Family
    penalty : Penalty
    fit_intercept : bool
    weight_sum : float
        Σ sw (the number of rows without weights); the loss is divided by it.
    verbose : int
        Print one line per pass when > 1.
    """

    def __init__(
        self,
        X: da.Array,
        y: da.Array,
        sw: da.Array | None,
        family: Family,
        penalty: Penalty,
        fit_intercept: bool,
        weight_sum: float,
        verbose: int = 0,
    ) -> None:
        self.X, self.y, self.sw = X, y, sw
        self.family = family
        self.penalty = penalty
        self.fit_intercept = bool(fit_intercept)
        self.scale = 1.0 / weight_sum
        self.n_features = X.shape[1]
        self.n_outputs = family.n_outputs
        self.dim = self.n_outputs * (self.n_features + self.fit_intercept)
        self.n_blocks = X.numblocks[0]
        self.n_rows = X.shape[0]
        self.verbose = verbose
        self.passes = 0

    # ---- plumbing ----------------------------------------------------------------------------
    def _run(self, kernel: Any, args: tuple, what: str, **kwargs: Any) -> Any:
        arrays = (self.X, self.y) if self.sw is None else (self.X, self.y, self.sw)
        if self.sw is None:
            kernel = functools.partial(_unweighted, kernel)
        kernel = with_single_blas_thread(kernel)
        (out,) = dask.compute(reduce_blocks(kernel, *arrays, args=args, **kwargs))
        self.passes += 1
        if self.verbose > 1:
            print(f"    pass {self.passes}: {what}", flush=True)
        if self.passes == 1:
            self._check_first(out)
        return out

    def _check_first(self, out: Any) -> None:
        if isinstance(out, list):  # ADMM: one (state, loss, gradient) per block
            out = (sum(o[1] for o in out), np.sum([o[2] for o in out], axis=0))
        values = out if isinstance(out, tuple | list) else (out,)
        finite = all(np.isfinite(np.asarray(v, dtype=np.float64)).all() for v in values[:3])
        if not finite:
            raise ValueError(
                "Input X contains NaN or infinity (found in the first pass over the data); "
                "drop or impute those values first."
            )

    # ---- smooth part: mean loss + l2 ----------------------------------------------------------
    def value_grad_hess(
        self, w: np.ndarray, extra: list[np.ndarray] | None = None, stride: int = 1
    ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """Smooth objective, gradient and Hessian at ``w``; smooth objective at each ``extra``.

        ``stride > 1`` estimates the Hessian from every ``stride``-th row (see
        :func:`._kernels.loss_grad_hess`); the objective and gradient are always exact.
        """
        extra_arr = np.asarray(extra) if extra else np.zeros((0, self.dim))
        sampled = f", Hessian from 1/{stride} of the rows" if stride > 1 else ""
        loss, g, H, extra_loss = self._run(
            loss_grad_hess,
            (w, extra_arr, self.family, self.fit_intercept, stride),
            f"loss, gradient and Hessian (+{len(extra_arr)} line-search points{sampled})",
        )
        pen = self.penalty
        f = self.scale * loss + pen.smooth_value(w)
        g = self.scale * g + pen.smooth_gradient(w)
        H = self.scale * H
        H[np.diag_indices_from(H)] += pen.smooth_hessian_diagonal()
        fx = np.array(
            [
                self.scale * lx + pen.smooth_value(x)
                for lx, x in zip(extra_loss, extra_arr, strict=True)
            ]
        )
        return f, g, H, fx

    def value_grad(self, points: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Smooth objective (m,) and gradients (m, d) at m points, in one pass."""
        P = np.asarray(points)
        losses, G = self._run(
            loss_grad, (P, self.family, self.fit_intercept), f"loss and gradient at {len(P)} pts"
        )
        pen = self.penalty
        f = self.scale * losses + np.array([pen.smooth_value(x) for x in P])
        G = self.scale * G + np.array([pen.smooth_gradient(x) for x in P])
        return f, G

    def values(self, points: list[np.ndarray]) -> np.ndarray:
        """Smooth objective at m points, in one pass."""
        P = np.asarray(points)
        losses, _ = self._run(
            loss_grad,
            (P, self.family, self.fit_intercept, False),
            f"loss at {len(P)} points",
        )
        return self.scale * losses + np.array([self.penalty.smooth_value(x) for x in P])

    # ---- ADMM ---------------------------------------------------------------------------------
    def admm_local(
        self,
        states: list,
        vs: np.ndarray,
        z: np.ndarray,
        rho: float,
        max_local: int,
        stride: int = 1,
    ) -> tuple[list, float, np.ndarray]:
        """One pass: each block's local Newton step(s) on its loss + ρ/2 ‖x - v_b‖², and the
        smooth objective and gradient at the consensus ``z`` (summed over blocks).

        Returns the blocks' new states, f(z) and ∇f(z).
        """
        out = self._run(
            admm_local_solve,
            (z, rho, self.scale, self.family, self.fit_intercept, max_local, stride),
            "ADMM local solves + gradient at z",
            combine=_concat,
            block_args=[(states[b], vs[b]) for b in range(self.n_blocks)],
        )
        new_states = [o[0] for o in out]
        loss = sum(o[1] for o in out)
        grad = np.sum([o[2] for o in out], axis=0)
        pen = self.penalty
        f = self.scale * loss + pen.smooth_value(z)
        g = self.scale * grad + pen.smooth_gradient(z)
        return new_states, f, g


def _concat(a: list, b: list) -> list:
    return a + b
