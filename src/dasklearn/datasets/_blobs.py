"""``make_blobs``: scikit-learn's isotropic Gaussian blobs, block by block."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._validation import check_random_state_int
from . import _kernels
from ._common import (
    block_array,
    check_bool,
    check_int,
    check_real,
    check_vector,
    row_chunks,
    spread_stride,
)


def _per_center_counts(n_samples: Any) -> np.ndarray | None:
    """scikit-learn's array-like ``n_samples`` (rows per center), or None for an int."""
    if isinstance(n_samples, numbers.Integral | float) or np.ndim(n_samples) == 0:
        return None
    counts = np.asarray([check_int("n_samples", n, 0) for n in n_samples], dtype=np.int64)
    if len(counts) == 0 or counts.sum() < 1:
        raise ValueError(f"n_samples must give at least one row in all, got {n_samples!r}.")
    return counts


def make_blobs(
    n_samples: Any = 100,
    n_features: int = 2,
    centers: Any = None,
    cluster_std: Any = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    shuffle: bool = True,
    random_state: Any = None,
    chunks: Any = None,
    return_centers: bool = False,
) -> tuple[Any, ...]:
    """Isotropic Gaussian blobs for clustering, as scikit-learn's, generated block by block.

    The parameters are dask-ml's (scikit-learn's in its order, then ``chunks``), plus
    scikit-learn's ``return_centers`` last. Rows are shared among the centers exactly as
    scikit-learn shares them (equal numbers, the first centers taking one more), whatever the
    chunks; with ``shuffle=True`` every block holds a near-proportional share of each blob in
    random order, with ``shuffle=False`` the rows come blob after blob as in scikit-learn.

    Parameters
    ----------
    n_samples : int or array-like of int, default=100
        Number of rows, shared equally among the centers; or the number of rows of each center.
    n_features : int, default=2
        Number of features (taken from ``centers`` when it is an array).
    centers : int, array of shape (n_centers, n_features) or None, default=None
        Number of centers, drawn uniformly in ``center_box``, or the centers themselves. None
        means 3 centers, or one per entry of an array-like ``n_samples``.
    cluster_std : float or array-like of shape (n_centers,), default=1.0
        Standard deviation of the blobs (non-negative).
    center_box : tuple of two floats, default=(-10.0, 10.0)
        Bounds of the box the random centers are drawn from.
    shuffle : bool, default=True
        Shuffle the rows (within blocks, see above).
    random_state : int, RandomState instance or None, default=None
        Seed. The same seed and chunks give the same values on any scheduler and any number
        of workers.
    chunks : int, str, tuple or None, default=None
        Rows per block, as in :func:`make_classification`.
    return_centers : bool, default=False
        Also return the centers (scikit-learn's parameter; dask-ml has none).

    Returns
    -------
    X : dask.array.Array of shape (n_samples, n_features), float64
        The points.
    y : dask.array.Array of shape (n_samples,), int64
        The blob of each point, with X's row chunks.
    centers : numpy.ndarray of shape (n_centers, n_features)
        The centers; only with ``return_centers=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from dasklearn.datasets import make_blobs
    >>> X, y = make_blobs(1000, 3, centers=3, cluster_std=0.5, chunks=400, random_state=0)
    >>> X.shape, X.chunks[0]
    ((1000, 3), (400, 400, 200))
    >>> np.bincount(y.compute()).tolist()
    [334, 333, 333]
    """
    per_center = _per_center_counts(n_samples)
    if per_center is None:
        n_samples = check_int("n_samples", n_samples, 1)
    else:
        n_samples = int(per_center.sum())
    n_features = check_int("n_features", n_features, 1)
    shuffle = check_bool("shuffle", shuffle)
    return_centers = check_bool("return_centers", return_centers)
    if np.ndim(center_box) != 1 or len(center_box) != 2:
        raise ValueError(f"center_box must be a pair (low, high), got {center_box!r}.")
    low = check_real("center_box[0]", center_box[0])
    high = check_real("center_box[1]", center_box[1], low)
    seed = check_random_state_int(random_state)
    rng = np.random.default_rng(seed)

    if centers is None:
        centers = 3 if per_center is None else len(per_center)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        n_centers = check_int("centers", centers, 1)
        if per_center is not None and n_centers != len(per_center):
            raise ValueError(
                f"centers={n_centers} does not match the {len(per_center)} entries of n_samples."
            )
        centers = rng.uniform(low, high, size=(n_centers, n_features))
    else:
        centers = np.array(centers, dtype=np.float64)
        if centers.ndim != 2 or centers.shape[0] < 1 or centers.shape[1] < 1:
            raise ValueError(
                f"centers must be an int or an array of shape (n_centers, n_features), got "
                f"shape {centers.shape}."
            )
        if not np.isfinite(centers).all():
            raise ValueError("centers must be finite.")
        if per_center is not None and len(centers) != len(per_center):
            raise ValueError(
                f"centers has {len(centers)} rows but n_samples has {len(per_center)} entries."
            )
        n_features = centers.shape[1]
    n_centers = len(centers)
    std = check_vector("cluster_std", cluster_std, n_centers, low=0.0)
    if per_center is None:
        per_center = np.full(n_centers, n_samples // n_centers, dtype=np.int64)
        per_center[: n_samples % n_centers] += 1

    plan = _kernels.BlobsPlan(
        counts=per_center,
        stride=spread_stride(n_samples) if shuffle else None,
        centers=centers,
        std=std,
    )
    rows = row_chunks(chunks, n_samples, n_features)
    X = block_array(
        _kernels.blob_points,
        seed,
        plan,
        rows=rows,
        columns=n_features,
        dtype=np.float64,
        token="make_blobs-X",
    )
    y = block_array(
        _kernels.blob_labels,
        seed,
        plan,
        rows=rows,
        columns=None,
        dtype=np.int64,
        token="make_blobs-y",
    )
    return (X, y, centers) if return_centers else (X, y)
