"""Block kernels of :class:`~dasklearn.impute.SimpleImputer`: pure NumPy/pandas, no dask.

A block is a 2-D NumPy array (a row block of an array, or the float values of a numeric frame)
or a pandas DataFrame (a partition). Fit kernels return small partials that merge exactly
(sums, counts, value counts, sorted grids of values); transform kernels fill one block.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Grid points per block and column sent up by the first median pass (see ``median_grid``).
GRID_POINTS = 1024


def is_na_marker(value: Any) -> bool:
    """True for the markers that mean "any NA": ``numpy.nan`` and ``pandas.NA``."""
    return value is pd.NA or (isinstance(value, float | np.floating) and bool(np.isnan(value)))


def missing_mask(values: Any, missing_values: Any) -> np.ndarray:
    """Boolean mask of the missing entries of a NumPy array or a pandas Series.

    scikit-learn's rules: ``pandas.NA`` marks every NA (NaN, None, NaT, ``pandas.NA``); NaN
    marks them too except None in object data; ``None`` marks None only; any other value marks
    the entries equal to it.
    """
    if isinstance(values, pd.Series):
        if is_na_marker(missing_values):
            if missing_values is not pd.NA and values.dtype == object:
                return _na_not_none(values.to_numpy())
            return values.isna().to_numpy()
        if missing_values is None:
            return np.asarray(values.to_numpy(dtype=object) == None)  # noqa: E711
        try:
            equal = values.eq(missing_values)
        except TypeError:  # a value that cannot be compared with this column's dtype
            return np.zeros(len(values), dtype=bool)
        return equal.to_numpy(dtype=bool, na_value=False)
    values = np.asarray(values)
    if is_na_marker(missing_values):
        if values.dtype.kind in "fc":
            return np.isnan(values)
        if values.dtype.kind == "O":
            if missing_values is pd.NA:
                return np.asarray(pd.isna(values), dtype=bool)
            return _na_not_none(values)
        return np.zeros(values.shape, dtype=bool)
    if missing_values is None:
        if values.dtype.kind != "O":
            return np.zeros(values.shape, dtype=bool)
        return np.asarray(values == None, dtype=bool)  # noqa: E711
    return np.asarray(values == missing_values, dtype=bool)


def _na_not_none(values: np.ndarray) -> np.ndarray:
    """NA entries of an object array other than None (``X != X``, without failing on pd.NA)."""
    return np.asarray(pd.isna(values), dtype=bool) & ~np.asarray(values == None, dtype=bool)  # noqa: E711


def n_bad(values: np.ndarray, mask: np.ndarray, allow_nan: bool) -> int:
    """Entries scikit-learn refuses: infinity, and NaN that is not the missing marker."""
    kind = values.dtype.kind
    if kind == "f":
        bad = np.isinf(values)
        if not allow_nan:
            bad |= np.isnan(values) & ~mask
        return int(bad.sum())
    if kind == "O" and not allow_nan:
        return int((_na_not_none(values) & ~mask).sum())
    return 0


def columns_of(block: Any) -> list[Any]:
    """The columns of a block: Series of a DataFrame, 1-D views of an array."""
    if isinstance(block, pd.DataFrame):
        return [block.iloc[:, j] for j in range(block.shape[1])]
    return [block[:, j] for j in range(block.shape[1])]


# --------------------------------------------------------------------------------------------
# fit: partials per block
# --------------------------------------------------------------------------------------------


def moments(block: np.ndarray, missing_values: Any, allow_nan: bool) -> tuple:
    """(rows, missing per column, sums of the present values, bad entries) of a float block."""
    X = np.asarray(block)
    mask = missing_mask(X, missing_values)
    sums = np.where(mask, 0.0, X).sum(axis=0, dtype=np.float64)
    return len(X), mask.sum(axis=0), sums, n_bad(X, mask, allow_nan)


def value_counts(block: Any, missing_values: Any, allow_nan: bool, count: bool) -> tuple:
    """(rows, missing per column, bad entries, per column (values, counts) or None) of a block.

    Numbers are counted with a sort (``numpy.unique``), anything else with pandas' hash table.
    ``count=False`` counts missing entries only (``strategy="constant"``).
    """
    n_missing = []
    counts = [] if count else None
    bad = 0
    for col in columns_of(block):
        mask = missing_mask(col, missing_values)
        n_missing.append(int(mask.sum()))
        raw = np.asarray(col.to_numpy() if isinstance(col, pd.Series) else col)
        bad += n_bad(raw, mask, allow_nan)
        if counts is not None:
            counts.append(_count(col[~mask]))
    return len(block), np.asarray(n_missing, dtype=np.int64), bad, counts


def _count(kept: Any) -> tuple[np.ndarray, np.ndarray]:
    dtype = kept.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        values, counts = np.unique(np.asarray(kept), return_counts=True)
        return values, counts.astype(np.int64)
    vc = pd.Series(kept).value_counts(sort=False, dropna=False)
    vc = vc[vc > 0]  # a categorical's unused categories
    return np.asarray(vc.index), vc.to_numpy(dtype=np.int64)


def merge_counts(parts: list[tuple]) -> tuple:
    """Merge the :func:`value_counts` partials of every block (exact), all at once."""
    n_rows = sum(p[0] for p in parts)
    n_missing = np.sum([p[1] for p in parts], axis=0)
    bad = sum(p[2] for p in parts)
    if parts[0][3] is None:
        return n_rows, n_missing, bad, None
    merged = []
    for j in range(len(parts[0][3])):
        values = np.concatenate([p[3][j][0] for p in parts])
        counts = np.concatenate([p[3][j][1] for p in parts])
        if values.dtype.kind in "biuf":
            values, where = np.unique(values, return_inverse=True)
            counts = np.bincount(where.ravel(), weights=counts, minlength=len(values))
        else:
            totals = pd.Series(counts, index=pd.Index(values, dtype=object))
            totals = totals.groupby(level=0, sort=False, dropna=False).sum()
            values, counts = np.asarray(totals.index, dtype=object), totals.to_numpy()
        merged.append((values, np.asarray(counts, dtype=np.int64)))
    return n_rows, n_missing, bad, merged


def _safe_min(items: list) -> Any:
    """The smallest value; values of types that do not compare are ordered by type name and
    text (scikit-learn's tie-breaking)."""
    try:
        return min(items)
    except TypeError:
        return min(items, key=lambda x: (str(type(x)), str(x)))


def most_frequent(counted: tuple[np.ndarray, np.ndarray]) -> Any:
    """The most frequent value, the smallest among ties (scikit-learn's rule); NaN if none."""
    values, counts = counted
    if len(counts) == 0:
        return np.nan
    return _safe_min(values[counts == counts.max()].tolist())


def present_values(block: np.ndarray, missing_values: Any, allow_nan: bool) -> tuple:
    """(rows, missing per column, bad entries, the present values of each column)."""
    X = np.asarray(block)
    mask = missing_mask(X, missing_values)
    values = [X[~mask[:, j], j] for j in range(X.shape[1])]
    return len(X), mask.sum(axis=0), n_bad(X, mask, allow_nan), values


def merge_present(a: tuple, b: tuple) -> tuple:
    """Merge two :func:`present_values` partials (values concatenated in block order)."""
    values = [np.concatenate([x, y]) for x, y in zip(a[3], b[3], strict=True)]
    return a[0] + b[0], a[1] + b[1], a[2] + b[2], values


# --------------------------------------------------------------------------------------------
# exact median in two passes: a grid of each block's sorted values, then what lies between
# --------------------------------------------------------------------------------------------


def median_grid(
    block: np.ndarray, missing_values: Any, allow_nan: bool, grid: int = GRID_POINTS
) -> tuple:
    """First median pass: per column, the block's present values sorted, sent up as a grid.

    A column with at most ``grid`` present values sends them all; a longer one sends the
    values at ``grid + 1`` evenly spaced ranks (positions 0 and the last included), so the number of
    values below any threshold is known within a grid step.

    Returns (rows, missing per column, bad entries, [(n_present, positions, values)]).
    """
    X = np.asarray(block)
    mask = missing_mask(X, missing_values)
    grids = []
    for j in range(X.shape[1]):
        v = np.sort(X[~mask[:, j], j])
        m = len(v)
        if m <= grid:
            pos = np.arange(m, dtype=np.int64)
        else:
            pos = np.unique(np.linspace(0, m - 1, grid + 1).round().astype(np.int64))
        grids.append((m, pos, v[pos]))
    return len(X), mask.sum(axis=0), n_bad(X, mask, allow_nan), grids


def median_bracket(grids: list[tuple[int, np.ndarray, np.ndarray]]) -> tuple:
    """Bounds of the median of one column from the grids of its blocks.

    Returns ``("exact", median)`` when every block sent all its values (or none are present),
    else ``("bracket", lo, hi, n)``: grid values with ``lo <= median <= hi`` for sure, where
    ``n`` is the number of present values.
    """
    n = sum(g[0] for g in grids)
    if n == 0:
        return "exact", np.nan
    if all(len(g[1]) == g[0] for g in grids):
        return "exact", _middle(np.sort(np.concatenate([g[2] for g in grids])), 0, n)
    values, below, upto = [], [], []
    for m, pos, vals in grids:
        if m == 0:
            continue
        nxt = np.append(pos[1:], m)
        prev = np.concatenate([[-1], pos[:-1]])
        values.append(vals)
        below.append(nxt - pos)  # values < v exceed this point's rank only for v > vals[i]
        upto.append(pos - prev)  # values <= v reach pos[i] + 1 once v >= vals[i]
    V = np.concatenate(values)
    order = np.argsort(V, kind="stable")
    V = V[order]
    most_below = np.cumsum(np.concatenate(below)[order])
    least_upto = np.cumsum(np.concatenate(upto)[order])
    r_lo, r_hi = (n - 1) // 2, n // 2
    # At most F(v) values are < v, where F sums the steps of the points < v; at least G(v)
    # values are <= v, where G sums the steps of the points <= v.
    left = np.searchsorted(V, V, side="left")
    F = np.where(left > 0, most_below[np.maximum(left - 1, 0)], 0)
    lo = V[np.flatnonzero(F <= r_lo)[-1]]
    right = np.searchsorted(V, V, side="right")
    G = least_upto[right - 1]
    hi = V[np.flatnonzero(G >= r_hi + 1)[0]]
    return "bracket", float(lo), float(hi), n


def median_between(block: np.ndarray, missing_values: Any, bounds: list) -> list:
    """Second median pass: per bracketed column, (count < lo, count == lo, count == hi, the
    values strictly between lo and hi); None for the columns already exact."""
    X = np.asarray(block)
    mask = missing_mask(X, missing_values)
    out = []
    for j, bound in enumerate(bounds):
        if bound is None:
            out.append(None)
            continue
        lo, hi = bound
        v = X[~mask[:, j], j]
        inside = v[(v > lo) & (v < hi)]
        out.append(
            (
                int((v < lo).sum()),
                int((v == lo).sum()),
                int((v == hi).sum()) if hi != lo else 0,
                inside,
            )
        )
    return out


def merge_between(a: list, b: list) -> list:
    """Merge two :func:`median_between` partials."""
    return [
        None if x is None else (x[0] + y[0], x[1] + y[1], x[2] + y[2], np.concatenate([x[3], y[3]]))
        for x, y in zip(a, b, strict=True)
    ]


def median_from_between(part: tuple, lo: float, hi: float, n: int) -> float:
    """The exact median from a column's merged :func:`median_between` partial."""
    n_lt, n_lo, n_hi, inside = part
    inside = np.sort(inside)

    def at(rank: int) -> float:
        k = rank - n_lt
        if k < n_lo:
            return lo
        k -= n_lo
        return float(inside[k]) if k < len(inside) else hi

    a, b = at((n - 1) // 2), at(n // 2)
    return float(np.mean(np.array([a, b]))) if n % 2 == 0 else a


def _middle(sorted_values: np.ndarray, offset: int, n: int) -> float:
    a = sorted_values[(n - 1) // 2 - offset]
    if n % 2:
        return float(a)
    return float(np.mean(np.array([a, sorted_values[n // 2 - offset]])))


# --------------------------------------------------------------------------------------------
# transform
# --------------------------------------------------------------------------------------------


def impute_array(
    block: Any,
    statistics: np.ndarray,
    valid: np.ndarray,
    indicator: np.ndarray | None,
    missing_values: Any,
    dtype: np.dtype,
    allow_nan: bool,
) -> np.ndarray:
    """One block of an array: missing entries of the kept columns filled, indicators appended.

    ``statistics`` holds the fill value of each kept column (``valid``: their indices), cast to
    the fitted dtype; ``indicator`` the columns whose missing-value indicators are appended.
    """
    X = np.array(block, dtype=dtype, copy=True)
    mask = missing_mask(X, missing_values)
    if n_bad(X, mask, allow_nan):
        raise ValueError(
            "Input X contains infinity or NaN that is not a missing value "
            f"(missing_values={missing_values!r})."
        )
    out = X[:, valid]
    kept = mask[:, valid]
    out[kept] = np.broadcast_to(statistics, out.shape)[kept]
    if indicator is not None:
        out = np.hstack([out, mask[:, indicator]])
    return out


def filled_dtype(dtype: Any, value: Any, numeric: bool) -> Any:
    """The dtype of a column once ``value`` fills its missing entries.

    ``numeric`` (mean, median, a callable): float64 (float32 stays). Otherwise the column keeps
    its dtype where the value fits it (a category is added to a categorical), becomes float64
    for a fractional value in an integer column, and object for anything else.
    """
    if numeric:
        return np.dtype(np.float32) if dtype == np.float32 else np.dtype(np.float64)
    if isinstance(dtype, pd.CategoricalDtype):
        if any(value == c for c in dtype.categories):
            return dtype
        return pd.CategoricalDtype([*dtype.categories, value], ordered=dtype.ordered)
    is_bool = isinstance(value, bool | np.bool_)
    if pd.api.types.is_bool_dtype(dtype):
        return dtype if is_bool else np.dtype(object)
    if pd.api.types.is_integer_dtype(dtype):
        if pd.api.types.is_integer(value) and not is_bool:
            return dtype
        if pd.api.types.is_float(value):
            return np.dtype(np.float64)
        return np.dtype(object)
    if pd.api.types.is_float_dtype(dtype):
        number = pd.api.types.is_number(value) and not is_bool
        return dtype if number else np.dtype(object)
    if pd.api.types.is_string_dtype(dtype) and not (dtype == np.dtype(object)):
        return dtype if isinstance(value, str) else np.dtype(object)
    return np.dtype(object)


def impute_frame(
    part: pd.DataFrame,
    fills: list[tuple[int, Any, Any]],
    indicator: list[int],
    missing_values: Any,
    allow_nan: bool,
) -> pd.DataFrame:
    """One partition: each kept column filled (``fills``: (position, value, dtype)), then the
    missing-value indicators (bool) of the ``indicator`` positions; columns named by position."""
    cols = []
    masks: dict[int, np.ndarray] = {}
    for j in sorted({j for j, _, _ in fills} | set(indicator)):
        masks[j] = missing_mask(part.iloc[:, j], missing_values)
    for j, value, dtype in fills:
        col = part.iloc[:, j]
        if n_bad(np.asarray(col.to_numpy()), masks[j], allow_nan):
            raise ValueError(
                f"Column {part.columns[j]!r} contains infinity or NaN that is not a missing "
                f"value (missing_values={missing_values!r})."
            )
        if col.dtype != dtype:
            col = col.astype(dtype)
        if masks[j].any():
            col = col.mask(masks[j], value)
        cols.append(col.reset_index(drop=True))
    for j in indicator:
        cols.append(pd.Series(masks[j], dtype=bool))
    if not cols:
        return pd.DataFrame(index=part.index)
    out = pd.concat(cols, axis=1, ignore_index=True)
    out.index = part.index
    return out
