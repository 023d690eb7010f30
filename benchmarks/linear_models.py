"""Linear models: each pass against the machine's floor, and whole fits against scikit-learn.

One run measures, on dask's threaded scheduler (2 threads, BLAS held to one thread per task):

1. **The floor of a pass**, in the same run and through the same pass runner as the fits: the
   read bandwidth of a plain pass over the same row blocks (``block.sum()`` per block), and the
   GEMM rate of a pass whose every task multiplies two 512 × 512 matrices (one BLAS thread per
   task, all tasks at once). A pass's floor is ``bytes / bandwidth + flops / GEMM rate``: the
   bytes of X, y (and weights) read once, the flops of the linear predictors (2·n·(p+1)·K per
   point), the gradients (2·n·(p+1)·K per gradient) and the Hessian (2·(n/stride)·(p+1)²·B,
   B = K(K+1)/2 for the multinomial, K otherwise). ``max`` is the floor with perfect overlap.
   The floor is measured before each family's fits in every round (median and best of all).
2. **Pass time / floor** per family (binary, multinomial with 5 classes, Poisson) and solver:
   every pass of short fits (``max_iter`` small: a pass costs the same early or late), timed
   one by one, contenders interleaved in rounds; the median per kind of pass.
3. **Whole fits**: dasklearn's default against scikit-learn's ``LogisticRegression()`` (lbfgs)
   on scikit-learn's default ``make_classification(1_000_000, 20)`` and on the harder problem
   of ``benchmarks/linear_model.py`` (2e6 × 20, 10 informative and 5 redundant features),
   interleaved rounds, the median of the per-round ratios, held-out accuracy of both on 10%
   more rows from the same generator. ``--dask-ml`` adds dask-ml's lbfgs (``.venv-bench``,
   a subprocess, the same data saved as ``.npy``, same row blocks, threaded scheduler).

Run: ``.venv/bin/python benchmarks/linear_models.py [--quick] [--rounds 3] [--dask-ml 1]``.
Results: ``benchmarks/results/linear_models.md``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parse_args, print_table  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data" / "linear_models"
BENCH_PYTHON = HERE.parent / ".venv-bench" / "bin" / "python"
SOLVERS = {"newton": 4, "lbfgs": 8, "admm": 6, "gradient_descent": 6, "proximal_grad": 6}
GEMM_N = 512


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


def make_problem(name: str, scale: float) -> dict[str, np.ndarray]:
    """The fit problems: ``default`` (scikit-learn's defaults), ``hard`` (linear_model.py's
    binary problem), ``multinomial`` (5 classes) and ``poisson``; 10% more rows held out."""
    from sklearn.datasets import make_classification

    n = int({"hard": 2_000_000}.get(name, 1_000_000) * scale)
    n_all = n + n // 10
    if name == "default":
        X, y = make_classification(n_all, 20, random_state=0)
    elif name == "hard":
        X, y = make_classification(n_all, 20, n_informative=10, n_redundant=5, random_state=0)
    elif name == "multinomial":
        X, y = make_classification(n_all, 20, n_informative=10, n_classes=5, random_state=0)
    else:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((n_all, 20))
        y = rng.poisson(np.exp(0.2 + X @ rng.normal(0.0, 0.15, 20))).astype(np.float64)
    return {"X": X[:n], "y": y[:n], "X_test": X[n:], "y_test": y[n:]}


# --------------------------------------------------------------------------------------------
# the floor, measured through the pass runner
# --------------------------------------------------------------------------------------------


def _block_sum(block: np.ndarray) -> float:
    return float(block.sum())


def _block_gemm(block: np.ndarray, a: np.ndarray) -> float:
    return float((a @ a)[0, 0])


def floor_rates(X: np.ndarray, repeat: int = 5) -> tuple[float, float]:
    """(read GB/s, GEMM GFLOP/s) of passes over X's row blocks as a fit places them."""
    from dasklearn._passes import Passes
    from dasklearn._placement import place

    data = place(X)
    runner = Passes(data, check_first=None)
    a = np.random.default_rng(0).random((GEMM_N, GEMM_N))
    read = runner.reduction(_block_sum, data.X)
    gemm = runner.reduction(_block_gemm, data.X, args=(a,))
    runner.run(read)
    runner.run(gemm)
    t_read, t_gemm = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        runner.run(read)
        t_read.append(time.perf_counter() - start)
        start = time.perf_counter()
        runner.run(gemm)
        t_gemm.append(time.perf_counter() - start)
    flops = data.n_blocks * 2 * GEMM_N**3
    return X.nbytes / statistics.median(t_read) / 1e9, flops / statistics.median(t_gemm) / 1e9


# --------------------------------------------------------------------------------------------
# per-pass timing
# --------------------------------------------------------------------------------------------

PASSES: list[dict] = []


def _work(obj, kernel, args) -> tuple[str, float, float]:
    """(kind, bytes, flops) of one pass of ``kernel`` over the objective's data."""
    n, p, K = obj.n_rows, obj.n_features, obj.n_outputs
    pa = p + obj.fit_intercept
    row_bytes = obj.X.dtype.itemsize * p + obj.y.dtype.itemsize
    row_bytes += 0 if obj.sw is None else 8
    hess_blocks = K * (K + 1) // 2 if obj.family.hessian_kind == "multinomial" else K
    one = 2.0 * n * pa * K  # the predictors of one point, or one gradient
    name = kernel.__name__
    if name == "loss_grad_hess":
        extra, stride = args[1], max(1, int(args[4]))
        flops = one * (len(extra) + 2) + 2.0 * -(-n // stride) * pa * pa * hess_blocks
        kind = f"loss+grad+Hessian (1/{stride} rows), {len(extra)} extra"
    elif name == "loss_grad":
        m = len(args[0])
        with_gradient = len(args) < 4 or args[3]
        flops = one * m * (2 if with_gradient else 1)
        kind = f"loss{'+grad' if with_gradient else ''} at {m} point(s)"
    else:  # ADMM: a local Newton step (Hessian sample) and the gradient at z, one sweep
        stride = max(1, int(args[-1]))
        flops = one * 4 + 2.0 * -(-n // stride) * pa * pa * hess_blocks
        kind = f"ADMM local Newton step (1/{stride} rows) + grad at z"
    return kind, n * row_bytes, flops


def install_recorder() -> None:
    """Time every pass over X of the linear models (benchmark-only wrapper)."""
    from dasklearn.linear_model import _objective

    original = _objective.Objective._run

    def _run(self, kernel, args, what, **kwargs):
        start = time.perf_counter()
        out = original(self, kernel, args, what, **kwargs)
        seconds = time.perf_counter() - start
        kind, nbytes, flops = _work(self, kernel, args)
        PASSES.append({"kind": kind, "seconds": seconds, "bytes": nbytes, "flops": flops})
        return out

    _objective.Objective._run = _run


def estimator(family: str, solver: str, max_iter: int):
    from dasklearn.linear_model import LogisticRegression, PoissonRegression

    cls = PoissonRegression if family == "poisson" else LogisticRegression
    return cls(solver=solver, max_iter=max_iter, tol=1e-12)


def pass_table(problems: dict, rounds: int) -> list[dict]:
    """Pass time / floor for every family and solver, contenders interleaved in rounds."""
    import dask

    seen: dict[tuple, list[dict]] = {}
    floors = []
    for r in range(rounds):
        for family in ("binary", "multinomial", "poisson"):
            floors.append(floor_rates(problems["default"]["X"]))  # between the contenders
            data = problems["default" if family == "binary" else family]
            for solver, max_iter in SOLVERS.items():
                PASSES.clear()
                with warnings.catch_warnings(), dask.config.set(scheduler="threads"):
                    warnings.simplefilter("ignore")
                    estimator(family, solver, max_iter).fit(data["X"], data["y"])
                for rec in PASSES[1:]:  # the first pass also checks for NaN
                    seen.setdefault((family, solver, rec["kind"]), []).append(rec)
        rates = ", ".join(f"{bw:.1f} GB/s {gf:.1f} GFLOP/s" for bw, gf in floors[-3:])
        print(f"round {r + 1}: floor {rates}", flush=True)
    bw = statistics.median(f[0] for f in floors)
    gf = statistics.median(f[1] for f in floors)
    # best of the rounds: on a loaded machine the fastest pass and the fastest floor are the
    # closest to what each costs uncontended
    best_bw, best_gf = max(f[0] for f in floors), max(f[1] for f in floors)
    rows = []
    for (family, solver, kind), recs in seen.items():
        t = statistics.median(r["seconds"] for r in recs)
        read = recs[0]["bytes"] / bw / 1e9
        compute = recs[0]["flops"] / gf / 1e9
        best = min(r["seconds"] for r in recs)
        best_floor = recs[0]["bytes"] / best_bw / 1e9 + recs[0]["flops"] / best_gf / 1e9
        rows.append(
            {
                "family": family,
                "solver": solver,
                "pass": kind,
                "n": len(recs),
                "ms": 1e3 * t,
                "read ms": 1e3 * read,
                "flops ms": 1e3 * compute,
                "/ floor": t / (read + compute),
                "/ max": t / max(read, compute),
                "best / best floor": best / best_floor,
            }
        )
    n = len(floors)
    print(f"\nfloor rates (median of {n}): read {bw:.1f} GB/s, GEMM {gf:.1f} GFLOP/s")
    print(f"best of {n}: read {best_bw:.1f} GB/s, GEMM {best_gf:.1f} GFLOP/s")
    return rows


# --------------------------------------------------------------------------------------------
# whole fits
# --------------------------------------------------------------------------------------------


def daskml(problem: str, timeout: float) -> dict:
    """dask-ml's lbfgs on the saved problem, in .venv-bench (seconds, held-out accuracy)."""
    if not BENCH_PYTHON.exists():
        return {"seconds": float("nan"), "note": ".venv-bench missing"}
    cmd = [str(BENCH_PYTHON), str(Path(__file__).resolve()), "--rival", problem]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=os.environ)
    except subprocess.TimeoutExpired:
        return {"seconds": float("nan"), "note": f"> {timeout:.0f} s"}
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"seconds": float("nan"), "note": (out.stderr or out.stdout)[-200:]}


def rival_main(problem: str) -> None:
    """Inside .venv-bench: dask-ml's LogisticRegression(solver='lbfgs') on the saved data."""
    import dask
    import dask.array as da
    from dask_ml.linear_model import LogisticRegression

    warnings.simplefilter("ignore")
    data = {k: np.load(DATA / f"{problem}_{k}.npy") for k in ("X", "y", "X_test", "y_test")}
    rows = int(np.load(DATA / f"{problem}_rows.npy"))
    X = da.from_array(data["X"], chunks=(rows, -1))
    y = da.from_array(data["y"], chunks=rows)
    with dask.config.set(scheduler="threads"):
        start = time.perf_counter()
        est = LogisticRegression(solver="lbfgs").fit(X, y)
        seconds = time.perf_counter() - start
    acc = float(np.mean(np.asarray(est.predict(data["X_test"])) == data["y_test"]))
    print("RESULT " + json.dumps({"seconds": seconds, "held_out": acc}), flush=True)


def fit_table(problems: dict, rounds: int, with_daskml: bool, timeout: float) -> list[dict]:
    import dask
    from sklearn.linear_model import LogisticRegression as SkLogistic

    from dasklearn._placement import place
    from dasklearn.linear_model import LogisticRegression

    rows = []
    for name in ("default", "hard"):
        data = problems[name]
        if with_daskml:
            DATA.mkdir(parents=True, exist_ok=True)
            for key, value in data.items():
                np.save(DATA / f"{name}_{key}.npy", value)
            np.save(DATA / f"{name}_rows.npy", place(data["X"]).X.chunks[0][0])
        times: dict[str, list[float]] = {"dasklearn": [], "scikit-learn": [], "dask-ml": []}
        for _ in range(rounds):
            with dask.config.set(scheduler="threads"):
                start = time.perf_counter()
                ours = LogisticRegression().fit(data["X"], data["y"])
                times["dasklearn"].append(time.perf_counter() - start)
            start = time.perf_counter()
            ref = SkLogistic().fit(data["X"], data["y"])
            times["scikit-learn"].append(time.perf_counter() - start)
            if with_daskml:
                rival = daskml(name, timeout)
                times["dask-ml"].append(rival["seconds"])
            print(f"  {name}: " + ", ".join(f"{k} {v[-1]:.3f} s" for k, v in times.items() if v))
        acc = {
            "dasklearn": float(np.mean(ours.predict(data["X_test"]) == data["y_test"])),
            "scikit-learn": float(np.mean(ref.predict(data["X_test"]) == data["y_test"])),
        }
        ratios = [s / d for s, d in zip(times["scikit-learn"], times["dasklearn"], strict=True)]
        row = {
            "problem": f"{name} {data['X'].shape}",
            "dasklearn s": statistics.median(times["dasklearn"]),
            "solver, passes": f"{ours.solver_}, {ours.n_passes_}",
            "sklearn lbfgs s": statistics.median(times["scikit-learn"]),
            "sklearn iter": int(np.ravel(ref.n_iter_)[0]),
            "x sklearn": statistics.median(ratios),
            "acc dasklearn": f"{acc['dasklearn']:.5f}",
            "acc sklearn": f"{acc['scikit-learn']:.5f}",
        }
        if with_daskml:
            dm = times["dask-ml"]
            row["dask-ml lbfgs s"] = statistics.median(dm)
            row["x dask-ml"] = statistics.median(
                m / d for m, d in zip(dm, times["dasklearn"], strict=True)
            )
            row["acc dask-ml"] = f"{rival.get('held_out', float('nan')):.5f}"
        rows.append(row)
    return rows


def main() -> None:
    args = parse_args(
        __doc__.splitlines()[0], rounds=3, dask_ml=0, rival="", rival_timeout=120.0, only=""
    )
    if args.rival:
        rival_main(args.rival)
        return
    import platform

    install_recorder()
    scale = 0.05 if args.quick else 1.0
    problems = {n: make_problem(n, scale) for n in ("default", "hard", "multinomial", "poisson")}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()}")
    print(time.strftime("date: %Y-%m-%d %H:%M"), flush=True)
    if args.only in ("", "passes"):
        rows = pass_table(problems, args.rounds)
        cols = ["family", "solver", "pass", "n", "ms", "read ms", "flops ms", "/ floor", "/ max"]
        cols.append("best / best floor")
        print_table(rows, cols)
    if args.only in ("", "fits"):
        rows = fit_table(problems, args.rounds, bool(args.dask_ml), args.rival_timeout)
        print()
        print_table(rows, list(dict.fromkeys(k for r in rows for k in r)))
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
