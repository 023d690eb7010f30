"""What every generator shares: parameter checks, row chunks, and the blockwise builders."""

from __future__ import annotations

import datetime
import math
import numbers
from collections.abc import Callable
from typing import Any

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd

from .._blockwise import share, single_blas_thread, with_single_blas_thread

#: Default block size (``chunks=None``): rows of about this many bytes of float64 features.
TARGET_BLOCK_BYTES = 64 * 2**20

_GOLDEN = (math.sqrt(5) - 1) / 2


# ------------------------------------------------------------------------------------------
# parameters
# ------------------------------------------------------------------------------------------


def check_int(name: str, value: Any, low: int = 0, high: int | None = None) -> int:
    """An integer in ``[low, high]``: floats (even 100.0) and booleans are refused, as in
    scikit-learn."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__}).")
    if value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be an integer {allowed}, got {value}.")
    return int(value)


def check_real(name: str, value: Any, low: float = -math.inf, high: float = math.inf) -> float:
    """A finite real number in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__}).")
    if not (low <= value <= high) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number in [{low}, {high}], got {value}.")
    return float(value)


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def check_vector(name: str, value: Any, length: int, low: float = -math.inf) -> np.ndarray:
    """A scalar or a vector of ``length`` finite numbers ``>= low``, as a float64 vector."""
    out = np.asarray(value, dtype=np.float64)
    if out.ndim > 1 or (out.ndim == 1 and len(out) != length):
        raise ValueError(f"{name} must be a number or {length} numbers, got shape {out.shape}.")
    if not np.isfinite(out).all() or (out < low).any():
        raise ValueError(f"{name} must be finite numbers >= {low}, got {value!r}.")
    return np.broadcast_to(out, (length,)).copy()


def spread_stride(n: int) -> int:
    """A stride coprime with ``n`` near ``n / golden ratio``: ``i -> (i * stride) % n`` is a
    permutation of ``range(n)`` that spreads any run of consecutive ``i`` evenly over it."""
    stride = max(1, round(n * _GOLDEN))
    while math.gcd(stride, n) != 1:
        stride += 1
    return stride % n


# ------------------------------------------------------------------------------------------
# chunks
# ------------------------------------------------------------------------------------------


def _rows_per_block(chunks: Any, n_samples: int, n_features: int) -> tuple[int, ...]:
    """Row blocks from one entry: a block size, -1/None (one block), or a dask size string."""
    if isinstance(chunks, str):
        try:
            return da.core.normalize_chunks(
                (chunks, n_features), (n_samples, n_features), dtype=np.float64
            )[0]
        except (TypeError, ValueError) as err:
            raise ValueError(f"chunks={chunks!r} is not understood by dask: {err}") from err
    if chunks is None or (isinstance(chunks, numbers.Integral) and chunks == -1):
        return (n_samples,)
    rows = check_int("chunks", chunks, low=-(2**63))
    if rows < 1:
        raise ValueError(f"chunks must be a positive number of rows (or -1), got {chunks}.")
    n_full, rest = divmod(n_samples, rows)
    return (rows,) * n_full + ((rest,) if rest else ())


def _row_lengths(chunks: Any, n_samples: int) -> tuple[int, ...]:
    lengths = tuple(check_int("chunks", c, low=-(2**63)) for c in chunks)
    if any(c < 1 for c in lengths):
        raise ValueError(f"chunks must be positive row-block lengths, got {lengths}.")
    if sum(lengths) != n_samples:
        raise ValueError(
            f"chunks {lengths} do not add up to n_samples={n_samples} (they sum to {sum(lengths)})."
        )
    return lengths


def row_chunks(chunks: Any, n_samples: int, n_features: int) -> tuple[int, ...]:
    """The row blocks of a generated ``(n_samples, n_features)`` array; blocks hold whole rows.

    ``chunks`` as in dask-ml (which hands it to ``dask.array.core.normalize_chunks`` for the
    shape ``(n_samples, n_features)`` and refuses blocks that split the columns):

    * ``None``: blocks of about 64 MiB; an int: rows per block; ``-1``: one block;
      ``"auto"`` or a size such as ``"128MiB"``: rows chosen by dask for float64 data;
    * a pair ``(rows, columns)``, dask's block shape: ``rows`` as above and ``columns`` equal to
      ``n_features`` (or -1/None) -- dask-ml reads ``chunks=(40, 60)`` this way too;
    * explicit lengths ``((40, 60), (n_features,))`` as dask writes them, or a sequence of row
      lengths of any other length than two, such as ``(30, 30, 40)``; they must add up to
      ``n_samples``.
    """
    if isinstance(chunks, bool):
        raise TypeError(f"chunks must be an int, a string or a tuple, got {chunks!r}.")
    if isinstance(chunks, np.ndarray):
        chunks = chunks.tolist()
    if not isinstance(chunks, tuple | list):
        if chunks is None:
            rows = max(1, TARGET_BLOCK_BYTES // (8 * max(n_features, 1)))
            return _rows_per_block(rows, n_samples, n_features)
        return _rows_per_block(chunks, n_samples, n_features)
    if len(chunks) == 2:
        rows, columns = chunks
        if isinstance(columns, tuple | list):
            columns_ok = tuple(columns) == (n_features,)
        else:
            columns_ok = columns is None or columns in (-1, n_features)
        if not columns_ok:
            message = (
                f"chunks={chunks!r}: every block holds all n_features={n_features} columns (as "
                f"in dask-ml), so the column entry must be {n_features} or -1"
            )
            if not isinstance(rows, tuple | list) and not isinstance(columns, tuple | list):
                message += (
                    ". A pair is dask's block shape (rows per block, columns per block); for "
                    f"row-block lengths pass ({tuple(chunks)!r}, {n_features})"
                )
            raise ValueError(message + ".")
        if isinstance(rows, tuple | list):
            return _row_lengths(rows, n_samples)
        return _rows_per_block(rows, n_samples, n_features)
    return _row_lengths(chunks, n_samples)


# ------------------------------------------------------------------------------------------
# building the lazy collections
# ------------------------------------------------------------------------------------------


def _from_location(kernel: Callable, *args: Any, block_info: dict | None = None) -> np.ndarray:
    info = block_info[None]
    start, stop = info["array-location"][0]
    with single_blas_thread():
        return kernel(info["chunk-location"][0], start, stop - start, *args)


def _from_rows(kernel: Callable, X: np.ndarray, *args: Any, block_info=None) -> np.ndarray:
    with single_blas_thread():
        return kernel(block_info[None]["chunk-location"][0], X, *args)


def block_array(
    kernel: Callable,
    *args: Any,
    rows: tuple[int, ...],
    columns: int | None,
    dtype: Any,
    token: str,
) -> da.Array:
    """A dask array whose block ``b`` is ``kernel(b, start, n_rows, *args)`` (2-D with
    ``columns`` columns, or 1-D for ``columns=None``), arguments through ``share``, BLAS held
    to one thread per kernel as in every pass."""
    chunks = (rows,) if columns is None else (rows, (columns,))
    return da.map_blocks(
        _from_location,
        kernel,
        *(share(a) for a in args),
        chunks=chunks,
        dtype=dtype,
        meta=np.empty((0,) * len(chunks), dtype=dtype),
        token=token,
    )


def rows_array(
    kernel: Callable, X: da.Array, *args: Any, columns: int | None, dtype: Any, token: str
) -> da.Array:
    """A target made from X's row blocks: block ``b`` is ``kernel(b, X_block, *args)``."""
    kwargs: dict = {"drop_axis": 1} if columns is None else {"chunks": (X.chunks[0], (columns,))}
    return da.map_blocks(
        _from_rows,
        kernel,
        X,
        *(share(a) for a in args),
        dtype=dtype,
        meta=np.empty((0,) * (1 if columns is None else 2), dtype=dtype),
        token=token,
        **kwargs,
    )


def block_frame(
    kernel: Callable, *args: Any, rows: tuple[int, ...], meta: Any, label: str
) -> dd.DataFrame | dd.Series:
    """A dask DataFrame/Series whose partition ``b`` is ``kernel(b, start, n_rows, *args)``,
    indexed by the global row number, with known divisions."""
    starts = np.concatenate([[0], np.cumsum(rows)]).astype(int).tolist()
    return dd.from_map(
        with_single_blas_thread(kernel),
        list(range(len(rows))),
        starts[:-1],
        list(rows),
        args=args,
        meta=meta,
        divisions=starts[:-1] + [starts[-1] - 1],
        enforce_metadata=False,
        label=label,
    )


def timestamps(name: str, start: Any, end: Any) -> tuple[pd.Timestamp, pd.Timestamp, bool]:
    """``(start, end, whole_days)`` as Timestamps, ``end`` at least a second after ``start``;
    ``whole_days`` when both are ``datetime.date`` (dask-ml then gives dates, not times)."""
    whole_days = all(
        isinstance(d, datetime.date) and not isinstance(d, datetime.datetime) for d in (start, end)
    )
    try:
        lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be dates or datetimes, got {start!r}, {end!r}.") from err
    if (hi - lo).total_seconds() < 1:
        raise ValueError(
            f"{name}: the end ({end!r}) must come at least a second after the start ({start!r})."
        )
    return lo, hi, whole_days
