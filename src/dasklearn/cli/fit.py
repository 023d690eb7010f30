"""``dasklearn fit``: an estimator trained on columns of a table, saved as a safe model file.

The saved model is a scikit-learn :class:`~sklearn.pipeline.Pipeline`: categorical and string
feature columns are encoded by dasklearn's encoders inside a dasklearn
:class:`~dasklearn.compose.ColumnTransformer` (the numeric columns pass through), then the
estimator. ``predict`` and ``evaluate`` therefore apply the same encoding. A dasklearn estimator
trains on the dask collections block by block; any other (scikit-learn's) trains in memory with
its ``n_jobs`` work sent to the cluster, and is wrapped in
:class:`~dasklearn.wrappers.ParallelPostFit` so that it predicts blockwise.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from .data import Columns, as_float, check_columns, feature_columns, read_table, split_rows
from .errors import CLIError
from .modelfile import save_model
from .progress import Progress

#: a solver's log line, as dasklearn's linear models print it with ``verbose >= 2``
_ITERATION = re.compile(r"^\[(\w+)\] iter (\d+): objective ([-+0-9.eEinfna]+)", re.MULTILINE)


@dataclass
class FitOptions:
    """What ``dasklearn fit`` was asked to do (its command-line options)."""

    estimator: str
    data: str
    target: str | None
    output: Path
    features: list[str] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    test_size: float | None = None
    random_state: int = 0
    encode: str = "onehot"
    max_categories: int = 20
    report: Path | None = None
    file_format: str = "skops"


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """Parse ``NAME=VALUE`` items into a dict; values are Python literals or else text."""
    params: dict[str, Any] = {}
    for item in items or ():
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise CLIError(f"--param takes NAME=VALUE, got {item!r}")
        try:
            params[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            params[name] = text
    return params


def make_estimator(path: str, params: dict[str, Any]) -> Any:
    """An estimator from its import path, e.g. ``sklearn.ensemble.RandomForestClassifier``."""
    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise CLIError(f"give the estimator's full import path, e.g. sklearn.svm.SVC; got {path!r}")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as err:
        raise CLIError(f"cannot import estimator {path!r}: {err}") from None
    try:
        return cls(**params)
    except TypeError as err:
        raise CLIError(f"{class_name}: {err}") from None


def is_dask_aware(estimator: Any) -> bool:
    return type(estimator).__module__.startswith("dasklearn.")


def task_of(estimator: Any) -> str:
    """What the estimator learns: classification, regression, clustering or other."""
    from sklearn.base import is_classifier, is_clusterer, is_regressor

    if is_classifier(estimator):
        return "classification"
    if is_regressor(estimator):
        return "regression"
    return "clustering" if is_clusterer(estimator) else "other"


def build_pipeline(estimator: Any, columns: Columns, encode: str, max_categories: int) -> Any:
    """``Pipeline([("encode", ColumnTransformer), ("model", estimator)])``, or the estimator
    alone in a Pipeline when every feature is numeric."""
    from sklearn.pipeline import Pipeline

    if not columns.categorical:
        return Pipeline([("model", estimator)])
    from ..compose import ColumnTransformer
    from ..preprocessing import OneHotEncoder, OrdinalEncoder

    if encode == "onehot":
        encoder = OneHotEncoder(
            sparse_output=False,
            handle_unknown="infrequent_if_exist",
            max_categories=max_categories,
        )
    else:
        encoder = OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-2
        )
    encoding = ColumnTransformer(
        [(encode, encoder, columns.categorical)],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    return Pipeline([("encode", encoding), ("model", estimator)])


def _records_solver_log(estimator: Any) -> bool:
    params = estimator.get_params(deep=False)
    return is_dask_aware(estimator) and "solver_kwargs" in params and not params.get("verbose")


def _loss_history(estimator: Any, log: str) -> dict[str, Any] | None:
    """The per-iteration loss of an iterative solver, where the estimator makes it known."""
    found = _ITERATION.findall(log)
    if found:
        return {
            "label": "objective",
            "source": f"{found[0][0]} solver, one pass over the data per iteration",
            "values": [[int(i), float(v)] for _, i, v in found],
        }
    curve = getattr(estimator, "loss_curve_", None)
    if curve is not None:
        return {
            "label": "loss",
            "source": "loss_curve_",
            "values": [[i + 1, float(v)] for i, v in enumerate(curve)],
        }
    evals = getattr(estimator, "evals_result", None)
    if callable(evals):
        with contextlib.suppress(Exception):
            for data_name, metrics in evals().items():
                for metric, values in metrics.items():
                    return {
                        "label": metric,
                        "source": f"XGBoost evals_result()['{data_name}']",
                        "values": [[i + 1, float(v)] for i, v in enumerate(values)],
                    }
    return None


def _fit_dask(pipeline: Any, X: Any, y: Any) -> str:
    """Fit on the dask collections; returns what the solver logged (its iterations)."""
    estimator = pipeline.steps[-1][1]
    if not _records_solver_log(estimator):
        pipeline.fit(X, y) if y is not None else pipeline.fit(X)
        return ""
    # verbose=2 makes the solver print each iteration's objective; the log is kept, not shown
    estimator.set_params(verbose=2)
    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log):
            pipeline.fit(X, y) if y is not None else pipeline.fit(X)
    finally:
        estimator.set_params(verbose=0)
    return log.getvalue()


@dataclass
class FitPlan:
    """Everything ``fit`` checked before a cluster starts: the estimator, the lazy table and
    the columns it reads."""

    estimator: Any
    task: str
    features: list[str]
    columns: Columns
    X: Any
    y: Any
    X_test: Any = None
    y_test: Any = None


def plan_fit(opts: FitOptions) -> FitPlan:
    """Check the estimator, the data and its columns (metadata only) and build the lazy split."""
    estimator = make_estimator(opts.estimator, opts.params)
    task = task_of(estimator)
    if opts.target is None and task in ("classification", "regression"):
        raise CLIError(f"{type(estimator).__name__} learns a target: give --target COLUMN")
    table = read_table(opts.data)
    targets = [opts.target] if opts.target else []
    check_columns(table, [*targets, *(opts.features or [])], opts.data)
    features = opts.features or [c for c in table.columns if c not in targets]
    columns = feature_columns(table, features)
    if columns.datetime:
        raise CLIError(
            f"feature column(s) {', '.join(columns.datetime)} hold dates or times, which no "
            "encoding here reads: leave them out with --features, or store them as numbers"
        )
    if columns.categorical and opts.encode == "none":
        raise CLIError(
            f"feature column(s) {', '.join(columns.categorical)} hold text or categories and "
            "--encode none was given: encode them (--encode onehot or ordinal) or leave them "
            "out with --features"
        )
    table = as_float(table, columns.numeric)
    plan = FitPlan(estimator, task, features, columns, None, None)
    if opts.test_size:
        table, test = split_rows(table, opts.test_size, opts.random_state)
        plan.X_test = test[features]
        plan.y_test = test[opts.target] if opts.target else None
    plan.X = table[features]
    plan.y = table[opts.target] if opts.target else None
    return plan


def fit_job(
    client: Any, progress: Progress, opts: FitOptions, plan: FitPlan | None = None
) -> dict[str, Any]:
    """Fit, save, and (with a held-out split or ``--report``) evaluate."""
    from ..parallel import on_cluster
    from ..wrappers import ParallelPostFit
    from .info import describe_cluster

    first_step = len(progress.timings)  # steps before this fit (the demo's) stay out of the fit
    plan = plan or plan_fit(opts)
    estimator, columns, features = plan.estimator, plan.columns, plan.features
    X, y, X_test, y_test = plan.X, plan.y, plan.X_test, plan.y_test
    pipeline = build_pipeline(estimator, columns, opts.encode, opts.max_categories)
    name = type(estimator).__name__
    log = ""
    if is_dask_aware(estimator):
        with progress.step(f"fit {name} on the cluster, block by block"):
            try:
                log = _fit_dask(pipeline, X, y)
            except ValueError as err:
                raise CLIError(f"{name}: {str(err).strip().splitlines()[0]}") from None
        model = pipeline
    else:
        with progress.step(f"load {len(features)} columns into memory"):
            loaded = progress.compute(X, *([y] if y is not None else []))
        with progress.step(f"fit {name} in memory, n_jobs work on the cluster"):
            try:
                with on_cluster(client):
                    pipeline.fit(*loaded)
            except ValueError as err:
                raise CLIError(f"{name}: {str(err).strip().splitlines()[0]}") from None
        if "n_jobs" in estimator.get_params():
            # prediction runs one task per block on the workers: no threads inside a task
            estimator.set_params(n_jobs=None)
        model = ParallelPostFit(pipeline)  # pre-fitted: it predicts with the pipeline as it is
    bundle = {
        "dasklearn_version": __version__,
        "estimator": opts.estimator,
        "model": model,
        "features": list(features),
        "columns": {"numeric": columns.numeric, "categorical": columns.categorical},
        "encoding": (
            f"{opts.encode} ({', '.join(columns.categorical)})" if columns.categorical else None
        ),
        "target": opts.target,
        "task": plan.task,
        "fit": {
            "data": opts.data,
            "params": {k: repr(v) for k, v in opts.params.items()},
            "test_size": opts.test_size,
            "random_state": opts.random_state,
            "timings": [list(t) for t in progress.timings[first_step:]],
            "loss_history": _loss_history(estimator, log),
            "cluster": describe_cluster(client),
        },
    }
    with progress.step(f"save {opts.output}"):
        save_model(opts.output, bundle, opts.file_format)
    saved = len(progress.timings)
    if X_test is not None or opts.report is not None:
        from .evaluate import evaluate_frames, print_metrics

        held_out = X_test is not None
        result = evaluate_frames(
            bundle, X_test if held_out else X, y_test if held_out else y, progress
        )
        split = (
            f"held-out {opts.test_size:g} of the rows, random_state={opts.random_state}"
            if held_out
            else "the training rows"
        )
        result["data"] = {"path": opts.data, "target": opts.target, "split": split}
        print_metrics(progress, result)
        if opts.report is not None:
            from .report import write_report

            timings = progress.timings[:first_step] + progress.timings[saved:]
            write_report(opts.report, result, bundle, timings, client)
            progress.say(f"report: {opts.report / 'report.html'}")
    return bundle
