"""Shared benchmark helpers: timing medians, peak memory, the machine's floor, ratio tables.

Benchmarks are scripts, not tests: each runs dasklearn and its rivals on the same data in one run
and prints a table with ratios. Run one with ``python benchmarks/<name>.py [--quick]``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def parse_args(description: str, **extra: Any) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per contender")
    for name, default in extra.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    return parser.parse_args()


def plain_local_cluster(n_workers: int = 2, **kwargs: Any) -> Any:
    """distributed's ``LocalCluster`` as a user starts it (1 thread a worker, on 127.0.0.1, no
    dashboard): distributed's settings for its workers, not the ones dasklearn's own local
    cluster starts them with."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        **kwargs,
    )


def timed(fn: Callable[[], Any], repeat: int = 3, warmup: int = 0) -> tuple[float, Any]:
    """Median wall time of ``fn()`` over ``repeat`` runs, and the last result."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


@contextlib.contextmanager
def replaced(module_name: str, attribute: str, replacement: Any):
    """``module.attribute`` replaced for the block (a piece of dasklearn turned off, for an A/B
    in the same run)."""
    import importlib

    module = importlib.import_module(module_name)
    original = getattr(module, attribute)
    setattr(module, attribute, replacement)
    try:
        yield
    finally:
        setattr(module, attribute, original)


#: dasklearn's pass runner without :func:`dasklearn._blockwise.fuse_block_inputs`
UNFUSED = ("dasklearn._blockwise", "fuse_block_inputs", lambda graph, blocks: graph)


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (MiB)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / 2**20


def worker_peak_mib(client: Any) -> dict[str, float]:
    """Current resident memory of each worker process (MiB) as the nanny/worker reports it."""

    def rss(dask_worker: Any) -> float:
        import psutil

        return psutil.Process(os.getpid()).memory_info().rss / 2**20

    return client.run(rss)


class RssSampler:
    """Samples worker RSS (via the client) and this process's RSS while active."""

    def __init__(self, client, every: float = 0.25) -> None:
        import psutil

        self.client, self.every = client, every
        self.process = psutil.Process()
        self.worker_peak = 0.0
        self.client_start = self.process.memory_info().rss / 2**20
        self.client_peak = self.client_start
        self._stop = threading.Event()

    @staticmethod
    def _rss(dask_worker=None) -> float:
        import psutil

        return psutil.Process().memory_info().rss / 2**20

    def _loop(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(Exception):
                values = self.client.run(self._rss)
                self.worker_peak = max(self.worker_peak, max(values.values()))
            self.client_peak = max(self.client_peak, self.process.memory_info().rss / 2**20)
            self._stop.wait(self.every)

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def client_growth(self) -> float:
        return self.client_peak - self.client_start


def memory_bandwidth_gbs(n_bytes: int = 400 * 2**20) -> float:
    """Single-thread read bandwidth measured with a NumPy sum over a large array (GB/s)."""
    a = np.ones(n_bytes // 8)
    a.sum()
    t, _ = timed(a.sum, repeat=5)
    return a.nbytes / t / 1e9


def gemm_gflops(n: int = 1024) -> float:
    """Measured float64 matrix-multiply rate on this machine (GFLOP/s), all BLAS threads."""
    a = np.random.default_rng(0).random((n, n))
    a @ a
    t, _ = timed(lambda: a @ a, repeat=5)
    return 2 * n**3 / t / 1e9


def anisotropic_blobs(sizes_of: Callable[[np.random.Generator], np.ndarray]) -> np.ndarray:
    """Anisotropic, overlapping Gaussian blobs, 10 columns: 12 groups of unequal spread, of
    ``sizes_of(rng)`` rows each, skewed by a random linear map, rows shuffled (seed 5; the
    draws in the same order whatever the sizes). k-means runs on them end in many optima."""
    rng = np.random.default_rng(5)
    centers = rng.normal(scale=3.0, size=(12, 10))
    sizes = sizes_of(rng)
    spreads = rng.uniform(0.5, 2.5, size=12)
    groups = zip(centers, sizes, spreads, strict=True)
    X = np.vstack([c + s * rng.standard_normal((m, 10)) for c, m, s in groups])
    X = X @ rng.normal(size=(10, 10))
    return X[rng.permutation(len(X))]


def print_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Print rows as an aligned text table."""
    cells = [[_fmt(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if value == 0 or 1e-3 <= abs(value) < 1e6:
            return f"{value:.4g}"
        return f"{value:.3e}"
    return str(value)


def try_import(name: str) -> Any:
    """Import a rival library, or return None (with a note) when it is not installed."""
    try:
        return __import__(name, fromlist=["_"])
    except Exception as err:  # a rival that fails to import on today's stack is reported, not fatal
        print(f"[{name} unavailable: {type(err).__name__}: {err}]")
        return None
