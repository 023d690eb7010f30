"""Block kernels for the linear models: one row block, no dask.

Coefficients travel as one flat vector ``w`` of length ``d = K · (p + 1)`` (``K · p`` without an
intercept), the row-major flattening of a ``(K, p + 1)`` matrix whose last column holds the
intercepts. Every kernel returns *sums* over its block (loss, gradient, Hessian), so that the
blocks' results add up to the whole data's.

Loss, gradients and Hessian come from one read of the block by :func:`sweep`: the compiled
sweeps of :mod:`._sweeps` compute the losses and gradients and set the Hessian's rows (its row
sample, scaled by their curvature) aside; the Hessian is then one BLAS product over those rows,
or, when every row is used, over cache-sized sub-blocks while each is still in cache.
"""

from __future__ import annotations

import numpy as np

from . import _sweeps
from ._families import Family

__all__ = [
    "admm_local_solve",
    "decision_block",
    "loss_grad",
    "loss_grad_hess",
    "regression_score_parts",
    "target_moments",
]


def _as_float(X: np.ndarray) -> np.ndarray:
    return X if X.dtype == np.float64 else np.asarray(X, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# target statistics (one pass over y only)
# --------------------------------------------------------------------------------------------


def target_moments(y: np.ndarray, sw: np.ndarray | None = None) -> np.ndarray:
    """[rows, Σ sw, Σ sw·y, min y, number of non-finite values] of a numeric target block."""
    y = _as_float(y)
    bad = float(np.count_nonzero(~np.isfinite(y)))
    if sw is None:
        s, sy = float(len(y)), float(y.sum())
    else:
        bad += float(np.count_nonzero(~np.isfinite(sw)) + np.count_nonzero(sw < 0))
        s, sy = float(sw.sum()), float(sw @ y)
    ymin = float(y.min()) if len(y) else np.inf
    return np.array([len(y), s, sy, ymin, bad])


def merge_moments(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = a + b
    out[3] = min(a[3], b[3])
    return out


def class_sample_weight(
    codes: np.ndarray, class_weight: np.ndarray, sw: np.ndarray | None = None
) -> np.ndarray:
    """Per-row weight: the weight of the row's class times its sample weight."""
    out = class_weight[codes]
    return out if sw is None else out * sw


# --------------------------------------------------------------------------------------------
# loss, gradient and Hessian of a block
# --------------------------------------------------------------------------------------------


def _symmetric(upper: np.ndarray) -> np.ndarray:
    """The symmetric matrix whose upper triangle is that of ``upper``."""
    out = np.triu(upper)
    out += np.triu(upper, 1).T
    return out


def _sweep_block(X: np.ndarray) -> np.ndarray:
    """X as the sweeps read it: float32 and float64 kept (C order), anything else as float64."""
    if X.dtype in (np.float32, np.float64):
        return np.ascontiguousarray(X)
    return np.ascontiguousarray(X, dtype=np.float64)


#: "No sample weights" for the sweeps: an empty array, the same type as weights.
_NO_WEIGHTS = np.empty(0)


def _run_sweep(X, y, sw, W, one, family, n_grad, stride, losses, G, Hs) -> None:
    """The multinomial or the diagonal sweep, with ``Hs`` as its Hessian accumulator (empty:
    no Hessian).

    Arguments are brought to one type each (weights and the diagonal families' targets
    float64, class codes int64), so that each sweep compiles once per dtype of X.
    """
    sw = _NO_WEIGHTS if sw is None else np.ascontiguousarray(sw, dtype=np.float64)
    if family.hessian_kind == "multinomial":
        y = np.ascontiguousarray(y, dtype=np.int64)
        _sweeps.multinomial_sweep(X, y, sw, W, one, family.n_outputs, n_grad, stride, losses, G, Hs)
    else:
        y = np.ascontiguousarray(y, dtype=np.float64)  # one-vs-rest: codes as floats
        _sweeps.diagonal_sweep(
            X, y, sw, W, one, family.code, family.n_outputs, n_grad, stride, losses, G, Hs
        )


def _hessian_blocks(family: Family) -> list[tuple[int, int]]:
    """The blocks ``(k, m)`` of the Hessian that its sweep adds up, one accumulator each: the
    outputs' diagonal blocks, or (multinomial) every pair of classes ``k <= m``."""
    K = family.n_outputs
    if family.hessian_kind == "multinomial":
        return [(k, m) for k in range(K) for m in range(k, K)]
    return [(k, k) for k in range(K)]


def _hessian(X, y, sw, W, one, family, n_grad, stride, losses, G, pa) -> np.ndarray:
    """Run the sweep with its Hessian (from the rows ``i % stride == 0``, each tile's weighted
    Grams added by the sweep itself) and return the Hessian, scaled up to the block's rows."""
    K, n = family.n_outputs, len(X)
    width = W.shape[1]
    blocks = _hessian_blocks(family)
    Hs = np.zeros((len(blocks), width, width))
    _run_sweep(X, y, sw, W, one, family, n_grad, stride, losses, G, Hs)
    H = np.zeros((K * pa, K * pa))
    for j, (k, m) in enumerate(blocks):
        block = _symmetric(Hs[j, :pa, :pa])
        H[k * pa : (k + 1) * pa, m * pa : (m + 1) * pa] = block
        H[m * pa : (m + 1) * pa, k * pa : (k + 1) * pa] = block
    if stride > 1 and n:
        H *= n / -(-n // stride)
    return H


@np.errstate(invalid="ignore", over="ignore")
def sweep(
    X: np.ndarray,
    y: np.ndarray,
    sw: np.ndarray | None,
    points: np.ndarray,
    n_grad: int,
    family: Family,
    fit_intercept: bool,
    stride: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Loss sums at m points, gradients at the first ``n_grad``, Hessian at the first: one read.

    ``points`` is (m, d). With ``stride ≥ 1`` the Hessian at ``points[0]`` comes from the rows
    ``i % stride == 0`` of the block, scaled up to its row count (every row for 1); with 0 it
    is not computed (None). The compiled sweep (:mod:`._sweeps`) reads each row once and adds
    the weighted Grams of the Hessian's rows itself (:mod:`dasklearn._gram`): one per output,
    or one per pair of classes for the multinomial.

    Returns ``(losses (m,), gradients (n_grad, d), Hessian (d, d) or None)``.
    """
    X = _sweep_block(X)
    K = family.n_outputs
    n, p = X.shape
    pa = p + fit_intercept
    m = len(points)
    width = _sweeps.padded_width(p)
    rows, sums = m * K, n_grad * K
    if family.hessian_kind != "multinomial":  # whole 4-row blocks (the multinomial pads its own)
        rows = _sweeps.in_blocks(rows)
        sums = min(_sweeps.in_blocks(sums), rows)
    W = np.zeros((rows, width))
    W[: m * K, :pa] = np.asarray(points, dtype=np.float64).reshape(m * K, pa)
    one = 1.0 if fit_intercept else 0.0
    losses = np.zeros(m)
    G = np.zeros((sums, width))
    H = None
    if not stride:
        _run_sweep(X, y, sw, W, one, family, n_grad, 1, losses, G, np.empty((0, 0, 0)))
    else:
        H = _hessian(X, y, sw, W, one, family, n_grad, stride, losses, G, pa)
    return losses, np.ascontiguousarray(G[: n_grad * K, :pa]).reshape(n_grad, K * pa), H


def loss_grad_hess(
    X: np.ndarray,
    y: np.ndarray,
    sw: np.ndarray | None,
    w: np.ndarray,
    extra: np.ndarray,
    family: Family,
    fit_intercept: bool,
    stride: int = 1,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Loss sum, gradient and Hessian at ``w``, and the loss at each row of ``extra``.

    One read of the block serves all of them (:func:`sweep`): the line-search candidates in
    ``extra`` ride along. With ``stride > 1`` the Hessian is estimated from every
    ``stride``-th row (scaled up to the block's row count); the loss and gradient always use
    every row.
    """
    points = np.vstack([w[None, :], extra]) if len(extra) else w[None, :]
    losses, G, H = sweep(X, y, sw, points, 1, family, fit_intercept, max(1, int(stride)))
    return float(losses[0]), G[0], H, losses[1:]


def loss_grad(
    X: np.ndarray,
    y: np.ndarray,
    sw: np.ndarray | None,
    points: np.ndarray,
    family: Family,
    fit_intercept: bool,
    with_gradient: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Loss sums (m,) and gradients (m, d) at each of the m rows of ``points``, in one read
    (gradients of zeros when ``with_gradient`` is False)."""
    m = len(points)
    losses, G, _ = sweep(X, y, sw, points, m if with_gradient else 0, family, fit_intercept)
    if not with_gradient:
        G = np.zeros((m, points.shape[1]))
    return losses, G


# --------------------------------------------------------------------------------------------
# consensus ADMM: the local problem of one block
# --------------------------------------------------------------------------------------------


def admm_local_solve(
    X: np.ndarray,
    y: np.ndarray,
    sw: np.ndarray | None,
    state: tuple | None,
    v: np.ndarray,
    z: np.ndarray,
    rho: float,
    scale: float,
    family: Family,
    fit_intercept: bool,
    max_iter: int = 1,
    stride: int = 1,
    line_search: tuple[float, ...] = (0.5, 0.25, 0.1),
) -> list[tuple]:
    """Newton steps on ``scale·Σ_block sw·loss(x) + ρ/2 ‖x - v‖²``; the block's loss gradient at z.

    ``state`` is ``(x, loss, gradient, Hessian, damped)`` of this block's loss at its current
    ``x``, returned by the previous call (None the first time: then it is computed at ``z``).
    Each Newton step costs one sweep of the block (the Hessian from every ``stride``-th row);
    the loss and gradient at the consensus ``z`` ride along in the first sweep, so an accepted
    step is the pass's only read of the block.

    Returns ``(state, loss_at_z, gradient_at_z)``; the pass keeps one per block.
    """
    at_z: tuple[float, np.ndarray] | None = None
    if state is None:
        # the first step is tried alone: from z it was taken on every block of the benchmark
        # problems, and the backtracking points (3 more losses) made that pass 1.3-1.5x longer
        x, damped = z.copy(), False
        losses, G, H = sweep(X, y, sw, z[None, :], 1, family, fit_intercept, stride)
        loss, g = float(losses[0]), G[0]
        at_z = (loss, g)
    else:
        x, loss, g, H, damped = state

    def local(xx: np.ndarray, lx: float) -> float:
        return scale * lx + 0.5 * rho * float((xx - v) @ (xx - v))

    for _ in range(max_iter):
        f = local(x, loss)
        grad = scale * g + rho * (x - v)
        hess = scale * H
        hess[np.diag_indices_from(hess)] += rho
        step = np.linalg.solve(hess, -grad)
        decrement = -float(grad @ step)
        if not decrement > 1e-16 * max(abs(f), 1e-300):
            break
        # One sweep: the trial point (loss, gradient, Hessian), z (loss, gradient) while it is
        # still needed, and the backtracking points while this block's steps are being damped.
        points = [x + step] + ([z] if at_z is None else [])
        tries = [x + t * step for t in line_search] if damped else []
        losses, G, H1 = sweep(
            X, y, sw, np.vstack(points + tries), len(points), family, fit_intercept, stride
        )
        if at_z is None:
            at_z = (float(losses[1]), G[1])
        loss1, g1, extra = float(losses[0]), G[0], losses[len(points) :]
        if np.isfinite(loss1) and local(x + step, loss1) <= f - 1e-4 * decrement:
            x, loss, g, H, damped = x + step, loss1, g1, H1, False
            continue
        if not damped:
            tries = [x + t * step for t in line_search]
            extra, _ = loss_grad(X, y, sw, np.vstack(tries), family, fit_intercept, False)
        damped = True
        ok = [
            t
            for t, p, lx in zip(line_search, tries, extra, strict=True)
            if np.isfinite(lx) and local(p, lx) <= f - 1e-4 * t * decrement
        ]
        if not ok:
            break
        x = x + ok[0] * step
        losses, G, H = sweep(X, y, sw, x[None, :], 1, family, fit_intercept, stride)
        loss, g = float(losses[0]), G[0]
    if at_z is None:
        losses, G, _ = sweep(X, y, sw, z[None, :], 1, family, fit_intercept)
        at_z = (float(losses[0]), G[0])
    return (x, loss, g, H, damped), at_z[0], at_z[1]


# --------------------------------------------------------------------------------------------
# post-fit: predictions and scores
# --------------------------------------------------------------------------------------------


def decision_block(X: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """Linear predictor ``X @ coef.T + intercept``: (n, K), or (n,) when coef is 1-D."""
    return np.dot(_as_float(X), coef.T) + intercept


def regression_score_parts(
    X: np.ndarray,
    y: np.ndarray,
    sw: np.ndarray | None,
    coef: np.ndarray,
    intercept: float,
    family: Family,
) -> np.ndarray:
    """Sums for R² (gaussian) or D² (poisson): [Σw, Σw·y, Σw·y², Σw·dev(model)]... of a block.

    For D² the null deviance needs the weighted mean of y, so the deviance of the model and the
    sums needed to get the null deviance afterwards are returned: [Σw, Σw·y, Σw·y², Σw·dev,
    Σw·y·log y].
    """
    y = _as_float(y)
    w = np.ones_like(y) if sw is None else sw
    eta = decision_block(X, coef, intercept)
    if family.name == "poisson":
        if (y < 0).any():
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for Poisson regression."
            )
        mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
        dev = 2.0 * (ylogy - y * eta - y + mu)
        return np.array([w.sum(), w @ y, w @ (y * y), w @ dev, w @ ylogy])
    resid = y - eta
    return np.array([w.sum(), w @ y, w @ (y * y), w @ (resid * resid), 0.0])
