"""Benchmark (issue 16, c): HyperbandSearchCV vs RandomizedSearchCV at equal budget.

One problem: SGDClassifier (alpha, loss, penalty, l1_ratio, average) on
make_classification(240_000, 40, n_informative=12, flip_y=0.05, random_state=0); the last
40,000 rows are a final test set no search sees.

* dasklearn's ``HyperbandSearchCV(max_iter=81, test_size=0.1)`` on the 200,000 search rows as a
  dask array of 20 blocks of 10,000 rows: every block gives 10% of its rows to the validation
  set, so a ``partial_fit`` call reads 9,000 training rows. Its budget is the rows its calls
  read, ``metadata["partial_fit_calls"] * 9,000``; its best model reads ``max_iter`` blocks
  (``81 * 9,000 / 180,000``, about 4 epochs).
* ``RandomizedSearchCV`` with the same budget: SGDClassifier(max_iter=E, tol=None) trains every
  candidate for ``E`` epochs (the epochs of Hyperband's best model, rounded) of 180,000
  training rows (one validation split of 10%), and ``n_iter = budget / (E * 180,000)``
  candidates. dasklearn's (``dasklearn.model_selection._search``) on the same cluster, and
  scikit-learn's with ``n_jobs=2``.

Printed for each: median wall time of ``--repeat`` fits (workers warmed up first), candidates
tried, rows read (the budget; the random searches' refit on all search rows included),
best validation score, and the best model's accuracy on the final test set. Every contender
runs on 2 cores' worth of workers (a LocalCluster of 2 processes x 1 thread, started before the
clock).

Run: ``.venv/bin/python benchmarks/hyperband.py [--quick]``. ``--quick`` shrinks the data
(24,000 rows, 20 features, blocks of 1,000 rows) and uses ``max_iter=27``.
"""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parse_args, print_table, timed  # noqa: E402


def _warm_up() -> None:
    """Import on a worker what the searches run (a cold worker pays seconds for its first task)."""
    import sklearn.linear_model  # noqa: F401

    import dasklearn.model_selection._adaptive_kernels  # noqa: F401
    import dasklearn.model_selection._plan  # noqa: F401
    import dasklearn.model_selection._runner  # noqa: F401


def space():
    import scipy.stats

    return {
        "alpha": scipy.stats.loguniform(1e-6, 1e-1),
        "loss": ["hinge", "log_loss", "modified_huber"],
        "penalty": ["l2", "l1", "elasticnet"],
        "l1_ratio": scipy.stats.uniform(0, 1),
        "average": [True, False],
    }


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    import dask.array as da
    from distributed import Client
    from sklearn.datasets import make_classification
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import RandomizedSearchCV as SkRandomizedSearchCV
    from sklearn.model_selection import ShuffleSplit

    from dasklearn._client import local_cluster
    from dasklearn.model_selection._hyperband import HyperbandSearchCV
    from dasklearn.model_selection._search import RandomizedSearchCV

    if args.quick:
        n_search, n_final, n_features, block, max_iter = 20_000, 4_000, 20, 1_000, 27
    else:
        n_search, n_final, n_features, block, max_iter = 200_000, 40_000, 40, 10_000, 81
    X_all, y_all = make_classification(
        n_search + n_final,
        n_features,
        n_informative=max(4, n_features * 3 // 10),
        flip_y=0.05,
        random_state=0,
    )
    X, y = X_all[:n_search], y_all[:n_search]
    X_final, y_final = X_all[n_search:], y_all[n_search:]

    hyperband = HyperbandSearchCV(
        SGDClassifier(random_state=0), space(), max_iter=max_iter, test_size=0.1, random_state=0
    )
    n_train = n_search - math.ceil(0.1 * n_search)
    rows_per_call = n_train / (n_search // block)  # every block gives 10% to validation
    budget_rows = hyperband.metadata["partial_fit_calls"] * rows_per_call
    epochs = max(1, round(max_iter * rows_per_call / n_train))
    n_iter = max(1, round(budget_rows / (epochs * n_train)))
    rival = SGDClassifier(max_iter=epochs, tol=None, random_state=0)
    split = ShuffleSplit(1, test_size=0.1, random_state=0)
    print(
        f"{n_search:,} search rows x {n_features} features ({n_train:,} for training), "
        f"{n_final:,} final test rows; Hyperband max_iter={max_iter} on blocks of {block:,} "
        f"rows ({rows_per_call:,.0f} for training): "
        f"{hyperband.metadata['n_models']} candidates, "
        f"{hyperband.metadata['partial_fit_calls']} partial_fit calls; random search: "
        f"{n_iter} candidates x {epochs} epochs"
    )

    rows = []
    with (
        local_cluster(2, 1, memory_limit="auto", dashboard=False) as cluster,
        Client(cluster) as client,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")  # SGD's ConvergenceWarning with tol=None
        Xd, yd = da.from_array(X, chunks=(block, -1)), da.from_array(y, chunks=block)
        client.wait_for_workers(2)
        client.run(_warm_up)

        seconds, _ = timed(lambda: hyperband.fit(Xd, yd, classes=[0, 1]), args.repeat)
        rows.append(
            dict(
                contender="dasklearn HyperbandSearchCV (LocalCluster 2x1)",
                seconds=seconds,
                candidates=hyperband.metadata_["n_models"],
                rows_read=round(hyperband.metadata_["partial_fit_calls"] * rows_per_call),
                best_validation=hyperband.best_score_,
                final_test=hyperband.best_estimator_.score(X_final, y_final),
            )
        )

        ours = RandomizedSearchCV(
            rival, space(), n_iter=n_iter, cv=split, refit=True, random_state=0
        )
        seconds, _ = timed(lambda: ours.fit(X, y), args.repeat)
        rows.append(
            dict(
                contender="dasklearn RandomizedSearchCV (LocalCluster 2x1)",
                seconds=seconds,
                candidates=n_iter,
                rows_read=n_iter * epochs * n_train + epochs * n_search,
                best_validation=ours.best_score_,
                final_test=ours.best_estimator_.score(X_final, y_final),
            )
        )

    theirs = SkRandomizedSearchCV(
        rival, space(), n_iter=n_iter, cv=split, refit=True, random_state=0, n_jobs=2
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seconds, _ = timed(lambda: theirs.fit(X, y), args.repeat)
    rows.append(
        dict(
            contender="scikit-learn RandomizedSearchCV (n_jobs=2)",
            seconds=seconds,
            candidates=n_iter,
            rows_read=n_iter * epochs * n_train + epochs * n_search,
            best_validation=theirs.best_score_,
            final_test=theirs.best_estimator_.score(X_final, y_final),
        )
    )

    reference = rows[0]["seconds"]
    for row in rows:
        row["time_vs_hyperband"] = row["seconds"] / reference
    print_table(
        rows,
        [
            "contender",
            "seconds",
            "time_vs_hyperband",
            "candidates",
            "rows_read",
            "best_validation",
            "final_test",
        ],
    )
    print(
        "rows_read of the random searches includes their refit on all search rows; "
        "Hyperband needs none (its best model is trained already)."
    )
    print(
        "Hyperband runs a task per round of each model (its partial_fit calls on blocks of up "
        "to 32 MiB together, where most of them are held) and a score task: with small blocks "
        "the per-task cost of the scheduler, not the arithmetic, sets its time."
    )


if __name__ == "__main__":
    main()
