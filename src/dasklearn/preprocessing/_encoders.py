"""OneHotEncoder and OrdinalEncoder: scikit-learn's encoders, categories learned in one pass.

Layers (see ARCHITECTURE.md): the estimators here check parameters and store NumPy/pandas
attributes; :class:`._cat_base.CategoryEncoder` learns ``categories_`` through the one pass of
:mod:`._cat_passes`; :mod:`._cat_model` turns categories and counts into scikit-learn's model
(infrequent categories, dropped categories, per-feature tables); the block kernels of
:mod:`._cat_kernels` encode rows. Per-row results go through the shared output layer
(:mod:`dasklearn._output`), in the container of the input.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils import check_array

from .._output import Output, apply_rows, map_rows, output_config
from .._params import Options, check_params
from .._validation import check_is_fitted, is_dask_input
from . import _cat_kernels as K
from . import _cat_model as M
from ._cat_base import MAX_CATEGORIES, MIN_FREQUENCY, CategoryEncoder, check_width

__all__ = ["OneHotEncoder", "OrdinalEncoder"]


class OneHotEncoder(CategoryEncoder):
    """Encode categorical features as a one-hot numeric array, from data larger than memory.

    scikit-learn's ``OneHotEncoder`` (same parameters, attributes and results) at dask-ml's
    import path with dask-ml's constructor. The categories of every column are learned in one
    pass: each row block's distinct values are counted where the block lives and the counts
    merged exactly, so infrequent categories (``min_frequency``, ``max_categories``) come from
    the counts of the whole data. Columns are read in their own dtypes: strings (pandas' default
    string dtype included), categoricals (through their codes), numbers, booleans, dates; NaN
    and None are categories of their own.

    Parameters
    ----------
    n_values, categorical_features : None
        Accepted for dask-ml's signature; scikit-learn removed them (use ``categories``).
    categories : "auto" or list of array-like, default="auto"
        ``"auto"``: the distinct values of each column, sorted (None, then NaN, last). A list:
        ``categories[i]`` are the categories of column i (numbers sorted).
    drop : {"first", "if_binary"}, array-like of shape (n_features,) or None, default=None
        A category to drop per feature (after grouping infrequent categories).
    sparse_output : bool, default=True
        SciPy CSR matrices (for dask input: a dask array of CSR blocks, also for a dask
        dataframe) instead of dense arrays.
    dtype : number type, default=np.float64
        Of the output.
    handle_unknown : {"error", "ignore", "infrequent_if_exist", "warn"}, default="error"
        Unknown categories at transform: raise, encode as all zeros, or encode as the
        infrequent category where there is one (``"warn"``: also warn). For dask input the
        error (or warning) comes when the block that holds the value is computed; where a dask
        dataframe's categorical dtype declares categories that fit neither saw nor was
        declared at fit, ``"error"`` raises before any work.
    min_frequency : int or float, default=None
        Categories seen fewer times (int) or in a smaller fraction of the rows (float) are
        infrequent and grouped in one output column.
    max_categories : int, default=None
        Most output columns per feature, the infrequent one included.
    feature_name_combiner : "concat" or callable, default="concat"
        ``callable(feature, category) -> str`` names the output columns; ``"concat"`` gives
        ``feature + "_" + str(category)``.

    Attributes
    ----------
    categories_ : list of ndarray
        The categories of each feature, as scikit-learn finds them.
    drop_idx_ : ndarray of shape (n_features,) or None
        Index in ``categories_[i]`` of the category dropped from feature i (None: none).
    infrequent_categories_ : list of ndarray or None
        The infrequent categories of each feature (only with ``min_frequency`` or
        ``max_categories``).
    dtypes_ : list of CategoricalDtype or None
        dask-ml's: each column's categorical dtype at fit (None for other columns).
    n_passes_ : int
        Passes over X made by ``fit`` (1, or 0 for given categories not counted or checked).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit (string column names only).

    Notes
    -----
    Output containers follow the input: NumPy or SciPy for NumPy and pandas (a pandas
    DataFrame under ``set_output(transform="pandas")`` with ``sparse_output=False``), a dask
    array in X's row blocks for a dask array, and for a dask dataframe a dask DataFrame with
    X's index and scikit-learn's column names (dense) or a dask array of CSR blocks (sparse).
    A fitted encoder holds NumPy and pandas values only.

    Examples
    --------
    >>> import pandas as pd
    >>> from dasklearn.preprocessing import OneHotEncoder
    >>> X = pd.DataFrame({"city": ["Paris", "Tokyo", "Paris", None], "rooms": [1, 3, 1, 2]})
    >>> enc = OneHotEncoder(sparse_output=False).fit(X)
    >>> enc.categories_
    [array(['Paris', 'Tokyo', nan], dtype=object), array([1, 2, 3])]
    >>> enc.get_feature_names_out()
    array(['city_Paris', 'city_Tokyo', 'city_nan', 'rooms_1', 'rooms_2',
           'rooms_3'], dtype=object)
    >>> enc.transform(X)[:2]
    array([[1., 0., 0., 1., 0., 0.],
           [0., 1., 0., 0., 0., 1.]])

    Dask input is learned in one pass; the encoding stays lazy:

    >>> import dask.dataframe as dd
    >>> ddf = dd.from_pandas(X, npartitions=2)
    >>> enc = OneHotEncoder(sparse_output=False, handle_unknown="ignore").fit(ddf)
    >>> enc.transform(ddf).compute().iloc[:, :3]
       city_Paris  city_Tokyo  city_nan
    0         1.0         0.0       0.0
    1         0.0         1.0       0.0
    2         1.0         0.0       0.0
    3         0.0         0.0       1.0
    """

    _parameter_constraints = {
        "n_values": ["no_validation"],
        "categorical_features": ["no_validation"],
        "categories": [Options({"auto"}), list],
        "drop": [Options({"first", "if_binary"}), "array-like", None],
        "sparse_output": ["boolean"],
        "dtype": ["no_validation"],
        "handle_unknown": [Options({"error", "ignore", "infrequent_if_exist", "warn"})],
        "min_frequency": MIN_FREQUENCY,
        "max_categories": MAX_CATEGORIES,
        "feature_name_combiner": [Options({"concat"}), "callable"],
    }

    def __init__(
        self,
        n_values: Any = None,
        categorical_features: Any = None,
        categories: str | list = "auto",
        drop: Any = None,
        sparse_output: bool = True,
        dtype: Any = np.float64,
        handle_unknown: str = "error",
        min_frequency: int | float | None = None,
        max_categories: int | None = None,
        feature_name_combiner: str | Any = "concat",
    ) -> None:
        self.n_values = n_values
        self.categorical_features = categorical_features
        self.categories = categories
        self.drop = drop
        self.sparse_output = sparse_output
        self.dtype = dtype
        self.handle_unknown = handle_unknown
        self.min_frequency = min_frequency
        self.max_categories = max_categories
        self.feature_name_combiner = feature_name_combiner

    def fit(self, X: Any, y: Any = None) -> OneHotEncoder:
        """Learn the categories of every column of X (one pass over X).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Categorical, string or numeric columns; dask input may be larger than memory.
        y : ignored
            Not used, present for API consistency.

        Returns
        -------
        self : OneHotEncoder
            The fitted encoder.
        """
        check_params(self)
        for name in ("n_values", "categorical_features"):
            if getattr(self, name) is not None:
                raise ValueError(
                    f"{name} was removed from scikit-learn's OneHotEncoder; pass categories "
                    f"instead (got {name}={getattr(self, name)!r})."
                )
        Xv = self._validate(X, reset=True)
        self._learn_categories(Xv, self.handle_unknown, ignore_missing=False)
        self.dtypes_ = list(self._fit_dtypes)
        self.drop_idx_, self._drop_idx_after_grouping = M.drop_indices(
            self.drop,
            self.categories_,
            self._infrequent_indices,
            self._default_to_infrequent_mappings,
        )
        self._n_features_outs = M.one_hot_widths(
            self.categories_, self._infrequent_indices, self._drop_idx_after_grouping
        )
        return self

    def transform(self, X: Any) -> Any:
        """One-hot encode X.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Columns as at fit.

        Returns
        -------
        X_out : sparse matrix, ndarray, dask array or dask DataFrame
            Of shape (n_samples, n_encoded_features); see the class Notes for the container.
            For dask input, unknown categories raise when their block is computed.
        """
        check_is_fitted(self, "categories_")
        if self.sparse_output and output_config(self) == "pandas":
            raise ValueError(
                "Pandas output does not support sparse data. Set sparse_output=False to output "
                "pandas dataframes or disable pandas output via "
                'ohe.set_output(transform="default").'
            )
        Xv = self._check_input(X, refuse_unknown=self.handle_unknown == "error")
        tables = M.one_hot_tables(
            self.categories_,
            self._infrequent_indices,
            self._default_to_infrequent_mappings,
            self._drop_idx_after_grouping,
            self.handle_unknown,
        )
        warn = None
        if self.handle_unknown == "warn" or (
            self.drop is not None and self.handle_unknown in ("ignore", "infrequent_if_exist")
        ):
            ignoring = self.handle_unknown == "ignore"
            warn = "all zeros" if ignoring else "the infrequent category."  # scikit-learn's
        widths = list(self._n_features_outs)
        return apply_rows(
            self,
            "transform",
            K.one_hot_block,
            Xv,
            self._lookups(),
            tables,
            widths,
            np.dtype(self.dtype),
            bool(self.sparse_output),
            self.handle_unknown,
            warn,
            self._names(),
            output=Output(np.dtype(self.dtype), width=sum(widths), sparse=self.sparse_output),
            dtype=None,
            ensure_all_finite=False,
        )

    def inverse_transform(self, X: Any) -> Any:
        """The categories encoded by one-hot rows (scikit-learn's conventions for all-zero rows).

        Parameters
        ----------
        X : array-like, sparse matrix or dask collection of shape (n_samples, n_encoded_features)
            Encoded rows (dask arrays of sparse blocks included).

        Returns
        -------
        X_original : ndarray, dask array or dask DataFrame of shape (n_samples, n_features)
            ``None`` for unknown categories, ``"infrequent_sklearn"`` for the infrequent one.
        """
        check_is_fitted(self, "categories_")
        spec = M.one_hot_inverse_spec(
            self.categories_,
            self._infrequent_indices,
            self._default_to_infrequent_mappings,
            self._drop_idx_after_grouping,
            self.handle_unknown,
        )
        if not is_dask_input(X):
            X = check_array(X, accept_sparse="csr")
        check_width(X, sum(self._n_features_outs))
        if not is_dask_input(X):
            return K.one_hot_inverse_block(X, spec, True)
        output = Output(spec.dtype, width=self.n_features_in_, columns=self._output_names())
        return map_rows(K.one_hot_inverse_block, X, spec, False, output=output, dtype=None)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Output feature names: ``feature_category`` (or ``feature_name_combiner``'s).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names (default: ``feature_names_in_``, else ``x0``, ``x1``, ...).

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "categories_")
        inputs = OneToOneFeatureMixin.get_feature_names_out(self, input_features)
        combine = self._combiner()
        names = []
        drops = self._drop_idx_after_grouping
        for i, cats in enumerate(self.categories_):
            drop = None if drops is None else drops[i]
            mapping = self._default_to_infrequent_mappings[i]
            out = M.transformed_categories(cats, mapping, drop, remove_dropped=True)
            names.extend(combine(inputs[i], c) for c in out)
        return np.array(names, dtype=object)

    def _combiner(self) -> Any:
        if self.feature_name_combiner == "concat":
            return lambda feature, category: feature + "_" + str(category)
        if not isinstance(self.feature_name_combiner("feature", "category"), str):
            raise TypeError(
                "When `feature_name_combiner` is a callable, it should return a Python string."
            )
        return self.feature_name_combiner

    def _output_names(self) -> list[Any] | None:
        names = getattr(self, "feature_names_in_", None)
        return None if names is None else list(names)


class OrdinalEncoder(OneToOneFeatureMixin, CategoryEncoder):
    """Encode categorical features as integer codes, from data larger than memory.

    scikit-learn's ``OrdinalEncoder`` (same parameters, attributes and results), categories
    learned in one pass as in :class:`OneHotEncoder`, at dask-ml's import path. dask-ml's
    ``columns`` encodes only the named columns of a dataframe and keeps the others as they are.

    Parameters
    ----------
    columns : sequence of column names, optional
        dask-ml's: encode these columns of a pandas or dask DataFrame and pass the others
        through (the result is a DataFrame with X's columns). None (default): encode every
        column, as scikit-learn does.
    categories : "auto" or list of array-like, default="auto"
        As in :class:`OneHotEncoder`.
    dtype : number type, default=np.float64
        Of the codes.
    handle_unknown : {"error", "use_encoded_value"}, default="error"
        Unknown categories at transform: raise (for dask input, when the block that holds the
        value is computed), or encode as ``unknown_value``.
    unknown_value : int, np.nan or None, default=None
        The code of unknown categories with ``handle_unknown="use_encoded_value"``.
    encoded_missing_value : int or np.nan, default=np.nan
        The code of missing values (NaN, or the last category NaN).
    min_frequency : int or float, default=None
        Infrequent categories share one code (see :class:`OneHotEncoder`).
    max_categories : int, default=None
        Most codes per feature, the infrequent one included.

    Attributes
    ----------
    categories_ : list of ndarray
        The categories of each encoded feature, as scikit-learn finds them.
    infrequent_categories_ : list of ndarray or None
        The infrequent categories of each feature (with ``min_frequency``/``max_categories``).
    n_passes_ : int
        Passes over X made by ``fit``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit (string column names only).
    columns_, categorical_columns_, non_categorical_columns_ : pandas.Index
        dask-ml's, for dataframe input: all columns, the encoded ones, the others.
    dtypes_ : dict
        dask-ml's, for dataframe input: encoded column -> its categorical dtype at fit.

    Examples
    --------
    >>> import numpy as np
    >>> from dasklearn.preprocessing import OrdinalEncoder
    >>> X = np.array([["Male", 1], ["Female", 3], ["Female", np.nan]], dtype=object)
    >>> enc = OrdinalEncoder().fit(X)
    >>> enc.categories_
    [array(['Female', 'Male'], dtype=object), array([1, 3, nan], dtype=object)]
    >>> enc.transform(X)
    array([[ 1.,  0.],
           [ 0.,  1.],
           [ 0., nan]])

    dask-ml's ``columns``: the named columns are encoded, the others kept.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"A": [1, 2, 3], "B": pd.Categorical(["a", "b", "a"])})
    >>> OrdinalEncoder(columns=["B"]).fit_transform(df)
       A    B
    0  1  0.0
    1  2  1.0
    2  3  0.0
    """

    _parameter_constraints = {
        "columns": [None, "array-like"],
        "categories": [Options({"auto"}), list],
        "dtype": ["no_validation"],
        "handle_unknown": [Options({"error", "use_encoded_value"})],
        "unknown_value": [Integral, float, None],
        "encoded_missing_value": [Integral, float],
        "min_frequency": MIN_FREQUENCY,
        "max_categories": MAX_CATEGORIES,
    }

    def __init__(
        self,
        columns: Any = None,
        *,
        categories: str | list = "auto",
        dtype: Any = np.float64,
        handle_unknown: str = "error",
        unknown_value: float | None = None,
        encoded_missing_value: float = np.nan,
        min_frequency: int | float | None = None,
        max_categories: int | None = None,
    ) -> None:
        self.columns = columns
        self.categories = categories
        self.dtype = dtype
        self.handle_unknown = handle_unknown
        self.unknown_value = unknown_value
        self.encoded_missing_value = encoded_missing_value
        self.min_frequency = min_frequency
        self.max_categories = max_categories

    def fit(self, X: Any, y: Any = None) -> OrdinalEncoder:
        """Learn the categories of the (named) columns of X (one pass over X).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
        y : ignored
            Not used, present for API consistency.

        Returns
        -------
        self : OrdinalEncoder
            The fitted encoder.
        """
        check_params(self)
        M.check_unknown_value(self.handle_unknown, self.unknown_value, self.dtype)
        Xv = self._validate(X, reset=True)
        sub = self._encoded(Xv)
        self._learn_categories(sub, self.handle_unknown, ignore_missing=True)
        self._missing_indices = {
            i: M.missing_index(c)
            for i, c in enumerate(self.categories_)
            if M.missing_index(c) is not None
        }
        M.check_ordinal_codes(
            self.categories_,
            self._infrequent_indices,
            self._missing_indices,
            self.handle_unknown,
            self.unknown_value,
            self.encoded_missing_value,
            self.dtype,
            getattr(self, "feature_names_in_", None),
        )
        if isinstance(Xv, pd.DataFrame | dd.DataFrame):
            self.columns_ = Xv.columns
            self.categorical_columns_ = sub.columns
            self.non_categorical_columns_ = Xv.columns.drop(sub.columns)
            self.dtypes_ = {
                c: d for c, d in zip(sub.columns, self._fit_dtypes, strict=True) if d is not None
            }
        return self

    def transform(self, X: Any, y: Any = None) -> Any:
        """Ordinal codes of X.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
        y : ignored
            Not used, present for dask-ml compatibility.

        Returns
        -------
        X_out : ndarray, dask array or dask DataFrame of shape (n_samples, n_features)
            With ``columns``: a DataFrame with X's columns, the named ones encoded. For dask
            input, unknown categories raise when their block is computed.
        """
        check_is_fitted(self, "categories_")
        refuse = self.handle_unknown == "error"
        Xv = self._check_input(X, refuse_unknown=refuse)
        sub = self._encoded(Xv)
        tables = M.ordinal_tables(
            self.categories_,
            self._default_to_infrequent_mappings,
            np.dtype(self.dtype),
            self.encoded_missing_value,
            self.unknown_value,
        )
        args = (self._lookups(), tables, refuse, self._names())
        if self.columns is None:
            output = Output(np.dtype(self.dtype), width=self.n_features_in_)
            return apply_rows(
                self, "transform", K.ordinal_block, Xv, *args,
                output=output, dtype=None, ensure_all_finite=False,
            )  # fmt: skip
        meta = Xv._meta if isinstance(Xv, dd.DataFrame) else Xv.iloc[:0]
        meta = meta.astype({c: np.dtype(self.dtype) for c in sub.columns})
        output = Output(np.dtype(self.dtype), width=len(Xv.columns), meta=meta)
        return apply_rows(
            self, "transform", K.ordinal_columns_block, Xv, self._positions(Xv), *args,
            output=output, dtype=None, ensure_all_finite=False,
        )  # fmt: skip

    def inverse_transform(self, X: Any) -> Any:
        """The categories of ordinal codes.

        Parameters
        ----------
        X : array-like or dask collection of shape (n_samples, n_features)
            Codes (with ``columns``: a DataFrame whose named columns are codes).

        Returns
        -------
        X_original : ndarray, dask array or DataFrame of shape (n_samples, n_features)
            ``None`` for ``unknown_value``, ``"infrequent_sklearn"`` for the infrequent code.
        """
        check_is_fitted(self, "categories_")
        spec = M.ordinal_inverse_spec(
            self.categories_,
            self._infrequent_indices,
            self.encoded_missing_value,
            self.unknown_value if self.handle_unknown == "use_encoded_value" else None,
        )
        if self.columns is not None:
            if not isinstance(X, pd.DataFrame | dd.DataFrame):
                X = pd.DataFrame(check_array(X, dtype=None), columns=self.columns_)
            meta = X._meta if isinstance(X, dd.DataFrame) else X.iloc[:0]
            meta = meta.astype({c: spec.dtype for c in self.categorical_columns_})
            output = Output(spec.dtype, width=len(X.columns), meta=meta)
            positions = self._positions(X)
            return map_rows(
                K.ordinal_columns_inverse_block, X, positions, spec, output=output, dtype=None
            )
        if not is_dask_input(X):
            X = check_array(X, ensure_all_finite="allow-nan")
        check_width(X, len(self.categories_))
        if not is_dask_input(X):
            return K.ordinal_inverse_block(X, spec)
        names = getattr(self, "feature_names_in_", None)
        output = Output(spec.dtype, width=len(self.categories_), columns=names)
        return map_rows(K.ordinal_inverse_block, X, spec, output=output, dtype=None)

    # ---- checks ----------------------------------------------------------------------------
    def _encoded(self, Xv: Any) -> Any:
        """The columns of X that are encoded (all of them unless ``columns``)."""
        if self.columns is None:
            return Xv
        if not isinstance(Xv, pd.DataFrame | dd.DataFrame):
            raise TypeError(
                "OrdinalEncoder(columns=...) encodes columns of a pandas or dask DataFrame; "
                f"got {type(Xv).__name__}."
            )
        absent = [c for c in self.columns if c not in Xv.columns]
        if absent:
            raise ValueError(f"Columns {absent} of OrdinalEncoder(columns=...) are not in X.")
        return Xv[list(self.columns)]

    def _names(self) -> tuple[Any, ...]:
        if self.columns is not None:
            return tuple(self.categorical_columns_)
        return super()._names()

    def _positions(self, X: Any) -> list[int]:
        return [int(X.columns.get_loc(c)) for c in self.categorical_columns_]
