"""KMeans over row blocks: k-means|| initialisation and Lloyd iterations, one pass each.

Layers (see ARCHITECTURE.md): :class:`KMeans` validates and stores NumPy attributes; the functions
``_init_*``, ``_lloyd`` and ``_final_pass`` decide the passes over the data; the block kernels in
``_kmeans_kernels`` do the arithmetic.

Cost, in passes over X (one ``dask.compute`` each, every block read once):

* ``init="k-means||"``: ``init_max_iter`` rounds (default 3) that each compute the cost of the
  current candidates and sample new ones, plus one pass weighting the candidates. The first round
  also takes the column moments (the tolerance is relative to the data's variance) and is where
  NaN or infinity in X is found: no separate validation pass.
* ``init="k-means++"`` / ``"random"``: one pass drawing a sample (and the moments).
* every Lloyd iteration: one pass computing, per block, the weight and sum of the rows nearest to
  each center; no labels and no distance matrix beyond one sub-block leave the kernel.
* one final pass: the exact inertia of the final centers (and the labels, for in-memory input).

Data placement (the persist policy): NumPy input is split into ~32 MiB row blocks without a copy;
on a distributed client those blocks are sent to the workers once, at the start. Dask input is
persisted when it takes at most half of the memory computations may use
(:func:`dasklearn._blockwise.persist_if_fits`: the workers' total memory limit, or this machine's
available memory under the threaded scheduler), and otherwise streamed from its source at every
pass, a few blocks per worker at a time, so larger-than-memory data (parquet) works.
"""

from __future__ import annotations

import functools
import numbers
import warnings
from dataclasses import dataclass
from functools import reduce
from typing import Any

import dask
import dask.array as da
import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)

from .._blockwise import (
    aligned,
    block_results,
    map_row_blocks,
    persist_if_fits,
    share,
    single_blas_thread,
    sum_parts,
    with_single_blas_thread,
)
from .._client import active_client
from .._validation import (
    as_dask_array,
    check_array,
    check_consistent_blocks,
    check_is_fitted,
    check_random_state_int,
    is_dask_input,
    validate_data,
)
from . import _kmeans_kernels as K

__all__ = ["KMeans"]

#: Row-block size NumPy input is split into (independent of the scheduler, so that the same
#: random_state gives the same model on threads and on a cluster).
#: 32 MiB: a Lloyd pass over 2e6 x 20 on a 2-worker LocalCluster took 97 ms in 8 blocks and
#: 123 ms in 20 (per-task overhead), and the same on threads.
_NUMPY_BLOCK_BYTES = 32 * 2**20
#: k-means|| rounds when ``init_max_iter`` is None. Bahmani et al. (2012) use 5 rounds of 2k
#: samples. On our quality checks (blobs with 8 and 20 centers, overlapping Gaussians, anisotropic
#: data; 5 seeds each) the worst final inertia over scikit-learn's ``n_init=10`` was 1.003 with 3
#: rounds and 1.010 with 5, but 1.14 with 2 rounds and 4.0 with 1.
_DEFAULT_INIT_ROUNDS = 3
#: Rows sampled for ``init="k-means++"``.
_PP_SAMPLE_MIN, _PP_SAMPLE_PER_CLUSTER = 10_000, 100
#: Runs of scikit-learn's KMeans on the weighted k-means|| candidates (cheap: a few hundred rows).
_RECLUSTER_N_INIT = 10


# ---------------------------------------------------------------------------------------------
# passes
# ---------------------------------------------------------------------------------------------


@dataclass
class _Data:
    """What every pass reads: X (and weights) as dask arrays with the same row blocks, X in one
    block along the columns (as the shared validation leaves it)."""

    X: da.Array
    w: da.Array | None
    n_samples: int
    in_memory: bool  # NumPy/pandas input: labels come back eagerly


def _pass(
    kernel: Any,
    data: _Data,
    *args: Any,
    combine: Any = sum_parts,
    per_block: bool = False,
    weights: bool = True,
) -> Any:
    """One pass: ``kernel(X_block, [w_block], [block index], *args)`` on every block.

    The per-block results (small: sums, counts, a few rows) come back to the client in one
    ``dask.compute`` and are merged there in block order, which keeps the result independent of
    the scheduler and saves the round trips of a reduction tree on a cluster. ``combine=None``
    returns the list of per-block results.
    """
    client = active_client()
    arrays = (data.X, data.w) if weights else (data.X,)
    n_blocks = data.X.numblocks[0]
    (results,) = _run(
        block_results(
            kernel,
            *arrays,
            args=[share(a, client) for a in args],
            block_args=[(i,) for i in range(n_blocks)] if per_block else None,
        )
    )
    return list(results) if combine is None else reduce(combine, results)


def _run(*graphs: Any) -> tuple[Any, ...]:
    """The one ``dask.compute`` of a pass (tests count passes here)."""
    return dask.compute(*graphs)


def _tolerance(moments: tuple, tol: float) -> float:
    s1, s2, count = moments
    if not (np.isfinite(s1).all() and np.isfinite(s2).all()):
        raise ValueError(
            "Input X contains NaN, infinity or a value too large for float64; "
            "drop or impute those values first."
        )
    mean = s1 / count
    variance = np.maximum(s2 / count - mean**2, 0.0)
    return float(tol * variance.mean())


def _first_row(data: _Data, seed: int) -> np.ndarray:
    """A uniformly drawn row of X (reads one block)."""
    index = int(np.random.default_rng(seed).integers(data.n_samples))
    (row,) = dask.compute(data.X[index])
    return np.asarray(row, dtype=np.float64)[None, :]


def _sample(data: _Data, size: int, seed: int, shift: np.ndarray) -> dict:
    """A weighted sample of ``size`` rows without replacement, and the column moments."""
    result = _pass(
        K.sample_block, data, size, seed, shift, combine=K.combine_sample, per_block=True
    )
    order = np.argsort(-result["keys"], kind="stable")  # a random order: keys are random
    result["rows"], result["weights"] = result["rows"][order], result["weights"][order]
    return result


# ---------------------------------------------------------------------------------------------
# initialisation
# ---------------------------------------------------------------------------------------------


def _init_kmeans_parallel(
    data: _Data,
    n_clusters: int,
    seed: int,
    oversampling_factor: float,
    rounds: int,
    want_moments: bool,
) -> tuple[np.ndarray, tuple | None, int]:
    """k-means|| (Bahmani et al. 2012): ``rounds`` sampling passes, one weighting pass.

    Returns the initial centers, the column moments (from the first round) and the number of
    passes made.
    """
    candidates = _first_row(data, seed)
    ell = float(oversampling_factor) * n_clusters
    moments = None
    passes = 0
    for round_ in range(rounds):
        A, b, mu = K.center_terms(candidates, data.X.dtype)
        take_moments = want_moments and round_ == 0
        result = _pass(
            K.parallel_round_block,
            data,
            A,
            b,
            mu,
            ell,
            seed,
            round_,
            take_moments,
            combine=K.combine_round,
            per_block=True,
        )
        passes += 1
        if take_moments:
            moments = result["moments"]
            _tolerance(moments, 0.0)  # NaN/inf check before more passes
        if len(result["rows"]):
            order = np.argsort(result["keys"], kind="stable")
            candidates = np.vstack([candidates, result["rows"][order]])
        if result["phi"] == 0:
            break  # every row coincides with a candidate
    A, b, _ = K.center_terms(candidates, data.X.dtype)
    weights = _pass(K.candidate_weights_block, data, A, b)
    passes += 1
    if len(candidates) < n_clusters:
        extra = _sample(data, n_clusters - len(candidates), seed + 1, candidates[0])
        candidates = np.vstack([candidates, extra["rows"]])
        weights = np.concatenate([weights, np.ones(len(extra["rows"]))])
        passes += 1
    if len(candidates) == n_clusters:
        return candidates, moments, passes
    return _recluster(candidates, weights, n_clusters, seed), moments, passes


@functools.cache
def _openmp_controller() -> Any:
    """threadpoolctl's view of the loaded thread pools, taken once after scikit-learn's
    clustering code (and its OpenMP runtime) is loaded: a fresh scan costs ~3 ms."""
    import sklearn.cluster  # noqa: F401
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _recluster(points: np.ndarray, weights: np.ndarray, n_clusters: int, seed: int) -> np.ndarray:
    """Step 8 of k-means||: weighted k-means on the candidates (in memory, scikit-learn)."""
    from sklearn.cluster import KMeans as SKKMeans

    weights = np.maximum(weights, 0.0)
    if weights.sum() == 0:
        weights = np.ones_like(weights)
    # One OpenMP thread for a few hundred points: the threads of a parallel run keep spinning
    # for milliseconds after it, and slowed the next Lloyd pass by ~3 ms of 20.
    with warnings.catch_warnings(), _openmp_controller().limit(limits=1, user_api="openmp"):
        warnings.simplefilter("ignore")  # "fewer distinct points than clusters" is handled later
        model = SKKMeans(
            n_clusters=n_clusters, n_init=_RECLUSTER_N_INIT, random_state=seed % (2**32)
        ).fit(points, sample_weight=weights)
    return model.cluster_centers_.astype(np.float64)


def _init_from_sample(
    data: _Data, n_clusters: int, seed: int, method: str, n_runs: int
) -> tuple[list[np.ndarray], tuple]:
    """``"k-means++"`` on a sample, or ``"random"`` rows: one pass for all runs."""
    from sklearn.cluster import kmeans_plusplus

    if method == "random":
        size = min(data.n_samples, n_clusters * n_runs)
    else:
        size = min(data.n_samples, max(_PP_SAMPLE_MIN, _PP_SAMPLE_PER_CLUSTER * n_clusters))
    shift = _first_row(data, seed)[0]
    sample = _sample(data, size, seed, shift)
    rows = sample["rows"]
    inits = []
    for run in range(n_runs):
        if method == "random":
            start = (run * n_clusters) % max(1, len(rows) - n_clusters + 1)
            inits.append(rows[start : start + n_clusters].copy())
        else:
            run_seed = int(np.random.SeedSequence([seed, run]).generate_state(1)[0])
            centers, _ = kmeans_plusplus(rows, n_clusters, random_state=run_seed)
            inits.append(centers.astype(np.float64))
    return inits, sample["moments"]


# ---------------------------------------------------------------------------------------------
# Lloyd iterations
# ---------------------------------------------------------------------------------------------


def _lloyd(
    data: _Data,
    centers: np.ndarray,
    max_iter: int,
    tol: float,
    tol_abs: float | None,
) -> tuple[np.ndarray, int, float]:
    """Lloyd iterations, one pass each, until the centers move less than the tolerance.

    ``tol_abs`` None: the tolerance is not known yet; the first pass also takes the moments.
    Returns the centers, the number of iterations and the absolute tolerance.
    """
    centers = np.array(centers, dtype=np.float64)
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        A, b, mu = K.center_terms(centers, data.X.dtype)
        moments_shift = mu if tol_abs is None else None
        result = _pass(K.lloyd_block, data, A, b, moments_shift)
        if tol_abs is None:
            weights, sums, moments = result
            tol_abs = _tolerance(moments, tol)
        else:
            weights, sums = result
        new = centers.copy()
        full = weights > 0
        new[full] = sums[full] / weights[full, None]
        if not full.all():
            new[~full] = _relocate(data, A, b, mu, centers[~full])
        shift = float(((new - centers) ** 2).sum())
        centers = new
        if shift <= tol_abs:
            break
    return centers, n_iter, float(tol_abs)


def _relocate(
    data: _Data, A: np.ndarray, b: np.ndarray, mu: np.ndarray, empty: np.ndarray
) -> np.ndarray:
    """New places for the ``empty`` clusters' centers: the rows farthest from their nearest
    center (scikit-learn's rule), found in one extra pass (only when a cluster is empty)."""
    count = len(empty)
    result = _pass(K.farthest_block, data, A, b, mu, count, combine=K.combine_farthest)
    order = np.argsort(-result["d2"], kind="stable")
    rows = result["rows"][order][:count]
    if len(rows) < count:  # fewer rows than empty clusters: the rest keep their places
        rows = np.vstack([rows, empty[len(rows) :]])
    return rows


def _final_pass(data: _Data, centers: np.ndarray) -> tuple[np.ndarray | None, float]:
    """Exact inertia of ``centers`` (and the labels, for in-memory input): one pass."""
    A, b, _ = K.center_terms(centers, data.X.dtype)
    parts = _pass(K.assign_block, data, centers, A, b, data.in_memory, combine=None)
    inertia = float(sum(part[1] for part in parts))
    if data.in_memory:
        return np.concatenate([part[0] for part in parts]), inertia
    return None, inertia


# ---------------------------------------------------------------------------------------------
# the estimator
# ---------------------------------------------------------------------------------------------


def _n_columns(X: Any) -> int | None:
    """Width of X from metadata only (no pass over the data)."""
    if hasattr(X, "columns"):
        return len(X.columns)
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) == 2:
        return int(shape[1])
    return None


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
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
        ``"k-means||"`` (Bahmani et al. 2012): ``init_max_iter`` passes that each sample about
        ``oversampling_factor * n_clusters`` candidate centers with probability proportional to
        their squared distance to the candidates so far, then one pass weighting every candidate
        by the rows nearest to it, and a weighted k-means++ of the candidates in memory.
        ``"k-means++"``: scikit-learn's k-means++ on a uniform sample of
        ``max(10_000, 100 * n_clusters)`` rows (one pass). ``"random"``: ``n_clusters`` rows drawn
        at random (one pass). An array: those centers.
    oversampling_factor : float, default=2
        Candidates sampled per k-means|| round, as a multiple of ``n_clusters``.
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
        Rounds (passes) of k-means||; None means 3 (each samples about
        ``oversampling_factor * n_clusters`` candidates).
    n_init : "auto" or int, default="auto"
        Runs from different initialisations; the run with the lowest inertia is kept. Each run
        makes its own passes. ``"auto"``: 1, or 10 for ``init="random"`` (scikit-learn's rule).

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of the centers (X's float dtype).
    labels_ : ndarray or dask.array.Array of shape (n_samples,)
        Index of the nearest center of every training row (int32): NumPy for in-memory input,
        a lazy dask array for dask input (computed from X when asked for, not stored).
    inertia_ : float
        Sum of (weighted) squared distances of the rows to their nearest center, exact, for the
        final centers.
    n_iter_ : int
        Lloyd iterations run (in the kept run).
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

    # ---- parameters ------------------------------------------------------------------------
    def _check_params(self, X: Any) -> tuple[Any, int, int]:
        """Check parameters against X's metadata (before any pass): init, runs, rounds."""
        k = self.n_clusters
        if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
            raise ValueError(f"n_clusters must be a positive integer, got {k!r}.")
        if not isinstance(self.max_iter, numbers.Integral) or self.max_iter < 1:
            raise ValueError(f"max_iter must be a positive integer, got {self.max_iter!r}.")
        if not isinstance(self.tol, numbers.Real) or self.tol < 0:
            raise ValueError(f"tol must be a non-negative number, got {self.tol!r}.")
        if not isinstance(self.oversampling_factor, numbers.Real) or self.oversampling_factor <= 0:
            raise ValueError(
                f"oversampling_factor must be a positive number, got {self.oversampling_factor!r}."
            )
        if self.algorithm not in ("full", "lloyd"):
            raise ValueError(f"algorithm must be 'lloyd' or 'full', got {self.algorithm!r}.")
        rounds = _DEFAULT_INIT_ROUNDS if self.init_max_iter is None else self.init_max_iter
        if not isinstance(rounds, numbers.Integral) or rounds < 1:
            raise ValueError(
                f"init_max_iter must be None or a positive integer, got {self.init_max_iter!r}."
            )
        init = self.init
        if isinstance(init, str):
            if init not in ("k-means||", "k-means++", "random"):
                raise ValueError(
                    "init must be 'k-means||', 'k-means++', 'random' or an array of shape "
                    f"(n_clusters, n_features); got {init!r}."
                )
        elif callable(init):
            raise ValueError("A callable init is not supported; pass an array of centers.")
        else:
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
        elif not isinstance(n_init, numbers.Integral) or n_init < 1:
            raise ValueError(f"n_init must be 'auto' or a positive integer, got {n_init!r}.")
        if not isinstance(init, str) and n_init != 1:
            warnings.warn(
                f"Explicit initial centers passed: n_init={n_init} ignored, one run made.",
                RuntimeWarning,
                stacklevel=3,
            )
            n_init = 1
        return init, int(n_init), int(rounds)

    # ---- input -----------------------------------------------------------------------------
    def _prepare(self, X: Any, sample_weight: Any) -> tuple[_Data, da.Array | None]:
        """Validate X and the weights; place them for the passes (the persist policy)."""
        lazy = is_dask_input(X)
        # NaN/inf: found by the moments of the first pass (no validation pass of its own).
        Xv = validate_data(
            self, X, reset=True, dtype=[np.float64, np.float32], ensure_all_finite=False
        )
        n = Xv.shape[0]
        if n < self.n_clusters:
            raise ValueError(f"n_samples={n} should be >= n_clusters={self.n_clusters}.")
        w = self._check_weights(sample_weight, Xv)
        if not lazy:
            Xv = np.ascontiguousarray(Xv)  # kernels read C-ordered blocks (a copy if F-ordered)
            rows = _numpy_block_rows(Xv)
            Xd = as_dask_array(Xv, chunks=rows)
            wd = None if w is None else as_dask_array(w, chunks=Xd.chunks[0])
            client = active_client()
            if client is not None:  # send the blocks to the workers once
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message=".*[Ss]ending large graph.*")
                    Xd, wd = _persist_on(client, Xd, wd)
            return _Data(Xd, wd, n, in_memory=True), None
        if w is not None and not isinstance(w, da.Array):
            w = as_dask_array(w, chunks=Xv.chunks[0])
        (Xp, wp), _ = persist_if_fits(Xv, w)
        return _Data(Xp, wp, n, in_memory=False), Xv

    def _check_weights(self, sample_weight: Any, X: Any) -> Any:
        if sample_weight is None:
            return None
        if isinstance(sample_weight, numbers.Number):
            return None if sample_weight == 1 else np.full(X.shape[0], float(sample_weight))
        w = check_array(
            sample_weight, ensure_2d=False, ensure_all_finite=False, what="sample_weight"
        )
        check_consistent_blocks(X, w)
        if isinstance(w, da.Array):
            if not isinstance(X, da.Array):
                w = np.asarray(w.compute())
            else:
                return w  # negative weights: checked with the first pass's result
        w = np.asarray(w, dtype=np.float64)
        _check_weight_values(float(w.min()) if len(w) else 0.0, float(w.sum()))
        return w

    # ---- fit -------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KMeans:
        """Compute the k-means clustering of X.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like or dask array of shape (n_samples,), optional
            Weight of every row (non-negative).

        Returns
        -------
        self
        """
        init, n_init, rounds = self._check_params(X)
        seed = check_random_state_int(self.random_state)
        with single_blas_thread():
            data, lazy_X = self._prepare(X, sample_weight)
            if data.w is not None and not data.in_memory:
                low, total = _run(data.w.min(), data.w.sum())
                _check_weight_values(float(low), float(total))
            best = self._runs(data, init, n_init, rounds, seed)
        centers, n_iter, labels, inertia = best
        self.cluster_centers_ = centers.astype(data.X.dtype, copy=False)
        self.n_iter_ = int(n_iter)
        self.inertia_ = float(inertia)
        self._n_features_out = self.cluster_centers_.shape[0]
        if data.in_memory:
            self.labels_ = labels
        else:
            self.labels_ = self._labels_graph(lazy_X)
        return self

    def _runs(self, data: _Data, init: Any, n_init: int, rounds: int, seed: int) -> tuple:
        k = self.n_clusters
        run_seeds = [
            int(np.random.SeedSequence([seed, run]).generate_state(1, np.uint64)[0] >> np.uint64(1))
            for run in range(n_init)
        ]
        tol_abs = None
        inits: list[np.ndarray] | None = None
        if isinstance(init, str) and init in ("k-means++", "random"):
            inits, moments = _init_from_sample(data, k, seed, init, n_init)
            tol_abs = _tolerance(moments, self.tol)
        best = None
        for run in range(n_init):
            if isinstance(init, np.ndarray):
                centers0 = init
            elif inits is not None:
                centers0 = inits[run]
            else:
                centers0, moments, _ = _init_kmeans_parallel(
                    data, k, run_seeds[run], self.oversampling_factor, rounds, tol_abs is None
                )
                if moments is not None:
                    tol_abs = _tolerance(moments, self.tol)
            centers, n_iter, tol_abs = _lloyd(data, centers0, self.max_iter, self.tol, tol_abs)
            labels, inertia = _final_pass(data, centers)
            if best is None or inertia < best[3]:
                best = (centers, n_iter, labels, inertia)
        return best

    def _labels_graph(self, X: da.Array) -> da.Array:
        A, b, _ = K.center_terms(self.cluster_centers_, X.dtype)
        return map_row_blocks(with_single_blas_thread(K.labels_block), X, A, b, dtype=np.int32)

    # ---- post-fit --------------------------------------------------------------------------
    def _check_X(self, X: Any) -> np.ndarray | da.Array:
        check_is_fitted(self, "cluster_centers_")
        return validate_data(
            self, X, reset=False, dtype=[np.float64, np.float32], ensure_all_finite=False
        )

    def predict(self, X: Any) -> np.ndarray | da.Array:
        """Index of the nearest center of every row (int32); lazy for dask input."""
        Xv = self._check_X(X)
        A, b, _ = K.center_terms(self.cluster_centers_, Xv.dtype)
        if isinstance(Xv, da.Array):
            return map_row_blocks(with_single_blas_thread(K.labels_block), Xv, A, b, dtype=np.int32)
        return _local(
            map_row_blocks(
                with_single_blas_thread(K.labels_block),
                as_dask_array(Xv, chunks=_numpy_block_rows(Xv)),
                A,
                b,
                dtype=np.int32,
            )
        )

    def transform(self, X: Any) -> np.ndarray | da.Array:
        """Euclidean distance of every row to every center, shape (n_samples, n_clusters)."""
        Xv = self._check_X(X)
        A, b, mu = K.center_terms(self.cluster_centers_, Xv.dtype)
        kernel = with_single_blas_thread(K.transform_block)
        k = self.cluster_centers_.shape[0]
        if isinstance(Xv, da.Array):
            return map_row_blocks(kernel, Xv, A, b, mu, dtype=Xv.dtype, n_columns=k)
        Xd = as_dask_array(Xv, chunks=_numpy_block_rows(Xv))
        return _local(map_row_blocks(kernel, Xd, A, b, mu, dtype=Xv.dtype, n_columns=k))

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
        """Fit, then return ``labels_``."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
        """Fit, then return the distances of X to the centers."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the (weighted) inertia of X for the fitted centers (one pass)."""
        Xv = self._check_X(X)
        w = self._check_weights(sample_weight, Xv)
        centers = np.asarray(self.cluster_centers_, dtype=np.float64)
        with single_blas_thread():
            if isinstance(Xv, da.Array):
                if w is not None and not isinstance(w, da.Array):
                    w = as_dask_array(w, chunks=Xv.chunks[0])
                data = _Data(Xv, w, Xv.shape[0], in_memory=False)
                _, inertia = _final_pass(data, centers)
            else:
                Xd = as_dask_array(Xv, chunks=_numpy_block_rows(Xv))
                wd = None if w is None else as_dask_array(w, chunks=Xd.chunks[0])
                data = _Data(Xd, wd, Xv.shape[0], in_memory=False)
                with dask.config.set(scheduler="threads"):
                    _, inertia = _final_pass(data, centers)
        if not np.isfinite(inertia):
            raise ValueError("Input X contains NaN or infinity; drop or impute those values first.")
        return -inertia

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


def _check_weight_values(low: float, total: float) -> None:
    if not np.isfinite(low) or not np.isfinite(total):
        raise ValueError("sample_weight contains NaN or infinity.")
    if low < 0:
        raise ValueError("sample_weight must be non-negative.")
    if total <= 0:
        raise ValueError("sample_weight sums to zero: at least one row needs a positive weight.")


def _numpy_block_rows(X: np.ndarray) -> tuple[int, ...]:
    """Equal row blocks of about 32 MiB for in-memory X (scheduler-independent)."""
    n = len(X)
    n_blocks = max(1, -(-X.nbytes // _NUMPY_BLOCK_BYTES))
    n_blocks = min(n_blocks, max(1, n))
    base, extra = divmod(n, n_blocks)
    return tuple(base + (i < extra) for i in range(n_blocks))


def _persist_on(client: Any, X: da.Array, w: da.Array | None) -> tuple[da.Array, da.Array | None]:
    """Send in-memory blocks to the workers once; they are re-copied there to aligned memory
    (blocks deserialized from a message can start at any byte, which made kernels ~3x slower)."""
    arrays = [a.map_blocks(aligned, dtype=a.dtype, meta=a._meta) for a in (X, w) if a is not None]
    persisted = client.persist(arrays)
    return persisted[0], (persisted[1] if w is not None else None)


def _local(result: da.Array) -> np.ndarray:
    """Compute a result for in-memory input with local threads (the data is already here)."""
    (out,) = dask.compute(result, scheduler="threads")
    return out
