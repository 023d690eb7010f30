"""k-means over row blocks: k-means|| initialisation, Lloyd iterations, the final pass.

The algorithm layer of :class:`dasklearn.cluster.KMeans` (and of the label assignment of
:class:`dasklearn.cluster.SpectralClustering`): plain functions that decide the passes over the
data, each one ``dask.compute`` through the shared runner (:class:`dasklearn._passes.Passes`),
with the arithmetic in the block kernels of :mod:`._kmeans_kernels`.

Cost, in passes over X (every block read once each):

* ``init="k-means||"``: ``rounds`` passes (default 3) that each compute the cost of the current
  candidates and sample new ones, plus one pass weighting the candidates. The first round also
  takes the column moments (the tolerance is relative to the data's variance) and is where NaN
  or infinity in X is found: no separate validation pass.
* ``init="k-means++"`` / ``"random"``: one pass drawing a sample (and the moments).
* every Lloyd iteration: one pass computing, per block, the weight and sum of the rows nearest
  to each center; no labels and no distance matrix leave the kernel.
* one final pass: the exact inertia of the final centers (and the labels, for in-memory input).
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import dask
import numpy as np

from .._blockwise import sum_parts
from .._passes import Passes, all_finite
from . import _kmeans_kernels as K

__all__ = [
    "check_moments",
    "final_pass",
    "first_row",
    "init_from_sample",
    "kmeans_parallel",
    "lloyd",
    "make_passes",
    "run_pass",
    "sample_rows",
    "tolerance",
]

#: Rows sampled for ``init="k-means++"``.
_PP_SAMPLE_MIN, _PP_SAMPLE_PER_CLUSTER = 10_000, 100
#: Runs of scikit-learn's KMeans on the weighted k-means|| candidates (cheap: a few hundred rows).
_RECLUSTER_N_INIT = 10


def check_moments(result: Any) -> bool:
    """The first pass's NaN check: the column moments when the pass took them (sampling keys of
    zero-weight rows are -inf by design), every float otherwise."""
    if isinstance(result, dict) and "moments" in result:
        return all_finite(result["moments"])
    return all_finite(result)


def make_passes(data: Any, verbose: int = 0) -> Passes:
    """The runner of a k-means fit over placed data (X and its weights, or None)."""
    return Passes(data, verbose=verbose, check_first=check_moments)


def run_pass(
    runner: Passes,
    kernel: Any,
    *args: Any,
    combine: Any = sum_parts,
    index: bool = False,
    weights: bool = True,
) -> Any:
    """One pass: ``kernel(X_block, [w_block], [block index], *args)`` on every block.

    The per-block results (small: sums, counts, a few rows) come back to the client and are
    merged there in block order, which keeps the result independent of the scheduler.
    ``combine=None`` returns the list of per-block results.
    """
    data = runner.data
    w = data.vectors[0] if data.vectors else None
    arrays = (data.X, w) if weights else (data.X,)
    what = getattr(kernel, "__name__", "pass")
    return runner.run(
        runner.reduction(kernel, *arrays, args=args, combine=combine, index=index), what=what
    )


def tolerance(moments: tuple, tol: float) -> float:
    """``tol`` times the mean variance of the columns (scikit-learn's rule)."""
    s1, s2, count = moments
    if not (np.isfinite(s1).all() and np.isfinite(s2).all()):
        raise ValueError(
            "Input X contains NaN, infinity or a value too large for float64; "
            "drop or impute those values first."
        )
    mean = s1 / count
    variance = np.maximum(s2 / count - mean**2, 0.0)
    return float(tol * variance.mean())


def first_row(runner: Passes, seed: int) -> np.ndarray:
    """A row of X drawn by ``seed``: a block, then a row of it (reads one block, no pass).

    The block is drawn first so that the row is found without knowing every block's length
    (a streamed source learns them in its first pass); empty blocks pass the draw on.
    """
    X = runner.data.X
    rng = np.random.default_rng(seed)
    n_blocks = X.numblocks[0]
    start = int(rng.integers(n_blocks))
    for step in range(n_blocks):
        (block,) = dask.compute(X.blocks[(start + step) % n_blocks])
        if len(block):
            return np.asarray(block[int(rng.integers(len(block)))], dtype=np.float64)[None, :]
    raise ValueError("X has no rows.")


def sample_rows(runner: Passes, size: int, seed: int, shift: np.ndarray) -> dict:
    """A weighted sample of ``size`` rows without replacement, and the column moments around
    ``shift``: one pass. The rows come back in a random order."""
    result = run_pass(
        runner, K.sample_block, size, seed, shift, combine=K.combine_sample, index=True
    )
    order = np.argsort(-result["keys"], kind="stable")  # a random order: keys are random
    result["rows"], result["weights"] = result["rows"][order], result["weights"][order]
    return result


# ---------------------------------------------------------------------------------------------
# initialisation
# ---------------------------------------------------------------------------------------------


def kmeans_parallel(
    runner: Passes,
    n_clusters: int,
    seed: int,
    oversampling_factor: float,
    rounds: int,
    want_moments: bool,
) -> tuple[np.ndarray, tuple | None]:
    """k-means|| (Bahmani et al. 2012): ``rounds`` sampling passes, one weighting pass.

    Returns the initial centers and the column moments (from the first round).
    """
    dtype = runner.data.X.dtype
    candidates = first_row(runner, seed)
    ell = float(oversampling_factor) * n_clusters
    moments = None
    for round_ in range(rounds):
        A, b, mu = K.center_terms(candidates, dtype)
        take_moments = want_moments and round_ == 0
        result = run_pass(
            runner,
            K.parallel_round_block,
            A,
            b,
            mu,
            ell,
            seed,
            round_,
            take_moments,
            combine=K.combine_round,
            index=True,
        )
        if take_moments:
            moments = result["moments"]
            tolerance(moments, 0.0)  # NaN/inf check before more passes
        if len(result["rows"]):
            order = np.argsort(result["keys"], kind="stable")
            candidates = np.vstack([candidates, result["rows"][order]])
        if result["phi"] == 0:
            break  # every row coincides with a candidate
    A, b, _ = K.center_terms(candidates, dtype)
    weights = run_pass(runner, K.candidate_weights_block, A, b)
    if len(candidates) < n_clusters:
        extra = sample_rows(runner, n_clusters - len(candidates), seed + 1, candidates[0])
        candidates = np.vstack([candidates, extra["rows"]])
        weights = np.concatenate([weights, np.ones(len(extra["rows"]))])
    if len(candidates) == n_clusters:
        return candidates, moments
    return _recluster(candidates, weights, n_clusters, seed), moments


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


def init_from_sample(
    runner: Passes, n_clusters: int, seed: int, method: str, n_runs: int
) -> tuple[list[np.ndarray], tuple]:
    """``"k-means++"`` on a sample, or ``"random"`` rows: one pass for all runs."""
    from sklearn.cluster import kmeans_plusplus

    n_samples = runner.data.n_samples
    if method == "random":
        size = min(n_samples, n_clusters * n_runs)
    else:
        size = min(n_samples, max(_PP_SAMPLE_MIN, _PP_SAMPLE_PER_CLUSTER * n_clusters))
    shift = first_row(runner, seed)[0]
    sample = sample_rows(runner, size, seed, shift)
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


def lloyd(
    runner: Passes,
    centers: np.ndarray,
    max_iter: int,
    tol: float,
    tol_abs: float | None,
) -> tuple[np.ndarray, int, float]:
    """Lloyd iterations, one pass each, until the centers move less than the tolerance.

    ``tol_abs`` None: the tolerance is not known yet; the first pass also takes the moments.
    Returns the centers, the number of iterations and the absolute tolerance.
    """
    dtype = runner.data.X.dtype
    centers = np.array(centers, dtype=np.float64)
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        A, b, mu = K.center_terms(centers, dtype)
        moments_shift = mu if tol_abs is None else None
        result = run_pass(runner, K.lloyd_block, A, b, moments_shift)
        if tol_abs is None:
            weights, sums, moments = result
            tol_abs = tolerance(moments, tol)
        else:
            weights, sums = result
        new = centers.copy()
        full = weights > 0
        new[full] = sums[full] / weights[full, None]
        if not full.all():
            new[~full] = _relocate(runner, A, b, mu, centers[~full])
        shift = float(((new - centers) ** 2).sum())
        centers = new
        if shift <= tol_abs:
            break
    return centers, n_iter, float(tol_abs)


def _relocate(
    runner: Passes, A: np.ndarray, b: np.ndarray, mu: np.ndarray, empty: np.ndarray
) -> np.ndarray:
    """New places for the ``empty`` clusters' centers: the rows farthest from their nearest
    center (scikit-learn's rule), found in one extra pass (only when a cluster is empty)."""
    count = len(empty)
    result = run_pass(runner, K.farthest_block, A, b, mu, count, combine=K.combine_farthest)
    order = np.argsort(-result["d2"], kind="stable")
    rows = result["rows"][order][:count]
    if len(rows) < count:  # fewer rows than empty clusters: the rest keep their places
        rows = np.vstack([rows, empty[len(rows) :]])
    return rows


def final_pass(
    runner: Passes, centers: np.ndarray, with_labels: bool
) -> tuple[np.ndarray | None, float]:
    """Exact inertia of ``centers`` (and the labels when asked): one pass."""
    A, b, _ = K.center_terms(centers, runner.data.X.dtype)
    parts = run_pass(runner, K.assign_block, centers, A, b, with_labels, combine=None)
    inertia = float(sum(part[1] for part in parts))
    if with_labels:
        return np.concatenate([part[0] for part in parts]), inertia
    return None, inertia
