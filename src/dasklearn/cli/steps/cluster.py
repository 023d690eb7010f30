"""Demo step: KMeans (k-means||, one pass per Lloyd iteration) and Nystrom SpectralClustering."""

from __future__ import annotations

import pickle
import time

import dask.array as da
import numpy as np

from .._context import DemoContext


def _moons(n_rows: int, seed: int, block: int = 100_000) -> tuple[da.Array, da.Array]:
    """Two interleaved half circles, generated block by block on the workers."""

    def points(block_id: int, rows: int) -> np.ndarray:
        rng = np.random.default_rng(np.random.SeedSequence([seed, block_id]))
        label = rng.integers(0, 2, rows)
        angle = rng.uniform(0, np.pi, rows)
        x = np.where(label == 0, np.cos(angle), 1 - np.cos(angle))
        y = np.where(label == 0, np.sin(angle), 0.5 - np.sin(angle))
        xy = np.column_stack([x, y]) + rng.normal(scale=0.06, size=(rows, 2))
        return np.column_stack([xy, label])

    sizes = [block] * (n_rows // block) + ([n_rows % block] if n_rows % block else [])
    parts = [
        da.from_delayed(_delayed(points)(i, rows), (rows, 3), dtype=np.float64)
        for i, rows in enumerate(sizes)
    ]
    table = da.concatenate(parts)
    return table[:, :2], table[:, 2].astype(np.int64)


def _delayed(func):
    import dask

    return dask.delayed(func, pure=True)


def run(ctx: DemoContext) -> None:
    from sklearn.metrics import adjusted_rand_score

    from ...cluster import KMeans, SpectralClustering
    from ...cluster import _kmeans_algorithm as kmeans_algorithm
    from ...datasets import make_blobs

    n = ctx.n_rows
    X, y = make_blobs(n, 20, centers=8, random_state=ctx.random_state, chunks=125_000)
    with ctx.step(
        "KMeans: 8 clusters in 20 dimensions, k-means|| initialisation",
        f"{n:,} x 20 blobs generated on the workers and kept in their memory (it fits); "
        "k-means|| from a uniform sample (1 pass) + 1 weighting pass, then one pass per Lloyd "
        "iteration",
    ):
        lloyd: list[tuple[float, int]] = []
        run_lloyd = kmeans_algorithm.lloyd

        def timed_lloyd(*args, **kwargs):
            start = time.perf_counter()
            out = run_lloyd(*args, **kwargs)
            lloyd.append((time.perf_counter() - start, out[1]))
            return out

        kmeans_algorithm.lloyd = timed_lloyd
        try:
            start = time.perf_counter()
            model = KMeans(8, random_state=ctx.random_state).fit(X)
            seconds = time.perf_counter() - start
        finally:
            kmeans_algorithm.lloyd = run_lloyd
        passes = [1.0] * model.n_passes_
        labels, truth = ctx.compute(model.labels_, y)
        per_iteration = sum(t for t, _ in lloyd) / max(1, sum(i for _, i in lloyd))
        ctx.say(
            f"   fit in {seconds:.2f} s (data generation included): {len(passes)} passes, "
            f"{model.n_iter_} Lloyd iterations at {per_iteration * 1e3:.0f} ms each; inertia "
            f"{model.inertia_:.4g}; adjusted Rand index against the true blobs "
            f"{adjusted_rand_score(truth, labels):.4f}"
        )
        size = len(pickle.dumps(model))
        ctx.say(
            f"   the fitted model pickles to {size / 1024:.0f} KiB (labels_ stays a lazy dask "
            "array: predict/transform run where the blocks live)"
        )

    m = max(10_000, n // 10)
    Xm, ym = _moons(m, ctx.random_state)
    with ctx.step(
        "SpectralClustering with the Nystrom approximation: two moons",
        f"{m:,} points; 200 landmarks, so memory is {m:,} x 200 affinities at most one block at "
        "a time (never the n x n matrix); k-means on the spectral embedding",
    ):
        spectral = SpectralClustering(
            2, gamma=20.0, n_components=200, random_state=ctx.random_state
        ).fit(Xm)
        plain = KMeans(2, random_state=ctx.random_state).fit(Xm)
        spectral_labels, plain_labels, truth = ctx.compute(spectral.labels_, plain.labels_, ym)
        ctx.say(
            "   adjusted Rand index against the true moons: spectral "
            f"{adjusted_rand_score(truth, spectral_labels):.3f}, plain k-means "
            f"{adjusted_rand_score(truth, plain_labels):.3f} (k-means cuts the moons in half)"
        )
