"""A pipeline fitted on parquet larger than the cluster's memory: the cost of a partition's chain
of transforms split into tasks (issue 12).

Data: ``dasklearn.datasets.make_mixed_df`` (five float columns, an int, a categorical and a
string column, a binary target) written to parquet, one file per ``--chunk`` rows. Pipeline:
``Categorizer -> DummyEncoder -> StandardScaler -> PCA(5) -> LogisticRegression``, the one of
``tests/test_pipelines.py``. Cluster: 2 workers x 1 thread started by dasklearn, each with a
managed-memory limit of a quarter of the table (the test's setting), so every pass streams the
files. Contenders, interleaved in every round:

* **dasklearn**, as it is;
* **no row-count marker**: the output layer's frames are not marked as one row per row
  (``dasklearn._output.one_row_per_row`` off), so ``len()`` of each later step's input reads
  every partition through the chain, as before the marker;
* **neither**: that, and a block's private inputs left as tasks of their own
  (``dasklearn._blockwise.fuse_block_inputs`` off), as before the fusion;
* **scikit-learn**: the same steps (scikit-learn's ``OneHotEncoder`` on the two categorical
  columns) fitted on the table in memory, pandas read from the same files (read not timed).

The floor is a plain read-and-sum pass over the same files on the same cluster. Printed per
contender: the fit's median time, its ratio to dasklearn's and to the floor, and the bytes
workers fetched from each other during the fit.

Run: ``.venv/bin/python benchmarks/streamed_pipeline.py [--rows 1000000] [--rounds 3]``.
Results: ``benchmarks/results/streamed_pipeline.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import sys
import time
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import UNFUSED, print_table, replaced  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data" / "streamed_pipeline"
CATEGORICAL = ["region", "plan"]


def write(n: int, chunk: int) -> Path:
    import dask
    import dask.dataframe as dd

    from dasklearn.datasets import make_mixed_df

    path = DATA / f"table_{n}_{chunk}"
    if not path.exists():
        X, y = make_mixed_df(n, chunks=chunk, random_state=1)
        with dask.config.set(scheduler="threads"):
            X.drop(columns="signup").assign(target=y).to_parquet(str(path), write_index=False)
    size = dd.read_parquet(str(path)).memory_usage(deep=True).sum().compute(scheduler="threads")
    return path, int(size)


def ours():
    from sklearn.pipeline import make_pipeline

    from dasklearn.decomposition import PCA
    from dasklearn.linear_model import LogisticRegression
    from dasklearn.preprocessing import Categorizer, DummyEncoder, StandardScaler

    return make_pipeline(
        Categorizer(), DummyEncoder(), StandardScaler(), PCA(n_components=5), LogisticRegression()
    )


def scikit_learn():
    from sklearn.compose import make_column_transformer
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    return make_pipeline(
        make_column_transformer(
            (OneHotEncoder(sparse_output=False), CATEGORICAL), remainder="passthrough"
        ),
        StandardScaler(),
        PCA(n_components=5),
        LogisticRegression(),
    )


class FetchedBytes(WorkerPlugin):
    """A worker plugin: bytes of task results this worker fetched from other workers."""

    name = "fetched-bytes"

    def setup(self, worker):
        self.worker = worker
        self.total = 0

    def transition(self, key, start, finish, **kwargs):
        if start == "flight" and finish == "memory":
            self.total += self.worker.state.tasks[key].nbytes or 0


def _fetched(dask_worker) -> int:
    return dask_worker.plugins["fetched-bytes"].total


def _variant(name: str):
    stack = contextlib.ExitStack()
    if name in ("no row-count marker", "neither"):
        stack.enter_context(replaced("dasklearn._output", "one_row_per_row", lambda f: f))
    if name == "neither":
        stack.enter_context(replaced(*UNFUSED))
    return stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=25_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clean", action="store_true", help="delete the data at the end")
    args = parser.parse_args()
    import dask
    import dask.dataframe as dd
    from distributed import Client

    from dasklearn._client import local_cluster

    path, table_bytes = write(args.rows, args.chunk)
    print(f"{args.rows:,} rows, {table_bytes / 1e6:.0f} MB in memory, at {path}", flush=True)
    memory = {
        "distributed.worker.memory.target": 0.9,
        "distributed.worker.memory.spill": False,
        "distributed.worker.memory.pause": False,
        "distributed.worker.memory.terminate": False,
    }
    names = ["dasklearn", "no row-count marker", "neither"]
    times = {n: [] for n in [*names, "scikit-learn", "floor: read + sum"]}
    between = {}
    table = dd.read_parquet(str(path)).compute(scheduler="threads")
    Xp, yp = table.drop(columns="target"), table["target"]
    with (
        dask.config.set(memory),
        local_cluster(
            n_workers=2, threads_per_worker=1, memory_limit=table_bytes // 4, dashboard=False
        ) as cluster,
        Client(cluster) as client,
    ):
        client.register_plugin(FetchedBytes())
        frame = dd.read_parquet(str(path))
        X, y = frame.drop(columns="target"), frame["target"]
        ours().fit(X, y)  # compiles the kernels on the workers
        for r in range(args.rounds):
            for name in names:
                before = sum(client.run(_fetched).values())
                with _variant(name):
                    start = time.perf_counter()
                    ours().fit(X, y)
                    times[name].append(time.perf_counter() - start)
                between[name] = sum(client.run(_fetched).values()) - before
            start = time.perf_counter()
            scikit_learn().fit(Xp, yp)
            times["scikit-learn"].append(time.perf_counter() - start)
            start = time.perf_counter()
            dd.read_parquet(str(path)).sum(numeric_only=True).compute()
            times["floor: read + sum"].append(time.perf_counter() - start)
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
    base = statistics.median(times["dasklearn"])
    floor = statistics.median(times["floor: read + sum"])
    rows = [
        {
            "contender": name,
            "fit s (median)": statistics.median(t),
            "/ dasklearn": statistics.median(t) / base,
            "fit s / read pass": statistics.median(t) / floor,
            "MB between workers": between[name] / 1e6 if name in between else "-",
        }
        for name, t in times.items()
    ]
    print(f"\n{args.rows:,} rows, 2 workers x 1 thread, {table_bytes / 4e6:.0f} MB each (managed)")
    print_table(rows, list(rows[0]))
    if args.clean:
        shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
