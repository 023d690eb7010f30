"""Benchmark: GridSearchCV over a Pipeline, dasklearn vs scikit-learn vs dask-ml, and the floor.

Two grids of 90 candidates (3 PCA settings x 30 classifier settings), 3-fold CV (the same
StratifiedKFold for every contender):

* ``(a)`` the prefix is the work: Pipeline(StandardScaler, PCA(n_components in 10, 25, 50),
  LogisticRegression(C in logspace(-4, 2, 30))) on make_classification(2e5, 200,
  n_informative=40, random_state=0);
* ``(b)`` the classifier is the work: Pipeline(StandardScaler, PCA(n_components in 5, 10, 20),
  SGDClassifier(alpha in logspace(-6, -1, 10), penalty in l2, l1, elasticnet,
  random_state=0)) on make_classification(2e5, 50, n_informative=20, random_state=0).

Contenders, each on 2 cores' worth of workers:

* dasklearn: ``dasklearn.model_selection.GridSearchCV`` on a LocalCluster of 2 worker
  processes x 1 thread (started before the clock; the data are scattered inside the timed fit);
* scikit-learn: ``GridSearchCV(n_jobs=2)`` (joblib's loky processes, BLAS limited to a thread
  each by loky);
* dask-ml: its ``GridSearchCV`` on a cluster of the same shape (distributed's ``LocalCluster``
  as a user starts it), run from ``.venv-bench`` (skipped, with the reason printed, when that
  interpreter is missing or dask-ml does not import there). ``--plain-cluster 1``: dasklearn on
  such a cluster too, instead of the one dasklearn starts (its workers' own settings).

The floor: every distinct piece of work (each distinct step's fit and transform per fold, each
classifier's fit and test score) timed one by one on one thread, summed, divided by the 2
workers: no contender can do the work faster without doing less of it. Beside it, the same
work split over 2 plain processes running at once: what the machine's cores give at that moment
(on a shared machine two processes rarely run at twice the speed of one). Printed beside each
contender: wall time, step fits, CPU seconds of the process tree (the workers included: on a
machine shared with other work the wall times mislead, the CPU seconds less), and the ratios to
the floor and to dasklearn. ``refit=False`` for everyone (the refit is one more fit, the same
for all).

Run: ``.venv/bin/python benchmarks/model_selection.py [--quick] [--problem a|b|ab]``.
``--quick`` shrinks the data (1e4 rows, 40 / 20 features) and the grids (3 x 6 candidates) for
a smoke run. Results of full runs go to ``benchmarks/results/model_selection.md``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parse_args, plain_local_cluster, print_table, timed  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCH_PYTHON = Path(
    os.environ.get("DASKLEARN_BENCH_PYTHON", ROOT / ".venv-bench" / "bin" / "python")
)
N_WORKERS = 2


def problem(name: str, quick: bool):
    """(X, y, pipeline, grid, description) of problem ``name``."""
    from sklearn.datasets import make_classification
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    n = 10_000 if quick else 200_000
    n_values = 6 if quick else 30
    if name == "a":
        p, informative, comps = (40, 10, (5, 10, 20)) if quick else (200, 40, (10, 25, 50))
        clf = LogisticRegression()
        grid = {"pca__n_components": list(comps), "clf__C": list(np.logspace(-4, 2, n_values))}
    else:
        p, informative, comps = (20, 10, (3, 5, 10)) if quick else (50, 20, (5, 10, 20))
        clf = SGDClassifier(random_state=0)
        alphas = np.logspace(-6, -1, 2 if quick else 10)
        grid = {
            "pca__n_components": list(comps),
            "clf__alpha": list(alphas),
            "clf__penalty": ["l2", "l1", "elasticnet"],
        }
    X, y = make_classification(n, p, n_informative=informative, random_state=0)
    pipe = Pipeline([("scaler", StandardScaler()), ("pca", PCA()), ("clf", clf)])
    return X, y, pipe, grid, f"({name}) {n:,} x {p}, {len(list_grid(grid))} candidates"


def list_grid(grid):
    from sklearn.model_selection import ParameterGrid

    return list(ParameterGrid(grid))


def folds(X, y):
    from sklearn.model_selection import StratifiedKFold

    return list(StratifiedKFold(3).split(X, y))


def tree_cpu() -> float:
    """CPU seconds used so far by this process and every process it started (workers)."""
    import psutil

    total = 0.0
    for proc in [psutil.Process(), *psutil.Process().children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def timed_cpu(fn, repeat):
    """(median wall seconds, the result, CPU seconds of the process tree per run)."""
    before = tree_cpu()
    seconds, result = timed(fn, repeat=repeat)
    return seconds, result, (tree_cpu() - before) / repeat


def distinct_work(X, y, pipe, grid, part: int = 0, n_parts: int = 1) -> float:
    """Seconds of the distinct work of the search on one thread: each fold's scaler, each
    (fold, PCA setting)'s PCA and its classifiers' fits and test scores, timed one by one. With
    ``n_parts``: only the (fold, PCA setting) groups ``part``, ``part + n_parts``, ... (and the
    scalers of their folds)."""
    from sklearn.base import clone
    from threadpoolctl import threadpool_limits

    comps, total, group = grid["pca__n_components"], 0.0, 0
    clf_grid = [
        {k[5:]: v for k, v in c.items() if k.startswith("clf__")}
        for c in list_grid({k: v for k, v in grid.items() if k.startswith("clf__")})
    ]
    with threadpool_limits(1):
        for train, test in folds(X, y):
            mine = [k for i, k in enumerate(comps, group) if i % n_parts == part]
            group += len(comps)
            if not mine:
                continue
            start = time.perf_counter()
            scaler = clone(pipe.named_steps["scaler"])
            Xs_train, Xs_test = scaler.fit_transform(X[train]), scaler.transform(X[test])
            total += time.perf_counter() - start
            for k in mine:
                start = time.perf_counter()
                pca = clone(pipe.named_steps["pca"]).set_params(n_components=k)
                Xp_train, Xp_test = pca.fit_transform(Xs_train), pca.transform(Xs_test)
                total += time.perf_counter() - start
                for params in clf_grid:
                    start = time.perf_counter()
                    clf = clone(pipe.named_steps["clf"]).set_params(**params)
                    clf.fit(Xp_train, y[train]).score(Xp_test, y[test])
                    total += time.perf_counter() - start
    return total


def _work_part(args) -> float:
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", message=".*(converge|max_iter).*")
    return distinct_work(*args)


def two_processes_seconds(X, y, pipe, grid) -> float:
    """Wall seconds of the distinct work split over ``N_WORKERS`` plain processes running at
    once (each gets its data before the clock): what this machine's cores give now."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(N_WORKERS) as pool:
        pool.map(_work_part, [(X[:100], y[:100], pipe, grid, 0, 1)] * N_WORKERS)  # imports
        parts = [(X, y, pipe, grid, i, N_WORKERS) for i in range(N_WORKERS)]
        return max(pool.map(_work_part, parts, chunksize=1))


def _warm_up() -> None:
    import sklearn.decomposition  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.pipeline  # noqa: F401
    import sklearn.preprocessing  # noqa: F401

    import dasklearn.model_selection  # noqa: F401


def run_dasklearn(X, y, pipe, grid, repeat, plain: bool = False):
    from distributed import Client

    from dasklearn._client import local_cluster
    from dasklearn.model_selection import GridSearchCV
    from dasklearn.model_selection._plan import build_plan

    if plain:
        cluster = plain_local_cluster(N_WORKERS)
    else:
        cluster = local_cluster(N_WORKERS, 1, memory_limit="auto", dashboard=False)
    client = Client(cluster)
    try:
        client.run(_warm_up)  # a long-lived cluster has these imported
        search = GridSearchCV(pipe, grid, cv=folds(X, y), refit=False, iid=False)
        seconds, search, cpu = timed_cpu(lambda: search.fit(X, y), repeat)
    finally:
        client.close()
        cluster.close()
    fits = sum(build_plan(pipe, list_grid(grid)).n_fits(3).values())
    return seconds, search.cv_results_["mean_test_score"], fits, cpu


def run_sklearn(X, y, pipe, grid, repeat):
    from sklearn.model_selection import GridSearchCV

    search = GridSearchCV(pipe, grid, cv=folds(X, y), refit=False, n_jobs=N_WORKERS)
    seconds, search, cpu = timed_cpu(lambda: search.fit(X, y), repeat)
    return seconds, search.cv_results_["mean_test_score"], 3 * len(list_grid(grid)) * 3, cpu


def run_dask_ml_child(args) -> None:
    """In .venv-bench: dask-ml's GridSearchCV on the same cluster shape, data and folds."""
    from dask_ml.model_selection import GridSearchCV
    from distributed import Client

    X, y, pipe, grid, _ = problem(args.child, args.quick)
    with plain_local_cluster(N_WORKERS) as cluster, Client(cluster):
        search = GridSearchCV(pipe, grid, cv=folds(X, y), refit=False, iid=False)
        seconds, search = timed(lambda: search.fit(X, y), repeat=args.repeat)
    print(
        "RESULT "
        + json.dumps({"seconds": seconds, "scores": search.cv_results_["mean_test_score"].tolist()})
    )


def dask_ml_result(name: str, args) -> dict | str:
    if not BENCH_PYTHON.exists():
        return f"{BENCH_PYTHON} not found"
    probe = subprocess.run(
        [str(BENCH_PYTHON), "-c", "import dask_ml; print(dask_ml.__version__)"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return "dask-ml does not import: " + (probe.stderr.strip().splitlines() or ["?"])[-1]
    cmd = [str(BENCH_PYTHON), __file__, "--child", name, "--repeat", str(args.repeat)]
    cmd += ["--quick"] if args.quick else []
    child = subprocess.run(cmd, capture_output=True, text=True)
    for line in child.stdout.splitlines():
        if line.startswith("RESULT "):
            return {**json.loads(line[len("RESULT ") :]), "version": probe.stdout.strip()}
    return "dask-ml run failed: " + (child.stderr.strip().splitlines() or ["no output"])[-1]


def bench(name: str, args) -> None:
    """One problem: the floor, then each contender, its line printed as soon as it finishes
    (a full run takes many minutes; scikit-learn's is the longest and runs last), then the
    table."""
    X, y, pipe, grid, title = problem(name, args.quick)
    print(f"\n{title}; 3-fold CV, {N_WORKERS} workers", flush=True)
    before = time.process_time()  # the floor runs in this process alone
    serial = distinct_work(X, y, pipe, grid)
    floor, floor_cpu = serial / N_WORKERS, time.process_time() - before
    print(
        f"floor: {serial:.1f} s of distinct work on one thread / {N_WORKERS} = {floor:.1f} s",
        flush=True,
    )
    two = two_processes_seconds(X, y, pipe, grid)
    print(
        f"  the same work split over {N_WORKERS} plain processes at once: {two:.1f} s "
        f"(a speed-up of {serial / two:.2f} on this machine now)",
        flush=True,
    )
    rows = [
        dict(contender="floor", seconds=floor, cpu_s=floor_cpu),
        dict(contender=f"{N_WORKERS} plain processes", seconds=two),
    ]

    def finished(contender: str, seconds: float, fits: int, cpu: float | None = None) -> None:
        rows.append(dict(contender=contender, seconds=seconds, fits=fits))
        if cpu is not None:
            rows[-1]["cpu_s"] = cpu
        cpu_text = "" if cpu is None else f", {cpu:.1f} CPU s"
        print(f"  {contender}: {seconds:.1f} s, {fits} fits{cpu_text}", flush=True)

    plain = bool(args.plain_cluster)
    ours_s, ours_scores, ours_fits, ours_cpu = run_dasklearn(X, y, pipe, grid, args.repeat, plain)
    finished(f"dasklearn ({'plain ' * plain}LocalCluster 2x1)", ours_s, ours_fits, ours_cpu)
    rows[0]["fits"] = ours_fits
    rival = dask_ml_result(name, args)
    if isinstance(rival, dict):
        contender = f"dask-ml {rival['version']} (LocalCluster 2x1)"
        finished(contender, rival["seconds"], 3 * len(list_grid(grid)) * 3)
    else:
        print(f"  dask-ml skipped: {rival}", flush=True)
    sk_s, sk_scores, sk_fits, sk_cpu = run_sklearn(X, y, pipe, grid, args.repeat)
    finished("scikit-learn (n_jobs=2)", sk_s, sk_fits, sk_cpu)
    for row in rows:
        row["vs_floor"] = row["seconds"] / floor
        row["vs_dasklearn"] = row["seconds"] / ours_s
    print_table(rows, ["contender", "seconds", "fits", "cpu_s", "vs_floor", "vs_dasklearn"])
    diff = float(np.max(np.abs(ours_scores - sk_scores)))
    print(f"max |mean_test_score dasklearn - scikit-learn| = {diff:.2e}")
    if isinstance(rival, dict):
        diff = float(np.max(np.abs(ours_scores - np.asarray(rival["scores"]))))
        print(f"max |mean_test_score dasklearn - dask-ml| = {diff:.2e}")


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], problem="ab", child="", plain_cluster=0)
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", message=".*(converge|max_iter).*")
    if args.child:
        run_dask_ml_child(args)
        return
    for name in args.problem:
        bench(name, args)


if __name__ == "__main__":
    main()
