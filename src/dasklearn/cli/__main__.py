"""Entry point of the ``dasklearn`` command."""

from __future__ import annotations

import argparse
import sys

from .. import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dasklearn", description="Scalable machine learning with the scikit-learn API on Dask."
    )
    parser.add_argument("--version", action="version", version=f"dasklearn {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run the end-to-end demo on a Dask cluster")
    demo.add_argument("--rows", type=int, default=3_000_000, help="rows of the main table")
    demo.add_argument(
        "--scheduler",
        default=None,
        help="address of an existing scheduler (default: start a local one)",
    )
    demo.add_argument("--workers", type=int, default=2, help="workers of the local cluster")
    demo.add_argument("--threads-per-worker", type=int, default=1)
    demo.add_argument("--memory-limit", default="auto", help="per worker, e.g. 4GiB")
    demo.add_argument("--steps", nargs="+", default=None, help="run only these steps")
    demo.add_argument("--workdir", default=None, help="folder for the demo's temporary files")
    demo.add_argument("--no-progress", action="store_true", help="no progress bars")
    demo.add_argument("--random-state", type=int, default=0)

    fit = commands.add_parser("fit", help="fit an estimator on a parquet/CSV table and save it")
    fit.add_argument(
        "estimator", help="import path, e.g. dasklearn.linear_model.LogisticRegression"
    )
    fit.add_argument("data", help="parquet dataset or file, or CSV file(s)")
    fit.add_argument("--target", required=True, help="the column to predict")
    fit.add_argument("--features", nargs="+", default=None, help="default: every other column")
    fit.add_argument("--param", action="append", default=[], help="NAME=VALUE, repeatable")
    fit.add_argument("--output", required=True, help="where to save the fitted model (joblib)")
    _cluster_options(fit)

    predict = commands.add_parser(
        "predict",
        help="batch-predict a table with a saved model",
        description="MODEL is unpickled: only load model files you wrote or trust.",
    )
    predict.add_argument("model", help="a file written by 'dasklearn fit'")
    predict.add_argument("data", help="parquet dataset or file, or CSV file(s)")
    predict.add_argument("--output", required=True, help="parquet dataset to write")
    predict.add_argument(
        "--method",
        default="predict",
        choices=["predict", "predict_proba", "predict_log_proba", "decision_function", "transform"],
    )
    predict.add_argument("--keep", nargs="+", default=None, help="input columns to copy through")
    _cluster_options(predict)
    return parser


def _cluster_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scheduler", default=None, help="existing scheduler (default: local)")
    parser.add_argument("--workers", type=int, default=2, help="workers of the local cluster")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from .demo import run_demo

        run_demo(
            n_rows=args.rows,
            scheduler=args.scheduler,
            n_workers=args.workers,
            threads_per_worker=args.threads_per_worker,
            memory_limit=args.memory_limit,
            steps=args.steps,
            workdir=args.workdir,
            progress=not args.no_progress,
            random_state=args.random_state,
        )
        return 0

    from .._client import connect
    from . import jobs

    with connect(args.scheduler, n_workers=args.workers) as client:
        print(f"dashboard: {client.dashboard_link}", flush=True)
        if args.command == "fit":
            jobs.fit_job(
                client,
                args.estimator,
                args.data,
                args.target,
                args.features,
                args.output,
                jobs.parse_params(args.param),
                show_progress=not args.no_progress,
            )
        else:
            jobs.predict_job(
                client,
                args.model,
                args.data,
                args.output,
                method=args.method,
                keep=args.keep,
                show_progress=not args.no_progress,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
