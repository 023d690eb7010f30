"""Pass time / floor for every estimator that makes passes over its data (issue 12, target 6).

One run, dask's threaded scheduler (2 threads, BLAS held to one thread per task), NumPy input
of 1e6 x 20 float64 placed as the estimators place it (6 row blocks of ~27 MB). In every round:
the floor is measured through the same pass runner over the same blocks (``block.sum()`` per
block for the read bandwidth; a 512 x 512 matrix product per task for the GEMM rate: see
``linear_models.floor_rates``), then each estimator fits once with every pass timed. A pass's
floor is ``bytes read / read bandwidth + flops / GEMM rate`` (``/ max``: the larger term
alone); the flops are the least arithmetic the pass needs (a Gram ``XᵀX`` counts n·d·(d+1)).

Rows: KMeans's Lloyd pass (8 centers), StandardScaler's fit (moments), PCA's covariance route
(the centred Gram), TruncatedSVD's randomized power iteration, GaussianNB's fit (per-class
moments), LinearRegression (``XᵀX`` and ``Xᵀy``), and every pass of every solver of the linear
models for binary, multinomial (5 classes) and Poisson targets (``linear_models.pass_table``).
The first pass of an iterative fit also checks for NaN and is left out; one-pass fits count
their only pass.

Run: ``.venv/bin/python benchmarks/pass_floor.py [--quick] [--rounds 3]``.
Results: ``benchmarks/results/pass_floor.md``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parse_args, print_table  # noqa: E402
from linear_models import (  # noqa: E402
    floor_rates,
    install_recorder,
    make_problem,
    pass_table,
)

K_CENTERS, PCA_COMPONENTS, SVD_OVERSAMPLES = 8, 5, 10
RUNS: list[tuple[str, float]] = []


def install_pass_log() -> None:
    """Log (what, seconds) of every pass (``dasklearn._passes.compute``, the one compute of a
    pass), ``what`` as the runner names it (benchmark-only wrappers)."""
    from dasklearn import _passes

    original_run, original_compute = _passes.Passes.run, _passes.compute
    current = {"what": ""}

    def run(self, *work, what="", **kwargs):
        current["what"] = what
        try:
            return original_run(self, *work, what=what, **kwargs)
        finally:
            current["what"] = ""

    def compute(*graphs):
        start = time.perf_counter()
        out = original_compute(*graphs)
        RUNS.append((current["what"], time.perf_counter() - start))
        return out

    _passes.Passes.run, _passes.compute = run, compute


def estimators(X: np.ndarray, y: np.ndarray) -> dict:
    """name -> (fit, keep(what, i) -> bool, flops of one pass kept)."""
    from dasklearn.cluster import KMeans
    from dasklearn.decomposition import PCA, TruncatedSVD
    from dasklearn.linear_model import LinearRegression
    from dasklearn.naive_bayes import GaussianNB
    from dasklearn.preprocessing import StandardScaler

    n, d = X.shape
    centers = X[:: n // K_CENTERS][:K_CENTERS]
    width = PCA_COMPONENTS + SVD_OVERSAMPLES
    only = lambda what, i: True  # noqa: E731
    return {
        "KMeans, Lloyd pass (8 centers)": (
            lambda: KMeans(K_CENTERS, init=centers, n_init=1, max_iter=6, tol=0).fit(X),
            lambda what, i: i > 0 and what == "lloyd_block",
            2.0 * n * d * K_CENTERS,
        ),
        "StandardScaler.fit (moments)": (lambda: StandardScaler().fit(X), only, 3.0 * n * d),
        "PCA(5), covariance route (Gram)": (
            lambda: PCA(PCA_COMPONENTS, svd_solver="covariance_eigh").fit(X),
            only,
            1.0 * n * d * (d + 1),
        ),
        "TruncatedSVD(5), randomized power iteration": (
            lambda: TruncatedSVD(PCA_COMPONENTS, algorithm="randomized", n_iter=5).fit(X),
            lambda what, i: i > 0 and what.startswith("power iteration"),
            4.0 * n * d * width,
        ),
        "GaussianNB.fit (per-class moments)": (lambda: GaussianNB().fit(X, y), only, 3.0 * n * d),
        "LinearRegression (XᵀX, Xᵀy)": (
            lambda: LinearRegression().fit(X, y.astype(np.float64)),
            lambda what, i: what.startswith("loss"),
            1.0 * n * (d + 1) * (d + 2),
        ),
    }


def other_rows(X: np.ndarray, y: np.ndarray, rounds: int) -> list[dict]:
    import dask

    fits = estimators(X, y)
    seen: dict[str, list[float]] = {}
    floors = []
    with dask.config.set(scheduler="threads"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fit, _, _ in fits.values():  # compile, first touch
            fit()
        for r in range(rounds):
            floors.append(floor_rates(X))
            for name, (fit, keep, _) in fits.items():
                RUNS.clear()
                fit()
                kept = [t for i, (what, t) in enumerate(RUNS) if keep(what, i)]
                if not kept:
                    raise RuntimeError(f"{name}: no pass timed in {RUNS}")
                seen.setdefault(name, []).extend(kept)
            print(
                f"round {r + 1}: floor {floors[-1][0]:.1f} GB/s {floors[-1][1]:.1f} GFLOP/s",
                flush=True,
            )
    bw = statistics.median(f[0] for f in floors)
    gf = statistics.median(f[1] for f in floors)
    rows = []
    for name, times in seen.items():
        read = X.nbytes / bw / 1e9
        compute = fits[name][2] / gf / 1e9
        t = statistics.median(times)
        rows.append(
            {
                "estimator": name,
                "pass": "",
                "n": len(times),
                "ms": 1e3 * t,
                "read ms": 1e3 * read,
                "flops ms": 1e3 * compute,
                "/ floor": t / (read + compute),
                "/ max": t / max(read, compute),
            }
        )
    print(f"floor (median of {len(floors)}): read {bw:.1f} GB/s, GEMM {gf:.1f} GFLOP/s")
    return rows


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], rounds=3)
    install_recorder()
    install_pass_log()
    scale = 0.05 if args.quick else 1.0
    problems = {n: make_problem(n, scale) for n in ("default", "multinomial", "poisson")}
    print(
        f"{os.cpu_count()} cores, load {os.getloadavg()}; " + time.strftime("%Y-%m-%d %H:%M"),
        flush=True,
    )
    data = problems["default"]
    rows = other_rows(data["X"], data["y"], args.rounds)
    for r in pass_table(problems, args.rounds):
        rows.append(
            {
                "estimator": f"Logistic/Poisson {r['family']}, {r['solver']}",
                "pass": r["pass"],
                **{k: r[k] for k in ("n", "ms", "read ms", "flops ms", "/ floor", "/ max")},
            }
        )
    print_table(rows, list(rows[0]))
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
