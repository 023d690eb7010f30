"""Regression metrics in one pass: MSE (and RMSE), MAE, MAPE, MSLE and R².

In-memory input goes to scikit-learn as it is. Dask input is scored by one
:func:`dasklearn._blockwise.reduction` over the row blocks of y_true, y_pred and sample_weight:
per block, the weighted sums of the errors per output (and, for R², the weighted mean and sum
of squared deviations of y_true, merged with Chan et al.'s update), see :mod:`._kernels`.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import sklearn.metrics

from .._blockwise import reduction
from . import _kernels as K
from ._inputs import aligned, gathered, run

__all__ = [
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_log_error",
    "r2_score",
]

_WHATS = ("y_true", "y_pred", "sample_weight")
_MULTIOUTPUT = ("raw_values", "uniform_average")

#: scikit-learn's function of each metric: (squared, root)
_SKLEARN = {
    "mse": (sklearn.metrics.mean_squared_error, sklearn.metrics.root_mean_squared_error),
    "mae": (sklearn.metrics.mean_absolute_error, None),
    "mape": (sklearn.metrics.mean_absolute_percentage_error, None),
    "msle": (sklearn.metrics.mean_squared_log_error, sklearn.metrics.root_mean_squared_log_error),
    "r2": (sklearn.metrics.r2_score, None),
}


_NAMES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_log_error",
    "r2": "r2_score",
}


def _check_multioutput(multioutput: Any, metric: str, n_outputs: int) -> Any:
    """scikit-learn's checks of ``multioutput``, from metadata (before the pass)."""
    allowed = _MULTIOUTPUT + ("variance_weighted",) if metric == "r2" else _MULTIOUTPUT
    if isinstance(multioutput, str):
        if multioutput not in allowed:
            raise ValueError(
                f"Allowed 'multioutput' string values are {allowed}. You provided "
                f"multioutput={multioutput!r}"
            )
        return multioutput
    if multioutput is None and metric == "r2":
        return multioutput
    weights = np.asarray(multioutput, dtype=np.float64)
    if weights.ndim != 1:
        raise ValueError(f"multioutput weights must be 1-D, got shape {weights.shape}.")
    if n_outputs == 1:
        raise ValueError("Custom weights are useful only in multi-output cases.")
    if len(weights) != n_outputs:
        raise ValueError(
            f"There must be equally many custom weights ({len(weights)}) as outputs ({n_outputs})."
        )
    return weights


def _regression(
    metric: str,
    y_true: Any,
    y_pred: Any,
    sample_weight: Any,
    multioutput: Any,
    compute: bool,
    squared: bool = True,
    force_finite: bool = True,
    sign: float = 1.0,
) -> Any:
    """Every regression metric: scikit-learn for in-memory input, else one reduction."""
    values = (y_true, y_pred, sample_weight)
    (y_true, y_pred, w), mode = aligned(values, _WHATS, ("numeric",) * 3)
    func = _SKLEARN[metric][0 if squared else 1]
    kwargs: dict[str, Any] = {"sample_weight": w, "multioutput": multioutput}
    if metric == "r2":
        kwargs["force_finite"] = force_finite
    if mode == "memory":
        return sign * func(y_true, y_pred, **kwargs)
    if mode == "gather":
        return gathered(func, sign, compute, y_true, y_pred, **kwargs)
    k_true = 1 if y_true.ndim == 1 else y_true.shape[1]
    k_pred = 1 if y_pred.ndim == 1 else y_pred.shape[1]
    if k_true != k_pred:
        raise ValueError(f"y_true and y_pred have different number of output ({k_true}!={k_pred})")
    multioutput = _check_multioutput(multioutput, metric, k_true)
    finish = partial(
        K.finish_regression,
        metric=metric,
        multioutput=multioutput,
        weighted=w is not None,
        squared=squared,
        force_finite=force_finite,
        sign=sign,
    )
    pass_ = reduction(
        K.regression_stats,
        y_true,
        y_pred,
        w,
        args=(metric, k_true),
        combine=K.merge_regression,
        aggregate=finish,
        name=_NAMES[metric],
    )
    return run(pass_, compute)


def mean_squared_error(
    y_true: Any,
    y_pred: Any,
    sample_weight: Any = None,
    multioutput: Any = "uniform_average",
    squared: bool = True,
    compute: bool = True,
) -> Any:
    """Mean squared error (or its root), in one pass over dask input.

    Parameters
    ----------
    y_true : array-like, pandas or dask collection of shape (n_samples,) or (n_samples, n_outputs)
        True values.
    y_pred : array-like, pandas or dask collection, like y_true
        Predictions, e.g. ``model.predict(X)`` of a dasklearn estimator (a dask array in X's
        row chunks, or a dask Series in X's partitions).
    sample_weight : array-like or dask collection of shape (n_samples,), optional
        Row weights.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        How the outputs' scores are averaged: not at all (an array), uniformly, or with these
        weights.
    squared : bool, default=True
        False: the root mean squared error (dask-ml's flag; scikit-learn 1.6 replaced it with
        ``root_mean_squared_error``). The root is taken per output before averaging, as
        scikit-learn's ``root_mean_squared_error`` does.
    compute : bool, default=True
        False: for dask input return the lazy pass, a dask collection whose ``compute()`` gives
        the score (compute several with one ``dask.compute``). In-memory input is always scored
        at once.

    Returns
    -------
    loss : float or ndarray (``raw_values``), or a lazy dask collection when ``compute=False``
        scikit-learn's ``mean_squared_error`` (``root_mean_squared_error`` for
        ``squared=False``).

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.metrics import mean_squared_error
    >>> y_true = da.from_array([3.0, -0.5, 2.0, 7.0], chunks=2)
    >>> y_pred = da.from_array([2.5, 0.0, 2.0, 8.0], chunks=2)
    >>> mean_squared_error(y_true, y_pred)
    0.375
    >>> round(mean_squared_error(y_true, y_pred, squared=False), 6)
    0.612372
    """
    return _regression("mse", y_true, y_pred, sample_weight, multioutput, compute, squared)


def mean_absolute_error(
    y_true: Any,
    y_pred: Any,
    sample_weight: Any = None,
    multioutput: Any = "uniform_average",
    compute: bool = True,
) -> Any:
    """Mean absolute error, in one pass over dask input.

    Parameters
    ----------
    y_true : array-like, pandas or dask collection of shape (n_samples,) or (n_samples, n_outputs)
        True values.
    y_pred : array-like, pandas or dask collection, like y_true
        Predictions, e.g. ``model.predict(X)`` of a dasklearn estimator (a dask array in X's
        row chunks, or a dask Series in X's partitions).
    sample_weight : array-like or dask collection of shape (n_samples,), optional
        Row weights.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        How the outputs' scores are averaged: not at all (an array), uniformly, or with these
        weights.
    compute : bool, default=True
        False: for dask input return the lazy pass, a dask collection whose ``compute()`` gives
        the score (compute several with one ``dask.compute``). In-memory input is always scored
        at once.

    Returns
    -------
    loss : float or ndarray (``raw_values``), or a lazy dask collection when ``compute=False``
        scikit-learn's ``mean_absolute_error``.

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.metrics import mean_absolute_error
    >>> y_true = da.from_array([3.0, -0.5, 2.0, 7.0], chunks=2)
    >>> y_pred = da.from_array([2.5, 0.0, 2.0, 8.0], chunks=2)
    >>> mean_absolute_error(y_true, y_pred)
    0.5
    """
    return _regression("mae", y_true, y_pred, sample_weight, multioutput, compute)


def mean_absolute_percentage_error(
    y_true: Any,
    y_pred: Any,
    sample_weight: Any = None,
    multioutput: Any = "uniform_average",
    compute: bool = True,
) -> Any:
    """Mean absolute percentage error, in one pass over dask input.

    The relative error of a row is ``|y_pred - y_true| / max(|y_true|, eps)``, ``eps`` the
    machine epsilon of float64, as in scikit-learn (a zero target gives a huge, finite error).
    The result is a fraction, not a percentage.

    Parameters
    ----------
    y_true : array-like, pandas or dask collection of shape (n_samples,) or (n_samples, n_outputs)
        True values.
    y_pred : array-like, pandas or dask collection, like y_true
        Predictions, e.g. ``model.predict(X)`` of a dasklearn estimator (a dask array in X's
        row chunks, or a dask Series in X's partitions).
    sample_weight : array-like or dask collection of shape (n_samples,), optional
        Row weights.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        How the outputs' scores are averaged: not at all (an array), uniformly, or with these
        weights.
    compute : bool, default=True
        False: for dask input return the lazy pass, a dask collection whose ``compute()`` gives
        the score (compute several with one ``dask.compute``). In-memory input is always scored
        at once.

    Returns
    -------
    loss : float or ndarray (``raw_values``), or a lazy dask collection when ``compute=False``
        scikit-learn's ``mean_absolute_percentage_error``.

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.metrics import mean_absolute_percentage_error
    >>> y_true = da.from_array([1.0, 2.0, 4.0, 8.0], chunks=2)
    >>> y_pred = da.from_array([1.5, 2.0, 3.0, 8.0], chunks=2)
    >>> mean_absolute_percentage_error(y_true, y_pred)
    0.1875
    """
    return _regression("mape", y_true, y_pred, sample_weight, multioutput, compute)


def mean_squared_log_error(
    y_true: Any,
    y_pred: Any,
    sample_weight: Any = None,
    multioutput: Any = "uniform_average",
    compute: bool = True,
) -> Any:
    """Mean squared logarithmic error, in one pass over dask input.

    The mean of ``(log1p(y_true) - log1p(y_pred))**2``. Values ``<= -1`` raise a ValueError, as
    in scikit-learn (for dask input, when the pass is computed).

    Parameters
    ----------
    y_true : array-like, pandas or dask collection of shape (n_samples,) or (n_samples, n_outputs)
        True values.
    y_pred : array-like, pandas or dask collection, like y_true
        Predictions, e.g. ``model.predict(X)`` of a dasklearn estimator (a dask array in X's
        row chunks, or a dask Series in X's partitions).
    sample_weight : array-like or dask collection of shape (n_samples,), optional
        Row weights.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,)
        How the outputs' scores are averaged: not at all (an array), uniformly, or with these
        weights.
    compute : bool, default=True
        False: for dask input return the lazy pass, a dask collection whose ``compute()`` gives
        the score (compute several with one ``dask.compute``). In-memory input is always scored
        at once.

    Returns
    -------
    loss : float or ndarray (``raw_values``), or a lazy dask collection when ``compute=False``
        scikit-learn's ``mean_squared_log_error``.

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.metrics import mean_squared_log_error
    >>> y_true = da.from_array([0.0, 1.0, 3.0, 7.0], chunks=2)
    >>> y_pred = da.from_array([0.0, 1.0, 1.0, 3.0], chunks=2)
    >>> round(mean_squared_log_error(y_true, y_pred), 6)
    0.240227
    """
    return _regression("msle", y_true, y_pred, sample_weight, multioutput, compute)


def r2_score(
    y_true: Any,
    y_pred: Any,
    sample_weight: Any = None,
    multioutput: Any = "uniform_average",
    compute: bool = True,
    *,
    force_finite: bool = True,
) -> Any:
    """R² (coefficient of determination), in one pass over dask input.

    Each block contributes its weighted sum of squared errors and the weighted mean and sum of
    squared deviations of y_true, merged exactly (Chan et al.): the target's mean needs no pass
    of its own. A block's deviations are taken from one of its values, so a large common offset
    cancels and a constant target is recognised exactly: ``force_finite`` applies even where
    scikit-learn's rounded mean leaves a tiny variance (``y_true = [0.1] * 3`` and imperfect
    predictions: scikit-learn about -5e31, dasklearn 0).

    Parameters
    ----------
    y_true : array-like, pandas or dask collection of shape (n_samples,) or (n_samples, n_outputs)
        True values.
    y_pred : array-like, pandas or dask collection, like y_true
        Predictions, e.g. ``model.predict(X)`` of a dasklearn estimator (a dask array in X's
        row chunks, or a dask Series in X's partitions).
    sample_weight : array-like or dask collection of shape (n_samples,), optional
        Row weights.
    multioutput : {"raw_values", "uniform_average", "variance_weighted"}, array-like or None
        How the outputs' scores are averaged: not at all (an array), uniformly (also None),
        weighted by the variance of each target, or with these weights.
    compute : bool, default=True
        False: for dask input return the lazy pass, a dask collection whose ``compute()`` gives
        the score (compute several with one ``dask.compute``). In-memory input is always scored
        at once.
    force_finite : bool, default=True
        scikit-learn's convention for a constant target: perfect predictions score 1, others
        0 (rather than NaN or -inf). False: the plain formula.

    Returns
    -------
    score : float or ndarray (``raw_values``), or a lazy dask collection when ``compute=False``
        scikit-learn's ``r2_score``: NaN, with an ``UndefinedMetricWarning``, for fewer than
        two rows.

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.metrics import r2_score
    >>> y_true = da.from_array([3.0, -0.5, 2.0, 7.0], chunks=2)
    >>> y_pred = da.from_array([2.5, 0.0, 2.0, 8.0], chunks=2)
    >>> round(r2_score(y_true, y_pred), 6)
    0.948608
    """
    return _regression(
        "r2", y_true, y_pred, sample_weight, multioutput, compute, force_finite=force_finite
    )
