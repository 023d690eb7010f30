"""The evaluation report: ``report.json`` (the numbers) and ``report.html`` (a self-contained
page of plots: images embedded as data URIs, styles inline, no script and no network)."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from ..errors import need
from ..outputs import write_text

__all__ = ["write_report"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):  # NumPy scalars
        return _jsonable(value.item())
    return value


def write_report(
    folder: Path,
    result: dict[str, Any],
    bundle: dict[str, Any],
    timings: list[tuple[str, float]],
    client: Any,
    title: str | None = None,
) -> dict[str, Any]:
    """Write ``report.json`` and ``report.html`` for an evaluation into ``folder``.

    Parameters
    ----------
    folder : Path
        An existing folder.
    result : dict
        What :func:`dasklearn.cli.evaluate.evaluate_frames` returned (plus ``data``).
    bundle : dict
        The saved model's bundle (model, features, fit metadata).
    timings : list of (str, float)
        The steps of this run and their seconds.
    client : distributed.Client
        The cluster the run used.
    title : str, optional
        The page's heading.

    Returns
    -------
    dict
        The report written as JSON.
    """
    need("matplotlib", "the HTML report")
    from ..info import describe_cluster
    from .page import render

    fit = bundle.get("fit", {})
    report = {
        "title": title or f"{bundle.get('estimator', 'model')} on {result['data']['path']}",
        "created": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "dasklearn_version": bundle.get("dasklearn_version"),
        "model": {
            "estimator": bundle.get("estimator"),
            "params": fit.get("params", {}),
            "features": bundle.get("features"),
            "target": bundle.get("target"),
            "encoding": bundle.get("encoding"),
            "task": bundle.get("task"),
        },
        "data": result["data"],
        "rows": result["rows"],
        "metrics": result["metrics"],
        "evaluation": {
            k: v
            for k, v in result.items()
            if k not in ("metrics", "rows", "data", "sample") and not k.startswith("_")
        },
        "fit": {
            "timings": fit.get("timings", []),
            "loss_history": fit.get("loss_history"),
            "cluster": fit.get("cluster"),
        },
        "timings": [list(t) for t in timings],
        "cluster": describe_cluster(client),
    }
    report = _jsonable(report)
    write_text(folder / "report.json", json.dumps(report, indent=1) + "\n")
    write_text(folder / "report.html", render(report, result))
    return report
