"""Input validation of an estimator's call as a whole, on top of one input's checks.

One input is checked and normalised by :func:`dasklearn._array_checks.check_array`; this module
checks what goes with it and what an estimator keeps of it:

* ``check_X_y``: X and y together, returned as the same kind (both in memory, or dask arrays in
  the same row blocks), or a kept DataFrame X with its target aligned by rows or partitions;
* ``check_sample_weight`` and ``check_weight_values``: per-row weights, as an array like X;
* ``validate_data``: what ``fit`` records of its input (``n_features_in_``, ``feature_names_in_``)
  and what later calls are checked against (``check_features`` from metadata only), and
  ``check_is_fitted``;
* ``check_random_state_int``: a fixed seed from any ``random_state``.

Every problem we can see is raised here, before any long work starts: X and y of different
lengths, X and y blocks that do not line up, negative or all-zero weights, features other than
those seen in fit, an unfitted estimator. The input-kind helpers of :mod:`dasklearn._chunks`
(``input_kind``, ``is_dask_input``, ``as_dask_array``) are importable from here too.

Dask dataframes handed in together (X, y, sample weights) are optimised together, so that they
keep the same partitions (a column projection alone can make dask merge the partitions of a
parquet dataset) and share one read per block.
"""

from __future__ import annotations

import numbers
from typing import Any, Literal

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted as _sk_check_is_fitted

from ._array_checks import FiniteMode, _check_frame_numeric, _check_size, check_array
from ._chunks import (
    InputKind,
    as_dask_array,
    frames_to_arrays,
    input_kind,
    is_dask_input,
    is_frame,
    resolve_chunks,
    row_shape,
)

__all__ = [
    "InputKind",
    "NotFittedError",
    "as_dask_array",
    "check_consistent_blocks",
    "check_features",
    "check_is_fitted",
    "check_X_y",
    "input_kind",
    "is_dask_input",
    "validate_data",
]


def check_is_fitted(estimator: Any, attributes: str | list[str] | None = None) -> None:
    """Raise :class:`sklearn.exceptions.NotFittedError` when ``estimator`` has not been fitted."""
    _sk_check_is_fitted(estimator, attributes)


def _feature_names(X: Any) -> np.ndarray | None:
    if isinstance(X, pd.DataFrame | dd.DataFrame):
        names = [str(c) for c in X.columns]
        if all(isinstance(c, str) for c in X.columns):
            return np.asarray(names, dtype=object)
    return None


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
    if not hasattr(X, "ndim"):  # not hasattr(X, "shape"): a dask DataFrame's costs ~1.5 ms
        X = np.asarray(X)
    if X.ndim == 2:
        _check_fitted_features(estimator, row_shape(X)[0], _feature_names(X))


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
