"""Weighted k-means of points in memory, compiled (Numba): KMeans' re-clustering.

k-means|| ends with a few thousand weighted points (its samples of rows, each standing for a
share of a candidate's cell) that hold the whole problem in small; their k-means, run many
times from scikit-learn's greedy k-means++ seeding, gives the fit's starting centers
(:func:`dasklearn.cluster._kmeans_kernels.recluster`). The runs are independent and release
the GIL, so they run on threads.
"""

from __future__ import annotations

import concurrent.futures as cf
from typing import Any

import numpy as np

from ._nearest import _add_row, _inline, _jit, _sq_distance

__all__ = ["coreset_kmeans"]


@_jit
def _coreset_seeds(P, w, k, u0, U, centers):  # pragma: no cover - compiled
    """Greedy weighted k-means++ on the points ``P`` (scikit-learn's rule: of
    ``U.shape[1]`` candidates drawn with probability proportional to ``w * D^2``, keep the one
    that lowers the potential most). ``u0`` and ``U`` are the uniform draws. One sweep a step
    measures every candidate (their distance sums are independent chains, which the core
    overlaps) and keeps their distances for the update."""
    m, d = P.shape
    trials = U.shape[1]
    closest = np.empty(m)
    dist = np.empty((trials, m))
    picks = np.empty(trials, dtype=np.int64)
    new_pot = np.empty(trials)
    total = 0.0
    for i in range(m):
        total += w[i]
    first = _weighted_index(w, None, u0 * total)
    for i in range(m):
        closest[i] = _sq_distance(P, i, P, first)
    centers[0] = P[first]
    for c in range(1, k):
        pot = 0.0
        for i in range(m):
            pot += w[i] * closest[i]
        for t in range(trials):
            picks[t] = _weighted_index(w, closest, U[c - 1, t] * pot)
            new_pot[t] = 0.0
        for i in range(m):
            for t in range(trials):
                s = _sq_distance(P, i, P, picks[t])
                dist[t, i] = s
                new_pot[t] += w[i] * (s if s < closest[i] else closest[i])
        best = 0
        for t in range(1, trials):
            if new_pot[t] < new_pot[best]:
                best = t
        centers[c] = P[picks[best]]
        for i in range(m):
            if dist[best, i] < closest[i]:
                closest[i] = dist[best, i]


@_inline
def _weighted_index(w, d2, r):  # pragma: no cover - compiled
    """The first index whose running sum of ``w`` (times ``d2`` unless None) exceeds ``r``."""
    acc = 0.0
    last = 0
    for i in range(w.shape[0]):
        p = w[i] if d2 is None else w[i] * d2[i]
        if p > 0.0:
            last = i
            acc += p
            if acc > r:
                return i
    return last


@_inline
def _two_nearest(P, i, centers, out):  # pragma: no cover - compiled
    """The nearest center of point ``i``, its squared distance and the second smallest (of
    every center; ``out`` is scratch of length k). Ties keep the lowest index."""
    k, d = centers.shape
    body = k - k % 4
    for j in range(0, body, 4):  # four independent sums: the core overlaps them
        s0 = s1 = s2 = s3 = 0.0
        for f in range(d):
            x = P[i, f]
            t0, t1 = x - centers[j, f], x - centers[j + 1, f]
            t2, t3 = x - centers[j + 2, f], x - centers[j + 3, f]
            s0 += t0 * t0
            s1 += t1 * t1
            s2 += t2 * t2
            s3 += t3 * t3
        out[j], out[j + 1], out[j + 2], out[j + 3] = s0, s1, s2, s3
    for j in range(body, k):
        out[j] = _sq_distance(P, i, centers, j)
    best, second, bj = np.inf, np.inf, 0
    for j in range(k):
        if out[j] < best:
            second, best, bj = best, out[j], j
        elif out[j] < second:
            second = out[j]
    return bj, best, second


@_jit
def _coreset_lloyd(P, w, centers, max_iter, tol):  # pragma: no cover - compiled
    """Weighted Lloyd on the points ``P`` from ``centers`` (updated in place) until no label
    changes or the centers move less than ``tol`` in all (squared; scikit-learn's rule); an
    empty cluster moves to the point of largest ``w * D^2``. Returns the cost of the
    centers.

    Hamerly's bounds skip most distances after the first iterations (the same labels as
    measuring every distance, but for exact ties): each point keeps an upper bound on its
    distance to its center and a lower bound on its distance to any other; a point whose
    upper bound is below the lower one, or below half its center's distance to the nearest
    other center, keeps its label unmeasured. Moving the centers loosens the bounds by how far
    they moved. The clusters' sums follow the points that change cluster instead of being
    added up again every iteration (the same centers to about 1e-15)."""
    m, d = P.shape
    k = centers.shape[0]
    labels = np.full(m, -1, dtype=np.int64)
    upper = np.empty(m)
    lower = np.zeros(m)
    scratch = np.empty(k)
    half = np.empty(k)
    moved = np.empty(k)
    old = np.empty((k, d))
    sums = np.zeros((k, d))
    weights = np.zeros(k)
    counts = np.zeros(k, dtype=np.int64)
    settled = False
    for it in range(max_iter + 1):
        for j in range(k):
            near = np.inf
            for o in range(k):
                if o != j:
                    near = min(near, _sq_distance(centers, j, centers, o))
            half[j] = 0.5 * np.sqrt(near)
        changed = 0
        for i in range(m):
            a = labels[i]
            if a >= 0:
                bound = max(half[a], lower[i])
                if upper[i] <= bound:
                    continue
                upper[i] = np.sqrt(_sq_distance(P, i, centers, a))
                if upper[i] <= bound:
                    continue
            bj, best, second = _two_nearest(P, i, centers, scratch)
            upper[i], lower[i] = np.sqrt(best), np.sqrt(second)
            if bj != a:
                labels[i] = bj
                changed += 1
                if a >= 0:
                    _move_row(P, i, w[i], a, bj, sums, weights)
                    counts[a] -= 1
                else:
                    _add_row(P, i, w, bj, sums, weights)
                counts[bj] += 1
        if changed == 0 or settled or it == max_iter:
            break
        for j in range(k):
            if counts[j] == 0:  # no rounding residue in an emptied cluster's sums
                sums[j] = 0.0
                weights[j] = 0.0
        old[:] = centers
        shift = 0.0
        for j in range(k):
            if counts[j] > 0:
                for f in range(d):
                    c = sums[j, f] / weights[j]
                    shift += (c - centers[j, f]) ** 2
                    centers[j, f] = c
        if counts.min() == 0:
            shift = np.inf
            _refill_empty(P, w, old, labels, counts, centers)
        first = second = 0.0  # the two largest moves
        for j in range(k):
            moved[j] = np.sqrt(_sq_distance(centers, j, old, j))
            if moved[j] > first:
                second, first = first, moved[j]
            elif moved[j] > second:
                second = moved[j]
        for i in range(m):
            a = labels[i]
            upper[i] += moved[a]
            lower[i] -= second if moved[a] == first else first
        settled = shift <= tol  # one more assignment gives the cost of the moved centers
    cost = 0.0
    for i in range(m):
        cost += w[i] * _sq_distance(P, i, centers, labels[i])
    return cost


@_inline
def _move_row(P, i, wi, a, b, sums, weights):  # pragma: no cover - compiled
    """Point ``i`` (weight ``wi``) leaves cluster ``a``'s sums for cluster ``b``'s."""
    weights[a] -= wi
    weights[b] += wi
    for f in range(P.shape[1]):
        x = wi * P[i, f]
        sums[a, f] -= x
        sums[b, f] += x


@_inline
def _refill_empty(P, w, old, labels, counts, centers):  # pragma: no cover - compiled
    """Each empty cluster's center moves to the point of largest ``w * D^2`` (D: its
    distance to its center before the move), one point per empty cluster."""
    m = P.shape[0]
    dist = np.empty(m)
    for i in range(m):
        dist[i] = _sq_distance(P, i, old, labels[i])
    for j in range(centers.shape[0]):
        if counts[j] == 0:
            far = 0
            for i in range(m):
                if w[i] * dist[i] > w[far] * dist[far]:
                    far = i
            centers[j] = P[far]
            dist[far] = 0.0


#: The re-clustering's Lloyd stops when its centers move less than this times the points'
#: mean variance per feature (scikit-learn's default ``tol``); the fit's own Lloyd iterations
#: on X follow.
_LLOYD_TOL = 1e-4


def coreset_kmeans(
    P: np.ndarray,
    w: np.ndarray,
    k: int,
    rng: np.random.Generator,
    n_init: int,
    max_iter: int,
    threads: int = 1,
    start: np.ndarray | None = None,
    max_init: int | None = None,
) -> tuple[np.ndarray, float]:
    """The best of weighted k-means runs (greedy k-means++, then Lloyd) on weighted points,
    and of one more run of Lloyd from ``start`` when given: the centers and their weighted
    cost.

    ``n_init`` runs, then, up to ``max_init`` runs in all, batches of ``n_init`` more until at
    least half of the runs (``start``'s included) ended at the lowest cost (within
    :data:`_SAME_COST`): where most runs find the same optimum the first batch is enough;
    where the runs end in as many local optima as there are runs (skewed, correlated data),
    more runs find a better one. The draws come from ``rng``, in the runs' order, and the first
    run of the lowest cost wins (``start``'s first): the result does not depend on
    ``threads``, the runs' parallelism (the kernels release the GIL)."""
    P = np.ascontiguousarray(P, dtype=np.float64)
    w = np.ascontiguousarray(w, dtype=np.float64)
    trials = 2 + int(np.log(k))
    mean = w @ P / w.sum()
    tol = _LLOYD_TOL * float((w @ (P - mean) ** 2).sum()) / (w.sum() * P.shape[1])
    max_init = n_init if max_init is None else max(max_init, n_init)

    def run(draw: Any) -> tuple[np.ndarray, float]:
        if isinstance(draw, np.ndarray):
            centers = draw.copy()
        else:
            centers = np.empty((k, P.shape[1]))
            _coreset_seeds(P, w, k, draw[0], draw[1], centers)
        return centers, _coreset_lloyd(P, w, centers, max_iter, tol)

    pool = cf.ThreadPoolExecutor(threads) if threads > 1 else None
    runs: list = []
    drawn = 0
    try:
        while True:
            batch: list = [] if runs or start is None else [np.array(start, dtype=np.float64)]
            size = min(n_init, max_init - drawn)
            batch += [(rng.random(), rng.random((max(k - 1, 1), trials))) for _ in range(size)]
            drawn += size
            runs += list(map(run, batch) if pool is None else pool.map(run, batch))
            costs = np.array([cost for _, cost in runs])
            agreeing = int((costs <= costs.min() * (1 + _SAME_COST)).sum())
            if drawn >= max_init or 2 * agreeing >= len(runs):
                break
    finally:
        if pool is not None:
            pool.shutdown()
    return runs[int(np.argmin(costs))]


#: Runs whose costs differ by less than this (relative) ended at the same optimum: Lloyd
#: stops at a tolerance, so the same optimum's cost varies in the last digits.
_SAME_COST = 1e-5
