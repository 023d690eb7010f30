"""KMeans: dasklearn vs scikit-learn vs dask-ml, 8 clusters on (2e6, 20) float64 blobs in memory.

One run fits every contender on the same data (``dasklearn.datasets.make_blobs``, 8 centers):

* dasklearn, NumPy input, dask's threaded scheduler (2 threads, BLAS held to one per task);
* dasklearn on a LocalCluster of 2 workers x 1 thread: a dask array persisted on the cluster, and
  NumPy input (which includes sending the 320 MB to the workers);
* scikit-learn ``KMeans(n_init=1)`` with ``init="k-means++"`` and ``init="random"``;
* dask-ml's ``KMeans`` (run in ``.venv-bench`` by this script in ``--rival`` mode), on threads and
  on the same LocalCluster layout.

Reported: wall time of a default fit (median of ``--repeat``), iterations, inertia, and seconds per
Lloyd iteration. The per-iteration time is measured the same way for everyone: fits from the same
8 random rows as explicit initial centers with ``max_iter=1`` and with ``max_iter=21`` (the
fastest of 5 fits each, interleaved); ``(t_21 - t_1) / 20`` cancels validation, copies and
initialisation. dasklearn's own
per-iteration time (the Lloyd loop timed inside the fit) is shown too. The floor for one iteration
is ``max(bytes of X / read bandwidth, 2 n d k flops / GEMM rate)`` measured on this machine.

``--parquet-rows`` (default 2e7, 3.2 GB) adds the larger-than-memory case: the same blobs written
to parquet, fitted by dasklearn on a LocalCluster of 2 workers x 1 thread with a 1.5 GiB memory
limit each (the data is larger than one worker's limit and than both together, so dasklearn
streams it at every pass), by dask-ml on the same cluster, and by scikit-learn on the data loaded
into this process's memory. Time and peak memory (worker RSS, sampled; client RSS growth).

Run: ``.venv/bin/python benchmarks/kmeans.py [--quick] [--repeat 3] [--parquet-rows 0]``.
Results: ``benchmarks/results/kmeans.md``. Measured 2026-11-26 on 2 cores (floor read at
9.3-11.4 ms), with the compiled (Numba) sweeps: fit dasklearn threads 0.28-0.32 s, LocalCluster
0.59-0.88 s, scikit-learn k-means++ 0.81-1.25 s, dask-ml threads 7.9-9.0 s / LocalCluster
13.3-15.4 s (same inertia); seconds per Lloyd iteration 0.0165-0.021 on threads (1.76-2.15x the
floor, under 2x in four runs of five), 0.031-0.047 on the LocalCluster, scikit-learn
0.028-0.034, dask-ml 0.143-0.155 / 0.233-0.279. Parquet (2e7 x 20, 3.2 GB, workers 1.5 GiB
each): dasklearn 25.0-27.2 s (7 passes, worker peak 568 MiB), dask-ml 212 s, scikit-learn on
the data already in memory 21.0 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import (  # noqa: E402
    RssSampler,
    anisotropic_blobs,
    gemm_gflops,
    memory_bandwidth_gbs,
    print_table,
    timed,
)

DATA = HERE / "_data" / "kmeans"
BENCH_PYTHON = HERE.parent / ".venv-bench" / "bin" / "python"
K, D = 8, 20
CHUNK_ROWS = 250_000  # dask row blocks (40 MB) for the cluster and dask-ml runs
PER_ITER_MAX = 21
PER_ITER_REPEAT = 5


# --------------------------------------------------------------------------------------------
# machine floor
# --------------------------------------------------------------------------------------------


def all_core_bandwidth_gbs(n_bytes: int = 400 * 2**20) -> float:
    """Read bandwidth with one NumPy sum per core in parallel (GB/s)."""
    from concurrent.futures import ThreadPoolExecutor

    cores = os.cpu_count() or 1
    parts = [np.ones(n_bytes // 8 // cores) for _ in range(cores)]
    with ThreadPoolExecutor(cores) as pool:
        list(pool.map(np.sum, parts))
        seconds, _ = timed(lambda: list(pool.map(np.sum, parts)), repeat=5)
    return sum(p.nbytes for p in parts) / seconds / 1e9


def machine_floor(n: int) -> dict:
    bw1 = memory_bandwidth_gbs()
    bw_all = all_core_bandwidth_gbs()
    gflops = gemm_gflops()
    nbytes = n * D * 8
    flops = 2.0 * n * D * K
    floor_bw = nbytes / (max(bw1, bw_all) * 1e9)
    floor_flops = flops / (gflops * 1e9)
    return {
        "bandwidth_1core_gbs": bw1,
        "bandwidth_all_gbs": bw_all,
        "gemm_gflops": gflops,
        "floor_bandwidth_s": floor_bw,
        "floor_flops_s": floor_flops,
        "floor_s": max(floor_bw, floor_flops),
    }


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


def make_data(n: int) -> np.ndarray:
    import dask

    from dasklearn.datasets import make_blobs

    X, _ = make_blobs(n, D, centers=K, random_state=0, chunks=CHUNK_ROWS)
    (X,) = dask.compute(X, scheduler="threads")
    return X


def init_rows(X: np.ndarray, k: int = K) -> np.ndarray:
    return X[np.sort(np.random.default_rng(42).choice(len(X), k, replace=False))].copy()


#: ``--init-cost --hard``: clusters of the anisotropic, overlapping data.
HARD_K = 20


def make_hard_data(n: int) -> np.ndarray:
    """``kmeans_quality.py``'s ``aniso`` data scaled to ``n`` rows (group sizes drawn from a
    Dirichlet share of ``n``); with ``HARD_K`` clusters its k-means runs end in many local
    optima."""
    return anisotropic_blobs(lambda rng: rng.multinomial(n, rng.dirichlet(np.full(12, 2.0))))


def per_iteration(
    fit_with, init: np.ndarray, max_iter: int = PER_ITER_MAX, repeat: int = PER_ITER_REPEAT
) -> tuple:
    """``(t_M - t_1) / (n_iter_M - 1)`` from fits starting at ``init``: the fastest of
    ``repeat`` fits of each length, the two lengths interleaved so that load from elsewhere
    falls on both alike (the same for every contender)."""
    fit_with(init, 1)  # warm-up
    t1, tm = [], []
    for _ in range(repeat):
        for times, iterations in ((t1, 1), (tm, max_iter)):
            start = time.perf_counter()
            model = fit_with(init, iterations)
            times.append(time.perf_counter() - start)
    n_iter = int(model.n_iter_)
    return (min(tm) - min(t1)) / max(n_iter - 1, 1), n_iter


def in_memory_row(label: str, fit_default, fit_with, init: np.ndarray, repeat: int) -> dict:
    """One contender on the in-memory data: a default fit (median of ``repeat``) and the
    seconds per Lloyd iteration (:func:`per_iteration`), measured alike for everyone."""
    seconds, model = timed(fit_default, repeat=repeat)
    per_iter, n_iter_m = per_iteration(fit_with, init)
    return {
        "contender": label,
        "fit_s": seconds,
        "n_iter": int(model.n_iter_),
        "inertia": float(model.inertia_),
        "s_per_iter": per_iter,
        "iters_timed": n_iter_m,
        "load": os.getloadavg()[0],
    }


# --------------------------------------------------------------------------------------------
# dasklearn
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def lloyd_timer():
    """Time dasklearn's Lloyd loop inside fits: yields a list of (seconds, iterations)."""
    import dasklearn.cluster._kmeans_algorithm as KM

    original = KM.lloyd
    log: list[tuple[float, int]] = []

    def timed_lloyd(*args, **kwargs):
        start = time.perf_counter()
        out = original(*args, **kwargs)
        log.append((time.perf_counter() - start, out[1]))
        return out

    KM.lloyd = timed_lloyd
    try:
        yield log
    finally:
        KM.lloyd = original


def dasklearn_row(label: str, X, init: np.ndarray, repeat: int) -> dict:
    from dasklearn.cluster import KMeans

    def fit_with(start, max_iter):
        return KMeans(K, init=start, max_iter=max_iter, tol=0.0).fit(X)

    log: list[tuple[float, int]] = []

    def fit_default():  # the Lloyd loop timed inside the default fits only
        with lloyd_timer() as entries:
            model = KMeans(K, random_state=0).fit(X)
        log.extend(entries)
        return model

    row = in_memory_row(label, fit_default, fit_with, init, repeat)
    row["s_per_iter_inner"] = float(np.median([t / max(n, 1) for t, n in log]))
    return row


def dasklearn_rows(X: np.ndarray, init: np.ndarray, repeat: int) -> list[dict]:
    import dask
    import dask.array as da
    from distributed import Client, wait

    from dasklearn._client import local_cluster

    rows = []
    with dask.config.set(scheduler="threads"):
        rows.append(dasklearn_row("dasklearn threads (NumPy)", X, init, repeat))
        print(f"  {rows[-1]}", flush=True)
    with (
        warnings.catch_warnings(),
        local_cluster(n_workers=2, threads_per_worker=1, dashboard=False) as cluster,
        Client(cluster) as client,
    ):
        warnings.simplefilter("ignore")
        Xd = client.persist(da.from_array(X, chunks=(CHUNK_ROWS, D)))
        wait(Xd)
        rows.append(dasklearn_row("dasklearn LocalCluster (persisted)", Xd, init, repeat))
        print(f"  {rows[-1]}", flush=True)
        rows.append(dasklearn_row("dasklearn LocalCluster (NumPy)", X, init, repeat))
        print(f"  {rows[-1]}", flush=True)
    return rows


# --------------------------------------------------------------------------------------------
# scikit-learn
# --------------------------------------------------------------------------------------------


def sklearn_rows(X: np.ndarray, init: np.ndarray, repeat: int) -> list[dict]:
    from sklearn.cluster import KMeans

    rows = []
    for method in ("k-means++", "random"):
        rows.append(
            in_memory_row(
                f"scikit-learn {method}",
                lambda m=method: KMeans(K, init=m, n_init=1, random_state=0).fit(X),
                lambda start, it: KMeans(K, init=start, n_init=1, max_iter=it, tol=0.0).fit(X),
                init,
                repeat,
            )
        )
        print(f"  {rows[-1]}", flush=True)
    return rows


# --------------------------------------------------------------------------------------------
# dask-ml (this script in --rival mode, run by .venv-bench's Python)
# --------------------------------------------------------------------------------------------


def rival_main(args: argparse.Namespace) -> None:
    """Runs inside .venv-bench: dask-ml's KMeans on the saved data; prints one JSON line."""
    import dask
    import dask.array as da
    import dask_ml
    from dask_ml.cluster import KMeans
    from distributed import Client, LocalCluster, wait

    out = {"version": dask_ml.__version__, "rows": []}
    warnings.simplefilter("ignore")

    def run(label, X, init):
        def fit_with(start, max_iter):
            return KMeans(K, init=start, max_iter=max_iter, tol=0.0).fit(X)

        out["rows"].append(
            in_memory_row(
                label, lambda: KMeans(K, random_state=0).fit(X), fit_with, init, args.repeat
            )
        )

    if args.rival == "memory":
        X = np.load(DATA / "X.npy")
        init = init_rows(X)
        with dask.config.set(scheduler="threads"):
            run("dask-ml threads", da.from_array(X, chunks=(CHUNK_ROWS, D)), init)
        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            Xd = client.persist(da.from_array(X, chunks=(CHUNK_ROWS, D)))
            wait(Xd)
            run("dask-ml LocalCluster (persisted)", Xd, init)
    else:
        import dask.dataframe as dd

        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                memory_limit=args.worker_memory,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            sampler = RssSampler(client)
            start = time.perf_counter()
            with sampler:
                frame = dd.read_parquet(str(DATA / f"blobs_{args.parquet_rows}.parquet"))
                X = frame.to_dask_array(lengths=True)
                model = KMeans(K, random_state=0).fit(X)
            out["rows"].append(
                {
                    "contender": "dask-ml parquet",
                    "fit_s": time.perf_counter() - start,
                    "n_iter": int(model.n_iter_),
                    "inertia": float(model.inertia_),
                    "worker_peak_mib": sampler.worker_peak,
                    "client_growth_mib": sampler.client_growth,
                }
            )
    print("RIVAL-JSON " + json.dumps(out), flush=True)


def daskml_rows(mode: str, args: argparse.Namespace) -> list[dict]:
    if not BENCH_PYTHON.exists():
        print(f"[dask-ml skipped: {BENCH_PYTHON} not found]")
        return []
    cmd = [
        str(BENCH_PYTHON),
        str(Path(__file__).resolve()),
        "--rival",
        mode,
        "--repeat",
        str(args.repeat),
        "--parquet-rows",
        str(args.parquet_rows),
        "--worker-memory",
        args.worker_memory,
    ]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=args.rival_timeout, check=False
        )
    except subprocess.TimeoutExpired:
        print(f"[dask-ml {mode}: no result within {args.rival_timeout} s]")
        return [{"contender": f"dask-ml {mode}", "fit_s": f"> {args.rival_timeout} s"}]
    for line in proc.stdout.splitlines():
        if line.startswith("RIVAL-JSON "):
            result = json.loads(line[len("RIVAL-JSON ") :])
            print(f"  dask-ml {result['version']}: {result['rows']}", flush=True)
            return result["rows"]
    print(f"[dask-ml {mode} failed]\n{proc.stderr[-3000:]}")
    return []


# --------------------------------------------------------------------------------------------
# larger than memory: parquet
# --------------------------------------------------------------------------------------------


def write_parquet(n: int) -> Path:
    import dask
    import dask.dataframe as dd

    from dasklearn.datasets import make_blobs

    path = DATA / f"blobs_{n}.parquet"
    if not path.exists():
        X, _ = make_blobs(n, D, centers=K, random_state=0, chunks=250_000)
        frame = dd.from_dask_array(X, columns=[f"x{i}" for i in range(D)])
        with dask.config.set(scheduler="threads"):
            frame.to_parquet(str(path), write_index=False)
    return path


def parquet_rows(args: argparse.Namespace) -> list[dict]:
    import dask
    import dask.dataframe as dd
    from distributed import Client

    import dasklearn._passes as KM
    from dasklearn._client import local_cluster
    from dasklearn.cluster import KMeans

    n = args.parquet_rows
    start = time.perf_counter()
    path = write_parquet(n)
    print(f"  parquet ready in {time.perf_counter() - start:.1f} s: {path}", flush=True)
    rows = []
    passes = []
    original = KM.compute

    def counting(*graphs):
        passes.append(1)
        return original(*graphs)

    with (
        local_cluster(
            n_workers=2, threads_per_worker=1, memory_limit=args.worker_memory, dashboard=False
        ) as cluster,
        Client(cluster) as client,
    ):
        sampler = RssSampler(client)
        KM.compute = counting
        try:
            start = time.perf_counter()
            with sampler:
                model = KMeans(K, random_state=0).fit(dd.read_parquet(str(path)))
            seconds = time.perf_counter() - start
        finally:
            KM.compute = original
        from dasklearn._client import memory_budget

        streamed = n * D * 8 > 0.5 * memory_budget(client)  # dasklearn's persist-if-fits rule
        rows.append(
            {
                "contender": f"dasklearn parquet ({'streamed' if streamed else 'persisted'})",
                "fit_s": seconds,
                "n_iter": int(model.n_iter_),
                "inertia": float(model.inertia_),
                "passes": len(passes),  # partition lengths come from the parquet metadata
                "worker_peak_mib": sampler.worker_peak,
                "client_growth_mib": sampler.client_growth,
            }
        )
        print(f"  {rows[-1]}", flush=True)
    if not args.no_daskml:
        rows += daskml_rows("parquet", args)
    if not args.no_sklearn_large:
        from sklearn.cluster import KMeans as SKKMeans

        with dask.config.set(scheduler="threads"):
            X = dd.read_parquet(str(path)).to_dask_array(lengths=True).compute()
        start = time.perf_counter()
        model = SKKMeans(K, n_init=1, random_state=0).fit(X)
        rows.append(
            {
                "contender": "scikit-learn k-means++ (in memory)",
                "fit_s": time.perf_counter() - start,
                "n_iter": int(model.n_iter_),
                "inertia": float(model.inertia_),
            }
        )
        print(f"  {rows[-1]}", flush=True)
        del X
    return rows


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per contender")
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--parquet-rows", type=int, default=20_000_000, help="0: skip")
    parser.add_argument("--worker-memory", default="1.5GiB", help="parquet case, per worker")
    parser.add_argument("--rival-timeout", type=int, default=900)
    parser.add_argument("--no-daskml", action="store_true")
    parser.add_argument("--no-sklearn-large", action="store_true")
    parser.add_argument("--only-parquet", action="store_true", help="skip the in-memory case")
    parser.add_argument(
        "--init-cost",
        action="store_true",
        help="only the default fit's cost outside its Lloyd iterations, in Lloyd passes",
    )
    parser.add_argument(
        "--hard",
        action="store_true",
        help=f"--init-cost on anisotropic overlapping blobs, k={HARD_K} (many local optima)",
    )
    parser.add_argument("--rival", choices=["memory", "parquet"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.rows, args.repeat = 200_000, 1
        args.parquet_rows = min(args.parquet_rows, 1_000_000)
        args.worker_memory = "1GiB"  # a smoke run: the small dataset fits, so it is persisted
    return args


def main() -> None:
    args = parse()
    if args.rival:
        rival_main(args)
        return
    import dask
    import psutil

    print(
        f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"numpy {np.__version__}, dask {dask.__version__}; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if args.init_cost:
        init_cost_case(args)
        return
    if not args.only_parquet:
        in_memory_case(args)
    if args.parquet_rows:
        gb = args.parquet_rows * D * 8 / 1e9
        print(f"\nparquet case: {args.parquet_rows:,} rows x {D} ({gb:.1f} GB)")
        big = parquet_rows(args)
        print_table(
            big,
            ["contender", "fit_s", "n_iter", "inertia", "passes", "worker_peak_mib"]
            + ["client_growth_mib"],
        )


def in_memory_case(args: argparse.Namespace) -> None:
    floor = machine_floor(args.rows)
    print("floor:", {k: round(v, 4) for k, v in floor.items()}, flush=True)

    X = make_data(args.rows)
    init = init_rows(X)
    DATA.mkdir(parents=True, exist_ok=True)
    rows = dasklearn_rows(X, init, args.repeat)
    rows += sklearn_rows(X, init, args.repeat)
    if not args.no_daskml:
        np.save(DATA / "X.npy", X)
        rows += daskml_rows("memory", args)
    for row in rows:
        if isinstance(row.get("s_per_iter"), float):
            row["iter/floor"] = row["s_per_iter"] / floor["floor_s"]
    _ratios(rows)
    print(f"\n(2e6-row case: n={args.rows:,}, d={D}, k={K}; floor {floor['floor_s'] * 1e3:.1f} ms)")
    columns = ["contender", "fit_s", "n_iter", "inertia", "s_per_iter", "s_per_iter_inner"]
    print_table(rows, columns + ["iter/floor", "sklearn_fit/this", "daskml_fit/this", "load"])


def init_cost_case(args: argparse.Namespace) -> None:
    """What a default fit costs besides its Lloyd iterations (validation, the k-means|| passes,
    the candidates' weighting and re-clustering, the final labels and inertia), in Lloyd passes
    measured in the same run. Per repeat, interleaved: three Lloyd passes over the same placed
    data through the fit's own runner (the unit: their median), then one default fit with its
    passes timed inside it; ``init = fit - its Lloyd passes``. Two clocks: wall time on dask's
    threaded scheduler, and CPU time on the synchronous scheduler (one thread: robust to other
    work on a shared machine, where wall-clock differences are noise). Medians of the
    per-repeat ratios; the fit's passes are listed in the same unit."""
    import dask

    import dasklearn._passes as passes
    from dasklearn._placement import place
    from dasklearn.cluster import KMeans
    from dasklearn.cluster import _kmeans_algorithm as algorithm
    from dasklearn.cluster import _kmeans_kernels as kernels

    k = HARD_K if args.hard else K
    X = make_hard_data(args.rows) if args.hard else make_data(args.rows)
    A, b, _ = kernels.center_terms(init_rows(X, k), X.dtype)
    log: list[tuple[str, float]] = []
    original_run = passes.Passes.run
    clock = time.perf_counter

    def logged_run(self, *work, what="", **kwargs):
        start = clock()
        out = original_run(self, *work, what=what, **kwargs)
        log.append((what, clock() - start))
        return out

    def lloyd_pass(runner):
        start = clock()
        algorithm.run_pass(runner, kernels.lloyd_block, A, b, None)
        return clock() - start

    rows = []
    passes.Passes.run = logged_run
    try:
        for scheduler, clock in (("threads", time.perf_counter), ("sync", time.process_time)):
            with dask.config.set(scheduler=scheduler):
                runner = algorithm.make_passes(place(X))
                lloyd_pass(runner)
                KMeans(k, random_state=0).fit(X)  # warm-up: compilation, first touch
                for rep in range(args.repeat):
                    unit = float(np.median([lloyd_pass(runner) for _ in range(3)]))
                    log.clear()
                    start = clock()
                    model = KMeans(k, random_state=rep).fit(X)
                    fit_s = clock() - start
                    init_s = fit_s - sum(t for what, t in log if what == "lloyd_block")
                    rows.append(
                        {
                            "clock": "wall, threads" if scheduler == "threads" else "cpu, sync",
                            "repeat": rep,
                            "fit_s": fit_s,
                            "n_iter": int(model.n_iter_),
                            "passes": int(model.n_passes_),
                            "lloyd_pass_s": unit,
                            "init_s": init_s,
                            "init/lloyd": init_s / unit,
                            "fit's passes / lloyd": " ".join(
                                f"{what.replace('_block', '')}:{t / unit:.2f}" for what, t in log
                            ),
                            "load": os.getloadavg()[0],
                        }
                    )
                    print(rows[-1], flush=True)
    finally:
        passes.Passes.run = original_run
    data = "anisotropic overlapping blobs" if args.hard else "blobs"
    print(f"\n(init cost: {data}, n={args.rows:,}, d={X.shape[1]}, k={k}, NumPy input)")
    print_table(rows, list(rows[0]))
    for kind in ("wall, threads", "cpu, sync"):
        ratios = [r["init/lloyd"] for r in rows if r["clock"] == kind]
        print(f"median init / Lloyd pass ({kind}): {np.median(ratios):.2f}")


def _ratios(rows: list[dict]) -> None:
    def fit_of(prefix):
        for r in rows:
            if r["contender"].startswith(prefix) and isinstance(r.get("fit_s"), float):
                return r["fit_s"]
        return None

    sk = fit_of("scikit-learn k-means++")
    dml = fit_of("dask-ml threads")
    for r in rows:
        if isinstance(r.get("fit_s"), float):
            if sk:
                r["sklearn_fit/this"] = sk / r["fit_s"]
            if dml:
                r["daskml_fit/this"] = dml / r["fit_s"]


if __name__ == "__main__":
    main()
