"""Demo step: hyper-parameter searches on the cluster, sharing work and stopping early."""

from __future__ import annotations

import numpy as np

from .._context import DemoContext


def run(ctx: DemoContext) -> None:
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.pipeline import Pipeline

    from ...datasets import make_classification
    from ...decomposition import PCA
    from ...model_selection import GridSearchCV, HyperbandSearchCV
    from ...preprocessing import StandardScaler

    n = max(20_000, min(ctx.n_rows // 30, 100_000))
    X, y = make_classification(n, 30, n_informative=10, random_state=ctx.random_state)
    Xm, ym = ctx.compute(X, y)
    with ctx.step(
        "GridSearchCV: scaler -> PCA (3 settings) -> logistic regression (10 settings), 3 folds",
        f"{n:,} rows; each pipeline step fitted once per fold for each distinct setting of its "
        "own and earlier parameters: 3 scalers, 9 PCAs and 90 classifiers, not 90 of each",
    ):
        pipe = Pipeline(
            [("scale", StandardScaler()), ("pca", PCA()), ("clf", LogisticRegression())]
        )
        grid = {"pca__n_components": [5, 10, 20], "clf__C": np.logspace(-3, 2, 10).tolist()}
        search = GridSearchCV(pipe, grid, cv=3).fit(Xm, ym)
        ctx.say(
            f"   best {search.best_params_} with accuracy {search.best_score_:.4f} "
            f"({len(search.cv_results_['params'])} candidates)"
        )
    with ctx.step(
        "HyperbandSearchCV: 49 SGD classifiers trained block by block, the weak ones stopped",
        "partial_fit on one row block at a time where the block lives; only scores travel",
    ):
        Xb = X.rechunk((max(1, n // 20), -1))
        yb = y.rechunk(Xb.chunks[0])
        params = {
            "alpha": np.logspace(-6, -1, 20).tolist(),
            "penalty": ["l2", "l1", "elasticnet"],
        }
        hyper = HyperbandSearchCV(
            SGDClassifier(random_state=ctx.random_state),
            params,
            max_iter=27,
            random_state=ctx.random_state,
        ).fit(Xb, yb, classes=[0, 1])
        calls = hyper.metadata_["partial_fit_calls"]
        ctx.say(
            f"   best {hyper.best_params_} with validation accuracy {hyper.best_score_:.4f}; "
            f"{hyper.metadata_['n_models']} models, {calls} partial_fit calls "
            f"(training every model to the end: {hyper.metadata_['n_models'] * 27})"
        )
