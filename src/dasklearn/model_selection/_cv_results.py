"""``cv_results_`` as scikit-learn's searches build it, from one record per candidate and fold.

Keys, dtypes and conventions follow ``sklearn.model_selection.GridSearchCV`` (1.9): ``params``,
``param_<name>`` masked arrays, ``split<k>_test_<metric>``, ``mean_``/``std_``/``rank_``
columns (a NaN mean ranks last), ``mean_fit_time`` and friends. ``iid=True`` (dask-ml's
default) weights the mean and standard deviation of the test scores by the number of test rows
of each fold, as dask-ml did; scikit-learn's searches are ``iid=False``.
"""

from __future__ import annotations

import numbers
import warnings
from collections import defaultdict
from typing import Any

import numpy as np
from numpy.ma import MaskedArray
from scipy.stats import rankdata

__all__ = ["format_results", "select_best_index"]


def _param_arrays(candidates: list[dict[str, Any]]) -> dict[str, MaskedArray]:
    """One masked array per parameter name (masked where a candidate lacks it)."""
    found: dict[str, dict[int, Any]] = defaultdict(dict)
    for i, params in enumerate(candidates):
        for name, value in params.items():
            found[f"param_{name}"][i] = value
    out = {}
    for key, values in found.items():
        try:
            arr = np.array(list(values.values()))
        except ValueError:
            dtype = np.dtype(object)
        else:
            dtype = arr.dtype if arr.dtype.kind != "U" and arr.ndim == 1 else np.dtype(object)
        ma = MaskedArray(np.empty(len(candidates), dtype=dtype), mask=True)
        for i, value in values.items():
            ma[i] = value
        out[key] = ma
    return out


def _store(
    results: dict[str, Any],
    key: str,
    array: Any,
    n_candidates: int,
    n_splits: int,
    weights: np.ndarray | None = None,
    splits: bool = False,
    rank: bool = False,
) -> None:
    array = np.asarray(array, dtype=np.float64).reshape(n_candidates, n_splits)
    if splits:
        for k in range(n_splits):
            results[f"split{k}_{key}"] = array[:, k]
    means = np.average(array, axis=1, weights=weights)
    results[f"mean_{key}"] = means
    if key.startswith(("train_", "test_")) and np.any(~np.isfinite(means)):
        warnings.warn(
            f"One or more of the {key.split('_')[0]} scores are non-finite: {means}",
            category=UserWarning,
            stacklevel=4,
        )
    results[f"std_{key}"] = np.sqrt(
        np.average((array - means[:, np.newaxis]) ** 2, axis=1, weights=weights)
    )
    if rank:
        if np.isnan(means).all():
            ranks = np.ones_like(means, dtype=np.int32)
        else:
            filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
            ranks = rankdata(-filled, method="min").astype(np.int32, copy=False)
        results[f"rank_{key}"] = ranks


def _by_metric(scores: list[Any], names: list[str] | None) -> dict[str, list[Any]]:
    if names is None:
        return {"score": scores}
    return {name: [s[name] for s in scores] for name in names}


def format_results(
    candidates: list[dict[str, Any]],
    n_splits: int,
    records: list[list[tuple]],
    metric_names: list[str] | None,
    train_scores: bool,
    test_weights: np.ndarray | None,
) -> dict[str, Any]:
    """``cv_results_`` from ``records[candidate][fold]`` (the leaf records of ``._plan``)."""
    n = len(candidates)
    flat = [r for per_candidate in records for r in per_candidate]
    results: dict[str, Any] = {}
    _store(results, "fit_time", [r[1] for r in flat], n, n_splits)
    _store(results, "score_time", [r[2] for r in flat], n, n_splits)
    results.update(_param_arrays(candidates))
    results["params"] = candidates
    tests = _by_metric([r[3] for r in flat], metric_names)
    trains = _by_metric([r[4] for r in flat], metric_names) if train_scores else {}
    for name, values in tests.items():
        _store(results, f"test_{name}", values, n, n_splits, test_weights, True, True)
        if train_scores:
            _store(results, f"train_{name}", trains[name], n, n_splits, splits=True)
    return results


def select_best_index(refit: Any, metric: str, results: dict[str, Any]) -> int:
    """The best candidate: ``refit(results)`` for a callable, else rank 1 of ``metric``."""
    if callable(refit):
        best = refit(results)
        if not isinstance(best, numbers.Integral):
            raise TypeError("best_index_ returned is not an integer")
        if best < 0 or best >= len(results["params"]):
            raise IndexError("best_index_ index out of range")
        return int(best)
    return int(results[f"rank_test_{metric}"].argmin())
