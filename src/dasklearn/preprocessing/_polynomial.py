"""PolynomialFeatures: scikit-learn's polynomial and interaction features, block by block."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import PolynomialFeatures as _SkPolynomialFeatures

from .._output import Output, OutputMixin, apply_rows
from .._params import Interval, Options, check_params
from .._validation import check_is_fitted, is_dask_input, validate_data
from . import _num_passes as P

__all__ = ["PolynomialFeatures"]

_FLOATS = [np.float64, np.float32]


def _expand(X: np.ndarray, poly: _SkPolynomialFeatures) -> np.ndarray:
    return poly.transform(X)


class PolynomialFeatures(OutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Polynomial and interaction features of degree at most ``degree``, row block by row block.

    A drop-in for ``dask_ml.preprocessing.PolynomialFeatures`` (same constructor) with
    scikit-learn's results and feature names. Fitting reads no data (the output columns depend
    on the number of features only); ``transform`` runs scikit-learn's transform on every row
    block, lazily for dask input.

    Parameters
    ----------
    degree : int or tuple (min_degree, max_degree), default=2
        The maximal degree (or the range of degrees) of the polynomial features.
    interaction_only : bool, default=False
        Only products of distinct features (no ``x0 ** 2``).
    include_bias : bool, default=True
        Include the column of ones (the zeroth power).
    preserve_dataframe : bool, default=False
        Return a pandas DataFrame (columns from :meth:`get_feature_names_out`, X's index) for
        a pandas DataFrame X, as dask-ml did. Dask DataFrames always give dask DataFrames.
    order : {"C", "F"}, default="C"
        Memory order of in-memory results (scikit-learn's parameter).

    Attributes
    ----------
    powers_ : ndarray of shape (n_output_features_, n_features_in_)
        Exponent of every input in every output.
    n_output_features_ : int
        Number of output features.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit (string column names only).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> from dasklearn.preprocessing import PolynomialFeatures
    >>> X = np.arange(6.0).reshape(3, 2)
    >>> PolynomialFeatures(2).fit_transform(X)
    array([[ 1.,  0.,  1.,  0.,  0.,  1.],
           [ 1.,  2.,  3.,  4.,  6.,  9.],
           [ 1.,  4.,  5., 16., 20., 25.]])
    >>> df = dd.from_pandas(pd.DataFrame(X, columns=["a", "b"]), npartitions=2)
    >>> list(PolynomialFeatures(2).fit(df).transform(df).columns)
    ['1', 'a', 'b', 'a^2', 'a b', 'b^2']
    """

    _parameter_constraints = {
        "degree": [Interval(Integral, 0, None, closed="left"), tuple],
        "interaction_only": ["boolean"],
        "include_bias": ["boolean"],
        "preserve_dataframe": ["boolean"],
        "order": [Options({"C", "F"})],
    }

    def __init__(
        self,
        degree: int | tuple[int, int] = 2,
        interaction_only: bool = False,
        include_bias: bool = True,
        preserve_dataframe: bool = False,
        *,
        order: str = "C",
    ):
        self.degree = degree
        self.interaction_only = interaction_only
        self.include_bias = include_bias
        self.preserve_dataframe = preserve_dataframe
        self.order = order

    def fit(self, X: Any, y: Any = None) -> PolynomialFeatures:
        """Record the input features and the output powers (reads no data).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            The data (only its width and column names are used).
        y : None
            Ignored.

        Returns
        -------
        self : PolynomialFeatures
            The fitted transformer.
        """
        check_params(self)
        Xv = validate_data(  # in-memory X is checked as scikit-learn does; dask X is not read
            self,
            X,
            reset=True,
            dtype=_FLOATS,
            ensure_all_finite=not is_dask_input(X),
            known_chunks=False,
        )
        poly = _SkPolynomialFeatures(
            self.degree,
            interaction_only=self.interaction_only,
            include_bias=self.include_bias,
            order=self.order,
        )
        self._poly = poly.fit(np.zeros((1, Xv.shape[1]), dtype=np.float64))
        self.n_output_features_ = int(poly.n_output_features_)
        return self

    @property
    def powers_(self) -> np.ndarray:
        """Exponent of every input in every output, shape (n_output_features_, n_features_in_)."""
        check_is_fitted(self, "_poly")
        return self._poly.powers_

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output features, e.g. ``'x0^2'`` or ``'a b'``.

        Parameters
        ----------
        input_features : array-like of str, optional
            Names of the input features (default: ``feature_names_in_``, else ``x0, x1, ...``).

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "_poly")
        if input_features is None:
            input_features = getattr(self, "feature_names_in_", None)
        elif hasattr(self, "feature_names_in_") and list(input_features) != list(
            self.feature_names_in_
        ):
            raise ValueError("input_features is not equal to feature_names_in_")
        return self._poly.get_feature_names_out(input_features)

    def transform(self, X: Any, y: Any = None) -> Any:
        """The polynomial features of X.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            The data to expand (no NaN or infinity).
        y : None
            Ignored.

        Returns
        -------
        XP : ndarray, pandas DataFrame, dask array or dask DataFrame
            Of shape (n_samples, n_output_features_), in X's float dtype; a dask array for a
            dask array, a dask DataFrame for a dask DataFrame (lazy), NumPy for in-memory X
            (a pandas DataFrame with ``preserve_dataframe`` or ``set_output``).
        """
        check_is_fitted(self, "_poly")
        out = apply_rows(
            self,
            "transform",
            _expand,
            X,
            self._poly,
            output=Output(P.float_dtype(X), width=self.n_output_features_),
            dtype=_FLOATS,
            ensure_all_finite=True,
        )
        if self.preserve_dataframe and isinstance(X, pd.DataFrame) and isinstance(out, np.ndarray):
            out = pd.DataFrame(out, index=X.index, columns=self.get_feature_names_out())
        return out
