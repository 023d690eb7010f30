"""k-means over row blocks: k-means|| initialisation, Lloyd iterations, the final pass.

The algorithm layer of :class:`dasklearn.cluster.KMeans` (and of the label assignment of
:class:`dasklearn.cluster.SpectralClustering`): plain functions that decide the passes over the
data, each one ``dask.compute`` through the shared runner (:class:`dasklearn._passes.Passes`),
with the arithmetic in the block kernels of :mod:`._kmeans_kernels`.

Cost, in passes over X (every block read once each):

* ``init="k-means||"``: one pass that takes the column moments (the tolerance is relative to
  the data's variance; where NaN or infinity in X is found: no separate validation pass) and a
  uniform sample of rows, whose k-means in memory gives the first candidates; ``rounds``
  passes (default 0) that each bring every row's distance to its nearest candidate up to date
  with the candidates sampled by the pass before (only those: the distances are kept between
  passes, beside the blocks) and sample new ones; one pass that applies the last candidates,
  weighs every candidate's cell (its weight and mean) and samples rows for the re-clustering
  in memory. Data that the first sample holds whole makes one pass.
* ``init="k-means++"`` / ``"random"``: one pass drawing a sample (and the moments).
* every Lloyd iteration: one pass computing, per block, the weight and sum of the rows nearest
  to each center; no labels and no distance matrix leave the kernel.
* one final pass: the exact inertia of the final centers (and the labels, for in-memory input),
  or none when the last Lloyd pass left the centers where they were (its result is the final
  one).

Compute, in units of one Lloyd pass (2e6 x 20 rows, 8 clusters; ``benchmarks/kmeans.py
--init-cost``): the first pass about 0.7 (moments and the sample: a read of X), the sample's
k-means about 0.2, the weighing pass about 1.4 (the Lloyd sweep, with each row's distance and
the row sample), the re-clustering of the 20,000 sampled rows about 1.6.
"""

from __future__ import annotations

import functools
from typing import Any

import dask
import numpy as np

from .._blockwise import sum_parts
from .._client import active_client
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
#: Runs of weighted k-means on the k-means|| sample, the best kept (compiled): batches of
#: ``_N_INIT`` until half the runs agree on the best, at most ``_MAX_INIT`` when the sample
#: holds at least ``_FULL_SHARE`` of the rows, fewer in proportion below.
_RECLUSTER_N_INIT, _RECLUSTER_MAX_INIT, _RECLUSTER_FULL_SHARE = 8, 64, 0.25
#: Rows (expected) that the first k-means|| pass samples uniformly: ``_MIN``, or
#: ``_PER_CLUSTER`` a cluster when that is more; the best of ``_SEED_N_INIT`` weighted k-means
#: runs on them gives the first candidates.
_SEED_SAMPLE_MIN, _SEED_SAMPLE_PER_CLUSTER = 5_000, 50
_SEED_N_INIT = 5
#: Rows (expected) that the weighing pass samples for the re-clustering: ``_MIN``, or
#: ``_PER_CLUSTER`` a cluster when that is more, and at most ``_VALUES`` values (16 MiB).
_RECLUSTER_SAMPLE_MIN, _RECLUSTER_SAMPLE_PER_CLUSTER = 20_000, 250
_RECLUSTER_SAMPLE_VALUES = 2**21


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
    local = {"scheduler": "sync"} if runner.data.policy == "in-memory" else {}
    rng = np.random.default_rng(seed)
    n_blocks = X.numblocks[0]
    start = int(rng.integers(n_blocks))
    for step in range(n_blocks):
        (block,) = dask.compute(X.blocks[(start + step) % n_blocks], **local)
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
    """k-means|| (Bahmani et al. 2012) from a sample's k-means: one pass that samples rows
    uniformly, ``rounds`` sampling passes, then one weighing pass.

    The first pass takes the column moments (returned when ``want_moments``; where NaN or
    infinity in X is found), the total weight, and about ``max(5_000, 50 * n_clusters)`` rows
    uniformly (:func:`._kmeans_kernels.seed_sample_block`); the best of 5 weighted k-means runs
    on those rows, in memory, are the first ``n_clusters`` candidates (k-means|| starts from
    one random row: its first rounds only find the bulk of the data, which the sample already
    shows). When the sample holds every row, its k-means (the re-clustering's) is the result.

    Pass ``r`` then brings every row's distance to its nearest candidate up to date with the
    candidates sampled in pass ``r - 1`` (only those: the distances to the older ones are the
    blocks' state, :class:`_BlockStates`), and samples about ``oversampling_factor *
    n_clusters`` new candidates with probability proportional to that squared distance. The
    last pass, instead of sampling, weighs every candidate by the rows nearest to it, takes
    the mean of those rows, and samples rows with their nearest candidates, three quarters
    uniformly and a quarter by their squared distance to the candidates
    (:func:`._kmeans_kernels.coreset_sample`: a lightweight coreset; far rows are kept, each
    weighing little: with ``rounds=0``, this is the oversampling of the rows the sample
    missed). The re-clustering in memory (:func:`._kmeans_kernels.recluster`: 8 to 64 runs,
    more while they disagree) runs on the sampled rows, each standing for its share of its
    candidate's cell (:func:`._kmeans_kernels.stratified_points`): the cells bring the exact
    masses, the rows the shape within each cell.
    """
    data = runner.data
    size = _sample_size(_SEED_SAMPLE_MIN, _SEED_SAMPLE_PER_CLUSTER, n_clusters, data.X.shape[1])
    n = data.n_samples
    plan = (size / n, None) if n else (None, size / data.n_blocks)
    first = run_pass(
        runner, K.seed_sample_block, plan, seed, combine=K.combine_seed_sample, index=True
    )
    shift, s1, s2, count = first["moments"]  # finite: the runner checks the first pass
    moments = (s1, s2, count)
    wsums = first.get("wsums")
    _stash(runner, "total", (shift, float(s2.sum() if wsums is None else wsums[-1])))
    rows, row_weights = first["rows"], first["weights"]
    if len(rows) == count:  # every row: the whole problem is in memory
        centers, _ = K.recluster(
            rows, row_weights, n_clusters, seed, _RECLUSTER_N_INIT, max_init=_most_runs(1.0)
        )
        return centers, (moments if want_moments else None)
    centers, phi = K.recluster(rows, row_weights, n_clusters, seed, _SEED_N_INIT)
    mean = shift + s1 / count
    size = _sample_size(
        _RECLUSTER_SAMPLE_MIN, _RECLUSTER_SAMPLE_PER_CLUSTER, n_clusters, data.X.shape[1]
    )
    plan = (float(size) if size < count else np.inf, first["weight"], phi)
    groups = _candidate_passes(runner, [centers], mean, seed, oversampling_factor, rounds, plan)
    result = groups.pop()
    candidates = np.vstack(groups)
    weights, sums = result["weights"], result["sums"]
    full = weights > 0
    means = candidates.copy()
    means[full] = sums[full] / weights[full, None]
    points, point_weights = K.stratified_points(means, weights, *result["sample"])
    centers, _ = K.recluster(
        points,
        point_weights,
        n_clusters,
        seed + 1,
        _RECLUSTER_N_INIT,
        start=centers,
        max_init=_most_runs(len(points) / count),
    )
    return centers, (moments if want_moments else None)


def _most_runs(share: float) -> int:
    """The re-clustering's most runs for a sample of ``share`` of the rows. Where each run
    ends in its own local optimum, more runs find a better one on the sample; that is a
    better one on the data only where the sample stands for the data closely (on 2e6 rows
    of overlapping blobs, 20,000 sampled, 64 runs ended no lower than 8)."""
    scale = min(1.0, share / _RECLUSTER_FULL_SHARE)
    return max(_RECLUSTER_N_INIT, int(_RECLUSTER_MAX_INIT * scale))


def _sample_size(least: int, per_cluster: int, n_clusters: int, n_features: int) -> int:
    """Rows a k-means|| sample takes: ``least``, or ``per_cluster`` a cluster when that is
    more, and at most :data:`_RECLUSTER_SAMPLE_VALUES` values."""
    return min(max(least, per_cluster * n_clusters), _RECLUSTER_SAMPLE_VALUES // n_features)


def _candidate_passes(
    runner: Passes,
    groups: list[np.ndarray],
    shift: np.ndarray,
    seed: int,
    oversampling_factor: float,
    rounds: int,
    plan: tuple,
) -> list:
    """The k-means|| passes after the first (see :func:`kmeans_parallel`): the candidates by
    the pass that sampled them, then the weighing pass's result. ``plan = (size, total weight,
    cost)`` sizes the weighing pass's row sample (the cost: an estimate, the last round's)."""
    dtype = runner.data.X.dtype
    ell = float(oversampling_factor) * len(groups[0])
    states = _BlockStates(runner)
    applied = 0  # groups every block's state includes
    sampling = True
    try:
        for round_ in range(1, rounds + 2):
            last = round_ == rounds + 1 or not sampling
            start = applied if states.keep else 0
            offsets = np.cumsum([0] + [len(g) for g in groups])
            updates = [
                K.update_terms(g, dtype, offsets[start + i], shift)
                for i, g in enumerate(groups[start:])
                if len(g)
            ]
            result = states.run(
                K.parallel_pass_block,
                shift,
                updates,
                0.0 if last else ell,
                seed,
                round_,
                int(offsets[-1]) if last else 0,
                plan if last else None,
                combine=K.combine_round,
                keep=not last,
            )
            applied = len(groups)
            if last:
                return groups + [result]
            plan = plan[:2] + (result["phi"],)
            order = np.argsort(result["keys"], kind="stable")
            groups.append(result["rows"][order])
            sampling = result["phi"] > 0  # else every row coincides with a candidate
    finally:
        states.release()
    raise AssertionError("unreachable")  # pragma: no cover


class _BlockStates:
    """Per-block state carried from one pass to the next (each row's distance to its nearest
    k-means|| candidate): where it lives and how a pass reads it.

    * local schedulers (in-memory or locally persisted data): the blocks' states are NumPy
      arrays in this process, handed back to the next pass's kernels;
    * a distributed client with the data persisted on it: each block task's result (the small
      part and the state) stays on the worker that computed it, as a future; the pass's one
      compute fetches only the small parts (a second task on the same worker), and the next
      pass's kernel reads the state where it is. A lost worker's futures are recomputed from
      their lineage, with the same result;
    * data streamed from its source: no state (it would grow with the data); every pass
      recomputes the distances to all candidates so far, in the same order, so that the
      result is the same bit for bit.

    A block's state is referred to as ``(ref, pos)``: ``ref`` is its ``(result, state)`` pair,
    or the list of such pairs of the task that ran its group of blocks (``pos`` its place).
    """

    def __init__(self, runner: Passes) -> None:
        self.runner = runner
        self.client = active_client()
        self.keep = runner.data.policy != "streamed"
        self.previous: list[tuple] = [(None, None)] * runner.data.n_blocks

    def run(self, kernel: Any, *args: Any, combine: Any, keep: bool = True) -> dict:
        """One pass of ``kernel`` on every block with its state; ``keep=False``: the last pass
        (the blocks' states are not kept)."""
        runner, data = self.runner, self.runner.data
        w = data.vectors[0] if data.vectors else None
        what = getattr(kernel, "__name__", "pass")
        merge = functools.partial(_merge_parts, combine)
        keep = keep and self.keep
        remote = keep and self.client is not None
        work = runner.reduction(
            _with_state,
            data.X,
            w,
            args=(kernel, *args, keep),
            block_args=self.previous,
            combine=None,
            index=True,
            aggregate=None if remote else merge,
        )
        if not remote:
            result = runner.run(work, what=what)
            states = result.pop("_states")
            if keep:
                self.previous = [((None, state), None) for state in states]
            return result
        keys = list(work.reduction.__dask_keys__())
        futures = self.client.get(work.reduction.__dask_graph__(), keys, sync=False)
        groups = data.groups if data.groups is not None and len(keys) == len(data.groups) else None
        refs: list[tuple] = [(None, None)] * data.n_blocks
        for j, future in enumerate(futures):
            for pos, i in enumerate(groups[j] if groups is not None else [j]):
                refs[i] = (future, pos if groups is not None else None)
        fetch = runner.reduction(_result_of, data.X, block_args=refs, combine=None, aggregate=merge)
        result = runner.run(fetch, what=what)
        del result["_states"]
        self.previous = refs
        return result

    def release(self) -> None:
        self.previous = [(None, None)] * len(self.previous)


def _with_state(X: Any, w: Any, block: int, ref: Any, pos: Any, kernel: Any, *args: Any) -> Any:
    """``kernel(X, w, block, previous, *args)`` with the block's previous ``(result, state)``."""
    previous = None if ref is None else ref if pos is None else ref[pos]
    return kernel(X, w, block, previous, *args)


def _result_of(X: Any, ref: Any, pos: Any) -> tuple:
    """The small part of a block's pass result (the state stays where it is)."""
    return (ref if pos is None else ref[pos])[0], None


def _merge_parts(combine: Any, parts: list) -> dict:
    """The per-block ``(result, state)`` pairs of a pass: the results merged in block order,
    the states under ``"_states"`` (the first pass's NaN check reads the moments only)."""
    merged = functools.reduce(combine, [p[0] for p in parts])
    merged["_states"] = [p[1] for p in parts]
    return merged


def _stash(runner: Passes, name: str, value: Any) -> None:
    """Keep something a later step of the same fit may reuse, on the fit's runner."""
    runner.__dict__.setdefault("_kmeans", {})[name] = value


def _stashed(runner: Passes, name: str, pop: bool = False) -> Any:
    store = runner.__dict__.get("_kmeans", {})
    return store.pop(name, None) if pop else store.get(name)


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
    if not (runner.data.vectors and runner.data.vectors[0] is not None):
        _stash(runner, "total", (shift, float(sample["moments"][1].sum())))
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

    When the last pass leaves the centers where they were (its labels are those of the
    final centers), its result is the final pass's too: the inertia follows from the cells'
    weights and sums and the total squared distance to a point taken by an earlier pass
    (:func:`_inertia_from_sums`), and in-memory input gets its labels from that pass;
    :func:`final_pass` then makes no pass.
    """
    dtype = runner.data.X.dtype
    centers = np.array(centers, dtype=np.float64)
    weighted = bool(runner.data.vectors) and runner.data.vectors[0] is not None
    total = _stashed(runner, "total")
    labels, views = _label_buffers(runner)
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        A, b, mu = K.center_terms(centers, dtype)
        moments_shift = mu if tol_abs is None else None
        result = _lloyd_pass(runner, A, b, moments_shift, views)
        if tol_abs is None:
            weights, sums, moments = result
            tol_abs = tolerance(moments, tol)
            if total is None and not weighted:
                total = (mu, float(moments[1].sum()))
        else:
            weights, sums = result
        new = centers.copy()
        full = weights > 0
        new[full] = sums[full] / weights[full, None]
        if not full.all():
            new[~full] = _relocate(runner, A, b, mu, centers[~full])
        shift = float(((new - centers) ** 2).sum())
        if shift == 0 and total is not None:
            inertia = _inertia_from_sums(total, centers, weights, sums)
            if inertia is not None:
                _stash(runner, "final", (centers.copy(), labels, inertia))
        centers = new
        if shift <= tol_abs:
            break
    return centers, n_iter, float(tol_abs)


#: The inertia from sums is used when the total it is taken from is at most this many times
#: the inertia: the result then keeps about 12 digits (the final pass sums exactly).
_MAX_TOTAL_RATIO = 1e4


def _inertia_from_sums(
    total: tuple, centers: np.ndarray, weights: np.ndarray, sums: np.ndarray
) -> float | None:
    """``sum_j sum_{i in j} w_i ||x_i - c_j||^2`` from ``T = sum_i w_i ||x_i - s||^2`` (``total``
    = ``(s, T)``) and the cells' weights ``W_j`` and sums ``S_j``::

        sum_{i in j} w_i ||x_i - c_j||^2 = sum_{i in j} w_i ||x_i - s||^2
                                           - 2 (c_j - s).(S_j - W_j s) + W_j ||c_j - s||^2

    None when cancellation would cost too many digits (T far above the result)."""
    shift, T = total
    C = centers - shift
    inertia = T - 2.0 * float((C * (sums - weights[:, None] * shift)).sum())
    inertia += float(weights @ (C**2).sum(axis=1))
    if not inertia > 0 or T > _MAX_TOTAL_RATIO * inertia:
        return None
    return inertia


def _label_buffers(runner: Passes) -> tuple[np.ndarray | None, list]:
    """One int32 label per row, filled by every Lloyd pass (a view per block), for in-memory
    input on local threads: the fit's labels when the last pass turns out to be final."""
    data = runner.data
    if data.policy != "in-memory" or not data.from_memory or data.lengths is None:
        return None, [None] * data.n_blocks
    labels = np.empty(data.n_samples, dtype=np.int32)
    bounds = np.cumsum((0,) + data.lengths)
    return labels, [labels[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _lloyd_pass(
    runner: Passes, A: np.ndarray, b: np.ndarray, moments_shift: Any, views: list
) -> tuple:
    data = runner.data
    w = data.vectors[0] if data.vectors else None
    if views[0] is None:
        return run_pass(runner, K.lloyd_block, A, b, moments_shift)
    work = runner.reduction(
        _lloyd_labelled, data.X, w, args=(A, b, moments_shift), block_args=[(v,) for v in views]
    )
    return runner.run(work, what="lloyd_block")


def _lloyd_labelled(X: Any, w: Any, labels: np.ndarray, A: Any, b: Any, shift: Any) -> tuple:
    """:func:`._kmeans_kernels.lloyd_block` writing the block's labels to ``labels``."""
    return K.lloyd_block(X, w, A, b, shift, labels)


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
    """Exact inertia of ``centers`` (and the labels when asked): one pass, or none when the
    last Lloyd pass already gave them (see :func:`lloyd`)."""
    known = _stashed(runner, "final", pop=True)
    if (
        known is not None
        and np.array_equal(known[0], centers)
        and (known[1] is not None or not with_labels)
    ):
        return (known[1] if with_labels else None), known[2]
    A, b, _ = K.center_terms(centers, runner.data.X.dtype)
    parts = run_pass(runner, K.assign_block, centers, A, b, with_labels, combine=None)
    inertia = float(sum(part[1] for part in parts))
    if with_labels:
        return np.concatenate([part[0] for part in parts]), inertia
    return None, inertia
