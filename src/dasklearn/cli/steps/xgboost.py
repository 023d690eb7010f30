"""Demo step: XGBoost trained on every worker at once, each on the partitions it holds."""

from __future__ import annotations

from ...datasets import make_classification
from .._context import DemoContext

N_FEATURES = 20
BLOCK_ROWS = 100_000


def run(ctx: DemoContext) -> None:
    try:
        from ... import xgboost as dxgb
    except ImportError as err:
        ctx.say(f"\n== XGBoost: skipped ({err})")
        return

    n = ctx.n_rows
    n_test = max(10_000, n // 10)
    X, y = make_classification(
        n_samples=n + n_test,
        n_features=N_FEATURES,
        n_informative=10,
        random_state=ctx.random_state,
        chunks=BLOCK_ROWS,
    )
    X_train, y_train = X[:n], y[:n]
    # the held-out rows in smaller blocks, so that every worker holds some of them
    X_test, y_test = X[n:].rechunk((BLOCK_ROWS // 4, N_FEATURES)), y[n:].rechunk(BLOCK_ROWS // 4)
    n_workers = len(ctx.client.scheduler_info(n_workers=-1)["workers"])
    with ctx.step(
        f"XGBoost on {n:,} rows x {N_FEATURES} features, on {n_workers} workers at once",
        "dasklearn.xgboost.XGBClassifier over XGBoost's own Dask module: the data is generated "
        "and persisted on the workers, each builds its histograms from its own partitions and "
        "XGBoost all-reduces them; early stopping on a held-out set",
    ):
        model = dxgb.XGBClassifier(
            n_estimators=60,
            max_depth=6,
            learning_rate=0.3,
            early_stopping_rounds=5,
            eval_metric="logloss",
        )
        model.client = ctx.client
        model.fit(X_train, y_train, eval_set=[(X_test, y_test)])
        pred = model.predict(X_test)  # lazy, with X_test's row chunks
        (accuracy,) = ctx.compute((pred == y_test).mean())
        history = model.evals_result()["validation_0"]["logloss"]
        kept = model.best_iteration + 1
        stopped = "stopped early" if kept < model.n_estimators else "no early stop"
        ctx.say(
            f"   {kept} trees ({stopped}), held-out log-loss {history[model.best_iteration]:.4f}, "
            f"accuracy {accuracy:.4f} on {n_test:,} rows; predictions are a dask array with "
            f"X_test's {pred.numblocks[0]} row blocks"
        )
