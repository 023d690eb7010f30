"""The shared base costs nothing: KMeans and logistic regression against an earlier dasklearn.

One run times, on the same data, this checkout's dasklearn and the dasklearn of a reference
commit (``--against``, checked out in a temporary git worktree; default: the commit before the
shared output layer, validation, placement and pass runner), with scikit-learn as the outside
reference, in interleaved rounds (old, new, scikit-learn, old, new, ...) so that the shared
machine's drift hits every contender alike. The machine's floor (one-thread read bandwidth, GEMM
rate) is measured in the same run.

Problems (data written once to ``.npy`` files, read by every contender):

* KMeans, 8 well-separated blobs, (2e6, 20) float64: the default fit, and the time of one Lloyd
  iteration ((fit of 21 iterations - fit of 1) / 20, same initial centers, ``tol=0``);
* binary logistic regression on scikit-learn's default ``make_classification(1e6, 20)``: the
  default fit, its passes over X and the time per pass.

Each on NumPy input with dask's threaded scheduler, and on a dask array persisted on a
LocalCluster of 2 workers x 1 thread; with ``--modes ...,parquet`` also from a parquet dataset of
(8e6, 20) streamed (1.3 GB; workers limited to 1 GiB each): KMeans (10 Lloyd iterations) on
``df[features]`` and logistic regression on ``df[features], df["y"]``.

Run: ``.venv/bin/python benchmarks/shared_base.py [--quick] [--rounds 3] [--against REF]``.
Results: ``benchmarks/results/shared_base.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import gemm_gflops, memory_bandwidth_gbs, print_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_AGAINST = "1d9bdf9"  # main before the shared base

# --------------------------------------------------------------------------------------------
# one contender, in a subprocess: prints one JSON line of timings
# --------------------------------------------------------------------------------------------

CHILD = r"""
import json, sys, time, warnings
import numpy as np
import dask

which, data_dir, mode, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
Xk = np.load(f"{data_dir}/kmeans.npy")
init = np.load(f"{data_dir}/kmeans_init.npy")
Xl = np.load(f"{data_dir}/logistic_X.npy")
yl = np.load(f"{data_dir}/logistic_y.npy")
warnings.simplefilter("ignore")


def best(fn):
    out = None
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


if which == "sklearn":
    from sklearn.cluster import KMeans
    from sklearn.linear_model import LogisticRegression

    fit_km = lambda X, **kw: KMeans(8, n_init=1, **kw).fit(X)
    fit_lr = lambda X, y: LogisticRegression().fit(X, y)
    KMeans(8, n_init=1, init=init, max_iter=1).fit(Xk[:1000])
else:
    from dasklearn.cluster import KMeans
    from dasklearn.linear_model import LogisticRegression

    fit_km = lambda X, **kw: KMeans(8, **kw).fit(X)
    fit_lr = lambda X, y: LogisticRegression().fit(X, y)
    KMeans(8, random_state=0).fit(Xk[:20000])  # compile / load the kernels
    LogisticRegression().fit(Xl[:20000], yl[:20000])

client = None
if mode == "parquet":
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                           dashboard_address=None, memory_limit="1GiB")
    client = Client(cluster)
    dask.config.set(scheduler=client)
    source = dd.read_parquet(f"{data_dir}/parquet")
    features = [c for c in source.columns if c != "y"]
    out = {}
    start = time.perf_counter()
    model = KMeans(8, random_state=0, max_iter=10, tol=0.0).fit(source[features])
    out["parquet_kmeans_fit_s"] = time.perf_counter() - start
    out["parquet_kmeans_inertia"] = float(model.inertia_)
    out["parquet_kmeans_passes"] = int(getattr(model, "n_passes_", 0))
    try:
        start = time.perf_counter()
        lr = LogisticRegression().fit(source[features], source["y"])
        out["parquet_logistic_fit_s"] = time.perf_counter() - start
        out["parquet_logistic_passes"] = int(lr.n_passes_)
    except Exception as err:
        out["parquet_logistic_fit_s"] = float("nan")
        out["parquet_logistic_error"] = f"{type(err).__name__}: {str(err)[:120]}"
    print("RESULT " + json.dumps(out), flush=True)
    client.close(); cluster.close()
    sys.exit(0)
if mode == "cluster":
    import dask.array as da
    from distributed import Client, LocalCluster, wait

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                           dashboard_address=None)
    client = Client(cluster)
    dask.config.set(scheduler=client)
    Xk = client.persist(da.from_array(Xk, chunks=(250_000, -1)))
    Xl_d = client.persist(da.from_array(Xl, chunks=(125_000, -1)))
    yl_d = client.persist(da.from_array(yl, chunks=125_000))
    wait([Xk, Xl_d, yl_d])
    Xl, yl = Xl_d, yl_d
else:
    dask.config.set(scheduler="threads")

out = {}
kw = {"random_state": 0}
out["kmeans_fit_s"], model = best(lambda: fit_km(Xk, **kw))
out["kmeans_inertia"] = float(model.inertia_)
one, _ = best(lambda: fit_km(Xk, init=init, max_iter=1, tol=0.0))
many, _ = best(lambda: fit_km(Xk, init=init, max_iter=21, tol=0.0))
out["kmeans_iter_s"] = (many - one) / 20
out["logistic_fit_s"], lr = best(lambda: fit_lr(Xl, yl))
out["logistic_passes"] = int(getattr(lr, "n_passes_", np.ravel(lr.n_iter_)[0]))
out["logistic_s_per_pass"] = out["logistic_fit_s"] / max(out["logistic_passes"], 1)
print("RESULT " + json.dumps(out), flush=True)
if client is not None:
    client.close(); cluster.close()
"""


def run_child(which: str, src: Path | None, data_dir: str, mode: str, repeat: int) -> dict:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, which, data_dir, mode, str(repeat)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise RuntimeError(f"{which} ({mode}) failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


# --------------------------------------------------------------------------------------------
# data, worktree, main
# --------------------------------------------------------------------------------------------


def write_data(data_dir: str, quick: bool) -> tuple[int, int]:
    from sklearn.datasets import make_blobs, make_classification

    n_km, n_lr = (200_000, 100_000) if quick else (2_000_000, 1_000_000)
    X, _ = make_blobs(n_km, 20, centers=8, random_state=0)
    np.save(f"{data_dir}/kmeans.npy", X)
    rng = np.random.default_rng(1)
    np.save(f"{data_dir}/kmeans_init.npy", X[rng.choice(len(X), 8, replace=False)])
    X, y = make_classification(n_lr, 20, random_state=0)
    np.save(f"{data_dir}/logistic_X.npy", X)
    np.save(f"{data_dir}/logistic_y.npy", y)
    return n_km, n_lr


def write_parquet(data_dir: str, quick: bool) -> int:
    """X (20 float columns) and y (0/1) as parquet, 32 row groups: larger than the memory the
    parquet case's workers may use, so every fit streams it from disk at each pass."""
    import pandas as pd
    from sklearn.datasets import make_classification

    n = 800_000 if quick else 8_000_000
    X, y = make_classification(n, 20, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(20)]).assign(y=y)
    step = n // 32
    os.mkdir(f"{data_dir}/parquet")
    for i in range(32):
        part = frame.iloc[i * step : (i + 1) * step]
        part.to_parquet(f"{data_dir}/parquet/part.{i:03d}.parquet", index=False)
    return n


def worktree(ref: str, where: str) -> Path:
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "-f", "--detach", where, ref],
        check=True,
        capture_output=True,
    )
    return Path(where) / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--repeat", type=int, default=3, help="timed fits per round (best)")
    parser.add_argument("--against", default=DEFAULT_AGAINST, help="git ref of the old code")
    parser.add_argument("--modes", default="threads,cluster")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = f"{tmp}/data"
        os.mkdir(data_dir)
        n_km, n_lr = write_data(data_dir, args.quick)
        if "parquet" in args.modes:
            write_parquet(data_dir, args.quick)
        old_src = worktree(args.against, f"{tmp}/old")
        contenders = {"old": old_src, "new": ROOT / "src", "sklearn": None}
        floors = []
        results: dict[tuple[str, str], list[dict]] = {}
        try:
            for round_ in range(args.rounds):
                floors.append((memory_bandwidth_gbs(), gemm_gflops()))
                for mode in args.modes.split(","):
                    for name, src in contenders.items():
                        if name == "sklearn" and mode in ("cluster", "parquet"):
                            continue
                        start = time.perf_counter()
                        out = run_child(name, src, data_dir, mode, args.repeat)
                        results.setdefault((name, mode), []).append(out)
                        took = time.perf_counter() - start
                        print(f"round {round_ + 1} {mode:8s} {name:8s} {took:6.1f} s  {out}")
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", f"{tmp}/old"],
                capture_output=True,
            )

    bandwidth = statistics.median(b for b, _ in floors)
    gflops = statistics.median(g for _, g in floors)
    print(f"\nfloor: read {bandwidth:.1f} GB/s (one thread), GEMM {gflops:.0f} GFLOP/s")
    # the floor of a pass: one read of X at the one-thread bandwidth, on two threads
    floor_km = n_km * 20 * 8 / 1e9 / bandwidth / 2
    floor_lr = n_lr * 20 * 8 / 1e9 / bandwidth / 2
    parquet = {k: v for k, v in results.items() if k[1] == "parquet"}
    for (name, _), outs in parquet.items():
        fits = [o["parquet_kmeans_fit_s"] for o in outs]
        lrs = [o["parquet_logistic_fit_s"] for o in outs]
        print(
            f"parquet {name}: KMeans fit (10 Lloyd iterations) {statistics.median(fits):.2f} s "
            f"(streamed, {outs[-1]['parquet_kmeans_passes'] or '?'} passes), "
            f"inertia {outs[-1]['parquet_kmeans_inertia']:.6e}; LogisticRegression on "
            f"df[features], df['y']: {statistics.median(lrs):.2f} s "
            f"{outs[-1].get('parquet_logistic_error', '')}"
        )
    results = {k: v for k, v in results.items() if k[1] != "parquet"}
    if not results:
        return
    rows = []
    keys = ["kmeans_fit_s", "kmeans_iter_s", "logistic_fit_s", "logistic_s_per_pass"]
    for (name, mode), outs in results.items():
        row = {"contender": name, "mode": mode}
        for key in keys:
            row[key] = statistics.median(o[key] for o in outs)
        row["logistic_passes"] = outs[-1]["logistic_passes"]
        row["kmeans_inertia"] = outs[-1]["kmeans_inertia"]
        rows.append(row)
    for row in rows:
        old = next(r for r in rows if r["contender"] == "old" and r["mode"] == row["mode"])
        row["new/old fit (km, lr)"] = (
            f"{row['kmeans_fit_s'] / old['kmeans_fit_s']:.2f}, "
            f"{row['logistic_fit_s'] / old['logistic_fit_s']:.2f}"
        )
        row["km iter/floor"] = row["kmeans_iter_s"] / floor_km
        row["lr pass/floor"] = row["logistic_s_per_pass"] / floor_lr
    columns = ["contender", "mode", *keys, "logistic_passes", "kmeans_inertia"]
    print_table(rows, [*columns, "new/old fit (km, lr)", "km iter/floor", "lr pass/floor"])


if __name__ == "__main__":
    main()
