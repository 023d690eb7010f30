"""Benchmark: scikit-learn's own ``n_jobs`` work on a dask cluster through ``on_cluster``.

Two parts, timed apart, on ``make_classification(--n-rows, 20, random_state=0)``: ``search``,
``GridSearchCV(LogisticRegression(max_iter=200), C in logspace(-3, 2, 8), cv=3, n_jobs=-1)``
(24 fits and their scores, each with temporaries of a few MiB), and ``forest``,
``RandomForestClassifier(30 trees, n_jobs=-1)`` (compiled tree building, few large
temporaries).

Contenders, each on 2 cores' worth of workers:

* scikit-learn: ``n_jobs=2`` on joblib's own processes (loky);
* joblib's ``dask`` backend on distributed's ``LocalCluster`` (2 workers x 1 thread) as a user
  starts it: what ``joblib.parallel_config(backend="dask")`` gives without dasklearn;
* ``on_cluster`` on the same kind of cluster: the workers keep temporaries of up to 32 MiB on
  glibc's heap while the block runs (distributed starts them with ``MALLOC_TRIM_THRESHOLD_``,
  which fixes the mmap threshold at 128 KiB);
* ``on_cluster`` on the cluster dasklearn starts (``dasklearn._client.local_cluster``), whose
  workers have those thresholds from the start.

Each contender runs each part ``--repeat`` times after one untimed run (imports); the rounds
alternate the contenders (``--rounds``). Printed: each part's median seconds for each contender
per round, and the ratio to the joblib backend on the plain cluster.

Run: ``.venv/bin/python benchmarks/on_cluster.py [--n-rows 200000] [--rounds 2]``.
"""

from __future__ import annotations

import functools
import statistics
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parse_args, plain_local_cluster, print_table, timed  # noqa: E402


def search(X, y) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    grid = {"C": np.logspace(-3, 2, 8)}
    found = GridSearchCV(LogisticRegression(max_iter=200), grid, cv=3, n_jobs=-1).fit(X, y)
    return float(found.best_score_)


def forest(X, y) -> float:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(TREES, n_jobs=-1, random_state=0).fit(X, y).score(X, y)


def work(X, y, repeat: int) -> dict[str, float]:
    """Median seconds of each part (after one untimed run of each)."""
    return {p.__name__: timed(functools.partial(p, X, y), repeat, warmup=1)[0] for p in PARTS}


PARTS = (search, forest)
TREES = 30


def time_scikit_learn(X, y, repeat: int) -> dict[str, float]:
    import joblib

    with joblib.parallel_config(n_jobs=2):
        return work(X, y, repeat)


def time_on(cluster_kind: str, X, y, repeat: int) -> dict[str, float]:
    import joblib
    from distributed import Client

    from dasklearn._client import local_cluster
    from dasklearn.parallel import on_cluster

    if cluster_kind == "dasklearn":
        cluster = local_cluster(2, 1, memory_limit="auto", dashboard=False)
    else:
        cluster = plain_local_cluster(2)
    with cluster, Client(cluster) as client:
        if cluster_kind == "joblib":
            block = joblib.parallel_config(backend="dask", n_jobs=-1)
        else:
            block = on_cluster(client)
        with block:
            return work(X, y, repeat)


CONTENDERS = {
    "scikit-learn n_jobs=2 (loky)": lambda X, y, r: time_scikit_learn(X, y, r),
    "joblib dask backend, plain LocalCluster": lambda X, y, r: time_on("joblib", X, y, r),
    "on_cluster, plain LocalCluster": lambda X, y, r: time_on("plain", X, y, r),
    "on_cluster, dasklearn's local cluster": lambda X, y, r: time_on("dasklearn", X, y, r),
}


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], n_rows=200_000, rounds=2)
    warnings.filterwarnings("ignore", category=UserWarning)
    from sklearn.datasets import make_classification

    X, y = make_classification(args.n_rows, 20, random_state=0)
    seconds = {(name, part.__name__): [] for name in CONTENDERS for part in PARTS}
    for r in range(args.rounds):
        for name, run in CONTENDERS.items():
            for part, value in run(X, y, args.repeat).items():
                seconds[name, part].append(value)
                print(f"round {r + 1}: {name}, {part}: {value:.2f} s", flush=True)
    rows = []
    for (name, part), times in seconds.items():
        reference = statistics.median(seconds["joblib dask backend, plain LocalCluster", part])
        rows.append(
            {
                "part": part,
                "contender": name,
                "seconds by round": " ".join(f"{s:.3f}" for s in times),
                "median s": statistics.median(times),
                "x joblib on the plain cluster": reference / statistics.median(times),
            }
        )
    rows.sort(key=lambda row: row["part"] != "search")
    print()
    print_table(rows, list(rows[0]))


if __name__ == "__main__":
    main()
