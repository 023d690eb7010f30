"""Pairwise distances and kernels between the rows of a large X and a small Y, blockwise.

The result has X's row chunks and one column block (Y's rows): each row block is scikit-learn's
function of that block and all of Y, through the shared output layer
(:func:`dasklearn._output.map_rows`). Y is in memory, or a dask collection that is read as one
block (it must fit in memory: it is one column block of the result). ``Y=None`` means X itself,
read as one block too (unknown row lengths are found first, in one cheap pass), with the pairs
of a row with itself set as scikit-learn sets them (distance 0, RBF kernel 1). In-memory X goes
to scikit-learn as it is. A dask DataFrame X gives dask arrays (a distance matrix has no
meaningful column labels).

``pairwise_distances_argmin_min`` with ``axis=1`` is per-row work too (the nearest row of Y for
each row of X); with ``axis=0`` it is a pass over X (the nearest row of X for each row of Y):
one :func:`dasklearn._blockwise.reduction` whose partials are merged in block order, so ties go
to the first row, as in scikit-learn.
"""

from __future__ import annotations

import warnings
from functools import partial
from typing import Any

import dask
import dask.array as da
import numpy as np
import pandas as pd
import sklearn.metrics.pairwise as skp

from .._array_checks import check_array
from .._blockwise import reduction
from .._output import Output, map_rows
from .._validation import is_dask_input

__all__ = [
    "euclidean_distances",
    "linear_kernel",
    "pairwise_distances",
    "pairwise_distances_argmin_min",
    "pairwise_kernels",
    "polynomial_kernel",
    "rbf_kernel",
    "sigmoid_kernel",
]

#: metric parameters scikit-learn derives from all of X when Y is X: not computable per block
_DATA_PARAMETERS = {"seuclidean": "V", "mahalanobis": "VI"}


# --------------------------------------------------------------------------------------------
# block kernels
# --------------------------------------------------------------------------------------------


class _RowsKernel:
    """``func(X_block, Y, **kwargs)`` for one row block of X: one picklable object, so that the
    output layer ships the function and its parameters as one argument.

    ``layout`` = (X's columns, X's dtype, names of extra columns after X's): ``"X_norm_squared"``
    (X's squared row norms) and ``"row"`` (the global row numbers of the block, whose pairs with
    themselves are set to ``self_value``).
    """

    def __init__(
        self,
        func: Any,
        kwargs: dict[str, Any],
        layout: tuple[int, Any, tuple[str, ...]],
        self_value: float | None,
    ) -> None:
        self.func, self.kwargs, self.layout, self.self_value = func, kwargs, layout, self_value
        self.__name__ = "pairwise"

    def __call__(self, block: np.ndarray, Y: Any, Y_norm_squared: Any) -> np.ndarray:
        n_features, x_dtype, extras = self.layout
        kwargs = dict(self.kwargs)
        if Y_norm_squared is not None:
            kwargs["Y_norm_squared"] = Y_norm_squared
        X, rows = block, None
        if extras:
            X = block[:, :n_features].astype(x_dtype, copy=False)
            for j, name in enumerate(extras, start=n_features):
                if name == "X_norm_squared":
                    kwargs["X_norm_squared"] = block[:, j : j + 1]
                else:
                    rows = block[:, j].astype(np.intp)
        out = self.func(X, Y, **kwargs)
        if rows is not None:
            out = np.array(out, copy=True)
            out[np.arange(len(rows)), rows] = self.self_value
        return out


class _ArgminMin:
    """Index and distance of the nearest row of Y for each row of a block, as two columns."""

    def __init__(self, metric: Any, metric_kwargs: Any) -> None:
        self.metric, self.metric_kwargs = metric, metric_kwargs
        self.__name__ = "pairwise_distances_argmin_min"

    def __call__(self, block: np.ndarray, Y: Any) -> np.ndarray:
        index, dist = skp.pairwise_distances_argmin_min(
            block, Y, metric=self.metric, metric_kwargs=self.metric_kwargs
        )
        return np.column_stack([index.astype(np.float64), dist.astype(np.float64)])


def _nearest_in_block(block: np.ndarray, Y: Any, metric: Any, metric_kwargs: Any) -> tuple:
    """For each row of Y, its nearest row in the block: (rows of the block, index, distance)."""
    n = len(block)
    if n == 0:
        return 0, np.zeros(len(Y), dtype=np.intp), np.full(len(Y), np.inf)
    index, dist = skp.pairwise_distances_argmin_min(
        Y, block, metric=metric, metric_kwargs=metric_kwargs
    )
    return n, index, dist


def _merge_nearest(a: tuple, b: tuple) -> tuple:
    """The nearer of two blocks' answers; a tie keeps the earlier block (the first row)."""
    n_a, index_a, dist_a = a
    n_b, index_b, dist_b = b
    closer = dist_b < dist_a
    return n_a + n_b, np.where(closer, index_b + n_a, index_a), np.where(closer, dist_b, dist_a)


def _nearest_result(merged: tuple) -> tuple[np.ndarray, np.ndarray]:
    n, index, dist = merged
    if n == 0:
        raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
    return index.astype(np.intp), dist


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------


def _rows(X: Any, known: bool = False) -> da.Array:
    """Dask X as a dask array with all columns in one block (dataframes converted)."""
    return check_array(X, dtype=None, ensure_all_finite=False, known_chunks=known)


def _whole(Y: da.Array) -> Any:
    """A dask array as one lazy block (a Delayed), for every row block of X to read."""
    return Y.rechunk({0: -1, 1: -1} if Y.ndim == 2 else {0: -1}).to_delayed().ravel()[0]


def _in_memory(Y: Any) -> Any:
    if Y is None or not is_dask_input(Y):
        return Y
    return np.asarray(Y.compute())


def _out_dtype(func: Any, x_dtype: Any, y_dtype: Any, n_features: int, kwargs: dict) -> Any:
    """The dtype ``func`` returns for blocks of these dtypes: run it on one row of zeros."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = np.zeros((1, n_features), dtype=x_dtype)
            y = np.zeros((1, n_features), dtype=y_dtype)
            return np.asarray(func(x, y, **kwargs)).dtype
    except Exception:  # a metric that refuses zeros: scikit-learn's usual float64
        return np.dtype(np.float64)


def _blockwise(
    func: Any,
    X: Any,
    Y: Any,
    kwargs: dict[str, Any],
    self_value: float | None = None,
    X_norm_squared: Any = None,
    Y_norm_squared: Any = None,
) -> Any:
    """``func(X, Y, **kwargs)`` by row blocks of dask X (see the module); in-memory X: as is."""
    y_norms = _in_memory(Y_norm_squared)
    if not is_dask_input(X):
        norms = {"X_norm_squared": _in_memory(X_norm_squared), "Y_norm_squared": y_norms}
        norms = {key: value for key, value in norms.items() if value is not None}
        return func(X, _in_memory(Y), **kwargs, **norms)
    self_pairs = Y is None and self_value is not None
    Xd = _rows(X, known=Y is None or X_norm_squared is not None)
    n_features = Xd.shape[1]
    if Y is None:
        Y_arg, n_y, y_dtype = _whole(Xd), Xd.shape[0], Xd.dtype
        if X_norm_squared is not None and y_norms is None:
            y_norms = _norms_column(X_norm_squared, Xd).ravel()
            y_norms = _whole(y_norms) if isinstance(y_norms, da.Array) else y_norms
    else:
        Y_arg = _in_memory(Y)
        if not hasattr(Y_arg, "shape") or isinstance(Y_arg, pd.DataFrame):
            Y_arg = np.asarray(Y_arg)  # sparse Y stays sparse
        n_y, y_dtype = Y_arg.shape[0], getattr(Y_arg, "dtype", np.float64)
        if isinstance(Y_arg, np.ndarray) and Y_arg.ndim == 2 and Y_arg.shape[1] != n_features:
            raise ValueError(
                f"Incompatible dimension for X and Y matrices: X.shape[1] == {n_features} "
                f"while Y.shape[1] == {Y_arg.shape[1]}"
            )
    out_dtype = _out_dtype(func, Xd.dtype, y_dtype, n_features, kwargs)
    extras: list[str] = []
    columns = [Xd]
    if X_norm_squared is not None:
        extras.append("X_norm_squared")
        columns.append(_norms_column(X_norm_squared, Xd))
    if self_pairs:
        extras.append("row")
        columns.append(da.arange(Xd.shape[0], chunks=Xd.chunks[0])[:, None])
    block_input = da.concatenate(columns, axis=1) if extras else Xd
    layout = (n_features, Xd.dtype, tuple(extras))
    kernel = _RowsKernel(func, kwargs, layout, self_value if self_pairs else None)
    output = Output(out_dtype, width=int(n_y))
    return map_rows(kernel, block_input, Y_arg, y_norms, output=output, dtype=None)


def _norms_column(norms: Any, Xd: da.Array) -> da.Array:
    """X's squared row norms ((n,), (n, 1) or (1, n)) as one column in X's row chunks."""
    if is_dask_input(norms):
        ndim = getattr(norms, "ndim", 1)
        norms = check_array(
            norms, ensure_2d=ndim == 2, ensure_all_finite=False, what="X_norm_squared"
        ).ravel()
    else:
        norms = np.asarray(norms, dtype=np.float64).ravel()
    if norms.shape[0] != Xd.shape[0]:
        raise ValueError(
            f"Incompatible dimensions for X of shape {Xd.shape} and X_norm_squared of shape "
            f"{norms.shape}."
        )
    if isinstance(norms, da.Array):
        return norms.rechunk({0: Xd.chunks[0]})[:, None]
    return da.from_array(norms, chunks=(Xd.chunks[0],))[:, None]


def _check_data_parameters(X: Any, Y: Any, metric: Any, kwargs: dict[str, Any]) -> None:
    name = _DATA_PARAMETERS.get(metric) if isinstance(metric, str) else None
    if name is not None and name not in kwargs and Y is None and is_dask_input(X):
        raise ValueError(
            f"The {metric!r} metric of dask X needs its '{name}' parameter: scikit-learn derives "
            "it from all of X, which a block does not see. Compute it and pass it."
        )


# --------------------------------------------------------------------------------------------
# distances
# --------------------------------------------------------------------------------------------


def pairwise_distances(
    X: Any, Y: Any = None, metric: Any = "euclidean", n_jobs: int | None = None, **kwargs: Any
) -> Any:
    """Distances between the rows of X and those of Y, by row blocks of X.

    Parameters
    ----------
    X : array-like, pandas or dask collection of shape (n_samples_X, n_features)
        The rows to measure from; dask input gives a lazy result in X's row chunks.
    Y : array-like of shape (n_samples_Y, n_features), optional
        In memory (a dask Y is read as one block: it must fit). None: X itself.
    metric : str or callable, default="euclidean"
        Any metric of scikit-learn's ``pairwise_distances``. ``"seuclidean"`` and
        ``"mahalanobis"`` with ``Y=None`` need ``V``/``VI`` for dask X.
    n_jobs : int, optional
        Ignored: dask runs the blocks in parallel (accepted for dask-ml compatibility).
    **kwargs
        Parameters of the metric.

    Returns
    -------
    distances : ndarray or dask array of shape (n_samples_X, n_samples_Y)
        NumPy for in-memory X; for dask X (array or DataFrame) a dask array with X's row chunks
        and one column block.

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.metrics import pairwise_distances
    >>> X = da.from_array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]], chunks=2)
    >>> D = pairwise_distances(X, [[0.0, 0.0]])
    >>> D.chunks
    ((2, 1), (1,))
    >>> D.compute().ravel().tolist()
    [0.0, 5.0, 10.0]
    """
    if metric == "precomputed":
        return skp.pairwise_distances(X, Y, metric=metric) if not is_dask_input(X) else _rows(X)
    _check_data_parameters(X, Y, metric, kwargs)
    func = partial(skp.pairwise_distances, metric=metric)
    self_value = 0.0 if isinstance(metric, str) else None
    return _blockwise(func, X, Y, kwargs, self_value=self_value)


def euclidean_distances(
    X: Any,
    Y: Any = None,
    Y_norm_squared: Any = None,
    squared: bool = False,
    X_norm_squared: Any = None,
) -> Any:
    """Euclidean distances between the rows of X and those of Y, by row blocks of X.

    Parameters
    ----------
    X : array-like, pandas or dask collection of shape (n_samples_X, n_features)
        The rows to measure from; dask input gives a lazy result in X's row chunks.
    Y : array-like of shape (n_samples_Y, n_features), optional
        In memory (a dask Y is read as one block). None: X itself (self distances are 0).
    Y_norm_squared : array-like of shape (n_samples_Y,), optional
        Squared norms of Y's rows, if known.
    squared : bool, default=False
        Return squared distances.
    X_norm_squared : array-like or dask collection of shape (n_samples_X,), optional
        Squared norms of X's rows, if known.

    Returns
    -------
    distances : ndarray or dask array of shape (n_samples_X, n_samples_Y)
        As scikit-learn's ``euclidean_distances``; a dask array in X's row chunks for dask X.

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.metrics import euclidean_distances
    >>> X = da.from_array([[0.0, 1.0], [1.0, 1.0]], chunks=1)
    >>> euclidean_distances(X, [[0.0, 0.0]]).compute().ravel().tolist()
    [1.0, 1.4142135623730951]
    >>> euclidean_distances(X).compute().tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    return _blockwise(
        skp.euclidean_distances,
        X,
        Y,
        {"squared": squared},
        self_value=0.0,
        X_norm_squared=X_norm_squared,
        Y_norm_squared=Y_norm_squared,
    )


def pairwise_distances_argmin_min(
    X: Any,
    Y: Any,
    axis: int = 1,
    metric: Any = "euclidean",
    batch_size: int | None = None,
    metric_kwargs: dict[str, Any] | None = None,
) -> tuple[Any, Any]:
    """For each row of X the nearest row of Y (``axis=1``), or for each row of Y the nearest
    row of X (``axis=0``): its index and distance.

    Parameters
    ----------
    X : array-like, pandas or dask collection of shape (n_samples_X, n_features)
        The large side.
    Y : array-like of shape (n_samples_Y, n_features)
        In memory (a dask Y is read as one block).
    axis : {0, 1}, default=1
        1: per row of X (a result in X's row chunks); 0: per row of Y (one pass over X).
    metric : str or callable, default="euclidean"
        Any metric of scikit-learn's ``pairwise_distances``.
    batch_size : None
        Ignored; accepted for dask-ml compatibility (where it was deprecated): the work is
        split by X's row blocks.
    metric_kwargs : dict, optional
        Parameters of the metric.

    Returns
    -------
    argmin : ndarray or dask array of int
        Index of the nearest row.
    distances : ndarray or dask array of float
        Its distance. For dask X both are lazy dask arrays: in X's row chunks for ``axis=1``,
        one block of Y's length for ``axis=0`` (compute them together, with ``dask.compute``).

    Examples
    --------
    >>> import dask
    >>> import dask.array as da
    >>> from dasklearn.metrics import pairwise_distances_argmin_min
    >>> X = da.from_array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]], chunks=2)
    >>> argmin, dist = pairwise_distances_argmin_min(X, [[0.0, 0.0], [6.0, 8.0]])
    >>> argmin, dist = dask.compute(argmin, dist)
    >>> argmin.tolist(), dist.tolist()
    ([0, 0, 1], [0.0, 5.0, 0.0])
    """
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 or 1, got {axis!r}.")
    if not is_dask_input(X):
        return skp.pairwise_distances_argmin_min(
            _in_memory(X), _in_memory(Y), axis=axis, metric=metric, metric_kwargs=metric_kwargs
        )
    Xd = _rows(X)
    Y = _in_memory(Y)
    if axis == 0:
        pass_ = reduction(
            _nearest_in_block,
            Xd,
            args=(Y, metric, metric_kwargs),
            combine=_merge_nearest,
            aggregate=_nearest_result,
            name="pairwise_distances_argmin_min",
        )
        result = dask.delayed(pass_)
        n_y = len(Y)
        return (
            da.from_delayed(result[0], shape=(n_y,), dtype=np.intp),
            da.from_delayed(result[1], shape=(n_y,), dtype=np.float64),
        )
    kernel = _ArgminMin(metric, metric_kwargs)
    both = map_rows(kernel, Xd, Y, output=Output(np.float64, width=2), dtype=None)
    return both[:, 0].astype(np.intp), both[:, 1]


# --------------------------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------------------------

#: the value scikit-learn gives the pair of a row with itself when Y is X (rbf: exp(-0))
_SELF_KERNEL = {"rbf": 1.0}


def pairwise_kernels(
    X: Any,
    Y: Any = None,
    metric: Any = "linear",
    filter_params: bool = False,
    n_jobs: int | None = None,
    **kwds: Any,
) -> Any:
    """A kernel between the rows of X and those of Y, by row blocks of X.

    Parameters
    ----------
    X : array-like, pandas or dask collection of shape (n_samples_X, n_features)
        Dask input gives a lazy result in X's row chunks.
    Y : array-like of shape (n_samples_Y, n_features), optional
        In memory (a dask Y is read as one block). None: X itself.
    metric : str or callable, default="linear"
        Any kernel of scikit-learn's ``pairwise_kernels`` ("linear", "rbf", "polynomial",
        "sigmoid", "laplacian", "cosine", "chi2", ...), a callable or "precomputed".
    filter_params : bool, default=False
        Drop parameters the kernel does not take.
    n_jobs : int, optional
        Ignored: dask runs the blocks in parallel.
    **kwds
        Parameters of the kernel.

    Returns
    -------
    kernel : ndarray or dask array of shape (n_samples_X, n_samples_Y)
        NumPy for in-memory X; a dask array in X's row chunks for dask X.

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.metrics import pairwise_kernels
    >>> X = da.from_array([[1.0, 0.0], [0.0, 2.0]], chunks=1)
    >>> pairwise_kernels(X, [[1.0, 1.0]], metric="linear").compute().ravel().tolist()
    [1.0, 2.0]
    """
    if metric == "precomputed":
        return skp.pairwise_kernels(X, Y, metric=metric) if not is_dask_input(X) else _rows(X)
    func = partial(skp.pairwise_kernels, metric=metric, filter_params=filter_params)
    self_value = _SELF_KERNEL.get(metric) if isinstance(metric, str) else None
    return _blockwise(func, X, Y, kwds, self_value=self_value)


def rbf_kernel(X: Any, Y: Any = None, gamma: float | None = None) -> Any:
    """The RBF (Gaussian) kernel ``exp(-gamma ||x - y||^2)``, by row blocks of X.

    Parameters
    ----------
    X : array-like, pandas or dask collection of shape (n_samples_X, n_features)
        Dask input gives a lazy result in X's row chunks.
    Y : array-like of shape (n_samples_Y, n_features), optional
        In memory (a dask Y is read as one block). None: X itself.
    gamma : float, optional
        Default ``1 / n_features``.

    Returns
    -------
    kernel : ndarray or dask array of shape (n_samples_X, n_samples_Y)

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.metrics import rbf_kernel
    >>> X = da.from_array([[0.0, 0.0], [1.0, 0.0]], chunks=1)
    >>> rbf_kernel(X, gamma=1.0).compute().round(6).tolist()
    [[1.0, 0.367879], [0.367879, 1.0]]
    """
    return _blockwise(skp.rbf_kernel, X, Y, {"gamma": gamma}, self_value=1.0)


def linear_kernel(X: Any, Y: Any = None) -> Any:
    """The linear kernel ``X @ Y.T``, by row blocks of X.

    Parameters
    ----------
    X : array-like, pandas or dask collection of shape (n_samples_X, n_features)
        Dask input gives a lazy result in X's row chunks.
    Y : array-like of shape (n_samples_Y, n_features), optional
        In memory (a dask Y is read as one block). None: X itself.

    Returns
    -------
    kernel : ndarray or dask array of shape (n_samples_X, n_samples_Y)

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.metrics import linear_kernel
    >>> X = da.from_array([[1.0, 2.0], [3.0, 4.0]], chunks=1)
    >>> linear_kernel(X, [[1.0, 1.0]]).compute().ravel().tolist()
    [3.0, 7.0]
    """
    return _blockwise(skp.linear_kernel, X, Y, {})


def polynomial_kernel(
    X: Any, Y: Any = None, degree: float = 3, gamma: float | None = None, coef0: float = 1
) -> Any:
    """The polynomial kernel ``(gamma <x, y> + coef0) ** degree``, by row blocks of X.

    Parameters
    ----------
    X : array-like, pandas or dask collection of shape (n_samples_X, n_features)
        Dask input gives a lazy result in X's row chunks.
    Y : array-like of shape (n_samples_Y, n_features), optional
        In memory (a dask Y is read as one block). None: X itself.
    degree : float, default=3
    gamma : float, optional
        Default ``1 / n_features``.
    coef0 : float, default=1

    Returns
    -------
    kernel : ndarray or dask array of shape (n_samples_X, n_samples_Y)

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.metrics import polynomial_kernel
    >>> X = da.from_array([[1.0, 0.0], [0.0, 1.0]], chunks=1)
    >>> polynomial_kernel(X, [[1.0, 1.0]], degree=2, gamma=1.0).compute().ravel().tolist()
    [4.0, 4.0]
    """
    kwargs = {"degree": degree, "gamma": gamma, "coef0": coef0}
    return _blockwise(skp.polynomial_kernel, X, Y, kwargs)


def sigmoid_kernel(X: Any, Y: Any = None, gamma: float | None = None, coef0: float = 1) -> Any:
    """The sigmoid kernel ``tanh(gamma <x, y> + coef0)``, by row blocks of X.

    Parameters
    ----------
    X : array-like, pandas or dask collection of shape (n_samples_X, n_features)
        Dask input gives a lazy result in X's row chunks.
    Y : array-like of shape (n_samples_Y, n_features), optional
        In memory (a dask Y is read as one block). None: X itself.
    gamma : float, optional
        Default ``1 / n_features``.
    coef0 : float, default=1

    Returns
    -------
    kernel : ndarray or dask array of shape (n_samples_X, n_samples_Y)

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.metrics import sigmoid_kernel
    >>> X = da.from_array([[0.0, 0.0], [1.0, 1.0]], chunks=1)
    >>> sigmoid_kernel(X, [[1.0, 1.0]], gamma=0.5, coef0=0.0).compute().round(6).ravel().tolist()
    [0.0, 0.761594]
    """
    return _blockwise(skp.sigmoid_kernel, X, Y, {"gamma": gamma, "coef0": coef0})
