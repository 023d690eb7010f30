"""Pure helpers of :class:`~dasklearn.compose.ColumnTransformer`: column specifications, and the
transform of one block of rows (NumPy, scipy.sparse or a pandas partition). No dask here.

A column specification is resolved once, in ``fit``, to column positions (scikit-learn's rules:
integers are positions, strings are DataFrame column labels, slices of strings include their
end, boolean masks have one entry per column); ``transform`` selects those columns of each block
and stacks the outputs of the fitted transformers side by side.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils import check_array

_BAD_SPEC = (
    "No valid specification of the columns. Only a scalar, list or slice of all integers or all "
    "strings, or boolean mask is allowed"
)


def is_scalar(spec: Any) -> bool:
    """A single column (the transformer gets a 1-D column)."""
    return isinstance(spec, str | numbers.Integral) and not isinstance(spec, bool | np.bool_)


def is_empty(spec: Any) -> bool:
    """An empty list or an all-False mask (scikit-learn skips such a transformer)."""
    if hasattr(spec, "dtype") and isinstance(spec.dtype, np.dtype) and spec.dtype == bool:
        return not np.any(spec)
    if hasattr(spec, "__len__") and not isinstance(spec, str):
        return len(spec) == 0 or (
            all(isinstance(c, bool | np.bool_) for c in spec) and not any(spec)
        )
    return False


def key_type(spec: Any) -> str:
    """ "int", "str" or "bool": the kind of a column specification (for the remainder's)."""
    if isinstance(spec, slice):
        ends = [e for e in (spec.start, spec.stop) if e is not None]
        return "str" if ends and all(isinstance(e, str) for e in ends) else "int"
    if is_scalar(spec):
        return "str" if isinstance(spec, str) else "int"
    items = list(np.asarray(spec, dtype=object).ravel()) if hasattr(spec, "__len__") else []
    if items and all(isinstance(c, bool | np.bool_) for c in items):
        return "bool"
    if items and all(isinstance(c, str) for c in items):
        return "str"
    return "int"


def _position(label: Any, labels: list | None) -> int:
    if labels is None:
        raise ValueError("Specifying the columns using strings is only supported for dataframes.")
    try:
        return labels.index(label)
    except ValueError:
        raise ValueError(
            f"A given column is not a column of the dataframe: {label!r} (columns: {labels})."
        ) from None


def _checked_int(i: Any, n_features: int) -> int:
    i = int(i)
    if not -n_features <= i < n_features:
        raise ValueError(f"Column index {i} is out of bounds for {n_features} columns.")
    return i % n_features


def column_indices(spec: Any, n_features: int, labels: list | None) -> list[int]:
    """Positions of the columns a (resolved) specification selects.

    Parameters
    ----------
    spec : int, str, slice, array-like of int/str/bool
        As a ColumnTransformer's column specification (callables already called).
    n_features : int
    labels : list or None
        The DataFrame's column labels (None for arrays: strings are refused).
    """
    if is_empty(spec):
        return []
    if is_scalar(spec):
        if isinstance(spec, str):
            return [_position(spec, labels)]
        return [_checked_int(spec, n_features)]
    if isinstance(spec, slice):
        if key_type(spec) == "str":
            start = 0 if spec.start is None else _position(spec.start, labels)
            stop = n_features if spec.stop is None else _position(spec.stop, labels) + 1
            return list(range(n_features))[start : stop : spec.step]
        return list(range(n_features))[spec]
    items = list(np.asarray(list(spec) if not hasattr(spec, "dtype") else spec).ravel())
    kind = key_type(items)
    if kind == "bool":
        if len(items) != n_features:
            raise ValueError(
                f"A boolean column mask has {len(items)} entries for {n_features} columns."
            )
        return [int(i) for i in np.flatnonzero(np.asarray(items, dtype=bool))]
    if kind == "str":
        return [_position(c, labels) for c in items]
    if not all(isinstance(c, numbers.Integral) for c in items):
        raise ValueError(_BAD_SPEC)
    return [_checked_int(c, n_features) for c in items]


def select(X: Any, positions: Sequence[int], scalar: bool) -> Any:
    """The columns at ``positions`` of X (1-D for a scalar specification): NumPy, scipy.sparse,
    pandas, dask array or dask DataFrame (by label, so that dask can project the columns)."""
    if hasattr(X, "iloc") and hasattr(X, "npartitions"):
        labels = [X.columns[i] for i in positions]
        return X[labels[0]] if scalar else X[labels]
    if hasattr(X, "iloc"):
        return X.iloc[:, positions[0]] if scalar else X.iloc[:, list(positions)]
    if scalar:
        out = X[:, positions[0]]
        return out.toarray().ravel() if sp.issparse(out) else out
    return X[:, list(positions)]


def as_2d(out: Any, name: str) -> Any:
    """A transformer's output, refused unless 2-D (scikit-learn's check)."""
    if isinstance(out, pd.DataFrame) or getattr(out, "ndim", 0) == 2:
        return out
    raise ValueError(
        f"The output of the '{name}' transformer should be 2D (numpy array, scipy sparse array, "
        "dataframe)."
    )


def transform_pieces(block: Any, plan: list[tuple]) -> list[Any]:
    """Every fitted transformer of ``plan`` on its columns of one block.

    ``plan``: (name, fitted transformer, positions, scalar, weight) per output piece.
    """
    pieces = []
    for name, trans, positions, scalar, weight in plan:
        out = as_2d(trans.transform(select(block, positions, scalar)), name)
        pieces.append(out if weight is None else out * weight)
    return pieces


def nnz(piece: Any) -> int:
    """Stored entries of a sparse piece, all entries of a dense one (scikit-learn's density)."""
    return int(piece.nnz) if sp.issparse(piece) else int(piece.shape[0] * piece.shape[1])


def stack_sparse(pieces: list[Any]) -> sp.csr_matrix:
    """Pieces side by side as one CSR matrix (numeric columns only)."""
    try:
        converted = [check_array(p, accept_sparse=True, ensure_all_finite=False) for p in pieces]
    except ValueError as err:
        raise ValueError(
            "For a sparse output, all columns should be a numeric or convertible to a numeric."
        ) from err
    return sp.hstack(converted).tocsr()


def as_frame(piece: Any, index: pd.Index) -> pd.DataFrame:
    """A dense piece as a DataFrame on ``index`` (column labels are replaced by the caller)."""
    if sp.issparse(piece):
        piece = piece.toarray()
    if isinstance(piece, pd.DataFrame):
        return piece.set_axis(index, axis=0)
    return pd.DataFrame(np.asarray(piece), index=index)


def stack_frames(pieces: list[Any], index: pd.Index, columns: Sequence[Any]) -> pd.DataFrame:
    """Dense pieces side by side as one DataFrame, each column keeping its dtype."""
    frames = [as_frame(p, index) for p in pieces]
    if not frames:
        return pd.DataFrame(index=index, columns=list(columns))
    out = pd.concat(frames, axis=1, ignore_index=True)
    return out.set_axis(list(columns), axis=1)


def dense(piece: Any) -> np.ndarray:
    return piece.toarray() if sp.issparse(piece) else np.asarray(piece)


def transform_block(block: Any, plan: list[tuple], kind: str, meta: Any) -> Any:
    """The ColumnTransformer's output for one block of a dask collection.

    ``kind``: ``"sparse"`` (a CSR block), ``"array"`` (NumPy of ``meta``'s dtype) or
    ``"frame"`` (a DataFrame with ``meta``'s dtypes, on the block's index).
    """
    pieces = transform_pieces(block, plan)
    if kind == "sparse":
        return stack_sparse(pieces)
    if kind == "array":
        if not pieces:
            return np.empty((len(block), 0), dtype=meta.dtype)
        return np.hstack([dense(p) for p in pieces]).astype(meta.dtype, copy=False)
    out = stack_frames(pieces, block.index, meta.columns)
    dtypes = meta.dtypes
    if not out.dtypes.equals(dtypes):
        out = out.astype(dtypes.to_dict())
    return out


def density_rows(block: Any, plan: list[tuple]) -> np.ndarray:
    """Per row of one block: (stored entries of the output, 1); summed, they give the density
    and the number of rows."""
    pieces = transform_pieces(block, plan)
    counts = np.zeros(len(block), dtype=np.float64)
    for p in pieces:
        if sp.issparse(p):
            counts += np.diff(sp.csr_matrix(p).indptr)
        else:
            counts += p.shape[1]
    return np.column_stack([counts, np.ones(len(block))])
