"""ColumnTransformer: transformers fitted on column subsets of dask DataFrames and arrays, their
outputs stacked side by side block by block.

``fit`` resolves every column specification to positions from metadata, then fits each
transformer on its columns: a dasklearn transformer (or a Pipeline of them) gets the dask columns
and makes its own passes; any other transformer (scikit-learn's) is fitted in memory, on all the
rows of its columns, which are computed for all such transformers (and y) together in one pass.
``transform`` is one task per block: every fitted transformer on its columns of the block, the
results stacked (a dask DataFrame keeps X's index and divisions), through the shared output
layer (:mod:`dasklearn._output`). The pure block functions are in :mod:`._blocks`.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import chain
from numbers import Integral, Real
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import Bunch
from sklearn.utils.parallel import Parallel, delayed

from .._chunks import is_dask_input
from .._output import Output, OutputMixin, map_rows, output_config
from .._params import Interval, Options, check_params
from .._validation import check_features, check_is_fitted, validate_data
from . import _blocks as B
from . import _parts as P

__all__ = ["ColumnTransformer", "make_column_transformer"]


class ColumnTransformer(OutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Apply transformers to column subsets of X and stack their outputs side by side.

    A drop-in for ``dask_ml.compose.ColumnTransformer`` (same constructor) with scikit-learn's
    parameters, attributes and column specifications, on NumPy arrays, pandas DataFrames, dask
    arrays and dask DataFrames (dask-ml could not select their columns, dask-ml#993, and stacked
    the outputs' rows instead of their columns, dask-ml#1000).

    Parameters
    ----------
    transformers : list of (name, transformer, columns) tuples
        ``transformer``: an estimator with ``fit``/``transform``, ``"passthrough"`` or
        ``"drop"``. ``columns``: a label or position (the transformer gets one 1-D column), a
        list of labels or positions, a slice, a boolean mask, or a callable returning one of
        those (such as :class:`sklearn.compose.make_column_selector`); for a dask DataFrame the
        callable gets an empty pandas DataFrame with its columns and dtypes (no data is read).
    remainder : {"drop", "passthrough"} or estimator, default="drop"
        What happens to the columns no transformer selects.
    sparse_threshold : float, default=0.3
        When some outputs are sparse, the result is sparse if the overall density is below it.
    n_jobs : int or None, default=1
        Transformers fitted in memory at the same time (joblib).
    transformer_weights : dict, optional
        Factor multiplying each named transformer's output.
    preserve_dataframe : bool, default=True
        For pandas input: when every output is a pandas DataFrame (passthrough columns,
        transformers with pandas output), return a DataFrame rather than a NumPy array
        (dask-ml's default; scikit-learn returns NumPy unless ``set_output``).
    verbose : bool, default=False
        Print the time each transformer takes to fit.
    verbose_feature_names_out : bool, str or callable, default=True
        Output names: ``"name__feature"`` (True), a format string with ``{transformer_name}``
        and ``{feature_name}``, a callable ``f(transformer_name, feature_name)``, or the
        features' own names (False; they must be unique).

    Attributes
    ----------
    transformers_ : list of (name, fitted_transformer, columns)
        The fitted transformers, with a ``("remainder", ..., columns)`` entry when columns
        remain; ``"passthrough"`` entries hold the identity FunctionTransformer used.
    named_transformers_ : Bunch
        The fitted transformers by name.
    sparse_output_ : bool
        Whether ``transform`` returns sparse output.
    output_indices_ : dict
        Name -> slice of the output columns of each transformer.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen in ``fit`` (string column names only).

    Notes
    -----
    Fitting on dask input: dasklearn transformers (and Pipelines of only dasklearn steps) are
    fitted on the dask columns, making their own passes; every other transformer is fitted in
    memory on all rows of its columns (computed with y, for all of them together, in one pass:
    those columns must fit in the client's memory; a scikit-learn transformer with
    ``partial_fit`` wrapped in :class:`dasklearn.wrappers.Incremental` is fitted block by block
    instead). When some
    output is sparse, the density that decides ``sparse_output_`` takes one more pass unless
    the sparse outputs come from the in-memory transformers. ``fit_transform`` on dask input is
    ``fit`` then the lazy ``transform`` (a transformer whose ``fit_transform`` differs from
    ``fit().transform()``, as TargetEncoder's, gives the latter).

    ``transform``: NumPy (or sparse, or pandas as above) for in-memory input, exactly as
    scikit-learn; a dask array with X's row chunks for a dask array; a dask DataFrame (a dask
    array of sparse blocks when ``sparse_output_``) with X's index and divisions for a dask
    DataFrame, its columns named by ``get_feature_names_out()``, each keeping the dtype its
    transformer gives it (passthrough columns keep theirs). Columns selected by name may come in
    any order and with extra columns at transform; missing ones raise before any work.

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> from dasklearn.compose import ColumnTransformer
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", "b"]})
    >>> ddf = dd.from_pandas(df, npartitions=2)
    >>> ct = ColumnTransformer(
    ...     [("num", StandardScaler(), ["x"]), ("cat", OneHotEncoder(sparse_output=False), ["c"])]
    ... )
    >>> out = ct.fit_transform(ddf)
    >>> out.npartitions
    2
    >>> out.compute().round(3)
       num__x  cat__c_a  cat__c_b
    0  -1.342       1.0       0.0
    1  -0.447       0.0       1.0
    2   0.447       1.0       0.0
    3   1.342       0.0       1.0
    """

    _parameter_constraints = {
        "transformers": [list, tuple],
        "remainder": [Options({"drop", "passthrough"}), "estimator"],
        "sparse_threshold": [Interval(Real, 0, 1, closed="both")],
        "n_jobs": [None, Integral],
        "transformer_weights": [dict, None],
        "preserve_dataframe": ["boolean"],
        "verbose": ["boolean"],
        "verbose_feature_names_out": ["boolean", str, "callable"],
    }

    def __init__(
        self,
        transformers: list[tuple[str, Any, Any]],
        remainder: str | Any = "drop",
        sparse_threshold: float = 0.3,
        n_jobs: int | None = 1,
        transformer_weights: dict[str, float] | None = None,
        preserve_dataframe: bool = True,
        verbose: bool = False,
        verbose_feature_names_out: bool | str | Any = True,
    ) -> None:
        self.transformers = transformers
        self.remainder = remainder
        self.sparse_threshold = sparse_threshold
        self.n_jobs = n_jobs
        self.transformer_weights = transformer_weights
        self.preserve_dataframe = preserve_dataframe
        self.verbose = verbose
        self.verbose_feature_names_out = verbose_feature_names_out

    # ---- parameters of the transformers (as scikit-learn's compositions) ---------------------

    def _named(self) -> list[tuple[str, Any]]:
        try:
            return [(name, trans) for name, trans, _ in self.transformers]
        except (TypeError, ValueError):
            return []

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters of this estimator and, with ``deep``, of its transformers (``name__param``).

        Parameters
        ----------
        deep : bool, default=True
            Include the transformers and their parameters.

        Returns
        -------
        params : dict
        """
        out = super().get_params(deep=deep)
        if not deep:
            return out
        for name, trans in self._named():
            out[name] = trans
            if hasattr(trans, "get_params") and not isinstance(trans, type):
                out.update({f"{name}__{k}": v for k, v in trans.get_params(deep=True).items()})
        return out

    def set_params(self, **params: Any) -> ColumnTransformer:
        """Set parameters: the transformer list, a transformer by name, or ``name__param``.

        Parameters
        ----------
        **params
            Parameter names as :meth:`get_params` lists them.

        Returns
        -------
        self : ColumnTransformer
        """
        if "transformers" in params:
            self.transformers = params.pop("transformers")
        names = [name for name, _ in self._named()]
        for key in [k for k in params if k in names]:
            value = params.pop(key)
            self.transformers = [(n, value if n == key else t, c) for n, t, c in self.transformers]
        super().set_params(**params)
        return self

    # ---- fit ----------------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None) -> ColumnTransformer:
        """Fit every transformer on its columns of X.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Columns are selected by label (DataFrames) or position.
        y : array-like or dask collection, optional
            Target, passed to each transformer's ``fit``.

        Returns
        -------
        self : ColumnTransformer
            The fitted transformer.
        """
        self._fit(X, y, want_output=False)
        return self

    def fit_transform(self, X: Any, y: Any = None) -> Any:
        """Fit every transformer, then transform X (lazily for dask input).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
        y : array-like or dask collection, optional

        Returns
        -------
        X_t : ndarray, sparse matrix, pandas DataFrame, dask array or dask DataFrame
            The transformers' outputs side by side.
        """
        out = self._fit(X, y, want_output=True)
        return self.transform(X) if out is None else out

    def _fit(self, X: Any, y: Any, want_output: bool) -> Any:
        check_params(self)
        P.check_transformers(self.transformers, self.get_params(deep=False))
        X = validate_data(
            self,
            P.as_input(X),
            reset=True,
            accept="frame",
            dtype=None,
            ensure_all_finite=False,
            known_chunks=False,
            accept_sparse=True,
        )
        entries, rows = self._plan(X)
        if is_dask_input(X):
            fitted, pieces, n_rows, nnz = self._fit_lazy(X, y, entries)
            outputs = None
        else:
            (y,) = P.compute(y)
            results = self._fit_in_memory(X, y, entries)
            outputs = [out for out, _ in results]
            fitted = [trans for _, trans in results]
            pieces = [P.piece_of(out) for out in outputs]
            n_rows, nnz = X.shape[0], sum(B.nnz(out) for out in outputs)
        for entry, trans in zip(entries, fitted, strict=True):
            entry.row[1] = trans
        self.transformers_ = [tuple(row) for row in rows]
        self._entries = [(e.name, e.indices, e.scalar, e.weight) for e in entries]
        self._fitted = fitted
        self._pieces = pieces
        total = n_rows * sum(p.width for p in pieces)
        self.sparse_output_ = bool(
            any(p.sparse for p in pieces) and total > 0 and nnz / total < self.sparse_threshold
        )
        start = 0
        self.output_indices_ = {n: slice(0, 0) for n, _ in self._named()} | {
            "remainder": slice(0, 0)
        }
        for entry, piece in zip(entries, pieces, strict=True):
            self.output_indices_[entry.name] = slice(start, start + piece.width)
            start += piece.width
        if outputs is not None and want_output:
            return self._stack(outputs, X)
        return None

    def _plan(self, X: Any) -> tuple[list[P.Entry], list[list]]:
        """The transformers to fit on which columns, and the rows of ``transformers_``."""
        labels = list(X.columns) if isinstance(X, pd.DataFrame | dd.DataFrame) else None
        n = self.n_features_in_
        target = X._meta if isinstance(X, dd.DataFrame) else X
        weights = self.transformer_weights or {}
        config = output_config(self)
        entries, rows, used, kinds = [], [], set(), set()
        for name, trans, spec in self.transformers:
            kinds.add("int" if callable(spec) else B.key_type(spec))
            if callable(spec):
                spec = spec(target)
            indices = B.column_indices(spec, n, labels)
            used.update(indices)
            row = [name, trans, spec]
            rows.append(row)
            if not (isinstance(trans, str) and trans == "drop") and indices:
                entries.append(
                    P.Entry(name, trans, indices, B.is_scalar(spec), weights.get(name), row)
                )
        remaining = sorted(set(range(n)) - used)
        if remaining:
            kind = kinds.pop() if len(kinds) == 1 else "int"
            if kind == "str" and labels is not None:
                columns: Any = [labels[i] for i in remaining]
            elif kind == "bool":
                columns = [i in remaining for i in range(n)]
            else:
                columns = remaining
            row = ["remainder", self.remainder, columns]
            rows.append(row)
            if not (isinstance(self.remainder, str) and self.remainder == "drop"):
                entry = P.Entry(
                    "remainder", self.remainder, remaining, False, weights.get("remainder"), row
                )
                entries.append(entry)
        for entry in entries:
            entry.passthrough = isinstance(entry.trans, str) and entry.trans == "passthrough"
            entry.trans = P.passthrough(config) if entry.passthrough else clone(entry.trans)
        return entries, rows

    def _fit_one(self, entry: P.Entry, X: Any, y: Any, i: int, total: int, output: bool) -> Any:
        with P.timed(self.verbose, entry.name, i, total):
            sub = B.select(X, entry.indices, entry.scalar)
            if not output:
                return None, entry.trans.fit(sub, y)
            if hasattr(entry.trans, "fit_transform"):
                out = entry.trans.fit_transform(sub, y)
            else:
                out = entry.trans.fit(sub, y).transform(sub)
        out = B.as_2d(out, entry.name)
        return (out if entry.weight is None else out * entry.weight), entry.trans

    def _fit_in_memory(self, X: Any, y: Any, entries: list[P.Entry]) -> list[tuple[Any, Any]]:
        total = len(entries)
        return Parallel(n_jobs=self.n_jobs)(
            delayed(self._fit_one)(e, X, y, i, total, True) for i, e in enumerate(entries, 1)
        )

    def _fit_lazy(self, X: Any, y: Any, entries: list[P.Entry]) -> tuple:
        """Fit on dask X; returns (fitted, pieces, rows, stored entries) for the density."""
        samples = P.Samples(X)
        total = len(entries)
        memory = [
            i for i, e in enumerate(entries) if not e.passthrough and not P.reads_dask(e.trans)
        ]
        local: dict[int, P.Entry] = {}
        Xm, n_rows = None, 0
        if memory:
            union = sorted(set(chain.from_iterable(entries[i].indices for i in memory)))
            Xm, ym = P.compute(B.select(X, union, False), y)
            n_rows = Xm.shape[0]
            where = {c: k for k, c in enumerate(union)}
            local = {
                i: replace(entries[i], indices=[where[c] for c in entries[i].indices])
                for i in memory
            }
            results = Parallel(n_jobs=self.n_jobs)(
                delayed(self._fit_one)(local[i], Xm, ym, i + 1, total, False) for i in memory
            )
            for i, (_, trans) in zip(memory, results, strict=True):
                entries[i].trans = local[i].trans = trans
        for i, entry in enumerate(entries):
            if i in local:
                continue
            if entry.passthrough:  # the identity: fitted on X's (empty) metadata
                self._fit_one(entry, samples.empty(), None, i + 1, total, False)
            else:
                self._fit_one(entry, X, y, i + 1, total, False)
        lazy = (samples.fake, samples.real)
        pieces = [
            P.describe(local[i], (lambda: Xm[:2],)) if i in local else P.describe(e, lazy)
            for i, e in enumerate(entries)
        ]
        nnz = 0
        if any(p.sparse for p in pieces) and self.sparse_threshold > 0:
            if all(i in local for i, p in enumerate(pieces) if p.sparse):
                for i, piece in enumerate(pieces):
                    if piece.sparse:
                        (out,) = B.transform_pieces(Xm, [local[i].plan_row()])
                        nnz += B.nnz(out)
                    else:
                        nnz += n_rows * piece.width
            else:  # one pass: the stored entries of every row's output
                plan = [e.plan_row() for e in entries]
                counts = map_rows(
                    B.density_rows, X, plan, output=Output(np.float64, width=2), dtype=None
                )
                (sums,) = dask.compute(counts.sum(axis=0))
                nnz, n_rows = int(np.asarray(sums)[0]), int(np.asarray(sums)[1])
        return [e.trans for e in entries], pieces, n_rows, nnz

    # ---- transform ----------------------------------------------------------------------------

    def _transform_plan(self, X: Any) -> list[tuple]:
        """(name, fitted, positions in X, scalar, weight) per output piece; columns checked
        against ``fit`` from metadata (a frame fitted on a frame: by name, any order)."""
        names = getattr(self, "feature_names_in_", None)
        if names is not None and isinstance(X, pd.DataFrame | dd.DataFrame):
            labels = list(X.columns)
            needed = {names[i] for _, indices, _, _ in self._entries for i in indices}
            missing = needed - set(labels)
            if missing:
                raise ValueError(f"columns are missing: {missing}")
            where = {name: labels.index(name) for name in needed}
            positions = [[where[names[i]] for i in e[1]] for e in self._entries]
        else:
            check_features(self, X)
            positions = [e[1] for e in self._entries]
        return [
            (name, trans, pos, scalar, weight)
            for (name, _, scalar, weight), trans, pos in zip(
                self._entries, self._fitted, positions, strict=True
            )
        ]

    def transform(self, X: Any) -> Any:
        """Transform X by each fitted transformer and stack the outputs (lazily for dask input).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            DataFrames fitted by name may hold the columns in any order, and more of them.

        Returns
        -------
        X_t : ndarray, sparse matrix, pandas DataFrame, dask array or dask DataFrame
            The transformers' outputs side by side (see the class Notes for the container).
        """
        check_is_fitted(self, "transformers_")
        X = P.as_input(X)
        if X.ndim != 2:
            raise ValueError(
                f"Expected a 2-dimensional X, got {X.ndim} dimension(s). Reshape your data with "
                "X.reshape(-1, 1) if it has a single feature, or X.reshape(1, -1) if it is a "
                "single sample."
            )
        plan = self._transform_plan(X)
        if not is_dask_input(X):
            return self._stack(B.transform_pieces(X, plan), X)
        width = sum(p.width for p in self._pieces)
        dtype = np.result_type(
            *[P.numpy_dtype(d) for p in self._pieces for d in p.dtypes] or [float]
        )
        if self.sparse_output_:
            kind, meta = "sparse", None
            output = Output(dtype, width=width, sparse=True)
        elif isinstance(X, dd.DataFrame):
            kind, meta = "frame", P.frame_meta(self._pieces, self._output_names())
            output = Output(object, width=width, columns=list(meta.columns), meta=meta)
        else:
            kind, meta = "array", np.empty((0, width), dtype=dtype)
            output = Output(dtype, width=width)
        return map_rows(B.transform_block, X, plan, kind, meta, output=output, dtype=None)

    def _output_names(self) -> list[Any]:
        try:
            return list(self.get_feature_names_out())
        except (AttributeError, ValueError):
            names = [p.names or [None] * p.width for p in self._pieces]
            flat = list(chain.from_iterable(names))
            return flat if all(n is not None for n in flat) else list(range(len(flat)))

    def _stack(self, pieces: list[Any], X: Any) -> Any:
        """In-memory outputs side by side, as scikit-learn stacks them (see the class Notes)."""
        if self.sparse_output_:
            return B.stack_sparse(pieces)
        dense = [p.toarray() if sp.issparse(p) else p for p in pieces]
        pandas_in = isinstance(X, pd.DataFrame)
        frames = bool(dense) and all(isinstance(p, pd.DataFrame) for p in dense)
        if output_config(self) == "pandas" or (self.preserve_dataframe and pandas_in and frames):
            index = X.index if pandas_in else pd.RangeIndex(X.shape[0])
            return B.stack_frames(dense, index, self._output_names())
        if not dense:
            return np.zeros((X.shape[0], 0))
        return np.hstack([np.asarray(p) for p in dense])

    # ---- names and access -----------------------------------------------------------------------

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns: each transformer's output names, prefixed as
        ``verbose_feature_names_out`` says.

        Parameters
        ----------
        input_features : array-like of str, optional
            Input feature names (default: ``feature_names_in_``, else ``x0, x1, ...``).

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "transformers_")
        names_in = P.names_in(self, input_features)
        pairs = []
        for (name, indices, _, _), trans, piece in zip(
            self._entries, self._fitted, self._pieces, strict=True
        ):
            if hasattr(trans, "get_feature_names_out"):
                pairs.append((name, list(trans.get_feature_names_out(names_in[indices]))))
            elif piece.names is not None:
                pairs.append((name, [str(n) for n in piece.names]))
            else:
                raise AttributeError(
                    f"Transformer {name} (type {type(trans).__name__}) does not provide "
                    "get_feature_names_out."
                )
        return P.prefixed(pairs, self.verbose_feature_names_out)

    @property
    def named_transformers_(self) -> Bunch:
        """The fitted transformers by name (read-only)."""
        return Bunch(**{name: trans for name, trans, _ in self.transformers_})

    def __getitem__(self, key: str) -> Any:
        try:
            return self.named_transformers_[key]
        except AttributeError as err:
            raise TypeError("ColumnTransformer is subscriptable after it is fitted") from err
        except KeyError as err:
            raise KeyError(f"'{key}' is not a valid transformer name") from err

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # the transformers decide, passthrough keeps NaN
        return tags

    def set_output(self, *, transform: str | None = None) -> ColumnTransformer:
        """Set the output container of ``transform``, here and in every transformer.

        Parameters
        ----------
        transform : {"default", "pandas"} or None
            ``"pandas"``: a DataFrame for in-memory input. None leaves it unchanged.

        Returns
        -------
        self : ColumnTransformer
        """
        super().set_output(transform=transform)
        fitted = [t for _, t, _ in getattr(self, "transformers_", [])]
        for trans in chain([t for _, t, _ in self.transformers], fitted, [self.remainder]):
            if hasattr(trans, "set_output") and not isinstance(trans, str):
                trans.set_output(transform=transform)
        return self


def make_column_transformer(
    *transformers: tuple[Any, Any],
    remainder: str | Any = "drop",
    sparse_threshold: float = 0.3,
    n_jobs: int | None = 1,
    preserve_dataframe: bool = True,
    verbose: bool = False,
    verbose_feature_names_out: bool | str | Any = True,
) -> ColumnTransformer:
    """A :class:`ColumnTransformer` from (transformer, columns) pairs, named automatically.

    Parameters
    ----------
    *transformers : (transformer, columns) tuples
        As in :class:`ColumnTransformer`, without names: each is named after its class in
        lower case (``standardscaler``, numbered ``-1``, ``-2`` when repeated).
    remainder, sparse_threshold, n_jobs, preserve_dataframe, verbose, verbose_feature_names_out
        As in :class:`ColumnTransformer`.

    Returns
    -------
    ct : ColumnTransformer

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> from dasklearn.compose import make_column_transformer
    >>> ct = make_column_transformer((StandardScaler(), ["a"]), remainder="passthrough")
    >>> [name for name, _, _ in ct.transformers]
    ['standardscaler']
    """
    names = P.name_estimators([t for t, _ in transformers])
    return ColumnTransformer(
        [(name, t, cols) for name, (t, cols) in zip(names, transformers, strict=True)],
        remainder=remainder,
        sparse_threshold=sparse_threshold,
        n_jobs=n_jobs,
        preserve_dataframe=preserve_dataframe,
        verbose=verbose,
        verbose_feature_names_out=verbose_feature_names_out,
    )
