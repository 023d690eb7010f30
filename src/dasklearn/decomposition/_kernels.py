"""Block kernels of the decompositions: NumPy/SciPy on one row block, no dask.

Every pass of PCA and TruncatedSVD returns, per row block, a small partial that holds the block's
row count ``n``, its column mean ``mean`` and a statistic of the block *centred on its own mean*:

* :func:`gram_block`: the scatter matrix ``M = (X - mean)ᵀ (X - mean)`` (d x d);
* :func:`r_block`: ``R``, the triangular factor of ``X - mean`` (TSQR: ``RᵀR = M``);
* :func:`product_block`: ``Z = M @ V`` for a thin ``V`` (d x l: randomized SVD), and the
  column sums of squares ``diag(M)``.

Partials are merged in block order with the exact update of Chan, Golub and LeVeque: for blocks
``a`` and ``b`` and ``delta = mean_b - mean_a``::

    M = M_a + M_b + (n_a n_b / n) delta deltaᵀ

(in QR form: the R factor of ``[R_a; R_b; sqrt(n_a n_b / n) deltaᵀ]``). No pass needs the global
mean first, and no sum of squares of uncentred data is ever formed: the accuracy is that of a
two-pass algorithm (centre, then multiply) whatever the data's offset from the origin. Inside a
block the same update runs over cache-sized sub-blocks (for the Gram, compiled tiles of 64 rows:
:mod:`dasklearn._gram`), so each block is read from memory once.

The incremental PCA update of :func:`ipca_update` is scikit-learn's ``IncrementalPCA.partial_fit``
on one batch, in NumPy.
"""

from __future__ import annotations

from math import lgamma, log
from typing import Any, NamedTuple

import numpy as np
from scipy import linalg

from .._gram import TILE, scatter_by_tiles
from ..utils import svd_flip

__all__ = [
    "IPCAState",
    "gram_block",
    "infer_dimension",
    "inverse_block",
    "ipca_batches",
    "ipca_block",
    "ipca_update",
    "loglik_block",
    "merge_gram",
    "merge_product",
    "merge_r",
    "product_block",
    "r_block",
    "sub_rows",
    "transform_block",
]

#: Bytes of one float64 sub-block (cache-sized): measured on 200k x 20 rows on one core, a
#: centred Gram took 14.7 ms with 4096-row sub-blocks, 17.7 ms with 1024 and 15.7 ms with 13107.
_SUB_BYTES = 2**19


def sub_rows(n_features: int, at_least: int = 64) -> int:
    """Rows per sub-block: about 512 KiB of float64, and at least ``at_least`` rows."""
    return int(max(at_least, _SUB_BYTES // (8 * max(1, n_features))))


def _sub_blocks(X: np.ndarray, step: int):
    """``(rows, mean, S, out)`` for consecutive sub-blocks ``S`` of X in float64: their column
    means, and ``out``, a buffer of S's shape reused across sub-blocks (fresh buffers cost page
    faults)."""
    n, d = X.shape
    step = min(step, n)
    buffer = np.empty((step, d))
    ones = np.ones(step)
    for start in range(0, n, step):
        S = X[start : start + step]
        rows = len(S)
        if S.dtype != np.float64:
            S = S.astype(np.float64)
        yield rows, np.dot(ones[:rows], S) / rows, S, buffer[:rows]


def _centred_sub_blocks(X: np.ndarray, step: int):
    """``(rows, mean, C)`` for consecutive sub-blocks of X, ``C`` the sub-block minus its own
    mean in float64, written into one reused buffer."""
    for rows, mean, S, out in _sub_blocks(X, step):
        yield rows, mean, np.subtract(S, mean, out=out)


def _between(counts: list[int], means: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The block mean from its sub-blocks', and the rows ``sqrt(n_s) (mean_s - mean)`` whose
    Gram is the scatter between the sub-blocks."""
    weights = np.asarray(counts, dtype=np.float64)
    means_ = np.asarray(means)
    mean = weights @ means_ / weights.sum()
    return mean, np.sqrt(weights)[:, None] * (means_ - mean)


# --------------------------------------------------------------------------------------------
# covariance: the centred Gram matrix
# --------------------------------------------------------------------------------------------


def gram_block(X: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """``(n, mean, M)`` of one block: ``M`` the scatter matrix of the block about its mean.

    One compiled read (:func:`dasklearn._gram.scatter_by_tiles`): each tile of rows about its
    own mean, then the scatter between the tile means.
    """
    n, d = X.shape
    if n == 0:
        return 0, np.zeros(d), np.zeros((d, d))
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    n_tiles = -(-n // TILE)
    means = np.empty((n_tiles, d))
    M = np.zeros((d, d))
    scatter_by_tiles(np.ascontiguousarray(X), M, means)
    counts = [TILE] * (n_tiles - 1) + [n - TILE * (n_tiles - 1)]
    mean, D = _between(counts, means)
    M = np.triu(M) + np.triu(M, 1).T
    M += np.dot(D.T, D)
    return n, mean, M


def merge_gram(a: tuple, b: tuple) -> tuple[int, np.ndarray, np.ndarray]:
    """Merge two ``(n, mean, M)`` partials (Chan et al.'s update)."""
    n_a, mean_a, M_a = a
    n_b, mean_b, M_b = b
    if n_a == 0 or n_b == 0:
        return b if n_a == 0 else a
    n = n_a + n_b
    delta = mean_b - mean_a
    return n, mean_a + delta * (n_b / n), M_a + M_b + (n_a * n_b / n) * np.outer(delta, delta)


# --------------------------------------------------------------------------------------------
# tall-skinny QR
# --------------------------------------------------------------------------------------------


def r_block(X: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """``(n, mean, R)`` of one block: ``R`` the triangular factor of the centred block
    (``min(n, d)`` rows or a few more).

    The block is factored a sub-block at a time, each merged into the running factor as in
    :func:`merge_r`: a Householder QR of a whole tall block streams it from memory once per
    column (200k x 20 rows: 154 ms on one core, against 44 ms in 1024-row sub-blocks).
    """
    n, d = X.shape
    if n == 0:
        return 0, np.zeros(d), np.zeros((0, d))
    state = (0, np.zeros(d), np.zeros((0, d)))
    for rows, mean, C in _centred_sub_blocks(X, max(4 * d, 1024)):
        if not np.isfinite(mean).all():  # LAPACK is not asked to factor NaN: the pass says so
            return n, mean, np.full((1, d), np.nan)
        state = _merge_r(state, rows, mean, C)
    return state


def _merge_r(a: tuple, n_b: int, mean_b: np.ndarray, R_b: np.ndarray) -> tuple:
    n_a, mean_a, R_a = a
    if n_a == 0:
        return n_b, mean_b, np.linalg.qr(R_b, mode="r")
    n = n_a + n_b
    delta = mean_b - mean_a
    stacked = np.vstack([R_a, R_b, np.sqrt(n_a * n_b / n) * delta[None, :]])
    return n, mean_a + delta * (n_b / n), np.linalg.qr(stacked, mode="r")


def merge_r(a: tuple, b: tuple) -> tuple[int, np.ndarray, np.ndarray]:
    """Merge two ``(n, mean, R)`` partials: the R factor of ``[R_a; R_b; mean correction]``."""
    if b[0] == 0:
        return a
    if a[0] == 0:
        return b
    return _merge_r(a, *b)


# --------------------------------------------------------------------------------------------
# randomized SVD: the centred Gram times a thin matrix
# --------------------------------------------------------------------------------------------


def product_block(
    X: np.ndarray, V: np.ndarray, moments: bool
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray | None]:
    """``(n, mean, Z, ssq)`` of one block: ``Z = (X - mean)ᵀ (X - mean) V`` and, when
    ``moments``, the column sums of squares about the mean (else None)."""
    n, d = X.shape
    if n == 0:
        return 0, np.zeros(d), np.zeros(V.shape), np.zeros(d) if moments else None
    Z = np.zeros(V.shape)
    ssq = np.zeros(d) if moments else None
    counts, means = [], []
    for rows, mean, C in _centred_sub_blocks(X, sub_rows(d)):
        Z += np.dot(C.T, np.dot(C, V))
        if moments:
            ssq += np.einsum("ij,ij->j", C, C)
        counts.append(rows)
        means.append(mean)
    mean, D = _between(counts, means)
    Z += np.dot(D.T, np.dot(D, V))
    if moments:
        ssq += np.einsum("ij,ij->j", D, D)
    return n, mean, Z, ssq


def merge_product(a: tuple, b: tuple, V: np.ndarray) -> tuple:
    """Merge two ``(n, mean, Z, ssq)`` partials for the same ``V``."""
    n_a, mean_a, Z_a, s_a = a
    n_b, mean_b, Z_b, s_b = b
    if n_a == 0 or n_b == 0:
        return b if n_a == 0 else a
    n = n_a + n_b
    delta = mean_b - mean_a
    c = n_a * n_b / n
    Z = Z_a + Z_b + c * np.outer(delta, delta @ V)
    ssq = None if s_a is None else s_a + s_b + c * delta**2
    return n, mean_a + delta * (n_b / n), Z, ssq


# --------------------------------------------------------------------------------------------
# per-row outputs
# --------------------------------------------------------------------------------------------


def transform_block(
    X: np.ndarray, components: np.ndarray, offset: np.ndarray | None, scale: np.ndarray | None
) -> np.ndarray:
    """``X @ componentsᵀ - offset``, divided by ``scale`` (whitening) when given.

    ``offset`` is ``mean @ componentsᵀ`` (None: no centring, as TruncatedSVD): subtracting it
    after the product leaves X untouched, as scikit-learn's PCA does.
    """
    out = np.dot(X, components.T)
    if offset is not None:
        out -= offset
    if scale is not None:
        out /= scale
    return out


def inverse_block(X: np.ndarray, components: np.ndarray, mean: np.ndarray | None) -> np.ndarray:
    """``X @ components + mean`` (``components`` already scaled back when whitened)."""
    out = np.dot(X, components)
    if mean is not None:
        out += mean
    return out


def loglik_block(
    X: np.ndarray, mean: np.ndarray, precision: np.ndarray, constant: float
) -> np.ndarray:
    """Log-likelihood of every row under the probabilistic PCA model (Bishop 12.2.1)."""
    Xr = X - mean
    return -0.5 * np.einsum("ij,ij->i", Xr, np.dot(Xr, precision)) - constant


# --------------------------------------------------------------------------------------------
# n_components="mle"
# --------------------------------------------------------------------------------------------


def infer_dimension(spectrum: np.ndarray, n_samples: int) -> int:
    """The rank in ``[1, n_features - 1]`` that Minka's MLE prefers for ``spectrum``
    (descending).

    scikit-learn's ``_infer_dimension`` evaluates Minka's log-likelihood for every rank with a
    Python double loop over eigenvalue pairs: O(d³) steps, 150 s for 520 features. The same
    terms are kept here as running sums over the rank: O(d²) vectorised work, O(d) memory.
    """
    s = np.asarray(spectrum, dtype=np.float64)
    d = s.shape[0]
    n = float(n_samples)
    eps = 1e-15
    ll = np.full(d, -np.inf)
    tail = np.cumsum(s[::-1])[::-1]  # tail[r] = sum(s[r:])
    pu = pl = pairs_s = pairs_inv = 0.0
    n_pairs = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        for rank in range(1, d):
            i = rank - 1  # the eigenvalue this rank adds
            pu += lgamma((d - i) / 2.0) - log(np.pi) * (d - i) / 2.0
            pl += log(s[i]) if s[i] > 0 else -np.inf
            pairs_s += np.sum(np.log(s[i] - s[rank:]))  # log(s_i - s_j), every j > i
            pairs_inv += np.sum(np.log(1.0 / s[i] - 1.0 / s[:i]))  # j = i, every i' < i
            n_pairs += d - rank
            if s[i] < eps:
                continue  # scikit-learn's rule: such ranks are never the maximum
            v = max(eps, tail[rank] / (d - rank))
            to_noise = (d - rank) * np.sum(np.log(1.0 / v - 1.0 / s[:rank]))
            pa = pairs_s + pairs_inv + to_noise + n_pairs * log(n)
            m = d * rank - rank * (rank + 1.0) / 2.0
            ll[rank] = (
                -rank * log(2.0)
                + pu
                - pl * n / 2.0
                - log(v) * n * (d - rank) / 2.0
                + log(2.0 * np.pi) * (m + rank) / 2.0
                - pa / 2.0
                - rank * log(n) / 2.0
            )
    return int(np.argmax(ll))


# --------------------------------------------------------------------------------------------
# incremental PCA
# --------------------------------------------------------------------------------------------


class IPCAState(NamedTuple):
    """What ``IncrementalPCA`` carries from one batch to the next (scikit-learn's attributes)."""

    n_samples_seen: int
    mean: np.ndarray | float
    var: np.ndarray | float
    components: np.ndarray | None
    singular_values: np.ndarray | None
    explained_variance: np.ndarray | None
    explained_variance_ratio: np.ndarray | None
    noise_variance: float | None
    n_components: int | None
    largest_batch: int = 0


def ipca_batches(n: int, batch_size: int | None, min_batch_size: int) -> list[slice]:
    """scikit-learn's ``gen_batches(n, batch_size, min_batch_size=...)`` (None: one batch)."""
    if n == 0:
        return []
    if batch_size is None:
        return [slice(0, n)]
    out, start = [], 0
    for _ in range(n // batch_size):
        end = start + batch_size
        if end + min_batch_size > n:
            continue
        out.append(slice(start, end))
        start = end
    if start < n:
        out.append(slice(start, n))
    return out


def _batch_svd(X: np.ndarray, solver: Any) -> tuple[np.ndarray, np.ndarray]:
    """(S, Vt) of one stacked batch, signs as scikit-learn's ``svd_flip(u_based_decision=False)``.

    ``solver`` is None for LAPACK's full SVD, else ``(n_components, n_oversamples, n_iter,
    seed)`` for a randomized SVD of the batch.
    """
    if solver is None:
        _, S, Vt = linalg.svd(X, full_matrices=False, check_finite=False)
    else:
        from sklearn.utils.extmath import randomized_svd

        k, p, n_iter, seed = solver
        _, S, Vt = randomized_svd(
            X, k, n_oversamples=p, n_iter=n_iter, random_state=seed, flip_sign=False
        )
    return S, svd_flip(None, Vt, u_based_decision=False)[1]


def ipca_update(state: IPCAState, X: np.ndarray, n_components: int | None, solver: Any = None):
    """scikit-learn's ``IncrementalPCA.partial_fit`` on one batch ``X``: the next state."""
    X = np.asarray(X, dtype=np.float64)
    n_samples, n_features = X.shape
    if not np.isfinite(X).all():
        raise ValueError("Input X contains NaN or infinity; drop or impute those values first.")
    first = state.components is None
    if n_components is None:
        k = min(n_samples, n_features) if first else state.components.shape[0]
    elif first and n_components > n_samples:
        raise ValueError(
            f"n_components={n_components} must be less or equal to the batch number of "
            f"samples {n_samples} for the first partial_fit call."
        )
    else:
        k = n_components
    if not first and state.components.shape[0] != k:
        raise ValueError(
            f"Number of input features has changed from {state.components.shape[0]} to {k} "
            "between calls to partial_fit! Try setting n_components to a fixed value."
        )
    seen = state.n_samples_seen
    total = seen + n_samples
    # scikit-learn's _incremental_mean_and_var (Chan, Golub and LeVeque), in its order of
    # operations so that the results agree to the last bits
    new_sum = X.sum(axis=0)
    temp = X - new_sum / n_samples
    new_ssq = np.sum(temp**2, axis=0) - np.sum(temp, axis=0) ** 2 / n_samples
    last_sum = state.mean * seen
    mean = (last_sum + new_sum) / total
    if seen == 0:
        var = new_ssq / total
        stacked = X - mean
    else:
        last_over_new = seen / n_samples
        correction_ssq = last_over_new / total * (last_sum / last_over_new - new_sum) ** 2
        var = (state.var * seen + new_ssq + correction_ssq) / total
        batch_mean = np.mean(X, axis=0)
        correction = np.sqrt((seen / total) * n_samples) * (state.mean - batch_mean)
        stacked = np.vstack(
            (state.singular_values[:, None] * state.components, X - batch_mean, correction)
        )
    S, Vt = _batch_svd(stacked, None if solver is None else (k, *solver))
    explained = S**2 / (total - 1)
    ratio = S**2 / np.sum(var * total)
    if k in (n_samples, n_features):
        noise = 0.0
    elif len(S) > k:
        noise = explained[k:].mean()
    else:  # a randomized SVD computed the leading values only: the rest of the variance
        rank = min(n_features, total)
        noise = (np.sum(var) * total / (total - 1) - explained.sum()) / max(rank - k, 1)
    largest = max(state.largest_batch, n_samples)
    return IPCAState(
        total, mean, var, Vt[:k], S[:k], explained[:k], ratio[:k], float(noise), k, largest
    )


def ipca_block(
    state: IPCAState, X: np.ndarray, n_components: int | None, solver: Any, batch_size: int | None
) -> IPCAState:
    """:func:`ipca_update` over the batches of one row block, in order (an empty block leaves
    the state as it is)."""
    for batch in ipca_batches(len(X), batch_size, n_components or 0):
        state = ipca_update(state, X[batch], n_components, solver)
    return state
