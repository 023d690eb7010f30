"""``dasklearn evaluate``: a saved model's metrics on a labelled table, in one pass.

The predictions, the metrics of :mod:`dasklearn.metrics` and the statistics behind the plots
(confusion counts and per-class score histograms for classifiers, a uniform row sample for
regressors, cluster sizes and inertia for k-means) are built as one dask graph and computed
together: each row block is read and predicted once, on the worker that holds it, and only
small partial results travel. The kernels are in :mod:`.scores`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dask.array as da
import dask.dataframe as dd
import numpy as np

from .._blockwise import reduction
from .._chunks import frames_to_arrays
from .data import as_float, check_columns, read_table
from .errors import CLIError
from .modelfile import load_model
from .progress import Progress
from .scores import (
    N_BINS,
    SAMPLE_ROWS,
    classification_block,
    clusters_block,
    curves,
    merge_sample,
    per_class_scores,
    project_2d,
    sample_block,
)


def unwrap(model: Any) -> tuple[Any, Any]:
    """(the preprocessing steps as a Pipeline or None, the final estimator) of a saved model."""
    inner = model
    for name in ("estimator_", "estimator"):  # ParallelPostFit: the fitted clone first
        if getattr(inner, name, None) is not None:
            inner = getattr(inner, name)
            break
    if hasattr(inner, "steps"):
        final = inner.steps[-1][1]
        prep = inner[:-1] if len(inner.steps) > 1 else None
        return prep, final
    return None, inner


def _array(collection: Any) -> da.Array:
    if isinstance(collection, dd.DataFrame | dd.Series):
        return frames_to_arrays(collection)[0]
    return collection


def _score_method(final: Any) -> str | None:
    """The per-class scores the final estimator gives (a wrapper has every method)."""
    for method in ("predict_proba", "decision_function"):
        if hasattr(final, method):
            return method
    return None


def _classification(model: Any, final: Any, X: Any, y: Any, seed: int) -> tuple[dict, Any]:
    from ..metrics import accuracy_score, log_loss

    classes = np.asarray(final.classes_)
    method = _score_method(final)
    pred = model.predict(X)
    parts = [y, pred] + ([getattr(model, method)(X)] if method else [])
    arrays = frames_to_arrays(*parts)
    y_a, pred_a = arrays[:2]
    scores_a = arrays[2] if method else None
    lazy = {
        "accuracy": accuracy_score(y_a, pred_a, compute=False),
        "stats": reduction(
            classification_block,
            y_a,
            pred_a,
            scores_a,
            args=(classes, method or ""),
            name="evaluate-classification",
        ),
    }
    if method == "predict_proba":
        lazy["log_loss"] = log_loss(y_a, scores_a, labels=classes, compute=False)

    def finish(values: dict[str, Any]) -> dict[str, Any]:
        stats = values["stats"]
        confusion = stats["confusion"]
        scores = per_class_scores(confusion)
        k = len(classes)
        metrics = {"accuracy": float(values["accuracy"])}
        if "log_loss" in values:
            metrics["log_loss"] = float(values["log_loss"])
        metrics["precision_macro"] = float(scores["precision"].mean())
        metrics["recall_macro"] = float(scores["recall"].mean())
        metrics["f1_macro"] = float(scores["f1"].mean())
        result: dict[str, Any] = {
            "rows": int(confusion.sum()),
            "classes": classes.tolist(),
            "confusion": confusion[:k, :k].tolist(),
            "unseen_labels": int(confusion[k].sum()),
            "per_class": {name: v.tolist() for name, v in scores.items()},
            "metrics": metrics,
        }
        if "hist" in stats:
            shown = [1] if k == 2 else list(range(k))  # binary: the positive class
            result["curves"] = {
                str(classes[c]): {
                    key: (v.tolist() if isinstance(v, np.ndarray) else v)
                    for key, v in curves(stats["hist"][c]).items()
                }
                for c in shown
            }
            aucs = [c["auc"] for c in result["curves"].values()]
            aps = [c["average_precision"] for c in result["curves"].values()]
            metrics["roc_auc" if k == 2 else "roc_auc_ovr_macro"] = float(np.nanmean(aucs))
            metrics["average_precision" if k == 2 else "average_precision_macro"] = float(
                np.nanmean(aps)
            )
            result["scores_from"] = method
        return result

    return lazy, finish


def _regression(model: Any, X: Any, y: Any, seed: int) -> tuple[dict, Any]:
    from ..metrics import mean_absolute_error, mean_squared_error, r2_score

    y_a, pred_a = frames_to_arrays(y, model.predict(X))
    lazy = {
        "r2": r2_score(y_a, pred_a, compute=False),
        "mse": mean_squared_error(y_a, pred_a, compute=False),
        "mae": mean_absolute_error(y_a, pred_a, compute=False),
        "sample": reduction(
            sample_block,
            y_a,
            pred_a,
            args=(seed,),
            block_args=[(i,) for i in range(y_a.numblocks[0])],
            combine=merge_sample,
            name="evaluate-sample",
        ),
    }

    def finish(values: dict[str, Any]) -> dict[str, Any]:
        _, y_s, pred_s, n = values["sample"]
        mse = float(values["mse"])
        return {
            "rows": int(n),
            "metrics": {
                "r2": float(values["r2"]),
                "mean_squared_error": mse,
                "root_mean_squared_error": float(np.sqrt(mse)),
                "mean_absolute_error": float(values["mae"]),
            },
            "sample": {"y": y_s.tolist(), "pred": pred_s.tolist()},
        }

    return lazy, finish


def _clustering(prep: Any, final: Any, X: Any) -> tuple[dict, Any]:
    centers = np.asarray(final.cluster_centers_)
    Z = prep.transform(X) if prep is not None else X
    distances = _array(final.transform(Z))
    lazy = {"stats": reduction(clusters_block, distances, args=(len(centers),), name="clusters")}

    def finish(values: dict[str, Any]) -> dict[str, Any]:
        stats = values["stats"]
        coords, share = project_2d(centers)
        return {
            "rows": int(stats["sizes"].sum()),
            "metrics": {"inertia": float(stats["inertia"]), "n_clusters": len(centers)},
            "cluster_sizes": stats["sizes"].tolist(),
            "centers_2d": coords.tolist(),
            "centers_2d_variance": share.tolist(),
        }

    return lazy, finish


def evaluate_frames(
    bundle: dict[str, Any], X: Any, y: Any, progress: Progress, seed: int = 0
) -> dict[str, Any]:
    """Metrics and plot statistics of ``bundle``'s model on dask frames X (and y), one pass."""
    model, task = bundle["model"], bundle["task"]
    prep, final = unwrap(model)
    if task == "classification":
        lazy, finish = _classification(model, final, X, y, seed)
    elif task == "regression":
        lazy, finish = _regression(model, X, y, seed)
    elif task == "clustering":
        lazy, finish = _clustering(prep, final, X)
    else:
        raise CLIError(f"evaluate reads classifiers, regressors and k-means, not {task} models")
    with progress.step("predict and score in one pass"):
        try:
            values = dict(zip(lazy, progress.compute(*lazy.values()), strict=True))
        except ValueError as err:  # a bad value met in a block (NaN, an unknown category)
            raise CLIError(str(err).strip().splitlines()[0]) from None
    result = finish(values)
    result["task"] = task
    result["resolution"] = {
        "thresholds": N_BINS if "curves" in result else None,
        "sample_rows": SAMPLE_ROWS if "sample" in result else None,
    }
    return result


def plan_evaluate(
    model_path: str, data: str, target: str | None, trust_pickle: bool = False
) -> dict[str, Any]:
    """Load the model file and check the table's columns (before a cluster starts)."""
    bundle = load_model(model_path, trust_pickle=trust_pickle)
    target = target or bundle.get("target")
    clustering = bundle["task"] == "clustering"
    if not clustering and not target:
        raise CLIError("evaluate needs --target: the column of true values")
    table = read_table(data)
    features = bundle["features"]
    check_columns(table, [*features, *([target] if target and not clustering else [])], data)
    table = as_float(table, bundle.get("columns", {}).get("numeric", []))
    return {
        "bundle": bundle,
        "X": table[features],
        "y": None if clustering else table[target],
        "data": {"path": str(data), "target": None if clustering else target, "split": "all rows"},
    }


def evaluate_job(
    client: Any, progress: Progress, plan: dict[str, Any], report: Path | None
) -> dict[str, Any]:
    """Evaluate a loaded model on a table (see :func:`plan_evaluate`), print the metrics and
    write the report (``report.json``, ``report.html``) to ``report`` when given."""
    bundle = plan["bundle"]
    result = evaluate_frames(bundle, plan["X"], plan["y"], progress)
    result["data"] = plan["data"]
    print_metrics(progress, result)
    if report is not None:
        from .report import write_report

        write_report(report, result, bundle, progress.timings, client)
        progress.say(f"report: {report / 'report.html'}")
    return result


def print_metrics(progress: Progress, result: dict[str, Any]) -> None:
    rows = result["rows"]
    text = ", ".join(
        f"{name} {value:.4g}" if isinstance(value, float) else f"{name} {value}"
        for name, value in result["metrics"].items()
    )
    progress.say(f"{rows:,} rows: {text}")
