"""Far past memory: KMeans and LogisticRegression streaming 10 GB from parquet and zarr (issue 12,
target 4).

Data: ``dasklearn.datasets.make_blobs(62_500_000, 20, centers=8, random_state=0)`` in float64
(10 GB) and a 0/1 target (the blob's label modulo 2), written once to ``benchmarks/_data/far``
as parquet (columns ``x0``..``x19`` and ``y``, one file per 250,000 rows) and as zarr (arrays
``X`` and ``y`` in the same row chunks; zarr's default compression). A LocalCluster of 2
workers x 1 thread with 1 GiB each (the data are five times the cluster's memory), started on
127.0.0.1 by dasklearn. Per format, in one run:

1. **the floor**: a plain read-and-sum pass over the same files on the same cluster
   (``dd.read_parquet(path).sum().compute()``, ``da.from_zarr(...).sum().compute()``), the
   fastest of two, taken before and after the fits;
2. **KMeans(8)** (default parameters: k-means|| and Lloyd) and **LogisticRegression()**
   (default solver) on the same data: every pass timed (``dasklearn._passes.compute``), the
   workers' peak RSS sampled every 0.25 s, the bytes the workers spilled to disk.

Target: every pass within 1.5x of the floor, worker memory under the limit, nothing spilled.
A first small fit on each worker compiles the kernels (numba) before anything is timed.
``--unfused`` also runs each fit with a block's reads left as tasks of their own (no
``dasklearn._blockwise.fuse_block_inputs``), right after the fused one: the A/B of that change.

Run: ``.venv/bin/python benchmarks/far_past_memory.py [--quick] [--formats parquet,zarr]``
(zarr needs the ``bench`` extra). Results: ``benchmarks/results/far_past_memory.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import UNFUSED, RssSampler, print_table, replaced  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data" / "far"
D, K, CHUNK = 20, 8, 250_000
FEATURES = [f"x{i}" for i in range(D)]


def _source(n: int):
    from dasklearn.datasets import make_blobs

    X, labels = make_blobs(n, D, centers=K, random_state=0, chunks=CHUNK)
    return X, (labels % 2).astype(np.float64)


def write(fmt: str, n: int) -> Path:
    """The data set in ``fmt``, written once (kept for later runs unless --clean)."""
    import dask
    import dask.array as da
    import dask.dataframe as dd

    path = DATA / f"blobs_{n}.{fmt}"
    if path.exists():
        return path
    X, y = _source(n)
    start = time.perf_counter()
    with dask.config.set(scheduler="threads"):
        if fmt == "parquet":
            frame = dd.from_dask_array(
                da.concatenate([X, y[:, None]], axis=1), columns=[*FEATURES, "y"]
            )
            frame.to_parquet(str(path), write_index=False)
        else:
            da.to_zarr(X, str(path), component="X")
            da.to_zarr(y, str(path), component="y")
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    print(f"wrote {path} ({size / 1e9:.1f} GB) in {time.perf_counter() - start:.0f} s", flush=True)
    return path


def load(fmt: str, path: Path):
    """(X, y, floor) as a user would read them; ``floor()`` is the plain read-and-sum pass."""
    import dask.array as da
    import dask.dataframe as dd

    if fmt == "parquet":
        frame = dd.read_parquet(str(path))
        return frame[FEATURES], frame["y"], lambda: dd.read_parquet(str(path)).sum().compute()
    X = da.from_zarr(str(path), component="X")
    y = da.from_zarr(str(path), component="y")
    return X, y, lambda: da.from_zarr(str(path), component="X").sum().compute()


class PassTimer:
    """Times every pass of a fit (``dasklearn._passes.compute``: the one compute of a pass)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def __enter__(self) -> PassTimer:
        import dasklearn._passes as P

        self._module, self._original = P, P.compute

        def timed(*graphs):
            start = time.perf_counter()
            try:
                return self._original(*graphs)
            finally:
                self.times.append(time.perf_counter() - start)

        P.compute = timed
        return self

    def __exit__(self, *exc) -> None:
        self._module.compute = self._original


def _spilled(dask_worker) -> int:
    total = getattr(dask_worker.data, "spilled_total", None)
    return 0 if total is None else int(total.disk)


def _fits():
    from dasklearn.cluster import KMeans
    from dasklearn.linear_model import LogisticRegression

    return {
        "KMeans(8)": lambda X, y: KMeans(K, random_state=0).fit(X),
        "LogisticRegression()": lambda X, y: LogisticRegression().fit(X, y),
    }


def run_format(
    fmt: str, path: Path, client, limit_mib: float, only: str = "", unfused: bool = False
) -> list[dict]:
    X, y, floor = load(fmt, path)
    floors = [_best(floor, 2)]
    print(f"[{fmt}] floor (read + sum): {floors[0]:.2f} s", flush=True)
    rows = []
    unfused_variant = [(" unfused", lambda: replaced(*UNFUSED))] if unfused else []
    variants = [("", contextlib.nullcontext), *unfused_variant]
    for (name, fit), (label, variant) in ((f, v) for f in _fits().items() for v in variants):
        if only and not any(name.startswith(o) for o in only.split(",")):
            continue
        name = name + label
        before = sum(client.run(_spilled).values())
        with (
            variant(),
            PassTimer() as timer,
            RssSampler(client) as sampler,
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            model = fit(X, y)
            seconds = time.perf_counter() - start
        spilled = sum(client.run(_spilled).values()) - before
        times = timer.times
        rows.append(
            {
                "format": fmt,
                "fit": name,
                "fit s": seconds,
                "passes": len(times),
                "n_passes_": int(getattr(model, "n_passes_", -1)),
                "median pass s": statistics.median(times),
                "slowest pass s": max(times),
                "worker peak MiB": sampler.worker_peak,
                "limit MiB": limit_mib,
                "spilled MB": spilled / 1e6,
                "client growth MiB": sampler.client_growth,
            }
        )
        print(f"[{fmt}] {name}: {seconds:.1f} s, passes {[round(t, 2) for t in times]}", flush=True)
    floors.append(_best(floor, 2))
    floor_s = min(floors)
    print(f"[{fmt}] floor after: {floors[1]:.2f} s", flush=True)
    for row in rows:
        row["floor s"] = floor_s
        row["median pass / floor"] = row["median pass s"] / floor_s
        row["slowest pass / floor"] = row["slowest pass s"] / floor_s
    return rows


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _warm_up() -> None:
    """Compile the kernels in every worker (numba caches them on disk) before timing."""
    import dask.array as da

    X, y = _source(40_000)
    X, y = (da.from_array(a.compute(scheduler="threads"), chunks=10_000) for a in (X, y))
    for fit in _fits().values():
        fit(X, y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2e6 rows: a smoke run, in memory")
    parser.add_argument("--rows", type=int, default=62_500_000)
    parser.add_argument("--worker-memory", default="1GiB")
    parser.add_argument("--formats", default="parquet,zarr")
    parser.add_argument("--fits", default="", help="e.g. LogisticRegression (default: both)")
    parser.add_argument("--clean", action="store_true", help="delete the data files at the end")
    parser.add_argument("--unfused", action="store_true", help="also run each fit unfused")
    args = parser.parse_args()
    from dask.utils import parse_bytes
    from distributed import Client

    from dasklearn._client import local_cluster

    n = 2_000_000 if args.quick else args.rows
    memory = args.worker_memory
    formats = args.formats.split(",")
    paths = {fmt: write(fmt, n) for fmt in formats}
    rows = []
    with (
        local_cluster(
            n_workers=2, threads_per_worker=1, memory_limit=memory, dashboard=False
        ) as cluster,
        Client(cluster) as client,
    ):
        _warm_up()
        for fmt in formats:
            limit_mib = parse_bytes(memory) / 2**20
            rows += run_format(fmt, paths[fmt], client, limit_mib, args.fits, args.unfused)
    print(f"\n{n:,} x {D} float64 ({n * D * 8 / 1e9:.1f} GB), 2 workers x 1 thread, {memory} each")
    print_table(rows, list(rows[0]))
    if args.clean:
        for path in paths.values():
            shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
