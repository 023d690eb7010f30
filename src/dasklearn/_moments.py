"""Exact merges of per-block statistics, in one place (pure NumPy, no dask).

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

__all__ = ["merge_moments"]


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
