"""XGBoost on (2e6, 20) from parquet: dasklearn.xgboost on a 2-worker cluster vs in-memory XGBoost.

Contenders, each in a fresh subprocess (so that peak memory is its own):

* ``in-memory``: ``pandas.read_parquet`` of the whole dataset, then
  ``xgboost.XGBClassifier(n_jobs=2, tree_method="hist")`` in this one process;
* ``dasklearn``: a LocalCluster of 2 worker processes x 1 thread started first (not timed), then
  ``dask.dataframe.read_parquet`` + ``dasklearn.xgboost.XGBClassifier().fit``: each worker reads
  its own partitions and trains on them, XGBoost all-reduces the histograms between them;
* dask-ml: ``dask_ml.xgboost`` needs the retired ``dask-xgboost`` package; the script tries it in
  ``.venv-bench`` and prints why it is skipped.

Same parameters for both (``n_estimators``, ``max_depth=6``, ``learning_rate=0.3``, hist).
Reported: wall time from parquet to fitted model (median of ``--repeat``) and the fit alone, peak
resident memory (the in-memory process; each dask worker process, its baseline included, and the
client process), accuracy on 200k held-out rows read from their own parquet dataset.

Run: ``.venv/bin/python benchmarks/xgboost.py [--quick] [--repeat 3] [--rows 2000000]``.
Results: ``benchmarks/results/xgboost.md``.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import parse_args, print_table  # noqa: E402

# this script is named xgboost.py: its folder must not shadow the xgboost package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

DATA = HERE / "_data" / "xgboost"
BENCH_PYTHON = HERE.parent / ".venv-bench" / "bin" / "python"
N_FEATURES = 20
N_TEST = 200_000
PARTITION_ROWS = 125_000
PARAMS = dict(max_depth=6, learning_rate=0.3, tree_method="hist", max_bin=256)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


def make_data(rows: int) -> tuple[Path, Path]:
    """Train and test parquet datasets (logistic model data, 10 informative of 20 features)."""
    train, test = DATA / f"train_{rows}.parquet", DATA / f"test_{rows}.parquet"
    if train.exists() and test.exists():
        return train, test
    import dask.dataframe as dd

    from dasklearn.datasets import make_classification

    X, y = make_classification(
        rows + N_TEST,
        N_FEATURES,
        n_informative=10,
        random_state=0,
        chunks=min(PARTITION_ROWS, rows),
    )
    columns = [f"f{i}" for i in range(N_FEATURES)]
    for path, sl in ((train, slice(0, rows)), (test, slice(rows, rows + N_TEST))):
        frame = dd.from_dask_array(X[sl], columns=columns)
        frame["y"] = dd.from_dask_array(y[sl], index=frame.index)
        frame.to_parquet(path, write_index=False)
    return train, test


# --------------------------------------------------------------------------------------------
# contenders (each runs in its own subprocess and prints one JSON line)
# --------------------------------------------------------------------------------------------


def run_in_memory(train: Path, test: Path, trees: int) -> dict:
    import pandas as pd
    import xgboost

    start = time.perf_counter()
    frame = pd.read_parquet(train)
    X, y = frame.drop(columns="y"), frame["y"].to_numpy()
    fit_start = time.perf_counter()
    model = xgboost.XGBClassifier(n_estimators=trees, n_jobs=2, **PARAMS).fit(X, y)
    end = time.perf_counter()
    held = pd.read_parquet(test)
    accuracy = float((model.predict(held.drop(columns="y")) == held["y"].to_numpy()).mean())
    return {
        "seconds": end - start,
        "fit_seconds": end - fit_start,
        "peak_mib": peak_mib(),
        "accuracy": accuracy,
    }


def _worker_peak() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_dasklearn(train: Path, test: Path, trees: int) -> dict:
    import dask.dataframe as dd
    from distributed import Client

    from dasklearn import xgboost as dxgb
    from dasklearn._client import local_cluster

    cluster = local_cluster(n_workers=2, threads_per_worker=1, memory_limit="6GiB", dashboard=False)
    client = Client(cluster)
    client.wait_for_workers(2)
    client.run(lambda: __import__("xgboost"))  # the import is not part of the fit
    baseline = client.run(_worker_peak)
    try:
        start = time.perf_counter()
        frame = dd.read_parquet(train)
        features = [c for c in frame.columns if c != "y"]
        model = dxgb.XGBClassifier(n_estimators=trees, **PARAMS)
        model.fit(frame[features], frame["y"])
        end = time.perf_counter()
        held = dd.read_parquet(test)
        pred = model.predict(held[features]).compute().to_numpy()
        accuracy = float((pred == held["y"].compute().to_numpy()).mean())
        peaks = client.run(_worker_peak)
    finally:
        client.close()
        cluster.close()
    return {
        "seconds": end - start,
        "peak_mib": max(peaks.values()),
        "worker_peaks_mib": sorted(peaks.values()),
        "worker_baseline_mib": max(baseline.values()),
        "client_peak_mib": peak_mib(),
        "accuracy": accuracy,
    }


def run_dask_ml() -> dict:
    try:
        import dask_ml.xgboost  # noqa: F401
    except Exception as err:  # reported, not fatal
        return {"skipped": f"dask_ml.xgboost does not import: {type(err).__name__}: {err}"}
    return {"skipped": "dask_ml.xgboost imports but is not benchmarked here"}


def contender(name: str, rows: int, trees: int, python: Path | str = sys.executable) -> dict:
    cmd = [str(python), __file__, "--contender", name, "--rows", str(rows), "--trees", str(trees)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"{name} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    return json.loads(lines[-1])


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], rows=2_000_000, trees=100, contender="")
    if args.quick:
        args.rows, args.trees = min(args.rows, 200_000), min(args.trees, 20)
    train, test = DATA / f"train_{args.rows}.parquet", DATA / f"test_{args.rows}.parquet"
    if args.contender:
        if args.contender == "dask-ml":
            result = run_dask_ml()
        else:
            run = run_in_memory if args.contender == "in-memory" else run_dasklearn
            result = run(train, test, args.trees)
        print(json.dumps(result))
        return

    import psutil

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB; {time.strftime('%Y-%m-%d')}"
    )
    train, test = make_data(args.rows)
    print(f"data: {args.rows} x {N_FEATURES} train + {N_TEST} test rows, parquet at {DATA}")
    print(f"trees: {args.trees}, params: {PARAMS}, repeat: {args.repeat}\n")

    runs: dict[str, list[dict]] = {"in-memory": [], "dasklearn": []}
    for _ in range(args.repeat):  # interleaved, so that background load hits both alike
        for name in runs:
            runs[name].append(contender(name, args.rows, args.trees))
    rows = []
    for name, results in runs.items():
        median = statistics.median(r["seconds"] for r in results)
        row = {
            "contender": name,
            "seconds (median)": median,
            "all runs": " ".join(f"{r['seconds']:.1f}" for r in results),
            "peak MiB (per process)": statistics.median(r["peak_mib"] for r in results),
            "accuracy": results[0]["accuracy"],
        }
        if name == "in-memory":
            row["fit only"] = statistics.median(r["fit_seconds"] for r in results)
        else:
            row["worker peaks"] = " ".join(f"{p:.0f}" for p in results[0]["worker_peaks_mib"])
            row["worker baseline"] = results[0]["worker_baseline_mib"]
            row["client peak"] = results[0]["client_peak_mib"]
        rows.append(row)
    print_table(
        rows,
        [
            "contender",
            "seconds (median)",
            "all runs",
            "fit only",
            "peak MiB (per process)",
            "worker peaks",
            "worker baseline",
            "client peak",
            "accuracy",
        ],
    )
    base, ours = rows[0], rows[1]
    time_ratio = ours["seconds (median)"] / base["seconds (median)"]
    memory_ratio = ours["peak MiB (per process)"] / base["peak MiB (per process)"]
    print(
        f"\ntime ratio dasklearn / in-memory: {time_ratio:.2f} (target <= 1.3)"
        f"\nper-worker peak / in-memory peak: {memory_ratio:.2f} (target ~0.5)"
        f"\naccuracy difference: {ours['accuracy'] - base['accuracy']:+.4f}"
    )
    if BENCH_PYTHON.exists():
        rival = contender("dask-ml", args.rows, args.trees, python=BENCH_PYTHON)
        print(f"dask-ml: {rival.get('skipped', rival)}")
    else:
        print(f"dask-ml: skipped, {BENCH_PYTHON} does not exist")


if __name__ == "__main__":
    main()
