"""Categorizer and DummyEncoder: dask-ml's dataframe encoders, categories learned in one pass.

:class:`Categorizer` turns object and string columns into pandas categoricals with known
categories; :class:`DummyEncoder` one-hot encodes categorical columns with
``pandas.get_dummies`` and inverts it. Categories not known from a column's dtype (object or
string columns, dask categoricals with unknown categories) are learned in one pass over the
data (:mod:`._cat_passes`); per-partition work goes through the shared output layer
(:mod:`dasklearn._output`): a dask DataFrame with X's index and divisions for a dask DataFrame.
"""

from __future__ import annotations

from typing import Any

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin

from .._output import Output, OutputMixin, apply_rows, map_rows
from .._params import check_params
from .._validation import check_is_fitted, validate_data
from . import _cat_frames as F
from ._cat_passes import categorical_dtypes, count_categories

__all__ = ["Categorizer", "DummyEncoder"]


def _frame(estimator: Any, X: Any, reset: bool) -> Any:
    if not isinstance(X, pd.DataFrame | dd.DataFrame):
        raise TypeError(
            f"{type(estimator).__name__} works on a pandas or dask DataFrame, got "
            f"{type(X).__name__} instead."
        )
    return validate_data(
        estimator,
        X,
        reset=reset,
        accept="frame",
        dtype=None,
        ensure_all_finite=False,
        known_chunks=False,
    )


def _meta(X: Any) -> pd.DataFrame:
    return X._meta if isinstance(X, dd.DataFrame) else X.iloc[:0]


def _is_text(dtype: Any) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def _learn_dtypes(X: Any, columns: list[Any]) -> tuple[dict[Any, pd.CategoricalDtype], int]:
    """The categorical dtype of each of ``columns``: a known categorical dtype as it is, the
    others learned from the values in one pass over those columns (0 passes when none)."""
    known = dict(zip(columns, categorical_dtypes(X[columns]), strict=True)) if columns else {}
    todo = [c for c in columns if known[c] is None]
    passes = 0
    if todo:
        _, counts, passes = count_categories(X[todo])
        for c, count in zip(todo, counts, strict=True):
            known[c] = F.categorical_dtype(count, X.dtypes[c])
    return {c: known[c] for c in columns}, passes


def _absent(X: Any, columns: Any) -> None:
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ValueError(f"Columns {missing} are not in X (columns {list(X.columns)}).")


class Categorizer(OneToOneFeatureMixin, OutputMixin, TransformerMixin, BaseEstimator,
                  auto_wrap_output_keys=None):  # fmt: skip
    """Transform columns of a DataFrame to categorical dtype with known categories.

    dask-ml's ``Categorizer``: object and string columns (pandas' default string dtype
    included) and categoricals become categoricals with known categories, learned in one pass
    over a dask DataFrame (sorted, as pandas' ``astype("category")`` sorts them). Other columns
    are kept. A useful step before :class:`DummyEncoder` or an encoder that reads categorical
    dtypes.

    Parameters
    ----------
    categories : mapping, optional
        Column name -> ``pandas.CategoricalDtype`` or ``(categories, ordered)``: no pass.
    columns : sequence, optional
        The columns to categorize (default: every object, string and categorical column).
        Ignored when ``categories`` is given.

    Attributes
    ----------
    columns_ : pandas.Index
        The columns that are categorized.
    categories_ : dict
        Column name -> its ``pandas.CategoricalDtype``.
    n_passes_ : int
        Passes over X made by ``fit`` (0 when every dtype was known).
    n_features_in_ : int
        Number of columns seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the columns seen during fit.

    Notes
    -----
    A value that is not among a column's categories becomes NaN at transform (pandas'
    ``astype``).

    Examples
    --------
    >>> import pandas as pd
    >>> from dasklearn.preprocessing import Categorizer
    >>> df = pd.DataFrame({"A": [1, 2, 3], "B": ["a", "a", "b"]})
    >>> ce = Categorizer()
    >>> ce.fit_transform(df).dtypes
    A       int64
    B    category
    dtype: object
    >>> ce.categories_
    {'B': CategoricalDtype(categories=['a', 'b'], ordered=False, categories_dtype=str)}
    """

    _parameter_constraints = {"categories": [None, dict], "columns": [None, "array-like"]}

    def __init__(self, categories: dict | None = None, columns: Any = None) -> None:
        self.categories = categories
        self.columns = columns

    def fit(self, X: Any, y: Any = None) -> Categorizer:
        """Find the categories of the columns to categorize (one pass where not known).

        Parameters
        ----------
        X : pandas or dask DataFrame
        y : ignored
            Not used, present for API consistency.

        Returns
        -------
        self : Categorizer
            The fitted transformer.
        """
        check_params(self)
        X = _frame(self, X, reset=True)
        self.n_passes_ = 0
        if self.categories is not None:
            _absent(X, self.categories)
            self.categories_ = {
                c: d if isinstance(d, pd.CategoricalDtype) else pd.CategoricalDtype(*d)
                for c, d in self.categories.items()
            }
        else:
            if self.columns is not None:
                _absent(X, self.columns)
                columns = list(self.columns)
            else:
                columns = [
                    c
                    for c, d in X.dtypes.items()
                    if _is_text(d) or isinstance(d, pd.CategoricalDtype)
                ]
            self.categories_, self.n_passes_ = _learn_dtypes(X, columns)
        self.columns_ = pd.Index(list(self.categories_))
        return self

    def transform(self, X: Any, y: Any = None) -> Any:
        """Cast the columns in ``categories_`` to their categorical dtypes.

        Parameters
        ----------
        X : pandas or dask DataFrame
        y : ignored
            Not used, present for dask-ml compatibility.

        Returns
        -------
        X_out : pandas or dask DataFrame
            Same kind as X (lazy for dask, same index and divisions).
        """
        check_is_fitted(self, "categories_")
        X = _frame(self, X, reset=False)
        meta = _meta(X).astype(self.categories_)
        return apply_rows(
            self, "transform", F.categorize_block, X, self.categories_,
            output=Output(object, width=len(X.columns), meta=meta),
            dtype=None, ensure_all_finite=False,
        )  # fmt: skip


class DummyEncoder(OutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Dummy (one-hot) encode the categorical columns of a DataFrame, and invert it.

    dask-ml's ``DummyEncoder``: ``pandas.get_dummies`` of the categorical columns, partition by
    partition, with the same columns in every partition. Categorical columns of a dask
    DataFrame whose categories are not known are learned in one pass at fit.

    Parameters
    ----------
    columns : sequence, optional
        The columns to encode; they must be categorical. Default: every categorical column.
    drop_first : bool, default=False
        Drop the first category of each column.

    Attributes
    ----------
    columns_ : pandas.Index
        The columns of X before encoding.
    transformed_columns_ : pandas.Index
        The columns after encoding.
    categorical_columns_ : pandas.Index
        The encoded columns.
    non_categorical_columns_ : pandas.Index
        The other columns.
    categorical_blocks_ : dict
        Column -> the slice of the transformed columns that encode it.
    dtypes_ : dict
        Column -> its ``pandas.CategoricalDtype``.
    n_passes_ : int
        Passes over X made by ``fit`` (0 when every categorical dtype was known).

    Examples
    --------
    >>> import pandas as pd
    >>> from dasklearn.preprocessing import DummyEncoder
    >>> data = pd.DataFrame({"A": [1, 2, 3, 4], "B": pd.Categorical(["a", "a", "a", "b"])})
    >>> de = DummyEncoder()
    >>> trn = de.fit_transform(data)
    >>> trn
       A    B_a    B_b
    0  1   True  False
    1  2   True  False
    2  3   True  False
    3  4  False   True
    >>> de.categorical_blocks_
    {'B': slice(1, 3, None)}
    >>> de.inverse_transform(trn)["B"].tolist()
    ['a', 'a', 'a', 'b']
    """

    _parameter_constraints = {"columns": [None, "array-like"], "drop_first": ["boolean"]}

    def __init__(self, columns: Any = None, drop_first: bool = False) -> None:
        self.columns = columns
        self.drop_first = drop_first

    def fit(self, X: Any, y: Any = None) -> DummyEncoder:
        """Find the categorical columns and their categories (one pass where not known).

        Parameters
        ----------
        X : pandas or dask DataFrame
        y : ignored
            Not used, present for API consistency.

        Returns
        -------
        self : DummyEncoder
            The fitted transformer.
        """
        check_params(self)
        X = _frame(self, X, reset=True)
        self.columns_ = X.columns
        if self.columns is None:
            columns = [c for c, d in X.dtypes.items() if isinstance(d, pd.CategoricalDtype)]
        else:
            _absent(X, self.columns)
            columns = list(self.columns)
            plain = [c for c in columns if not isinstance(X.dtypes[c], pd.CategoricalDtype)]
            if plain:
                raise ValueError(
                    f"Columns {plain} must be categorical; categorize them first (Categorizer)."
                )
        self.categorical_columns_ = pd.Index(columns, dtype=X.columns.dtype)
        self.non_categorical_columns_ = X.columns.drop(self.categorical_columns_)
        self.dtypes_, self.n_passes_ = _learn_dtypes(X, columns)
        left = len(self.non_categorical_columns_)
        self.categorical_blocks_ = {}
        for c in columns:
            right = left + len(self.dtypes_[c].categories) - bool(self.drop_first)
            self.categorical_blocks_[c], left = slice(left, right), right
        meta = F.dummies_block(_meta(X), self.dtypes_, self.drop_first)
        self.transformed_columns_ = meta.columns
        self._meta_out = meta
        return self

    def transform(self, X: Any, y: Any = None) -> Any:
        """Dummy encode the categorical columns of X.

        Parameters
        ----------
        X : pandas or dask DataFrame
            With the columns seen at fit.
        y : ignored
            Not used, present for dask-ml compatibility.

        Returns
        -------
        X_out : pandas or dask DataFrame
            Same kind as X; columns ``transformed_columns_``.
        """
        check_is_fitted(self, "dtypes_")
        if not isinstance(X, pd.DataFrame | dd.DataFrame) or not X.columns.equals(self.columns_):
            got = list(X.columns) if hasattr(X, "columns") else type(X).__name__
            raise ValueError(
                f"Columns of 'X' do not match the training columns. Got {got}, expected "
                f"{list(self.columns_)}"
            )
        X = _frame(self, X, reset=False)
        for c, dtype in zip(self.dtypes_, categorical_dtypes(X[list(self.dtypes_)]), strict=True):
            if dtype is not None and not dtype.categories.equals(self.dtypes_[c].categories):
                raise ValueError(
                    f"Column {c!r} has categories {list(dtype.categories)}, but "
                    f"{list(self.dtypes_[c].categories)} at fit."
                )
        meta = self._meta_out
        return apply_rows(
            self, "transform", F.dummies_block, X, self.dtypes_, bool(self.drop_first),
            output=Output(object, width=len(meta.columns), meta=meta),
            dtype=None, ensure_all_finite=False,
        )  # fmt: skip

    def inverse_transform(self, X: Any) -> Any:
        """Turn dummy columns back into categorical columns.

        Parameters
        ----------
        X : array or DataFrame (NumPy, pandas, dask) with ``transformed_columns_`` columns
            Arrays are read with the columns ``transformed_columns_``.

        Returns
        -------
        X_original : pandas or dask DataFrame
            A dask DataFrame for dask input, a pandas DataFrame otherwise.
        """
        check_is_fitted(self, "dtypes_")
        names = list(self.transformed_columns_)
        if isinstance(X, np.ndarray):
            X = pd.DataFrame(X, columns=names)
        elif isinstance(X, da.Array):
            X = dd.from_dask_array(X, columns=names)
        blocks = {c: (names[self.categorical_blocks_[c]], self.dtypes_[c]) for c in self.dtypes_}
        args = (list(self.columns_), blocks, bool(self.drop_first))
        meta = F.undummies_block(self._meta_out, *args)
        output = Output(object, width=len(self.columns_), meta=meta)
        return map_rows(F.undummies_block, X, *args, output=output, dtype=None)
