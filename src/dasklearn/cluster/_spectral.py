"""Spectral clustering with the Nystrom approximation: memory O(n * n_components), never O(n^2).

The algorithm (Fowlkes, Belongie, Chung and Malik 2004, in its orthogonalised form):

1. Sample ``m = n_components`` landmark rows ``L`` (one pass). ``A = affinity(L, L)`` (m x m).
2. The affinity matrix is approximated by ``W ~ C A^+ C^T`` with ``C = affinity(X, L)`` (n x m),
   which is only ever formed one row block at a time.
3. Pass 1: ``s = C^T 1`` gives the degrees ``d = W 1 ~ C (A^+ s)``.
4. Pass 2: ``G = sum_i C_i^T C_i / d_i``. With ``R = A^{+1/2}``, ``F = D^{-1/2} C R`` satisfies
   ``D^{-1/2} W D^{-1/2} ~ F F^T``, and the eigenvectors of ``F F^T`` come from the m x m matrix
   ``F^T F = R G R = U S U^T``: ``V = F U S^{-1/2}``, orthonormal over all n rows.
5. The top ``n_clusters`` columns of ``V``, rows scaled to unit length (Ng, Jordan and Weiss
   2002), are clustered with :class:`dasklearn.cluster.KMeans` (``assign_labels="kmeans"``).

Passes over X: one to sample, two for the degrees and the Gram matrix, and one to compute the
(n, n_clusters) embedding that k-means then reads. For dask input the embedding stays lazy unless
``persist_embedding=True``; k-means' own placement persists it when it fits in memory.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Any

import dask
import numpy as np
import scipy.linalg
from sklearn.base import BaseEstimator, ClusterMixin, clone

from .._array_checks import check_array
from .._chunks import n_rows
from .._client import active_client
from .._output import LazyRowsMixin, Output, map_rows
from .._params import Interval, Options, check_params
from .._placement import Placement, place
from .._validation import check_random_state_int, is_dask_input, validate_data
from . import _spectral_kernels as S
from ._kmeans import KMeans
from ._kmeans_algorithm import make_passes, run_pass, sample_rows, tolerance
from ._kmeans_kernels import center_terms, labels_block

__all__ = ["SpectralClustering"]


def _kernel_names() -> set[str]:
    from sklearn.metrics.pairwise import PAIRWISE_KERNEL_FUNCTIONS

    return set(PAIRWISE_KERNEL_FUNCTIONS) | {"poly"}


def _inverse_sqrt(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(A^+, A^{+1/2})`` of a symmetric PSD matrix, from one eigendecomposition.

    Eigenvalues below ``sqrt(eps)`` times the largest are dropped (a rank-truncated pseudo-inverse):
    kernel matrices are numerically low-rank, and keeping eigenvalues near ``eps`` amplifies
    rounding (with 299 rbf landmarks the top eigenvalue came out as 1.0002 instead of 1; with this
    cutoff, within 1e-9). Both results come from the same truncation, so the degrees and the
    embedding stay consistent.
    """
    values, vectors = scipy.linalg.eigh((A + A.T) / 2)
    cutoff = max(values.max(initial=0.0), 0.0) * np.sqrt(np.finfo(np.float64).eps)
    keep = values > cutoff
    V, lam = vectors[:, keep], values[keep]
    return (V / lam) @ V.T, (V / np.sqrt(lam)) @ V.T


class SpectralClustering(LazyRowsMixin, ClusterMixin, BaseEstimator):
    """Spectral clustering of large data with the Nystrom approximation.

    A drop-in for ``dask_ml.cluster.SpectralClustering`` (same constructor). The (n, n) affinity
    matrix is never formed: ``n_components`` rows are sampled as landmarks and only the
    (rows, n_components) affinities of one row block exist at a time, so memory is
    O(n * n_components). Works on NumPy, pandas, dask arrays and dask dataframes.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters, and dimension of the spectral embedding.
    eigen_solver : ignored
        Accepted for dask-ml compatibility (the m x m eigenproblem is solved exactly).
    random_state : int, RandomState, Generator or None
        Seeds the landmark sample and the k-means. The same seed gives the same labels on any
        scheduler for the same row blocks.
    n_init : "auto" or int, default="auto"
        ``n_init`` of the k-means that assigns the labels.
    gamma : float, default=1.0
        Kernel coefficient for the rbf, polynomial, sigmoid, laplacian and chi2 affinities.
    affinity : str or callable, default="rbf"
        A kernel name from ``sklearn.metrics.pairwise.PAIRWISE_KERNEL_FUNCTIONS`` (``"rbf"``,
        ``"polynomial"``, ``"laplacian"``, ...; it must give non-negative similarities); a callable
        ``affinity(X_block, landmarks, **kernel_params)`` returning the (rows, n_components)
        affinities; or ``"precomputed"``: X is the (n, n) affinity matrix, of which only the
        sampled columns are read (X[:, landmarks]), so a chunked dask array never needs to fit.
    n_neighbors : ignored
        Accepted for dask-ml compatibility (no nearest-neighbors affinity).
    eigen_tol : ignored
        Accepted for dask-ml compatibility.
    assign_labels : "kmeans", "sklearn-kmeans" or estimator, default="kmeans"
        ``"kmeans"``: :class:`dasklearn.cluster.KMeans` on the embedding; ``"sklearn-kmeans"``:
        scikit-learn's ``KMeans`` on the embedding in memory (dask-ml's option). An estimator with
        ``fit`` and ``labels_`` (cloned) is fitted on the embedding instead (a dask array for dask
        input).
    degree : float, default=3
        Degree of the polynomial affinity.
    coef0 : float, default=1
        Zero coefficient of the polynomial and sigmoid affinities.
    kernel_params : dict, optional
        Extra keyword arguments for the affinity (a callable gets only these).
    n_jobs : ignored
        Accepted for dask-ml compatibility; parallelism comes from dask.
    n_components : int, default=100
        Number of landmark rows of the Nystrom approximation, at least ``n_clusters``. More is
        more accurate and costs O(n * n_components) per pass. When it is not smaller than
        n_samples, every row is a landmark (the exact embedding, O(n^2) memory; with a warning).
    persist_embedding : bool, default=False
        Persist the (n, n_clusters) embedding before k-means reads it. When False, k-means' own
        policy decides (it persists its input when that takes less than half of the memory
        computations may use, which the embedding almost always does); True persists it always.
    kmeans_params : dict, optional
        Parameters for the k-means of ``assign_labels`` (``max_iter``, ``tol``, ``init``, ...).

    Attributes
    ----------
    labels_ : ndarray, dask array or dask Series of shape (n_samples,)
        Cluster of every row: NumPy for in-memory input; for dask input, lazy and in X's
        container (a dask array with X's row chunks, a dask Series with X's index for a dask
        DataFrame) when the label assigner has ``cluster_centers_``, else its own ``labels_``.
    assign_labels_ : estimator
        The fitted k-means (or ``assign_labels`` estimator).
    eigenvalues_ : ndarray of shape (n_clusters,)
        The largest eigenvalues of the approximated normalised affinity ``D^-1/2 W D^-1/2``.
    landmarks_ : ndarray of shape (n_components, n_features)
        The sampled rows (indices into the columns for ``affinity="precomputed"``).
    n_passes_ : int
        Passes over X for the landmark sample (none with ``affinity="precomputed"``), the
        degrees and the Gram matrix; the passes of the label assigner over the embedding are
        its own (``assign_labels_.n_passes_`` for :class:`dasklearn.cluster.KMeans`).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit (string column names only).

    Examples
    --------
    >>> from sklearn.metrics import adjusted_rand_score
    >>> from dasklearn.cluster import SpectralClustering
    >>> from dasklearn.datasets import make_blobs
    >>> X, y = make_blobs(n_samples=600, centers=3, cluster_std=0.5, chunks=200, random_state=0)
    >>> sc = SpectralClustering(n_clusters=3, n_components=50, random_state=0).fit(X)
    >>> sc.labels_  # lazy, with X's row chunks
    dask.array<..., shape=(600,), dtype=int32, chunksize=(200,), chunktype=numpy.ndarray>
    >>> adjusted_rand_score(y.compute(), sc.labels_.compute())
    1.0
    """

    def __init__(
        self,
        n_clusters: int = 8,
        eigen_solver: Any = None,
        random_state: Any = None,
        n_init: Any = "auto",
        gamma: float = 1.0,
        affinity: Any = "rbf",
        n_neighbors: int = 10,
        eigen_tol: float = 0.0,
        assign_labels: Any = "kmeans",
        degree: float = 3,
        coef0: float = 1,
        kernel_params: dict | None = None,
        n_jobs: Any = 1,
        n_components: int = 100,
        persist_embedding: bool = False,
        kmeans_params: dict | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.eigen_solver = eigen_solver
        self.random_state = random_state
        self.n_init = n_init
        self.gamma = gamma
        self.affinity = affinity
        self.n_neighbors = n_neighbors
        self.eigen_tol = eigen_tol
        self.assign_labels = assign_labels
        self.degree = degree
        self.coef0 = coef0
        self.kernel_params = kernel_params
        self.n_jobs = n_jobs
        self.n_components = n_components
        self.persist_embedding = persist_embedding
        self.kmeans_params = kmeans_params

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "eigen_solver": ["no_validation"],
        "random_state": ["random_state"],
        "n_init": [Options({"auto"}), Interval(Integral, 1, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "affinity": [str, "callable"],
        "n_neighbors": ["no_validation"],
        "eigen_tol": ["no_validation"],
        "assign_labels": [Options({"kmeans", "sklearn-kmeans"}), "estimator"],
        "degree": [Interval(Real, 0, None, closed="left")],
        "coef0": [Real],
        "kernel_params": [None, dict],
        "n_jobs": ["no_validation"],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "persist_embedding": ["boolean"],
        "kmeans_params": [None, dict],
    }

    # ---- parameters ------------------------------------------------------------------------
    def _check_params(self) -> dict:
        check_params(self)
        k, m = self.n_clusters, self.n_components
        if m < k:
            raise ValueError(
                f"n_components must be an integer >= n_clusters={k}, got {m!r}: the embedding "
                "takes n_clusters eigenvectors of an n_components x n_components problem."
            )
        affinity = self.affinity
        if isinstance(affinity, str) and affinity != "precomputed":
            if affinity not in _kernel_names():
                raise ValueError(
                    f"Unknown affinity {affinity!r}: use 'precomputed', a callable, or one of "
                    f"{sorted(_kernel_names())}."
                )
        params = dict(self.kernel_params or {})
        if not callable(affinity):
            params.update(gamma=self.gamma, degree=self.degree, coef0=self.coef0)
        return params

    # ---- fit -------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> SpectralClustering:
        """Cluster X.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            The rows to cluster, or the (n, n) affinity matrix for ``affinity="precomputed"``.
        y : ignored
            Not used, present for API consistency.

        Returns
        -------
        self : SpectralClustering
            The fitted estimator.
        """
        params = self._check_params()
        seed = check_random_state_int(self.random_state)
        m = int(self.n_components)
        if self.affinity == "precomputed":
            runner, lazy_X, index, A = self._precomputed(X, m, seed)
            landmarks = None  # the affinity columns are the landmarks
        else:
            runner, lazy_X, landmarks, A = self._sampled(X, m, seed, params)
            index = landmarks
        q, projection, eigenvalues = self._spectrum(runner, landmarks, A, params)
        kernel_args = (landmarks, self.affinity, params, q, projection)
        embedding = self._embedding(runner.data, kernel_args)
        model = self._assigner(seed)
        model.fit(embedding)
        self.assign_labels_ = model
        self.eigenvalues_ = eigenvalues
        self.landmarks_ = index
        self.n_passes_ = runner.n_passes
        if runner.data.from_memory or not hasattr(model, "cluster_centers_"):
            self.labels_ = model.labels_
        else:
            # labels from the input's own graph (not the persisted copy), in X's container
            A_, b, _ = center_terms(model.cluster_centers_, np.float64)
            self.labels_ = map_rows(
                _embedded_labels,
                lazy_X,
                kernel_args,
                A_,
                b,
                output=Output(np.int32),
                dtype=np.float64,
            )
            if isinstance(model, KMeans):
                model.labels_ = self.labels_
        return self

    def fit_predict(self, X: Any, y: Any = None) -> Any:
        """Fit, then return ``labels_``.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        labels : ndarray, dask array or dask Series of shape (n_samples,)
            NumPy for in-memory X; lazy, in X's container and row blocks, for dask X.
        """
        return self.fit(X).labels_

    # ---- steps -----------------------------------------------------------------------------
    def _sampled(self, X: Any, m: int, seed: int, params: dict) -> tuple:
        n = n_rows(X) if is_dask_input(X) else None
        Xv = validate_data(
            self,
            X,
            reset=True,
            dtype=[np.float64, np.float32],
            ensure_all_finite=False,
            known_chunks=n is None,
        )
        n = Xv.shape[0] if n is None else n
        m = _landmark_count(m, n, self.n_clusters)
        runner = make_passes(place(Xv, n_samples=n))
        sample = sample_rows(runner, m, seed, np.zeros(Xv.shape[1]))
        tolerance(sample["moments"], 0.0)  # NaN / inf in X, found by the sampling pass
        landmarks = sample["rows"]
        A = S.affinity_block(landmarks, landmarks, self.affinity, params)
        return runner, X, landmarks, A

    def _precomputed(self, X: Any, m: int, seed: int) -> tuple:
        if not is_dask_input(X):
            X = check_array(X, ensure_all_finite=True, what="X (precomputed affinity)")
        shape = X.shape
        if len(shape) != 2 or (not np.isnan(shape[0]) and shape[0] != shape[1]):
            raise ValueError(
                f"affinity='precomputed' needs a square (n, n) affinity matrix, got shape {shape}."
            )
        n = int(shape[1])
        m = _landmark_count(m, n, self.n_clusters)
        index = np.sort(np.random.default_rng(seed).choice(n, size=m, replace=False))
        columns = X.iloc[:, index] if hasattr(X, "iloc") else X[:, index]
        C = check_array(columns, ensure_all_finite=False, what="X (precomputed affinity)")
        if C.shape[0] != n:
            raise ValueError(
                f"affinity='precomputed' needs a square matrix; got {C.shape[0]} rows."
            )
        self.n_features_in_ = n
        runner = make_passes(place(C))
        (A,) = dask.compute(runner.data.X[index])
        A = np.asarray(A, dtype=np.float64)
        if not np.isfinite(A).all():
            raise ValueError("The precomputed affinity contains NaN or infinity.")
        return runner, columns, index, A

    def _spectrum(self, runner: Any, landmarks: Any, A: np.ndarray, params: dict) -> tuple:
        """Passes 1 and 2: degrees and Gram matrix; then the m x m eigenproblem."""
        affinity = self.affinity
        s = run_pass(runner, S.column_sums_block, landmarks, affinity, params, weights=False)
        A_pinv, A_isqrt = _inverse_sqrt(A)
        q = A_pinv @ s
        G, low = run_pass(
            runner,
            S.gram_block,
            landmarks,
            affinity,
            params,
            q,
            combine=S.combine_gram,
            weights=False,
        )
        if not low > 0:
            raise ValueError(
                "Some Nystrom degrees are not positive: the affinity must give non-negative "
                "similarities (rbf, laplacian, chi2, or a polynomial/sigmoid kernel whose values "
                "stay positive on this data), and the landmarks must reach every row (raise "
                "n_components or lower gamma)."
            )
        M = A_isqrt @ G @ A_isqrt
        values, vectors = scipy.linalg.eigh((M + M.T) / 2)
        order = np.argsort(values)[::-1][: self.n_clusters]
        values = np.maximum(values[order], np.finfo(np.float64).tiny)
        projection = A_isqrt @ vectors[:, order] / np.sqrt(values)
        return q, projection, values

    def _embedding(self, data: Placement, kernel_args: tuple) -> Any:
        output = Output(np.float64, width=self.n_clusters)
        emb = map_rows(_embed, data.X, kernel_args, output=output, dtype=None)
        if data.from_memory:
            (out,) = dask.compute(emb, scheduler="threads" if data.policy == "in-memory" else None)
            return out
        if self.persist_embedding:
            client = active_client()
            (emb,) = client.persist([emb]) if client is not None else dask.persist(emb)
        return emb

    def _assigner(self, seed: int) -> Any:
        if self.assign_labels == "sklearn-kmeans":
            from sklearn.cluster import KMeans as SKKMeans

            model = SKKMeans(n_clusters=self.n_clusters, random_state=seed % 2**32)
        elif isinstance(self.assign_labels, str):
            model = KMeans(
                n_clusters=self.n_clusters,
                random_state=int(np.random.SeedSequence([seed, 1]).generate_state(1)[0]),
                n_init=self.n_init,
            )
        else:
            model = clone(self.assign_labels)
        if self.kmeans_params:
            model.set_params(**self.kmeans_params)
        return model


def _embed(block: np.ndarray, kernel_args: tuple) -> np.ndarray:
    return S.embedding_block(block, *kernel_args)


def _embedded_labels(
    block: np.ndarray, kernel_args: tuple, A: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """Labels of a block of X: its spectral embedding, then the nearest k-means center."""
    return labels_block(S.embedding_block(block, *kernel_args), A, b)


def _landmark_count(m: int, n_samples: int, n_clusters: int) -> int:
    """Landmarks to sample: ``n_components``, or every row (exact, with a warning) when there
    are no more rows than that. Fewer rows than clusters is an error."""
    if n_samples < n_clusters:
        raise ValueError(f"n_samples={n_samples} should be >= n_clusters={n_clusters}.")
    if m >= n_samples:
        warnings.warn(
            f"n_components={m} is not smaller than the number of samples ({n_samples}): every "
            "row is a landmark (the exact spectral embedding, O(n^2) memory).",
            UserWarning,
            stacklevel=4,
        )
        return n_samples
    return m
