"""StandardScaler, MinMaxScaler and RobustScaler: statistics of every column in one pass.

Layers (see ARCHITECTURE.md): the classes check parameters and input and store NumPy
attributes, :mod:`._num_passes` makes the passes, :mod:`._num_kernels` does the arithmetic on
one block; ``transform`` and ``inverse_transform`` go through the shared output layer (lazy,
in X's container, for dask input). Like scikit-learn's, these scalers ignore NaN when they fit
and keep it when they transform; infinity is refused.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin

from .._array_checks import check_n_samples
from .._output import Output, OutputMixin, apply_rows
from .._params import check_params
from .._validation import (
    check_is_fitted,
    check_sample_weight,
    check_weight_values,
    is_dask_input,
    validate_data,
)
from . import _num_kernels as K
from . import _num_passes as P

__all__ = ["MinMaxScaler", "RobustScaler", "StandardScaler"]

_FLOATS = [np.float64, np.float32]


def _validate_fit(estimator: Any, X: Any, reset: bool, sample_weight: Any = None) -> Any:
    """Validated X for a fit, reading nothing: NaN and infinity are found by the pass itself.

    In-memory weights beside dask X need X's chunk lengths (one cheap pass) to be cut alike.
    """
    known = is_dask_input(X) and sample_weight is not None and not is_dask_input(sample_weight)
    if not reset:
        check_is_fitted(estimator)
    return validate_data(
        estimator, X, reset=reset, dtype=_FLOATS, ensure_all_finite=False, known_chunks=known
    )


class _Scaler(
    OneToOneFeatureMixin, OutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None
):
    """Per-row plumbing shared by the scalers: affine maps through the output layer."""

    def _map(self, method: str, kernel: Any, X: Any, *args: np.ndarray) -> Any:
        return apply_rows(
            self,
            method,
            kernel,
            X,
            *args,
            output=Output(P.float_dtype(X), width=self.n_features_in_),
            dtype=_FLOATS,
            ensure_all_finite=False,  # the kernels refuse infinity and keep NaN
        )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class StandardScaler(_Scaler, auto_wrap_output_keys=None):
    """Standardize features by removing the mean and scaling to unit variance, in one pass.

    A drop-in for ``dask_ml.preprocessing.StandardScaler`` (scikit-learn's constructor) with
    scikit-learn's attributes and results. One pass over the data computes every statistic:
    each block gives the (weighted) count, mean and centred sum of squares of every column, and
    blocks are merged with Chan, Golub and LeVeque's exact update (the one scikit-learn's
    ``partial_fit`` uses). NaN values are ignored by ``fit`` and kept by ``transform``.

    Parameters
    ----------
    copy : bool, default=True
        Accepted for compatibility: results are always new arrays (X is never modified).
    with_mean : bool, default=True
        Center the data before scaling.
    with_std : bool, default=True
        Scale the data to unit variance.

    Attributes
    ----------
    scale_ : ndarray of shape (n_features,) or None
        Per-feature scale (the standard deviation; 1 for constant features); None when
        ``with_std=False``.
    mean_ : ndarray of shape (n_features,) or None
        Per-feature mean; None when both ``with_mean`` and ``with_std`` are False.
    var_ : ndarray of shape (n_features,) or None
        Per-feature (population) variance; None when ``with_std=False``.
    n_samples_seen_ : int or ndarray of shape (n_features,)
        Samples (sum of weights with ``sample_weight``) seen per feature, NaN excluded; one
        number when every feature saw the same.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit (string column names only).

    Examples
    --------
    >>> import numpy as np
    >>> from dasklearn.preprocessing import StandardScaler
    >>> X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0]])
    >>> scaler = StandardScaler().fit(X)
    >>> scaler.mean_
    array([0.5, 0.5])
    >>> scaler.transform([[2.0, 2.0]])
    array([[3., 3.]])

    Dask input stays lazy, in its container:

    >>> import dask.array as da
    >>> scaler.transform(da.from_array(X, chunks=2))
    dask.array<..., shape=(4, 2), dtype=float64, chunksize=(2, 2), chunktype=numpy.ndarray>
    """

    _parameter_constraints = {
        "copy": ["boolean"],
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
    }

    def __init__(self, *, copy: bool = True, with_mean: bool = True, with_std: bool = True):
        self.copy = copy
        self.with_mean = with_mean
        self.with_std = with_std

    def _reset(self) -> None:
        for name in ("n_samples_seen_", "mean_", "var_", "scale_"):
            self.__dict__.pop(name, None)

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> StandardScaler:
        """Compute the mean and standard deviation of every feature (one pass).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            The data; dask input may be larger than memory.
        y : None
            Ignored.
        sample_weight : array-like or dask array of shape (n_samples,), optional
            Non-negative weight of every row.

        Returns
        -------
        self : StandardScaler
            The fitted scaler.
        """
        self._reset()
        return self.partial_fit(X, y, sample_weight)

    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> StandardScaler:
        """Update the statistics with the rows of X (one pass over X).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            More rows.
        y : None
            Ignored.
        sample_weight : array-like or dask array of shape (n_samples,), optional
            Non-negative weight of every row.

        Returns
        -------
        self : StandardScaler
            The updated scaler.
        """
        check_params(self)
        first = not hasattr(self, "n_samples_seen_")
        Xv = _validate_fit(self, X, reset=first, sample_weight=sample_weight)
        w = check_sample_weight(sample_weight, Xv)
        part = P.moment_pass(Xv, w)
        check_n_samples(int(part["rows"]))  # dask input of unknown length: empty?
        P.refuse_infinity(part["inf"])
        if w is not None and is_dask_input(w):
            check_weight_values(part["w_min"], part["w_sum"])
        if not first:
            part = K.merge_moments(self._state(), part)
        count, mean, var = K.finish_moments(part)
        seen = count > 0  # columns of NaN only have NaN moments, as in scikit-learn
        if not (np.isfinite(mean[seen]).all() and np.isfinite(var[seen]).all()):
            raise ValueError(
                "Input X holds values too large for float64 arithmetic (no infinity, but the "
                "mean or variance overflowed, e.g. |x| near 1e308); rescale the features first."
            )
        # scikit-learn's dtypes: float64 counts when moments are kept, else integers (weights:
        # X's dtype)
        if self.with_mean or self.with_std:
            counts = count
        else:
            counts = count.astype(np.int64) if w is None else count.astype(Xv.dtype)
        self.n_samples_seen_ = counts[0] if counts.max() == counts.min() else counts
        if not self.with_mean and not self.with_std:
            self.mean_ = self.var_ = self.scale_ = None
            return self
        self.mean_ = mean
        self.var_ = var if self.with_std else None
        if self.with_std:
            eps = np.finfo(np.float64).eps
            constant = var <= count * eps * var + (count * mean * eps) ** 2
            self.scale_ = K.zeros_to_ones(np.sqrt(var), constant)
        else:
            self.scale_ = None
        return self

    def _state(self) -> dict[str, Any]:
        """The moments of everything seen so far, from the fitted attributes."""
        count = np.broadcast_to(self.n_samples_seen_, (self.n_features_in_,)).astype(np.float64)
        seen = count > 0
        mean = np.zeros_like(count) if self.mean_ is None else np.where(seen, self.mean_, 0.0)
        m2 = np.zeros_like(count) if self.var_ is None else np.where(seen, self.var_ * count, 0.0)
        return {"count": count, "mean": mean, "m2": m2, "rows": 0, "inf": False}

    def _center_scale(self) -> tuple[np.ndarray, np.ndarray]:
        d = self.n_features_in_
        center = self.mean_ if self.with_mean else np.zeros(d)
        scale = self.scale_ if self.with_std else np.ones(d)
        return center, scale

    def transform(self, X: Any, y: Any = None, copy: bool | None = None) -> Any:
        """Standardize X: ``(X - mean_) / scale_``.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            The data to scale.
        y : None
            Ignored (dask-ml's signature).
        copy : bool, optional
            Ignored (a new array is always returned).

        Returns
        -------
        X_tr : ndarray, dask array or dask DataFrame of shape (n_samples, n_features)
            In X's container and float dtype; lazy for dask input.
        """
        check_is_fitted(self)
        return self._map("transform", K.center_scale, X, *self._center_scale())

    def inverse_transform(self, X: Any, copy: bool | None = None) -> Any:
        """Scale back to the original representation: ``X * scale_ + mean_``.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Standardized data.
        copy : bool, optional
            Ignored (a new array is always returned).

        Returns
        -------
        X_original : ndarray, dask array or dask DataFrame of shape (n_samples, n_features)
            In X's container and float dtype; lazy for dask input.
        """
        check_is_fitted(self)
        center, scale = self._center_scale()
        return self._map("inverse_transform", K.affine, X, scale, center)


class MinMaxScaler(_Scaler, auto_wrap_output_keys=None):
    """Scale every feature to ``feature_range`` from its minimum and maximum, in one pass.

    A drop-in for ``dask_ml.preprocessing.MinMaxScaler`` (scikit-learn's constructor) with
    scikit-learn's attributes and results: ``X * scale_ + min_``. NaN values are ignored by
    ``fit`` and kept by ``transform``.

    Parameters
    ----------
    feature_range : tuple (min, max), default=(0, 1)
        Desired range of transformed data.
    copy : bool, default=True
        Accepted for compatibility: results are always new arrays.
    clip : bool, default=False
        Clip transformed values of held-out data to ``feature_range``.

    Attributes
    ----------
    min_ : ndarray of shape (n_features,)
        Per-feature adjustment for minimum (``feature_range[0] - data_min_ * scale_``).
    scale_ : ndarray of shape (n_features,)
        Per-feature scaling of the data.
    data_min_ : ndarray of shape (n_features,)
        Per-feature minimum seen in the data.
    data_max_ : ndarray of shape (n_features,)
        Per-feature maximum seen in the data.
    data_range_ : ndarray of shape (n_features,)
        Per-feature range ``data_max_ - data_min_``.
    n_samples_seen_ : int
        Rows seen.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit (string column names only).

    Examples
    --------
    >>> import numpy as np
    >>> from dasklearn.preprocessing import MinMaxScaler
    >>> X = np.array([[-1.0, 2.0], [-0.5, 6.0], [0.0, 10.0], [1.0, 18.0]])
    >>> scaler = MinMaxScaler().fit(X)
    >>> scaler.data_max_
    array([ 1., 18.])
    >>> scaler.transform([[2.0, 2.0]])
    array([[1.5, 0. ]])
    """

    _parameter_constraints = {
        "feature_range": [tuple],
        "copy": ["boolean"],
        "clip": ["boolean"],
    }

    def __init__(
        self, feature_range: tuple[float, float] = (0, 1), *, copy: bool = True, clip: bool = False
    ):
        self.feature_range = feature_range
        self.copy = copy
        self.clip = clip

    def _check_range(self) -> None:
        check_params(self)
        low, high = self.feature_range
        if low >= high:
            raise ValueError(
                "Minimum of desired feature range must be smaller than maximum. Got "
                f"{self.feature_range}."
            )

    def fit(self, X: Any, y: Any = None) -> MinMaxScaler:
        """Compute the minimum and maximum of every feature (one pass).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            The data; dask input may be larger than memory.
        y : None
            Ignored.

        Returns
        -------
        self : MinMaxScaler
            The fitted scaler.
        """
        self.__dict__.pop("n_samples_seen_", None)
        return self.partial_fit(X, y)

    def partial_fit(self, X: Any, y: Any = None) -> MinMaxScaler:
        """Update the minimum and maximum with the rows of X (one pass over X).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            More rows.
        y : None
            Ignored.

        Returns
        -------
        self : MinMaxScaler
            The updated scaler.
        """
        self._check_range()
        first = not hasattr(self, "n_samples_seen_")
        Xv = _validate_fit(self, X, reset=first)
        part = P.extreme_pass(Xv)
        check_n_samples(int(part["rows"]))  # dask input of unknown length: empty?
        P.refuse_infinity(bool(np.isinf(part["min"]).any() or np.isinf(part["max"]).any()))
        data_min, data_max = part["min"], part["max"]
        if first:
            self.n_samples_seen_ = int(part["rows"])
        else:
            data_min = np.fmin(self.data_min_, data_min)
            data_max = np.fmax(self.data_max_, data_max)
            self.n_samples_seen_ += int(part["rows"])
        dtype = data_min.dtype
        low, high = (dtype.type(v) for v in self.feature_range)
        data_range = data_max - data_min
        self.scale_ = (high - low) / K.zeros_to_ones(data_range)
        self.min_ = low - data_min * self.scale_
        self.data_min_, self.data_max_, self.data_range_ = data_min, data_max, data_range
        return self

    def transform(self, X: Any, y: Any = None, copy: bool | None = None) -> Any:
        """Scale X to ``feature_range``: ``X * scale_ + min_`` (clipped with ``clip``).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            The data to scale.
        y : None
            Ignored (dask-ml's signature).
        copy : bool, optional
            Ignored (a new array is always returned).

        Returns
        -------
        Xt : ndarray, dask array or dask DataFrame of shape (n_samples, n_features)
            In X's container and float dtype; lazy for dask input.
        """
        check_is_fitted(self)
        clip = tuple(float(v) for v in self.feature_range) if self.clip else None
        return self._map("transform", _affine_clip, X, self.scale_, self.min_, clip)

    def inverse_transform(self, X: Any, y: Any = None, copy: bool | None = None) -> Any:
        """Undo the scaling: ``(X - min_) / scale_``.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Scaled data.
        y : None
            Ignored (dask-ml's signature).
        copy : bool, optional
            Ignored (a new array is always returned).

        Returns
        -------
        X_original : ndarray, dask array or dask DataFrame of shape (n_samples, n_features)
            In X's container and float dtype; lazy for dask input.
        """
        check_is_fitted(self)
        return self._map("inverse_transform", K.center_scale, X, self.min_, self.scale_)


def _affine_clip(X: np.ndarray, scale: np.ndarray, offset: np.ndarray, clip: Any) -> np.ndarray:
    return K.affine(X, scale, offset, clip)


class RobustScaler(_Scaler, auto_wrap_output_keys=None):
    """Scale features with statistics robust to outliers: the median and a quantile range.

    A drop-in for ``dask_ml.preprocessing.RobustScaler`` (scikit-learn's constructor) with
    scikit-learn's attributes and **exact** results, where dask-ml's were approximate: the
    median and the quantiles are those of ``numpy.nanpercentile`` (linear interpolation),
    NaN ignored.

    * NumPy and pandas input: ``numpy.nanmedian`` and ``numpy.nanpercentile`` in memory, as
      scikit-learn does.
    * Dask input: exact order statistics in three passes, none holding more than a small part
      of the data: a uniform sample of 8192 rows (the bracket), counts of the values between
      consecutive sampled values (which interval holds each wanted rank), and the values of
      those few intervals (about ``n_rows / 8192`` each), sorted in memory. One pass when
      the data has at most 8192 rows. No approximation error: the results equal
      scikit-learn's up to the rounding of the final interpolation.

    Parameters
    ----------
    with_centering : bool, default=True
        Center the data on the median before scaling.
    with_scaling : bool, default=True
        Scale the data to the quantile range.
    quantile_range : tuple (q_min, q_max), 0.0 <= q_min <= q_max <= 100.0, default=(25.0, 75.0)
        Quantile range used to compute ``scale_`` (the interquartile range by default).
    copy : bool, default=True
        Accepted for compatibility: results are always new arrays.
    unit_variance : bool, default=False
        Scale so that normally distributed features have a variance of 1.

    Attributes
    ----------
    center_ : ndarray of shape (n_features,) or None
        The median of every feature; None when ``with_centering=False``.
    scale_ : ndarray of shape (n_features,) or None
        The (scaled) quantile range of every feature; None when ``with_scaling=False``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit (string column names only).

    Examples
    --------
    >>> import numpy as np
    >>> from dasklearn.preprocessing import RobustScaler
    >>> X = np.array([[1.0, -2.0, 2.0], [-2.0, 1.0, 3.0], [4.0, 1.0, -2.0]])
    >>> RobustScaler().fit(X).transform(X)
    array([[ 0. , -2. ,  0. ],
           [-1. ,  0. ,  0.4],
           [ 1. ,  0. , -1.6]])
    """

    _parameter_constraints = {
        "with_centering": ["boolean"],
        "with_scaling": ["boolean"],
        "quantile_range": [tuple],
        "copy": ["boolean"],
        "unit_variance": ["boolean"],
    }

    def __init__(
        self,
        *,
        with_centering: bool = True,
        with_scaling: bool = True,
        quantile_range: tuple[float, float] = (25.0, 75.0),
        copy: bool = True,
        unit_variance: bool = False,
    ):
        self.with_centering = with_centering
        self.with_scaling = with_scaling
        self.quantile_range = quantile_range
        self.copy = copy
        self.unit_variance = unit_variance

    def fit(self, X: Any, y: Any = None) -> RobustScaler:
        """Compute the median and quantile range of every feature.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            The data; dask input may be larger than memory.
        y : None
            Ignored.

        Returns
        -------
        self : RobustScaler
            The fitted scaler.
        """
        check_params(self)
        q_min, q_max = self.quantile_range
        valid = all(isinstance(q, Real) for q in (q_min, q_max))
        if not (valid and 0 <= q_min <= q_max <= 100):
            raise ValueError(f"Invalid quantile range: {self.quantile_range}")
        Xv = _validate_fit(self, X, reset=True)
        q = [q_min, 50.0, q_max]
        if is_dask_input(Xv):
            pct = P.exact_percentiles(Xv, q).astype(Xv.dtype)
        else:
            P.refuse_infinity(bool(np.isinf(Xv).any()))
            pct = _in_memory_percentiles(Xv, q, self.with_centering, self.with_scaling)
        self.center_ = pct[1] if self.with_centering else None
        if self.with_scaling:
            scale = K.zeros_to_ones(pct[2] - pct[0])
            if self.unit_variance:
                scale = scale / (stats.norm.ppf(q_max / 100.0) - stats.norm.ppf(q_min / 100.0))
            self.scale_ = scale
        else:
            self.scale_ = None
        return self

    def _center_scale(self) -> tuple[np.ndarray, np.ndarray]:
        d = self.n_features_in_
        center = self.center_ if self.with_centering else np.zeros(d)
        scale = self.scale_ if self.with_scaling else np.ones(d)
        return center, scale

    def transform(self, X: Any) -> Any:
        """Center and scale X: ``(X - center_) / scale_``.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            The data to scale.

        Returns
        -------
        X_tr : ndarray, dask array or dask DataFrame of shape (n_samples, n_features)
            In X's container and float dtype; lazy for dask input.
        """
        check_is_fitted(self)
        return self._map("transform", K.center_scale, X, *self._center_scale())

    def inverse_transform(self, X: Any) -> Any:
        """Scale back to the original representation: ``X * scale_ + center_``.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Scaled data.

        Returns
        -------
        X_original : ndarray, dask array or dask DataFrame of shape (n_samples, n_features)
            In X's container and float dtype; lazy for dask input.
        """
        check_is_fitted(self)
        center, scale = self._center_scale()
        return self._map("inverse_transform", K.affine, X, scale, center)


def _in_memory_percentiles(X: np.ndarray, q: list[float], center: bool, scale: bool) -> np.ndarray:
    """scikit-learn's own computation: ``nanmedian`` and per-column ``nanpercentile``."""
    out = np.full((3, X.shape[1]), np.nan, dtype=X.dtype)
    if center:
        out[1] = np.nanmedian(X, axis=0)
    if scale:
        for j in range(X.shape[1]):
            out[[0, 2], j] = np.nanpercentile(X[:, j], [q[0], q[2]])
    return out
