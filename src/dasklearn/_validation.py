"""Input validation shared by every dasklearn estimator.

One place turns what a user hands us (NumPy, pandas, dask array, dask dataframe or series) into what
the algorithms work on:

* an in-memory ``numpy.ndarray`` for NumPy and pandas input, or
* a ``dask.array.Array`` with one chunk along the columns for dask input (with known row chunks
  unless the caller takes unknown ones, as the pass runner of :mod:`dasklearn._passes` does);
* or, for an estimator that declares it (``accept="frame"``), the dataframe itself, pandas or
  dask, with its categorical, string and datetime columns as they are; scipy.sparse matrices
  and dask arrays of sparse blocks where an estimator declares ``accept_sparse``.

Every problem we can see is raised here, before any long work starts: wrong number of dimensions,
X and y of different lengths, X and y blocks that do not line up, non-numeric columns, NaN or inf,
unknown chunk sizes that cannot be resolved, complex numbers, sparse matrices, an unfitted
estimator. The wording follows scikit-learn's where its estimator checks look for it ("Reshape
your data", "0 sample(s) (shape=...)", "Complex data not supported", the column-vector y warning).

Checks that need to read dask data (finite values, unknown chunk lengths) are fused into a single
cheap pass over the blocks. Dask dataframes handed in together (X, y, sample weights) are
optimised together, so that they keep the same partitions (a column projection alone can make
dask merge the partitions of a parquet dataset) and share one read per block.
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
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted as _sk_check_is_fitted

from ._chunks import (
    InputKind,
    as_dask_array,
    frame_to_array,
    frames_to_arrays,
    input_kind,
    is_dask_input,
    is_frame,
    resolve_chunks,
    rows_only,
)

__all__ = [
    "InputKind",
    "NotFittedError",
    "as_dask_array",
    "check_array",
    "check_consistent_blocks",
    "check_features",
    "check_is_fitted",
    "check_n_samples",
    "check_X_y",
    "input_kind",
    "is_dask_input",
    "validate_data",
]

FiniteMode = bool | Literal["allow-nan"]


def check_is_fitted(estimator: Any, attributes: str | list[str] | None = None) -> None:
    """Raise :class:`sklearn.exceptions.NotFittedError` when ``estimator`` has not been fitted."""
    _sk_check_is_fitted(estimator, attributes)


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


def _feature_names(X: Any) -> np.ndarray | None:
    if isinstance(X, pd.DataFrame | dd.DataFrame):
        names = [str(c) for c in X.columns]
        if all(isinstance(c, str) for c in X.columns):
            return np.asarray(names, dtype=object)
    return None


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
    width = len(X.columns) if hasattr(X, "columns") else X.shape[1] if X.ndim > 1 else 1
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


def _unknown(x: Any) -> bool:
    return isinstance(x, da.Array) and bool(np.isnan(x.shape[0]))


def check_consistent_blocks(X: Any, y: Any, what: str = "y") -> None:
    """Raise when X and ``y`` differ in length or, for dask arrays, in row blocks.

    Dask arrays whose chunk lengths are unknown are compared by their number of row blocks;
    the rows of each block pair are compared when they are first read.
    """
    both = isinstance(X, da.Array) and isinstance(y, da.Array)
    if both and X.numblocks[0] != y.numblocks[0]:
        raise ValueError(
            f"The row blocks of X and {what} do not line up: X has {X.numblocks[0]} row blocks "
            f"but {what} has {y.numblocks[0]}. Partition them alike (X = df[features], "
            f"y = df[target] from one dataframe, or {what} = {what}.rechunk(X.chunks[0]))."
        )
    if _unknown(X) or _unknown(y):
        if both:
            return
        raise ValueError(
            f"X and {what} must both be dask collections when either has unknown chunk sizes."
        )
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X and {what} have different numbers of rows: X has {X.shape[0]}, {what} has "
            f"{y.shape[0]}."
        )
    if isinstance(X, da.Array) and isinstance(y, da.Array) and X.chunks[0] != y.chunks[0]:
        raise ValueError(
            f"The row blocks of X and {what} do not line up: X has row chunks "
            f"{_short(X.chunks[0])} and {what} has {_short(y.chunks[0])}. "
            f"Rechunk one to match the other, e.g. {what} = {what}.rechunk(X.chunks[0])."
        )


def _short(chunks: tuple[int, ...]) -> str:
    return str(chunks) if len(chunks) <= 6 else f"({', '.join(map(str, chunks[:5]))}, ...)"


def check_X_y(
    X: Any,
    y: Any,
    *,
    dtype: Any = "numeric",
    y_numeric: bool = False,
    multi_output: bool = False,
    ensure_all_finite: FiniteMode = True,
    ensure_min_samples: int = 1,
    known_chunks: bool = True,
    accept_sparse: bool = False,
    keep_frame: bool = False,
) -> tuple[Any, Any]:
    """Validate X and y together.

    NumPy/pandas y beside dask X is split into X's row blocks; dask y beside in-memory X makes
    X a dask array with y's row blocks, so both come back as the same kind. Dask dataframes
    become arrays cut from the same partitions (:func:`dasklearn._chunks.frames_to_arrays`), and
    the blocks of both are read in one
    pass where their lengths or values must be checked.

    Parameters
    ----------
    X, y : array-like, pandas or dask collections
    dtype, ensure_all_finite, ensure_min_samples, known_chunks, accept_sparse
        As in :func:`check_array`, for X (``ensure_all_finite`` applies to y only when
        ``y_numeric``).
    y_numeric : bool
        y must be numbers (a regression target); otherwise any labels.
    multi_output : bool
        y may be 2-D (one column per output); 1-D y becomes one column.
    keep_frame : bool
        A DataFrame X is returned as it is (see :func:`check_array`); y keeps its container
        kind's alignment with it (same length, or same partitions for dask).

    Returns
    -------
    (X, y)
    """
    if y is None:
        raise ValueError("This estimator requires y to be passed, but the target y is None.")
    if keep_frame and isinstance(X, pd.DataFrame | dd.DataFrame):
        return _frame_and_target(X, y, y_numeric, multi_output, ensure_all_finite)
    if is_frame(X) and is_frame(y):
        X, y = _aligned_frames(X, y, dtype, y_numeric, multi_output)
    finite_y = ensure_all_finite if y_numeric else False
    X = check_array(
        X,
        dtype=dtype,
        ensure_all_finite=ensure_all_finite if not is_dask_input(X) else False,
        ensure_min_samples=ensure_min_samples,
        known_chunks=False,
        accept_sparse=accept_sparse,
    )
    y = check_array(
        y,
        dtype="numeric" if y_numeric else None,
        ensure_2d=multi_output,
        ensure_all_finite=finite_y if not is_dask_input(y) else False,
        ensure_min_samples=ensure_min_samples,
        what="y",
        known_chunks=False,
    )
    if multi_output and y.ndim == 1:
        y = y[:, None]
    lazy = [a for a in (X, y) if isinstance(a, da.Array)]
    mixed = len(lazy) == 1
    if lazy and (known_chunks or mixed or ensure_all_finite or finite_y):
        checks = [
            (bool(ensure_all_finite) and dtype is not None, ensure_all_finite == "allow-nan"),
            (bool(finite_y), finite_y == "allow-nan"),
        ]
        pairs = [(a, c, w) for a, c, w in zip((X, y), checks, ("X", "y"), strict=True)]
        pairs = [(a, c, w) for a, c, w in pairs if isinstance(a, da.Array)]
        resolved = iter(resolve_chunks(*map(list, zip(*pairs, strict=True))))
        X = next(resolved) if isinstance(X, da.Array) else X
        y = next(resolved) if isinstance(y, da.Array) else y
    if isinstance(X, da.Array) and not isinstance(y, da.Array):
        check_consistent_blocks(X, y)
        y = da.from_array(y, chunks=(X.chunks[0],) + y.shape[1:])
    elif isinstance(y, da.Array) and not isinstance(X, da.Array):
        check_consistent_blocks(X, y)
        X = da.from_array(X, chunks=(y.chunks[0], X.shape[1]))
    check_consistent_blocks(X, y)
    _check_size(X, True, ensure_min_samples, 1, "X")
    return X, y


def _aligned_frames(
    X: Any, y: Any, dtype: Any, y_numeric: bool, multi_output: bool
) -> tuple[da.Array, da.Array]:
    """Dask X and y frames as arrays cut from the same partitions (metadata checks first)."""
    if dtype is not None and isinstance(X, dd.DataFrame):
        _check_frame_numeric(X)
    if y_numeric:
        _check_frame_numeric(y.to_frame() if isinstance(y, dd.Series) else y)
    return tuple(frames_to_arrays(X, y))


def _frame_and_target(
    X: Any, y: Any, y_numeric: bool, multi_output: bool, finite: FiniteMode
) -> tuple[Any, Any]:
    """A kept DataFrame X and its validated target, aligned by rows or partitions."""
    X = check_array(X, keep_frame=True)
    y = check_array(
        y,
        dtype="numeric" if y_numeric else None,
        ensure_2d=multi_output,
        ensure_all_finite=finite if y_numeric and not is_dask_input(y) else False,
        what="y",
        known_chunks=False,
    )
    if isinstance(X, pd.DataFrame):
        if is_dask_input(y):
            y = np.asarray(y.compute())
        if len(X) != len(y):
            raise ValueError(
                f"X and y have different numbers of rows: X has {len(X)}, y has {len(y)}."
            )
        return X, y
    if not isinstance(y, da.Array) or y.numblocks[0] != X.npartitions:
        raise ValueError(
            "A dask DataFrame X needs y as a dask collection with the same partitions "
            f"(X has {X.npartitions}); build both from one dataframe."
        )
    return X, y


def check_sample_weight(
    sample_weight: Any, X: Any, *, dtype: Any = np.float64, what: str = "sample_weight"
) -> Any:
    """Validate per-row weights for X: None, a number, or one non-negative value per row.

    Returns None for no weights (or a constant 1), else an array like X: NumPy for in-memory X
    (a dask ``sample_weight`` is computed), a dask array in X's row blocks for dask X. Values
    of in-memory weights are checked here (finite, non-negative, not all zero); a dask
    estimator checks dask weights in its first pass over them.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number) and not isinstance(sample_weight, bool):
        if not np.isfinite(sample_weight) or sample_weight < 0:
            raise ValueError(f"{what} must be a finite non-negative number, got {sample_weight}.")
        if sample_weight == 1:
            return None
        n = X.shape[0]
        if isinstance(X, da.Array):
            return da.full(n, float(sample_weight), chunks=(X.chunks[0],), dtype=dtype)
        return np.full(n, float(sample_weight), dtype=dtype)
    w = check_array(
        sample_weight,
        dtype=dtype,
        ensure_2d=False,
        ensure_all_finite=not is_dask_input(sample_weight),
        known_chunks=not _unknown(X),
        what=what,
    )
    if isinstance(X, da.Array):
        if not isinstance(w, da.Array):
            if _unknown(X):
                raise ValueError(
                    f"An in-memory {what} beside dask X with unknown chunk sizes: pass {what} "
                    "as a dask collection partitioned like X."
                )
            check_consistent_blocks(X, w, what)
            w = da.from_array(w, chunks=(X.chunks[0],))
        check_consistent_blocks(X, w, what)
        return w
    if isinstance(w, da.Array):
        w = np.asarray(w.compute())
    check_consistent_blocks(X, w, what)
    check_weight_values(float(w.min()) if len(w) else 0.0, float(w.sum()), what)
    return w


def check_weight_values(low: float, total: float, what: str = "sample_weight") -> None:
    """Raise for weights that are not finite, negative somewhere, or all zero."""
    if not np.isfinite(low) or not np.isfinite(total):
        raise ValueError(f"{what} contains NaN or infinity.")
    if low < 0:
        raise ValueError(f"{what} must be non-negative; it has negative values.")
    if total <= 0:
        raise ValueError(
            f"{what} sums to zero: no row has a positive weight (the weights sum to zero)."
        )


Accept = Literal["numeric", "frame"]


def validate_data(
    estimator: Any,
    X: Any,
    y: Any = None,
    *,
    reset: bool = True,
    accept: Accept = "numeric",
    **check_params: Any,
) -> Any:
    """Validate input for ``estimator``; record or check ``n_features_in_``, ``feature_names_in_``.

    Call with ``reset=True`` in ``fit`` and ``reset=False`` in post-fit methods.

    Parameters
    ----------
    estimator : estimator
        Receives ``n_features_in_``, ``feature_names_in_`` (string column names only) and, for
        a dataframe, the private ``_feature_dtypes_in`` (column -> dtype) when ``reset``.
    X, y : input
        As in :func:`check_array` / :func:`check_X_y`.
    reset : bool
        Record the features (fit) or check them against the recorded ones (post-fit).
    accept : {"numeric", "frame"}
        What the estimator declares it works on: ``"numeric"`` turns dataframes into numeric
        arrays; ``"frame"`` returns pandas and dask DataFrames as they are (categorical,
        string and datetime columns kept) and arrays as for ``"numeric"``.
    **check_params
        Passed to :func:`check_array` or :func:`check_X_y` (``accept_sparse``, ``dtype``, ...).

    Returns
    -------
    X, or (X, y) when y is given.
    """
    if accept not in ("numeric", "frame"):
        raise ValueError(f"accept must be 'numeric' or 'frame', got {accept!r}.")
    names = _feature_names(X)
    dtypes = dict(X.dtypes) if isinstance(X, pd.DataFrame | dd.DataFrame) else None
    if accept == "frame" and isinstance(X, pd.DataFrame | dd.DataFrame):
        check_params = {**check_params, "keep_frame": True}
    if y is None:
        out = check_array(X, **check_params)
        Xv = out
    else:
        out = check_X_y(X, y, **check_params)
        Xv = out[0]
    n_features = Xv.shape[1] if Xv.ndim == 2 else 1
    if reset:
        estimator.n_features_in_ = n_features
        if names is not None:
            estimator.feature_names_in_ = names
        elif hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
        estimator._feature_dtypes_in = dtypes
    else:
        check_is_fitted(estimator, "n_features_in_")
        _check_fitted_features(estimator, n_features, names)
    return out


def _check_fitted_features(estimator: Any, n_features: int, names: np.ndarray | None) -> None:
    expected = getattr(estimator, "n_features_in_", None)
    if expected is not None and n_features != expected:
        raise ValueError(
            f"X has {n_features} features, but {type(estimator).__name__} is expecting "
            f"{expected} features as input."
        )
    fitted = getattr(estimator, "feature_names_in_", None)
    if fitted is not None and names is not None and list(fitted) != list(names):
        raise ValueError(
            "The feature names should match those that were passed during fit: "
            f"fitted with {list(fitted)}, got {list(names)}."
        )


def check_features(estimator: Any, X: Any) -> None:
    """Check the width and column names of ``X`` against a fitted estimator, reading no data.

    A metadata-only counterpart of ``validate_data(..., reset=False)`` for code that hands X on
    unchanged (meta-estimators, lazy predictions on dask dataframes with unknown lengths). Works
    for any input kind; 1-D X (text, a single column) and estimators that did not record
    ``n_features_in_`` are not checked.
    """
    if not hasattr(X, "shape"):
        X = np.asarray(X)
    if X.ndim != 2:
        return
    n_features = len(X.columns) if hasattr(X, "columns") else X.shape[1]
    _check_fitted_features(estimator, n_features, _feature_names(X))


def check_random_state_int(random_state: Any) -> int:
    """Turn ``random_state`` (None, int or RandomState/Generator) into a fixed 63-bit seed."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
    if isinstance(random_state, numbers.Integral):
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63 - 1))
    raise ValueError(f"{random_state!r} cannot be used to seed a random number generator.")
