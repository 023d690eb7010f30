"""check_array: validating input of any kind, dask input from its metadata only.

In-memory input goes to scikit-learn's ``check_array``; a dask array is checked for its chunk
structure and scikit-learn's rules run on a tiny NumPy stand-in of the same dtype and width; a
dask dataframe or series is checked from its columns and dtypes. No block is read.
"""

from __future__ import annotations

from typing import Any

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from dask.array.utils import meta_from_array
from sklearn.utils.validation import check_array as _sk_check_array

from .._validation import input_kind
from ._dask import describe

__all__ = ["check_array"]


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
                f"This estimator does not support dask dataframes (got a {describe(array)}). "
                "This might be resolved with one of\n\n"
                "    1. ddf.to_dask_array(lengths=True)\n"
                "    2. ddf.to_dask_array()  # unknown chunk sizes may cause other issues"
            )
        _check_dask_frame(array, args, kwargs)
        return array
    if hasattr(array, "__dask_graph__"):
        raise TypeError(
            f"Unsupported dask collection {describe(array)}; pass a dask array or a dask "
            "dataframe/series."
        )
    if isinstance(array, pd.DataFrame) and preserve_pandas_dataframe:
        _sk_check_array(array, *args, **kwargs)
        return array
    return _sk_check_array(array, *args, **kwargs)
