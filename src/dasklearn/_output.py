"""The one output layer: every per-row result comes back in the container of its input.

``predict``, ``predict_proba``, ``predict_log_proba``, ``decision_function``, ``transform``,
``inverse_transform``, ``fit_predict`` and ``labels_`` of every estimator, wrapper and boosting
model go through :func:`map_rows` (a block function over the rows) or :func:`apply_rows` (the
same, for an estimator: fitted and feature checks first, column names from ``classes_`` or
``get_feature_names_out()``, ``set_output`` honoured):

========================== =====================================================================
input                      output
========================== =====================================================================
NumPy, pandas              eager, as scikit-learn gives it: NumPy (a pandas DataFrame with X's
                           index for ``transform`` under ``set_output(transform="pandas")``)
dask array                 a dask array with X's row chunks (unknown ones stay unknown)
dask DataFrame or Series   a dask Series (one value per row) or DataFrame with X's index and
                           divisions; probability columns named after ``classes_``, transform
                           columns from ``get_feature_names_out()``
========================== =====================================================================

Blocks are handled here once: an empty block gives an empty result without calling the
function (scikit-learn refuses 0 rows); a block is converted to the NumPy dtype the estimator
works in (``block="numeric"``) or handed over as it is (``block="raw"``: a pandas partition
for a ColumnTransformer); NaN or infinity in a block raises when it is computed, naming the
problem, where the estimator does not accept them. Block functions run with BLAS held to one
thread, and large arguments (a fitted model) enter the graph once.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import sklearn

from ._array_checks import all_finite_values, check_array
from ._blockwise import (
    EMBED_BYTES,
    aligned,
    share_once,
    single_blas_thread,
    with_single_blas_thread,
)
from ._call_groups import kept_shared, map_groups, planned_calls
from ._chunks import as_dask_array, one_row_per_row, rows_only
from ._frame_groups import map_frame_groups
from ._placement import in_memory_row_chunks
from ._validation import check_features, check_is_fitted, input_kind

__all__ = [
    "LazyRowsMixin",
    "Output",
    "OutputMixin",
    "apply_rows",
    "map_rows",
    "output_config",
]

BlockKind = Literal["numeric", "raw"]
_PROBA_METHODS = ("predict_proba", "predict_log_proba", "decision_function")


@dataclass(frozen=True)
class Output:
    """What a per-row function returns for a block of rows.

    Attributes
    ----------
    dtype : dtype
        Of the values (object for labels that are strings).
    width : int or None
        Columns; None for one value per row (a 1-D result, a Series for dataframe input).
    columns : sequence, optional
        Column labels of a DataFrame result (default ``range(width)``).
    name : hashable, optional
        Name of a Series result.
    sparse : bool
        The function returns scipy.sparse blocks (dask input: a dask array of sparse blocks,
        also for dataframe input).
    meta : pandas Series or DataFrame, optional
        An empty example of the result on dataframe input, when its columns have several
        dtypes (a ColumnTransformer's pandas output); overrides ``dtype`` and ``columns`` there.

    A ``width`` of NaN means "2-D, width unknown until computed": dask input then gives a
    dask array (also for dataframe input).
    """

    dtype: Any
    width: int | float | None = None
    columns: Sequence[Any] | None = None
    name: Any = None
    sparse: bool = False
    meta: Any = None

    @property
    def as_array(self) -> bool:
        """Results that stay arrays for dataframe input (sparse, or of unknown width)."""
        return self.sparse or (self.width is not None and math.isnan(self.width))

    def empty(self) -> Any:
        """A 0-row result."""
        dtype = np.dtype(self.dtype)
        if self.width is None:
            return np.empty((0,), dtype=dtype)
        width = 0 if math.isnan(self.width) else int(self.width)
        if self.sparse:
            return sp.csr_matrix((0, width), dtype=dtype)
        return np.empty((0, width), dtype=dtype)

    def frame_meta(self, index: pd.Index) -> pd.Series | pd.DataFrame:
        """Empty pandas meta of a result on dataframe input."""
        if self.meta is not None:
            return self.meta.iloc[:0].set_axis(index[:0], axis=0)
        if self.width is None:
            return pd.Series(self.empty(), index=index[:0], name=self.name)
        columns = list(self.columns) if self.columns is not None else list(range(self.width))
        return pd.DataFrame(self.empty(), index=index[:0], columns=columns)


# --------------------------------------------------------------------------------------------
# block functions (run on the workers)
# --------------------------------------------------------------------------------------------


def _as_values(block: Any, dtype: Any, check_finite: bool, allow_nan: bool) -> Any:
    """A block as the estimator reads it: NumPy of ``dtype`` (None: pass it as it is)."""
    if dtype is None:
        return aligned(block)
    try:
        if isinstance(block, pd.DataFrame | pd.Series):
            values = aligned(block.to_numpy(dtype=dtype))
        else:
            values = aligned(np.asarray(block, dtype=dtype))
    except (TypeError, ValueError) as err:  # strings, objects: name the input
        raise type(err)(f"Input X holds values that are not numbers: {err}") from None
    if check_finite and values.dtype.kind in "fc" and not all_finite_values(values, allow_nan):
        raise ValueError(
            "Input X contains NaN or infinity; drop or impute those values first."
            if not allow_nan
            else "Input X contains infinity; drop or clip those values first."
        )
    return values


def _as_output(out: Any) -> Any:
    """A function's result as an array block: pandas (``set_output``) becomes NumPy."""
    if isinstance(out, pd.DataFrame | pd.Series):
        return out.to_numpy()
    return out


def _array_block(
    block: Any,
    func: Callable,
    dtype: Any,
    check_finite: bool,
    allow_nan: bool,
    empty: Any,
    *args: Any,
) -> Any:
    if block.shape[0] == 0:
        return empty
    out = _as_output(func(_as_values(block, dtype, check_finite, allow_nan), *args))
    if sp.issparse(out) or empty.ndim == out.ndim:
        return out
    return out.reshape((len(out),) + empty.shape[1:])


def _frame_block(
    part: Any,
    func: Callable,
    dtype: Any,
    check_finite: bool,
    allow_nan: bool,
    meta: Any,
    *args: Any,
) -> Any:
    if len(part) == 0:
        return meta.iloc[:0].set_axis(part.index[:0], axis=0)
    out = func(_as_values(part, dtype, check_finite, allow_nan), *args)
    if isinstance(meta, pd.Series):
        values = np.asarray(_as_output(out)).reshape(-1)
        return pd.Series(values, index=part.index, name=meta.name, dtype=meta.dtype)
    if isinstance(out, pd.DataFrame):
        return out.set_axis(part.index, axis=0).set_axis(meta.columns, axis=1)
    values = np.asarray(out).reshape(len(part), -1)
    dtypes = meta.dtypes.unique()
    return pd.DataFrame(
        values,
        index=part.index,
        columns=meta.columns,
        dtype=dtypes[0] if len(dtypes) == 1 else None,
    )


def _sparse_partition(
    part: Any, func: Callable, dtype: Any, check_finite: bool, allow_nan: bool, empty: Any, *args
) -> Any:
    if len(part) == 0:
        return empty
    return _as_output(func(_as_values(part, dtype, check_finite, allow_nan), *args))


# --------------------------------------------------------------------------------------------
# the layer
# --------------------------------------------------------------------------------------------


def _block_dtype(X: Any, dtype: Any) -> Any:
    """The one NumPy dtype blocks are converted to, decided from X's metadata (complex input
    refused here: a conversion would drop the imaginary parts without a word)."""
    if dtype is None:
        return None
    dtypes = (
        list(X.dtypes)
        if isinstance(X, pd.DataFrame | dd.DataFrame)
        else [getattr(X, "dtype", None)]
    )
    complex_ = [d for d in dtypes if isinstance(d, np.dtype) and d.kind == "c"]
    if complex_:
        raise ValueError(f"Complex data not supported: got dtype {complex_[0]}.")
    for d in dtypes:
        if isinstance(d, np.dtype) and d.kind in "USMm":
            raise ValueError(
                f"Expected numeric data, got dtype {d}; strings, dates and times are not read "
                "as numbers: convert or encode them first."
            )
    if isinstance(dtype, list | tuple):
        current = np.dtype(X.dtype) if hasattr(X, "dtype") else None
        if isinstance(X, pd.DataFrame | dd.DataFrame):
            kinds = {np.dtype(t) if isinstance(t, np.dtype) else None for t in X.dtypes}
            current = kinds.pop() if len(kinds) == 1 else None
        options = [np.dtype(d) for d in dtype]
        # np.dtype(None) is float64, so ``None in options`` would be True: test it first
        return current if current is not None and current in options else options[0]
    return np.dtype(dtype)


def map_rows(
    func: Callable[..., Any],
    X: Any,
    *args: Any,
    output: Output,
    dtype: Any = np.float64,
    ensure_all_finite: bool | Literal["allow-nan"] = False,
    parallel: bool = False,
    grouped: bool = False,
) -> Any:
    """``func(block, *args)`` over the rows of ``X``, in the container of ``X`` (see the module).

    Parameters
    ----------
    func : callable
        ``func(block, *args)`` returns one result per row of ``block``: an array of
        ``output.width`` columns (1-D when None), or pandas (taken as its values).
    X : NumPy, pandas, dask array, dask DataFrame or Series
        Validated by the caller (features checked); for dask input each block is converted here.
    *args
        Arguments of every call; large ones enter the graph once.
    output : Output
        What ``func`` returns.
    dtype : dtype, list of dtypes, or None
        The NumPy dtype blocks are converted to (a list: keep X's dtype when it is one of
        them, else the first); None hands blocks to ``func`` as they are (pandas partitions).
    ensure_all_finite : bool or "allow-nan"
        Refuse NaN/infinity in the blocks of dask input (when they are computed).
    parallel : bool
        In-memory X larger than one block is run block by block on local threads (a fitted
        model whose per-row work is costly: k-means labels); otherwise ``func`` sees all of X.
    grouped : bool
        For functions that cost more per call than per row (a large forest's ``predict``):
        for dask array X several small blocks per call, and blocks fewer than the threads cut
        into pieces (:mod:`dasklearn._call_groups`); for a dask DataFrame persisted on the
        cluster, a worker's partitions in few calls, and the same over the threads for a frame
        cut from pandas here (:mod:`dasklearn._frame_groups`).

    Returns
    -------
    numpy.ndarray, dask.array.Array, dask Series or dask DataFrame
    """
    kind = input_kind(X)
    block_dtype = _block_dtype(X, dtype)
    check = bool(ensure_all_finite) and block_dtype is not None
    allow_nan = ensure_all_finite == "allow-nan"
    if kind not in ("dask_array", "dask_dataframe"):
        return _eager(func, X, args, output, block_dtype, check, allow_nan, parallel)
    shared = [_share_arg(a) for a in args]
    if isinstance(X, da.Array):
        return _map_array(func, X, shared, output, block_dtype, check, allow_nan, grouped)
    if output.as_array:
        empty = output.empty()
        out = X.map_partitions(
            with_single_blas_thread(_sparse_partition),
            func,
            block_dtype,
            check,
            allow_nan,
            empty,
            *shared,
            meta=empty,
            enforce_metadata=False,
        )
        if isinstance(out, da.Array) and type(out._meta) is not type(empty):
            out = da.Array(out.dask, out.name, out.chunks, meta=empty)  # keep a sparse meta
        return out
    meta = output.frame_meta(X._meta.index)
    kernel = with_single_blas_thread(_frame_block)
    if grouped:
        block_args = [func, block_dtype, check, allow_nan, meta, *shared]
        out = map_frame_groups(kernel, X, block_args, meta=meta)
        if out is not None:
            return out
    out = X.map_partitions(
        kernel,
        func,
        block_dtype,
        check,
        allow_nan,
        meta,
        *shared,
        meta=meta,
        align_dataframes=False,
        enforce_metadata=False,
        transform_divisions=False,
    )
    return one_row_per_row(out)


_PLAIN = (type(None), bool, int, float, complex, str, bytes, np.generic, np.dtype)


def _embeddable(value: Any) -> bool:
    """Plain values, and small arrays or tuples of them: embedded in every block task."""
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, np.ndarray):
        return value.nbytes <= EMBED_BYTES
    if isinstance(value, tuple | list):
        return (
            all(_embeddable(v) for v in value)
            and sum(v.nbytes for v in value if isinstance(v, np.ndarray)) <= EMBED_BYTES
        )
    return False


def _share_arg(value: Any) -> Any:
    """An argument of a per-row function as it enters the graph: plain and small values inside
    every task; anything else (a fitted model, a booster, large arrays) once, as one key."""
    if _embeddable(value):
        return value
    return share_once(value)


def _map_array(
    func: Callable,
    X: da.Array,
    args: list,
    output: Output,
    dtype: Any,
    check: bool,
    nan: bool,
    grouped: bool = False,
) -> da.Array:
    if X.ndim > 2:  # results are one value or one row per input row
        raise ValueError(
            f"Expected a 1- or 2-dimensional dask array, got {X.ndim} dimensions (shape "
            f"{X.shape}); reshape it to (n_samples, n_features) first."
        )
    X = rows_only(X)
    empty = output.empty()
    axes: dict[str, Any] = {}
    if output.width is None:
        chunks: tuple = (X.chunks[0],)
        if X.ndim == 2:
            axes["drop_axis"] = 1
    else:
        chunks = (X.chunks[0], (output.width,))
        if X.ndim == 1:
            axes["new_axis"] = 1
    kernel = with_single_blas_thread(_array_block)
    source, groups = planned_calls(X) if grouped else (X, None)
    chunks = (source.chunks[0], *chunks[1:])
    if groups is not None:
        block_args = [func, dtype, check, nan, empty, *args]
        out = map_groups(kernel, source, groups, block_args, chunks=chunks, meta=empty)
    else:
        out = da.map_blocks(
            kernel,
            source,
            func,
            dtype,
            check,
            nan,
            empty,
            *kept_shared(args, source),
            chunks=chunks,
            dtype=empty.dtype,
            meta=empty,
            **axes,
        )
    return out if source is X else out.rechunk({0: X.chunks[0]})


def _eager(
    func: Callable,
    X: Any,
    args: tuple,
    output: Output,
    dtype: Any,
    check: bool,
    allow_nan: bool,
    parallel: bool,
) -> Any:
    if dtype is None:
        return func(X, *args)
    Xv = check_array(
        X,
        dtype=dtype,
        ensure_2d=getattr(X, "ndim", 2) == 2,
        ensure_all_finite=("allow-nan" if allow_nan else True) if check else False,
    )
    if not parallel:
        return func(Xv, *args)
    row_bytes = Xv.itemsize * int(np.prod(Xv.shape[1:], dtype=np.int64))
    chunks = in_memory_row_chunks(len(Xv), row_bytes)
    if len(chunks) == 1:
        with single_blas_thread():
            return func(Xv, *args)
    blocks = _map_array(func, as_dask_array(Xv, chunks=chunks), list(args), output, None, False, 0)
    (out,) = dask.compute(blocks, scheduler="threads")
    return out


# --------------------------------------------------------------------------------------------
# estimators
# --------------------------------------------------------------------------------------------


def output_config(estimator: Any, method: str = "transform") -> str:
    """``"default"``, ``"pandas"`` or ``"polars"``: the container ``set_output`` asks for."""
    config = getattr(estimator, "_sklearn_output_config", {}) or {}
    return config.get(method, sklearn.get_config().get(f"{method}_output", "default"))


class OutputMixin:
    """``set_output`` for dasklearn estimators, whose transforms build their own containers.

    scikit-learn's automatic wrapping would turn a lazy dask result into pandas (computing it);
    estimators built on :func:`apply_rows` subclass ``TransformerMixin`` with
    ``auto_wrap_output_keys=None`` and get ``set_output`` here instead. ``"pandas"`` applies
    to NumPy and pandas input; dask input always gives dask collections (a dask DataFrame for
    a dask DataFrame).
    """

    def set_output(self, *, transform: str | None = None) -> Any:
        """Set the container of ``transform`` and ``fit_transform`` results.

        Parameters
        ----------
        transform : {"default", "pandas"} or None
            ``"pandas"``: a DataFrame (with X's index for pandas input) for in-memory input.
            None leaves the setting unchanged.

        Returns
        -------
        self
        """
        if transform is None:
            return self
        if transform not in ("default", "pandas"):
            raise ValueError(f"transform must be 'default' or 'pandas', got {transform!r}.")
        if not hasattr(self, "_sklearn_output_config"):
            self._sklearn_output_config = {}
        self._sklearn_output_config["transform"] = transform
        return self


class LazyRowsMixin:
    """For estimators that keep a per-row output of their training data lazy (``labels_`` for
    dask input): ``copy.deepcopy`` copies everything else and shares that collection.

    Dask collections are immutable, so sharing one is a copy; and dask cannot deep-copy a
    dataframe whose graph holds a delayed value (the fitted model every block needs): its
    expression raises ``NotImplementedError`` when asked for ``__deepcopy__``.
    """

    def __deepcopy__(self, memo: dict) -> Any:
        twin = type(self).__new__(type(self))
        memo[id(self)] = twin
        for name, value in vars(self).items():
            lazy = dask.is_dask_collection(value)
            setattr(twin, name, value if lazy else copy.deepcopy(value, memo))
        return twin


def _columns(estimator: Any, method: str, width: int | None) -> list[Any] | None:
    if width is None:
        return None
    if method in _PROBA_METHODS:
        classes = getattr(estimator, "classes_", None)
        if classes is not None and np.ndim(classes) == 1 and len(classes) == width:
            return np.asarray(classes).tolist()
    if method in ("transform", "fit_transform") and hasattr(estimator, "get_feature_names_out"):
        try:
            names = list(estimator.get_feature_names_out())
        except Exception:  # not every transformer can name its outputs
            names = []
        if len(names) == width:
            return names
    return None


def apply_rows(
    estimator: Any,
    method: str,
    func: Callable[..., Any],
    X: Any,
    *args: Any,
    output: Output,
    dtype: Any = np.float64,
    ensure_all_finite: bool | Literal["allow-nan"] = True,
    parallel: bool = False,
    fitted: str | list[str] | None = None,
    check_fitted: bool = True,
    check_input: bool = True,
    grouped: bool = False,
) -> Any:
    """A per-row method of a fitted ``estimator`` over X (see :func:`map_rows` and the module).

    Checks first, reading no data: the estimator is fitted (``fitted`` attributes), X is 2-D
    with the fitted number of features and column names. Column labels of dataframe and
    ``set_output`` results come from ``classes_`` (probabilities, decision functions) or
    ``get_feature_names_out()`` (transforms) unless ``output.columns`` names them.

    Parameters
    ----------
    estimator : estimator
    method : str
        The public method this implements ("predict", "transform", ...).
    func, X, *args, output, dtype, ensure_all_finite, parallel, grouped
        As in :func:`map_rows`.
    fitted : str or list of str, optional
        Attributes whose presence means fitted (default: any attribute ending in ``_``).
    check_fitted : bool
        False for ``labels_``/``fit_predict`` (the estimator is being fitted).
    check_input : bool
        Check X's width and column names against the fitted ones (False for
        ``inverse_transform``, whose input is the output's width, and for estimators that
        select their columns by name).

    Returns
    -------
    NumPy (pandas under ``set_output``), dask array, dask Series or DataFrame
    """
    if check_fitted:
        check_is_fitted(estimator, fitted)
    if dtype is not None and not hasattr(X, "shape"):
        X = np.asarray(X)
    ndim = getattr(X, "ndim", None)
    if ndim != 2 and dtype is not None:
        hint = " Reshape your data with X.reshape(-1, 1) if it has a single feature." * (ndim == 1)
        raise ValueError(f"Expected a 2-dimensional X, got {ndim} dimension(s).{hint}")
    if check_input:
        check_features(estimator, X)
    if output.columns is None:
        output = replace(output, columns=_columns(estimator, method, output.width))
    out = map_rows(
        func,
        X,
        *args,
        output=output,
        dtype=dtype,
        ensure_all_finite=ensure_all_finite,
        parallel=parallel,
        grouped=grouped,
    )
    if method in ("transform", "fit_transform", "inverse_transform") and not hasattr(
        out, "__dask_graph__"
    ):
        return _wrap_pandas(estimator, out, X, output)
    return out


def _wrap_pandas(estimator: Any, out: Any, X: Any, output: Output) -> Any:
    config = output_config(estimator)
    if config == "default" or sp.issparse(out):
        return out
    if config != "pandas":
        warnings.warn(
            f"set_output(transform={config!r}) is not supported; returning NumPy.", stacklevel=3
        )
        return out
    if isinstance(out, pd.DataFrame):
        return out
    values = np.asarray(out)
    columns = output.columns
    if columns is None:
        columns = list(range(values.shape[1])) if values.ndim == 2 else None
    index = X.index if isinstance(X, pd.DataFrame | pd.Series) else None
    if values.ndim == 1:
        return pd.Series(values, index=index)
    return pd.DataFrame(values, index=index, columns=columns)
