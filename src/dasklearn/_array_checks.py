"""check_array: one input, checked and made what the algorithms work on.

What a user hands us (NumPy, pandas, dask array, dask dataframe or series) becomes:

* an in-memory ``numpy.ndarray`` for NumPy and pandas input, or
* a ``dask.array.Array`` with one chunk along the columns for dask input (with known row chunks
  unless the caller takes unknown ones, as the pass runner of :mod:`dasklearn._passes` does);
* or, where the caller asks for it (``keep_frame``), the dataframe itself, pandas or dask, with
  its categorical, string and datetime columns as they are; scipy.sparse matrices and dask
  arrays of sparse blocks where the caller passes ``accept_sparse``.

Every problem one input can show is raised here, before any long work starts: wrong number of
dimensions, too few rows or columns, non-numeric columns, NaN or inf, unknown chunk sizes that
cannot be resolved, complex numbers, sparse matrices. The wording follows scikit-learn's where
its estimator checks look for it ("Reshape your data", "0 sample(s) (shape=...)", "Complex data
not supported", the column-vector y warning).

Checks that need to read dask data (finite values, unknown chunk lengths) are fused into a single
cheap pass over the blocks. X with y, sample weights and the features an estimator records are
checked on top of this, in :mod:`dasklearn._validation`.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any, Literal

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.exceptions import DataConversionWarning

from ._chunks import frame_to_array, input_kind, resolve_chunks, row_shape, rows_only

__all__ = ["FiniteMode", "all_finite_values", "check_array", "check_n_samples"]

FiniteMode = bool | Literal["allow-nan"]


# --------------------------------------------------------------------------------------------
# dtypes and column checks (metadata only: free for dask collections)
# --------------------------------------------------------------------------------------------


def _non_numeric_columns(dtypes: pd.Series) -> list[str]:
    return [
        str(name)
        for name, dtype in dtypes.items()
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))
    ]


def _check_frame_numeric(frame: pd.DataFrame | dd.DataFrame) -> None:
    bad = _non_numeric_columns(frame.dtypes)
    if bad:
        raise ValueError(
            f"Non-numeric columns {bad} where numbers are needed; encode them first "
            "(for example with dasklearn.preprocessing or pandas.get_dummies)."
        )


def _target_dtype(dtype: np.dtype, requested: Any) -> np.dtype | None:
    """The dtype to cast to, or None to keep ``dtype``. Complex data is refused whatever is
    requested (scikit-learn's rule)."""
    if dtype.kind == "c":
        raise ValueError(f"Complex data not supported: got dtype {dtype}.")
    if requested is None:
        return None
    if dtype.kind in "USMm":  # as dask input is refused: the same answer for every kind
        raise ValueError(
            f"Expected numeric data, got dtype {dtype}; strings, dates and times are not read "
            "as numbers: convert or encode them first."
        )
    if requested == "numeric":
        if dtype.kind == "f":
            return None
        if dtype.kind in "biu":
            return np.dtype(np.float64)
        raise ValueError(
            f"Expected numeric data, got dtype {dtype}; encode non-numeric values first."
        )
    if isinstance(requested, list | tuple):
        options = [np.dtype(d) for d in requested]
        return None if dtype in options else options[0]
    requested = np.dtype(requested)
    return None if dtype == requested else requested


# --------------------------------------------------------------------------------------------
# dask: make chunks known and check values, in one pass
# --------------------------------------------------------------------------------------------


def _is_sparse(X: Any) -> bool:
    return sp.issparse(X) or isinstance(getattr(X, "_meta", None), sp.spmatrix | sp.sparray)


def _check_ndim(X: Any, kind: str, ensure_2d: bool, what: str) -> Any:
    ndim = X.ndim
    if ensure_2d and ndim != 2:
        hint = (
            " Reshape your data with X.reshape(-1, 1) if it has a single feature, or"
            " X.reshape(1, -1) if it is a single sample."
            if ndim == 1
            else ""
        )
        raise ValueError(f"Expected a 2-dimensional {what}, got {ndim} dimension(s).{hint}")
    if not ensure_2d and ndim != 1:
        if ndim == 2 and X.shape[1] == 1:
            warnings.warn(
                f"A column-vector {what} was passed when a 1d array was expected. Please change "
                f"the shape of {what} to (n_samples,), for example using ravel().",
                DataConversionWarning,
                stacklevel=4,
            )
            return X[:, 0] if kind in ("numpy", "dask_array") else X.iloc[:, 0]
        raise ValueError(
            f"Expected a 1-dimensional {what}, got {ndim} dimension(s) with shape {X.shape}."
        )
    return X


def _check_size(X: Any, ensure_2d: bool, min_samples: int, min_features: int, what: str) -> None:
    n_samples = X.shape[0]
    known = isinstance(n_samples, numbers.Integral) or (
        isinstance(n_samples, float) and not np.isnan(n_samples)
    )
    if not known:  # a dask dataframe's length is a lazy scalar: not read here
        n_samples = np.nan
    width = row_shape(X)[0] if X.ndim > 1 else 1
    shape = (n_samples, width) if X.ndim > 1 else (n_samples,)
    if known:
        check_n_samples(int(n_samples), min_samples, what, shape)
    if ensure_2d and width < min_features:
        raise ValueError(
            f"Found {what} with {width} feature(s) (shape={shape}) while a minimum of "
            f"{min_features} is required."
        )


def check_n_samples(
    n_samples: int, minimum: int = 1, what: str = "X", shape: tuple | None = None
) -> None:
    """Raise scikit-learn's error for too few rows: here for input of known length, and in the
    first pass of an estimator over dask input whose length was unknown (an empty dask
    dataframe is only seen to be empty when it is read)."""
    if n_samples < minimum:
        shape = (n_samples,) if shape is None else shape
        raise ValueError(
            f"Found {what} with {n_samples} sample(s) (shape={shape}) while a minimum of "
            f"{minimum} is required."
        )


def _check_in_memory(X: Any, dtype: Any, check_finite: bool, allow_nan: bool, what: str) -> Any:
    if sp.issparse(X):
        X = X.tocsr()
        values = X.data
    else:
        X = X.to_numpy() if isinstance(X, pd.DataFrame | pd.Series) else X
        if X.dtype == object and dtype is not None:
            try:
                X = X.astype(np.float64)
            except (TypeError, ValueError) as err:
                raise type(err)(f"{what} holds non-numeric values: {err}") from None
        values = X
    target = _target_dtype(X.dtype, dtype)
    if target is not None:
        X = X.astype(target)
        values = X.data if sp.issparse(X) else X
    if check_finite and values.dtype.kind in "fc" and not all_finite_values(values, allow_nan):
        raise ValueError(f"Input {what} contains NaN or infinity; drop or impute first.")
    return X


def all_finite_values(values: np.ndarray, allow_nan: bool) -> bool:
    """No infinity (and no NaN unless allowed). A sum first, as scikit-learn: it is finite for
    finite data and costs no X-sized temporary; only a non-finite sum is looked at closely (it
    may also overflow on huge finite values)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(values.sum()):
            return True
    return bool(not np.isinf(values).any()) if allow_nan else bool(np.isfinite(values).all())


def check_array(
    X: Any,
    *,
    dtype: Any = "numeric",
    ensure_2d: bool = True,
    ensure_all_finite: FiniteMode = True,
    ensure_min_samples: int = 1,
    ensure_min_features: int = 1,
    what: str = "X",
    known_chunks: bool = True,
    accept_sparse: bool = False,
    keep_frame: bool = False,
    aligned_with: Any = None,
) -> Any:
    """Validate ``X`` and normalise it to a NumPy array or a dask array (or keep its frame).

    Parameters
    ----------
    X : array-like, pandas or dask collection
        The input. Dask dataframes must have numeric columns unless ``keep_frame``.
    dtype : "numeric", dtype, list of dtypes or None
        ``"numeric"`` keeps float32/float64 and casts integers and booleans to float64.
        ``None`` keeps whatever dtype the data has (object/string labels included).
    ensure_2d : bool
        Require exactly two dimensions (``X``); when False, require exactly one (``y``).
    ensure_all_finite : bool or "allow-nan"
        Reject NaN and infinity (True), only infinity ("allow-nan") or nothing (False).
        For dask input this reads every block once, fused with finding unknown chunk sizes.
    ensure_min_samples, ensure_min_features : int
        Minimum number of rows and columns.
    what : str
        Name used in error messages.
    known_chunks : bool
        Find unknown row chunk lengths of dask input (one cheap pass, fused with the finite
        check). False leaves them unknown (NaN) for a caller that learns them later.
    accept_sparse : bool
        Keep scipy.sparse input (as CSR) and dask arrays of sparse blocks; refused otherwise.
    keep_frame : bool
        Return pandas and dask DataFrames as they are, whatever their column dtypes (an
        estimator that encodes categorical, string or datetime columns itself).

    Returns
    -------
    numpy.ndarray, scipy.sparse matrix, dask.array.Array, or the DataFrame itself
        Dask arrays come back with one chunk along the columns.
    """
    if _is_sparse(X) and not accept_sparse:
        raise TypeError(
            f"Sparse input is not supported: {what} is a {type(X).__name__}. "
            "Pass a dense array (X.toarray() for SciPy sparse data)."
        )
    kind = input_kind(X)
    if kind == "other" and not sp.issparse(X):
        if hasattr(X, "__dask_graph__"):
            raise TypeError(f"Unsupported dask collection for {what}: {type(X).__name__}")
        X = np.asarray(X)
        kind = "numpy"
    if keep_frame and isinstance(X, pd.DataFrame | dd.DataFrame):
        _check_size(X, True, ensure_min_samples if kind == "pandas" else 0, 1, what)
        return X
    if isinstance(X, pd.DataFrame | dd.DataFrame) and dtype is not None:
        _check_frame_numeric(X)
        if X.dtypes.nunique() > 1:  # mixed columns would otherwise become an object array
            X = X.astype(np.float64)

    X = _check_ndim(X, kind, ensure_2d, what)
    check_finite = bool(ensure_all_finite) and dtype is not None
    allow_nan = ensure_all_finite == "allow-nan"
    if kind in ("numpy", "pandas", "other"):
        X = _check_in_memory(X, dtype, check_finite, allow_nan, what)
    else:
        X = _dask_to_array(X, dtype, check_finite, allow_nan, known_chunks, what)
    _check_size(X, ensure_2d, ensure_min_samples, ensure_min_features, what)
    return X


def _dask_to_array(
    X: Any,
    dtype: Any,
    check_finite: bool,
    allow_nan: bool,
    known_chunks: bool,
    what: str,
) -> da.Array:
    """A validated dask array of a dask array, dataframe or series (columns in one block)."""
    if dtype is not None and isinstance(X, da.Array | dd.Series):
        if not (pd.api.types.is_numeric_dtype(X.dtype) or pd.api.types.is_bool_dtype(X.dtype)):
            raise ValueError(f"{what} has dtype {X.dtype} where numbers are needed.")
        _target_dtype(np.dtype(X.dtype), dtype)  # complex or unsupported: before any pass
    if not isinstance(X, da.Array):
        X = frame_to_array(X)
    X = rows_only(X)
    if known_chunks or check_finite:
        (X,) = resolve_chunks([X], [(check_finite, allow_nan)], [what])
    target = _target_dtype(np.dtype(X.dtype), dtype)
    return X if target is None else X.astype(target)
