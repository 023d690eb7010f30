"""Helpers of the gradient-boosting wrappers (:mod:`dasklearn.xgboost`, :mod:`dasklearn.lightgbm`).

Owns:

* checking X for a boosting framework: 2-D, numeric, boolean or categorical columns
  (:func:`check_features`, metadata only),
* the validated, persisted and aligned inputs of one fit (:func:`prepare_fit`,
  :class:`FitData`): in-memory input split into one partition per worker, per-row inputs split
  like X, eval sets checked alike, categories unified across training and eval data, class
  labels encoded once as 0..n_classes-1; partitions are persisted and aligned by
  :mod:`dasklearn._partitions`.

Predictions go through the shared output layer (:func:`dasklearn._output.map_rows`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
from distributed import Client, Future

from dasklearn._chunks import is_dask_input, rows_only
from dasklearn._labels import encode_labels
from dasklearn._partitions import (
    ordered_futures,
    persist_aligned,
)
from dasklearn._ranks import pick_workers

__all__ = ["FitData", "check_features", "prepare_fit"]


# --------------------------------------------------------------------------------------------
# inputs of a fit
# --------------------------------------------------------------------------------------------


def _is_in_memory(x: Any) -> bool:
    return x is not None and not is_dask_input(x)


def check_features(X: Any, what: str = "X") -> None:
    """X for a boosting framework: 2-D, numeric, boolean or categorical columns (metadata only)."""
    if isinstance(X, dd.Series | pd.Series):
        raise ValueError(f"Expected a 2-dimensional {what}, got a Series; use a DataFrame.")
    if isinstance(X, dd.DataFrame | pd.DataFrame):
        bad = [
            str(c)
            for c, t in X.dtypes.items()
            if not (
                pd.api.types.is_numeric_dtype(t)
                or pd.api.types.is_bool_dtype(t)
                or isinstance(t, pd.CategoricalDtype)
            )
        ]
        if bad:
            raise ValueError(
                f"{what} has columns {bad} that are neither numeric nor categorical; convert "
                "them, e.g. X[cols] = X[cols].astype('category')."
            )
        return
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-dimensional {what}, got {X.ndim} dimension(s).")
    if not (pd.api.types.is_numeric_dtype(X.dtype) or pd.api.types.is_bool_dtype(X.dtype)):
        raise ValueError(f"{what} has dtype {X.dtype}; numbers are needed.")


def _as_1d(y: Any, what: str) -> Any:
    if isinstance(y, dd.DataFrame | pd.DataFrame):
        if len(y.columns) != 1:
            raise ValueError(f"{what} must be one column, got {len(y.columns)}.")
        return y[y.columns[0]]
    if isinstance(y, np.ndarray | da.Array) and y.ndim == 2 and y.shape[1] == 1:
        return y[:, 0]
    if hasattr(y, "ndim") and y.ndim != 1:
        raise ValueError(f"{what} must be 1-dimensional, got shape {y.shape}.")
    return y


def _memory_to_dask(group: dict[str, Any], n_parts: int) -> dict[str, Any]:
    """A group of NumPy/pandas inputs (X first) as dask collections split alike into row blocks."""
    X = group["X"]
    n = len(X)
    out = {}
    if isinstance(X, pd.DataFrame):
        nparts = max(1, min(n_parts, n))
        for k, v in group.items():
            if k != "X" and not isinstance(v, pd.Series):
                v = pd.Series(np.asarray(v), index=X.index, name=k)
            elif k != "X":
                v = pd.Series(v.to_numpy(), index=X.index, name=v.name)
            out[k] = dd.from_pandas(v, npartitions=nparts, sort=False)
        return out
    rows = max(1, -(-n // max(1, n_parts)))
    for k, v in group.items():
        v = v.to_numpy() if isinstance(v, pd.Series) else np.asarray(v)
        out[k] = da.from_array(v, chunks=(rows,) + v.shape[1:])
    return out


def _split_like(values: Any, lengths: Sequence[int], what: str) -> da.Array:
    values = (
        values.to_numpy() if isinstance(values, pd.Series | pd.DataFrame) else np.asarray(values)
    )
    if len(values) != sum(lengths):
        raise ValueError(f"{what} has {len(values)} rows but X has {sum(lengths)}.")
    return da.from_array(values, chunks=(tuple(lengths),) + values.shape[1:])


@dataclass
class FitData:
    """Validated, persisted inputs of one boosting fit.

    Attributes
    ----------
    train : dict
        ``X``, ``y`` and any extra per-row inputs (weights, ...) as aligned dask collections.
    evals : list of dict
        The same for each eval set.
    lengths : tuple of int
        Rows of each training partition.
    locations : list
        The worker holding each training partition of X.
    classes : ndarray or None
        For a classifier, the sorted original labels (y is then encoded as 0..n_classes-1).
    partition_classes : list of ndarray
        For a classifier, the labels found in each training partition.
    """

    train: dict[str, Any]
    evals: list[dict[str, Any]]
    lengths: tuple[int, ...]
    locations: list[str | None]
    classes: np.ndarray | None = None
    partition_classes: list[np.ndarray] | None = None

    def classes_by_worker(self) -> dict[str | None, np.ndarray]:
        """Labels held by each worker (where the training partitions of X live)."""
        out: dict[str | None, set] = {}
        for where, labels in zip(self.locations, self.partition_classes or [], strict=False):
            out.setdefault(where, set()).update(labels.tolist())
        return {w: np.array(sorted(v)) for w, v in out.items()}


def prepare_fit(
    client: Client,
    X: Any,
    y: Any,
    *,
    extra: dict[str, Any] | None = None,
    eval_set: Sequence[tuple[Any, Any]] | None = None,
    eval_extra: Sequence[dict[str, Any] | None] | None = None,
    classifier: bool = False,
    what: str = "fit",
) -> FitData:
    """Validate, convert and persist (in one pass) the inputs of a boosting fit.

    NumPy and pandas inputs become dask collections of one partition per worker; NumPy or
    pandas per-row inputs beside dask X are split into X's partitions. Every group (training
    data, each eval set) must have partitions that line up. Categorical columns get known
    categories shared by training and eval data. For a classifier, labels are encoded as
    0..n_classes-1 (``classes`` keeps the original labels).
    """
    n_parts = len(pick_workers(client, None))
    groups = [{"X": X, "y": y, **(extra or {})}]
    eval_extra = list(eval_extra or [])
    for i, pair in enumerate(eval_set or []):
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise ValueError(f"eval_set[{i}] must be a pair (X, y), got {type(pair).__name__}.")
        more = eval_extra[i] if i < len(eval_extra) and eval_extra[i] else {}
        groups.append({"X": pair[0], "y": pair[1], **more})
    names = ["training data", *[f"eval_set[{i}]" for i in range(len(groups) - 1)]]

    prepared: list[dict[str, Any]] = []
    for gname, group in zip(names, groups, strict=True):
        group = {k: v for k, v in group.items() if v is not None}
        if "y" not in group:
            raise ValueError(f"{what} needs labels y for the {gname}; got None.")
        check_features(group["X"], "X" if gname == "training data" else f"X of {gname}")
        for k in list(group):
            if k != "X":
                group[k] = _as_1d(group[k], k)
        if _is_in_memory(group["X"]):
            n = len(group["X"])
            for k, v in group.items():
                if k != "X" and is_dask_input(v):
                    raise TypeError(
                        f"{k} is a dask collection while X ({gname}) is in memory; pass both "
                        "as dask collections or both in memory."
                    )
                if k != "X" and len(v) != n:
                    raise ValueError(f"X has {n} rows but {k} has {len(v)} ({gname}).")
            group = _memory_to_dask(group, n_parts)
        prepared.append(group)

    # one persist for every dask member of every group (in-memory members beside dask X wait)
    keys = [(gi, k) for gi, g in enumerate(prepared) for k, v in g.items() if is_dask_input(v)]
    persisted = client.persist([rows_only(prepared[gi][k]) for gi, k in keys])
    for (gi, k), p in zip(keys, persisted, strict=True):
        prepared[gi][k] = p
    parts = []
    for gi, gname in enumerate(names):
        group = prepared[gi]
        members = {k: v for k, v in group.items() if is_dask_input(v)}
        p = persist_aligned(client, members, what=f"X, {', '.join(list(members)[1:])} ({gname})")
        for k in group:
            group[k] = p.collections[k] if k in members else _split_like(group[k], p.lengths, k)
        parts.append(p)

    _check_finite_rows(client, names, parts)
    _unify_categories(client, prepared)
    data = FitData(prepared[0], prepared[1:], parts[0].lengths, parts[0].locations(client))
    if classifier:
        _encode_labels(client, data, parts[0].futures["y"])
    return data


def _bad_values(part: Any) -> bool:
    """True when a partition of y or of a per-row input holds NaN, None or infinity."""
    values = part.to_numpy() if isinstance(part, pd.Series | pd.DataFrame) else np.asarray(part)
    if values.dtype.kind in "fc":
        return not bool(np.isfinite(values).all())
    if values.dtype.kind == "O":
        return bool(pd.isna(values).any())
    return False


def _check_finite_rows(client: Client, names: list[str], parts: list[Any]) -> None:
    """y, weights and the other per-row inputs of every group must be finite: checked on the
    persisted partitions (tiny tasks) before training starts. A NaN label fails inside the
    framework's collective layer ("Ring allreduce failed"), or leaves a LightGBM rank waiting
    for its dead peer; X may hold NaN (both frameworks treat it as missing)."""
    checks = []
    for gname, p in zip(names, parts, strict=True):
        for key, futures in p.futures.items():
            if key != "X":
                checks.append((gname, key, client.map(_bad_values, futures, pure=False)))
    results = client.gather([c[2] for c in checks])
    for (gname, key, _), bad in zip(checks, results, strict=True):
        if any(bad):
            where = next(i for i, b in enumerate(bad) if b)
            raise ValueError(
                f"{key} of the {gname} contains NaN or infinity (partition {where}); drop or "
                f"impute those rows first (X may hold NaN: it is treated as missing)."
            )


def _categories_of(part: pd.DataFrame, columns: list[str]) -> dict[str, list[Any]]:
    return {c: list(part[c].cat.categories) for c in columns}


def _unify_categories(client: Client, groups: list[dict[str, Any]]) -> None:
    """Give categorical columns with unknown categories the union of their categories.

    Runs tiny tasks on the persisted partitions; training and eval data share the result so
    that a category has the same code on every worker.
    """
    frames = [g["X"] for g in groups if isinstance(g["X"], dd.DataFrame)]
    unknown = sorted(
        {
            c
            for f in frames
            for c, t in f.dtypes.items()
            if isinstance(t, pd.CategoricalDtype) and not f[c].cat.known
        },
        key=str,
    )
    if not unknown:
        return
    tasks = []
    for f in frames:
        cols = [c for c in unknown if c in f.columns]
        tasks += [
            client.submit(_categories_of, p, cols, pure=False) for p in ordered_futures(client, f)
        ]
    found: dict[Any, set] = {c: set() for c in unknown}
    for cats in client.gather(tasks):
        for c, values in cats.items():
            found[c].update(values)
    dtypes = {
        c: pd.CategoricalDtype(sorted(found[c], key=lambda v: (str(type(v)), v))) for c in unknown
    }
    for g in groups:
        X = g["X"]
        if isinstance(X, dd.DataFrame):
            cols = {c: t for c, t in dtypes.items() if c in X.columns}
            if cols:
                g["X"] = client.persist(X.astype(cols))


def _unique_labels(part: Any) -> np.ndarray:
    values = part.to_numpy() if isinstance(part, pd.Series | pd.DataFrame) else np.asarray(part)
    return np.unique(values.ravel())


def _encode(part: Any, classes: np.ndarray) -> Any:
    values = part.to_numpy() if isinstance(part, pd.Series) else np.asarray(part)
    codes = encode_labels(values, classes, np.int32)  # every label is in classes (checked)
    if isinstance(part, pd.Series):
        return pd.Series(codes, index=part.index, name=part.name)
    return codes


def _encode_labels(client: Client, data: FitData, y_futures: list[Future]) -> None:
    per_part = client.gather([client.submit(_unique_labels, f, pure=False) for f in y_futures])
    classes = np.unique(np.concatenate(per_part))
    if len(classes) < 2:
        raise ValueError(f"A classifier needs at least 2 classes in y; got {classes.tolist()}.")
    for i, g in enumerate(data.evals):
        found = client.gather(
            [client.submit(_unique_labels, f, pure=False) for f in ordered_futures(client, g["y"])]
        )
        extra = np.setdiff1d(np.unique(np.concatenate(found)), classes)
        if len(extra):
            raise ValueError(f"eval_set[{i}] has labels {extra.tolist()[:10]} that are not in y.")
    data.classes = classes
    data.partition_classes = [np.searchsorted(classes, p) for p in per_part]
    if classes.dtype.kind in "iu" and np.array_equal(classes, np.arange(len(classes))):
        return
    for g in [data.train, *data.evals]:
        y = g["y"]
        if isinstance(y, dd.Series):
            meta = pd.Series([], dtype=np.int32, name=y.name)
            g["y"] = y.map_partitions(_encode, classes, meta=meta)
        else:
            g["y"] = y.map_blocks(_encode, classes, dtype=np.int32)


# --------------------------------------------------------------------------------------------
# predictions over blocks
# --------------------------------------------------------------------------------------------
