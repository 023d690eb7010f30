"""Numerical helpers, lazy on dask input: zeros in scales, SVD signs, row norms.

* :func:`handle_zeros_in_scale`: exact zeros of a scale replaced by ones.
* :func:`svd_flip`: scikit-learn's sign convention for singular vectors (one tree reduction).
* :func:`row_norms`: the Euclidean norm of every row, in the container of the input.
"""

from __future__ import annotations

from typing import Any

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import sklearn.utils.extmath as skm

from .._validation import input_kind

__all__ = ["handle_zeros_in_scale", "row_norms", "svd_flip"]


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
