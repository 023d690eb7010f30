"""Demo step: scikit-learn models on the cluster (ParallelPostFit and joblib's dask backend)."""

from __future__ import annotations

import re
import warnings
from collections import Counter

import dask
from distributed import get_task_stream
from sklearn.ensemble import RandomForestClassifier
from sklearn.svm import SVC

from ...datasets import make_classification
from ...parallel import on_cluster
from ...wrappers import ParallelPostFit
from .._context import DemoContext

N_FEATURES = 20
N_SVC_TRAIN = 2_000
N_FOREST_TRAIN = 10_000
N_FOREST_TEST = 20_000
BLOCK_ROWS = 25_000
_TREE_BATCH = re.compile(r"(?:mixed_)?batch_of__parallel_build_trees_(\d+)_calls-")


def run(ctx: DemoContext) -> None:
    n_score = max(100_000, ctx.n_rows // 10)
    X, y = make_classification(
        n_samples=n_score,
        n_features=N_FEATURES,
        n_informative=5,
        random_state=ctx.random_state,
        chunks=BLOCK_ROWS,
    )
    with ctx.step(
        f"ParallelPostFit: an SVC fitted on {N_SVC_TRAIN:,} rows scores {n_score:,} rows",
        "SVC(probability=True) fitted in memory on a sample; predict_proba runs block by block "
        "on the workers (the fitted model shipped to them once), summarised in the same pass",
    ):
        X_fit, y_fit = dask.compute(X[:N_SVC_TRAIN], y[:N_SVC_TRAIN])
        with warnings.catch_warnings():  # scikit-learn 1.9 deprecates probability=True
            warnings.simplefilter("ignore", FutureWarning)
            svc = ParallelPostFit(SVC(probability=True, random_state=0)).fit(X_fit, y_fit)
        proba = svc.predict_proba(X)  # lazy: (n_score, 2) in X's row blocks
        accuracy, confident = ctx.compute(
            (proba.argmax(axis=1) == y).mean(), (abs(proba[:, 1] - 0.5) > 0.4).mean()
        )
        ctx.say(
            f"   {int(svc.n_support_.sum()):,} support vectors; accuracy {accuracy:.3f}; "
            f"{confident:.0%} of rows scored with probability above 0.9"
        )

    with ctx.step(
        "scikit-learn on the cluster: a 200-tree random forest",
        f"RandomForestClassifier(n_estimators=200, n_jobs=-1) on {N_FOREST_TRAIN:,} rows inside "
        "dasklearn.parallel.on_cluster: joblib's dask backend builds the trees on the workers; "
        "then ParallelPostFit scores held-out rows blockwise",
    ):
        stop = N_SVC_TRAIN + N_FOREST_TRAIN
        X_train, y_train = dask.compute(X[N_SVC_TRAIN:stop], y[N_SVC_TRAIN:stop])
        with get_task_stream(ctx.client) as stream, on_cluster(ctx.client, scatter=[X_train]):
            forest = RandomForestClassifier(
                n_estimators=200, n_jobs=-1, random_state=ctx.random_state
            ).fit(X_train, y_train)
        trees = Counter()
        for task in stream.data:
            match = _TREE_BATCH.match(str(task["key"]))
            if match:
                trees[task["worker"]] += int(match.group(1))
        forest.set_params(n_jobs=1)  # predict inside the workers: one thread each
        held_out = slice(stop, stop + N_FOREST_TEST)
        score = ParallelPostFit(forest).score(X[held_out], y[held_out])
        built = ", ".join(f"{n} on {worker}" for worker, n in sorted(trees.items()))
        ctx.say(f"   trees built: {built}")
        ctx.say(f"   held-out accuracy on {N_FOREST_TEST:,} rows: {score:.3f}")
