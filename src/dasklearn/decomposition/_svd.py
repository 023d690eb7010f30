"""The SVD of row-blocked data: the passes behind PCA and TruncatedSVD.

The algorithm layer of :mod:`dasklearn.decomposition`: plain functions over a
:class:`dasklearn._passes.Passes` runner, each pass one reduction of the block kernels in
:mod:`._kernels`, merged in block order (the same result on any scheduler). Every route
centres each block on its own mean and merges blocks with Chan et al.'s exact update (see
:mod:`._kernels`), so the centred statistics come with the first pass and no pass is spent on
the mean alone.

Cost, in passes over X:

* :func:`covariance`: **one pass** (the centred d x d scatter matrix), then an eigendecomposition
  on the client. ``n d²`` flops. Eigenvalues carry an absolute error of about
  ``eps * λ_max``: a component's direction is accurate to ``eps * λ_max / gap`` (gap: the
  distance to the next eigenvalue), so tiny trailing variances lose relative accuracy.
* :func:`tsqr`: **one pass** (the R factor of the centred data, tall-skinny QR: Benson, Gleich
  and Demmel 2013), then the SVD of R on the client. ``2 n d²`` flops; singular values accurate
  to ``eps * σ_max`` (no squaring of the condition number): the route for exact answers on
  ill-conditioned data, and for short-fat data (R has ``min(n, d)`` rows).
* :func:`randomized`: **n_iter + 1 passes** (Halko, Martinsson and Tropp 2011, with scikit-learn's
  sketch ``Ω`` drawn from the same ``random_state``). Each pass reads a block once and multiplies
  it twice, ``(X - mean)ᵀ ((X - mean) W)``: one pass is one power iteration on ``XᵀX``, which
  is what scikit-learn's ``randomized_svd`` does with two passes (``A Q`` then ``Aᵀ Q``). The
  last pass's product gives ``B = QᵀA`` without another pass (below), so in exact arithmetic the
  result is scikit-learn's for the same sketch.

Partials of more than :data:`dasklearn._passes.GATHER_BYTES` in all are merged in a tree on
the workers.
"""

from __future__ import annotations

import functools
import numbers
from dataclasses import dataclass

import numpy as np
from scipy import linalg
from sklearn.utils import check_random_state

from .._passes import Passes
from .._validation import check_random_state_int
from ..utils import svd_flip
from . import _kernels as K

__all__ = [
    "Spectrum",
    "covariance",
    "randomized",
    "projected_variance",
    "sketch_random_state",
    "tsqr",
]


@dataclass
class Spectrum:
    """An SVD of X (centred, unless ``centred`` is False), as the estimators store it.

    Attributes
    ----------
    n_samples : int
    mean : ndarray of shape (n_features,)
        Column means (float64).
    singular_values : ndarray
        Descending; all ``min(n, d)`` of them for the exact routes, the leading ones otherwise.
    components : ndarray of shape (len(singular_values), n_features)
        Right singular vectors in rows, signs as scikit-learn's
        ``svd_flip(u_based_decision=False)``.
    column_ssq : ndarray of shape (n_features,)
        Sums of squares of the centred columns (``n - 1`` times their variances).
    """

    n_samples: int
    mean: np.ndarray
    singular_values: np.ndarray
    components: np.ndarray
    column_ssq: np.ndarray


def sketch_random_state(random_state: object) -> np.random.RandomState:
    """scikit-learn's ``check_random_state`` (an int seeds a RandomState; a RandomState is
    used, and advanced, as it is), extended to NumPy Generators and seeds of 2**32 or more."""
    if isinstance(random_state, np.random.Generator) or (
        isinstance(random_state, numbers.Integral) and not 0 <= random_state < 2**32
    ):
        return np.random.RandomState(check_random_state_int(random_state) % 2**32)
    return check_random_state(random_state)


def _flipped(Vt: np.ndarray) -> np.ndarray:
    return svd_flip(None, Vt, u_based_decision=False)[1]


def covariance(runner: Passes) -> Spectrum:
    """Eigendecomposition of the covariance matrix, from one pass (the centred Gram)."""
    X = runner.data.X
    d = X.shape[1]
    n, mean, M = runner.run(
        runner.reduction(
            K.gram_block,
            X,
            combine=K.merge_gram,
            partial_bytes=8 * d * d,
        ),
        what="centred Gram matrix",
    )
    M = (M + M.T) / 2
    eigenvalues, eigenvectors = linalg.eigh(M)
    eigenvalues = np.maximum(eigenvalues[::-1], 0.0)  # PSD: negatives are rounding
    S = np.sqrt(eigenvalues)
    return Spectrum(n, mean, S, _flipped(eigenvectors[:, ::-1].T), np.diag(M).copy())


def tsqr(runner: Passes, centred: bool = True) -> Spectrum:
    """SVD from the R factor of the (centred) data: one pass of tall-skinny QR.

    ``centred=False`` gives the SVD of X itself (TruncatedSVD): its R factor is that of the
    centred R with the row ``sqrt(n) meanᵀ`` appended.
    """
    X = runner.data.X
    d = X.shape[1]
    rows = min(runner.data.n_samples, d)
    n, mean, R = runner.run(
        runner.reduction(K.r_block, X, combine=K.merge_r, partial_bytes=8 * rows * d),
        what="tall-skinny QR",
    )
    ssq = np.einsum("ij,ij->j", R, R)
    if not centred:
        R = np.linalg.qr(np.vstack([R, np.sqrt(n) * mean[None, :]]), mode="r")
    _, S, Vt = linalg.svd(R, full_matrices=False, check_finite=False)
    k = min(n, d)  # the merges' correction rows add singular values of (about) zero
    return Spectrum(n, mean, S[:k], _flipped(Vt[:k]), ssq)


def randomized(
    runner: Passes,
    n_components: int,
    n_oversamples: int,
    n_iter: int,
    random_state: object,
    centred: bool = True,
) -> Spectrum:
    """Randomized truncated SVD: ``n_iter + 1`` passes.

    The sketch is scikit-learn's: ``W = random_state.normal(size=(n_features, n_components +
    n_oversamples))``. Pass ``j`` computes ``Z = AᵀA W`` (A: X, centred unless ``centred`` is
    False) and, but for the last, ``W`` becomes an orthonormal basis of ``Z``. After the last
    pass, with ``Y = A W`` (never formed): ``YᵀY = WᵀZ = E Λ Eᵀ`` gives an orthonormal basis
    ``Q = Y E Λ^-1/2`` of the range, and ``B = QᵀA = Λ^-1/2 Eᵀ Zᵀ``, whose SVD gives the
    singular values and right vectors. Directions of ``Y`` with eigenvalues at rounding level
    (rank below ``n_components + n_oversamples``) get ``Λ`` floored at ``eps * λ_max * l``:
    they add rows of norm about ``sqrt(eps) σ_max`` to B and leave the leading
    components as they are.
    """
    X = runner.data.X
    n, d = runner.data.n_samples, X.shape[1]
    size = n_components + n_oversamples
    W = sketch_random_state(random_state).normal(size=(d, size))
    ssq = mean = Z = None
    for it in range(n_iter + 1):
        first = it == 0
        n, mean_j, Z, ssq_j = runner.run(
            runner.reduction(
                K.product_block,
                X,
                args=(W, first),
                combine=functools.partial(K.merge_product, V=W),
                partial_bytes=8 * d * size,
            ),
            what=f"power iteration {it + 1} of {n_iter + 1}",
        )
        if first:
            mean, ssq = mean_j, ssq_j
        if not centred:
            Z = Z + n * np.outer(mean, mean @ W)
        if it < n_iter:
            W = linalg.qr(Z, mode="economic", check_finite=False)[0]
    G = W.T @ Z
    eigenvalues, E = linalg.eigh((G + G.T) / 2)
    top = max(float(eigenvalues[-1]), 0.0)
    floor = max(top * np.finfo(np.float64).eps * size, np.finfo(np.float64).tiny)
    B = (E / np.sqrt(np.maximum(eigenvalues, floor))).T @ Z.T
    _, S, Vt = linalg.svd(B, full_matrices=False, check_finite=False)
    k = min(n_components, len(S))
    return Spectrum(n, mean, S[:k], _flipped(Vt[:k]), ssq)


def projected_variance(runner: Passes, components: np.ndarray) -> np.ndarray:
    """Variance (``ddof=0``) of the projection of X on every component: one pass.

    ``vᵀ M v / n`` for the centred scatter ``M``: the kernel of :func:`randomized` with the
    components as ``W``.
    """
    V = np.ascontiguousarray(components.T, dtype=np.float64)
    n, _, Z, _ = runner.run(
        runner.reduction(
            K.product_block,
            runner.data.X,
            args=(V, False),
            combine=functools.partial(K.merge_product, V=V),
        ),
        what="variance of the projections",
    )
    return np.einsum("ij,ij->j", V, Z) / n
