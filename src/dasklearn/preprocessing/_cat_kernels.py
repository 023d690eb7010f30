"""Block kernels of the categorical encoders: pure NumPy and pandas, no dask.

A block is a 2-D NumPy array (NumPy input, a dask array's row block), a pandas DataFrame (pandas
input, a dask dataframe's partition) or, for labels, a 1-D array or Series. Columns are read in
their own dtype: ``pandas.factorize`` hashes strings, numbers and dates alike (arrow-backed
strings included) and categorical columns are read through their codes, so no column is turned
into Python objects row by row.

* fit: :func:`count_block` gives, per column, the distinct values and their counts (missing
  values counted apart, ``None`` and NaN separately as scikit-learn does); :func:`merge_counts`
  merges any number of them exactly; :func:`categories_from_counts` turns the merged values into
  scikit-learn's ``categories_`` (its value types, its order: sorted, ``None`` then NaN last).
* transform: :func:`column_index` gives each row's position in the fitted categories (or -1
  for an unknown value, with the unknown values themselves); :func:`one_hot_block` and
  :func:`ordinal_block` apply per-feature tables built once from the fitted model.
* inverse: :func:`one_hot_inverse_block`, :func:`ordinal_inverse_block`.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp
import sklearn
from sklearn.utils import check_array

#: scikit-learn's name of the grouped infrequent category
INFREQUENT = "infrequent_sklearn"


def is_nan(value: Any) -> bool:
    """True for a float NaN (scikit-learn's ``is_scalar_nan``)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, numbers.Integral)
        and math.isnan(value)
    )


def columns_of(block: Any) -> list[Any]:
    """The 1-D columns of a block (a 1-D block is one column)."""
    if isinstance(block, pd.DataFrame):
        return [block.iloc[:, j] for j in range(block.shape[1])]
    if isinstance(block, pd.Series) or np.ndim(block) == 1:
        return [block]
    return [block[:, j] for j in range(block.shape[1])]


def _is_object(col: Any) -> bool:
    dtype = col.dtype
    return isinstance(dtype, np.dtype) and dtype.kind == "O"


def factorize(col: Any) -> tuple[np.ndarray, Any]:
    """Codes (-1 for missing) and the distinct values of a column, in its own dtype."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = np.asarray(pd.Series(col).cat.codes, dtype=np.intp)
        return codes, col.cat.categories if isinstance(col, pd.Series) else col.categories
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.intp), uniques


def _none_mask(col: Any, rows: np.ndarray) -> np.ndarray:
    """Which of ``rows`` (missing values of an object column) hold ``None`` rather than NaN."""
    values = np.asarray(col, dtype=object)[rows]
    return np.fromiter((v is None for v in values), dtype=bool, count=len(values))


def as_index(values: Any) -> pd.Index:
    if isinstance(values, pd.Index):
        return values
    values = np.asarray(values)
    return pd.Index(values, dtype=object if values.dtype.kind in "OU" else values.dtype)


# --------------------------------------------------------------------------------------------
# fit: distinct values and counts
# --------------------------------------------------------------------------------------------


class Counts(NamedTuple):
    """Distinct non-missing values of a column (its own dtype) and how often each occurs."""

    values: pd.Index
    counts: np.ndarray
    n_none: int = 0
    n_nan: int = 0


def count_column(col: Any) -> Counts:
    """:class:`Counts` of one column."""
    codes, uniques = factorize(col)
    present = codes >= 0
    counts = np.bincount(codes[present], minlength=len(uniques)).astype(np.int64)
    used = counts > 0
    values = as_index(uniques)[used]
    n_missing = int(len(codes) - present.sum())
    n_none = int(_none_mask(col, ~present).sum()) if n_missing and _is_object(col) else 0
    if values.dtype.kind == "f" and len(values) and np.isinf(np.asarray(values)).any():
        raise ValueError("Input X contains infinity; encoders accept NaN but not infinity.")
    return Counts(values, counts[used], n_none, n_missing - n_none)


def count_block(block: Any) -> tuple[int, list[Counts]]:
    """Rows of a block and the :class:`Counts` of each of its columns."""
    return len(block), [count_column(col) for col in columns_of(block)]


def merge_counts(parts: Sequence[tuple[int, list[Counts]]]) -> tuple[int, list[Counts]]:
    """Exact merge of the partial counts of any number of blocks (sums per distinct value)."""
    n_rows = sum(p[0] for p in parts)
    merged = []
    for column in zip(*(p[1] for p in parts), strict=True):
        values = column[0].values.append([c.values for c in column[1:]])
        counts = np.concatenate([c.counts for c in column])
        codes, uniques = pd.factorize(values)
        total = np.zeros(len(uniques), dtype=np.int64)
        np.add.at(total, codes, counts)
        merged.append(
            Counts(
                as_index(uniques),
                total,
                sum(c.n_none for c in column),
                sum(c.n_nan for c in column),
            )
        )
    return n_rows, merged


def to_sklearn(values: pd.Index, dtype: Any, with_missing: bool = False) -> np.ndarray:
    """Non-missing values of a column of ``dtype`` as scikit-learn reads them (a NumPy array).

    scikit-learn converts each pandas column with ``check_array(..., dtype=None)``: nullable
    integers become float64, categoricals their categories' values (float when missing values
    are present), strings Python objects. The same conversion of a column's distinct values,
    with a missing value added when the column has some, gives the same values and dtype.
    """
    if dtype is None or (isinstance(dtype, np.dtype) and dtype.kind != "O"):
        out = np.asarray(values, dtype=dtype)
        if with_missing and out.dtype.kind in "iub":
            out = out.astype(np.float64)
        return out
    if isinstance(dtype, np.dtype):  # object: the values themselves
        out = np.empty(len(values), dtype=object)
        out[:] = list(values)
        return out
    if isinstance(dtype, pd.CategoricalDtype):
        codes = np.array(list(range(len(values))) + [-1] * with_missing, dtype=np.intp)
        series = pd.Series(pd.Categorical.from_codes(codes, categories=values))
    else:
        series = pd.Series(values, dtype=dtype)
        if with_missing:
            series = pd.concat([series, pd.Series([None], dtype=dtype)], ignore_index=True)
    out = check_array(
        series, ensure_2d=False, dtype=None, ensure_all_finite=False, ensure_min_samples=0
    )
    return out[: len(values)]


def _sorted_order(values: np.ndarray) -> np.ndarray:
    if values.dtype != object:
        return np.argsort(values, kind="stable")
    try:
        return np.asarray(sorted(range(len(values)), key=values.__getitem__), dtype=np.intp)
    except TypeError:
        types = sorted({type(v).__qualname__ for v in values})
        raise TypeError(
            "Encoders require their input argument must be uniformly strings or numbers. "
            f"Got {types}"
        ) from None


def categories_from_counts(c: Counts, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's categories of a column (sorted; ``None``, then NaN, last) and their counts."""
    has_missing = bool(c.n_none or c.n_nan)
    values = to_sklearn(c.values, dtype, has_missing)
    order = _sorted_order(values)
    values, counts = values[order], c.counts[order]
    extra: list[Any] = []
    if c.n_none:
        extra.append(None)
    if c.n_nan:
        extra.append(np.datetime64("NaT") if values.dtype.kind in "mM" else np.nan)
    if extra:
        if c.n_none and values.dtype != object:
            values = values.astype(object)
        elif values.dtype.kind in "iub":
            values = values.astype(np.float64)
        tail = np.empty(len(extra), dtype=values.dtype)
        tail[:] = extra
        values = np.concatenate([values, tail])
        missing = [c.n_none] * bool(c.n_none) + [c.n_nan] * bool(c.n_nan)
        counts = np.concatenate([counts, np.asarray(missing, dtype=np.int64)])
    return values, counts


# --------------------------------------------------------------------------------------------
# transform: positions in the fitted categories
# --------------------------------------------------------------------------------------------


class Lookup(NamedTuple):
    """The fitted categories of a column, ready to look values up."""

    index: pd.Index  # the non-missing categories
    none_idx: int  # position of None in categories_, or -1
    nan_idx: int  # position of NaN in categories_, or -1


def make_lookup(categories: np.ndarray) -> Lookup:
    """:class:`Lookup` of a column's ``categories_``."""
    none_idx = nan_idx = -1
    keep = np.ones(len(categories), dtype=bool)
    for i in range(max(0, len(categories) - 2), len(categories)):
        value = categories[i]
        if value is None:
            none_idx, keep[i] = i, False
        elif is_nan(value) or (isinstance(value, np.datetime64) and np.isnat(value)):
            nan_idx, keep[i] = i, False
    present = categories[keep]
    index = pd.Index(present, dtype=object if present.dtype.kind in "OU" else present.dtype)
    return Lookup(index, none_idx, nan_idx)


def column_index(col: Any, lookup: Lookup) -> tuple[np.ndarray, list[Any]]:
    """Each row's position in the fitted categories (-1: unknown), and the unknown values."""
    codes, uniques = factorize(col)
    missing = codes < 0
    unknown: list[Any] = []
    if len(uniques):
        table = lookup.index.get_indexer(to_sklearn(as_index(uniques), col.dtype))
        idx = table[np.where(missing, 0, codes)]
        bad = table < 0
        if bad.any():
            used = np.bincount(codes[~missing], minlength=len(uniques)) > 0
            unknown = list(np.asarray(uniques)[bad & used])
    else:
        idx = np.full(len(codes), -1, dtype=np.intp)
    if missing.any():
        rows = np.flatnonzero(missing)
        if _is_object(col):
            none = _none_mask(col, rows)
            idx[rows] = np.where(none, lookup.none_idx, lookup.nan_idx)
            unknown += [None] * bool(lookup.none_idx < 0 and none.any())
            unknown += [np.nan] * bool(lookup.nan_idx < 0 and not none.all())
        else:
            idx[rows] = lookup.nan_idx
            unknown += [np.nan] * (lookup.nan_idx < 0)
    return idx, unknown


def describe_unknown(values: list[Any], j: int, name: Any, where: str) -> str:
    """scikit-learn's message for unknown categories, naming the column."""
    try:
        values = sorted(values, key=lambda v: (v is None, is_nan(v), v))
    except TypeError:
        pass
    shown = [v.item() if isinstance(v, np.generic) else v for v in values[:20]]
    more = f" (and {len(values) - 20} more)" if len(values) > 20 else ""
    label = f" ({name!r})" if name is not None else ""
    return f"Found unknown categories {shown}{more} in column {j}{label} during {where}"


def _indices(block: Any, lookups: Sequence[Lookup], names: Sequence[Any], raise_unknown: bool):
    """Positions of every row of every column, and the columns where unknown values were met."""
    cols = columns_of(block)
    idx = np.empty((len(block), len(cols)), dtype=np.intp)
    unknown_in = []
    for j, (col, lookup) in enumerate(zip(cols, lookups, strict=True)):
        idx[:, j], unknown = column_index(col, lookup)
        if unknown:
            if raise_unknown:
                raise ValueError(describe_unknown(unknown, j, names[j], "transform"))
            unknown_in.append(j)
    return idx, unknown_in


def _apply_tables(idx: np.ndarray, tables: Sequence[np.ndarray]) -> np.ndarray:
    """``tables[j][idx[:, j]]`` for every column; -1 picks a table's last entry (unknown)."""
    out = np.empty(idx.shape, dtype=tables[0].dtype if tables else np.intp)
    for j, table in enumerate(tables):
        out[:, j] = table[idx[:, j]]
    return out


def one_hot_block(
    block: Any,
    lookups: Sequence[Lookup],
    tables: Sequence[np.ndarray],
    widths: Sequence[int],
    dtype: Any,
    sparse_output: bool,
    handle_unknown: str,
    warn_unknown: str | None,
    names: Sequence[Any],
) -> Any:
    """One-hot encoding of a block: CSR (scikit-learn's sparse interface) or dense.

    ``tables[j]`` maps a position in column j's categories (last entry: unknown) to the output
    column, relative to the column's first, or -1 for none (dropped, ignored); ``widths[j]``
    is the number of output columns of column j.
    """
    idx, unknown_in = _indices(block, lookups, names, handle_unknown == "error")
    if unknown_in and warn_unknown:
        warnings.warn(
            f"Found unknown categories in columns {unknown_in} during transform. "
            f"These unknown categories will be encoded as {warn_unknown}",
            UserWarning,
            stacklevel=2,
        )
    offsets = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.intp)
    n_out = int(sum(widths))
    n, k = idx.shape
    index_dtype = np.int32 if max(n_out, n * k) < 2**31 else np.int64
    code = _apply_tables(idx, tables)
    code += offsets.astype(code.dtype)
    mask = code >= offsets
    if mask.all():  # one entry per row and feature: no masking, regular row pointers
        indices = code.ravel().astype(index_dtype)
        indptr = np.arange(0, n * k + 1, k, dtype=index_dtype)
    else:
        indices = code[mask].astype(index_dtype)
        indptr = np.zeros(n + 1, dtype=index_dtype)
        np.cumsum(mask.sum(axis=1, dtype=index_dtype), out=indptr[1:])
    if not sparse_output:
        out = np.zeros((n, n_out), dtype=dtype)
        out[np.repeat(np.arange(n), np.diff(indptr)), indices] = 1
        return out
    data = np.ones(indices.size, dtype=dtype)
    out = sp.csr_matrix((data, indices, indptr), shape=(n, n_out))
    if sklearn.get_config().get("sparse_interface", "spmatrix") == "sparray":
        return sp.csr_array(out)
    return out


def ordinal_block(
    block: Any,
    lookups: Sequence[Lookup],
    tables: Sequence[np.ndarray],
    raise_unknown: bool,
    names: Sequence[Any],
) -> np.ndarray:
    """Ordinal encoding of a block: ``tables[j]`` maps positions (last entry: unknown) to codes."""
    idx, _ = _indices(block, lookups, names, raise_unknown)
    return _apply_tables(idx, tables)


def ordinal_columns_block(
    part: pd.DataFrame,
    positions: Sequence[int],
    lookups: Sequence[Lookup],
    tables: Sequence[np.ndarray],
    raise_unknown: bool,
    names: Sequence[Any],
) -> pd.DataFrame:
    """A frame whose columns at ``positions`` are replaced by their ordinal codes."""
    codes = ordinal_block(part.iloc[:, list(positions)], lookups, tables, raise_unknown, names)
    out = part.copy(deep=False)
    for k, pos in enumerate(positions):
        out.isetitem(pos, codes[:, k])
    return out


def label_block(y: Any, lookup: Lookup) -> np.ndarray:
    """Positions of labels in ``classes_`` (scikit-learn's ``LabelEncoder.transform``)."""
    idx, unknown = column_index(y, lookup)
    if unknown:
        shown = [v.item() if isinstance(v, np.generic) else v for v in unknown]
        raise ValueError(f"y contains previously unseen labels: {shown}")
    return idx.astype(np.int64, copy=False)


def take_block(codes: Any, values: np.ndarray) -> np.ndarray:
    """``values[codes]`` with scikit-learn's check of the codes (``inverse_transform``)."""
    codes = np.asarray(codes)
    if codes.size and (codes.min() < 0 or codes.max() >= len(values) or codes.dtype.kind == "f"):
        valid = np.arange(len(values))
        bad = np.setdiff1d(codes, valid)
        if bad.size:
            raise ValueError(f"y contains previously unseen labels: {bad}")
    return values[codes.astype(np.intp)]


# --------------------------------------------------------------------------------------------
# inverse transforms
# --------------------------------------------------------------------------------------------


def ordinal_columns_inverse_block(
    part: pd.DataFrame, positions: Sequence[int], spec: OrdinalInverse
) -> pd.DataFrame:
    """A frame whose ordinal codes at ``positions`` are turned back into categories."""
    values = ordinal_inverse_block(part.iloc[:, list(positions)], spec)
    out = part.copy(deep=False)
    for k, pos in enumerate(positions):
        out.isetitem(pos, values[:, k])
    return out


class OneHotInverse(NamedTuple):
    """What :func:`one_hot_inverse_block` needs of a fitted OneHotEncoder, per feature."""

    outputs: list[np.ndarray]  # the categories each output column stands for
    fill: list[Any]  # value of an all-zero row: the dropped category, None (unknown), or error
    fill_kind: list[str]  # "dropped", "unknown" or "error"
    dtype: Any  # of the result (object when a row may invert to None)
    base_dtype: Any  # scikit-learn's dtype when no row inverts to None


def one_hot_inverse_block(X: Any, spec: OneHotInverse, exact_dtype: bool = False) -> np.ndarray:
    """scikit-learn's ``OneHotEncoder.inverse_transform`` of a block of encoded rows.

    ``exact_dtype``: scikit-learn's data-dependent dtype (object only when some row inverts to
    None), for in-memory input; dask blocks keep ``spec.dtype``.
    """
    X = X.tocsr() if sp.issparse(X) else np.asarray(X)
    n = X.shape[0]
    out = np.empty((n, len(spec.outputs)), dtype=spec.dtype)
    j = 0
    unknown_found = False
    for i, (cats, fill, kind) in enumerate(
        zip(spec.outputs, spec.fill, spec.fill_kind, strict=True)
    ):
        width = len(cats)
        if width == 0:
            out[:, i] = fill
            continue
        sub = X[:, j : j + width]
        out[:, i] = cats[np.asarray(sub.argmax(axis=1)).ravel()]
        zero = np.asarray(sub.sum(axis=1) == 0).ravel()
        if zero.any():
            if kind == "error":
                raise ValueError(
                    f"Samples {np.flatnonzero(zero)} can not be inverted when "
                    "drop=None and handle_unknown='error' because they contain all zeros"
                )
            out[zero, i] = fill
            unknown_found |= kind == "unknown"
        j += width
    if exact_dtype and not unknown_found and out.dtype != spec.base_dtype:
        return out.astype(spec.base_dtype)
    return out


class OrdinalInverse(NamedTuple):
    """What :func:`ordinal_inverse_block` needs of a fitted OrdinalEncoder, per feature."""

    categories: list[np.ndarray]  # the categories codes 0, 1, ... stand for
    missing: list[tuple[Any, Any]]  # (encoded_missing_value, the missing category) or None
    infrequent_code: list[int | None]
    unknown_value: Any  # handle_unknown="use_encoded_value": the code of unknown values
    dtype: Any


def _matches(labels: np.ndarray, value: Any) -> np.ndarray:
    return np.isnan(labels) if is_nan(value) else labels == value


def ordinal_inverse_block(X: Any, spec: OrdinalInverse) -> np.ndarray:
    """scikit-learn's ``OrdinalEncoder.inverse_transform`` of a block of codes."""
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    out = np.empty((n, len(spec.categories)), dtype=spec.dtype)
    for i, cats in enumerate(spec.categories):
        labels = X[:, i].copy()
        special = np.zeros(n, dtype=bool)
        if spec.missing[i] is not None:
            code, category = spec.missing[i]
            rows = _matches(labels, code)
            out[rows, i] = category
            special |= rows
        if spec.infrequent_code[i] is not None:
            rows = ~special & (labels == spec.infrequent_code[i])
            out[rows, i] = INFREQUENT
            special |= rows
        if spec.unknown_value is not None:
            rows = ~special & _matches(labels, spec.unknown_value)
            out[rows, i] = None
            special |= rows
        rest = ~special
        out[rest, i] = cats[labels[rest].astype(np.int64)]
    return out
