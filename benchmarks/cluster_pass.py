"""A pass on a 2-worker LocalCluster against the same pass on threads (issue 12, target 3).

One run, the same NumPy data (``make_blobs``, 20 float64 features) placed as the estimators
place it (``dasklearn._placement.place``: balanced ~32 MiB row blocks; on the cluster persisted
once, each worker holding half of them), interleaved rounds. Per round and mode:

* **Lloyd pass** (KMeans, 8 centers): the fit's own pass (``run_pass(lloyd_block)``);
* **logistic pass** (LogisticRegression's Newton pass: loss, gradient and the Hessian from every
  20th row): every pass after the first of a ``max_iter=4`` fit, timed inside the fit;
* **lbfgs pass** (the same model with ``solver="lbfgs"``: loss and gradient, scipy's L-BFGS-B
  on the client between passes): every pass after the first of a ``max_iter=8`` fit;
* **dask's own pass**: ``X.sum().compute()`` over the same placed blocks (dask's reduction
  tree), and a plain pass through our runner (``block.sum()`` per block), the read floor;
* **round trip**: one trivial task submitted and awaited (the cluster only).

Modes: ``threads`` (dask's threaded scheduler, 2 threads), ``cluster`` (LocalCluster of 2
worker processes x 1 thread on 127.0.0.1, as dasklearn runs it: each pass one call to the actor
on each worker that holds its blocks, ``dasklearn._resident``), ``cluster, task per block``
(the same cluster and blocks, one task per block, as before grouping and actors), and
``cluster, distributed's malloc settings`` (as ``cluster``, its workers started with
distributed's ``MALLOC_TRIM_THRESHOLD_`` instead of ``dasklearn._client.WORKER_MALLOC``).

Target: a cluster pass within 1.3x of the threaded pass, and below ``X.sum().compute()`` on the
same cluster. Run: ``.venv/bin/python benchmarks/cluster_pass.py [--quick] [--rounds 5]``.
Results: ``benchmarks/results/cluster_pass.md``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parse_args, print_table  # noqa: E402
from _common import timed as _timed  # noqa: E402

D, K = 20, 8
TIMES: list[float] = []


def _block_sum(block: np.ndarray) -> float:
    return float(block.sum())


def _inc(x: int) -> int:
    return x + 1


def install_recorder() -> None:
    """Time every pass over X of the linear models (benchmark-only wrapper)."""
    from dasklearn.linear_model import _objective

    original = _objective.Objective._run

    def _run(self, kernel, args, what, **kwargs):
        start = time.perf_counter()
        out = original(self, kernel, args, what, **kwargs)
        TIMES.append(time.perf_counter() - start)
        return out

    _objective.Objective._run = _run


def timed(fn, repeat: int) -> float:
    """Median seconds of ``repeat`` calls (``_common.timed`` without the result)."""
    return _timed(fn, repeat)[0]


class Mode:
    """One way of running the passes, with the data placed once for it."""

    def __init__(
        self, name: str, X: np.ndarray, client, grouped: bool = True, direct: bool = True
    ) -> None:
        import dask

        from dasklearn._placement import place
        from dasklearn.cluster import _kmeans_algorithm as algorithm

        self.name, self.client, self.grouped, self.direct = name, client, grouped, direct
        self.config = {"scheduler": client if client is not None else "threads"}
        with dask.config.set(self.config):
            data = place(X)
            if not grouped:
                data = dataclasses.replace(data, groups=None)
            self.data = data
            self.runner = algorithm.make_passes(data)
            self.dask_X = data.X if client is not None else data.X.persist(scheduler="threads")

    @contextlib.contextmanager
    def running(self):
        """This mode's scheduler; ``direct=False``: passes through ``dask.compute`` (whose
        finalize task gathers the partials on one worker first), as before."""
        import dask

        from dasklearn import _blockwise

        original = _blockwise.compute_reductions
        if not self.direct:
            _blockwise.compute_reductions = lambda client, graphs: dask.compute(*graphs)
        try:
            with dask.config.set(self.config):
                yield
        finally:
            _blockwise.compute_reductions = original

    def lloyd(self, A, b, repeat: int) -> float:

        from dasklearn.cluster import _kmeans_algorithm as algorithm
        from dasklearn.cluster import _kmeans_kernels as kernels

        with self.running():
            return timed(
                lambda: algorithm.run_pass(self.runner, kernels.lloyd_block, A, b, None), repeat
            )

    def logistic(self, X: np.ndarray, y: np.ndarray, solver: str = "newton") -> float:

        from dasklearn import _placement
        from dasklearn.linear_model import LogisticRegression

        original = _placement._thread_groups
        if not self.grouped:
            _placement._thread_groups = lambda X: None
        TIMES.clear()
        try:
            with self.running(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                max_iter = 4 if solver == "newton" else 8
                LogisticRegression(solver=solver, max_iter=max_iter, tol=1e-12).fit(X, y)
        finally:
            _placement._thread_groups = original
        return statistics.median(TIMES[1:])

    def dask_sum(self, repeat: int) -> float:

        with self.running():
            return timed(lambda: self.dask_X.sum().compute(), repeat)

    def plain_pass(self, repeat: int) -> float:

        def one() -> float:  # fresh keys each time: a key still held would not be recomputed
            return self.runner.run(self.runner.reduction(_block_sum, self.data.X), counted=False)

        with self.running():
            return timed(one, repeat)

    def round_trip(self, repeat: int) -> float:
        if self.client is None:
            return float("nan")
        return timed(lambda: self.client.submit(_inc, 1, pure=False).result(), repeat)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], rounds=5, rows=2_000_000)
    from distributed import Client, LocalCluster

    from dasklearn._client import _local_kwargs, local_cluster
    from dasklearn.cluster import _kmeans_kernels as kernels
    from dasklearn.datasets import make_blobs

    n = 200_000 if args.quick else args.rows
    X, y = make_blobs(n, D, centers=K, random_state=0)
    X, y = np.asarray(X), np.asarray(y) % 2
    A, b, _ = kernels.center_terms(X[:: max(1, n // K)][:K], X.dtype)
    install_recorder()
    # first, so that the nannies' copy of distributed's settings into os.environ comes before ours
    plain = LocalCluster(**_local_kwargs(2, 1, "auto", True, False))
    plain_client = Client(plain, set_as_default=False)
    cluster = local_cluster(n_workers=2, threads_per_worker=1, dashboard=False)
    client = Client(cluster, set_as_default=False)
    modes = [
        Mode("threads", X, None),
        Mode("cluster", X, client),
        Mode("cluster, distributed's malloc settings", X, plain_client),
        Mode("cluster, task per block", X, client, grouped=False),
        Mode("cluster, task per block, dask.compute", X, client, grouped=False, direct=False),
    ]
    print(
        f"{n:,} x {D} float64, {modes[0].data.n_blocks} row blocks; groups on the cluster: "
        f"{modes[1].data.groups}",
        flush=True,
    )
    for m in modes:  # warm-up: compilation on every worker, first touch
        m.lloyd(A, b, 1)
        m.logistic(X, y)
    rows: dict[str, dict[str, list[float]]] = {m.name: {} for m in modes}
    for r in range(args.rounds):
        for m in modes:
            rec = rows[m.name]
            rec.setdefault("lloyd", []).append(m.lloyd(A, b, args.repeat))
            rec.setdefault("logistic", []).append(m.logistic(X, y))
            rec.setdefault("lbfgs", []).append(m.logistic(X, y, "lbfgs"))
            rec.setdefault("X.sum()", []).append(m.dask_sum(args.repeat))
            rec.setdefault("plain pass", []).append(m.plain_pass(args.repeat))
            rec.setdefault("round trip", []).append(m.round_trip(args.repeat))
        print(
            f"round {r + 1}: load {os.getloadavg()[0]:.1f}: "
            + "; ".join(f"{k} {1e3 * v[-1]:.1f}" for k, v in rows["cluster"].items()),
            flush=True,
        )
    med = {m: {k: statistics.median(v) for k, v in rec.items()} for m, rec in rows.items()}
    table = []
    for m, rec in med.items():
        row = {"mode": m}
        row.update({f"{k} ms": 1e3 * v for k, v in rec.items()})
        row["lloyd / threads"] = rec["lloyd"] / med["threads"]["lloyd"]
        row["logistic / threads"] = rec["logistic"] / med["threads"]["logistic"]
        row["lbfgs / threads"] = rec["lbfgs"] / med["threads"]["lbfgs"]
        row["lloyd / X.sum()"] = rec["lloyd"] / rec["X.sum()"]
        row["logistic / X.sum()"] = rec["logistic"] / rec["X.sum()"]
        table.append(row)
    print(
        f"\nmedians of {args.rounds} rounds (each the median of {args.repeat}); "
        f"{n:,} x {D}, {modes[0].data.n_blocks} blocks"
    )
    print_table(table, list(table[0]))
    for c in (client, cluster, plain_client, plain):
        c.close()


if __name__ == "__main__":
    main()
