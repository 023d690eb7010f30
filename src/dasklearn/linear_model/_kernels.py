"""Block kernels for the linear models: pure NumPy on one row block, no dask.

Coefficients travel as one flat vector ``w`` of length ``d = K · (p + 1)`` (``K · p`` without an
intercept), the row-major flattening of a ``(K, p + 1)`` matrix whose last column holds the
intercepts. Every kernel returns *sums* over its block (loss, gradient, Hessian), so that the
blocks' results add up to the whole data's.

Each kernel walks its block in sub-blocks of a few MiB so that the scaled copies it makes for the
Hessian stay in cache: the block itself is read from memory once per pass.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ._families import Family

__all__ = [
    "admm_local_solve",
    "decision_block",
    "encode_labels",
    "label_counts",
    "loss_grad",
    "loss_grad_hess",
    "merge_label_counts",
    "regression_score_parts",
    "target_moments",
]

_SUB_BLOCK_BYTES = 2 * 2**20
#: Temporaries per sub-block (linear predictors, probabilities: rows × outputs) stay below
#: glibc's mmap threshold (128 KiB): dask workers set MALLOC_TRIM_THRESHOLD_, which pins that
#: threshold, and every larger temporary would be a fresh mmap with page faults (measured: the
#: multinomial kernel 1.7x slower on a worker than in-process).
_TEMP_BYTES = 112 * 2**10


def _sub_rows(n_cols: int, n_outputs: int = 1) -> int:
    rows = min(_SUB_BLOCK_BYTES // (8 * max(n_cols, 1)), _TEMP_BYTES // (8 * max(n_outputs, 1)))
    return max(256, rows)


def _sub_blocks(n_rows: int, n_cols: int, n_outputs: int = 1) -> Iterator[slice]:
    step = _sub_rows(n_cols, n_outputs)
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def _as_float(X: np.ndarray) -> np.ndarray:
    return X if X.dtype == np.float64 else np.asarray(X, dtype=np.float64)


def _split(w: np.ndarray, K: int, p: int, fit_intercept: bool) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (p, K) and intercepts (K,) of a flat vector."""
    W = w.reshape(K, p + fit_intercept)
    b = W[:, p] if fit_intercept else np.zeros(K)
    return np.ascontiguousarray(W[:, :p].T), b


def _stack(points: np.ndarray, K: int, p: int, fit_intercept: bool):
    """Coefficients of m points side by side, (p, m·K), and their intercepts (m·K,)."""
    coefs, intercepts = zip(*(_split(w, K, p, fit_intercept) for w in points), strict=True)
    return np.hstack(coefs), np.concatenate(intercepts)


# --------------------------------------------------------------------------------------------
# target statistics (one pass over y only)
# --------------------------------------------------------------------------------------------


_DENSE_LABEL_RANGE = 1 << 16


def _small_int_range(y: np.ndarray) -> tuple[int, int] | None:
    """(min, max) of integer labels spanning a small range (counted with bincount), else None."""
    if y.dtype.kind not in "iub" or not len(y):
        return None
    lo, hi = int(y.min()), int(y.max())
    return (lo, hi) if hi - lo < _DENSE_LABEL_RANGE else None


def label_counts(y: np.ndarray, sw: np.ndarray | None = None) -> tuple:
    """Labels present in the block, their counts and summed weights; (labels, counts, weights).

    Small-range integer labels are counted in O(n) with ``bincount``; others are sorted.
    """
    if sw is not None and len(sw) and (not np.isfinite(sw).all() or sw.min() < 0):
        raise ValueError("sample_weight must be finite and non-negative.")
    span = _small_int_range(y)
    if span is not None:
        shifted = y.astype(np.int64) - span[0]
        counts = np.bincount(shifted)
        weights = counts.astype(np.float64) if sw is None else np.bincount(shifted, weights=sw)
        present = np.flatnonzero(counts)
        labels = (present + span[0]).astype(y.dtype)
        return labels, counts[present], weights[present]
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError("y contains NaN labels.")
    labels, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    weights = counts.astype(np.float64) if sw is None else np.bincount(inverse, weights=sw)
    return labels, counts, weights


def merge_label_counts(a: tuple, b: tuple) -> tuple:
    """Combine two ``label_counts`` results."""
    labels = np.concatenate([a[0], b[0]])
    labels, inverse = np.unique(labels, return_inverse=True)
    counts = np.bincount(inverse, weights=np.concatenate([a[1], b[1]]), minlength=len(labels))
    weights = np.bincount(inverse, weights=np.concatenate([a[2], b[2]]), minlength=len(labels))
    return labels, counts.astype(np.int64), weights


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


def encode_labels(y: np.ndarray, classes: np.ndarray, dtype=np.int64) -> np.ndarray:
    """Codes 0..K-1 of labels ``y`` in the sorted ``classes`` (a lookup table for small ints)."""
    span = _small_int_range(classes) if classes.dtype.kind in "iub" else None
    if span is not None and y.dtype.kind in "iub":
        table = np.zeros(span[1] - span[0] + 1, dtype=dtype)
        table[classes.astype(np.int64) - span[0]] = np.arange(len(classes), dtype=dtype)
        return table[np.clip(y.astype(np.int64) - span[0], 0, len(table) - 1)]
    return np.searchsorted(classes, y).astype(dtype)


def class_sample_weight(
    codes: np.ndarray, class_weight: np.ndarray, sw: np.ndarray | None = None
) -> np.ndarray:
    """Per-row weight: the weight of the row's class times its sample weight."""
    out = class_weight[codes]
    return out if sw is None else out * sw


# --------------------------------------------------------------------------------------------
# loss, gradient and Hessian of a block
# --------------------------------------------------------------------------------------------


def _add_gram(H: np.ndarray, buf: np.ndarray, Xs: np.ndarray, h: np.ndarray, sign: float) -> None:
    """H += sign · [X 1]ᵀ diag(h) [X 1] for h ≥ 0 (one SYRK on a scaled copy in ``buf``)."""
    p = Xs.shape[1]
    root = np.sqrt(h)
    b = buf[: len(Xs)]
    np.multiply(Xs, root[:, None], out=b[:, :p])
    if b.shape[1] > p:
        b[:, p] = root
    if sign > 0:
        H += b.T @ b
    else:
        H -= b.T @ b


def _accumulate_hessian(
    blocks: list, buf: np.ndarray, Xs: np.ndarray, family: Family, curvature: object
) -> None:
    """Add the Hessian of the loss over the rows of ``Xs`` to the (K × K) grid of blocks."""
    K = family.n_outputs
    if family.hessian_kind == "diagonal":
        for k in range(K):
            _add_gram(blocks[k][k], buf, Xs, curvature[:, k], 1.0)
        return
    # multinomial: Σ_i x xᵀ ⊗ sw (diag(P) - P Pᵀ), one SYRK per pair of classes
    P, ss = curvature
    Pw = P if ss is None else P * ss[:, None]
    for k in range(K):
        _add_gram(blocks[k][k], buf, Xs, Pw[:, k] * (1.0 - P[:, k]), 1.0)
        for m in range(k + 1, K):
            _add_gram(blocks[k][m], buf, Xs, Pw[:, k] * P[:, m], -1.0)


def _curvature(family: Family, eta: np.ndarray, sw: np.ndarray | None) -> object:
    if family.hessian_kind == "diagonal":
        return family.hessian_weights(eta, sw)
    return family.probabilities(eta), sw


@np.errstate(invalid="ignore", over="ignore")
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

    One read of the block serves all of them: the linear predictors of ``w`` and of the extra
    points (line-search candidates) come from one matrix product. With ``stride > 1`` the
    Hessian is estimated from every ``stride``-th row (scaled up to the block's row count), in
    a second, ``stride`` times shorter sweep over those rows; the loss and gradient always use
    every row.
    """
    K, p = family.n_outputs, X.shape[1]
    pa = p + fit_intercept
    stride = max(1, int(stride))
    points = np.vstack([w[None, :], extra]) if len(extra) else w[None, :]
    coefs, intercepts = _stack(points, K, p, fit_intercept)
    loss = 0.0
    extra_loss = np.zeros(len(extra))
    G = np.zeros((K, pa))
    H = np.zeros((K * pa, K * pa))
    blocks = [[H[k * pa : (k + 1) * pa, m * pa : (m + 1) * pa] for m in range(K)] for k in range(K)]
    width = K * (1 + len(extra))
    buf = np.empty((min(len(X), _sub_rows(pa, min(width, K if stride > 1 else width))), pa))
    for rows in _sub_blocks(len(X), pa, width):
        Xs = _as_float(X[rows])
        ys = y[rows]
        ss = None if sw is None else sw[rows]
        E = Xs @ coefs
        E += intercepts
        eta = E[:, :K]
        if stride == 1:
            part, R, curvature = family.loss_gradient_curvature(eta, ys, ss, 1)
            _accumulate_hessian(blocks, buf, Xs, family, curvature)
        else:
            part, R = family.loss_gradient(eta, ys, ss)
        loss += part
        for j in range(len(extra)):
            extra_loss[j] += family.loss(E[:, (j + 1) * K : (j + 2) * K], ys, ss)
        G[:, :p] += R.T @ Xs
        if fit_intercept:
            G[:, p] += R.sum(axis=0)
    if stride > 1:
        sample = X[::stride]
        sample_sw = None if sw is None else sw[::stride]
        coef, intercept = coefs[:, :K], intercepts[:K]
        for rows in _sub_blocks(len(sample), pa, K):
            Xs = _as_float(sample[rows])
            eta = Xs @ coef
            eta += intercept
            curvature = _curvature(family, eta, None if sample_sw is None else sample_sw[rows])
            _accumulate_hessian(blocks, buf, Xs, family, curvature)
        if len(sample):
            H *= len(X) / len(sample)
    if family.hessian_kind != "diagonal":
        for k in range(K):
            for m in range(k + 1, K):
                blocks[m][k][...] = blocks[k][m].T
    return loss, G.ravel(), H, extra_loss


@np.errstate(invalid="ignore", over="ignore")
def loss_grad(
    X: np.ndarray,
    y: np.ndarray,
    sw: np.ndarray | None,
    points: np.ndarray,
    family: Family,
    fit_intercept: bool,
    with_gradient: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Loss sums (m,) and gradients (m, d) at each of the m rows of ``points``.

    Two matrix products per sub-block whatever m is, so trying several step sizes in one pass
    costs about as much memory traffic as one.
    """
    K, p = family.n_outputs, X.shape[1]
    pa = p + fit_intercept
    m = len(points)
    coefs, intercepts = _stack(points, K, p, fit_intercept)
    losses = np.zeros(m)
    G = np.zeros((m * K, pa))
    for rows in _sub_blocks(len(X), pa, K * m):
        Xs = _as_float(X[rows])
        ys = y[rows]
        ss = None if sw is None else sw[rows]
        E = Xs @ coefs
        E += intercepts
        if not with_gradient:
            for j in range(m):
                losses[j] += family.loss(E[:, j * K : (j + 1) * K], ys, ss)
            continue
        Rs = []
        for j in range(m):
            part, R = family.loss_gradient(E[:, j * K : (j + 1) * K], ys, ss)
            losses[j] += part
            Rs.append(R)
        R = np.hstack(Rs) if m > 1 else Rs[0]
        G[:, :p] += R.T @ Xs
        if fit_intercept:
            G[:, p] += R.sum(axis=0)
    return losses, G.reshape(m, K * pa)


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
    Each Newton step costs one sweep of the block (the Hessian from every ``stride``-th row),
    and the gradient at the consensus ``z`` one cheaper sweep.

    Returns ``(state, loss_at_z, gradient_at_z)``; the pass keeps one per block.
    """
    d = len(v)
    none = np.zeros((0, d))
    if state is None:
        x, damped = z.copy(), True
        loss, g, H, _ = loss_grad_hess(X, y, sw, x, none, family, fit_intercept, stride)
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
        # Backtracking points ride along only while this block's steps are being damped.
        points = np.vstack([x + t * step for t in line_search]) if damped else none
        loss1, g1, H1, extra = loss_grad_hess(
            X, y, sw, x + step, points, family, fit_intercept, stride
        )
        if np.isfinite(loss1) and local(x + step, loss1) <= f - 1e-4 * decrement:
            x, loss, g, H, damped = x + step, loss1, g1, H1, False
            continue
        if not damped:
            points = np.vstack([x + t * step for t in line_search])
            extra, _ = loss_grad(X, y, sw, points, family, fit_intercept, with_gradient=False)
        damped = True
        ok = [
            t
            for t, p, lx in zip(line_search, points, extra, strict=True)
            if np.isfinite(lx) and local(p, lx) <= f - 1e-4 * t * decrement
        ]
        if not ok:
            break
        x = x + ok[0] * step
        loss, g, H, _ = loss_grad_hess(X, y, sw, x, none, family, fit_intercept, stride)
    losses, G = loss_grad(X, y, sw, z[None, :], family, fit_intercept)
    return (x, loss, g, H, damped), float(losses[0]), G[0]


# --------------------------------------------------------------------------------------------
# post-fit: predictions and scores
# --------------------------------------------------------------------------------------------


def decision_block(X: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """Linear predictor ``X @ coef.T + intercept``: (n, K), or (n,) when coef is 1-D."""
    return _as_float(X) @ coef.T + intercept


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
