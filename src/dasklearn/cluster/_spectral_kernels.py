"""Block kernels for Nystrom spectral clustering: pure NumPy/scikit-learn on one row block.

For a block ``X_b`` and the landmarks ``L`` (m sampled rows), ``C_b = affinity(X_b, L)`` is the
(rows, m) slice of the affinity matrix; nothing larger is ever formed. With ``q = A^+ s``
(``A = affinity(L, L)``, ``s`` the column sums of ``C`` over all rows), the Nystrom degrees are
``d = C_b @ q``, the normalised rows are ``C_b / sqrt(d)``, and the embedding is those rows times
an (m, k) projection computed once on the client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._blockwise import aligned

__all__ = ["affinity_block", "column_sums_block", "embedding_block", "gram_block"]


def affinity_block(X: np.ndarray, landmarks: np.ndarray | None, affinity: Any, params: dict):
    """``affinity(X, landmarks)``: (rows, m). ``"precomputed"``: X already is that slice."""
    X = aligned(X)
    if len(X) == 0 and landmarks is not None:  # an empty block (scikit-learn refuses 0 rows)
        return np.empty((0, len(landmarks)))
    if isinstance(affinity, str) and affinity == "precomputed":
        C = np.asarray(X, dtype=np.float64)
    elif callable(affinity):
        C = np.asarray(_call(affinity, X, landmarks, params), dtype=np.float64)
    else:
        from sklearn.metrics.pairwise import pairwise_kernels

        C = pairwise_kernels(X, landmarks, metric=affinity, filter_params=True, **params)
        C = np.asarray(C, dtype=np.float64)
    if C.ndim != 2 or C.shape[0] != len(X):
        raise ValueError(
            f"The affinity returned shape {C.shape} for {len(X)} rows; expected (rows, "
            "n_components)."
        )
    return C


def _call(func: Callable[..., Any], X: np.ndarray, Y: np.ndarray | None, params: dict) -> Any:
    return func(X, Y, **params)


def _finite(C: np.ndarray) -> None:
    if not np.isfinite(C).all():
        raise ValueError(
            "The affinity contains NaN or infinity: check X for NaN/inf and the affinity's "
            "parameters."
        )


def column_sums_block(X: np.ndarray, landmarks, affinity, params) -> np.ndarray:
    """Column sums of the block's affinity slice (pass 1: ``s``)."""
    C = affinity_block(X, landmarks, affinity, params)
    _finite(C)
    return C.sum(axis=0)


def gram_block(X: np.ndarray, landmarks, affinity, params, q: np.ndarray) -> tuple:
    """``sum_i C_i^T C_i / d_i`` over the block and the smallest degree (pass 2)."""
    C = affinity_block(X, landmarks, affinity, params)
    degrees = np.dot(C, q)
    low = float(degrees.min()) if len(degrees) else np.inf
    if low <= 0:
        return np.zeros((C.shape[1], C.shape[1])), low
    scaled = C / np.sqrt(degrees)[:, None]
    return np.dot(scaled.T, scaled), low


def combine_gram(a: tuple, b: tuple) -> tuple:
    """Merge two blocks' (Gram matrix, smallest degree)."""
    return a[0] + b[0], min(a[1], b[1])


def embedding_block(
    X: np.ndarray, landmarks, affinity, params, q: np.ndarray, projection: np.ndarray
) -> np.ndarray:
    """The spectral embedding of the block's rows, each scaled to unit length (Ng et al. 2002)."""
    C = affinity_block(X, landmarks, affinity, params)
    degrees = np.maximum(np.dot(C, q), np.finfo(np.float64).tiny)
    E = np.dot(C / np.sqrt(degrees)[:, None], projection)
    norms = np.sqrt(np.einsum("ij,ij->i", E, E))
    E /= np.maximum(norms, np.finfo(np.float64).tiny)[:, None]
    return E
