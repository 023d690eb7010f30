"""Public helpers with the names and signatures of ``dask_ml.utils``.

Code written for dask-ml switches with one import (``from dasklearn.utils import ...``). Every
helper takes NumPy arrays, pandas objects, dask arrays and dask dataframes/series, and stays lazy
on dask input: a dask collection in gives a dask collection out, and nothing is computed unless
the docstring says so (only :func:`check_consistent_length` on collections of unknown length, and
:func:`assert_estimator_equal`, which compares values).

Where dasklearn differs from dask-ml on purpose, the function's docstring says so under
"Notes"; in short:

* :func:`check_chunks` raises ``ValueError`` for every bad argument (dask-ml raised
  ``AssertionError`` for a chunks tuple of the wrong length).
* :func:`check_matching_blocks`: blocks match when their *rows* line up (dask-ml compared the
  chunks of every axis, so a 2-D ``X`` and a 1-D ``y`` never matched).
* :func:`check_consistent_length` checks lengths (dask-ml's version did nothing).
* :func:`svd_flip` keeps the row blocks of dask input (dask-ml gathered ``u`` into one block)
  and does not modify NumPy input in place.
* :func:`check_array` checks dask arrays' dtype conversion and minimum sizes for real (dask-ml
  validated a sample of ones and returned the array unconverted).
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import dask
import dask.array as da
import dask.dataframe as dd
import dask.system
import numpy as np
import pandas as pd
import scipy.sparse as sp
import sklearn.utils.extmath as skm
from dask.array.utils import meta_from_array
from sklearn.utils.validation import check_array as _sk_check_array

from ._validation import input_kind

__all__ = [
    "assert_estimator_equal",
    "check_array",
    "check_chunks",
    "check_consistent_length",
    "check_matching_blocks",
    "check_random_state",
    "handle_zeros_in_scale",
    "row_norms",
    "svd_flip",
]


def _is_dask_frame(X: Any) -> bool:
    return isinstance(X, dd.DataFrame | dd.Series)


def _compute(collections: list[Any]) -> list[Any]:
    """Compute dask collections: one ``dask.compute`` for dataframe-backed ones (frames,
    series, their scalars) and one for the rest, as dask asks not to mix the two kinds."""
    results: list[Any] = [None] * len(collections)
    frame_like = [type(c).__module__.startswith("dask.dataframe") for c in collections]
    for group in (True, False):
        index = [i for i, f in enumerate(frame_like) if f is group]
        if index:
            for i, value in zip(index, dask.compute(*[collections[i] for i in index]), strict=True):
                results[i] = value
    return results


def _describe(X: Any) -> str:
    return f"{type(X).__module__.split('.')[0]}.{type(X).__name__}"


# --------------------------------------------------------------------------------------------
# check_array
# --------------------------------------------------------------------------------------------

_UNKNOWN_CHUNKS_HINT = (
    "Compute them first:\n\n"
    "    >>> X = X.compute_chunk_sizes()  # a dask array\n"
    "    >>> X = ddf.to_dask_array(lengths=True)  # from a dask dataframe"
)


def _sample_check(sample: Any, real_shape: tuple, args: tuple, kwargs: dict) -> Any:
    """scikit-learn's check_array on a small stand-in; errors quote the real shape."""
    try:
        return _sk_check_array(sample, *args, **kwargs)
    except (TypeError, ValueError) as err:
        message = str(err).replace(f"shape={sample.shape}", f"shape={real_shape}")
        raise type(err)(message) from None


def _check_ndim(ndim: int, kind: str, shape: Any, kwargs: dict) -> None:
    """scikit-learn's "Expected 2D array" error, without printing a sample's values."""
    if kwargs.get("ensure_2d", True) and ndim < 2:
        got = "scalar array" if ndim == 0 else "1D array"
        raise ValueError(
            f"Expected 2D array, got {got} instead: a {kind} of shape {shape}. Reshape your "
            "data either using array.reshape(-1, 1) if your data has a single feature or "
            "array.reshape(1, -1) if it contains a single sample (for a dask series: "
            "series.to_frame())."
        )


def _check_dask_array(
    array: da.Array,
    args: tuple,
    kwargs: dict,
    accept_unknown_chunks: bool,
    accept_multiple_blocks: bool,
    remove_zero_chunks: bool,
) -> da.Array:
    accept_sparse = args[0] if args else kwargs.get("accept_sparse", False)
    if sp.issparse(meta_from_array(array)) and accept_sparse is False:
        raise TypeError(
            "Sparse data was passed (a dask array of sparse blocks), but dense data is "
            "required. Use X.map_blocks(lambda b: b.toarray()) to make its blocks dense."
        )
    if any(np.isnan(n) for n in array.shape[1:]):
        raise TypeError(
            f"Cannot validate a dask array of shape {array.shape}: the number of features is "
            "unknown. " + _UNKNOWN_CHUNKS_HINT
        )
    unknown_rows = array.ndim > 0 and bool(np.isnan(array.shape[0]))
    if unknown_rows and not accept_unknown_chunks:
        raise TypeError(
            "Cannot operate on a dask array with unknown chunk sizes "
            f"(row chunks {array.chunks[0]}). "
            + _UNKNOWN_CHUNKS_HINT
            + "\n\nor pass accept_unknown_chunks=True."
        )
    if not accept_multiple_blocks and any(n > 1 for n in array.numblocks[1:]):
        raise TypeError(
            f"Chunking is only allowed on the first axis; this array has chunks {array.chunks}. "
            "Use 'array.rechunk({1: -1})' to rechunk to a single block along the second axis, "
            "or pass accept_multiple_blocks=True."
        )
    _check_ndim(array.ndim, "dask array", array.shape, kwargs)
    if remove_zero_chunks and array.ndim > 0 and not unknown_rows and 0 in array.chunks[0]:
        # scikit-learn does not handle empty blocks gracefully (pairwise_distances, for one)
        nonzero = tuple(c for c in array.chunks[0] if c)
        if nonzero:
            array = array.rechunk({0: nonzero})

    if array.ndim == 0:
        sample = np.ones((), dtype=array.dtype)
    else:
        min_rows = max(1, int(kwargs.get("ensure_min_samples", 1)))
        rows = min_rows if unknown_rows else min(int(array.shape[0]), min_rows)
        sample = np.ones((rows,) + tuple(int(n) for n in array.shape[1:]), dtype=array.dtype)
    checked = _sample_check(sample, array.shape, args, kwargs)
    if getattr(checked, "dtype", array.dtype) != array.dtype:
        array = array.astype(checked.dtype)
    return array


def _check_dask_frame(X: dd.DataFrame | dd.Series, args: tuple, kwargs: dict) -> None:
    """Metadata-only validation of a dask dataframe or series (reads no data)."""
    shape = (np.nan,) + ((len(X.columns),) if isinstance(X, dd.DataFrame) else ())
    _check_ndim(len(shape), "dask series", shape, kwargs)
    dtypes = X.dtypes if isinstance(X, dd.DataFrame) else pd.Series({X.name: X.dtype})
    numeric = {
        name: pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        for name, dtype in dtypes.items()
    }
    if kwargs.get("dtype", "numeric") is not None:
        bad = [str(name) for name, ok in numeric.items() if not ok]
        if bad:
            raise ValueError(
                f"Non-numeric columns {bad} where numbers are needed; encode them first "
                "(for example with pandas.get_dummies or dasklearn.preprocessing) or pass "
                "dtype=None."
            )
    rows = max(1, int(kwargs.get("ensure_min_samples", 1)))
    columns = {
        f"c{i}": pd.Series(np.ones(rows), dtype=dtype if numeric[name] else np.float64)
        for i, (name, dtype) in enumerate(dtypes.items())
    }
    sample = pd.DataFrame(columns) if isinstance(X, dd.DataFrame) else columns["c0"]
    _sample_check(sample, shape, args, kwargs)


def check_array(
    array: Any,
    *args: Any,
    accept_dask_array: bool = True,
    accept_dask_dataframe: bool = False,
    accept_unknown_chunks: bool = False,
    accept_multiple_blocks: bool = False,
    preserve_pandas_dataframe: bool = False,
    remove_zero_chunks: bool = True,
    **kwargs: Any,
) -> Any:
    """Validate input of any kind; dask input is checked from its metadata only.

    NumPy, pandas and other in-memory input goes to scikit-learn's
    :func:`sklearn.utils.check_array` with ``*args`` and ``**kwargs``. A dask array is checked
    for its chunk structure, and scikit-learn's check runs on a tiny NumPy stand-in of the same
    dtype and width, so the dimension, dtype and minimum-size rules are scikit-learn's while no
    block is read. A dask dataframe or series is checked from its columns and dtypes.

    Parameters
    ----------
    array : array-like, pandas object, dask array or dask dataframe/series
        The input to validate.
    *args
        Passed on to scikit-learn's ``check_array`` (its only positional parameter after the
        array is ``accept_sparse``).
    accept_dask_array : bool, default=True
        Whether dask arrays are accepted; ``False`` raises ``TypeError`` for one.
    accept_dask_dataframe : bool, default=False
        Whether dask dataframes and series are accepted; ``False`` raises ``TypeError``.
    accept_unknown_chunks : bool, default=False
        Whether a dask array may have unknown row chunk sizes (NaN in ``array.chunks[0]``).
    accept_multiple_blocks : bool, default=False
        Whether a dask array may have more than one block along its columns.
    preserve_pandas_dataframe : bool, default=False
        Return a pandas DataFrame itself (after validating it) rather than a NumPy array.
    remove_zero_chunks : bool, default=True
        Merge away empty row blocks of a dask array (lazily).
    **kwargs
        Passed on to scikit-learn's ``check_array`` (``dtype``, ``ensure_2d``,
        ``ensure_all_finite``, ``ensure_min_samples``, ...). dask-ml's ``force_all_finite``,
        which scikit-learn 1.8 removed, is read as ``ensure_all_finite``.

    Returns
    -------
    array-like
        In-memory input: what scikit-learn's ``check_array`` returns (or the DataFrame itself
        with ``preserve_pandas_dataframe=True``). A dask array: the same array, lazily cast
        when scikit-learn would change the dtype (``dtype="numeric"`` on object data,
        ``dtype=np.float64`` on integers), with empty row blocks merged away. A dask
        dataframe or series: returned unchanged.

    Raises
    ------
    TypeError
        A dask collection that is not accepted, unknown chunk sizes, several column blocks,
        sparse blocks where dense data is required.
    ValueError
        What scikit-learn's check raises: wrong number of dimensions, too few samples or
        features, non-numeric data where numbers are needed, NaN or infinity (in-memory).

    Notes
    -----
    What a dask collection's metadata cannot tell is not checked, since that would read the
    data: NaN or infinity (``ensure_all_finite``), negative values (``ensure_non_negative``),
    and ``ensure_min_samples`` where the number of rows is unknown (dask dataframes, unknown
    chunks). dasklearn's estimators check those in their first pass over the data.
    ``order``, ``copy`` and ``force_writeable`` do not apply to dask arrays.

    Differences from dask-ml: dask-ml returned a dask array in its original dtype and checked
    ``ensure_min_samples`` against a sample of at most 10 rows (so ``ensure_min_samples=12``
    failed even for an array of a million rows); here the dtype scikit-learn asks for is
    applied lazily and the real number of rows is compared. dask-ml sent a dask *series* to
    scikit-learn, which computed it; here a dask series is a dask dataframe-like input
    (``accept_dask_dataframe``). A pandas
    DataFrame kept with ``preserve_pandas_dataframe`` is validated here (dask-ml skipped it).

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from dasklearn.utils import check_array
    >>> X = da.ones((100, 3), chunks=25, dtype=np.int64)
    >>> check_array(X, dtype=np.float64).dtype  # cast lazily, nothing computed
    dtype('float64')
    >>> check_array(X[:, 0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Expected 2D array, got 1D array instead: a dask array of shape (100,). ...
    >>> check_array([[1, 2], [3, 4]], dtype=np.float64)
    array([[1., 2.],
           [3., 4.]])
    """
    if "force_all_finite" in kwargs:  # dask-ml's (and scikit-learn < 1.6's) name
        value = kwargs.pop("force_all_finite")
        kwargs.setdefault("ensure_all_finite", value)
    kind = input_kind(array)
    if kind == "dask_array":
        if not accept_dask_array:
            raise TypeError(
                "This function does not accept dask arrays (accept_dask_array=False); pass an "
                "in-memory array, for example X.compute()."
            )
        return _check_dask_array(
            array, args, kwargs, accept_unknown_chunks, accept_multiple_blocks, remove_zero_chunks
        )
    if kind == "dask_dataframe":
        if not accept_dask_dataframe:
            raise TypeError(
                f"This estimator does not support dask dataframes (got a {_describe(array)}). "
                "This might be resolved with one of\n\n"
                "    1. ddf.to_dask_array(lengths=True)\n"
                "    2. ddf.to_dask_array()  # unknown chunk sizes may cause other issues"
            )
        _check_dask_frame(array, args, kwargs)
        return array
    if hasattr(array, "__dask_graph__"):
        raise TypeError(
            f"Unsupported dask collection {_describe(array)}; pass a dask array or a dask "
            "dataframe/series."
        )
    if isinstance(array, pd.DataFrame) and preserve_pandas_dataframe:
        _sk_check_array(array, *args, **kwargs)
        return array
    return _sk_check_array(array, *args, **kwargs)


# --------------------------------------------------------------------------------------------
# random state, chunks, blocks, lengths
# --------------------------------------------------------------------------------------------


def check_random_state(random_state: Any) -> da.random.RandomState:
    """Turn ``random_state`` into a :class:`dask.array.random.RandomState`.

    A dask ``RandomState`` (what dask-ml returns) draws chunked dask arrays with NumPy's
    ``RandomState`` methods (``normal``, ``random_sample``, ``randint``, ``choice``, ...), so
    code written for dask-ml keeps working; each block draws from its own seed, taken from
    this generator when the array is built.

    Parameters
    ----------
    random_state : None, int, numpy.random.RandomState, numpy.random.Generator or \
dask.array.random.RandomState
        ``None``: fresh entropy. An int: the seed (``0 <= seed < 2**32``). A NumPy
        ``RandomState`` or ``Generator``: one seed is drawn from it (advancing it), so the
        result is reproducible from the NumPy generator's state. A dask ``RandomState`` is
        returned as it is.

    Returns
    -------
    dask.array.random.RandomState
        The generator to draw dask arrays from.

    Raises
    ------
    TypeError
        For any other type (a dask ``Generator`` included: its NumPy-``Generator`` methods
        differ from the ``RandomState`` ones dask-ml code calls).
    ValueError
        For an int outside ``[0, 2**32)``.

    Notes
    -----
    Why not a ``Generator``: dask-ml's callers use ``RandomState`` method names
    (``random_sample``, ``randint``) that a ``Generator`` lacks. Estimators inside dasklearn
    seed their block kernels from one integer instead (per-block NumPy generators), which does
    not depend on this function. dask-ml's version failed on a NumPy ``RandomState``
    (``randint()`` without bounds) and did not accept a NumPy ``Generator``.

    Examples
    --------
    >>> import numpy as np
    >>> from dasklearn.utils import check_random_state
    >>> rs = check_random_state(0)
    >>> x = rs.random_sample(6, chunks=3)
    >>> bool((x.compute() == check_random_state(0).random_sample(6, chunks=3).compute()).all())
    True
    >>> type(check_random_state(np.random.default_rng(0))).__name__
    'RandomState'
    """
    if random_state is None:
        return da.random.RandomState()
    if isinstance(random_state, da.random.RandomState):
        return random_state
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        seed = int(random_state)
        if not 0 <= seed < 2**32:
            raise ValueError(f"random_state must be between 0 and 2**32 - 1, got {seed}.")
        return da.random.RandomState(seed)
    if isinstance(random_state, np.random.RandomState):
        return da.random.RandomState(int(random_state.randint(0, 2**32, dtype=np.uint64)))
    if isinstance(random_state, np.random.Generator):
        return da.random.RandomState(int(random_state.integers(0, 2**32)))
    raise TypeError(
        f"random_state must be None, an int, a numpy.random.RandomState or Generator, or a "
        f"dask.array.random.RandomState; got {type(random_state).__module__}."
        f"{type(random_state).__qualname__}."
    )


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
        f"argument {i} ({_describe(x)})"
        for i, x in enumerate(arrays)
        if not isinstance(x, da.Array) and not _is_dask_frame(x)
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
    if _is_dask_frame(X):
        return None
    if hasattr(X, "__dask_graph__"):
        raise TypeError(f"Unsupported dask collection {_describe(X)}; pass a dask array or frame.")
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
    counted = _compute([_lazy_length(arrays[i]) for i in unknown])
    for i, n in zip(unknown, counted, strict=True):
        lengths[i] = int(n)
    if len(set(lengths)) > 1:
        raise _inconsistent(lengths)


# --------------------------------------------------------------------------------------------
# numerics
# --------------------------------------------------------------------------------------------


def handle_zeros_in_scale(scale: Any) -> Any:
    """Replace zeros in ``scale`` by ones, so that dividing by it leaves constant features alone.

    Parameters
    ----------
    scale : scalar, array-like, pandas Series/DataFrame, dask array or dask series/dataframe
        Scales such as standard deviations or ranges.

    Returns
    -------
    same kind as ``scale``
        A copy with every exact zero replaced by 1 (NaN stays NaN), in the dtype of ``scale``;
        lazy for dask input. A Python or NumPy scalar gives a scalar (``0`` gives ``1.0``).

    Notes
    -----
    Exact zeros only, as dask-ml does. scikit-learn's private ``_handle_zeros_in_scale`` also
    treats values below ``10 * eps`` (of the dtype) as zero; both agree on exact zeros and on
    scales that are not that tiny.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from dasklearn.utils import handle_zeros_in_scale
    >>> handle_zeros_in_scale(np.array([0.0, 2.0, 0.5]))
    array([1. , 2. , 0.5])
    >>> out = handle_zeros_in_scale(da.from_array(np.array([0.0, 3.0]), chunks=1))
    >>> out.compute()
    array([1., 3.])
    >>> handle_zeros_in_scale(0.0)
    1.0
    """
    if isinstance(scale, da.Array):
        return da.where(scale == 0, 1, scale)
    if isinstance(scale, pd.Series | pd.DataFrame | dd.Series | dd.DataFrame):
        return scale.where(scale != 0, 1)
    if np.isscalar(scale) or (isinstance(scale, np.ndarray) and scale.ndim == 0):
        return 1.0 if scale == 0 else scale
    scale = np.asarray(scale)
    return np.where(scale == 0, np.ones((), dtype=scale.dtype), scale)


def _signed_max_abs(x: np.ndarray, axis: Any = 0, keepdims: bool = False) -> np.ndarray:
    """The entry of largest magnitude along ``axis``, sign kept; the first one on ties.

    Associative over concatenation in order, so it serves as chunk, combine and aggregate of a
    dask reduction and picks the same entry as ``np.argmax`` over the whole axis.
    """
    if isinstance(axis, tuple):
        (axis,) = axis
    if x.shape[axis] == 0:  # an empty block (or dask's meta): a 0 loses to any nonzero entry
        return np.zeros_like(x.sum(axis=axis, keepdims=keepdims))
    index = np.expand_dims(np.argmax(np.abs(x), axis=axis), axis)
    out = np.take_along_axis(x, index, axis=axis)
    return out if keepdims else np.squeeze(out, axis=axis)


def _max_abs_signs(x: Any, axis: int) -> Any:
    if isinstance(x, da.Array):
        values = da.reduction(
            x,
            chunk=_signed_max_abs,
            combine=_signed_max_abs,
            aggregate=_signed_max_abs,
            axis=axis,
            dtype=x.dtype,
            meta=np.empty((0,), dtype=x.dtype),
        )
        return da.sign(values)
    return np.sign(_signed_max_abs(np.asarray(x), axis=axis))


def svd_flip(u: Any, v: Any, u_based_decision: bool = True) -> tuple[Any, Any]:
    """Sign correction for an SVD, with scikit-learn's convention, lazily for dask arrays.

    Each singular vector pair is flipped so that the entry of largest absolute value of the
    column of ``u`` (``u_based_decision=True``) or of the row of ``v`` (``False``) is
    positive, as :func:`sklearn.utils.extmath.svd_flip` does: the same SVD then gives the same
    signs whatever algorithm or random state computed it.

    Parameters
    ----------
    u : array of shape (n_samples, k), NumPy or dask, or None
        Left singular vectors in columns. May be None when ``u_based_decision=False``.
    v : array of shape (k, n_features), NumPy or dask, or None
        Right singular vectors in rows (``Vt`` as SciPy returns it). May be None when
        ``u_based_decision=True``.
    u_based_decision : bool, default=True
        Choose the signs from the columns of ``u`` (True) or from the rows of ``v`` (False).

    Returns
    -------
    u_adjusted, v_adjusted : arrays of the same kinds and shapes as ``u`` and ``v``
        New arrays (NumPy input is not modified). An output is a dask array when its input or
        the array the signs come from is one; dask outputs keep their input's chunks, and
        nothing is computed.

    Notes
    -----
    The default ``u_based_decision=True`` is dask-ml's and scikit-learn's. dask-ml computed the
    whole flip in one task (``u`` gathered into a single block); here the signs come from one
    tree reduction over the blocks, and a tie in magnitude goes to the first entry, as
    ``np.argmax`` does. dask's own ``dask.array.linalg.svd_flip`` uses another convention
    (the sign of each vector's sum).

    Examples
    --------
    >>> import numpy as np
    >>> from dasklearn.utils import svd_flip
    >>> u = np.array([[1.0, -3.0], [-2.0, 1.0]])
    >>> v = np.array([[1.0, 1.0], [1.0, -1.0]])
    >>> u2, v2 = svd_flip(u, v)
    >>> u2
    array([[-1.,  3.],
           [ 2., -1.]])
    >>> v2
    array([[-1., -1.],
           [-1.,  1.]])
    """
    if u_based_decision:
        if u is None:
            raise ValueError("u is needed when u_based_decision=True.")
        signs = _max_abs_signs(u, axis=0)
    else:
        if v is None:
            raise ValueError("v is needed when u_based_decision=False.")
        signs = _max_abs_signs(v, axis=1)
    u_out = None if u is None else u * signs[np.newaxis, :]
    v_out = None if v is None else v * signs[:, np.newaxis]
    return u_out, v_out


def _row_norms_block(block: np.ndarray, squared: bool) -> np.ndarray:
    return skm.row_norms(block, squared=squared)


def _row_norms_partition(part: pd.DataFrame, squared: bool) -> pd.Series:
    values = part.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.Series(skm.row_norms(values, squared=squared), index=part.index)


def row_norms(X: Any, squared: bool = False) -> Any:
    """Euclidean norm of each row of ``X``, as scikit-learn's, lazily for dask input.

    Parameters
    ----------
    X : 2-D array-like, pandas DataFrame, dask array or dask DataFrame
        The rows to measure.
    squared : bool, default=False
        Return squared norms (cheaper: no square root).

    Returns
    -------
    numpy.ndarray, pandas.Series, dask array or dask Series
        One value per row. NumPy in: NumPy out (:func:`sklearn.utils.extmath.row_norms`).
        A pandas DataFrame gives a Series with its index; a dask DataFrame a dask Series with
        its index and divisions; a dask array a 1-D dask array with its row chunks.

    Raises
    ------
    ValueError
        When ``X`` is not 2-D, or a dataframe has non-numeric columns.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from dasklearn.utils import row_norms
    >>> X = np.array([[3.0, 4.0], [1.0, 0.0]])
    >>> row_norms(X)
    array([5., 1.])
    >>> norms = row_norms(da.from_array(X, chunks=1), squared=True)
    >>> norms.chunks
    ((1, 1),)
    >>> norms.compute()
    array([25.,  1.])
    """
    kind = input_kind(X)
    if kind == "other" and not sp.issparse(X):
        X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"row_norms expects a 2-D X, got {X.ndim} dimension(s).")
    if kind in ("pandas", "dask_dataframe"):
        bad = [
            str(c)
            for c, t in X.dtypes.items()
            if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t))
        ]
        if bad:
            raise ValueError(f"row_norms needs numeric columns; {bad} are not.")
        if kind == "pandas":
            return _row_norms_partition(X, squared)
        return X.map_partitions(
            _row_norms_partition, squared, meta=pd.Series(np.array([], dtype=np.float64))
        )
    if kind == "dask_array":
        if X.numblocks[1] > 1:
            norms = (X * X).sum(axis=1)
            return norms if squared else da.sqrt(norms)
        dtype = skm.row_norms(np.ones((1, 1), dtype=X.dtype), squared=squared).dtype
        return X.map_blocks(
            _row_norms_block,
            squared,
            chunks=(X.chunks[0],),
            drop_axis=1,
            dtype=dtype,
            meta=np.empty((0,), dtype=dtype),
        )
    return skm.row_norms(X, squared=squared)


# --------------------------------------------------------------------------------------------
# assert_estimator_equal
# --------------------------------------------------------------------------------------------

#: dask assert_eq keywords about graphs and chunks: meaningless once values are computed
_IGNORED_ASSERT_EQ = frozenset({"check_graph", "check_meta", "check_chunks", "scheduler"})


def _fitted_attributes(estimator: Any) -> dict[str, Any]:
    """Public attributes ending in ``_`` that can be read (properties may raise)."""
    found = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        for name in dir(estimator):
            if name.endswith("_") and not name.startswith("_"):
                try:
                    found[name] = getattr(estimator, name)
                except AttributeError:
                    continue
    return found


def _is_estimator(obj: Any) -> bool:
    return hasattr(obj, "get_params") and hasattr(obj, "fit") and not isinstance(obj, type)


def _is_numeric_value(x: Any) -> bool:
    if isinstance(x, np.ndarray | np.generic):
        return x.dtype.kind in "biufc"
    return isinstance(x, numbers.Number)


def _assert_value_equal(left: Any, right: Any, name: str, options: dict) -> None:
    if _is_estimator(left) or _is_estimator(right):
        if type(left) is not type(right):
            raise AssertionError(
                f"{name}: {type(left).__name__} on the left, {type(right).__name__} on the right."
            )
        _assert_estimators(left, right, set(), options, prefix=f"{name}.")
        return
    if isinstance(left, pd.DataFrame | pd.Series) and isinstance(right, pd.DataFrame | pd.Series):
        check = (
            pd.testing.assert_frame_equal
            if isinstance(left, pd.DataFrame)
            else pd.testing.assert_series_equal
        )
        try:
            check(
                left,
                right,
                check_dtype=options["check_dtype"],
                check_exact=False,
                rtol=options["rtol"],
                atol=options["atol"],
            )
        except AssertionError as err:
            raise AssertionError(f"{name}: {err}") from None
        return
    if isinstance(left, dict) and isinstance(right, dict):
        if set(left) != set(right):
            raise AssertionError(
                f"{name}: keys differ; only on the left {sorted(map(str, set(left) - set(right)))}"
                f", only on the right {sorted(map(str, set(right) - set(left)))}."
            )
        for key in left:
            _assert_value_equal(left[key], right[key], f"{name}[{key!r}]", options)
        return
    array_like = (np.ndarray, np.generic, pd.DataFrame, pd.Series)
    if isinstance(left, array_like) or isinstance(right, array_like):
        a, b = np.asarray(left), np.asarray(right)
        both_arrays = isinstance(left, np.ndarray) and isinstance(right, np.ndarray)
        if options["check_dtype"] and both_arrays and a.dtype != b.dtype:
            raise AssertionError(f"{name}: dtype {a.dtype} on the left, {b.dtype} on the right.")
        if a.shape != b.shape:
            raise AssertionError(f"{name}: shape {a.shape} on the left, {b.shape} on the right.")
        if a.dtype.kind in "iufc" and b.dtype.kind in "iufc":
            np.testing.assert_allclose(
                a,
                b,
                rtol=options["rtol"],
                atol=options["atol"],
                equal_nan=options["equal_nan"],
                err_msg=name,
            )
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)
        return
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        if len(left) != len(right):
            raise AssertionError(
                f"{name}: {len(left)} items on the left, {len(right)} on the right."
            )
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            _assert_value_equal(a, b, f"{name}[{i}]", options)
        return
    if _is_numeric_value(left) and _is_numeric_value(right):
        np.testing.assert_allclose(
            left,
            right,
            rtol=options["rtol"],
            atol=options["atol"],
            equal_nan=options["equal_nan"],
            err_msg=name,
        )
        return
    try:
        equal = left is right or bool(left == right)
    except Exception:  # an == that does not give one bool
        equal = False
    if not equal:
        raise AssertionError(
            f"{name}: {left!r} on the left, {right!r} on the right (pass exclude={name!r} to "
            "skip an attribute that cannot be compared)."
        )


def _dask_values(value: Any, found: list[Any]) -> None:
    if dask.is_dask_collection(value):
        found.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _dask_values(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _dask_values(item, found)


def _replaced(value: Any, computed: dict[int, Any]) -> Any:
    if dask.is_dask_collection(value):
        return computed[id(value)]
    if isinstance(value, dict):
        return {key: _replaced(item, computed) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_replaced(item, computed) for item in value)
    return value


def _computed(value: Any) -> Any:
    """``value`` with the dask collections in its dicts, lists and tuples computed."""
    found: list[Any] = []
    _dask_values(value, found)
    if not found:
        return value
    return _replaced(value, {id(c): r for c, r in zip(found, _compute(found), strict=True)})


def _assert_estimators(
    left: Any, right: Any, exclude: set[str], options: dict, prefix: str = ""
) -> None:
    left_attrs = {k: v for k, v in _fitted_attributes(left).items() if k not in exclude}
    right_attrs = {k: v for k, v in _fitted_attributes(right).items() if k not in exclude}
    if set(left_attrs) != set(right_attrs):
        raise AssertionError(
            f"{prefix or 'The estimators'} fitted attributes differ: only on the left "
            f"{sorted(set(left_attrs) - set(right_attrs))}, only on the right "
            f"{sorted(set(right_attrs) - set(left_attrs))}."
        )
    left_attrs, right_attrs = _computed((left_attrs, right_attrs))
    for attr in sorted(left_attrs):
        _assert_value_equal(left_attrs[attr], right_attrs[attr], prefix + attr, options)


def assert_estimator_equal(
    left: Any, right: Any, exclude: str | Sequence[str] | None = None, **kwargs: Any
) -> None:
    """Assert that two fitted estimators have equal fitted attributes.

    The fitted attributes are the public ones whose names end in ``_`` (``coef_``,
    ``cluster_centers_``, ``n_iter_``, ...). Both estimators must have the same set of them,
    apart from ``exclude``; then each pair is compared: dask collections are computed
    (together, also inside dicts, lists and tuples), numeric arrays and numbers with
    :func:`numpy.testing.assert_allclose`, other arrays exactly, pandas objects with pandas'
    testing functions, dicts/lists/tuples item by item, nested estimators (``best_estimator_``,
    ``estimators_``) by their own fitted attributes, anything else with ``==``.

    Parameters
    ----------
    left, right : estimators
        The fitted estimators to compare, for example a dasklearn one and a scikit-learn one.
    exclude : str or sequence of str, optional
        Names of attributes to skip (on both sides).
    **kwargs
        ``rtol`` (default 1e-5), ``atol`` (default 1e-8) and ``equal_nan`` (default True) for
        numeric values, the tolerances of dask's ``assert_eq`` that dask-ml passed these to;
        ``check_dtype`` (default True): NumPy arrays must have the same dtype. dask's
        ``check_graph``, ``check_meta``, ``check_chunks`` and ``scheduler`` are accepted and
        ignored (values are compared after computing).

    Returns
    -------
    None

    Raises
    ------
    AssertionError
        Naming the first attribute that differs (``"best_estimator_.coef_"`` for nested ones).
    TypeError
        For a keyword not listed above.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from dasklearn.utils import assert_estimator_equal
    >>> X, y = np.arange(20.0).reshape(10, 2), np.arange(10.0)
    >>> a, b = LinearRegression().fit(X, y), LinearRegression().fit(X, y)
    >>> assert_estimator_equal(a, b)
    >>> b.intercept_ += 1.0
    >>> assert_estimator_equal(a, b, exclude="intercept_")
    >>> assert_estimator_equal(a, b)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: ...intercept_...
    """
    options = {"rtol": 1e-5, "atol": 1e-8, "equal_nan": True, "check_dtype": True}
    unknown = set(kwargs) - set(options) - _IGNORED_ASSERT_EQ
    if unknown:
        raise TypeError(
            f"assert_estimator_equal got unexpected keyword(s) {sorted(unknown)}; it takes "
            f"exclude and {sorted(set(options) | _IGNORED_ASSERT_EQ)}."
        )
    options.update({k: v for k, v in kwargs.items() if k in options})
    if exclude is None:
        excluded: set[str] = set()
    elif isinstance(exclude, str):
        excluded = {exclude}
    else:
        excluded = set(exclude)
    _assert_estimators(left, right, excluded, options)
