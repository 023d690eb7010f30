"""``make_regression`` (scikit-learn's generator) and ``make_counts`` (dask-ml's), by block."""

from __future__ import annotations

from typing import Any

import dask.array as da
import numpy as np

from .._validation import check_random_state_int
from . import _kernels
from ._common import block_array, check_bool, check_int, check_real, row_chunks, rows_array


def _low_rank_basis(
    rng: np.random.Generator,
    n_samples: int,
    n_features: int,
    effective_rank: int,
    tail_strength: float,
) -> np.ndarray:
    """``diag(s) @ V.T / sqrt(n_samples)`` for scikit-learn's ``make_low_rank_matrix``.

    scikit-learn's matrix is ``U @ diag(s) @ V.T`` with orthonormal ``U`` (n_samples x n) and
    ``V`` (n_features x n), ``n = min(n_samples, n_features)``. A block cannot take its rows of
    a global orthonormal ``U``; ``Z / sqrt(n_samples)`` with standard normal ``Z`` has nearly
    orthonormal columns (their norms and angles are off by about ``sqrt(n / n_samples)``), so
    ``X = Z @ basis`` made block by block has nearly scikit-learn's singular values ``s``.
    """
    n = min(n_samples, n_features)
    v, _ = np.linalg.qr(rng.standard_normal((n_features, n)))
    index = np.arange(n, dtype=np.float64)
    low_rank = (1 - tail_strength) * np.exp(-1.0 * (index / effective_rank) ** 2)
    tail = tail_strength * np.exp(-0.1 * index / effective_rank)
    return (low_rank + tail)[:, None] * v.T / np.sqrt(n_samples)


def make_regression(
    n_samples: int = 100,
    n_features: int = 100,
    n_informative: int = 10,
    n_targets: int = 1,
    bias: float = 0.0,
    effective_rank: int | None = None,
    tail_strength: float = 0.5,
    noise: float = 0.0,
    shuffle: bool = True,
    coef: bool = False,
    random_state: Any = None,
    chunks: Any = None,
) -> tuple[da.Array, ...]:
    """A random linear regression problem, as scikit-learn's, generated block by block.

    ``y = X @ w + bias + N(0, noise²)`` where ``w`` is zero except on ``n_informative``
    features, where it is uniform on [0, 100) (one column per target). X is standard normal,
    or low rank with scikit-learn's singular profile when ``effective_rank`` is given (built
    block by block as ``Z @ basis``, see the notes). The parameters are dask-ml's
    (scikit-learn's, then ``chunks``), in its order and meaning.

    Parameters
    ----------
    n_samples : int, default=100
        Number of rows.
    n_features : int, default=100
        Number of features.
    n_informative : int, default=10
        Number of features with a non-zero coefficient (at most ``n_features`` are used, as in
        scikit-learn).
    n_targets : int, default=1
        Number of targets; y is 2-D when it is more than 1.
    bias : float, default=0.0
        Added to every target.
    effective_rank : int or None, default=None
        None: independent standard normal features. An int: X is low rank, its singular values
        following scikit-learn's ``make_low_rank_matrix`` profile of that effective rank.
    tail_strength : float in [0, 1], default=0.5
        Relative weight of the slowly decaying tail of that profile.
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to y.
    shuffle : bool, default=True
        Shuffle the features (the informative ones are the first ``n_informative`` columns
        otherwise). Rows are independent draws, so they need no shuffling.
    coef : bool, default=False
        Also return the true coefficients.
    random_state : int, RandomState instance or None, default=None
        Seed. The same seed and chunks give the same values on any scheduler and any number
        of workers.
    chunks : int, str, tuple or None, default=None
        Rows per block, as in :func:`make_classification`.

    Returns
    -------
    X : dask.array.Array of shape (n_samples, n_features), float64
        The features.
    y : dask.array.Array of shape (n_samples,) or (n_samples, n_targets), float64
        The targets, with X's row chunks.
    coef : numpy.ndarray of shape (n_features,) or (n_features, n_targets)
        The true coefficients; only with ``coef=True``.

    Notes
    -----
    With ``effective_rank``, scikit-learn's left singular vectors are replaced by scaled
    Gaussian columns: the singular values match scikit-learn's to within about
    ``sqrt(min(n_samples, n_features) / n_samples)`` (relative), so closely for tall data and
    only roughly when ``n_samples`` is close to ``n_features``. The basis of
    ``n_features x min(n_samples, n_features)`` floats is made on the client.

    Examples
    --------
    >>> from dasklearn.datasets import make_regression
    >>> X, y, w = make_regression(1000, 5, n_informative=2, noise=0.1, coef=True,
    ...                           chunks=250, random_state=0)
    >>> X.shape, y.shape, X.chunks[0]
    ((1000, 5), (1000,), (250, 250, 250, 250))
    >>> int((w != 0).sum())
    2
    >>> X, Y = make_regression(1000, 5, n_targets=3, effective_rank=2, random_state=0)
    >>> Y.shape
    (1000, 3)
    """
    n_samples = check_int("n_samples", n_samples, 1)
    n_features = check_int("n_features", n_features, 1)
    n_informative = min(n_features, check_int("n_informative", n_informative, 0))
    n_targets = check_int("n_targets", n_targets, 1)
    bias = check_real("bias", bias)
    if effective_rank is not None:
        effective_rank = check_int("effective_rank", effective_rank, 1)
    tail_strength = check_real("tail_strength", tail_strength, 0.0, 1.0)
    noise = check_real("noise", noise, 0.0)
    shuffle = check_bool("shuffle", shuffle)
    return_coef = check_bool("coef", coef)
    rows = row_chunks(chunks, n_samples, n_features)
    seed = check_random_state_int(random_state)

    rng = np.random.default_rng(seed)
    basis = None
    if effective_rank is not None:
        basis = _low_rank_basis(rng, n_samples, n_features, effective_rank, tail_strength)
    ground_truth = np.zeros((n_features, n_targets))
    ground_truth[:n_informative] = 100 * rng.uniform(size=(n_informative, n_targets))
    if shuffle:
        # scikit-learn permutes X's columns and the coefficients alike; independent normal
        # columns need only the coefficients permuted, a low-rank X its basis.
        permutation = rng.permutation(n_features)
        ground_truth = ground_truth[permutation]
        if basis is not None:
            basis = basis[:, permutation]
    w = ground_truth[:, 0] if n_targets == 1 else ground_truth

    if basis is None:
        kernel, arg = _kernels.normal_features, n_features
    else:
        kernel, arg = _kernels.low_rank_features, basis
    X = block_array(
        kernel,
        seed,
        arg,
        rows=rows,
        columns=n_features,
        dtype=np.float64,
        token="make_regression-X",
    )
    y = rows_array(
        _kernels.regression_target,
        X,
        w,
        bias,
        noise,
        seed,
        columns=None if n_targets == 1 else n_targets,
        dtype=np.float64,
        token="make_regression-y",
    )
    return (X, y, w) if return_coef else (X, y)


def make_counts(
    n_samples: int = 1000,
    n_features: int = 100,
    n_informative: int = 2,
    scale: float = 1.0,
    chunks: Any = 100,
    random_state: Any = None,
) -> tuple[da.Array, da.Array]:
    """Count data from a Poisson model with a log link, as dask-ml's ``make_counts``.

    X is standard normal; ``y ~ Poisson(exp(X[:, informative] @ beta))`` with ``beta``
    uniform on ``[-scale, 0)`` on ``n_informative`` distinct features, as dask-ml draws it.
    Note dask-ml's order of the last two parameters: ``chunks`` comes before
    ``random_state``.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_features : int, default=100
        Number of features.
    n_informative : int, default=2
        Number of features the rate depends on.
    scale : float, default=1.0
        Scales the true coefficients.
    chunks : int, str, tuple or None, default=100
        Rows per block, as in :func:`make_classification` (dask-ml's default is 100 rows).
    random_state : int, RandomState instance or None, default=None
        Seed. The same seed and chunks give the same values on any scheduler and any number
        of workers.

    Returns
    -------
    X : dask.array.Array of shape (n_samples, n_features), float64
        The features.
    y : dask.array.Array of shape (n_samples,), int64
        Non-negative counts, with X's row chunks.

    Examples
    --------
    >>> from dasklearn.datasets import make_counts
    >>> X, y = make_counts(1000, 10, 2, 0.5, 250, 0)
    >>> X.chunks[0], y.dtype
    ((250, 250, 250, 250), dtype('int64'))
    >>> bool((y >= 0).all().compute())
    True
    """
    n_samples = check_int("n_samples", n_samples, 1)
    n_features = check_int("n_features", n_features, 1)
    n_informative = check_int("n_informative", n_informative, 0, n_features)
    scale = check_real("scale", scale)
    rows = row_chunks(chunks, n_samples, n_features)
    seed = check_random_state_int(random_state)
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(n_features, n_informative, replace=False))
    beta = (rng.random(n_informative) - 1) * scale
    X = block_array(
        _kernels.normal_features,
        seed,
        n_features,
        rows=rows,
        columns=n_features,
        dtype=np.float64,
        token="make_counts-X",
    )
    y = rows_array(
        _kernels.poisson_counts,
        X,
        idx,
        beta,
        seed,
        columns=None,
        dtype=np.int64,
        token="make_counts-y",
    )
    return X, y
