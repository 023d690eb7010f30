"""KMeans: the estimator. k-means|| initialisation and one pass per Lloyd iteration.

Layers (see ARCHITECTURE.md): :class:`KMeans` checks its parameters, validates and places the
input (:mod:`dasklearn._placement`), and stores NumPy attributes; :mod:`._kmeans_algorithm` decides
the passes over the data; the block kernels in :mod:`._kmeans_kernels` do the arithmetic;
per-row results (``predict``, ``transform``, ``labels_``) go through the shared output layer
(:mod:`dasklearn._output`), in the container of the input.

Data placement is the shared policy: NumPy input is split into row blocks without a copy (sent
to the workers once on a distributed client); dask input is persisted when it takes at most
half of the memory computations may use, and otherwise streamed from its source at every pass,
so larger-than-memory data (parquet) works.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Any

import dask
import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)

from .._chunks import n_rows
from .._output import LazyRowsMixin, Output, OutputMixin, apply_rows
from .._params import Interval, Options, check_params
from .._placement import place
from .._validation import (
    check_is_fitted,
    check_random_state_int,
    check_sample_weight,
    check_weight_values,
    is_dask_input,
    validate_data,
)
from . import _kmeans_algorithm as A
from . import _kmeans_kernels as K

__all__ = ["KMeans"]

#: k-means|| sampling rounds when ``init_max_iter`` is None. Bahmani et al. (2012) start from
#: one random row and use 5 rounds of 2k samples; we start from the k-means of a uniform sample
#: (which finds the bulk of the data that the first rounds find), and the weighing pass's
#: distance-weighted row sample oversamples what it missed. Each round is a pass; a prototype
#: with one round after the sample's k-means was no better on the quality checks of
#: ``benchmarks/kmeans_quality.py`` (10 states; results/kmeans.md).
_DEFAULT_INIT_ROUNDS = 0
_INIT_NAMES = ("k-means||", "k-means++", "random")


def _n_columns(X: Any) -> int | None:
    """Width of X from metadata only (no pass over the data)."""
    if hasattr(X, "columns"):
        return len(X.columns)
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) == 2:
        return int(shape[1])
    return None


class KMeans(
    LazyRowsMixin,
    OutputMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    ClusterMixin,
    BaseEstimator,
    auto_wrap_output_keys=None,
):
    """Scalable k-means: k-means|| initialisation and Lloyd iterations over row blocks.

    A drop-in for ``dask_ml.cluster.KMeans`` (same constructor) with scikit-learn's attributes and
    methods. Works on NumPy, pandas, dask arrays and dask dataframes, including data larger than
    the cluster's memory (read from parquet at every pass). Every Lloyd iteration is one pass over
    the data: a block kernel assigns its rows to the nearest center with one GEMM per sub-block
    and returns only per-center sums and weights.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    init : {"k-means||", "k-means++", "random"} or array of shape (n_clusters, n_features)
        ``"k-means||"`` (Bahmani et al. 2012), two passes by default: one taking about
        ``max(5_000, 50 * n_clusters)`` rows uniformly, whose weighted k-means in memory gives
        the first candidate centers (where k-means|| starts from one random row), then
        ``init_max_iter`` passes that each sample about ``oversampling_factor * n_clusters``
        more candidates with probability proportional to their squared distance to the
        candidates so far, then one pass weighting every candidate by the rows nearest to it
        and sampling about ``max(20_000, 250 * n_clusters)`` rows (every row of smaller data;
        three quarters uniformly, a quarter by squared distance to the candidates: the
        oversampling of what the first sample missed), and in memory the best of weighted
        k-means runs on the sampled rows, each standing for its share of its candidate's
        cell: 8 runs, and batches of 8 more until half of them end at the same lowest cost, up
        to 64 when the sample holds a quarter of the rows or more (fewer in proportion
        below).
        ``"k-means++"``: scikit-learn's k-means++ on a uniform sample of
        ``max(10_000, 100 * n_clusters)`` rows (one pass). ``"random"``: ``n_clusters`` rows drawn
        at random (one pass). An array: those centers.
    oversampling_factor : float, default=2
        Candidates sampled per k-means|| round (``init_max_iter``), as a multiple of
        ``n_clusters``.
    max_iter : int, default=300
        Most Lloyd iterations (passes) per run.
    tol : float, default=1e-4
        Stop when the centers move, in total squared distance, less than ``tol`` times the mean
        variance of the features (scikit-learn's rule; dask-ml used an absolute tolerance).
    precompute_distances : ignored
        Accepted for dask-ml compatibility.
    random_state : int, RandomState, Generator or None
        Seeds the initialisation. The same seed gives the same centers on any scheduler and any
        number of workers (for the same row blocks of X).
    copy_x : ignored
        Accepted for dask-ml compatibility; X is never modified.
    n_jobs : ignored
        Accepted for dask-ml compatibility; parallelism comes from dask.
    algorithm : {"lloyd", "full"}, default="full"
        Lloyd's algorithm (``"full"`` is dask-ml's name for it).
    init_max_iter : int or None, default=None
        k-means|| sampling rounds (passes) between the first sample and the weighing pass;
        None means 0 (each round samples about ``oversampling_factor * n_clusters``
        candidates).
    n_init : "auto" or int, default="auto"
        Runs from different initialisations; the run with the lowest inertia is kept. Each run
        makes its own passes. ``"auto"``: 1, or 10 for ``init="random"`` (scikit-learn's rule).

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of the centers (X's float dtype).
    labels_ : ndarray, dask array or dask Series of shape (n_samples,)
        Index of the nearest center of every training row (int32): NumPy for in-memory input;
        for dask input, lazy and in X's container (a dask array with X's row chunks, a dask
        Series with X's index for a dask DataFrame), computed from X when asked for, not stored.
    inertia_ : float
        Sum of (weighted) squared distances of the rows to their nearest center, exact, for the
        final centers.
    n_iter_ : int
        Lloyd iterations run (in the kept run).
    n_passes_ : int
        Passes over X made by the fit: initialisation, Lloyd iterations and the final pass of
        every run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit (string column names only).

    Notes
    -----
    Fitted models hold only NumPy values (and, for dask input, the lazy ``labels_`` graph built
    from the input X), so they pickle and reload.

    References
    ----------
    Bahmani, Moseley, Vattani, Kumar, Vassilvitskii. Scalable K-Means++. VLDB 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from dasklearn.cluster import KMeans
    >>> X = np.array([[1.0, 1.0], [1.5, 2.0], [1.0, 0.5], [8.0, 8.0], [8.5, 9.0], [9.0, 8.0]])
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> km.cluster_centers_[np.argsort(km.cluster_centers_[:, 0])]
    array([[1.16666667, 1.16666667],
           [8.5       , 8.33333333]])
    >>> bool(km.labels_[0] == km.labels_[2] != km.labels_[3])
    True

    Dask input stays lazy: the labels come in X's container and row blocks.

    >>> from dasklearn.datasets import make_blobs
    >>> X, y = make_blobs(n_samples=1000, centers=3, chunks=250, random_state=0)
    >>> km = KMeans(n_clusters=3, random_state=0).fit(X)
    >>> km.labels_
    dask.array<..., shape=(1000,), dtype=int32, chunksize=(250,), chunktype=numpy.ndarray>
    >>> km.predict(X[:5]).compute().shape
    (5,)
    """

    def __init__(
        self,
        n_clusters: int = 8,
        init: str | Any = "k-means||",
        oversampling_factor: float = 2,
        max_iter: int = 300,
        tol: float = 1e-4,
        precompute_distances: Any = "auto",
        random_state: Any = None,
        copy_x: bool = True,
        n_jobs: Any = 1,
        algorithm: str = "full",
        init_max_iter: int | None = None,
        n_init: str | int = "auto",
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.oversampling_factor = oversampling_factor
        self.max_iter = max_iter
        self.tol = tol
        self.precompute_distances = precompute_distances
        self.random_state = random_state
        self.copy_x = copy_x
        self.n_jobs = n_jobs
        self.algorithm = algorithm
        self.init_max_iter = init_max_iter
        self.n_init = n_init

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [Options(_INIT_NAMES), "array-like"],
        "oversampling_factor": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "precompute_distances": ["no_validation"],
        "random_state": ["random_state"],
        "copy_x": ["no_validation"],
        "n_jobs": ["no_validation"],
        "algorithm": [Options({"lloyd", "full"})],
        "init_max_iter": [None, Interval(Integral, 0, None, closed="left")],
        "n_init": [Options({"auto"}), Interval(Integral, 1, None, closed="left")],
    }

    # ---- parameters ------------------------------------------------------------------------
    def _check_params(self, X: Any) -> tuple[Any, int, int]:
        """Check parameters against X's metadata (before any pass): init, runs, rounds."""
        check_params(self)
        k = self.n_clusters
        rounds = _DEFAULT_INIT_ROUNDS if self.init_max_iter is None else self.init_max_iter
        init = self.init
        if not isinstance(init, str):
            init = np.asarray(init.compute() if hasattr(init, "compute") else init, np.float64)
            width = _n_columns(X)
            if (
                init.ndim != 2
                or init.shape[0] != k
                or (width is not None and init.shape[1] != width)
            ):
                expected = f"({k}, {width if width is not None else 'n_features'})"
                raise ValueError(
                    f"The init array has shape {init.shape}; expected {expected}: one row per "
                    "cluster and one column per feature of X."
                )
            if not np.isfinite(init).all():
                raise ValueError("The init array contains NaN or infinity.")
        n_init = self.n_init
        if n_init == "auto":
            n_init = 10 if isinstance(init, str) and init == "random" else 1
        if not isinstance(init, str) and n_init != 1:
            warnings.warn(
                f"Explicit initial centers passed: n_init={n_init} ignored, one run made.",
                RuntimeWarning,
                stacklevel=3,
            )
            n_init = 1
        return init, int(n_init), int(rounds)

    # ---- fit -------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KMeans:
        """Compute the k-means clustering of X.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Training data; dask input may be larger than the cluster's memory.
        y : ignored
            Not used, present for API consistency.
        sample_weight : array-like or dask array of shape (n_samples,), optional
            Weight of every row (non-negative).

        Returns
        -------
        self : KMeans
            The fitted estimator.
        """
        init, n_init, rounds = self._check_params(X)
        seed = check_random_state_int(self.random_state)
        n = n_rows(X) if is_dask_input(X) else None
        # NaN/inf: found by the moments of the first pass (no validation pass of its own).
        Xv = validate_data(
            self,
            X,
            reset=True,
            dtype=[np.float64, np.float32],
            ensure_all_finite=False,
            known_chunks=n is None
            or (sample_weight is not None and not is_dask_input(sample_weight)),
        )
        n = Xv.shape[0] if n is None else n
        if n < self.n_clusters:
            raise ValueError(f"n_samples={n} should be >= n_clusters={self.n_clusters}.")
        w = check_sample_weight(sample_weight, Xv)
        data = place(Xv, w, n_samples=n)
        with A.make_passes(data) as runner:
            if w is not None and is_dask_input(w):
                low, total = dask.compute(data.vectors[0].min(), data.vectors[0].sum())
                check_weight_values(float(low), float(total))
            centers, n_iter, labels, inertia = self._runs(runner, init, n_init, rounds, seed)
        self.cluster_centers_ = centers.astype(data.X.dtype, copy=False)
        self.n_iter_ = int(n_iter)
        self.inertia_ = float(inertia)
        self.n_passes_ = runner.n_passes
        self._n_features_out = self.cluster_centers_.shape[0]
        self.labels_ = labels if data.from_memory else self._predict(X, check_fitted=False)
        return self

    def _runs(self, runner: Any, init: Any, n_init: int, rounds: int, seed: int) -> tuple:
        k = self.n_clusters
        run_seeds = [
            int(np.random.SeedSequence([seed, run]).generate_state(1, np.uint64)[0] >> np.uint64(1))
            for run in range(n_init)
        ]
        tol_abs = None
        inits: list[np.ndarray] | None = None
        if isinstance(init, str) and init in ("k-means++", "random"):
            inits, moments = A.init_from_sample(runner, k, seed, init, n_init)
            tol_abs = A.tolerance(moments, self.tol)
        best = None
        for run in range(n_init):
            if isinstance(init, np.ndarray):
                centers0 = init
            elif inits is not None:
                centers0 = inits[run]
            else:
                centers0, moments = A.kmeans_parallel(
                    runner, k, run_seeds[run], self.oversampling_factor, rounds, tol_abs is None
                )
                if moments is not None:
                    tol_abs = A.tolerance(moments, self.tol)
            centers, n_iter, tol_abs = A.lloyd(runner, centers0, self.max_iter, self.tol, tol_abs)
            labels, inertia = A.final_pass(runner, centers, runner.data.from_memory)
            if best is None or inertia < best[3]:
                best = (centers, n_iter, labels, inertia)
        return best

    # ---- post-fit --------------------------------------------------------------------------
    def _predict(self, X: Any, check_fitted: bool = True) -> Any:
        if check_fitted:
            check_is_fitted(self, "cluster_centers_")
        A_, b, _ = K.center_terms(self.cluster_centers_, self.cluster_centers_.dtype)
        return apply_rows(
            self,
            "predict",
            K.labels_block,
            X,
            A_,
            b,
            output=Output(np.int32),
            dtype=self.cluster_centers_.dtype,
            ensure_all_finite=False,  # the kernel refuses NaN/inf itself
            parallel=True,
            fitted="cluster_centers_",
            check_fitted=check_fitted,
        )

    def predict(self, X: Any) -> Any:
        """Index of the nearest center of every row (int32).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray, dask array or dask Series of shape (n_samples,)
            NumPy for in-memory X; lazy, in X's container and row blocks, for dask X.
        """
        return self._predict(X)

    def transform(self, X: Any, y: Any = None) -> Any:
        """Euclidean distance of every row to every center.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
        y : ignored
            Not used, present for dask-ml compatibility.

        Returns
        -------
        distances : ndarray, dask array or dask DataFrame of shape (n_samples, n_clusters)
            Columns ``kmeans0``, ``kmeans1``, ... for dataframe output.
        """
        check_is_fitted(self, "cluster_centers_")
        dtype = self.cluster_centers_.dtype
        A_, b, mu = K.center_terms(self.cluster_centers_, dtype)
        return apply_rows(
            self,
            "transform",
            K.transform_block,
            X,
            A_,
            b,
            mu,
            output=Output(dtype, width=len(self.cluster_centers_)),
            dtype=dtype,
            ensure_all_finite=False,  # the kernel refuses NaN/inf itself
            parallel=True,
        )

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
        """Fit, then return ``labels_``.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like or dask array of shape (n_samples,), optional

        Returns
        -------
        labels : ndarray, dask array or dask Series of shape (n_samples,)
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
        """Fit, then return the distances of X to the centers.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like or dask array of shape (n_samples,), optional

        Returns
        -------
        distances : ndarray, dask array or dask DataFrame of shape (n_samples, n_clusters)
        """
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the (weighted) inertia of X for the fitted centers (one pass).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like or dask array of shape (n_samples,), optional

        Returns
        -------
        score : float
        """
        check_is_fitted(self, "cluster_centers_")
        Xv = validate_data(
            self, X, reset=False, dtype=[np.float64, np.float32], ensure_all_finite=False
        )
        w = check_sample_weight(sample_weight, Xv)
        centers = np.asarray(self.cluster_centers_, dtype=np.float64)
        runner = A.make_passes(place(Xv, w, reuse=False))
        _, inertia = A.final_pass(runner, centers, False)
        if not np.isfinite(inertia):
            raise ValueError("Input X contains NaN or infinity; drop or impute those values first.")
        return -inertia

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
