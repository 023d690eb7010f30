"""The report as one HTML page: figures embedded as PNG data URIs, inline styles, no script.

The page's background is grey and every figure sits on white at exactly
:data:`~.plots.WIDTH` x :data:`~.plots.HEIGHT` CSS pixels, so a screenshot shows each plot as
a white rectangle of that size.
"""

from __future__ import annotations

import base64
import html
from typing import Any

from . import plots

_STYLE = """
body { background: #e9ecf1; color: #1d232b; margin: 0; padding: 24px 32px;
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 10px; }
.sub { color: #566171; margin-bottom: 18px; }
.metrics { display: flex; flex-wrap: wrap; gap: 12px; }
.metric { background: #d7dde6; border-radius: 6px; padding: 10px 16px; min-width: 110px; }
.metric b { display: block; font-size: 20px; }
.metric span { color: #4a5563; font-size: 12px; }
.plots { display: flex; flex-wrap: wrap; gap: 20px; }
.plot { background: #d7dde6; border-radius: 6px; padding: 10px; }
.plot img { display: block; }
.plot p { margin: 6px 2px 0; color: #4a5563; font-size: 12px; max-width: 560px; }
table { border-collapse: collapse; background: #d7dde6; border-radius: 6px; }
td, th { padding: 4px 12px; text-align: left; border-bottom: 1px solid #c5ccd6; }
th { font-weight: 600; }
code { font-size: 12px; }
"""

_NAMES = {
    "accuracy": "accuracy",
    "log_loss": "log loss",
    "roc_auc": "ROC AUC",
    "roc_auc_ovr_macro": "ROC AUC (one-vs-rest, macro)",
    "average_precision": "average precision",
    "average_precision_macro": "average precision (macro)",
    "precision_macro": "precision (macro)",
    "recall_macro": "recall (macro)",
    "f1_macro": "F1 (macro)",
    "r2": "R²",
    "mean_squared_error": "mean squared error",
    "root_mean_squared_error": "RMSE",
    "mean_absolute_error": "mean absolute error",
    "inertia": "inertia",
    "n_clusters": "clusters",
}


def _e(value: Any) -> str:
    return html.escape(str(value))


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return "—" if value is None else str(value)


def _img(png: bytes, alt: str, caption: str = "") -> str:
    data = base64.b64encode(png).decode("ascii")
    note = f"<p>{_e(caption)}</p>" if caption else ""
    return (
        f'<div class="plot"><img alt="{_e(alt)}" width="{plots.WIDTH}" height="{plots.HEIGHT}" '
        f'src="data:image/png;base64,{data}">{note}</div>'
    )


def _figures(report: dict[str, Any], result: dict[str, Any]) -> list[str]:
    out = []
    task, rows = result["task"], result["rows"]
    if task == "classification":
        confusion = plots.confusion_matrix(result["confusion"], result["classes"])
        out.append(_img(confusion, "confusion"))
        if "curves" in result:
            how = (
                "decision function through the logistic"
                if result.get("scores_from") == "decision_function"
                else "predicted probability"
            )
            note = (
                f"From histograms of the {how} per class: thresholds every "
                f"1/{result['resolution']['thresholds']:,}, all {rows:,} rows, one pass."
            )
            out.append(_img(plots.roc_curves(result["curves"]), "roc", note))
            out.append(_img(plots.pr_curves(result["curves"]), "precision-recall", note))
    elif task == "regression":
        sample = result["sample"]
        note = f"A uniform sample of {len(sample['y']):,} rows (the metrics use all {rows:,})."
        out.append(_img(plots.predicted_vs_actual(sample["y"], sample["pred"], rows), "pva", note))
        out.append(_img(plots.residuals(sample["y"], sample["pred"]), "residuals", note))
    elif task == "clustering":
        sizes = result["cluster_sizes"]
        out.append(_img(plots.cluster_sizes(sizes), "cluster sizes"))
        out.append(
            _img(
                plots.centers_2d(result["centers_2d"], sizes, result["centers_2d_variance"]),
                "centres",
            )
        )
    history = (report.get("fit") or {}).get("loss_history")
    if history and history.get("values"):
        out.append(
            _img(
                plots.loss_history(history["values"], history.get("label", "loss")),
                "loss",
                history.get("source", ""),
            )
        )
    steps = [(n, s) for n, s in (report.get("fit") or {}).get("timings") or []]
    steps += [(n, s) for n, s in report.get("timings") or []]
    if steps:
        out.append(_img(plots.timings(steps), "timings"))
    return out


def _table(rows: list[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(_number(v))}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _cluster_rows(cluster: dict[str, Any] | None) -> list[tuple[str, Any]]:
    if not cluster:
        return []
    memory = cluster.get("memory_bytes") or 0
    return [
        ("scheduler", cluster.get("scheduler")),
        ("workers", cluster.get("workers")),
        ("threads", cluster.get("threads")),
        ("memory", f"{memory / 2**30:.1f} GiB"),
        ("hosts", ", ".join(cluster.get("hosts") or [])),
    ]


def render(report: dict[str, Any], result: dict[str, Any]) -> str:
    """The HTML page of a report."""
    model, data = report["model"], report["data"]
    metrics = "".join(
        f'<div class="metric"><b>{_e(_number(v))}</b><span>{_e(_NAMES.get(k, k))}</span></div>'
        for k, v in report["metrics"].items()
    )
    per_class = ""
    if result["task"] == "classification":
        pc = result["per_class"]
        head = "<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>rows</th></tr>"
        body = "".join(
            f"<tr><td>{_e(c)}</td><td>{pc['precision'][i]:.3f}</td><td>{pc['recall'][i]:.3f}"
            f"</td><td>{pc['f1'][i]:.3f}</td><td>{int(pc['support'][i]):,}</td></tr>"
            for i, c in enumerate(result["classes"][:50])
        )
        per_class = f"<h2>Per class</h2><table>{head}{body}</table>"
    params = model.get("params") or {}
    model_rows = [
        ("estimator", model.get("estimator")),
        ("task", model.get("task")),
        ("target", model.get("target")),
        ("features", ", ".join(map(str, model.get("features") or []))),
        ("encoding", model.get("encoding") or "none"),
        *((f"param {k}", v) for k, v in params.items()),
    ]
    timing_rows = [(n, f"{s:.2f} s") for n, s in report["fit"].get("timings") or []]
    timing_rows += [(n, f"{s:.2f} s") for n, s in report["timings"]]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{_e(report["title"])}</title>
<style>{_STYLE}</style></head>
<body>
<h1>{_e(report["title"])}</h1>
<div class="sub">{_e(f"{report['rows']:,}")} rows of <code>{_e(data["path"])}</code>
({_e(data.get("split", ""))}) · dasklearn {_e(report["dasklearn_version"])} ·
{_e(report["created"])}</div>
<div class="metrics">{metrics}</div>
<h2>Plots</h2>
<div class="plots">{"".join(_figures(report, result))}</div>
{per_class}
<h2>Model</h2>{_table(model_rows)}
<h2>Timings</h2>{_table(timing_rows)}
<h2>Cluster</h2>{_table(_cluster_rows(report["cluster"]))}
</body></html>
"""
