"""``make_classification``: scikit-learn's generator, block by block."""

from __future__ import annotations

from typing import Any

import dask.array as da
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


def _hypercube(n_vertices: int, dimensions: int, rng: np.random.Generator) -> np.ndarray:
    """``n_vertices`` distinct vertices of the unit hypercube, as 0/1 rows."""
    if dimensions > 30:
        return np.hstack(
            [
                rng.integers(2, size=(n_vertices, dimensions - 30)),
                _hypercube(n_vertices, 30, rng),
            ]
        )
    if n_vertices == 2**dimensions:  # every vertex, in order, as scikit-learn takes them: with
        codes = np.arange(n_vertices)  # 2 classes x 2 clusters the classes stay separable
    else:
        codes = rng.choice(2**dimensions, n_vertices, replace=False)
    return (codes[:, None] >> np.arange(dimensions - 1, -1, -1)) & 1


def _cluster_counts(
    n_samples: int, n_classes: int, n_clusters_per_class: int, weights: Any
) -> np.ndarray:
    """Rows per cluster, computed as scikit-learn does (cluster ``k`` has class
    ``k % n_classes``; the rows left over go one each to the first clusters)."""
    if weights is None:
        weights = np.full(n_classes, 1.0 / n_classes)
    else:
        weights = np.asarray(weights, dtype=np.float64).ravel()
        if len(weights) not in (n_classes, n_classes - 1):
            raise ValueError(
                f"weights must have n_classes={n_classes} or n_classes - 1 entries, got "
                f"{len(weights)}."
            )
        if len(weights) == n_classes - 1:
            weights = np.append(weights, 1.0 - weights.sum())
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError(
                f"weights must be non-negative and sum to at most 1, got {weights.tolist()}."
            )
    n_clusters = n_classes * n_clusters_per_class
    counts = np.array(
        [int(n_samples * weights[k % n_classes] / n_clusters_per_class) for k in range(n_clusters)]
    )
    left = n_samples - int(counts.sum())
    if left < 0:
        raise ValueError(f"weights must sum to at most 1, got {weights.tolist()}.")
    counts += left // n_clusters
    counts[: left % n_clusters] += 1
    return counts


def classification_plan(
    n_samples: int = 100,
    n_features: int = 20,
    n_informative: int = 2,
    n_redundant: int = 2,
    n_repeated: int = 0,
    n_classes: int = 2,
    n_clusters_per_class: int = 2,
    weights: Any = None,
    flip_y: float = 0.01,
    class_sep: float = 1.0,
    hypercube: bool = True,
    shift: Any = 0.0,
    scale: Any = 1.0,
    shuffle: bool = True,
    seed: int = 0,
) -> _kernels.ClassificationPlan:
    """Check ``make_classification``'s parameters and draw everything its blocks share."""
    n_samples = check_int("n_samples", n_samples, 1)
    n_features = check_int("n_features", n_features, 1)
    n_classes = check_int("n_classes", n_classes, 2)
    n_informative = check_int("n_informative", n_informative, 1)
    n_redundant = check_int("n_redundant", n_redundant, 0)
    n_repeated = check_int("n_repeated", n_repeated, 0)
    n_clusters_per_class = check_int("n_clusters_per_class", n_clusters_per_class, 1)
    flip_y = check_real("flip_y", flip_y, 0.0, 1.0)
    class_sep = check_real("class_sep", class_sep, 0.0)
    hypercube = check_bool("hypercube", hypercube)
    shuffle = check_bool("shuffle", shuffle)
    if n_informative + n_redundant + n_repeated > n_features:
        raise ValueError(
            f"n_informative + n_redundant + n_repeated = {n_informative} + {n_redundant} + "
            f"{n_repeated} must be at most n_features={n_features}."
        )
    if n_informative < np.log2(n_classes * n_clusters_per_class):
        raise ValueError(
            f"n_classes({n_classes}) * n_clusters_per_class({n_clusters_per_class}) must be at "
            f"most 2**n_informative = 2**{n_informative} (the clusters sit on distinct vertices "
            "of a hypercube)."
        )
    counts = _cluster_counts(n_samples, n_classes, n_clusters_per_class, weights)
    n_clusters = len(counts)

    # Draws in scikit-learn's order; the per-row draws happen in the blocks.
    rng = np.random.default_rng(seed)
    centroids = _hypercube(n_clusters, n_informative, rng).astype(np.float64)
    centroids *= 2 * class_sep
    centroids -= class_sep
    if not hypercube:
        centroids *= rng.uniform(size=(n_clusters, 1))
        centroids *= rng.uniform(size=(1, n_informative))
    covariances = 2 * rng.uniform(size=(n_clusters, n_informative, n_informative)) - 1
    redundant = 2 * rng.uniform(size=(n_informative, n_redundant)) - 1
    n = n_informative + n_redundant
    repeated = ((n - 1) * rng.uniform(size=n_repeated) + 0.5).astype(np.intp)
    if shift is None:
        shift = (2 * rng.uniform(size=n_features) - 1) * class_sep
    if scale is None:
        scale = 1 + 100 * rng.uniform(size=n_features)
    shift = check_vector("shift", shift, n_features)
    scale = check_vector("scale", scale, n_features, low=0.0)
    if shuffle:  # X[:, i] is scikit-learn's column permutation[i]
        permutation = rng.permutation(n_features)
        columns, shift, scale = np.argsort(permutation), shift[permutation], scale[permutation]
    else:
        columns = np.arange(n_features)
    return _kernels.ClassificationPlan(
        n_classes=n_classes,
        counts=counts,
        stride=spread_stride(n_samples) if shuffle else None,
        centroids=centroids,
        covariances=covariances,
        redundant=redundant,
        repeated=repeated,
        flip_y=flip_y,
        shift=shift,
        scale=scale,
        columns=columns,
    )


def make_classification(
    n_samples: int = 100,
    n_features: int = 20,
    n_informative: int = 2,
    n_redundant: int = 2,
    n_repeated: int = 0,
    n_classes: int = 2,
    n_clusters_per_class: int = 2,
    weights: Any = None,
    flip_y: float = 0.01,
    class_sep: float = 1.0,
    hypercube: bool = True,
    shift: Any = 0.0,
    scale: Any = 1.0,
    shuffle: bool = True,
    random_state: Any = None,
    chunks: Any = None,
) -> tuple[da.Array, da.Array]:
    """A random n-class classification problem, as scikit-learn's, generated block by block.

    The parameters are dask-ml's (scikit-learn's, in scikit-learn's order, then ``chunks``) and
    keep scikit-learn's meaning. Each class is made of ``n_clusters_per_class`` normally
    distributed clusters (a random covariance each) centred on distinct vertices of a hypercube
    of side ``2 * class_sep`` in the ``n_informative``-dimensional subspace. Then come
    ``n_redundant`` random linear combinations of the informative features, ``n_repeated``
    copies of informative or redundant features and standard normal noise features.

    The cluster sizes are scikit-learn's exactly (``weights`` and the remainder rule), whatever
    the chunks. What differs from scikit-learn is only how rows are ordered: with
    ``shuffle=True`` every block receives a near-proportional share of each cluster and its rows
    are permuted, instead of one global permutation (which no block could compute alone);
    with ``shuffle=False`` the rows are in scikit-learn's order, cluster after cluster.

    Parameters
    ----------
    n_samples : int, default=100
        Number of rows.
    n_features : int, default=20
        Total number of features: informative, redundant, repeated and random noise ones.
    n_informative : int, default=2
        Number of informative features.
    n_redundant : int, default=2
        Number of redundant features, random linear combinations of the informative ones.
    n_repeated : int, default=0
        Number of duplicated features, drawn from the informative and redundant ones.
    n_classes : int, default=2
        Number of classes (at least 2; ``n_classes * n_clusters_per_class`` must be at most
        ``2**n_informative``).
    n_clusters_per_class : int, default=2
        Number of clusters per class.
    weights : array-like of shape (n_classes,) or (n_classes - 1,), default=None
        Proportions of rows in each class (the last one inferred when ``n_classes - 1`` are
        given); None means balanced classes. Label noise (``flip_y``) comes on top.
    flip_y : float, default=0.01
        Fraction of rows whose class is drawn anew, uniformly among the classes (so about
        ``flip_y * (1 - 1/n_classes)`` of the labels change).
    class_sep : float, default=1.0
        Half the side of the hypercube; larger separates the classes more.
    hypercube : bool, default=True
        Clusters on the vertices of a hypercube; False puts them on a random polytope.
    shift : float, array of shape (n_features,) or None, default=0.0
        Added to the features; None draws a shift per feature in ``[-class_sep, class_sep]``.
    scale : float, array of shape (n_features,) or None, default=1.0
        Multiplies the features after the shift; None draws a factor per feature in [1, 101].
    shuffle : bool, default=True
        Shuffle the rows (within blocks, see above) and the features.
    random_state : int, RandomState instance or None, default=None
        Seed. The same seed and chunks give the same values on any scheduler and any number
        of workers.
    chunks : int, str, tuple or None, default=None
        Rows per block as in dask-ml: an int; None for blocks of about 64 MiB; ``"auto"`` or a
        size such as ``"128MiB"``; a pair ``(rows, n_features)``; explicit row-block lengths
        ``((40, 60), n_features)`` or any sequence of lengths other than a pair, adding up to
        ``n_samples``. Blocks always hold every column.

    Returns
    -------
    X : dask.array.Array of shape (n_samples, n_features), float64
        The features.
    y : dask.array.Array of shape (n_samples,), int64
        The class of each row, in ``range(n_classes)``, with the same row chunks as X.

    Examples
    --------
    >>> import numpy as np
    >>> from dasklearn.datasets import make_classification
    >>> X, y = make_classification(1000, 10, n_informative=3, weights=[0.75], flip_y=0,
    ...                            chunks=300, random_state=0)
    >>> X.shape, X.chunks[0]
    ((1000, 10), (300, 300, 300, 100))
    >>> np.bincount(y.compute()).tolist()
    [750, 250]
    """
    seed = check_random_state_int(random_state)
    plan = classification_plan(
        n_samples,
        n_features,
        n_informative,
        n_redundant,
        n_repeated,
        n_classes,
        n_clusters_per_class,
        weights,
        flip_y,
        class_sep,
        hypercube,
        shift,
        scale,
        shuffle,
        seed,
    )
    rows = row_chunks(chunks, n_samples, n_features)
    X = block_array(
        _kernels.classification_features,
        seed,
        plan,
        rows=rows,
        columns=n_features,
        dtype=np.float64,
        token="make_classification-X",
    )
    y = block_array(
        _kernels.classification_labels,
        seed,
        plan,
        rows=rows,
        columns=None,
        dtype=np.int64,
        token="make_classification-y",
    )
    return X, y
