"""Benchmark: predict_proba of a fitted model over millions of rows (SVC, or a large forest).

A model fitted on a small sample (``--n-train`` rows of ``dasklearn.datasets.make_classification``
with 20 features) scores ``--n-rows`` rows of the same distribution:

* ``--model svc`` (default): ``SVC(probability=True)`` on 3000 rows (about 1800 support vectors,
  a 300 kB pickle). libsvm's predict is single-threaded and costs n_support_vectors x rows kernel
  evaluations: pure compute that splits perfectly over row blocks.
* ``--model forest``: ``RandomForestClassifier(100 trees, n_jobs=1)`` on 20,000 rows, a 38 MiB
  pickle whose predict is cheap per row: what it costs to get a large model to every block.

Contenders, same data and the same fitted model (pickled once and shared):

* scikit-learn: one ``predict_proba`` call on the whole NumPy array, in this process.
* dasklearn: ``ParallelPostFit(model).predict_proba(X).compute()`` on a local cluster of 2 worker
  processes x 1 thread. X is generated block by block on the workers and persisted there before
  the clock starts (the data never travel); the model is one key of the graph, shipped once.
* dask-ml (from ``.venv-bench``): its ``ParallelPostFit`` on an identical cluster with identical
  blocks, run in a subprocess (skipped with a printed reason when dask-ml does not import).
* dasklearn on threads: the same call on dask's threaded scheduler (2 threads, no cluster), X
  the same rows in memory as a dask array of the same blocks: for models whose predict releases
  the GIL (a forest's), the faster way to run them on one machine.
* 2 plain processes: the same ``predict_proba`` on each half of the rows, in two processes
  started (model and rows loaded) before the clock: what two cores give this model at that
  moment, the mark a cluster of two workers can reach at most.

The timed region ends with the probabilities gathered into the client as one NumPy array (32 MB
for 2e6 rows). Blocks of ``--block-rows`` rows (20k: about 1 s of libsvm work each, 100 blocks)
keep both workers busy to the end; the model is small next to a block, so the block count only
matters for the tail (at most one block of imbalance). On each fresh cluster (dasklearn's and
dask-ml's alike) the first call is timed apart and printed as ``first``: it ships the model to
the workers and imports scikit-learn's model code there, which the two plain processes do
before their clock; the medians are of the calls after it.

``--sizes 5000,10000,20000,50000,100000``: small inputs instead. One warm 2x1 cluster per
contender scores each size (blocks of at most ``--block-rows``, persisted, the first call apart),
against one scikit-learn call on the same rows and ParallelPostFit on 2 threads: at which size a
wrapped call stops being slower than one scikit-learn call. The "dask floor" columns time
``X.sum(axis=1).compute()`` over the same X on the same cluster and on threads: what dask itself
costs for a pass that returns a value per row (graph, scheduler, the result to the client),
which a wrapped call pays before its model does any work; the "at most" columns are what a
wrapped call could reach at best on top of it (the floor plus one scikit-learn call shared
perfectly by the cores: ``sklearn / (floor + sklearn / cores)``), below 1 where dask's own cost
is more than the cores can save. ``--frame 1``: the same rows as a dask
DataFrame whose partitions are those blocks (columns ``f0``...), in memory as pandas for the
scikit-learn call and for threads. ``--workers N``: the sizes' clusters have N workers of one
thread (more than 4: one kept copy of the model that the workers fetch from one of them).
``--plain-cluster 1``: the clusters (dasklearn's and dask-ml's) are distributed's
``LocalCluster`` as a user starts it, with distributed's settings for its workers instead of
those dasklearn's own local cluster starts them with.

Run: ``.venv/bin/python benchmarks/parallel_post_fit.py [--model svc|forest] [--quick]``
(``--repeat N`` for more than one timed run; ``--rounds N`` alternates the two plain processes,
the cluster and dask-ml N times, each started afresh, each round with one scikit-learn call and
what two processes gain on a pure-Python loop, and prints the ratios of each round).

Results
-------
See ``benchmarks/results/parallel_post_fit.md`` (machine, date, medians over runs, ratios).
"""

from __future__ import annotations

import functools
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parse_args, plain_local_cluster, print_table, timed  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# The interpreter with dask-ml installed (override with DASKLEARN_BENCH_PYTHON).
BENCH_PYTHON = Path(
    os.environ.get("DASKLEARN_BENCH_PYTHON", ROOT / ".venv-bench" / "bin" / "python")
)
N_INFORMATIVE = 5


def make_data(n_rows: int, n_features: int, block_rows: int):
    """The rows to score as a lazy dask array, generated block by block where it is computed."""
    from dasklearn.datasets import make_classification

    return make_classification(
        n_samples=n_rows,
        n_features=n_features,
        n_informative=N_INFORMATIVE,
        random_state=0,
        chunks=block_rows,
    )


def start_cluster(n_workers: int = 2, plain: bool = False):
    """dasklearn's local cluster, or with ``plain`` distributed's ``LocalCluster`` as a user
    starts it (distributed's settings for its workers, not dasklearn's)."""
    from distributed import Client

    from dasklearn._client import local_cluster

    if plain:
        cluster = plain_local_cluster(n_workers, memory_limit="4GiB")
    else:
        cluster = local_cluster(
            n_workers, threads_per_worker=1, memory_limit="4GiB", dashboard=False
        )
    return cluster, Client(cluster)


def time_on_cluster(wrapper_cls, model, args) -> tuple[float, np.ndarray, float]:
    """Persist X on a fresh 2x1 cluster, then time predict_proba(X).compute(): the median of
    ``args.repeat`` calls after a first one, and that first call's seconds apart (the model
    shipped to and unpickled on the workers, scikit-learn's first imports there; the two plain
    processes load the model before their clock)."""
    from distributed import wait

    cluster, client = start_cluster(plain=bool(args.plain_cluster))
    try:
        X, _ = make_data(args.n_rows, args.n_features, args.block_rows)
        X = client.persist(X)
        wait(X)
        wrapper = wrapper_cls(model)
        first = timed(lambda: wrapper.predict_proba(X).compute(), repeat=1)[0]
        seconds, proba = timed(lambda: wrapper.predict_proba(X).compute(), repeat=args.repeat)
    finally:
        client.close()
        cluster.close()
    return seconds, proba, first


def _sizes(args) -> list[int]:
    return [int(n) for n in args.sizes.split(",") if n]


def _small_data(n_rows: int, args):
    """The rows of one size: a dask array of blocks of at most ``--block-rows``, or with
    ``--frame 1`` a dask DataFrame of those blocks as partitions."""
    X = make_data(n_rows, args.n_features, min(n_rows, args.block_rows))[0]
    if not args.frame:
        return X
    import dask.dataframe as dd

    return dd.from_dask_array(X, columns=[f"f{i}" for i in range(X.shape[1])])


def _in_memory(X, X_local):
    """``X_local`` (computed from X) as a dask collection of X's blocks, held in this process."""
    import dask.array as da
    import dask.dataframe as dd

    if isinstance(X, dd.DataFrame):
        return dd.from_pandas(X_local, npartitions=X.npartitions, sort=False)
    return da.from_array(X_local, chunks=X.chunks)


def _proba(wrapper, X) -> np.ndarray:
    return wrapper.predict_proba(X).compute()


def _row_sums(X) -> np.ndarray:
    """dask's own cost of a per-row pass over X: a cheap task per block, the rows to the client."""
    return X.sum(axis=1).compute()


def sweep_on_cluster(wrapper_cls, model, args, floor: bool = False) -> dict[str, float]:
    """``--sizes``: on one fresh cluster (``--workers`` x 1 thread), the median seconds of a warm
    ``predict_proba(X).compute()`` for each size, X persisted (the first call untimed); with
    ``floor``, also of :func:`_row_sums` over the same X (``"floor <rows>"``)."""
    from distributed import wait

    cluster, client = start_cluster(args.workers, plain=bool(args.plain_cluster))
    out = {}
    try:
        wrapper = wrapper_cls(model)
        for n_rows in _sizes(args):
            X = client.persist(_small_data(n_rows, args))
            wait(X)
            call = functools.partial(_proba, wrapper, X)
            call()
            out[str(n_rows)] = timed(call, args.repeat)[0]
            if floor:
                out[f"floor {n_rows}"] = timed(functools.partial(_row_sums, X), args.repeat)[0]
    finally:
        client.close()
        cluster.close()
    return out


def run_sizes(model, model_path: str, args) -> None:
    """``--sizes``: scikit-learn, threads, the cluster and dask-ml's by size, with ratios."""
    import dask

    from dasklearn.wrappers import ParallelPostFit

    on_cluster = sweep_on_cluster(ParallelPostFit, model, args, floor=True)
    rival = dask_ml_result(model_path, args)
    if not isinstance(rival, dict):
        print(f"[dask-ml skipped: {rival}]")
    cores = min(args.workers, os.cpu_count() or 1)  # the cores the cluster's calls can use
    rows = []
    for n_rows in _sizes(args):
        X = _small_data(n_rows, args)
        X_np = X.compute(scheduler="threads")
        t_sk = timed(functools.partial(model.predict_proba, X_np), args.repeat)[0]
        X_mem = _in_memory(X, X_np)
        with dask.config.set(scheduler="threads", num_workers=2):
            call = functools.partial(_proba, ParallelPostFit(model), X_mem)
            t_thr = timed(call, args.repeat, warmup=1)[0]
            t_thr_floor = timed(functools.partial(_row_sums, X_mem), args.repeat, warmup=1)[0]
        row = {"rows": n_rows, "blocks": X.npartitions, "scikit-learn s": t_sk}
        row["cluster s"], row["threads s"] = on_cluster[str(n_rows)], t_thr
        row["cluster x sklearn"], row["threads x sklearn"] = t_sk / row["cluster s"], t_sk / t_thr
        row["dask floor cluster s"] = on_cluster[f"floor {n_rows}"]
        row["dask floor threads s"] = t_thr_floor
        row["cluster at most x"] = t_sk / (row["dask floor cluster s"] + t_sk / cores)
        row["threads at most x"] = t_sk / (t_thr_floor + t_sk / 2)
        if isinstance(rival, dict):
            row["dask-ml s"] = rival["sizes"][str(n_rows)]
            row["dask-ml x sklearn"] = t_sk / row["dask-ml s"]
        rows.append(row)
    print()
    print_table(rows, list(rows[0]))


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def checksum(proba: np.ndarray) -> list[float]:
    return [float(proba[:, 1].sum()), float(proba[0, 1]), float(proba[-1, 1])]


def run_dask_ml_child(args) -> None:
    """In .venv-bench: dask-ml's ParallelPostFit on the same cluster shape, data and model."""
    from dask_ml.wrappers import ParallelPostFit as DaskMLParallelPostFit

    with open(args.child, "rb") as f:
        model = pickle.load(f)
    if args.sizes:
        print(
            "RESULT " + json.dumps({"sizes": sweep_on_cluster(DaskMLParallelPostFit, model, args)})
        )
        return
    seconds, proba, first = time_on_cluster(DaskMLParallelPostFit, model, args)
    result = {"seconds": seconds, "first": first, "checksum": checksum(proba)}
    print("RESULT " + json.dumps(result), flush=True)


def dask_ml_result(model_path: str, args) -> dict | str:
    """Run this script in .venv-bench for the dask-ml part; a reason string when it cannot."""
    if not BENCH_PYTHON.exists():
        return f"{BENCH_PYTHON} not found"
    probe = subprocess.run(
        [str(BENCH_PYTHON), "-c", "import dask_ml.wrappers, dask_ml; print(dask_ml.__version__)"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return "dask-ml does not import: " + probe.stderr.strip().splitlines()[-1]
    paths = [str(ROOT / "src"), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    cmd = [str(BENCH_PYTHON), __file__, "--child", model_path]
    cmd += ["--n-rows", str(args.n_rows), "--n-features", str(args.n_features)]
    cmd += ["--block-rows", str(args.block_rows), "--repeat", str(args.repeat)]
    cmd += ["--model", args.model, "--n-train", str(args.n_train), "--sizes", args.sizes]
    cmd += ["--frame", str(args.frame), "--workers", str(args.workers)]
    cmd += ["--plain-cluster", str(args.plain_cluster)]
    child = subprocess.run(cmd, capture_output=True, text=True, env=env)
    for line in child.stdout.splitlines():
        if line.startswith("RESULT "):
            out = json.loads(line[len("RESULT ") :])
            out["version"] = probe.stdout.strip()
            return out
    tail = (child.stderr.strip().splitlines() or ["no output"])[-1]
    return f"dask-ml run failed: {tail}"


def time_on_threads(model, X_np: np.ndarray, args) -> tuple[float, np.ndarray]:
    """ParallelPostFit on dask's threaded scheduler (2 threads, no cluster) over the same rows in
    memory as a dask array of the same blocks: the way to run a model whose predict releases the
    GIL (a forest's tree walks do), with no process to ship the model or the results to."""
    import dask
    import dask.array as da

    from dasklearn.wrappers import ParallelPostFit

    X = da.from_array(X_np, chunks=(args.block_rows, X_np.shape[1]))
    wrapper = ParallelPostFit(model)
    with dask.config.set(scheduler="threads", num_workers=2):
        return timed(lambda: wrapper.predict_proba(X).compute(), repeat=args.repeat)


def _svc():
    from sklearn.svm import SVC

    return SVC(probability=True, random_state=0)


def _forest():
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=100, n_jobs=1, random_state=0)


#: --model: (estimator factory, default --n-train)
MODELS = {"svc": (_svc, 3000), "forest": (_forest, 20_000)}


def fit_and_time_sklearn(args):
    """Fit the model on the first rows; time one predict_proba call over all rows in memory."""
    import dask

    X, y = make_data(args.n_rows, args.n_features, args.block_rows)
    X_np, y_np = dask.compute(X, y, scheduler="threads")
    model = MODELS[args.model][0]().fit(X_np[: args.n_train], y_np[: args.n_train])
    size = len(pickle.dumps(model)) / 2**20
    print(
        f"{type(model).__name__} fitted on {args.n_train} rows x {args.n_features} features "
        f"({size:.1f} MiB pickled); scoring {args.n_rows:,} rows in blocks of {args.block_rows:,}",
        flush=True,
    )
    seconds, proba = timed(lambda: model.predict_proba(X_np), repeat=args.repeat)
    return model, seconds, proba


_PART: dict = {}


def _load(model_path: str, rows_path: str, n_parts: int) -> int:
    """In each plain process, before the clock: the model and every part of the rows."""
    with open(model_path, "rb") as f:
        _PART["model"] = pickle.load(f)
    rows = np.load(rows_path)
    _PART["parts"] = [np.array(p) for p in np.array_split(rows, n_parts)]
    time.sleep(0.5)  # so that each process takes one of these calls
    return os.getpid()


def _predict_part(part: int) -> np.ndarray:
    return _PART["model"].predict_proba(_PART["parts"][part])


def two_processes_seconds(model, X_np: np.ndarray, repeat: int) -> tuple[float, np.ndarray]:
    """Wall seconds of predict_proba over the rows split in two, in two plain processes."""
    import multiprocessing

    with tempfile.TemporaryDirectory() as tmp:
        model_path, rows_path = os.path.join(tmp, "model.pkl"), os.path.join(tmp, "rows.npy")
        with open(model_path, "wb") as f:
            pickle.dump(model, f)
        np.save(rows_path, X_np)
        with multiprocessing.get_context("spawn").Pool(2) as pool:
            while len(set(pool.starmap(_load, [(model_path, rows_path, 2)] * 2, 1))) < 2:
                pass  # one process took both calls: load again until each has loaded
            return timed(
                lambda: np.concatenate(pool.map(_predict_part, range(2), 1)), repeat=repeat
            )


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def pure_python_gain(seconds: float = 1.0, repeat: int = 3) -> float:
    """What two worker processes gain on pure Python right now (issue 12.5's reference on a
    busy machine): the same loop of about ``seconds`` in one process alone, then in both at
    once; ``2 x alone / both``, the median of ``repeat`` pairs."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(2) as pool:
        n = 200_000
        while (t := timed(functools.partial(pool.apply, _spin, (n,)), 1)[0]) < seconds / 4:
            n *= 4
        n = int(n * seconds / t)
        gains = []
        for _ in range(repeat):
            alone = timed(functools.partial(pool.apply, _spin, (n,)), 1)[0]
            both = timed(functools.partial(pool.map, _spin, [n, n], 1), 1)[0]
            gains.append(2 * alone / both)
        return statistics.median(gains)


def run_rounds(model, X_np: np.ndarray, p_sk: np.ndarray, model_path: str, args) -> tuple:
    """The two plain processes, the dasklearn cluster and dask-ml's, alternated ``--rounds``
    times, each started afresh in its round (none idles beside another's clock), each round with
    one scikit-learn call and the pure-Python gain of two processes: the ratios of target 12.5
    from the same minutes. Medians of the three, dask-ml's result (or why it was skipped), and
    each round's (of two processes, x scikit-learn, pure-Python gain, x dask-ml, and the first
    call on the fresh cluster x scikit-learn)."""
    from dasklearn.wrappers import ParallelPostFit

    t_two, t_dl, t_rival, per_round = [], [], [], []
    rival: dict | str = ""
    ran: dict | None = None  # dask-ml's last result, when a round ran it
    for r in range(args.rounds):
        seconds, p_two = two_processes_seconds(model, X_np, args.repeat)
        t_two.append(seconds)
        seconds, p_dl, first = time_on_cluster(ParallelPostFit, model, args)
        t_dl.append(seconds)
        rival = dask_ml_result(model_path, args)
        versus, rival_ratio = "", float("nan")
        if isinstance(rival, dict):
            ran = rival
            t_rival.append(rival["seconds"])
            same = np.allclose(rival["checksum"], checksum(p_sk), rtol=1e-12)
            versus = (
                f"dask-ml {rival['seconds']:.2f} s (same: {same}, first {rival['first']:.2f} s); "
            )
            rival_ratio = rival["seconds"] / t_dl[-1]
        t_one = timed(functools.partial(model.predict_proba, X_np), repeat=1)[0]
        gain = pure_python_gain()
        per_round.append((t_two[-1] / t_dl[-1], t_one / t_dl[-1], gain, rival_ratio, t_one / first))
        print(
            f"round {r + 1}: 2 plain processes {t_two[-1]:.2f} s (identical: "
            f"{np.array_equal(p_two, p_sk)}), dasklearn 2x1 cluster {t_dl[-1]:.2f} s (identical: "
            f"{np.array_equal(p_dl, p_sk)}, first {first:.2f} s): {per_round[-1][0]:.3f} of two "
            f"processes; {versus}"
            f"scikit-learn {t_one:.2f} s: cluster {per_round[-1][1]:.2f}x it; two processes "
            f"gain {gain:.2f}x on pure Python (0.9 of it: {0.9 * gain:.2f}x)",
            flush=True,
        )
    if ran is not None:  # a round's failure does not hide the rounds that ran
        rival = dict(ran, seconds=statistics.median(t_rival))
    return statistics.median(t_two), statistics.median(t_dl), rival, per_round


def main() -> None:
    args = parse_args(
        __doc__.splitlines()[0],
        n_rows=2_000_000,
        n_train=0,
        n_features=20,
        block_rows=20_000,
        model="svc",
        child="",
        rounds=1,
        sizes="",
        frame=0,
        workers=2,
        plain_cluster=0,
    )
    if args.model not in MODELS:
        raise SystemExit(f"--model must be one of {sorted(MODELS)}")
    args.n_train = args.n_train or MODELS[args.model][1]
    warnings.filterwarnings("ignore", message=".*probability.*deprecated", category=FutureWarning)
    warnings.filterwarnings("ignore", message="X has feature names", category=UserWarning)
    if args.quick:
        args.n_rows, args.block_rows = 100_000, 10_000
    if args.child:
        run_dask_ml_child(args)
        return
    # long runs: one timed call by default; small sizes: the median of 7
    args.repeat = max(1, args.repeat if "--repeat" in sys.argv else 7 if args.sizes else 1)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{cpu_model()}; {cpus} CPUs usable; load average {os.getloadavg()[0]:.2f}", flush=True)
    if args.sizes:
        args.n_rows = max(_sizes(args))
    model, t_sk, p_sk = fit_and_time_sklearn(args)
    if args.sizes:
        with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as f:
            pickle.dump(model, f)
        try:
            run_sizes(model, f.name, args)
        finally:
            os.unlink(f.name)
        return
    rows = [{"contender": "scikit-learn (1 call)", "seconds": t_sk}]
    print(f"scikit-learn: {t_sk:.1f} s", flush=True)

    X_np = np.asarray(make_data(args.n_rows, args.n_features, args.block_rows)[0])
    t_thr, p_thr = time_on_threads(model, X_np, args)
    print(f"dasklearn on threads: {t_thr:.1f} s; identical: {np.array_equal(p_thr, p_sk)}")
    with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as f:
        pickle.dump(model, f)
    try:
        t_two, t_dl, rival, per_round = run_rounds(model, X_np, p_sk, f.name, args)
    finally:
        os.unlink(f.name)
    del X_np
    rows.append({"contender": "2 plain processes (each half the rows)", "seconds": t_two})
    rows.append({"contender": "dasklearn ParallelPostFit, 2 threads", "seconds": t_thr})
    rows.append({"contender": "dasklearn ParallelPostFit, 2x1 cluster", "seconds": t_dl})
    if isinstance(rival, dict):
        rows.append({"contender": f"dask-ml {rival['version']} ParallelPostFit", **rival})
    else:
        print(f"[dask-ml skipped: {rival}]")

    t_rival = rival["seconds"] if isinstance(rival, dict) else None
    for row in rows:
        row["rows/s"] = args.n_rows / row["seconds"]
        row["x sklearn"] = t_sk / row["seconds"]
        row["of 2 processes"] = t_two / row["seconds"]
        if t_rival is not None:
            row["x dask-ml"] = t_rival / row["seconds"]
    print()
    columns = ["contender", "seconds", "rows/s", "x sklearn", "of 2 processes", "x dask-ml"]
    print_table(rows, columns)
    if args.rounds > 1:
        names = (
            "of two processes",
            "x scikit-learn",
            "pure-Python gain",
            "x dask-ml",
            "first call x scikit-learn",
        )
        for i, name in enumerate(names):
            values = [v[i] for v in per_round]
            print(
                f"{'' if i else chr(10)}cluster per round, {name}: "
                f"{', '.join(f'{v:.3f}' for v in values)}; median {statistics.median(values):.3f}"
            )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}; {time.strftime('%Y-%m-%d %H:%M')}")


if __name__ == "__main__":
    main()
