"""What OneHotEncoder and OrdinalEncoder share: learning ``categories_`` in one pass.

:class:`CategoryEncoder` validates the input (dataframes kept as they are: categorical, string
and other columns read in their own dtypes), learns scikit-learn's ``categories_`` and the
infrequent categories from the merged counts of one pass (:mod:`._cat_passes`), and checks new
input before any work (width, column names, unknown categories declared by a dask dataframe's
categorical dtypes).
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from .._chunks import row_shape
from .._output import OutputMixin
from .._params import Interval
from .._validation import check_is_fitted, is_dask_input, validate_data
from . import _cat_kernels as K
from ._cat_model import infrequent_mappings
from ._cat_passes import categorical_dtypes, column_dtypes, count_categories, dtype_unknowns

MIN_FREQUENCY = [
    Interval(Integral, 1, None, closed="left"),
    Interval(Real, 0, 1, closed="neither"),
    None,
]
MAX_CATEGORIES = [Interval(Integral, 1, None, closed="left"), None]


def as_input(X: Any) -> Any:
    """Lists become arrays as scikit-learn's encoders read them (strings as Python objects)."""
    if hasattr(X, "dtype") or hasattr(X, "dtypes") or is_dask_input(X) or sp.issparse(X):
        return X
    array = np.asarray(X)
    return np.asarray(X, dtype=object) if array.dtype.kind == "U" else array


def sklearn_dtype(dtype: Any) -> np.dtype:
    """The NumPy dtype scikit-learn reads a column of ``dtype`` as (without missing values)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return K.to_sklearn(dtype.categories[:0], dtype).dtype
    if isinstance(dtype, np.dtype):
        return dtype
    return K.to_sklearn(pd.Index([], dtype=dtype), dtype).dtype


class CategoryEncoder(OutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Base of the encoders: ``categories_`` learned in one pass, and the checks of new input."""

    # ---- fit -------------------------------------------------------------------------------
    def _validate(self, X: Any, reset: bool) -> Any:
        X = as_input(X)
        dtypes = column_dtypes(X) if hasattr(X, "dtype") or hasattr(X, "dtypes") else []
        if any(isinstance(d, np.dtype) and d.kind == "c" for d in dtypes):
            raise ValueError("Complex data not supported.")
        return validate_data(
            self,
            X,
            reset=reset,
            accept="frame",
            dtype=None,
            ensure_all_finite=False,
            known_chunks=False,
        )

    def _learn_categories(self, Xv: Any, handle_unknown: str, ignore_missing: bool) -> None:
        """``categories_``, the infrequent categories and ``n_passes_``, from validated X.

        One pass over X when the categories are learned ("auto"), counted (infrequent
        categories) or checked (given categories, ``handle_unknown="error"``); none otherwise.
        """
        dtypes = column_dtypes(Xv)
        n_features = len(dtypes)
        self._fit_dtypes = categorical_dtypes(Xv)
        min_frequency, max_categories = self.min_frequency, self.max_categories
        self._infrequent_enabled = (
            max_categories is not None and max_categories >= 1
        ) or min_frequency is not None
        given = None
        if not (isinstance(self.categories, str) and self.categories == "auto"):
            if len(self.categories) != n_features:
                raise ValueError(
                    "Shape mismatch: if categories is an array, it has to be of shape "
                    "(n_features,)."
                )
            given = [_given_categories(c, dtypes[i], i) for i, c in enumerate(self.categories)]
        counted = given is None or self._infrequent_enabled or handle_unknown == "error"
        n_rows, category_counts = 0, []
        self.n_passes_ = 0
        if counted:
            n_rows, column_counts, self.n_passes_ = count_categories(Xv)
            if n_rows == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape=(0, {n_features})) while a minimum "
                    "of 1 is required."
                )
        categories = []
        for i in range(n_features):
            if given is None:
                cats, counts = K.categories_from_counts(column_counts[i], dtypes[i])
            else:
                cats = given[i]
                counts = None
                if counted:
                    counts = _counts_of(column_counts[i], dtypes[i], cats, i, handle_unknown)
            categories.append(cats)
            category_counts.append(counts)
        self.categories_ = categories
        self._infrequent_indices = [None] * n_features
        self._default_to_infrequent_mappings = [None] * n_features
        if self._infrequent_enabled:
            indices, mappings = infrequent_mappings(
                categories, category_counts, n_rows, min_frequency, max_categories, ignore_missing
            )
            self._infrequent_indices = indices
            self._default_to_infrequent_mappings = mappings

    @property
    def infrequent_categories_(self) -> list[np.ndarray | None]:
        """Infrequent categories of each feature (None where a feature has none)."""
        if not getattr(self, "_infrequent_enabled", False):
            raise AttributeError(
                f"{type(self).__name__} has no infrequent categories: set min_frequency or "
                "max_categories."
            )
        return [
            None if indices is None else cats[indices]
            for cats, indices in zip(self.categories_, self._infrequent_indices, strict=True)
        ]

    # ---- post-fit ----------------------------------------------------------------------------
    def _encoded(self, Xv: Any) -> Any:
        """The columns of validated X that are encoded (all of them)."""
        return Xv

    def _lookups(self) -> list[K.Lookup]:
        return [K.make_lookup(c) for c in self.categories_]

    def _names(self) -> tuple[Any, ...]:
        names = getattr(self, "feature_names_in_", None)
        return tuple(names) if names is not None else (None,) * len(self.categories_)

    def _check_input(self, X: Any, refuse_unknown: bool) -> Any:
        """New X validated against the fit (width, names) and, for a dask dataframe whose
        categorical dtypes declare categories the encoder never saw, refused: before any work."""
        check_is_fitted(self, "categories_")
        Xv = self._validate(X, reset=False)
        if refuse_unknown:
            found = dtype_unknowns(self._encoded(Xv), self._fit_dtypes, self.categories_)
            if found:
                j, values = found[0]
                raise ValueError(
                    K.describe_unknown(values, j, self._names()[j], "transform")
                    + ": these categories of X's categorical dtype were neither seen in fit "
                    "nor declared by the column's dtype at fit (checked before any work; pass "
                    "handle_unknown='ignore' to encode them as all zeros)."
                )
        return Xv

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags


def _given_categories(values: Any, dtype: Any, i: int) -> np.ndarray:
    """User-given categories of column ``i``, checked as scikit-learn checks them."""
    kind = sklearn_dtype(dtype)
    cats = np.array(values, dtype=object if kind.kind in "OUS" else kind)
    if cats.dtype == object and len(cats) and isinstance(cats[0], bytes) and kind.kind != "S":
        raise ValueError(
            f"In column {i}, the predefined categories have type 'bytes' which is incompatible "
            "with values of the column."
        )
    for value in cats[:-1]:
        if K.is_nan(value):
            raise ValueError(
                "Nan should be the last element in user provided categories, see categories "
                f"{cats} in column #{i}"
            )
    if cats.dtype == object:
        plain = [v for v in cats if not K.is_nan(v)]
        n_distinct = len(set(plain)) + min(1, len(cats) - len(plain))
    else:
        n_distinct = len(np.unique(cats))
    if n_distinct != cats.size:
        raise ValueError(f"In column {i}, the predefined categories contain duplicate elements.")
    if cats.dtype.kind not in "OUS" and cats.size:
        stop = -1 if K.is_nan(cats[-1]) else None
        if np.any(np.sort(cats)[:stop] != cats[:stop]):
            raise ValueError("Unsorted categories are not supported for numerical categories")
    return cats


def _counts_of(
    counts: K.Counts, dtype: Any, cats: np.ndarray, i: int, handle_unknown: str
) -> np.ndarray:
    """Counts of the given categories of column ``i``; unknown values refused in "error" mode."""
    lookup = K.make_lookup(cats)
    values = K.to_sklearn(counts.values, dtype, bool(counts.n_none or counts.n_nan))
    where = lookup.index.get_indexer(values) if len(values) else np.empty(0, dtype=np.intp)
    out = np.zeros(len(cats), dtype=np.int64)
    known = where >= 0
    np.add.at(out, where[known], counts.counts[known])
    unknown = list(values[~known])
    missing = ((counts.n_none, lookup.none_idx, None), (counts.n_nan, lookup.nan_idx, np.nan))
    for n, index, value in missing:
        if n and index >= 0:
            out[index] += n
        elif n:
            unknown.append(value)
    if unknown and handle_unknown == "error":
        raise ValueError(K.describe_unknown(unknown, i, None, "fit"))
    return out


def check_width(X: Any, expected: int) -> None:
    """Refuse encoded input of the wrong width (``inverse_transform``), reading no data."""
    width = int(row_shape(X)[0])
    if width != expected:
        raise ValueError(
            f"Shape of the passed X data is not correct. Expected {expected} columns, got {width}."
        )
