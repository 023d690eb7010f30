"""Demo step: logistic regression (binary and multinomial) and linear regression on the cluster."""

from __future__ import annotations

from ...datasets import make_classification, make_regression
from ...linear_model import LinearRegression, LogisticRegression
from .._context import DemoContext

N_FEATURES = 20
BLOCK_ROWS = 100_000


def _where(est) -> str:
    return {
        "persisted": "persisted on the workers, read from its source once",
        "streamed": "streamed: larger than half the cluster's memory",
        "in-memory": "in memory",
    }[est.data_policy_]


def run(ctx: DemoContext) -> None:
    n = ctx.n_rows
    n_test = max(10_000, n // 10)
    X, y = make_classification(
        n_samples=n + n_test,
        n_features=N_FEATURES,
        n_informative=10,
        random_state=ctx.random_state,
        chunks=BLOCK_ROWS,
    )
    with ctx.step(
        f"Logistic regression on {n:,} rows x {N_FEATURES} features",
        "Newton's method (solver='auto'): each iteration is one pass over the row blocks that "
        "sums the gradient and the Hessian on the workers; the client solves a 21x21 system",
    ):
        clf = LogisticRegression().fit(X[:n], y[:n])
        accuracy = clf.score(X[n:], y[n:])
        ctx.say(
            f"   solver={clf.solver_}: {clf.n_iter_[0]} iterations, {clf.n_passes_} passes over "
            f"X (data {_where(clf)}); held-out accuracy {accuracy:.4f} on {n_test:,} rows"
        )

    n_multi = max(10_000, n // 2)
    X5, y5 = make_classification(
        n_samples=n_multi + n_test,
        n_features=N_FEATURES,
        n_informative=10,
        n_classes=5,
        random_state=ctx.random_state + 1,
        chunks=BLOCK_ROWS,
    )
    with ctx.step(
        f"Multinomial logistic regression: 5 classes, {n_multi:,} rows",
        "one softmax model (dask-ml only fits binary ones); on large data Newton's 105x105 "
        "Hessian comes from an evenly strided sample of rows, the gradient from every row",
    ):
        multi = LogisticRegression().fit(X5[:n_multi], y5[:n_multi])
        accuracy = multi.score(X5[n_multi:], y5[n_multi:])
        ctx.say(
            f"   solver={multi.solver_}: {multi.n_iter_[0]} iterations, {multi.n_passes_} "
            f"passes over X; held-out accuracy {accuracy:.4f} (chance: 0.2)"
        )

    Xr, yr = make_regression(
        n_samples=n + n_test,
        n_features=N_FEATURES,
        n_informative=10,
        noise=10.0,
        random_state=ctx.random_state,
        chunks=BLOCK_ROWS,
    )
    with ctx.step(
        f"Ridge and lasso regression on {n:,} rows from one pass each",
        "least squares: XᵀX and Xᵀy summed over the blocks in one pass; the penalty (l2, or "
        "l1 by coordinate descent on the 21x21 system) is solved on the client",
    ):
        ridge = LinearRegression(penalty="l2", C=1.0).fit(Xr[:n], yr[:n])
        lasso = LinearRegression(penalty="l1", C=1e-4).fit(Xr[:n], yr[:n])
        r2_ridge = ridge.score(Xr[n:], yr[n:])
        r2_lasso = lasso.score(Xr[n:], yr[n:])
        kept = int((lasso.coef_ != 0).sum())
        ctx.say(
            f"   ridge: {ridge.n_passes_} pass, held-out R² {r2_ridge:.4f}; lasso: "
            f"{lasso.n_passes_} pass, {kept} of {N_FEATURES} coefficients non-zero, "
            f"held-out R² {r2_lasso:.4f}"
        )
