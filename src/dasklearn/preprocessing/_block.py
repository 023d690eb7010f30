"""BlockTransformer: a stateless function applied to every block of the rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from .._array_checks import check_array
from .._output import OutputMixin, map_rows
from .._params import check_params
from .._probe import output_of, probe
from .._validation import check_features, is_dask_input, validate_data

__all__ = ["BlockTransformer"]


class _WithKwargs:
    """``func(block, **kwargs)`` as a picklable block function."""

    def __init__(self, func: Callable[..., Any], kwargs: dict[str, Any]) -> None:
        self.func, self.kwargs = func, kwargs
        self.__name__ = getattr(func, "__name__", "block_transformer")

    def __call__(self, block: Any) -> Any:
        return self.func(block, **self.kwargs)


class BlockTransformer(OutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Construct a transformer from a function applied to every block of X.

    A drop-in for ``dask_ml.preprocessing.BlockTransformer`` (same constructor): ``func`` gets
    each row block of a dask array (NumPy, all columns), each partition of a dask DataFrame
    (pandas), or all of in-memory X, with ``**kw_args``. For stateless work on cells or rows
    (a log, a hash of each row), not for statistics over whole columns. Dask input gives a lazy
    result in its container, row blocks and index kept; its type, dtype and width are learned
    by running ``func`` on two made-up rows (or, if that fails, on the first rows of X).

    Parameters
    ----------
    func : callable
        ``func(block, **kw_args)`` returns one result row per row of ``block``: an array, a
        pandas DataFrame or Series.
    validate : bool, default=False
        Check X before calling ``func``: 2-D, numeric, and (in-memory) no NaN or infinity;
        after ``fit``, also the number and names of its columns. In-memory arrays then reach
        ``func`` as validated NumPy (as in dask-ml); dataframes and dask blocks as they are
        (pandas partitions stay pandas).
    **kw_args
        Keyword arguments for ``func`` (parameters of the estimator: ``get_params`` lists
        them beside ``func`` and ``validate``, so ``clone`` keeps them).

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during ``fit`` (with ``validate=True``).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during ``fit`` (with ``validate=True``; string column names
        only).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> from dasklearn.preprocessing import BlockTransformer
    >>> df = dd.from_pandas(pd.DataFrame({"a": [1, 2, 3, 4], "b": [5, 6, 7, 8]}), npartitions=2)
    >>> trn = BlockTransformer(pd.util.hash_pandas_object, index=False)
    >>> hashed = trn.transform(df)
    >>> type(hashed).__name__, str(hashed.dtype)
    ('Series', 'uint64')
    >>> BlockTransformer(np.log1p).fit_transform(np.array([[0.0, np.e - 1]]))
    array([[0., 1.]])
    """

    _parameter_constraints = {"func": ["callable"], "validate": ["boolean"]}

    def __init__(self, func: Callable[..., Any], *, validate: bool = False, **kw_args: Any):
        self.func = func
        self.validate = validate
        self._kw_args = kw_args

    @property
    def kw_args(self) -> dict[str, Any]:
        """The keyword arguments of ``func`` (dask-ml's attribute)."""
        return self._kw_args

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters of this transformer: ``func``, ``validate`` and every keyword argument.

        Parameters
        ----------
        deep : bool, default=True
            Ignored (no sub-estimators).

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return {"func": self.func, "validate": self.validate, **self.kw_args}

    def set_params(self, **params: Any) -> BlockTransformer:
        """Set ``func``, ``validate`` or keyword arguments of ``func``.

        Parameters
        ----------
        **params
            New values; names other than ``func`` and ``validate`` are keyword arguments.

        Returns
        -------
        self : BlockTransformer
        """
        for name, value in params.items():
            if name in ("func", "validate"):
                setattr(self, name, value)
            else:
                self._kw_args = {**self._kw_args, name: value}
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True  # stateless

    def _check(self, X: Any, reset: bool) -> Any:
        """With ``validate``: X is 2-D and numeric (metadata only for dask input). Returns what
        ``func`` gets: in-memory arrays validated (as dask-ml), dataframes as they are."""
        if not self.validate:
            return X
        finite = not is_dask_input(X)
        if reset:
            Xv = validate_data(self, X, reset=True, ensure_all_finite=finite, known_chunks=False)
        else:
            check_features(self, X)
            Xv = check_array(X, ensure_all_finite=finite, known_chunks=False)
        return X if is_dask_input(X) or isinstance(X, pd.DataFrame) else Xv

    def fit(self, X: Any, y: Any = None) -> BlockTransformer:
        """Nothing to learn; with ``validate``, record the columns of X.

        Parameters
        ----------
        X : array-like, pandas or dask collection
            The data.
        y : None
            Ignored.

        Returns
        -------
        self : BlockTransformer
        """
        check_params(self)
        self._check(X, reset=True)
        return self

    def transform(self, X: Any, y: Any = None) -> Any:
        """``func(block, **kw_args)`` on every block of X.

        Parameters
        ----------
        X : array-like, pandas or dask collection
            The data.
        y : None
            Ignored.

        Returns
        -------
        XP : what ``func`` returns for in-memory X; for dask input, a lazy dask array (dask
            array X) or dask Series/DataFrame (dask DataFrame X) with X's row blocks and index.
        """
        check_params(self)
        X = self._check(X, reset=False)
        func = _WithKwargs(self.func, dict(self.kw_args))
        if not is_dask_input(X):
            return func(X)
        output = output_of(probe(self, "transform", X))
        return map_rows(func, X, output=output, dtype=None)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = not self.validate
        tags.requires_fit = False
        return tags
