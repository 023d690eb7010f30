"""Compiled GLM sweeps (Numba): loss, gradient and Hessian rows of a block from one read of it.

A sweep walks the rows of a block in tiles of :data:`TILE` rows. For each tile it computes the
linear predictors of every point asked for (the current coefficients, line-search candidates,
a second gradient point), the loss and the residuals of each, adds the residuals times the rows
to the gradients while the tile is in L1, and takes the Hessian's rows (all, or a sample) from
the tile, so that X is read from memory once per pass. No (rows, outputs) array is ever written
to memory.

* Linear predictors: 4 rows x 4 columns of coefficients at a time, 16 dot products in scalar
  locals that LLVM keeps in registers and vectorises over the features (as the k-means sweep
  of :mod:`dasklearn.cluster._nearest`).
* Link functions: vectorisable ``exp`` and ``log`` (:mod:`._vmath`), so that LLVM vectorises
  the per-row loops.
* The Hessian: each tile (or the sampled rows, gathered into a tile of their own) adds its
  weighted Grams in the sweep (:mod:`dasklearn._gram`): one per output of the diagonal
  families, one per pair of classes of the multinomial (15 for 5 classes).
* The multinomial sweep sums K-1 predictors and K-1 gradients per row (relative to class 0;
  class 0's gradient is minus the others'), in whole 4-row blocks where that helps
  (:func:`in_blocks`).

Families are numbered (:data:`GAUSSIAN` ... :data:`MULTINOMIAL`); each kernel takes its number
and branches once per tile, outside the vectorised loops. No sample weights are passed as an
empty array (not None), so that weighted and unweighted fits share one compiled specialisation:
each one costs seconds to compile in a fresh process.
"""

from __future__ import annotations

import numpy as np

from .._compiled import FASTMATH, target_cpu
from .._compiled import compiled as _compiled
from .._gram import TILE as GRAM_TILE
from .._gram import add_tile_gram, hold_row, scale_tile, transpose_tile
from ._vmath import exp as _exp
from ._vmath import log as _log
from ._vmath import prefetch as _prefetch

__all__ = [
    "BINOMIAL",
    "GAUSSIAN",
    "MULTINOMIAL",
    "OVR",
    "POISSON",
    "TILE",
    "diagonal_sweep",
    "in_blocks",
    "multinomial_sweep",
    "padded_width",
]

GAUSSIAN, BINOMIAL, POISSON, OVR, MULTINOMIAL = 0, 1, 2, 3, 4

_LINE = 64  # bytes per cache line


def asks_for_lines(cpu: str) -> bool:
    """Whether a sweep compiled for ``cpu`` prefetches its next tile itself. On an Intel Xeon
    the hardware prefetcher alone left each tile's read exposed (a pass over out-of-cache data
    took the in-cache compute time plus the read). On AMD Zen 4 the same prefetch instructions
    doubled the time to load the tiles of 1e6 x 20 rows from memory (5.4 -> 11-13 ms, every
    distance and cache level tried) and made a binary sweep 1.5x slower, so AMD's Zen cores
    are left to their hardware prefetcher (measured on Zen 4 only;
    ``benchmarks/results/pass_floor.md``)."""
    return not cpu.startswith("znver")


#: Fixed when the sweeps compile (they are cached per CPU name: :func:`target_cpu`).
SOFTWARE_PREFETCH = asks_for_lines(target_cpu())

#: Rows per tile: the tile of X (10 KiB at 20 float64 features) and the tile's predictors stay
#: in L1 between the predictor, link, Gram and gradient loops (the Gram's tile width).
TILE = GRAM_TILE

_jit = _compiled(fastmath=FASTMATH, error_model="numpy")
_inline = _compiled(fastmath=FASTMATH, error_model="numpy", inline="always")


# --------------------------------------------------------------------------------------------
# the tile: predictors and gradient sums
# --------------------------------------------------------------------------------------------


def padded_width(n_features: int) -> int:
    """Columns of a tile: the features, the intercept's column of ones, zeros up to a multiple
    of 8 (LLVM's loops over the columns then run no scalar remainder)."""
    return -(-(n_features + 1) // 8) * 8


@_inline
def _load_tile(X, start, nt, Xt):  # pragma: no cover - compiled
    """Copy rows ``start .. start+nt`` of X (any float dtype) into the float64 tile, and ask
    for the next tile's cache lines where that helps (:data:`SOFTWARE_PREFETCH`)."""
    n, p = X.shape
    if SOFTWARE_PREFETCH:
        flat = X.reshape(-1)
        ahead = (start + TILE) * p
        stop = min((start + 2 * TILE) * p, n * p)
        for j in range(ahead, stop, _LINE // X.itemsize):
            _prefetch(flat, j)
    rows = X[start : start + nt]  # a view: its index t >= 0 needs no wraparound
    for t in range(nt):
        for f in range(p):
            Xt[t, f] = rows[t, f]


@_inline
def in_blocks(rows):  # pragma: no cover - compiled
    """``rows`` rounded up to a multiple of 4 when that adds one row: the predictor and
    gradient loops run 4 rows of W at a time, and 3 rows left over cost more one by one than
    a whole block whose fourth row is zeros (1 or 2 cost less; measured on 166,667 x 20).
    """
    return rows + 1 if rows % 4 == 3 else rows


@_jit
def _predictors(Xt, nt, W, E):  # pragma: no cover - compiled
    """``E[c, t] = Xt[t] . W[c]`` for the ``nt`` rows of the tile (intercepts included: the
    tile's column of ones meets them in W)."""
    C, P = W.shape
    body = nt - nt % 4
    cb = C - C % 4
    for c in range(0, cb, 4):
        for t in range(0, body, 4):
            g00 = g01 = g02 = g03 = g10 = g11 = g12 = g13 = 0.0
            g20 = g21 = g22 = g23 = g30 = g31 = g32 = g33 = 0.0
            for f in range(P):
                a0 = W[c, f]
                a1 = W[c + 1, f]
                a2 = W[c + 2, f]
                a3 = W[c + 3, f]
                x0 = Xt[t, f]
                x1 = Xt[t + 1, f]
                x2 = Xt[t + 2, f]
                x3 = Xt[t + 3, f]
                g00 += x0 * a0
                g01 += x0 * a1
                g02 += x0 * a2
                g03 += x0 * a3
                g10 += x1 * a0
                g11 += x1 * a1
                g12 += x1 * a2
                g13 += x1 * a3
                g20 += x2 * a0
                g21 += x2 * a1
                g22 += x2 * a2
                g23 += x2 * a3
                g30 += x3 * a0
                g31 += x3 * a1
                g32 += x3 * a2
                g33 += x3 * a3
            E[c, t], E[c + 1, t], E[c + 2, t], E[c + 3, t] = g00, g01, g02, g03
            E[c, t + 1], E[c + 1, t + 1], E[c + 2, t + 1], E[c + 3, t + 1] = g10, g11, g12, g13
            E[c, t + 2], E[c + 1, t + 2], E[c + 2, t + 2], E[c + 3, t + 2] = g20, g21, g22, g23
            E[c, t + 3], E[c + 1, t + 3], E[c + 2, t + 3], E[c + 3, t + 3] = g30, g31, g32, g33
        for t in range(body, nt):
            g0 = g1 = g2 = g3 = 0.0
            for f in range(P):
                x = Xt[t, f]
                g0 += x * W[c, f]
                g1 += x * W[c + 1, f]
                g2 += x * W[c + 2, f]
                g3 += x * W[c + 3, f]
            E[c, t], E[c + 1, t], E[c + 2, t], E[c + 3, t] = g0, g1, g2, g3
    for c in range(cb, C):
        for t in range(0, body, 4):
            g0 = g1 = g2 = g3 = 0.0
            for f in range(P):
                a = W[c, f]
                g0 += Xt[t, f] * a
                g1 += Xt[t + 1, f] * a
                g2 += Xt[t + 2, f] * a
                g3 += Xt[t + 3, f] * a
            E[c, t], E[c, t + 1], E[c, t + 2], E[c, t + 3] = g0, g1, g2, g3
        for t in range(body, nt):
            g = 0.0
            for f in range(P):
                g += Xt[t, f] * W[c, f]
            E[c, t] = g


@_jit
def _add_gradients(Xt, nt, R, n_cols, G):  # pragma: no cover - compiled
    """``G[c] += sum_t R[c, t] Xt[t]`` for c < n_cols (the intercepts' sums in the column of
    ones): 4 columns x 4 rows per step, then a pair of columns and single columns 8 rows per
    step."""
    P = Xt.shape[1]
    cb = n_cols - n_cols % 4
    body4 = nt - nt % 4
    for c in range(0, cb, 4):
        for t in range(0, body4, 4):
            r00, r01, r02, r03 = R[c, t], R[c, t + 1], R[c, t + 2], R[c, t + 3]
            r10, r11, r12, r13 = R[c + 1, t], R[c + 1, t + 1], R[c + 1, t + 2], R[c + 1, t + 3]
            r20, r21, r22, r23 = R[c + 2, t], R[c + 2, t + 1], R[c + 2, t + 2], R[c + 2, t + 3]
            r30, r31, r32, r33 = R[c + 3, t], R[c + 3, t + 1], R[c + 3, t + 2], R[c + 3, t + 3]
            for f in range(P):
                x0 = Xt[t, f]
                x1 = Xt[t + 1, f]
                x2 = Xt[t + 2, f]
                x3 = Xt[t + 3, f]
                G[c, f] += (r00 * x0 + r01 * x1) + (r02 * x2 + r03 * x3)
                G[c + 1, f] += (r10 * x0 + r11 * x1) + (r12 * x2 + r13 * x3)
                G[c + 2, f] += (r20 * x0 + r21 * x1) + (r22 * x2 + r23 * x3)
                G[c + 3, f] += (r30 * x0 + r31 * x1) + (r32 * x2 + r33 * x3)
        for t in range(body4, nt):
            r0, r1, r2, r3 = R[c, t], R[c + 1, t], R[c + 2, t], R[c + 3, t]
            for f in range(P):
                x = Xt[t, f]
                G[c, f] += r0 * x
                G[c + 1, f] += r1 * x
                G[c + 2, f] += r2 * x
                G[c + 3, f] += r3 * x
    body8 = nt - nt % 8
    if n_cols - cb >= 2:  # a pair of columns shares its rows' loads (two points of one output)
        c = cb
        cb += 2
        for t in range(0, body8, 8):
            r0, r1, r2, r3 = R[c, t], R[c, t + 1], R[c, t + 2], R[c, t + 3]
            r4, r5, r6, r7 = R[c, t + 4], R[c, t + 5], R[c, t + 6], R[c, t + 7]
            q0, q1, q2, q3 = R[c + 1, t], R[c + 1, t + 1], R[c + 1, t + 2], R[c + 1, t + 3]
            q4, q5, q6, q7 = R[c + 1, t + 4], R[c + 1, t + 5], R[c + 1, t + 6], R[c + 1, t + 7]
            for f in range(P):
                x0, x1, x2, x3 = Xt[t, f], Xt[t + 1, f], Xt[t + 2, f], Xt[t + 3, f]
                x4, x5, x6, x7 = Xt[t + 4, f], Xt[t + 5, f], Xt[t + 6, f], Xt[t + 7, f]
                G[c, f] += ((r0 * x0 + r1 * x1) + (r2 * x2 + r3 * x3)) + (
                    (r4 * x4 + r5 * x5) + (r6 * x6 + r7 * x7)
                )
                G[c + 1, f] += ((q0 * x0 + q1 * x1) + (q2 * x2 + q3 * x3)) + (
                    (q4 * x4 + q5 * x5) + (q6 * x6 + q7 * x7)
                )
        for t in range(body8, nt):
            r, q = R[c, t], R[c + 1, t]
            for f in range(P):
                G[c, f] += r * Xt[t, f]
                G[c + 1, f] += q * Xt[t, f]
    for c in range(cb, n_cols):
        for t in range(0, body8, 8):
            r0, r1, r2, r3 = R[c, t], R[c, t + 1], R[c, t + 2], R[c, t + 3]
            r4, r5, r6, r7 = R[c, t + 4], R[c, t + 5], R[c, t + 6], R[c, t + 7]
            for f in range(P):
                G[c, f] += (
                    (r0 * Xt[t, f] + r1 * Xt[t + 1, f]) + (r2 * Xt[t + 2, f] + r3 * Xt[t + 3, f])
                ) + (
                    (r4 * Xt[t + 4, f] + r5 * Xt[t + 5, f])
                    + (r6 * Xt[t + 6, f] + r7 * Xt[t + 7, f])
                )
        for t in range(body8, nt):
            r = R[c, t]
            for f in range(P):
                G[c, f] += r * Xt[t, f]


@_inline
def _new_tile(p, P, one):  # pragma: no cover - compiled
    Xt = np.zeros((TILE, P))
    for t in range(TILE):
        Xt[t, p] = one
    return Xt


# --------------------------------------------------------------------------------------------
# the sweeps
# --------------------------------------------------------------------------------------------


@_jit
def _logistic_link(E, c, y, sw, nt, k, ovr, curv):  # pragma: no cover - compiled
    """Binomial loss of row ``c`` of the tile's predictors (one-vs-rest: of class ``k`` when
    ``ovr``); overwrites it with the residuals, writes the curvature to ``curv[k]``.

    ``y`` and ``sw`` are the tile's own rows (views from row 0): an index ``start + t`` into
    the block's arrays could be negative as far as LLVM knows, and the wraparound it then
    checks for turns each vectorised load into a gather (``benchmarks/results/pass_floor.md``,
    stop 38)."""
    total = 0.0
    weighted = sw.shape[0] > 0
    for t in range(nt):
        eta = E[c, t]
        if ovr:
            target = 1.0 if y[t] == k else 0.0
        else:
            target = y[t]
        e = _exp(-abs(eta))
        u = 1.0 + e
        loss = max(eta, 0.0) + _log(u) - target * eta
        prob = (1.0 if eta >= 0.0 else e) / u
        h = prob * (1.0 - prob)
        r = prob - target
        if weighted:
            loss *= sw[t]
            r *= sw[t]
            h *= sw[t]
        total += loss
        E[c, t] = r
        curv[k, t] = h
    return total


@_jit
def _poisson_link(E, c, y, sw, nt, k, curv):  # pragma: no cover - compiled
    """As :func:`_logistic_link`, for the Poisson loss with the log link."""
    total = 0.0
    weighted = sw.shape[0] > 0
    for t in range(nt):
        eta = E[c, t]
        target = y[t]
        mu = _exp(eta)
        loss = mu - target * eta
        r = mu - target
        h = mu
        if weighted:
            loss *= sw[t]
            r *= sw[t]
            h *= sw[t]
        total += loss
        E[c, t] = r
        curv[k, t] = h
    return total


@_jit
def _gaussian_link(E, c, y, sw, nt, k, curv):  # pragma: no cover - compiled
    """As :func:`_logistic_link`, for half the squared error."""
    total = 0.0
    weighted = sw.shape[0] > 0
    for t in range(nt):
        r = E[c, t] - y[t]
        loss = 0.5 * r * r
        h = 1.0
        if weighted:
            loss *= sw[t]
            r *= sw[t]
            h = sw[t]
        total += loss
        E[c, t] = r
        curv[k, t] = h
    return total


#: The largest softmax denominator ``1 + Σ e^η`` taken as it is (e^690): above it (an η near
#: the overflow of e^η) a tile's probabilities are computed with each row's largest predictor
#: subtracted first.
_NORM_LIMIT = 1e300


@_inline
def _exponentials(E, c0, K, y, nt, prob, norm, picked):  # pragma: no cover - compiled
    """``prob[k] = e^η_k`` for classes 1..K-1 (class 0's is e^0 = 1, left to the caller),
    ``norm = 1 + Σ_k e^η_k`` and ``picked`` the predictor of each row's class; returns the
    tile's largest ``norm`` (inf when one overflowed)."""
    for t in range(nt):
        norm[t] = 1.0
        picked[t] = 0.0
    for k in range(1, K):
        for t in range(nt):
            eta = E[c0 + k - 1, t]
            e = _exp(eta)
            prob[k, t] = e
            norm[t] += e
            picked[t] += eta if y[t] == k else 0.0
    largest = 0.0
    for t in range(nt):
        largest = max(largest, norm[t])
    return largest


@_inline
def _shifted_exponentials(E, c0, K, y, nt, prob, top, norm, picked):  # pragma: no cover
    """As :func:`_exponentials` with each row's largest predictor (0 included) ``top``
    subtracted first: no exponential overflows; ``prob[0] = e^-top``."""
    for t in range(nt):
        top[t] = 0.0
    for k in range(1, K):
        for t in range(nt):
            top[t] = max(top[t], E[c0 + k - 1, t])
    for t in range(nt):
        e = _exp(-top[t])
        prob[0, t] = e
        norm[t] = e
        picked[t] = 0.0
    for k in range(1, K):
        for t in range(nt):
            eta = E[c0 + k - 1, t]
            e = _exp(eta - top[t])
            prob[k, t] = e
            norm[t] += e
            picked[t] += eta if y[t] == k else 0.0


@_jit
def _softmax_link(E, c0, K, y, sw, nt, prob, top, norm, picked):  # pragma: no cover - compiled
    """Multinomial loss of the tile's rows, from the predictors of classes 1..K-1 relative to
    class 0 (rows ``c0 .. c0+K-2`` of ``E``; class 0's is 0: the softmax does not change when
    every class's predictor moves by the same amount); overwrites them with the residuals of
    classes 1..K-1 and ``prob`` with the probabilities of all K.

    The exponentials are taken of the predictors as they are (:func:`_exponentials`); a tile
    whose denominator passes :data:`_NORM_LIMIT` takes them again with each row's largest
    predictor subtracted (:func:`_shifted_exponentials`). Both round alike (the loss to
    ``ulp(max η)``); the first skips the row maxima and class 0's exponential."""
    weighted = sw.shape[0] > 0
    shifted = not _exponentials(E, c0, K, y, nt, prob, norm, picked) < _NORM_LIMIT
    if shifted:
        _shifted_exponentials(E, c0, K, y, nt, prob, top, norm, picked)
    total = 0.0
    for t in range(nt):
        loss = _log(norm[t]) - picked[t]
        if shifted:
            loss += top[t]
        if weighted:
            loss *= sw[t]
        total += loss
        norm[t] = 1.0 / norm[t]
    if shifted:
        for t in range(nt):
            prob[0, t] *= norm[t]
    else:
        for t in range(nt):
            prob[0, t] = norm[t]
    for k in range(1, K):
        for t in range(nt):
            pk = prob[k, t] * norm[t]
            prob[k, t] = pk
            r = pk - (1.0 if y[t] == k else 0.0)
            if weighted:
                r *= sw[t]
            E[c0 + k - 1, t] = r
    return total


@_inline
def _add_grams(XT, c, width, unit, ST, Hs):  # pragma: no cover - compiled
    """``Hs[k] += Σ_t c[k, t] XT[:, t] XT[:, t]ᵀ`` for each output k (``unit``: every weight
    is 1)."""
    for k in range(Hs.shape[0]):
        if unit:
            add_tile_gram(XT, XT, width, Hs[k])
        else:
            scale_tile(XT, c[k], width, ST)
            add_tile_gram(ST, XT, width, Hs[k])


@_jit
def diagonal_sweep(
    X, y, sw, W, one, code, K, n_grad, stride, losses, G, Hs
):  # pragma: no cover - compiled
    """Losses, gradients and Hessian of a family whose curvature is diagonal in the outputs
    (gaussian, binomial, poisson, one-vs-rest with ``K`` outputs).

    ``W`` (at least m·K rows, the rest zeros: :func:`in_blocks`) holds the coefficients of
    the m points of ``losses``, K rows each, padded to ``P = padded_width(p)`` columns, the
    intercepts in column p (``one``: 1.0 with an intercept, else 0.0). Adds each point's
    weighted loss sum to ``losses[j]`` and the gradients of the first ``n_grad`` points to the
    first n_grad·K rows of ``G`` (rows past them take sums to discard; intercepts in column p).
    Unless ``Hs`` is empty, adds the Hessian at point 0 of the rows ``i % stride == 0`` to
    ``Hs`` (K, P, P; its upper triangle): every tile's rows, or the sampled rows gathered
    (transposed) into a tile of their own, whose weighted Gram is added when it is full.
    """
    n, p = X.shape
    C, P = W.shape
    m = losses.shape[0]
    Xt = _new_tile(p, P, one)
    E = np.empty((C, TILE))
    curv = np.zeros((K, TILE))
    gram = Hs.shape[1] > 0
    width = p + 1
    XT = np.zeros((P, TILE))  # the tile's rows (stride 1) or the sampled rows, transposed
    R = np.zeros((TILE, P))  # the sampled rows as they are held, one row each
    cs = np.zeros((K, TILE))  # the sampled rows' curvature
    ST = np.empty((P, TILE))
    held = 0  # sampled rows in R
    unit = code == GAUSSIAN and sw.shape[0] == 0  # every row's curvature is 1
    for start in range(0, n, TILE):
        nt = min(TILE, n - start)
        _load_tile(X, start, nt, Xt)
        yt = y[start : start + nt]  # the tile's own rows (:func:`_logistic_link`)
        swt = sw[start : start + nt]  # (empty when sw is)
        _predictors(Xt, nt, W, E)
        for j in range(m):
            total = 0.0
            for k in range(K):
                c = j * K + k
                if code == BINOMIAL or code == OVR:
                    total += _logistic_link(E, c, yt, swt, nt, k, code == OVR, curv)
                elif code == POISSON:
                    total += _poisson_link(E, c, yt, swt, nt, k, curv)
                else:
                    total += _gaussian_link(E, c, yt, swt, nt, k, curv)
            losses[j] += total
            if j == 0 and gram and stride == 1:
                transpose_tile(Xt, nt, width, XT)
                _add_grams(XT, curv, width, unit, ST, Hs)
            elif j == 0 and gram:
                for i in range(start + (-start) % stride, start + nt, stride):
                    hold_row(Xt, i - start, width, curv, R, cs, held)
                    held += 1
                    if held == TILE:
                        transpose_tile(R, TILE, width, XT)
                        _add_grams(XT, cs, width, unit, ST, Hs)
                        held = 0
        _add_gradients(Xt, nt, E, G.shape[0], G)
    if held:
        transpose_tile(R, held, width, XT)
        _add_grams(XT, cs, width, unit, ST, Hs)


@_inline
def _add_pair_grams(XT, prob, sw, weighted, width, wt, ST, Hs):  # pragma: no cover - compiled
    """Add to ``Hs[j]`` the Gram of the tile's rows weighted by ``sw·P_k (1 - P_k)`` (``k = m``)
    or ``-sw·P_k P_m``, for the j-th pair of classes ``k <= m`` in order: the blocks of the
    multinomial Hessian ``Σ sw (diag(P) - P Pᵀ) ⊗ z zᵀ``. The diagonal blocks' weights are
    computed directly, so they keep their precision where ``P_k`` is near 1."""
    K = prob.shape[0]
    j = 0
    for k in range(K):
        for m in range(k, K):
            for t in range(TILE):
                if k == m:
                    w = prob[k, t] * (1.0 - prob[k, t])
                else:
                    w = -prob[k, t] * prob[m, t]
                wt[t] = w * sw[t] if weighted else w
            scale_tile(XT, wt, width, ST)
            add_tile_gram(ST, XT, width, Hs[j])
            j += 1


@_jit
def multinomial_sweep(
    X, y, sw, W, one, K, n_grad, stride, losses, G, Hs
):  # pragma: no cover - compiled
    """Losses, gradients and Hessian of softmax regression over ``K`` classes.

    As :func:`diagonal_sweep`, with ``y`` the class codes 0..K-1. Unless ``Hs`` is empty, adds
    the Hessian at point 0 of the rows ``i % stride == 0`` (``sw (diag(P) - P Pᵀ) ⊗ z zᵀ``) to
    ``Hs`` (one (P, P) block per pair of classes ``k <= m``, upper triangles): every tile's
    rows, or the sampled rows gathered into a tile of their own.

    Only K-1 predictors and K-1 gradients are summed per row: the predictors of classes
    1..K-1 relative to class 0 (``x·(w_k - w_0)``: the softmax is the same), and class 0's
    gradient is minus the sum of the others' (each row's residuals sum to 0). With 5 classes
    the rows' multiply-adds then fill whole 4 x 4 register blocks.
    """
    n, p = X.shape
    C, P = W.shape
    m = C // K
    Kd = K - 1
    rows = in_blocks(m * Kd)
    Wd = np.zeros((rows, P))  # rows past m * Kd stay 0, and so do their predictors
    for j in range(m):
        for k in range(1, K):
            for f in range(P):
                Wd[j * Kd + k - 1, f] = W[j * K + k, f] - W[j * K, f]
    n_sums = min(in_blocks(n_grad * Kd), rows)
    Gd = np.zeros((n_sums, P))
    Xt = _new_tile(p, P, one)
    E = np.empty((rows, TILE))
    prob = np.zeros((K, TILE))
    top = np.empty(TILE)
    norm = np.empty(TILE)
    picked = np.empty(TILE)
    gram = Hs.shape[1] > 0
    weighted = sw.shape[0] > 0
    width = p + 1
    XT = np.zeros((P, TILE))  # the tile's rows (stride 1) or the sampled rows, transposed
    R = np.zeros((TILE, P))  # the sampled rows as they are held, one row each
    ps = np.zeros((K, TILE))  # the sampled rows' probabilities
    ws = np.ones(TILE)  # and weights
    wt = np.empty(TILE)
    ST = np.empty((P, TILE))
    held = 0
    for start in range(0, n, TILE):
        nt = min(TILE, n - start)
        _load_tile(X, start, nt, Xt)
        yt = y[start : start + nt]  # the tile's own rows (:func:`_logistic_link`)
        swt = sw[start : start + nt]  # (empty when sw is)
        _predictors(Xt, nt, Wd, E)
        for j in range(m):
            losses[j] += _softmax_link(E, j * Kd, K, yt, swt, nt, prob, top, norm, picked)
            if j == 0 and gram and stride == 1:
                transpose_tile(Xt, nt, width, XT)
                if weighted:
                    for t in range(nt):
                        ws[t] = swt[t]
                _add_pair_grams(XT, prob, ws, weighted, width, wt, ST, Hs)
            elif j == 0 and gram:
                for i in range(start + (-start) % stride, start + nt, stride):
                    hold_row(Xt, i - start, width, prob, R, ps, held)
                    if weighted:
                        ws[held] = sw[i]
                    held += 1
                    if held == TILE:
                        transpose_tile(R, TILE, width, XT)
                        _add_pair_grams(XT, ps, ws, weighted, width, wt, ST, Hs)
                        held = 0
        _add_gradients(Xt, nt, E, n_sums, Gd)
    if held:
        transpose_tile(R, held, width, XT)
        _add_pair_grams(XT, ps, ws, weighted, width, wt, ST, Hs)
    for j in range(n_grad):
        for f in range(P):
            g0 = 0.0
            for k in range(1, K):
                g = Gd[j * Kd + k - 1, f]
                G[j * K + k, f] += g
                g0 -= g
            G[j * K, f] += g0
