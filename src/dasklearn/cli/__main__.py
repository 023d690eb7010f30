"""Entry point of the ``dasklearn`` command: ``demo``, ``fit``, ``predict``, ``evaluate``, ``info``.

Bad input (a missing file or column, an untrusted or corrupt model file, a scheduler that
cannot be reached, an output folder that does not exist) ends the command with one line
``dasklearn CMD: error: ...`` on stderr and exit status 1; ``--traceback`` shows the full
traceback of an error instead. Usage errors exit with 2 (argparse), Ctrl-C with 130.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from .. import __version__
from .errors import CLIError

_DATA_HELP = "parquet dataset, file or glob, or CSV file(s) (*.csv, *.csv.gz)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dasklearn", description="Scalable machine learning with the scikit-learn API on Dask."
    )
    parser.add_argument("--version", action="version", version=f"dasklearn {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run the end-to-end demo on a Dask cluster")
    demo.add_argument("--rows", type=int, default=3_000_000, help="rows of the main table")
    demo.add_argument("--threads-per-worker", type=int, default=1)
    demo.add_argument("--memory-limit", default="auto", help="per worker, e.g. 4GiB")
    demo.add_argument("--steps", nargs="+", default=None, help="run only these steps")
    demo.add_argument("--workdir", default=None, help="folder for the demo's temporary files")
    demo.add_argument("--random-state", type=int, default=0)
    demo.add_argument(
        "--report",
        default="dasklearn-demo-report",
        help="folder for the demo's report (default: ./dasklearn-demo-report)",
    )
    _cluster_options(demo)

    fit = commands.add_parser(
        "fit",
        help="fit an estimator on a parquet/CSV table and save it",
        description="Fit an estimator on columns of a table and save it as a .skops file. "
        "Text and categorical feature columns are encoded by dasklearn's encoders, recorded "
        "in the saved pipeline.",
    )
    fit.add_argument(
        "estimator", help="import path, e.g. dasklearn.linear_model.LogisticRegression"
    )
    fit.add_argument("data", help=_DATA_HELP)
    fit.add_argument("--target", default=None, help="the column to predict (not for clustering)")
    fit.add_argument("--features", nargs="+", default=None, help="default: every other column")
    fit.add_argument("--param", action="append", default=[], help="NAME=VALUE, repeatable")
    fit.add_argument("--output", required=True, help="the model file to write (.skops)")
    fit.add_argument(
        "--test-size",
        type=float,
        default=None,
        help="hold out this fraction of the rows (split blockwise) and evaluate on it",
    )
    fit.add_argument("--random-state", type=int, default=0, help="seed of the held-out split")
    fit.add_argument(
        "--encode",
        choices=["onehot", "ordinal", "none"],
        default="onehot",
        help="encoding of text/categorical features (none: refuse them)",
    )
    fit.add_argument(
        "--max-categories",
        type=int,
        default=20,
        help="one-hot columns per feature at most; rarer categories share one",
    )
    fit.add_argument("--report", default=None, help="write an evaluation report to this folder")
    fit.add_argument(
        "--format",
        choices=["skops", "joblib"],
        default="skops",
        dest="file_format",
        help="skops (safe, default) or joblib (a pickle: loading it needs --trust-pickle)",
    )
    _cluster_options(fit)

    predict = commands.add_parser("predict", help="batch-predict a table with a saved model")
    predict.add_argument("model", help="a file written by 'dasklearn fit'")
    predict.add_argument("data", help=_DATA_HELP)
    predict.add_argument("--output", required=True, help="parquet dataset to write")
    predict.add_argument(
        "--method",
        default="predict",
        choices=["predict", "predict_proba", "predict_log_proba", "decision_function", "transform"],
    )
    predict.add_argument("--keep", nargs="+", default=None, help="input columns to copy through")
    _trust_option(predict)
    _cluster_options(predict)

    evaluate = commands.add_parser(
        "evaluate",
        help="metrics and an HTML report of a saved model on a labelled table",
        description="Metrics computed blockwise in one pass; --report writes report.json and "
        "a self-contained report.html.",
    )
    evaluate.add_argument("model", help="a file written by 'dasklearn fit'")
    evaluate.add_argument("data", help=_DATA_HELP)
    evaluate.add_argument("--target", default=None, help="default: the column the model learned")
    evaluate.add_argument("--report", default=None, help="folder for report.json and report.html")
    _trust_option(evaluate)
    _cluster_options(evaluate)

    info = commands.add_parser("info", help="versions, optional frameworks, and the cluster in use")
    info.add_argument("--scheduler", default=None, help="describe this cluster")
    info.add_argument("--workers", type=int, default=2, help="workers of the local cluster")
    info.add_argument("--connect-timeout", type=float, default=10.0, metavar="SECONDS")
    info.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)
    return parser


def _trust_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust-pickle",
        action="store_true",
        help="also load joblib/pickle model files (they can run any code: only files you trust)",
    )


def _cluster_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scheduler", default=None, help="existing scheduler (default: local)")
    parser.add_argument("--workers", type=int, default=2, help="workers of the local cluster")
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="give up reaching --scheduler after this long (default 10)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--traceback", action="store_true", help="show the traceback of an error")


@contextlib.contextmanager
def _client(args: argparse.Namespace, **local: Any) -> Iterator[Any]:
    from .._client import connect

    if args.scheduler:
        try:
            client = connect(args.scheduler, timeout=f"{args.connect_timeout}s")
        except (OSError, TimeoutError, ValueError) as err:
            detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise CLIError(f"cannot reach the scheduler at {args.scheduler}: {detail}") from None
    else:
        client = connect(None, n_workers=args.workers, **local)
    with client:
        yield client


def _run(args: argparse.Namespace) -> None:
    from .outputs import output_path, report_dir

    if args.command == "info":
        from .info import describe_cluster, describe_local, format_info, versions

        if args.scheduler:
            with _client(args) as client:
                cluster = describe_cluster(client)
        else:
            cluster = describe_local(args.workers)
        print(format_info(versions(), cluster))
        return
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
            report=report_dir(args.report, create=False) if args.report else None,
            connect_timeout=args.connect_timeout,
        )
        return

    from .progress import Progress

    # every path is checked before a cluster starts
    if args.command == "fit":
        from .fit import FitOptions, fit_job, parse_params, plan_fit

        opts = FitOptions(
            estimator=args.estimator,
            data=args.data,
            target=args.target,
            output=output_path(args.output, "model file"),
            features=args.features,
            params=parse_params(args.param),
            test_size=args.test_size,
            random_state=args.random_state,
            encode=args.encode,
            max_categories=args.max_categories,
            report=report_dir(args.report) if args.report else None,
            file_format=args.file_format,
        )
        if opts.test_size is not None and not 0 < opts.test_size < 1:
            raise CLIError(f"--test-size takes a fraction between 0 and 1, got {opts.test_size}")
        plan = plan_fit(opts)
        with _client(args) as client:
            fit_job(client, Progress(client, not args.no_progress), opts, plan)
    elif args.command == "predict":
        from .predict import plan_predict, predict_job

        output = output_path(args.output, "output")
        plan = plan_predict(args.model, args.data, args.method, args.keep, args.trust_pickle)
        with _client(args) as client:
            predict_job(client, Progress(client, not args.no_progress), plan, output)
    elif args.command == "evaluate":
        from .evaluate import evaluate_job, plan_evaluate

        report = report_dir(args.report) if args.report else None
        plan = plan_evaluate(args.model, args.data, args.target, args.trust_pickle)
        with _client(args) as client:
            evaluate_job(client, Progress(client, not args.no_progress), plan, report)


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    if isinstance(err, CLIError):
        return text
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status (0 ok, 1 error, 2 usage, 130 interrupted)."""
    args = _parser().parse_args(argv)
    try:
        _run(args)
    except KeyboardInterrupt:
        print(f"dasklearn {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if getattr(args, "traceback", False) or os.environ.get("DASKLEARN_TRACEBACK"):
            raise
        print(f"dasklearn {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
