"""PCA: dasklearn vs scikit-learn, PCA(n_components=5) on a tall and a non-skinny float64 matrix.

Two problems, each fitted by both contenders on the same NumPy data in one run, interleaved
(dasklearn, scikit-learn, dasklearn, ...) so that load from elsewhere falls on both alike:

* tall: (2e6, 20). ``svd_solver="auto"`` picks the covariance route on both sides: dasklearn
  makes one pass (the centred Gram matrix of each row block, merged exactly), scikit-learn
  computes ``XᵀX`` and the mean. The floor is one read of X or ``n d²`` flops (a symmetric
  rank-n update), whichever is longer.
* non-skinny: (2e5, 2000). ``"auto"`` picks the randomized solver on both sides (7 power
  iterations, the same sketch): dasklearn makes 8 passes, each reading X once and multiplying
  every block twice; scikit-learn makes 16 products with X (and centres a copy of it first).
  The floor is 8 reads of X or ``8 * 4 n d l`` flops (``l = 15`` sketch columns).

Reported: median wall time of the fit (of ``--repeat`` interleaved rounds), passes over X, the
largest difference between the two contenders' components, the floor (read bandwidth and GEMM
rate measured in the same run, :mod:`_common`) and the ratios fit / floor and scikit-learn /
dasklearn. dasklearn runs with dask's threaded scheduler on 2 cores (BLAS held to one thread
per task), scikit-learn with its BLAS on every core.

Run: ``.venv/bin/python benchmarks/decomposition.py [--quick] [--repeat 3]``. ``--quick``
shrinks the problems to (2e5, 20) and (1e4, 1200) for a smoke run.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import gemm_gflops, memory_bandwidth_gbs, parse_args, print_table  # noqa: E402

K = 5
SKETCH = K + 10  # n_components + n_oversamples

PROBLEMS = {
    # name: (rows, features), and the --quick sizes
    "tall": ((2_000_000, 20), (200_000, 20)),
    "non-skinny": ((200_000, 2_000), (10_000, 1_200)),
}


def make_data(n: int, d: int, seed: int = 0) -> np.ndarray:
    """A few strong directions over Gaussian noise, away from the origin (float64)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X += (rng.standard_normal((n, K)) * np.linspace(6.0, 3.0, K)) @ rng.standard_normal((K, d))
    X += 10.0
    return X


def floor_seconds(n: int, d: int, passes: int, flops: float, bandwidth: float, gflops: float):
    read = passes * n * d * 8 / (bandwidth * 1e9)
    compute = flops / (gflops * 1e9)
    return max(read, compute), read, compute


def problem_rows(name: str, X: np.ndarray, repeat: int, bandwidth: float, gflops: float):
    import sklearn.decomposition as skd

    from dasklearn.decomposition import PCA

    n, d = X.shape
    contenders = {
        "dasklearn, threads (NumPy input)": lambda: PCA(K, random_state=0).fit(X),
        "scikit-learn": lambda: skd.PCA(K, random_state=0).fit(X),
    }
    times: dict[str, list[float]] = {label: [] for label in contenders}
    models = {}
    for label, fit in contenders.items():  # warm-up (imports, thread pools)
        models[label] = fit()
    for _ in range(repeat):
        for label, fit in contenders.items():
            gc.collect()
            start = time.perf_counter()
            models[label] = fit()
            times[label].append(time.perf_counter() - start)
    ours, theirs = (models[label] for label in contenders)
    passes = ours.n_passes_
    if ours._fit_svd_solver == "covariance_eigh":
        flops = float(n) * d * d  # a symmetric rank-n update
    else:
        flops = passes * 4.0 * n * d * SKETCH  # two products with X per pass
    floor, read, compute = floor_seconds(n, d, passes, flops, bandwidth, gflops)
    difference = float(np.abs(ours.components_ - theirs.components_).max())
    reference = float(np.median(times["scikit-learn"]))
    rows = []
    for label in contenders:
        seconds = float(np.median(times[label]))
        model = models[label]
        rows.append(
            {
                "problem": f"{name} {n}x{d}",
                "contender": label,
                "solver": model._fit_svd_solver,
                "fit_s": seconds,
                "passes": getattr(model, "n_passes_", ""),
                "max_diff": difference,
                "floor_s": floor,
                "fit/floor": seconds / floor,
                "sklearn/this": reference / seconds,
                "load": os.getloadavg()[0],
            }
        )
    print(
        f"  {name}: floor {floor:.3f} s (read {read:.3f} s, flops {compute:.3f} s); "
        f"times { ({k: [round(t, 3) for t in v] for k, v in times.items()}) }",
        flush=True,
    )
    return rows


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    import dask

    dask.config.set(scheduler="threads")
    bandwidth = memory_bandwidth_gbs()
    gflops = gemm_gflops()
    print(
        f"cores {os.cpu_count()}, read bandwidth {bandwidth:.1f} GB/s (one core), "
        f"dgemm {gflops:.1f} GFLOP/s",
        flush=True,
    )
    rows = []
    for name, (full, quick) in PROBLEMS.items():
        n, d = quick if args.quick else full
        X = make_data(n, d)
        rows += problem_rows(name, X, args.repeat, bandwidth, gflops)
        del X
        gc.collect()
    print()
    print_table(
        rows,
        [
            "problem",
            "contender",
            "solver",
            "fit_s",
            "passes",
            "max_diff",
            "floor_s",
            "fit/floor",
            "sklearn/this",
            "load",
        ],
    )


if __name__ == "__main__":
    main()
