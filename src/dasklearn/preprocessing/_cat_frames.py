"""Block kernels on pandas categoricals (LabelEncoder, Categorizer, DummyEncoder): no dask.

Each function takes one pandas partition (or a block of codes) and small fitted values
(``CategoricalDtype`` objects, column names), and returns the partition's result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._cat_kernels import Counts, factorize


def categorical_dtype(counts: Counts, dtype: Any) -> pd.CategoricalDtype:
    """The dtype ``column.astype("category")`` gives a column of ``dtype`` holding the counted
    values (pandas' order of categories: sorted where the values can be sorted)."""
    values = counts.values
    ordered = isinstance(dtype, pd.CategoricalDtype) and bool(dtype.ordered)
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = values.dtype
    series = pd.Series(values).astype(dtype) if len(values) else pd.Series([], dtype=dtype)
    categories = series.astype("category").dtype.categories
    return pd.CategoricalDtype(categories, ordered=ordered)


def _codes(col: pd.Series, dtype: pd.CategoricalDtype) -> tuple[np.ndarray, np.ndarray]:
    """Codes of a column's values in ``dtype``'s categories (-1: missing or not a category),
    and which rows hold a value that is not a category."""
    codes, uniques = factorize(col)
    table = dtype.categories.get_indexer(uniques) if len(uniques) else np.empty(0, np.intp)
    present = codes >= 0
    out = np.where(present, table[np.where(present, codes, 0)] if len(table) else -1, -1)
    return out, present & (out < 0)


def as_categorical(col: pd.Series, dtype: pd.CategoricalDtype) -> pd.Series:
    """``col`` with ``dtype``; values that are not among its categories become NaN (what
    pandas' ``astype`` did before deprecating it)."""
    if col.dtype == dtype:
        return col
    codes, _ = _codes(col, dtype)
    values = pd.Categorical.from_codes(codes, dtype=dtype)
    return pd.Series(values, index=col.index, name=col.name)


def categorize_block(part: pd.DataFrame, dtypes: dict[Any, pd.CategoricalDtype]) -> pd.DataFrame:
    """The partition with the named columns cast to their categorical dtypes (values outside
    the categories become NaN)."""
    out = part.copy(deep=False)
    for name, dtype in dtypes.items():
        out[name] = as_categorical(part[name], dtype)
    return out


def codes_block(y: pd.Series, dtype: pd.CategoricalDtype) -> np.ndarray:
    """Codes of categorical labels in ``dtype``'s categories; a label outside them is refused."""
    if isinstance(y.dtype, pd.CategoricalDtype) and y.dtype == dtype:
        return y.cat.codes.to_numpy()
    codes, unseen = _codes(y, dtype)
    if unseen.any():
        values = sorted(map(str, pd.unique(np.asarray(y, dtype=object)[unseen])))
        raise ValueError(f"y contains previously unseen labels: {values}")
    return codes.astype(pd.Series([], dtype=dtype).cat.codes.dtype)


def from_codes_block(codes: Any, dtype: pd.CategoricalDtype) -> pd.Series:
    """Categorical labels of codes (dask-ml's ``LabelEncoder.inverse_transform``)."""
    index = codes.index if isinstance(codes, pd.Series) else None
    values = pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), dtype=dtype)
    return pd.Series(values, index=index)


def dummies_block(
    part: pd.DataFrame,
    dtypes: dict[Any, pd.CategoricalDtype],
    drop_first: bool,
) -> pd.DataFrame:
    """``pandas.get_dummies`` of the categorical columns, cast to the fitted dtypes first (so
    that every partition has the same columns)."""
    if any(part[c].dtype != d for c, d in dtypes.items()):
        part = categorize_block(part, dtypes)
    return pd.get_dummies(part, columns=list(dtypes), drop_first=drop_first)


def undummies_block(
    part: pd.DataFrame,
    columns: Sequence[Any],
    blocks: dict[Any, tuple[list[Any], pd.CategoricalDtype]],
    drop_first: bool,
) -> pd.DataFrame:
    """The inverse of :func:`dummies_block`: each categorical column from its dummy columns
    (the largest one wins; all zeros is the dropped first category)."""
    out = {}
    for name in columns:
        if name not in blocks:
            out[name] = part[name]
            continue
        dummy_columns, dtype = blocks[name]
        values = part[dummy_columns].to_numpy(dtype=np.float64)
        codes = values.argmax(axis=1) if values.shape[1] else np.zeros(len(part), np.intp)
        if drop_first:
            codes = np.where((values == 0).all(axis=1), 0, codes + 1)
        out[name] = pd.Categorical.from_codes(codes, dtype=dtype)
    return pd.DataFrame(out, index=part.index)
