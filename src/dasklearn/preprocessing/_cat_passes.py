"""The one pass of the categorical encoders' fits, and what is known without one.

:func:`count_categories` reads every row block once (dask arrays, dask dataframes and series
partition by partition, as pandas, through :func:`dasklearn._blockwise.reduction`), counts the
distinct values of every column in each block (:func:`._cat_kernels.count_block`), and merges
the per-block counts exactly on the client. In-memory input is one block. Cost: one pass, and
per block a partial result the size of the block's distinct values.

:func:`dtype_unknowns` finds, from the metadata of a dask dataframe alone, values that a
categorical column may hold and that the fitted encoder does not know: those are refused
before any work.
"""

from __future__ import annotations

from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd

from .._blockwise import reduction
from .._chunks import is_dask_input
from ._cat_kernels import Counts, count_block, merge_counts, to_sklearn


def count_categories(X: Any) -> tuple[int, list[Counts], int]:
    """Rows, the merged :class:`Counts` of every column of X, and the passes made (1).

    X is validated input: NumPy, pandas (one block, read in this thread), a dask array (one
    column block), a dask DataFrame or Series.
    """
    if not is_dask_input(X):
        n_rows, counts = merge_counts([count_block(X)])
        return n_rows, counts, 1
    blocks = X
    n_rows, counts = reduction(
        count_block, blocks, combine=None, aggregate=merge_counts, name="category-counts"
    ).compute()
    return n_rows, counts, 1


def column_dtypes(X: Any) -> list[Any]:
    """The dtype of every column of X, from its metadata."""
    if isinstance(X, pd.DataFrame | dd.DataFrame):
        return list(X.dtypes)
    if isinstance(X, pd.Series | dd.Series) or X.ndim == 1:
        return [X.dtype]
    return [X.dtype] * X.shape[1]


def categorical_dtypes(X: Any) -> list[pd.CategoricalDtype | None]:
    """Known categorical dtypes of X's columns (None for other columns and unknown categories)."""
    out: list[pd.CategoricalDtype | None] = []
    for dtype in column_dtypes(X):
        known = isinstance(dtype, pd.CategoricalDtype) and dtype.categories is not None
        if known and isinstance(X, dd.DataFrame | dd.Series):
            known = not _unknown_categories(dtype)
        out.append(dtype if known else None)
    return out


def _unknown_categories(dtype: pd.CategoricalDtype) -> bool:
    """dask's marker of categories not known from metadata (``cat.known`` is False)."""
    from dask.dataframe.utils import UNKNOWN_CATEGORIES

    return len(dtype.categories) == 1 and dtype.categories[0] == UNKNOWN_CATEGORIES


def dtype_unknowns(
    X: Any, fitted: list[Any], categories: list[np.ndarray]
) -> list[tuple[int, list[Any]]]:
    """Columns of a dask dataframe whose categorical dtype declares values the encoder never saw.

    Only categories that the column's dtype at fit did not declare either count: a dtype shared
    by the training and the new data (a frame categorized once, then split) declares categories
    that fit may not have met; those are checked when the blocks are computed. Returns
    ``[(column position, [values])]``.
    """
    if not isinstance(X, dd.DataFrame):
        return []
    out = []
    for j, dtype in enumerate(categorical_dtypes(X)):
        if dtype is None:
            continue
        known = set(_values(categories[j]))
        before = fitted[j] if j < len(fitted) else None
        if isinstance(before, pd.CategoricalDtype):
            known |= set(_values(to_sklearn(before.categories, before)))
        new = [v for v in to_sklearn(dtype.categories, dtype) if _key(v) not in known]
        if new:
            out.append((j, new))
    return out


def _key(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _values(array: np.ndarray) -> list[Any]:
    return [_key(v) for v in array]
