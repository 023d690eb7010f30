"""LabelEncoder: labels to 0..n_classes-1, ``classes_`` learned in one pass.

dask-ml's ``use_categorical``: a categorical Series is encoded by its categories (in their
order, unobserved ones included) and decoded back to a categorical Series. Otherwise the labels
are scikit-learn's (sorted distinct values, NaN last). Per-row results go through the shared
output layer: lazy, in the container of the input, for dask input.
"""

from __future__ import annotations

from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from .._array_checks import check_array
from .._output import Output, OutputMixin, apply_rows, map_rows
from .._params import check_params
from .._validation import check_is_fitted, is_dask_input
from . import _cat_frames as F
from . import _cat_kernels as K
from ._cat_passes import categorical_dtypes, column_dtypes, count_categories

__all__ = ["LabelEncoder"]


def _check_y(y: Any) -> Any:
    """y as one column: a pandas or dask Series as it is (categoricals kept), else an array."""
    if isinstance(y, pd.DataFrame | dd.DataFrame):
        if len(y.columns) != 1:
            raise ValueError(
                f"y should be a 1d array, got a DataFrame with {len(y.columns)} columns instead."
            )
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series | dd.Series):
        return y
    return check_array(
        y,
        dtype=None,
        ensure_2d=False,
        ensure_all_finite=False,
        ensure_min_samples=0,
        what="y",
        known_chunks=False,
    )


def _categorical(y: Any) -> bool:
    return isinstance(y, pd.Series | dd.Series) and isinstance(y.dtype, pd.CategoricalDtype)


class LabelEncoder(OutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Encode labels with values between 0 and n_classes-1, for labels larger than memory.

    scikit-learn's ``LabelEncoder`` with dask-ml's ``use_categorical``. The classes are learned
    in one pass over dask labels (distinct values counted per block, merged exactly); a
    categorical Series with known categories needs no pass. ``transform`` and
    ``inverse_transform`` are lazy for dask input (a dask array for a dask array, a dask Series
    with y's index for a dask Series); unseen labels raise when their block is computed.

    Parameters
    ----------
    use_categorical : bool, default=True
        For a categorical pandas or dask Series: ``classes_`` are its categories, in their
        order, unobserved ones included; ``transform`` gives the categorical codes and
        ``inverse_transform`` a categorical Series (dask-ml's behaviour). False: scikit-learn's
        classes (sorted values seen in y).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The label of each code.
    dtype_ : CategoricalDtype or None
        The categorical dtype of y at fit (``use_categorical``), else None.
    n_passes_ : int
        Passes over y made by ``fit`` (0 for known categories).

    Examples
    --------
    >>> from dasklearn.preprocessing import LabelEncoder
    >>> le = LabelEncoder().fit(["paris", "paris", "tokyo", "amsterdam"])
    >>> le.classes_
    array(['amsterdam', 'paris', 'tokyo'], dtype='<U9')
    >>> le.transform(["tokyo", "tokyo", "paris"])
    array([2, 2, 1])
    >>> le.inverse_transform([2, 2, 1]).tolist()
    ['tokyo', 'tokyo', 'paris']

    Dask labels: one pass to learn the classes; the codes stay lazy.

    >>> import dask.dataframe as dd
    >>> import pandas as pd
    >>> y = dd.from_pandas(pd.Series(["b", "a", "b", "c"]), npartitions=2)
    >>> le = LabelEncoder().fit(y)
    >>> le.classes_
    array(['a', 'b', 'c'], dtype=object)
    >>> le.transform(y).compute().tolist()
    [1, 0, 1, 2]
    """

    _parameter_constraints = {"use_categorical": ["boolean"]}

    def __init__(self, use_categorical: bool = True) -> None:
        self.use_categorical = use_categorical

    def fit(self, y: Any) -> LabelEncoder:
        """Learn the classes of y (one pass over dask labels).

        Parameters
        ----------
        y : array-like, pandas or dask Series of shape (n_samples,)
            Labels.

        Returns
        -------
        self : LabelEncoder
            The fitted encoder.
        """
        check_params(self)
        y = _check_y(y)
        self.n_passes_ = 0
        self.dtype_ = None
        if self.use_categorical and _categorical(y):
            dtype = categorical_dtypes(y)[0]
            if dtype is None:  # a dask Series whose categories are not known
                _, counts, self.n_passes_ = count_categories(y)
                dtype = F.categorical_dtype(counts[0], y.dtype)
            self.dtype_ = dtype
            self.classes_ = np.asarray(dtype.categories)
            return self
        _, counts, self.n_passes_ = count_categories(y)
        self.classes_, _ = K.categories_from_counts(counts[0], column_dtypes(y)[0])
        return self

    def fit_transform(self, y: Any) -> Any:
        """Fit, then return the codes of y.

        Parameters
        ----------
        y : array-like, pandas or dask Series of shape (n_samples,)

        Returns
        -------
        y_codes : ndarray, dask array or dask Series of shape (n_samples,)
        """
        return self.fit(y).transform(y)

    def transform(self, y: Any) -> Any:
        """Codes of the labels.

        Parameters
        ----------
        y : array-like, pandas or dask Series of shape (n_samples,)

        Returns
        -------
        y_codes : ndarray, dask array or dask Series of shape (n_samples,)
            Integers; for dask input, lazy (unseen labels raise when their block is computed).
        """
        check_is_fitted(self, "classes_")
        y = _check_y(y)
        if self.dtype_ is not None and _categorical(y):
            known = categorical_dtypes(y)[0]
            if known is not None and not known.categories.equals(self.dtype_.categories):
                raise ValueError(
                    "The categories of y differ from those seen in fit: "
                    f"{list(known.categories)} != {list(self.dtype_.categories)}."
                )
            codes = pd.Series([], dtype=self.dtype_).cat.codes.dtype
            return apply_rows(
                self, "transform", F.codes_block, y, self.dtype_,
                output=Output(codes), dtype=None, ensure_all_finite=False,
            )  # fmt: skip
        if not is_dask_input(y) and len(y) == 0:
            return np.array([])
        return apply_rows(
            self, "transform", K.label_block, y, K.make_lookup(self.classes_),
            output=Output(np.int64), dtype=None, ensure_all_finite=False,
        )  # fmt: skip

    def inverse_transform(self, y: Any) -> Any:
        """Labels of codes.

        Parameters
        ----------
        y : array-like, pandas or dask collection of shape (n_samples,)
            Codes.

        Returns
        -------
        y_labels : ndarray, pandas Series, dask array or dask Series of shape (n_samples,)
            A categorical (pandas or dask) Series when fitted on a categorical Series with
            ``use_categorical``.
        """
        check_is_fitted(self, "classes_")
        y = _check_y(y)
        if self.dtype_ is not None:
            if not is_dask_input(y):
                return F.from_codes_block(y, self.dtype_)
            if not isinstance(y, dd.Series):
                y = dd.from_dask_array(y)
            meta = pd.Series([], dtype=self.dtype_)
            return map_rows(
                F.from_codes_block, y, self.dtype_, output=Output(self.dtype_, meta=meta),
                dtype=None,
            )  # fmt: skip
        if not is_dask_input(y) and len(y) == 0:
            return np.array([])
        output = Output(self.classes_.dtype)
        return map_rows(K.take_block, y, self.classes_, output=output, dtype=None)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.target_tags.one_d_labels = True
        return tags
