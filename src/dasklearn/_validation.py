"""Input validation shared by every dasklearn estimator.

One place turns what a user hands us (NumPy, pandas, dask array, dask dataframe or series) into what
the algorithms work on:

* an in-memory ``numpy.ndarray`` for NumPy and pandas input, or
* a ``dask.array.Array`` with *known* row chunks and one chunk along the columns, for dask input.

Every problem we can see is raised here, before any long work starts: wrong number of dimensions,
X and y of different lengths, X and y blocks that do not line up, non-numeric columns, NaN or inf,
unknown chunk sizes that cannot be resolved, complex numbers, sparse matrices, an unfitted
estimator. The wording follows scikit-learn's where its estimator checks look for it ("Reshape
your data", "0 sample(s) (shape=...)", "Complex data not supported", the column-vector y warning).

Checks that need to read dask data (finite values, unknown chunk lengths) are fused into a single
cheap pass over the blocks.
"""

from __future__ import annotations

import numbers
import uuid
import warnings
from typing import Any, Literal

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted as _sk_check_is_fitted

__all__ = [
    "InputKind",
    "NotFittedError",
    "as_dask_array",
    "check_array",
    "check_consistent_blocks",
    "check_features",
    "check_is_fitted",
    "check_X_y",
    "input_kind",
    "is_dask_input",
    "validate_data",
]

InputKind = Literal["numpy", "pandas", "dask_array", "dask_dataframe", "other"]
FiniteMode = bool | Literal["allow-nan"]


def input_kind(X: Any) -> InputKind:
    """Name the container kind of ``X``: numpy, pandas, dask_array, dask_dataframe or other."""
    if isinstance(X, da.Array):
        return "dask_array"
    if isinstance(X, dd.DataFrame | dd.Series):
        return "dask_dataframe"
    if isinstance(X, pd.DataFrame | pd.Series):
        return "pandas"
    if isinstance(X, np.ndarray):
        return "numpy"
    return "other"


def is_dask_input(X: Any) -> bool:
    """True for dask arrays, dataframes and series."""
    return input_kind(X) in ("dask_array", "dask_dataframe")


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
    """The dtype to cast to, or None to keep ``dtype``."""
    if requested is None:
        return None
    if dtype.kind == "c":
        raise ValueError(f"Complex data not supported: got dtype {dtype}.")
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


def _block_summary(block: Any, check_finite: bool, allow_nan: bool) -> np.ndarray:
    """(rows, finite?) for one block; cheap, runs on the workers."""
    n = len(block)
    ok = True
    if check_finite and n:
        values = block.to_numpy(dtype=np.float64) if hasattr(block, "to_numpy") else block
        if values.dtype.kind in "fc":
            ok = bool(np.isfinite(values).all()) if not allow_nan else not np.isinf(values).any()
    return np.array([[n, ok]], dtype=np.int64)


def _summarise_blocks(
    X: da.Array | dd.DataFrame | dd.Series, check_finite: bool, allow_nan: bool
) -> Any:
    """A lazy (n_blocks, 2) array of per-block row counts and finiteness."""
    if isinstance(X, da.Array):
        blocks = X if X.ndim == 1 or X.numblocks[1] == 1 else X.rechunk({1: -1})
        n_blocks = blocks.numblocks[0]
        return da.map_blocks(
            _block_summary,
            blocks,
            check_finite,
            allow_nan,
            dtype=np.int64,
            chunks=((1,) * n_blocks, (2,)),
            new_axis=(1,) if blocks.ndim == 1 else (),
            meta=np.empty((0, 2), dtype=np.int64),
        )
    return X.map_partitions(
        lambda part: pd.DataFrame(
            _block_summary(part, check_finite, allow_nan), columns=["n", "ok"]
        ),
        meta=pd.DataFrame({"n": np.array([], dtype=np.int64), "ok": np.array([], dtype=np.int64)}),
    )


def _metadata_lengths(X: dd.DataFrame | dd.Series) -> tuple[int, ...] | None:
    """Partition lengths a dask dataframe knows without reading its data, else None.

    dask-expr answers ``Lengths`` from metadata for parquet (row counts in the file footers) and
    for frames made from pandas; anything else (a filter, a CSV file) would need a pass.
    """
    try:
        from dask.dataframe.dask_expr._expr import Lengths, Literal

        expr = Lengths(X.expr).optimize()
    except Exception:  # another dask version: fall back to counting the rows
        return None
    if not isinstance(expr, Literal) or len(expr.value) != X.npartitions:
        return None
    return tuple(int(n) for n in expr.value)


def _resolve_blocks(X, check_finite: bool, allow_nan: bool, what: str):
    """Return (lengths, all_finite) for the blocks of a dask collection with one compute.

    Skips the pass entirely when no finiteness check is wanted and the lengths are known: the
    chunks of a dask array, or the metadata of a parquet-backed dataframe.
    """
    known = isinstance(X, da.Array) and not np.isnan(X.shape[0])
    if known and not check_finite:
        return X.chunks[0], True
    if not check_finite and isinstance(X, dd.DataFrame | dd.Series):
        lengths = _metadata_lengths(X)
        if lengths is not None:
            return lengths, True
    (summary,) = dask.compute(_summarise_blocks(X, check_finite, allow_nan))
    summary = np.asarray(summary).reshape(-1, 2)
    lengths = tuple(int(n) for n in summary[:, 0])
    if check_finite and not summary[:, 1].all():
        bad = "infinity" if allow_nan else "NaN or infinity"
        raise ValueError(f"Input {what} contains {bad}; drop or impute those values first.")
    return lengths, True


def _with_chunks(X: da.Array, row_chunks: tuple[int, ...]) -> da.Array:
    if X.chunks[0] == row_chunks:
        return X
    chunks = (row_chunks,) + X.chunks[1:]
    return da.Array(X.dask, X.name, chunks, meta=X._meta)


def _numpy_dtype(dtype: Any) -> Any:
    """The NumPy dtype a pandas (possibly extension) dtype should become."""
    if isinstance(dtype, np.dtype):
        return dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return np.float64  # nullable Int64/Float64/boolean: missing values become NaN
    return object


def _dask_frame_to_array(X: dd.DataFrame | dd.Series, lengths: tuple[int, ...]) -> da.Array:
    if isinstance(X, dd.Series):
        if not isinstance(X.dtype, np.dtype):
            X = X.astype(_numpy_dtype(X.dtype))
    elif not all(isinstance(d, np.dtype) for d in X.dtypes):
        X = X.astype({c: _numpy_dtype(d) for c, d in X.dtypes.items()})
    return X.to_dask_array(lengths=list(lengths))


# --------------------------------------------------------------------------------------------
# public checks
# --------------------------------------------------------------------------------------------


def check_array(
    X: Any,
    *,
    dtype: Any = "numeric",
    ensure_2d: bool = True,
    ensure_all_finite: FiniteMode = True,
    ensure_min_samples: int = 1,
    ensure_min_features: int = 1,
    what: str = "X",
) -> np.ndarray | da.Array:
    """Validate ``X`` and normalise it to a NumPy array or a dask array with known chunks.

    Parameters
    ----------
    X : array-like, pandas or dask collection
        The input. Dask dataframes must have numeric columns.
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

    Returns
    -------
    numpy.ndarray or dask.array.Array
        Dask arrays come back with known row chunks and one chunk along the columns.
    """
    if sp.issparse(X) or isinstance(getattr(X, "_meta", None), sp.spmatrix | sp.sparray):
        raise TypeError(
            f"Sparse input is not supported: {what} is a {type(X).__name__}. "
            "Pass a dense array (X.toarray() for SciPy sparse data)."
        )
    kind = input_kind(X)
    if kind == "other":
        if hasattr(X, "__dask_graph__"):
            raise TypeError(f"Unsupported dask collection for {what}: {type(X).__name__}")
        X = np.asarray(X)
        kind = "numpy"
    if isinstance(X, pd.DataFrame | dd.DataFrame) and dtype is not None:
        _check_frame_numeric(X)
        if X.dtypes.nunique() > 1:  # mixed columns would otherwise become an object array
            X = X.astype(np.float64)

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
                stacklevel=3,
            )
            X = X[:, 0] if kind in ("numpy", "dask_array") else X.iloc[:, 0]
        else:
            raise ValueError(
                f"Expected a 1-dimensional {what}, got {ndim} dimension(s) with shape {X.shape}."
            )

    check_finite = bool(ensure_all_finite)
    allow_nan = ensure_all_finite == "allow-nan"

    if kind in ("numpy", "pandas"):
        X = X.to_numpy() if kind == "pandas" else X
        if X.dtype == object and dtype is not None:
            try:
                X = X.astype(np.float64)
            except (TypeError, ValueError) as err:
                raise type(err)(f"{what} holds non-numeric values: {err}") from None
        target = _target_dtype(X.dtype, dtype)
        if target is not None:
            X = X.astype(target)
        if check_finite and X.dtype.kind in "fc":
            bad = np.isinf(X).any() if allow_nan else not np.isfinite(X).all()
            if bad:
                raise ValueError(f"Input {what} contains NaN or infinity; drop or impute first.")
    else:
        if dtype is not None and isinstance(X, da.Array | dd.Series):
            if not (pd.api.types.is_numeric_dtype(X.dtype) or pd.api.types.is_bool_dtype(X.dtype)):
                raise ValueError(f"{what} has dtype {X.dtype} where numbers are needed.")
            _target_dtype(np.dtype(X.dtype), dtype)  # complex or unsupported: before any pass
        lengths, _ = _resolve_blocks(X, check_finite and dtype is not None, allow_nan, what)
        X = (
            _with_chunks(X, lengths)
            if isinstance(X, da.Array)
            else _dask_frame_to_array(X, lengths)
        )
        if X.ndim == 2 and X.numblocks[1] != 1:
            X = X.rechunk({1: -1})
        target = _target_dtype(np.dtype(X.dtype), dtype)
        if target is not None:
            X = X.astype(target)

    n_samples = X.shape[0]
    if n_samples < ensure_min_samples:
        raise ValueError(
            f"Found {what} with {n_samples} sample(s) (shape={X.shape}) while a minimum of "
            f"{ensure_min_samples} is required."
        )
    if ensure_2d and X.shape[1] < ensure_min_features:
        raise ValueError(
            f"Found {what} with {X.shape[1]} feature(s) (shape={X.shape}) while a minimum of "
            f"{ensure_min_features} is required."
        )
    return X


def check_consistent_blocks(X: Any, y: Any) -> None:
    """Raise when X and y differ in length or, for dask arrays, in row blocks."""
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X and y have different numbers of rows: X has {X.shape[0]}, y has {y.shape[0]}."
        )
    if isinstance(X, da.Array) and isinstance(y, da.Array) and X.chunks[0] != y.chunks[0]:
        raise ValueError(
            "The row blocks of X and y do not line up: X has row chunks "
            f"{_short(X.chunks[0])} and y has {_short(y.chunks[0])}. "
            "Rechunk one to match the other, e.g. y = y.rechunk(X.chunks[0])."
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
) -> tuple[np.ndarray | da.Array, np.ndarray | da.Array]:
    """Validate X and y together.

    NumPy/pandas y beside dask X is split into X's row blocks; dask y beside in-memory X makes
    X a dask array with y's row blocks, so both come back as the same kind.
    """
    if y is None:
        raise ValueError("This estimator requires y to be passed, but the target y is None.")
    X = check_array(
        X, dtype=dtype, ensure_all_finite=ensure_all_finite, ensure_min_samples=ensure_min_samples
    )
    y = check_array(
        y,
        dtype="numeric" if y_numeric else None,
        ensure_2d=multi_output,
        ensure_all_finite=ensure_all_finite if y_numeric else False,
        ensure_min_samples=ensure_min_samples,
        what="y",
    )
    if multi_output and y.ndim == 1:
        y = y[:, None]
    if isinstance(X, da.Array) and not isinstance(y, da.Array):
        check_consistent_blocks(X, y)
        y = da.from_array(y, chunks=(X.chunks[0],) + y.shape[1:])
    elif isinstance(y, da.Array) and not isinstance(X, da.Array):
        check_consistent_blocks(X, y)
        X = da.from_array(X, chunks=(y.chunks[0], X.shape[1]))
    check_consistent_blocks(X, y)
    return X, y


def as_dask_array(X: np.ndarray | da.Array, chunks: Any = "auto") -> da.Array:
    """A dask array view of validated input: dask arrays pass through, NumPy is split by rows.

    NumPy input is not copied: every block of the graph is a view of ``X`` (``da.from_array``
    copies its input since dask 2025), under a unique name. Don't modify ``X`` while the result
    is in use. On a distributed client the views travel to the workers when the array is
    persisted or computed.

    Parameters
    ----------
    X : numpy.ndarray or dask.array.Array
    chunks : "auto", int or tuple of int
        Rows per block (``"auto"``: about 64 MiB per block), or the row lengths of the blocks.
    """
    if isinstance(X, da.Array):
        return X
    X = np.asarray(X)
    n = len(X)
    if isinstance(chunks, tuple | list):
        row_chunks = tuple(int(c) for c in chunks)
        if sum(row_chunks) != n:
            raise ValueError(f"Row chunks {_short(row_chunks)} do not add up to {n} rows.")
    else:
        rows = max(1, min(n, _auto_rows(X))) if chunks == "auto" else max(1, int(chunks))
        row_chunks = (rows,) * (n // rows) + ((n % rows,) if n % rows or n == 0 else ())
    name = f"numpy-view-{uuid.uuid4().hex}"
    starts = np.concatenate([[0], np.cumsum(row_chunks)]).astype(int)
    tail = (0,) * (X.ndim - 1)
    graph = {(name, i, *tail): X[starts[i] : starts[i + 1]] for i in range(len(row_chunks))}
    chunks_all = (row_chunks,) + tuple((s,) for s in X.shape[1:])
    return da.Array(graph, name, chunks_all, meta=X[:0])


def _auto_rows(X: np.ndarray) -> int:
    target = 64 * 2**20
    row_bytes = max(1, X.itemsize * int(np.prod(X.shape[1:], dtype=np.int64)))
    return max(1, target // row_bytes)


def validate_data(
    estimator: Any,
    X: Any,
    y: Any = None,
    *,
    reset: bool = True,
    **check_params: Any,
) -> Any:
    """Validate input for ``estimator``; record or check ``n_features_in_``, ``feature_names_in_``.

    Call with ``reset=True`` in ``fit`` and ``reset=False`` in post-fit methods.
    Returns X, or (X, y) when y is given.
    """
    names = _feature_names(X)
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
