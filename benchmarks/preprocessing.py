"""StandardScaler and PCA(5): dasklearn vs scikit-learn vs dask-ml, in memory and streamed.

Two parts, one run (``--part memory``, ``streamed`` or ``both``):

* **memory**: (2e6, 20) float64 in memory. StandardScaler fit + transform and PCA(n_components=5)
  fit, interleaved over ``--repeat`` rounds (medians), on dask's threaded scheduler:
  dasklearn on the NumPy array (it cuts it into row blocks), scikit-learn on the same array,
  dask-ml (when importable) on a dask array of it with 10 row blocks (its scaler and PCA need
  a dask collection). The floor beside them is one read of X at the machine's read bandwidth
  (fit), a read and a write (transform), measured in the same run.
* **streamed**: a parquet dataset ``--stream-factor`` times the memory of a LocalCluster of 2
  workers x 1 thread x ``--worker-memory``. StandardScaler fit, then its transform summed
  (every row transformed, nothing gathered), and PCA(5) fit, each read from the files; the
  floor is a plain ``dd.read_parquet(...).sum()`` over the same files in the same run. The
  largest worker memory (RSS, sampled every 0.2 s) and bytes spilled are reported beside the
  limit. dask-ml runs the same steps on the same frame where it can.

dask-ml is not a dependency: run the script with an environment that has it (``.venv-bench``,
which has dasklearn installed as well) for its rows, otherwise they are skipped.

Run: ``.venv-bench/bin/python benchmarks/preprocessing.py [--quick] [--repeat 3]
[--part both] [--rows 2000000] [--worker-memory 1024] [--stream-factor 3]``.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import memory_bandwidth_gbs, parse_args, print_table, try_import  # noqa: E402

D = 20
K = 5


def _seconds(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _data(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, D)) * np.arange(1, D + 1) + np.arange(D)
    X[:, :K] += rng.standard_normal((n, 1)) * 5.0  # a few correlated columns for PCA
    return X


def memory_part(n: int, repeat: int) -> None:
    import dask
    import dask.array as da
    import sklearn.decomposition as skd
    import sklearn.preprocessing as skp

    from dasklearn.decomposition import PCA
    from dasklearn.preprocessing import StandardScaler

    dask_ml = try_import("dask_ml")
    X = _data(n)
    Xd = da.from_array(X, chunks=(-(-n // 10), D))
    bandwidth = memory_bandwidth_gbs(n_bytes=min(400 * 2**20, X.nbytes))
    floor = X.nbytes / (bandwidth * 1e9)

    def scaler(lib: str) -> Callable[[], Any]:
        if lib == "dasklearn":
            return lambda: StandardScaler().fit(X).transform(X)
        if lib == "scikit-learn":
            return lambda: skp.StandardScaler().fit(X).transform(X)
        from dask_ml.preprocessing import StandardScaler as DmlScaler

        return lambda: DmlScaler().fit(Xd).transform(Xd).compute()

    def pca(lib: str) -> Callable[[], Any]:
        if lib == "dasklearn":
            return lambda: PCA(K, random_state=0).fit(X)
        if lib == "scikit-learn":
            return lambda: skd.PCA(K, random_state=0).fit(X)
        from dask_ml.decomposition import PCA as DmlPCA

        return lambda: DmlPCA(K, random_state=0).fit(Xd)

    libs = ["dasklearn", "scikit-learn"] + (["dask-ml"] if dask_ml else [])
    tasks = {
        (task, lib): make(lib) for task, make in (("scaler", scaler), ("pca", pca)) for lib in libs
    }
    times: dict[tuple[str, str], list[float]] = {key: [] for key in tasks}
    results: dict[tuple[str, str], Any] = {}
    errors: dict[tuple[str, str], str] = {}
    with dask.config.set(scheduler="threads"):
        for key, fn in tasks.items():  # warm-up: imports, kernels, thread pools
            try:
                results[key] = fn()
            except Exception as err:  # a rival that fails on today's stack is reported
                errors[key] = f"{type(err).__name__}: {str(err)[:80]}"
        for _ in range(repeat):
            for key, fn in tasks.items():
                if key not in errors:
                    t, results[key] = _seconds(fn)
                    times[key].append(t)
    ours = results[("pca", "dasklearn")].components_
    theirs = results[("pca", "scikit-learn")].components_
    signs = np.sign(np.sum(ours * theirs, axis=1))[:, None]
    scaled = float(
        np.abs(results[("scaler", "dasklearn")] - results[("scaler", "scikit-learn")]).max()
    )
    rows = []
    for (task, lib), ts in times.items():
        if (task, lib) in errors:
            rows.append({"task": task, "contender": lib, "note": errors[(task, lib)]})
            continue
        seconds = statistics.median(ts)
        task_floor = 3 * floor if task == "scaler" else floor
        rows.append(
            {
                "task": task,
                "contender": lib,
                "seconds": seconds,
                "x_floor": seconds / task_floor,
                "sklearn/this": statistics.median(times[(task, "scikit-learn")]) / seconds,
                "dask-ml/this": (
                    statistics.median(times[(task, "dask-ml")]) / seconds
                    if (task, "dask-ml") in times and times[(task, "dask-ml")]
                    else ""
                ),
            }
        )
    print(
        f"\nIn memory: ({n}, {D}) float64 ({X.nbytes / 1e6:.0f} MB), {repeat} interleaved rounds "
        f"(medians), threads, {os.cpu_count()} cores; read bandwidth {bandwidth:.1f} GB/s "
        f"(one core): floor of a read {floor * 1e3:.1f} ms; scaler = fit + transform "
        f"(floor 3 reads), pca = fit (floor 1 read); load {os.getloadavg()[0]:.1f}"
    )
    print_table(
        rows, ["task", "contender", "seconds", "x_floor", "sklearn/this", "dask-ml/this", "note"]
    )
    print(
        f"agreement with scikit-learn: transformed values {scaled:.1e}, "
        f"components (up to sign) {float(np.abs(ours * signs - theirs).max()):.1e}"
    )


class _PeakSampler:
    """Largest RSS of any worker, sampled every 0.2 s while a step runs."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                info = self.client.scheduler_info(n_workers=-1)["workers"].values()
                self.peak = max(self.peak, *(w["metrics"]["memory"] / 2**20 for w in info))
            except Exception:
                pass
            self._stop.wait(0.2)

    def __enter__(self) -> _PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()


def _spilled_mib(client: Any) -> float:
    def spilled(dask_worker: Any) -> float:
        total = getattr(dask_worker.data, "spilled_total", None)  # (memory, disk) sizes
        return float(getattr(total, "memory", 0) or 0)

    return sum(client.run(spilled).values()) / 2**20


def streamed_part(worker_mib: int, factor: float, quick: bool) -> None:
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client, LocalCluster

    from dasklearn.decomposition import PCA
    from dasklearn.preprocessing import StandardScaler

    dask_ml = try_import("dask_ml")
    total_bytes = factor * 2 * worker_mib * 2**20
    n = int(total_bytes // (D * 8))
    if quick:
        n = min(n, 400_000)
    rows_per_file = 500_000
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        path = Path(tmp) / "data"
        path.mkdir()
        for i, start in enumerate(range(0, n, rows_per_file)):
            stop = min(start + rows_per_file, n)
            block = _data(stop - start, seed=i)
            pd.DataFrame(block, columns=[f"x{j}" for j in range(D)]).to_parquet(
                path / f"part.{i:04d}.parquet", row_group_size=125_000
            )
            del block
        size = sum(p.stat().st_size for p in path.iterdir())
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            memory_limit=f"{worker_mib}MiB",
        )
        client = Client(cluster)

        def frame() -> Any:
            return dd.read_parquet(str(path))

        steps: dict[tuple[str, str], Callable[[], Any]] = {
            ("floor: read + sum", "dask"): lambda: frame().sum().compute(),
            ("scaler fit", "dasklearn"): lambda: StandardScaler().fit(frame()),
            ("scaler transform+sum", "dasklearn"): lambda: (
                StandardScaler().fit(frame()).transform(frame()).sum().compute()
            ),
            ("pca fit", "dasklearn"): lambda: PCA(K, random_state=0).fit(frame()),
        }
        if dask_ml:
            from dask_ml.decomposition import PCA as DmlPCA
            from dask_ml.preprocessing import StandardScaler as DmlScaler

            steps[("scaler fit", "dask-ml")] = lambda: DmlScaler().fit(frame())
            steps[("scaler transform+sum", "dask-ml")] = lambda: (
                DmlScaler().fit(frame()).transform(frame()).sum().compute()
            )
            steps[("pca fit", "dask-ml")] = lambda: DmlPCA(K, random_state=0).fit(
                frame().to_dask_array(lengths=True)
            )
        rows = []
        floor = None
        for (step, lib), fn in steps.items():
            spilled_before = _spilled_mib(client)
            try:
                with _PeakSampler(client) as sampler:
                    seconds, _ = _seconds(fn)
                note = ""
            except Exception as err:  # a rival that fails is reported
                seconds, note = float("nan"), f"{type(err).__name__}: {str(err)[:70]}"
            client.run(gc.collect)
            if floor is None:
                floor = seconds
            rows.append(
                {
                    "step": step,
                    "contender": lib,
                    "seconds": seconds,
                    "x_read_pass": seconds / floor,
                    "peak_worker_MiB": sampler.peak if not note else "",
                    "spilled_MiB": _spilled_mib(client) - spilled_before,
                    "note": note,
                }
            )
            print(f"  {step} ({lib}): {seconds:.2f} s", flush=True)
        client.close()
        cluster.close()
    print(
        f"\nStreamed: parquet of ({n}, {D}) float64 ({n * D * 8 / 2**30:.2f} GiB in memory, "
        f"{size / 2**30:.2f} GiB on disk), 2 workers x 1 thread x {worker_mib} MiB "
        f"({n * D * 8 / (2 * worker_mib * 2**20):.1f}x the cluster's memory); "
        f"x_read_pass = time / a plain read+sum pass; load {os.getloadavg()[0]:.1f}"
    )
    print_table(
        rows,
        ["step", "contender", "seconds", "x_read_pass", "peak_worker_MiB", "spilled_MiB", "note"],
    )


def main() -> None:
    args = parse_args(
        __doc__.splitlines()[0], rows=2_000_000, part="both", worker_memory=1024, stream_factor=3.0
    )
    if args.part in ("memory", "both"):
        memory_part(200_000 if args.quick else args.rows, 2 if args.quick else max(args.repeat, 1))
    if args.part in ("streamed", "both"):
        streamed_part(args.worker_memory, args.stream_factor, args.quick)


if __name__ == "__main__":
    main()
