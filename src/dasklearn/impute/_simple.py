"""SimpleImputer: the estimator. Statistics from one pass (two for the median), filled blockwise.

Layers (see ARCHITECTURE.md): :class:`SimpleImputer` checks its parameters and input and stores
NumPy attributes; :mod:`._statistics` makes the passes; :mod:`._kernels` holds the block
kernels. ``transform`` goes through the shared output layer (:mod:`dasklearn._output`).
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.impute import MissingIndicator

from .._array_checks import check_array, check_n_samples
from .._chunks import n_rows
from .._output import Output, OutputMixin, apply_rows, output_config
from .._params import Options, check_params
from .._validation import (
    check_is_fitted,
    is_dask_input,
    validate_data,
)
from . import _kernels as K
from ._statistics import Summary, array_statistics, frame_statistics

__all__ = ["SimpleImputer"]

_STRATEGIES = ("mean", "median", "most_frequent", "constant")


class _MissingMarker:
    """The values ``missing_values`` may take (a constraint of :func:`check_params`)."""

    def accepts(self, value: Any) -> bool:
        if value is None or value is pd.NA:
            return True
        return isinstance(value, numbers.Real | str) and not isinstance(value, bool)

    def __str__(self) -> str:
        return "a number, a string, None, numpy.nan or pandas.NA"


def _as_input(X: Any) -> Any:
    """Lists of rows as scikit-learn reads them (strings: an object array)."""
    if isinstance(X, list):
        strings = any(isinstance(v, str) for row in X for v in np.atleast_1d(row))
        return np.asarray(X, dtype=object if strings else None)
    return X


def _numpy_dtype(dtype: Any) -> np.dtype:
    """The NumPy dtype of one column as scikit-learn converts it (nullable numbers: float64)."""
    if isinstance(dtype, np.dtype):
        return dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return np.dtype(np.float64)
    return np.dtype(object)


def _array_dtype(X: Any) -> np.dtype:
    """The dtype X has as one NumPy array (object for a frame with non-numeric columns)."""
    if not isinstance(X, pd.DataFrame | dd.DataFrame):
        return np.dtype(X.dtype)
    dtypes = [_numpy_dtype(d) for d in X.dtypes]
    if not dtypes or any(d.kind not in "iuf" for d in dtypes):
        return np.dtype(object)
    return np.result_type(*dtypes)


def _as_numbers(X: np.ndarray, dtype: np.dtype, strategy: str) -> np.ndarray:
    """X as ``dtype``; scikit-learn's error for values that are not numbers."""
    try:
        return X.astype(dtype)
    except ValueError as err:  # a TypeError (dicts, ...) passes as scikit-learn's does
        raise ValueError(f"Cannot use {strategy} strategy with non-numeric data:\n{err}") from None


def _refuse_complex_columns(X: Any) -> None:
    complex_ = [str(c) for c, d in X.dtypes.items() if isinstance(d, np.dtype) and d.kind == "c"]
    if complex_:
        raise ValueError(f"Complex data not supported: columns {complex_} are complex.")


def _float_dtype(dtype: np.dtype) -> np.dtype:
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


def _fitted_indicator(
    missing_values: Any, features: np.ndarray, n_features: int, names: Any
) -> MissingIndicator:
    """A scikit-learn MissingIndicator fitted to flag ``features``: fitted on one made-up row
    that is missing exactly there (``indicator_``, as scikit-learn's imputer exposes it)."""
    if K.is_na_marker(missing_values):
        row = np.zeros((1, n_features))
        row[0, features] = np.nan
    elif isinstance(missing_values, numbers.Real):
        row = np.full((1, n_features), float(missing_values) + 1.0)
        row[0, features] = missing_values
    else:
        other = f"{missing_values}_" if isinstance(missing_values, str) else "x"
        row = np.full((1, n_features), other, dtype=object)
        row[0, features] = missing_values
    sample = pd.DataFrame(row, columns=list(names)) if names is not None else row
    return MissingIndicator(missing_values=missing_values, error_on_new=False).fit(sample)


class SimpleImputer(OutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Fill missing values with a per-column statistic learned in one pass over the data.

    A drop-in for ``dask_ml.impute.SimpleImputer`` and ``sklearn.impute.SimpleImputer`` (same
    constructor) on NumPy arrays, pandas DataFrames, dask arrays and dask DataFrames, including
    DataFrames whose columns have different dtypes (numbers, strings, categoricals).

    Parameters
    ----------
    missing_values : number, str, None, numpy.nan or pandas.NA, default=numpy.nan
        The marker of a missing value (scikit-learn's rules): ``pandas.NA`` marks every NA
        (NaN, None, ``pandas.NA``); ``numpy.nan`` marks them too except None in object data;
        None marks None only; any other value the entries equal to it.
    strategy : {"mean", "median", "most_frequent", "constant"} or callable, default="mean"
        The statistic of each column: mean and median of numeric data; the most frequent value
        (the smallest among ties) or ``fill_value`` of any data; a callable is given the present
        values of each column (gathered into memory) and returns the statistic.
    fill_value : object, default=None
        The value of ``strategy="constant"``: 0 for numeric data and ``"missing_value"``
        otherwise when None.
    copy : bool, default=True
        Accepted for scikit-learn compatibility; the input is never modified.
    add_indicator : bool, default=False
        Append a boolean column per feature that had missing values in ``fit``, True where a
        value was missing (scikit-learn's ``MissingIndicator``).
    keep_empty_features : bool, default=False
        Keep the features that have no value in ``fit`` (filled with 0, or ``fill_value``);
        otherwise they are dropped from the output.

    Attributes
    ----------
    statistics_ : ndarray of shape (n_features_in_,)
        The fill value of each feature; NaN for a dropped feature.
    indicator_ : sklearn.impute.MissingIndicator or None
        The indicator of ``add_indicator`` (features with missing values in ``features_``).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen in ``fit`` (string column names only).
    n_passes_ : int
        Passes over the data that ``fit`` made.

    Notes
    -----
    Passes of ``fit``: one for mean, most_frequent and a callable (most_frequent's partials
    hold each block's distinct values; a callable's hold every present value); none for
    constant unless ``add_indicator`` or ``keep_empty_features=False`` needs the missing counts
    (one); the median is exact, in one pass where each block holds at most 1024 present values
    per column and two otherwise (see :mod:`dasklearn.impute._statistics`).

    ``transform`` gives NumPy for NumPy and pandas input (a pandas DataFrame under
    ``set_output(transform="pandas")``), a dask array with X's row chunks for a dask array,
    and a dask DataFrame with X's index and divisions for a dask DataFrame.

    Differences from scikit-learn: DataFrame outputs (pandas under ``set_output``, dask) keep
    each column's dtype where the fill value fits it (an integer column filled with its most
    frequent value stays integer, a categorical gains ``fill_value`` as a category), and
    indicator columns are bool, where scikit-learn casts all columns to one NumPy dtype first
    (object for mixed frames). ``pandas.NA`` inside object data counts as missing under
    ``numpy.nan`` (scikit-learn fails on it). Datetime columns are refused. Sparse input is not
    supported, nor ``inverse_transform``.

    Differences from dask-ml: every strategy works on every input kind (dask-ml: mean and
    constant only on dask arrays, NaN markers only, no ``add_indicator``); the median is exact
    (dask-ml: dask's approximate quantile); ``statistics_`` is a NumPy array as in
    scikit-learn (dask-ml: a pandas Series for DataFrames).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> from dasklearn.impute import SimpleImputer
    >>> df = pd.DataFrame({"x": [1.0, np.nan, 3.0, 4.0], "c": ["a", "b", None, "b"]})
    >>> ddf = dd.from_pandas(df, npartitions=2)
    >>> imp = SimpleImputer(strategy="most_frequent").fit(ddf)
    >>> imp.statistics_
    array([1.0, 'b'], dtype=object)
    >>> imp.transform(ddf).compute()
         x  c
    0  1.0  a
    1  1.0  b
    2  3.0  b
    3  4.0  b
    >>> SimpleImputer(strategy="median").fit(df[["x"]]).statistics_
    array([3.])
    """

    _parameter_constraints = {
        "missing_values": [_MissingMarker()],
        "strategy": [Options(_STRATEGIES), "callable"],
        "fill_value": ["no_validation"],
        "copy": ["boolean"],
        "add_indicator": ["boolean"],
        "keep_empty_features": ["boolean"],
    }

    def __init__(
        self,
        *,
        missing_values: Any = np.nan,
        strategy: str | Any = "mean",
        fill_value: Any = None,
        copy: bool = True,
        add_indicator: bool = False,
        keep_empty_features: bool = False,
    ) -> None:
        self.missing_values = missing_values
        self.strategy = strategy
        self.fill_value = fill_value
        self.copy = copy
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features

    # ---- checks -------------------------------------------------------------------------------

    @property
    def _numeric(self) -> bool:
        return self.strategy not in ("most_frequent", "constant")

    @property
    def _allow_nan(self) -> bool:
        return K.is_na_marker(self.missing_values)

    def _check_input(self, X: Any, dtype: np.dtype) -> None:
        """scikit-learn's refusals, from metadata only."""
        frame = isinstance(X, pd.DataFrame | dd.DataFrame)
        if frame:
            _refuse_complex_columns(X)
            times = [
                f"{c!r} ({d})"
                for c, d in X.dtypes.items()
                if pd.api.types.is_datetime64_any_dtype(d) or pd.api.types.is_timedelta64_dtype(d)
            ]
            if times:
                raise ValueError(f"SimpleImputer does not support datetime columns: {times}.")
        elif dtype.kind == "c":
            raise ValueError(f"Complex data not supported: got dtype {dtype}.")
        elif dtype.kind not in "iufO":
            raise ValueError(
                f"SimpleImputer does not support data with dtype {dtype}. Please provide either "
                "a numeric array (with a floating point or integer dtype) or categorical data "
                "represented either as an array with integer dtype or an array of string "
                "values with an object dtype."
            )
        if self._numeric and frame and dtype.kind == "O":
            bad = [
                str(c)
                for c, d in X.dtypes.items()
                if _numpy_dtype(d).kind not in "iuf" or pd.api.types.is_bool_dtype(d)
            ]
            raise ValueError(
                f"Cannot use {self._strategy_name} strategy with non-numeric data: columns "
                f"{bad} are not numeric."
            )
        mv = self.missing_values
        if dtype.kind in "iuf" and not (mv is pd.NA or isinstance(mv, numbers.Real)):
            raise ValueError(
                "'X' and 'missing_values' types are expected to be both numerical. Got "
                f"X.dtype={dtype} and  type(missing_values)={type(mv)}."
            )
        if self.strategy == "constant" and self.fill_value is not None:
            if not np.can_cast(type(self.fill_value), dtype, casting="same_kind"):
                raise ValueError(
                    f"fill_value={self.fill_value!r} (of type {type(self.fill_value)!r}) cannot "
                    f"be cast to the input data that is {dtype!r}. Make sure that both dtypes "
                    "are of the same kind."
                )

    @property
    def _strategy_name(self) -> str:
        return self.strategy if isinstance(self.strategy, str) else "a callable"

    # ---- fit ----------------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None) -> SimpleImputer:
        """Learn the fill value of every column of X.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Data with missing values; DataFrame columns may have different dtypes.
        y : ignored
            Not used, present for API consistency.

        Returns
        -------
        self : SimpleImputer
            The fitted imputer.
        """
        check_params(self)
        X = validate_data(
            self,
            _as_input(X),
            reset=True,
            accept="frame",
            dtype=None,
            ensure_all_finite=False,
            known_chunks=False,
        )
        dtype = _array_dtype(X)
        self._check_input(X, dtype)
        summary, fit_dtype = self._summarise(X, dtype)
        check_n_samples(int(summary.n_rows))  # dask input of unknown length: empty?
        if summary.n_bad:
            what = "infinity" if self._allow_nan else "NaN or infinity"
            raise ValueError(
                f"Input X contains {what} ({summary.n_bad} entries) that is not the missing "
                f"marker (missing_values={self.missing_values!r}); replace or drop it first."
            )
        fill_value = self.fill_value
        if fill_value is None:
            fill_value = 0 if dtype.kind in "iuf" else "missing_value"
        empty = summary.n_missing >= summary.n_rows
        if self.strategy == "constant":
            values: list[Any] = [fill_value] * len(empty)
        else:
            values = list(summary.values)
        if self.strategy != "constant" and not callable(self.strategy):
            values = [
                0 if self.keep_empty_features and e else v
                for v, e in zip(values, empty, strict=True)
            ]
        elif self.strategy == "constant" and not self.keep_empty_features:
            values = [np.nan if e else v for v, e in zip(values, empty, strict=True)]
        object_stats = self.strategy == "constant" or (not self._numeric and dtype.kind == "O")
        self.statistics_ = np.asarray(values, dtype=object if object_stats else np.float64)
        self._fill_values = values
        self._fit_dtype = fit_dtype
        self._missing_features = np.flatnonzero(summary.n_missing > 0)
        self.indicator_ = (
            _fitted_indicator(
                self.missing_values,
                self._missing_features,
                self.n_features_in_,
                getattr(self, "feature_names_in_", None),
            )
            if self.add_indicator
            else None
        )
        self.n_passes_ = summary.n_passes
        return self

    def _summarise(self, X: Any, dtype: np.dtype) -> tuple[Summary, np.dtype]:
        mv, allow_nan = self.missing_values, self._allow_nan
        frame = isinstance(X, pd.DataFrame | dd.DataFrame)
        if self.strategy == "constant" and self.keep_empty_features and not self.add_indicator:
            n = X.shape[1] if not frame else len(X.columns)
            return Summary(1, np.zeros(n, dtype=np.int64), 0, None, 0), dtype
        if not self._numeric:
            if frame:
                summary = frame_statistics(X, self.strategy == "most_frequent", mv, allow_nan)
                return summary, dtype
            return array_statistics(X, self.strategy, mv, allow_nan), dtype
        fdtype = _float_dtype(dtype)
        n_samples = None
        if isinstance(X, pd.DataFrame):
            Xf = X.to_numpy(dtype=fdtype)
        elif isinstance(X, dd.DataFrame):
            Xf = check_array(X, dtype=[fdtype], ensure_all_finite=False, known_chunks=False)
            n_samples = n_rows(X) if self.strategy == "median" else None
        elif is_dask_input(X):  # converted as each block is read (dask's own error is obscure)
            Xf = X.map_blocks(_as_numbers, fdtype, self._strategy_name, dtype=fdtype)
        else:
            Xf = _as_numbers(X, fdtype, self._strategy_name)
        return array_statistics(Xf, self.strategy, mv, allow_nan, n_samples), fdtype

    # ---- transform ----------------------------------------------------------------------------

    def _valid(self) -> np.ndarray:
        if self.keep_empty_features:
            return np.arange(self.n_features_in_)
        invalid = K.missing_mask(self.statistics_, np.nan)
        if invalid.any():
            names = getattr(self, "feature_names_in_", np.arange(self.n_features_in_))
            warnings.warn(
                f"Skipping features without any observed values: {names[invalid]}. At least one "
                f"non-missing value is needed for imputation with strategy={self.strategy!r}.",
                stacklevel=3,
            )
        return np.flatnonzero(~invalid)

    def _out_dtype(self, dtype: np.dtype) -> np.dtype:
        """The NumPy dtype of the output for input of ``dtype`` (scikit-learn's rule)."""
        if self._fit_dtype.kind == "O":
            return np.dtype(object)
        if self._numeric:
            return _float_dtype(dtype)
        return dtype

    def transform(self, X: Any) -> Any:
        """Fill the missing values of X (blockwise and lazy for dask input).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Data with the columns seen in ``fit``.

        Returns
        -------
        X_imputed : ndarray, pandas DataFrame, dask array or dask DataFrame
            The kept features, filled, then the indicator columns (``add_indicator``).
        """
        check_is_fitted(self, "statistics_")
        X = validate_data(
            self,
            _as_input(X),
            reset=False,
            accept="frame",
            dtype=None,
            ensure_all_finite=False,
            known_chunks=False,
        )
        valid = self._valid()
        indicator = self._missing_features if self.add_indicator else None
        if isinstance(X, pd.DataFrame | dd.DataFrame):
            _refuse_complex_columns(X)
            return self._transform_frame(X, valid, indicator)
        dtype = self._out_dtype(np.dtype(X.dtype))
        stats = self.statistics_[valid].astype(self._fit_dtype)
        width = len(valid) + (0 if indicator is None else len(indicator))
        return apply_rows(
            self,
            "transform",
            K.impute_array,
            X,
            stats,
            valid,
            indicator,
            self.missing_values,
            dtype,
            self._allow_nan,
            output=Output(dtype, width=width),
            dtype=None,
            ensure_all_finite=False,
        )

    def _transform_frame(self, X: Any, valid: np.ndarray, indicator: np.ndarray | None) -> Any:
        fills = [
            (int(j), self._fill_values[j], K.filled_dtype(X.dtypes.iloc[j], v, self._numeric))
            for j in valid
            for v in [self._fill_values[j]]
        ]
        flags = [] if indicator is None else [int(j) for j in indicator]
        names = list(self.get_feature_names_out())
        args = (fills, flags, self.missing_values, self._allow_nan)
        if isinstance(X, pd.DataFrame):
            out = K.impute_frame(X, *args).set_axis(names, axis=1)
            if output_config(self) == "pandas":
                return out
            return out.to_numpy(dtype=self._out_dtype(_array_dtype(X)))
        meta = K.impute_frame(X._meta, *args).set_axis(names, axis=1)
        return apply_rows(
            self,
            "transform",
            K.impute_frame,
            X,
            *args,
            output=Output(object, width=len(names), columns=names, meta=meta),
            dtype=None,
            ensure_all_finite=False,
        )

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns: the kept features, then ``missingindicator_<name>``.

        Parameters
        ----------
        input_features : array-like of str, optional
            Input feature names (default: ``feature_names_in_``, else ``x0, x1, ...``).

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "n_features_in_")
        names = _names_in(self, input_features)
        keep = (
            np.ones(len(names), dtype=bool)
            if self.keep_empty_features
            else ~K.missing_mask(self.statistics_, np.nan)
        )
        out = list(names[keep])
        if self.add_indicator:
            out += [f"missingindicator_{names[j]}" for j in self._missing_features]
        return np.asarray(out, dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = K.is_na_marker(self.missing_values)
        return tags


def _names_in(estimator: Any, input_features: Any) -> np.ndarray:
    fitted = getattr(estimator, "feature_names_in_", None)
    if input_features is None:
        if fitted is not None:
            return np.asarray(fitted, dtype=object)
        return np.asarray([f"x{i}" for i in range(estimator.n_features_in_)], dtype=object)
    names = np.asarray(input_features, dtype=object)
    if len(names) != estimator.n_features_in_:
        raise ValueError(
            f"input_features should have length equal to number of features "
            f"({estimator.n_features_in_}), got {len(names)}"
        )
    if fitted is not None and list(fitted) != list(names):
        raise ValueError("input_features is not equal to feature_names_in_")
    return names
