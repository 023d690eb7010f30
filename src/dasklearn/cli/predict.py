"""``dasklearn predict``: a saved model's predictions for a table, written to parquet blockwise.

The table is read, encoded and predicted one partition at a time on the workers; the dataset is
written under a temporary name and renamed when every partition is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dask.array as da
import dask.dataframe as dd

from .data import as_float, check_columns, read_table
from .errors import CLIError
from .modelfile import load_model
from .outputs import atomic
from .progress import Progress

METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function", "transform")


def plan_predict(
    model_path: str,
    data: str,
    method: str = "predict",
    keep: list[str] | None = None,
    trust_pickle: bool = False,
) -> dict[str, Any]:
    """Load the model file and check the table's columns (before a cluster starts)."""
    bundle = load_model(model_path, trust_pickle=trust_pickle)
    if not hasattr(bundle["model"], method):
        raise CLIError(f"the model in {model_path} has no method {method!r}")
    table = read_table(data)
    check_columns(table, [*bundle["features"], *(keep or [])], data)
    table = as_float(table, bundle.get("columns", {}).get("numeric", []))
    return {"bundle": bundle, "table": table, "data": data, "method": method, "keep": keep}


def predict_job(client: Any, progress: Progress, plan: dict[str, Any], output: Path) -> None:
    """Write ``method`` (predict, predict_proba, ...) of a loaded model for the table of
    :func:`plan_predict` to the parquet dataset ``output``."""
    model, features = plan["bundle"]["model"], plan["bundle"]["features"]
    table, method, keep = plan["table"], plan["method"], plan["keep"]
    try:
        result = getattr(model, method)(table[features])
    except ValueError as err:
        raise CLIError(str(err).strip().splitlines()[0]) from None
    if isinstance(result, da.Array):
        columns = (
            [method] if result.ndim == 1 else [f"{method}_{i}" for i in range(result.shape[1])]
        )
        result = dd.from_dask_array(result, columns=columns)
    if isinstance(result, dd.Series):
        result = result.to_frame(name=method)
    names = [str(c) for c in result.columns]
    if method not in ("predict", "transform"):
        names = [f"{method}_{c}" for c in names]
    result.columns = names
    if keep:
        result = table[keep].assign(**{c: result[c] for c in result.columns})
    with progress.step(f"{method} for {plan['data']} -> {output}"), atomic(output) as temporary:
        try:
            progress.compute(result.to_parquet(str(temporary), compute=False, write_index=False))
        except ValueError as err:
            raise CLIError(str(err).strip().splitlines()[0]) from None
