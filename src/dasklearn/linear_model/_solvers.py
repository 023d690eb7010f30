"""Solvers for penalised GLMs, generic over families and penalties.

Every solver minimises ``f(w) + l1·‖w_m‖₁`` where ``f`` (mean loss + l2) is evaluated by an
:class:`~._objective.Objective`: each evaluation is one pass over the data, and the solvers do
everything else (small d-dimensional linear algebra) on the client.

=================== ========================================================= ====================
solver              one iteration                                             passes per iteration
=================== ========================================================= ====================
newton              Newton/IRLS step from the gradient and Hessian summed over 1 (a rejected full
                    blocks; l1 by a proximal Newton step (coordinate descent  step costs 1 more)
                    on the d×d quadratic model). Line-search candidates are
                    evaluated in the same pass as the next gradient and Hessian.
                    Quadratic losses (least squares) are solved exactly from
                    one pass, with any penalty.
lbfgs               SciPy's L-BFGS-B; loss and gradient together per          1 per evaluation
                    evaluation; l1 through the split w = w⁺ - w⁻ ≥ 0
gradient_descent    gradient step of Barzilai-Borwein size; that step and a   1
                    quarter of it are tried in the same pass
proximal_grad       the same with the l1 proximal step (l1 and elastic net)   1
admm                consensus ADMM: each block takes Newton steps on its own  1
                    problem (in memory), the client averages and applies the
                    penalty's proximal step; the gradient at the consensus
                    comes in the same pass and decides convergence
=================== ========================================================= ====================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
import scipy.optimize

from ._objective import Objective
from ._penalties import Penalty, soft_threshold

__all__ = [
    "SOLVERS",
    "SolverResult",
    "admm",
    "default_hessian_rows",
    "gradient_descent",
    "lbfgs",
    "newton",
    "solve",
]


@dataclass
class SolverResult:
    """What a solver returns: coefficients, iterations, whether it converged, a note."""

    w: np.ndarray
    n_iter: int
    converged: bool
    message: str = ""


def _first_sufficient(steps, values, candidates, pen, F: float, decrease: float):
    """The first step whose penalised objective meets Armijo's sufficient decrease, or None."""
    for t, fc, c in zip(steps, values, candidates, strict=True):
        if np.isfinite(fc) and fc + pen.l1_value(c) <= F + 1e-4 * t * decrease:
            return t
    return None


def default_hessian_rows(dim: int) -> int:
    """Rows newton's Hessian is estimated from by default (every row below that).

    The error of the estimate shrinks like sqrt(d / rows); at ``200·d`` rows each Newton step
    still cuts the distance to the optimum by ~15x, and the Hessian's share of a pass is small.
    """
    return max(50_000, 200 * dim)


def _log(verbose: int, text: str) -> None:
    if verbose:
        print(text, flush=True)


# --------------------------------------------------------------------------------------------
# newton
# --------------------------------------------------------------------------------------------


def _null_space_fix(H: np.ndarray, obj: Objective) -> np.ndarray:
    """Make the multinomial Hessian invertible along the directions the loss cannot see.

    Adding the same vector to every class's coefficients leaves softmax unchanged, so the loss
    Hessian is singular along those directions (always for the intercepts, for all coefficients
    without a penalty). Gradients are orthogonal to them, so adding curvature there changes no
    Newton step except to keep it out of them, as scikit-learn's solvers do.
    """
    if obj.family.hessian_kind != "multinomial":
        return H
    K = obj.n_outputs
    pa = obj.n_features + obj.fit_intercept
    s = float(np.mean(np.diag(H))) or 1.0
    return H + (s / K) * np.kron(np.ones((K, K)), np.eye(pa))


def _solve_psd(H: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve H x = rhs for symmetric positive semi-definite H; minimum-norm when singular."""
    try:
        c, lower = scipy.linalg.cho_factor(H, check_finite=False)
        diag = np.abs(np.diag(c))
        if diag.min() > 1e-7 * diag.max():
            return scipy.linalg.cho_solve((c, lower), rhs, check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        pass
    vals, vecs = np.linalg.eigh(H)
    keep = vals > 1e-12 * max(vals.max(), 1e-300)
    return vecs[:, keep] @ ((vecs[:, keep].T @ rhs) / vals[keep])


def _quadratic_l1(
    H: np.ndarray,
    c: np.ndarray,
    v0: np.ndarray,
    l1: np.ndarray,
    tol: float = 1e-12,
    max_sweeps: int = 2000,
) -> np.ndarray:
    """argmin_v cᵀv + ½ vᵀHv + Σ l1_j |v_j| by coordinate descent, then an active-set polish."""
    v = v0.copy()
    Hv = H @ v
    diag = np.diag(H).copy()
    d = len(v)
    for _ in range(max_sweeps):
        biggest = 0.0
        for j in range(d):
            hjj = diag[j]
            if hjj <= 0.0:
                continue
            z = v[j] - (c[j] + Hv[j]) / hjj
            new = np.sign(z) * max(abs(z) - l1[j] / hjj, 0.0)
            delta = new - v[j]
            if delta != 0.0:
                Hv += delta * H[:, j]
                v[j] = new
                biggest = max(biggest, abs(delta))
        if biggest <= tol * max(1.0, float(np.max(np.abs(v), initial=0.0))):
            break
    # Polish: on the active set the problem is a linear system; keep it when signs agree.
    active = (v != 0) | (l1 == 0)
    if active.any():
        A = np.flatnonzero(active)
        sign = np.sign(v[A])
        try:
            vA = _solve_psd(H[np.ix_(A, A)], -(c[A] + l1[A] * sign))
        except np.linalg.LinAlgError:
            return v
        pen = l1[A] > 0
        if np.all(np.sign(vA[pen]) == sign[pen]):
            cand = np.zeros_like(v)
            cand[A] = vA
            grad = c + H @ cand
            inactive = ~active
            if np.all(np.abs(grad[inactive]) <= l1[inactive] * (1 + 1e-9) + 1e-14):
                return cand
    return v


def _newton_direction(
    obj: Objective, w: np.ndarray, g: np.ndarray, H: np.ndarray, exact: bool = False
) -> np.ndarray:
    pen = obj.penalty
    if pen.smooth:
        return _solve_psd(_null_space_fix(H, obj), -g)
    l1 = np.where(pen.mask, pen.l1, 0.0)
    # The model in v = w + d: (g - H w)ᵀ v + ½ vᵀ H v + l1 ‖v‖₁.
    Hq = H if obj.family.hessian_kind != "multinomial" else _fix_unpenalized(H, obj)
    v = _quadratic_l1(Hq, g - H @ w, w, l1, tol=1e-13 if exact else 1e-10)
    return v - w


def _fix_unpenalized(H: np.ndarray, obj: Objective) -> np.ndarray:
    """Curvature on the multinomial intercepts' shared direction only (they are unpenalised)."""
    if not obj.fit_intercept:
        return H
    K = obj.n_outputs
    pa = obj.n_features + 1
    idx = np.arange(K) * pa + obj.n_features
    H = H.copy()
    s = float(np.mean(np.diag(H))) or 1.0
    H[np.ix_(idx, idx)] += s / K
    return H


def newton(
    obj: Objective,
    w0: np.ndarray,
    tol: float,
    max_iter: int,
    verbose: int = 0,
    callback: Callable[[int, np.ndarray], Any] | None = None,
    line_search: tuple[float, ...] = (0.5, 0.25, 0.1),
    hessian_rows: int | None = None,
) -> SolverResult:
    """Damped (proximal) Newton; one pass per iteration when the full step is accepted.

    The gradient is always summed over every row. The Hessian only steers the step, so on
    large data it is estimated from an evenly strided sample of about ``hessian_rows`` rows
    (default ``max(50_000, 200·d)``; ``0`` for every row): the answer is the same, the
    Hessian's cost (∝ rows·d²) drops by the stride, and the convergence, quadratic with the
    full Hessian, stays fast (each step divides the error by ~sqrt(rows/d)). Least squares
    always uses every row, since its single step must be exact.

    The pass at a trial point ``w + d`` computes the gradient and Hessian there. When the full
    step is rejected, one cheap loss-only pass tries the points ``w + t d`` for ``t`` in
    ``line_search`` and one more pass gets the gradient and Hessian at the accepted point; while
    steps keep being damped, the backtracking points ride along in the Hessian pass instead.
    """
    pen = obj.penalty
    w = np.array(w0, dtype=np.float64)
    if hessian_rows is None:
        hessian_rows = default_hessian_rows(obj.dim)
    stride = 1
    if hessian_rows and not obj.family.quadratic:
        stride = max(1, obj.n_rows // int(hessian_rows))
    f, g, H, _ = obj.value_grad_hess(w, stride=stride)
    if obj.family.quadratic:
        # The quadratic model is the objective: one step is the solution, any penalty.
        w = w + _newton_direction(obj, w, g, H, exact=True)
        _log(verbose, f"[newton] least squares solved from 1 pass (d={obj.dim})")
        if callback is not None:
            callback(1, w)
        return SolverResult(w, 1, True)
    n_iter = 0
    damped = False
    while True:
        opt = pen.optimality(w, g)
        F = f + pen.l1_value(w)
        d = _newton_direction(obj, w, g, H)
        _log(verbose, f"[newton] iter {n_iter}: objective {F:.10g}, optimality {opt:.3g}")
        if opt <= tol:
            if np.all(np.isfinite(d)):
                w = w + d  # a last full step: quadratic convergence makes it free accuracy
            return SolverResult(w, max(n_iter, 1), True)
        if n_iter >= max_iter:
            return SolverResult(w, n_iter, False, f"optimality {opt:.3g} > tol {tol:g}")
        decrease = float(g @ d) + pen.l1_value(w + d) - pen.l1_value(w)
        if not decrease < 0:
            return SolverResult(w, max(n_iter, 1), False, "no descent direction")
        # Line-search points ride along only while steps are being damped: near the optimum
        # the full step is always taken and the extra losses would only cost time.
        candidates = [w + t * d for t in line_search] if damped else []
        f1, g1, H1, fx = obj.value_grad_hess(w + d, candidates, stride=stride)
        n_iter += 1
        if np.isfinite(f1) and f1 + pen.l1_value(w + d) <= F + 1e-4 * decrease:
            w, f, g, H = w + d, f1, g1, H1
            damped = False
        else:
            damped = True
            if not candidates:
                candidates = [w + t * d for t in line_search]
                fx = obj.values(candidates)
            t = _first_sufficient(line_search, fx, candidates, pen, F, decrease)
            trial = line_search[-1]
            while t is None and trial > 1e-10:
                trial *= 0.1
                steps = [trial * 0.5**k for k in range(4)]
                cand = [w + s * d for s in steps]
                vals = obj.values(cand)
                t = _first_sufficient(steps, vals, cand, pen, F, decrease)
                trial = steps[-1]
            if t is None:
                return SolverResult(w, n_iter, False, "line search failed")
            w = w + t * d
            f, g, H, _ = obj.value_grad_hess(w, stride=stride)
        if callback is not None:
            callback(n_iter, w)


# --------------------------------------------------------------------------------------------
# lbfgs
# --------------------------------------------------------------------------------------------


def lbfgs(
    obj: Objective,
    w0: np.ndarray,
    tol: float,
    max_iter: int,
    verbose: int = 0,
    callback: Callable[[int, np.ndarray], Any] | None = None,
    maxls: int = 50,
    m: int = 10,
) -> SolverResult:
    """SciPy's L-BFGS-B on the client; each function evaluation is one pass (loss + gradient).

    With an l1 part the penalised coefficients are split as ``w = w⁺ - w⁻`` with ``w± ≥ 0``,
    which makes the problem smooth and bound-constrained.
    """
    pen = obj.penalty
    mask = pen.mask
    split = not pen.smooth
    idx = np.flatnonzero(mask)

    def unpack(x: np.ndarray) -> np.ndarray:
        if not split:
            return x
        w = x[: obj.dim].copy()
        w[idx] = x[: obj.dim][idx] - x[obj.dim :]
        return w

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        w = unpack(x)
        f, G = obj.value_grad([w])
        f, g = float(f[0]), G[0]
        if not split:
            return f, g
        gp = g.copy()
        gp[idx] = g[idx] + pen.l1
        gm = -g[idx] + pen.l1
        return f + pen.l1 * float(x[obj.dim :].sum() + x[: obj.dim][idx].sum()), np.concatenate(
            [gp, gm]
        )

    if split:
        x0 = np.concatenate([w0, np.zeros(len(idx))])
        pos = np.maximum(w0[idx], 0.0)
        x0[idx] = pos
        x0[obj.dim :] = pos - w0[idx]
        bounds = [(None, None)] * obj.dim + [(0.0, None)] * len(idx)
        for j in idx:
            bounds[j] = (0.0, None)
    else:
        x0, bounds = np.asarray(w0, dtype=np.float64), None

    count = [0]

    def cb(intermediate_result: Any) -> None:
        count[0] += 1
        if verbose:
            print(f"[lbfgs] iter {count[0]}: objective {intermediate_result.fun:.10g}", flush=True)
        if callback is not None:
            callback(count[0], unpack(intermediate_result.x))

    res = scipy.optimize.minimize(
        fun,
        x0,
        method="L-BFGS-B",
        jac=True,
        bounds=bounds,
        callback=cb,
        options={
            "maxiter": max_iter,
            "maxls": maxls,
            "maxcor": m,
            "gtol": tol,
            "ftol": 64 * np.finfo(float).eps,
        },
    )
    return SolverResult(unpack(res.x), int(res.nit), bool(res.status == 0), str(res.message))


# --------------------------------------------------------------------------------------------
# gradient descent and proximal gradient
# --------------------------------------------------------------------------------------------


def _proximal_gradient(
    obj: Objective,
    w0: np.ndarray,
    tol: float,
    max_iter: int,
    verbose: int,
    callback: Callable[[int, np.ndarray], Any] | None,
    name: str,
    factors: tuple[float, ...] = (1.0, 0.25),
) -> SolverResult:
    pen = obj.penalty
    w = np.array(w0, dtype=np.float64)
    fs, G = obj.value_grad([w])
    f, g = float(fs[0]), G[0]
    scale = float(np.max(np.abs(g), initial=0.0))
    step = 1.0 / max(scale, 1e-12) if scale > 1.0 else 1.0
    n_iter = 0
    while True:
        opt = pen.optimality(w, g)
        _log(
            verbose, f"[{name}] iter {n_iter}: objective {f + pen.l1_value(w):.10g}, opt {opt:.3g}"
        )
        if opt <= tol:
            return SolverResult(w, max(n_iter, 1), True)
        if n_iter >= max_iter:
            return SolverResult(w, n_iter, False, f"optimality {opt:.3g} > tol {tol:g}")
        steps = [step * a for a in factors]
        cands = [pen.prox_l1(w - s * g, s) for s in steps]
        fc, Gc = obj.value_grad(cands)
        n_iter += 1
        chosen = None
        for k, (s, c) in enumerate(zip(steps, cands, strict=True)):
            dx = c - w
            if np.isfinite(fc[k]) and fc[k] <= f + float(g @ dx) + float(dx @ dx) / (2 * s) + 1e-15:
                chosen = k
                break
        if chosen is None:
            step = steps[-1] * 0.125
            continue
        s_vec = cands[chosen] - w
        y_vec = Gc[chosen] - g
        w, f, g = cands[chosen], float(fc[chosen]), Gc[chosen]
        sy = float(s_vec @ y_vec)
        step = float(s_vec @ s_vec) / sy if sy > 0 else steps[chosen] * 2.0
        if callback is not None:
            callback(n_iter, w)


def gradient_descent(
    obj: Objective,
    w0: np.ndarray,
    tol: float,
    max_iter: int,
    verbose: int = 0,
    callback: Callable[[int, np.ndarray], Any] | None = None,
) -> SolverResult:
    """Gradient descent with Barzilai-Borwein steps; smooth penalties only."""
    if not obj.penalty.smooth:
        raise ValueError(
            "solver='gradient_descent' needs a smooth penalty ('l2' or None); use "
            "'proximal_grad', 'newton', 'lbfgs' or 'admm' for 'l1' and 'elastic_net'."
        )
    return _proximal_gradient(obj, w0, tol, max_iter, verbose, callback, "gradient_descent")


def proximal_grad(
    obj: Objective,
    w0: np.ndarray,
    tol: float,
    max_iter: int,
    verbose: int = 0,
    callback: Callable[[int, np.ndarray], Any] | None = None,
) -> SolverResult:
    """Proximal gradient (l1 and elastic net) with Barzilai-Borwein steps and backtracking."""
    return _proximal_gradient(obj, w0, tol, max_iter, verbose, callback, "proximal_grad")


# --------------------------------------------------------------------------------------------
# admm
# --------------------------------------------------------------------------------------------


def _prox_penalty(v: np.ndarray, pen: Penalty, t: float) -> np.ndarray:
    """argmin_z pen(z) + 1/(2t) ‖z - v‖²."""
    out = v.copy()
    m = pen.mask
    out[m] = soft_threshold(v[m], t * pen.l1) / (1.0 + t * pen.l2)
    return out


def admm(
    obj: Objective,
    w0: np.ndarray,
    tol: float,
    max_iter: int,
    verbose: int = 0,
    callback: Callable[[int, np.ndarray], Any] | None = None,
    rho: float | None = None,
    max_local_iter: int = 1,
    relaxation: float = 1.0,
    hessian_rows: int | None = None,
) -> SolverResult:
    """Consensus ADMM over the row blocks: one pass (all local solves) per iteration.

    Block ``b`` takes ``max_local_iter`` damped Newton steps on ``(1/S) Σ_b sw·loss(x) +
    ρ/2 ‖x - z + u_b‖²`` from its previous solution (its loss gradient and Hessian there travel
    with it, so a step costs one sweep of the block; the Hessian comes from a strided sample of
    about ``hessian_rows`` rows per block, default ``max(10_000, 100·d)``); the client sets
    ``z`` to the proximal step of the penalty at the average of ``x_b + u_b`` (optionally
    over-relaxed, ``relaxation`` in [1, 1.8], Boyd et al. 2011 §3.4.3) and updates the scaled
    duals ``u_b``. ``ρ`` starts at the blocks' mean curvature
    and adapts to balance the primal and dual residuals (§3.4.1).

    The same pass returns the gradient of the whole objective at ``z``, so ADMM stops on the
    same optimality measure as every other solver (largest entry of the minimum-norm
    subgradient ≤ ``tol``).
    """
    pen = obj.penalty
    B, d = obj.n_blocks, obj.dim
    if hessian_rows is None:  # per block: local steps need less accuracy than newton's
        hessian_rows = max(10_000, 100 * d)
    stride = max(1, obj.n_rows // (B * int(hessian_rows))) if hessian_rows else 1
    z = np.array(w0, dtype=np.float64)
    states: list = [None] * B
    us = np.zeros((B, d))
    if rho is None:
        # ρ on the scale of a block's curvature: one pass gets every block's Hessian at w0.
        states, _, _ = obj.admm_local(states, np.zeros((B, d)), z, 1.0, 0, stride)
        curvature = np.mean([np.mean(np.diag(s[3])) for s in states]) * obj.scale
        rho = float(curvature) if curvature > 0 else 1.0 / B
    rho = float(rho)
    for it in range(1, max_iter + 1):
        states, f, g = obj.admm_local(states, z[None, :] - us, z, rho, max_local_iter, stride)
        opt = pen.optimality(z, g)
        _log(
            verbose,
            f"[admm] iter {it}: objective {f + pen.l1_value(z):.10g} at z, "
            f"optimality {opt:.3g}, rho {rho:.3g}",
        )
        if opt <= tol:
            return SolverResult(z, it, True)
        xs = np.array([s[0] for s in states])
        z_old = z
        relaxed = relaxation * xs + (1.0 - relaxation) * z_old[None, :]
        z = _prox_penalty((relaxed + us).mean(axis=0), pen, 1.0 / (B * rho))
        us += relaxed - z
        if callback is not None:
            callback(it, z)
        r = float(np.sqrt(((xs - z) ** 2).sum()))
        s = rho * np.sqrt(B) * float(np.linalg.norm(z - z_old))
        if r > 10 * s:
            rho *= 2.0
            us /= 2.0
        elif s > 10 * r:
            rho /= 2.0
            us *= 2.0
    return SolverResult(z, max_iter, False, "optimality above tol")


SOLVERS: dict[str, Callable[..., SolverResult]] = {
    "newton": newton,
    "lbfgs": lbfgs,
    "admm": admm,
    "gradient_descent": gradient_descent,
    "proximal_grad": proximal_grad,
}


def solve(
    solver: str,
    obj: Objective,
    w0: np.ndarray,
    tol: float,
    max_iter: int,
    verbose: int = 0,
    **solver_kwargs: Any,
) -> SolverResult:
    """Run ``solver`` on ``obj`` from ``w0``; ``solver_kwargs`` go to the solver function."""
    func = SOLVERS[solver]
    try:
        return func(obj, w0, tol, max_iter, verbose=verbose, **solver_kwargs)
    except TypeError as err:
        if "unexpected keyword argument" in str(err):
            raise TypeError(f"solver_kwargs not accepted by solver={solver!r}: {err}") from None
        raise
