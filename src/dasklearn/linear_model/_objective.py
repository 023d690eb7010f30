"""The objective over the row blocks of the data: every method here is one pass.

:class:`Objective` holds the placed data (:class:`dasklearn._placement.Placement`: X, the encoded
target and the weights, persisted or streamed by the shared policy), a family and a penalty,
and evaluates the penalised mean loss, its gradient and Hessian. Each call runs a kernel from
:mod:`._kernels` over the row blocks through the shared runner (:class:`dasklearn._passes.Passes`:
one compute per pass, BLAS held to one thread, the first pass over X checked for NaN or
infinity), counted in :attr:`Objective.passes`. Solvers in :mod:`._solvers` only talk to this
class. The passes over the target alone (labels, moments) go through the same runner and are
not counted as passes over X.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .._labels import label_counts, merge_label_counts
from .._passes import Passes, all_finite
from ._families import Family
from ._kernels import (
    admm_local_solve,
    loss_grad,
    loss_grad_hess,
    merge_moments,
    target_moments,
)
from ._penalties import Penalty

__all__ = ["Objective", "label_pass", "make_passes", "moments_pass"]


def _first_pass_finite(out: Any) -> bool:
    """The NaN check of the first pass over X: loss, gradient (and Hessian) must be finite."""
    if isinstance(out, list):  # ADMM: one (state, loss, gradient) per block
        out = (sum(o[1] for o in out), np.sum([o[2] for o in out], axis=0))
    values = out if isinstance(out, tuple | list) else (out,)
    return all(all_finite(np.asarray(v, dtype=np.float64)) for v in values[:3])


def make_passes(data: Any, verbose: int = 0) -> Passes:
    """The runner of a linear-model fit over placed data (X, then y and the weights)."""
    return Passes(data, verbose=verbose, check_first=_first_pass_finite)


# --------------------------------------------------------------------------------------------
# passes over the target only
# --------------------------------------------------------------------------------------------


def _unweighted_y(kernel: Any, y: np.ndarray, *args: Any) -> Any:
    """Call ``kernel(y, sw, ...)`` with ``sw=None``."""
    return kernel(y, None, *args)


def _unweighted(kernel: Any, X: np.ndarray, y: np.ndarray, *args: Any) -> Any:
    """Call ``kernel(X, y, sw, ...)`` with ``sw=None``."""
    return kernel(X, y, None, *args)


def _target_pass(runner: Passes, kernel: Any, combine: Any, y: Any, sw: Any, what: str) -> Any:
    arrays = (y,) if sw is None else (y, sw)
    if sw is None:
        kernel = functools.partial(_unweighted_y, kernel)
    return runner.run(runner.reduction(kernel, *arrays, combine=combine), what=what, counted=False)


def label_pass(runner: Passes, y: Any, sw: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted labels of y, their counts and weight sums: one pass over y (and sample weights)."""
    return _target_pass(runner, label_counts, merge_label_counts, y, sw, "labels of y")


def moments_pass(runner: Passes, y: Any, sw: Any) -> dict[str, float]:
    """Rows, weight sum, weighted mean, minimum and non-finite count of a numeric target."""
    out = _target_pass(runner, target_moments, merge_moments, y, sw, "moments of y")
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
    runner : Passes
        The fit's runner; its placed data holds X (one block along the columns).
    y : dask.array.Array
        Encoded target, in X's row blocks.
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
        runner: Passes,
        y: Any,
        sw: Any,
        family: Family,
        penalty: Penalty,
        fit_intercept: bool,
        weight_sum: float,
        verbose: int = 0,
    ) -> None:
        self.runner = runner
        X = runner.data.X
        self.X, self.y, self.sw = X, y, sw
        self.family = family
        self.penalty = penalty
        self.fit_intercept = bool(fit_intercept)
        self.scale = 1.0 / weight_sum
        self.n_features = X.shape[1]
        self.n_outputs = family.n_outputs
        self.dim = self.n_outputs * (self.n_features + self.fit_intercept)
        self.n_blocks = X.numblocks[0]
        self.n_rows = runner.data.n_samples
        self.verbose = verbose

    @property
    def passes(self) -> int:
        """Passes over X so far."""
        return self.runner.n_passes

    # ---- plumbing ----------------------------------------------------------------------------
    def _run(self, kernel: Any, args: tuple, what: str, **kwargs: Any) -> Any:
        """One pass of ``kernel``; ``partial_bytes`` (one block's result) decides where the
        partials are summed (:meth:`dasklearn._passes.Passes.reduction`)."""
        arrays = (self.X, self.y) if self.sw is None else (self.X, self.y, self.sw)
        if self.sw is None:
            kernel = functools.partial(_unweighted, kernel)
        runner = self.runner
        out = runner.run(runner.reduction(kernel, *arrays, args=args, **kwargs), what=what)
        if self.verbose > 1:
            print(f"    pass {self.passes}: {what}", flush=True)
        return out

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
            partial_bytes=8 * (self.dim + 2) ** 2 + 8 * len(extra_arr),
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
            loss_grad,
            (P, self.family, self.fit_intercept),
            f"loss and gradient at {len(P)} pts",
            partial_bytes=8 * len(P) * (self.dim + 1),
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
            partial_bytes=8 * len(P) * (self.dim + 1),
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
            combine=None,
            block_args=[(states[b], vs[b]) for b in range(self.n_blocks)],
        )
        new_states = [o[0] for o in out]
        loss = sum(o[1] for o in out)
        grad = np.sum([o[2] for o in out], axis=0)
        pen = self.penalty
        f = self.scale * loss + pen.smooth_value(z)
        g = self.scale * grad + pen.smooth_gradient(z)
        return new_states, f, g
