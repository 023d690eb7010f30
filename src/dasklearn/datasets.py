"""Chunked synthetic datasets, generated block by block on the workers.

Every generator returns lazy dask collections. Small parameters (centers, coefficients) are drawn
on the client from ``random_state``; each block then draws its own values from a generator seeded
by ``(random_state, block index)``. The same ``random_state`` and ``chunks`` therefore give the same
values under any scheduler and any number of workers, and building a graph for 1e9 rows is instant.
"""

from __future__ import annotations

from typing import Any

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd

from ._validation import check_random_state_int

__all__ = [
    "make_blobs",
    "make_classification",
    "make_classification_df",
    "make_counts",
    "make_regression",
]

_TARGET_BLOCK_BYTES = 64 * 2**20

# Streams of random numbers within one block, so that X, y and noise never share draws.
_X, _Y, _NOISE = 0, 1, 2


def _row_chunks(n_samples: int, n_features: int, chunks: Any) -> tuple[int, ...]:
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1, got {n_samples}.")
    if chunks is None:
        chunks = max(1, _TARGET_BLOCK_BYTES // (8 * max(n_features, 1)))
    if isinstance(chunks, tuple | list) and len(chunks) == 2 and isinstance(chunks[0], int):
        chunks = chunks[0]  # (rows, columns) as dask-ml accepted
    if isinstance(chunks, int | np.integer):
        if chunks < 1:
            raise ValueError(f"chunks must be a positive number of rows, got {chunks}.")
        n_full, rest = divmod(n_samples, int(chunks))
        return (int(chunks),) * n_full + ((rest,) if rest else ())
    chunks = tuple(int(c) for c in chunks)
    if sum(chunks) != n_samples:
        raise ValueError(f"chunks {chunks} do not add up to n_samples={n_samples}.")
    return chunks


def _rng(seed: int, block: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, block, stream]))


def _block_index(block_info: dict) -> int:
    return block_info[None]["chunk-location"][0]


def _normal_block(seed: int, block_info: dict | None = None) -> np.ndarray:
    shape = block_info[None]["chunk-shape"]
    return _rng(seed, _block_index(block_info), _X).standard_normal(shape)


def _normal_features(seed: int, row_chunks: tuple[int, ...], n_features: int) -> da.Array:
    return da.map_blocks(
        _normal_block,
        seed,
        chunks=(row_chunks, (n_features,)),
        dtype=np.float64,
        meta=np.empty((0, 0), dtype=np.float64),
    )


def _target_from_rows(kernel: Any, X: da.Array, *args: Any, dtype: Any) -> da.Array:
    """A 1-D target made block by block from X's rows: ``kernel(X_block, *args, block_info)``."""
    return da.map_blocks(
        kernel, X, *args, drop_axis=1, dtype=dtype, meta=np.empty((0,), dtype=dtype)
    )


def _informative(
    rng: np.random.Generator, n_features: int, n_informative: int, scale: float, shape: tuple
) -> tuple[np.ndarray, np.ndarray]:
    """Which features matter (sorted indices) and their true coefficients, N(0, scale²)."""
    idx = np.sort(rng.choice(n_features, n_informative, replace=False))
    return idx, rng.normal(scale=scale, size=(n_informative, *shape))


def _check_counts(n_features: int, n_informative: int) -> None:
    if n_features < 1:
        raise ValueError(f"n_features must be at least 1, got {n_features}.")
    if not 1 <= n_informative <= n_features:
        raise ValueError(
            f"n_informative must be between 1 and n_features={n_features}, got {n_informative}."
        )


def _classification_labels(
    X: np.ndarray, idx: np.ndarray, beta: np.ndarray, seed: int, block_info=None
) -> np.ndarray:
    rng = _rng(seed, _block_index(block_info), _Y)
    logits = X[:, idx] @ beta
    if beta.ndim == 1:
        return (rng.random(len(X)) < 1.0 / (1.0 + np.exp(-logits))).astype(np.int64)
    # Gumbel-max: a draw from softmax(logits) for every row, vectorised.
    return np.argmax(logits + rng.gumbel(size=logits.shape), axis=1).astype(np.int64)


def make_classification(
    n_samples: int = 100,
    n_features: int = 20,
    n_informative: int = 2,
    n_classes: int = 2,
    scale: float = 1.0,
    random_state: Any = None,
    chunks: Any = None,
) -> tuple[da.Array, da.Array]:
    """Classification data from a logistic (softmax for ``n_classes > 2``) model.

    X has independent standard normal features; the labels depend on ``n_informative`` of them
    through random coefficients of size ``scale``, so a (multinomial) logistic regression is the
    right model for this data.

    Parameters
    ----------
    n_samples, n_features, n_informative, n_classes : int
        Shape of the problem.
    scale : float
        Standard deviation of the true coefficients; larger is easier to separate.
    random_state : int, RandomState or None
        Seed: the same seed and chunks give the same data on any scheduler.
    chunks : int or tuple of int
        Rows per block (default: blocks of about 64 MiB).

    Returns
    -------
    X : dask.array.Array of shape (n_samples, n_features), float64
    y : dask.array.Array of shape (n_samples,), int64 labels in ``range(n_classes)``
    """
    _check_counts(n_features, n_informative)
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}.")
    seed = check_random_state_int(random_state)
    rng = np.random.default_rng(seed)
    idx, beta = _informative(
        rng, n_features, n_informative, scale, () if n_classes == 2 else (n_classes,)
    )
    row_chunks = _row_chunks(n_samples, n_features, chunks)
    X = _normal_features(seed, row_chunks, n_features)
    return X, _target_from_rows(_classification_labels, X, idx, beta, seed, dtype=np.int64)


def _regression_target(
    X: np.ndarray, coef: np.ndarray, bias: float, noise: float, seed: int, block_info=None
) -> np.ndarray:
    y = X @ coef + bias
    if noise:
        y += noise * _rng(seed, _block_index(block_info), _NOISE).standard_normal(len(X))
    return y


def make_regression(
    n_samples: int = 100,
    n_features: int = 100,
    n_informative: int = 10,
    bias: float = 0.0,
    noise: float = 0.0,
    coef: bool = False,
    random_state: Any = None,
    chunks: Any = None,
) -> tuple[da.Array, ...]:
    """Regression data ``y = X @ w + bias + noise * N(0, 1)``.

    ``w`` is zero except on ``n_informative`` features, where it is uniform on [0, 100) as in
    scikit-learn's generator. With ``coef=True`` the true ``w`` (NumPy) is returned third.
    """
    _check_counts(n_features, n_informative)
    seed = check_random_state_int(random_state)
    rng = np.random.default_rng(seed)
    w = np.zeros(n_features)
    w[rng.choice(n_features, n_informative, replace=False)] = 100 * rng.random(n_informative)
    X = _normal_features(seed, _row_chunks(n_samples, n_features, chunks), n_features)
    y = _target_from_rows(
        _regression_target, X, w, float(bias), float(noise), seed, dtype=np.float64
    )
    return (X, y, w) if coef else (X, y)


def _poisson_counts(
    X: np.ndarray, idx: np.ndarray, beta: np.ndarray, seed: int, block_info=None
) -> np.ndarray:
    rate = np.exp(X[:, idx] @ beta)
    return _rng(seed, _block_index(block_info), _Y).poisson(rate).astype(np.int64)


def make_counts(
    n_samples: int = 1000,
    n_features: int = 100,
    n_informative: int = 2,
    scale: float = 1.0,
    random_state: Any = None,
    chunks: Any = None,
) -> tuple[da.Array, da.Array]:
    """Count data from a Poisson model with a log link: ``y ~ Poisson(exp(X[:, informative] @ b))``.

    ``b`` is normal with standard deviation ``scale``. Returns X (float64) and y (int64 counts).
    """
    _check_counts(n_features, n_informative)
    seed = check_random_state_int(random_state)
    rng = np.random.default_rng(seed)
    idx, beta = _informative(rng, n_features, n_informative, scale, ())
    X = _normal_features(seed, _row_chunks(n_samples, n_features, chunks), n_features)
    return X, _target_from_rows(_poisson_counts, X, idx, beta, seed, dtype=np.int64)


def _blob_labels(n_centers: int, seed: int, block_info=None) -> np.ndarray:
    n = block_info[None]["chunk-shape"][0]
    return _rng(seed, _block_index(block_info), _Y).integers(0, n_centers, n)


def _blob_points(
    labels: np.ndarray, centers: np.ndarray, std: np.ndarray, seed: int, block_info=None
) -> np.ndarray:
    rng = _rng(seed, _block_index(block_info), _X)
    noise = rng.standard_normal((len(labels), centers.shape[1]))
    return centers[labels] + noise * std[labels, None]


def make_blobs(
    n_samples: int = 100,
    n_features: int = 2,
    centers: int | np.ndarray | None = None,
    cluster_std: float | np.ndarray = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    random_state: Any = None,
    chunks: Any = None,
    return_centers: bool = False,
) -> tuple[Any, ...]:
    """Isotropic Gaussian blobs for clustering.

    ``centers`` is a number of centers (default 3, drawn uniformly in ``center_box``) or an array
    of shape (n_centers, n_features). Each row picks a center uniformly at random.
    Returns X (float64), y (int64 center index) and, with ``return_centers``, the centers.
    """
    seed = check_random_state_int(random_state)
    rng = np.random.default_rng(seed)
    if centers is None:
        centers = 3
    if isinstance(centers, int | np.integer):
        if centers < 1:
            raise ValueError(f"centers must be at least 1, got {centers}.")
        centers = rng.uniform(*center_box, size=(int(centers), n_features))
    else:
        centers = np.asarray(centers, dtype=np.float64)
        if centers.ndim != 2:
            raise ValueError(f"centers must be 2-dimensional, got shape {centers.shape}.")
        n_features = centers.shape[1]
    std = np.broadcast_to(np.asarray(cluster_std, dtype=np.float64), (len(centers),)).copy()
    row_chunks = _row_chunks(n_samples, n_features, chunks)
    y = da.map_blocks(
        _blob_labels,
        len(centers),
        seed,
        chunks=(row_chunks,),
        dtype=np.int64,
        meta=np.empty((0,), dtype=np.int64),
    )
    X = da.map_blocks(
        _blob_points,
        y,
        centers,
        std,
        seed,
        new_axis=1,
        chunks=(row_chunks, (n_features,)),
        dtype=np.float64,
        meta=np.empty((0, 0), dtype=np.float64),
    )
    return (X, y, centers) if return_centers else (X, y)


_CATEGORIES = ("north", "south", "east", "west")
_PLANS = ("basic", "plus", "pro")


def _classification_frame(
    block: int,
    n_rows: int,
    start: int,
    seed: int,
    n_numeric: int,
    beta: np.ndarray,
    response_rate: float,
    dates: tuple[pd.Timestamp, pd.Timestamp],
) -> pd.DataFrame:
    rng = _rng(seed, block, _X)
    numeric = rng.standard_normal((n_rows, n_numeric))
    region = rng.integers(0, len(_CATEGORIES), n_rows)
    plan = rng.integers(0, len(_PLANS), n_rows)
    visits = rng.poisson(3.0, n_rows)
    span = int((dates[1] - dates[0]).total_seconds())
    when = dates[0] + pd.to_timedelta(rng.integers(0, span, n_rows), unit="s")
    # The target depends on numeric features, the region and the plan.
    logits = numeric @ beta[:n_numeric] + beta[n_numeric + region] + 0.3 * plan
    logits += np.log(response_rate / (1 - response_rate))
    target = _rng(seed, block, _Y).random(n_rows) < 1 / (1 + np.exp(-logits))
    frame = pd.DataFrame(numeric, columns=[f"x{i}" for i in range(n_numeric)])
    frame["visits"] = visits.astype(np.int64)
    frame["region"] = pd.Categorical.from_codes(region, categories=list(_CATEGORIES))
    frame["plan"] = pd.Series(np.asarray(_PLANS)[plan], dtype="string")
    frame["signup"] = when
    frame["target"] = target.astype(np.int64)
    frame.index = pd.RangeIndex(start, start + n_rows)
    return frame


def make_classification_df(
    n_samples: int = 10_000,
    n_features: int = 5,
    response_rate: float = 0.5,
    predictability: float = 1.0,
    random_state: Any = None,
    chunks: Any = None,
    dates: tuple[str, str] = ("2024-01-01", "2025-01-01"),
) -> tuple[dd.DataFrame, dd.Series]:
    """A dask dataframe of mixed dtypes for classification, and its binary target.

    Columns: ``n_features`` float features ``x0..``, an integer count ``visits``, a categorical
    ``region``, a string ``plan`` and a datetime ``signup``. The target depends on the numeric
    features, the region and the plan; ``predictability`` scales how strongly, and
    ``response_rate`` sets the base rate of positives.
    """
    if not 0 < response_rate < 1:
        raise ValueError(f"response_rate must be in (0, 1), got {response_rate}.")
    seed = check_random_state_int(random_state)
    rng = np.random.default_rng(seed)
    beta = predictability * rng.normal(size=n_features + len(_CATEGORIES))
    row_chunks = _row_chunks(n_samples, n_features + 5, chunks)
    starts = np.concatenate([[0], np.cumsum(row_chunks)]).astype(int)
    span = (pd.Timestamp(dates[0]), pd.Timestamp(dates[1]))
    frame = dd.from_map(
        _classification_frame,
        list(range(len(row_chunks))),
        list(row_chunks),
        list(starts[:-1]),
        seed=seed,
        n_numeric=n_features,
        beta=beta,
        response_rate=response_rate,
        dates=span,
        meta=_classification_frame(0, 0, 0, seed, n_features, beta, response_rate, span),
        divisions=[int(s) for s in starts[:-1]] + [int(starts[-1]) - 1],
        enforce_metadata=False,
    )
    return frame.drop(columns="target"), frame["target"]
