"""Checks of shape and partitioning that read no data (or only lengths).

* :func:`check_chunks`: dask-ml's ``chunks=`` argument normalised for an array shape.
* :func:`check_matching_blocks`: dask collections split into the same row blocks.
* :func:`check_consistent_length`: inputs of the same number of rows (dask lengths counted
  only where metadata does not tell them).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import dask.array as da
import dask.system
import numpy as np

from ._dask import compute_collections, describe, is_dask_frame

__all__ = ["check_chunks", "check_consistent_length", "check_matching_blocks"]


def check_chunks(
    n_samples: int, n_features: int, chunks: int | Sequence[Any] | None = None
) -> tuple[Any, ...]:
    """Validate and normalise the ``chunks`` argument for an array of ``(n_samples, n_features)``.

    Parameters
    ----------
    n_samples, n_features : int
        The shape of the array.
    chunks : int, sequence of length 2 or None, default=None
        * ``None``: one block per CPU core (``dask.system.CPU_COUNT``) along the rows, of at
          least 100 rows each, and one block along the columns.
        * An int: the number of row blocks, as in dask-ml: ``n_samples // chunks`` rows per
          block, at least 100; one block along the columns.
        * A sequence of length 2, such as ``(1000, n_features)``: returned as a tuple.

    Returns
    -------
    tuple
        ``(rows per block, n_features)``, or the given 2-sequence as a tuple; a valid
        ``chunks=`` argument for dask array creation functions.

    Raises
    ------
    ValueError
        For a negative shape, a number of blocks below 1, a sequence whose length is not 2,
        or any other type.

    Notes
    -----
    An int is a *number of blocks* here, as in dask-ml, not a block length as in dask's own
    ``chunks=`` (and in :mod:`dasklearn.datasets`). dask-ml raised ``AssertionError`` for a
    sequence of the wrong length and counted cores with ``multiprocessing.cpu_count``;
    ``dask.system.CPU_COUNT`` respects CPU affinity and container limits.

    Examples
    --------
    >>> from dasklearn.utils import check_chunks
    >>> check_chunks(10_000, 5, chunks=4)
    (2500, 5)
    >>> check_chunks(300, 5, chunks=10)  # at least 100 rows per block
    (100, 5)
    >>> check_chunks(10_000, 5, chunks=[500, 5])
    (500, 5)
    """
    for name, value in (("n_samples", n_samples), ("n_features", n_features)):
        if not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"{name} must be a non-negative int, got {value!r}.")
    if chunks is None:
        return (max(100, int(n_samples) // dask.system.CPU_COUNT), int(n_features))
    if isinstance(chunks, numbers.Integral) and not isinstance(chunks, bool):
        if chunks < 1:
            raise ValueError(f"chunks as an int is a number of row blocks (>= 1), got {chunks}.")
        return (max(100, int(n_samples) // int(chunks)), int(n_features))
    if isinstance(chunks, Sequence) and not isinstance(chunks, str | bytes):
        if len(chunks) != 2:
            raise ValueError(
                f"chunks should be a 2-tuple (rows, columns), got {tuple(chunks)!r} "
                f"of length {len(chunks)}."
            )
        return tuple(chunks)
    raise ValueError(
        f"Unknown type of chunks: {type(chunks).__name__} ({chunks!r}); pass None, an int "
        "(number of row blocks) or a (rows, columns) tuple."
    )


def _row_blocks(X: Any) -> tuple[str, int, tuple[Any, ...] | None]:
    """(what, number of row blocks, row boundaries or None where unknown)."""
    if isinstance(X, da.Array):
        if X.ndim == 0:
            raise ValueError("A 0-dimensional dask array has no row blocks.")
        return "row chunks", X.numblocks[0], X.chunks[0]
    divisions = X.divisions if X.known_divisions else None
    return "divisions", X.npartitions, divisions


def check_matching_blocks(*arrays: Any) -> None:
    """Check that dask collections are split into the same row blocks, reading no data.

    Parameters
    ----------
    *arrays : dask arrays, dask dataframes or dask series
        The collections to compare (``None`` entries are skipped). Dask arrays match when
        their row chunks are equal (other axes may differ, so ``X`` and ``y`` can match);
        dask dataframes and series when their divisions are equal, or, where divisions are
        unknown, their numbers of partitions. A dask array and a dask dataframe match when
        they have as many row blocks.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        Naming the first mismatch (``"Mismatched chunks..."`` or
        ``"Mismatched divisions..."``, as dask-ml words it), or when an argument is not a dask
        collection.

    Notes
    -----
    Unknown chunk sizes (NaN) cannot be compared without computing them: such blocks are
    compared by count and by the lengths that are known. dask-ml compared the chunks of every
    axis, raised for a dask array beside a dask dataframe, and did not accept ``None``.

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.utils import check_matching_blocks
    >>> X = da.ones((100, 3), chunks=(50, 3))
    >>> check_matching_blocks(X, X[:, 0])
    >>> check_matching_blocks(X, da.ones(100, chunks=(60, 40)))
    Traceback (most recent call last):
    ...
    ValueError: Mismatched chunks: argument 0 has row chunks (50, 50), argument 1 has (60, 40).
    """
    arrays = tuple(x for x in arrays if x is not None)
    not_dask = [
        f"argument {i} ({describe(x)})"
        for i, x in enumerate(arrays)
        if not isinstance(x, da.Array) and not is_dask_frame(x)
    ]
    if not_dask:
        raise ValueError(
            "check_matching_blocks compares dask arrays, dataframes and series; got "
            + ", ".join(not_dask)
            + "."
        )
    if len(arrays) <= 1:
        return
    what0, n0, bounds0 = _row_blocks(arrays[0])
    for i, X in enumerate(arrays[1:], start=1):
        what, n, bounds = _row_blocks(X)
        if n != n0:
            label = "blocks" if what != what0 else "chunks" if what == "row chunks" else what
            raise ValueError(
                f"Mismatched {label}: argument 0 has {n0} row blocks, argument {i} has {n}."
            )
        if what != what0 or bounds is None or bounds0 is None:
            continue  # an array beside a dataframe, or unknown divisions: the count is all
        if what == "row chunks":
            same = all(
                a == b or np.isnan(a) or np.isnan(b) for a, b in zip(bounds0, bounds, strict=True)
            )
            if not same:
                raise ValueError(
                    f"Mismatched chunks: argument 0 has row chunks {bounds0}, argument {i} "
                    f"has {bounds}."
                )
        elif bounds != bounds0:
            raise ValueError(
                f"Mismatched divisions: argument 0 has divisions {bounds0}, argument {i} has "
                f"{bounds}."
            )


def _known_length(X: Any) -> int | None:
    """Rows of ``X`` when known without computing; None for a dask length to compute."""
    if isinstance(X, da.Array):
        if X.ndim == 0:
            raise TypeError(f"Singleton array {X!r} cannot be considered a valid collection.")
        return None if np.isnan(X.shape[0]) else int(X.shape[0])
    if is_dask_frame(X):
        return None
    if hasattr(X, "__dask_graph__"):
        raise TypeError(f"Unsupported dask collection {describe(X)}; pass a dask array or frame.")
    if hasattr(X, "shape") and hasattr(X.shape, "__len__"):
        if len(X.shape) == 0:
            raise TypeError(f"Singleton array {X!r} cannot be considered a valid collection.")
        return int(X.shape[0])
    if hasattr(X, "__len__") and not isinstance(X, str | bytes):
        return len(X)
    raise TypeError(f"Expected sequence or array-like, got {type(X)}.")


def _block_length(block: np.ndarray) -> np.ndarray:
    return np.full((1,) * block.ndim, block.shape[0], dtype=np.int64)


def _lazy_length(X: Any) -> Any:
    """A lazy row count of a dask collection (dask-expr answers it from metadata when it can)."""
    if isinstance(X, da.Array):
        rows = X.blocks[(slice(None),) + (0,) * (X.ndim - 1)]
        counts = rows.map_blocks(
            _block_length,
            chunks=tuple((1,) * n for n in rows.numblocks),
            dtype=np.int64,
            meta=np.empty((0,) * X.ndim, dtype=np.int64),
        )
        return counts.sum()
    return X.shape[0]


def _inconsistent(lengths: list[Any]) -> ValueError:
    shown = ", ".join("unknown" if n is None else str(int(n)) for n in lengths)
    return ValueError(f"Found input variables with inconsistent numbers of samples: [{shown}]")


def check_consistent_length(*arrays: Any) -> None:
    """Check that all arrays have the same number of rows (the first dimension).

    Parameters
    ----------
    *arrays : array-likes, pandas objects, dask arrays, dataframes or series
        The inputs to compare; ``None`` entries are skipped (as scikit-learn does).

    Returns
    -------
    None

    Raises
    ------
    ValueError
        ``"Found input variables with inconsistent numbers of samples: [...]"``, scikit-learn's
        message, with the lengths in argument order.
    TypeError
        For a scalar or an object without a length.

    Notes
    -----
    Lengths known from metadata (NumPy, pandas, dask arrays with known chunks) are compared
    first, with nothing computed; a mismatch among them raises at once. Dask collections of
    unknown length (dask dataframes and series, dask arrays with unknown chunks) are then
    counted together (one ``dask.compute`` for the dataframes, one for the arrays). That
    reads each block once, unless dask knows the partition lengths from metadata (a dataframe
    made from pandas, many parquet files). dask-ml's ``check_consistent_length`` did nothing.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from dasklearn.utils import check_consistent_length
    >>> check_consistent_length(np.ones((10, 2)), da.ones(10, chunks=5), None)
    >>> check_consistent_length(np.ones((10, 2)), da.ones(9, chunks=5))
    Traceback (most recent call last):
    ...
    ValueError: Found input variables with inconsistent numbers of samples: [10, 9]
    """
    arrays = tuple(X for X in arrays if X is not None)
    lengths: list[Any] = [_known_length(X) for X in arrays]
    known = {n for n in lengths if n is not None}
    if len(known) > 1:
        raise _inconsistent(lengths)
    unknown = [i for i, n in enumerate(lengths) if n is None]
    if not unknown or (len(unknown) == 1 and not known):
        return
    counted = compute_collections([_lazy_length(arrays[i]) for i in unknown])
    for i, n in zip(unknown, counted, strict=True):
        lengths[i] = int(n)
    if len(set(lengths)) > 1:
        raise _inconsistent(lengths)
