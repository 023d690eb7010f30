"""Demo step: ``dasklearn fit`` on a table of mixed column types, and the report of its model.

A table with numeric, count, categorical and string columns is written to parquet; the fit
job one-hot encodes the categorical and string columns with dasklearn's encoders, trains
dasklearn's LogisticRegression on 80% of the rows (the split made blockwise), evaluates it on
the other 20% in one pass and writes ``report.html`` with the demo's timings and the cluster.
"""

from __future__ import annotations

from .._context import DemoContext


def run(ctx: DemoContext) -> None:
    if ctx.report is None:
        return
    from ...datasets import make_mixed_df
    from ..fit import FitOptions, fit_job
    from ..progress import Progress

    ctx.report.mkdir(exist_ok=True)
    n = max(20_000, ctx.n_rows // 10)
    table = ctx.workdir / "customers.parquet"
    X, y = make_mixed_df(
        n_samples=n, n_features=5, chunks=max(5_000, n // 8), random_state=ctx.random_state
    )
    with ctx.step(
        "dasklearn fit with --test-size 0.2 --report: the command line's pipeline",
        f"{n:,} rows with numeric, categorical and string columns; one-hot encoding of "
        "'region' and 'plan' learned in one pass, then logistic regression; the report shows "
        "the held-out evaluation and every step's timing",
    ):
        frame = X.drop(columns="signup").assign(churn=y)
        ctx.compute(frame.to_parquet(str(table), compute=False, write_index=False))
        progress = Progress(ctx.client, enabled=ctx.progress)
        progress.timings = list(ctx.timings)
        options = FitOptions(
            estimator="dasklearn.linear_model.LogisticRegression",
            data=str(table),
            target="churn",
            output=ctx.workdir / "churn.skops",
            test_size=0.2,
            random_state=ctx.random_state,
            report=ctx.report,
        )
        fit_job(ctx.client, progress, options)
    ctx.report_written = ctx.report / "report.html"
