"""Penalties on the coefficients (never on the intercept), in the scale of the mean loss.

The estimators minimise scikit-learn's ``LogisticRegression`` objective::

    C · Σ_i sw_i · loss_i(w)  +  (1 - ρ)/2 · ‖w‖²  +  ρ · ‖w‖₁

with ``ρ = l1_ratio`` (0 for ``"l2"``, 1 for ``"l1"``) and no penalty for ``penalty=None``.
Solvers work on that objective divided by ``C · Σ_i sw_i`` (the mean loss plus a penalty), which
keeps ``tol`` meaningful whatever the number of rows::

    f(w) = (1/S) Σ_i sw_i loss_i(w)  +  l2/2 · ‖w_m‖²  +  l1 · ‖w_m‖₁,
    l2 = (1 - ρ) / (C·S),  l1 = ρ / (C·S),  S = Σ_i sw_i,

where ``w_m`` are the penalised entries (``mask``). Pure NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PENALTIES", "Penalty", "make_penalty", "soft_threshold"]

#: Accepted spellings of ``penalty`` and their l1 fraction (None: taken from ``l1_ratio``).
PENALTIES: dict[object, float | None] = {
    "l2": 0.0,
    "l1": 1.0,
    "elastic_net": None,
    "elasticnet": None,
    None: 0.0,
    "none": 0.0,
}


def soft_threshold(x: np.ndarray, threshold: np.ndarray | float) -> np.ndarray:
    """The proximal operator of ``threshold · |x|``."""
    return np.sign(x) * np.maximum(np.abs(x) - threshold, 0.0)


@dataclass(frozen=True)
class Penalty:
    """``l2/2 · ‖w[mask]‖² + l1 · ‖w[mask]‖₁`` (already divided by ``C · S``).

    Parameters
    ----------
    l2, l1 : float
        Strengths of the ridge and lasso parts.
    mask : ndarray of bool
        Which entries of the flattened coefficient vector are penalised (not the intercepts).
    """

    l2: float
    l1: float
    mask: np.ndarray

    @property
    def smooth(self) -> bool:
        """True when there is no l1 part (plain gradient methods apply)."""
        return self.l1 == 0.0

    @property
    def strongly_convex(self) -> bool:
        return self.l2 > 0.0

    def value(self, w: np.ndarray) -> float:
        """The whole penalty at ``w``."""
        wm = w[self.mask]
        return 0.5 * self.l2 * float(wm @ wm) + self.l1 * float(np.abs(wm).sum())

    def smooth_value(self, w: np.ndarray) -> float:
        wm = w[self.mask]
        return 0.5 * self.l2 * float(wm @ wm)

    def smooth_gradient(self, w: np.ndarray) -> np.ndarray:
        return np.where(self.mask, self.l2 * w, 0.0)

    def smooth_hessian_diagonal(self) -> np.ndarray:
        return np.where(self.mask, self.l2, 0.0)

    def l1_value(self, w: np.ndarray) -> float:
        return self.l1 * float(np.abs(w[self.mask]).sum())

    def prox_l1(self, v: np.ndarray, step: float) -> np.ndarray:
        """Proximal step of the l1 part with step size ``step``."""
        if self.l1 == 0.0:
            return v
        return np.where(self.mask, soft_threshold(v, step * self.l1), v)

    def optimality(self, w: np.ndarray, grad_smooth: np.ndarray) -> float:
        """Largest entry of the minimum-norm subgradient of the objective (0 at the optimum)."""
        if self.l1 == 0.0:
            return float(np.max(np.abs(grad_smooth), initial=0.0))
        g = grad_smooth.copy()
        m = self.mask
        nz = m & (w != 0)
        z = m & (w == 0)
        g[nz] += self.l1 * np.sign(w[nz])
        g[z] = np.maximum(np.abs(g[z]) - self.l1, 0.0)
        return float(np.max(np.abs(g), initial=0.0))


def make_penalty(
    penalty: object, l1_ratio: float, C: float, weight_sum: float, mask: np.ndarray
) -> Penalty:
    """The penalty for an estimator's ``penalty``, ``l1_ratio`` and ``C``, scaled by ``C · S``."""
    key = penalty.lower() if isinstance(penalty, str) else penalty
    if key not in PENALTIES:
        raise ValueError(
            f"penalty={penalty!r} is not supported; use 'l2', 'l1', 'elastic_net' or None."
        )
    rho = PENALTIES[key]
    if rho is None:
        rho = float(l1_ratio)
    if key in (None, "none") or np.isinf(C):
        return Penalty(0.0, 0.0, mask)
    scale = 1.0 / (C * weight_sum)
    return Penalty((1.0 - rho) * scale, rho * scale, mask)
