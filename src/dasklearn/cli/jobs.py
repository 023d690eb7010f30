"""``dasklearn fit`` and ``dasklearn predict``: the everyday jobs on tables in parquet or CSV.

``fit`` trains an estimator named by its import path on columns of a table and saves it with
joblib; ``predict`` loads such a file and writes predictions for another table, block by block on
the cluster. A dasklearn estimator trains on the dask collections directly; any other
(scikit-learn) estimator trains in memory, with its ``n_jobs`` work sent to the cluster, and is
wrapped in :class:`~dasklearn.wrappers.ParallelPostFit` so that prediction runs blockwise.

Model files are pickles: ``predict`` only loads the file named on its command line, which must be
one you wrote or trust.
"""

from __future__ import annotations

import ast
import importlib
import time
from pathlib import Path
from typing import Any

import dask.array as da
import dask.dataframe as dd
import joblib
from distributed import Client, progress

from .. import __version__

MODEL_FORMAT = "dasklearn-model/1"


def read_table(path: str, columns: list[str] | None = None) -> dd.DataFrame:
    """A dask dataframe from a parquet dataset/file, or CSV file(s) (``*.csv``, ``*.csv.gz``)."""
    suffixes = "".join(Path(path.rstrip("/*")).suffixes)
    if ".csv" in suffixes:
        frame = dd.read_csv(path)
        return frame[columns] if columns else frame
    return dd.read_parquet(path, columns=columns)


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """Parse ``NAME=VALUE`` items into a dict; values are Python literals or else text."""
    params: dict[str, Any] = {}
    for item in items or ():
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--param takes NAME=VALUE, got {item!r}")
        try:
            params[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            params[name] = text
    return params


def make_estimator(path: str, params: dict[str, Any]) -> Any:
    """An estimator from its import path, e.g. ``sklearn.ensemble.RandomForestClassifier``."""
    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise ValueError(
            f"Give the estimator's full import path, e.g. sklearn.svm.SVC; got {path!r}"
        )
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"Cannot import estimator {path!r}: {err}") from None
    return cls(**params)


def _is_dask_aware(estimator: Any) -> bool:
    return type(estimator).__module__.startswith("dasklearn.")


def _compute(client: Client, collection: Any, show_progress: bool) -> Any:
    future = client.compute(collection)
    if show_progress:
        progress(future)
        print(flush=True)
    return future.result()


def fit_job(
    client: Client,
    estimator_path: str,
    data: str,
    target: str,
    features: list[str] | None,
    output: str,
    params: dict[str, Any],
    show_progress: bool = True,
) -> Any:
    """Fit an estimator on columns of the table at ``data``; save it with joblib to ``output``."""
    from ..parallel import on_cluster
    from ..wrappers import ParallelPostFit

    estimator = make_estimator(estimator_path, params)
    table = read_table(data)
    missing = [c for c in [target, *(features or [])] if c not in table.columns]
    if missing:
        raise ValueError(f"Columns {missing} are not in {data}; it has {list(table.columns)}")
    features = features or [c for c in table.columns if c != target]
    X, y = table[features], table[target]
    start = time.perf_counter()
    if _is_dask_aware(estimator):
        model = estimator.fit(X, y)
    else:
        print(f"{type(estimator).__name__} trains in memory: loading {len(features)} columns")
        frame = _compute(client, table[[*features, target]], show_progress)
        with on_cluster(client):
            estimator.fit(frame[features], frame[target])
        if "n_jobs" in estimator.get_params():
            # Prediction runs one task per block on the workers: no threads inside a task.
            estimator.set_params(n_jobs=None)
        model = ParallelPostFit(estimator)
    seconds = time.perf_counter() - start
    joblib.dump(
        {
            "format": MODEL_FORMAT,
            "dasklearn_version": __version__,
            "model": model,
            "features": list(features),
            "target": target,
        },
        output,
    )
    print(f"fitted {type(estimator).__name__} in {seconds:.2f} s; saved to {output}")
    return model


def load_model(path: str) -> dict[str, Any]:
    """Load a file written by :func:`fit_job` (a pickle: load only files you trust)."""
    saved = joblib.load(path)
    if not isinstance(saved, dict) or saved.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path} is not a model file written by 'dasklearn fit'")
    return saved


def predict_job(
    client: Client,
    model_path: str,
    data: str,
    output: str,
    method: str = "predict",
    keep: list[str] | None = None,
    show_progress: bool = True,
) -> None:
    """Write ``method`` (predict, predict_proba, ...) of a saved model on ``data`` to parquet."""
    saved = load_model(model_path)
    model, features = saved["model"], saved["features"]
    if not hasattr(model, method):
        raise ValueError(f"{type(model).__name__} has no method {method!r}")
    table = read_table(data)
    missing = [c for c in [*features, *(keep or [])] if c not in table.columns]
    if missing:
        raise ValueError(f"Columns {missing} are not in {data}")
    result = getattr(model, method)(table[features])
    if isinstance(result, da.Array):  # a dasklearn estimator: known row chunks, same partitions
        columns = (
            [method] if result.ndim == 1 else [f"{method}_{i}" for i in range(result.shape[1])]
        )
        result = dd.from_dask_array(result, columns=columns)
    if isinstance(result, dd.Series):
        result = result.to_frame(name=method)
    result.columns = [str(c) for c in result.columns]
    if keep:
        kept = table[keep].reset_index(drop=True)
        result = kept.assign(**{c: result.reset_index(drop=True)[c] for c in result.columns})
    start = time.perf_counter()
    _compute(client, result.to_parquet(output, compute=False, write_index=False), show_progress)
    print(f"wrote {method} for {data} to {output} in {time.perf_counter() - start:.2f} s")
