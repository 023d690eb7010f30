"""Per-block moments and their exact merges, in one place (no dask).

Every one-pass fit that needs a mean and a variance (scalers, naive Bayes, scores) computes
them per block and merges two blocks' (weight, mean, sum of squared deviations) with Chan,
Golub and LeVeque's update, which stays accurate where the naive sum of squares cancels (data
far from the origin)::

    n = n_a + n_b,   delta = mean_b - mean_a
    mean = mean_a + delta * n_b / n
    m2 = m2_a + m2_b + delta**2 * n_a * n_b / n
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._compiled import compiled

__all__ = ["grouped_moments", "merge_moments"]

#: Rows per sub-block: 512 rows of 20 float64 are 80 KiB (in L2), read twice (mean, then the
#: deviations from it) and merged into the running totals.
_SUB_ROWS = 512


def merge_moments(
    n_a: Any, mean_a: np.ndarray, m2_a: np.ndarray, n_b: Any, mean_b: np.ndarray, m2_b: Any
) -> tuple[Any, np.ndarray, np.ndarray]:
    """Weight, mean and sum of squared deviations of two groups together.

    ``n_a``, ``n_b`` (weights or counts) are scalars or arrays; means and sums of squares have
    their shape, or one more trailing axis (per feature). An empty group (weight 0) leaves the
    other as it is, even when its own mean is NaN.

    Parameters
    ----------
    n_a, mean_a, m2_a : the first group's weight, mean and sum of squared deviations
    n_b, mean_b, m2_b : the second group's

    Returns
    -------
    (n, mean, m2)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2.0, 3.0, 10.0])
    >>> n, mean, m2 = merge_moments(3.0, x[:3].mean(), x[:3].var() * 3, 1.0, 10.0, 0.0)
    >>> float(mean), float(m2 / n) == float(x.var())
    (4.0, True)
    """
    n_a = np.asarray(n_a, dtype=np.float64)
    n_b = np.asarray(n_b, dtype=np.float64)
    n = n_a + n_b
    extra = np.ndim(mean_a) - n.ndim
    expand = (...,) + (None,) * extra
    with np.errstate(divide="ignore", invalid="ignore"):
        share_b = np.where(n > 0, n_b / np.where(n > 0, n, 1.0), 0.0)[expand]
        delta = mean_b - mean_a
        mean = mean_a + delta * share_b
        m2 = m2_a + m2_b + delta * delta * (n_a[expand] * share_b)
    a_empty, b_empty = (n_a <= 0)[expand], (n_b <= 0)[expand]
    mean = np.where(a_empty, mean_b, np.where(b_empty, mean_a, mean))
    m2 = np.where(a_empty, m2_b, np.where(b_empty, m2_a, m2))
    return n, mean, m2


@compiled()
def _grouped(X, codes, w, weighted, k, rows):  # pragma: no cover - compiled
    n, d = X.shape
    total = np.zeros(k)
    mean = np.zeros((k, d))
    m2 = np.zeros((k, d))
    s = np.empty((k, d))
    cnt = np.empty(k)
    mb = np.zeros((k, d))
    c = np.empty((k, d))
    q = np.empty((k, d))
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        s[:] = 0.0
        cnt[:] = 0.0
        for i in range(start, stop):
            g = codes[i]
            wi = w[i] if weighted else 1.0
            cnt[g] += wi
            for j in range(d):
                s[g, j] += wi * X[i, j]
        for g in range(k):
            if cnt[g] > 0:
                for j in range(d):
                    mb[g, j] = s[g, j] / cnt[g]
        c[:] = 0.0
        q[:] = 0.0
        for i in range(start, stop):
            g = codes[i]
            wi = w[i] if weighted else 1.0
            for j in range(d):
                t = X[i, j] - mb[g, j]
                c[g, j] += wi * t
                q[g, j] += wi * t * t
        for g in range(k):
            nb = cnt[g]
            if nb <= 0.0:
                continue
            na = total[g]
            tot = na + nb
            for j in range(d):
                m2b = q[g, j] - c[g, j] * c[g, j] / nb
                if na <= 0.0:
                    mean[g, j] = mb[g, j]
                    m2[g, j] = m2b
                else:
                    delta = mb[g, j] - mean[g, j]
                    mean[g, j] += delta * nb / tot
                    m2[g, j] += m2b + delta * delta * na * nb / tot
            total[g] = tot
    return total, mean, m2


def grouped_moments(
    X: np.ndarray, codes: np.ndarray, k: int, w: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weight, mean and sum of squared deviations of the rows of each group, in one read.

    ``codes[i]`` in ``range(k)`` is row ``i``'s group; ``w`` optional row weights (a group of
    weight 0 keeps mean and sum 0). Compiled: 512 rows at a time, each sub-block's group means
    first and the deviations from them next (two reads of cached rows), merged as
    :func:`merge_moments` does. NaN propagates.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0], [2.0], [10.0], [14.0]])
    >>> n, mean, m2 = grouped_moments(X, np.array([0, 0, 1, 1]), 2)
    >>> n.tolist(), mean.ravel().tolist(), m2.ravel().tolist()
    ([2.0, 2.0], [1.5, 12.0], [0.5, 8.0])
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    codes = np.ascontiguousarray(codes, dtype=np.intp)
    weighted = w is not None
    wv = np.ascontiguousarray(w, dtype=np.float64) if weighted else np.empty(0)
    return _grouped(X, codes, wv, weighted, int(k), _SUB_ROWS)
