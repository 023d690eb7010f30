"""Meta-estimators that run any scikit-learn estimator over dask collections.

* :class:`ParallelPostFit` fits the wrapped estimator in memory (usually on a sample) and runs its
  post-fit methods (``predict``, ``predict_proba``, ``predict_log_proba``, ``decision_function``,
  ``transform``, ``score``) block by block where the blocks live.
* :class:`Incremental` fits with ``partial_fit``, block after block, as one chain of tasks in which
  only the model moves between workers.

Both send the fitted model to the workers once per call: it is one key of the task graph that every
block task depends on, not a copy inside every task.

Layers, as elsewhere in dasklearn: the classes validate and orchestrate; the block kernels
(``_apply_array_block``, ``_apply_frame_block``, ``_score_block``, ``_partial_fit_block``) are plain
NumPy/pandas functions run on one block each.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable
from typing import Any

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from dask.delayed import Delayed
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.metrics import (
    accuracy_score,
    get_scorer,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
    root_mean_squared_error,
)
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if

from ._blockwise import broadcast, with_single_blas_thread
from ._client import active_client
from ._validation import (
    NotFittedError,
    check_consistent_blocks,
    check_features,
    check_is_fitted,
    check_random_state_int,
    is_dask_input,
)

__all__ = ["Incremental", "ParallelPostFit"]

_POSTFIT_METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
)

# Metrics that decompose over row blocks: per-block sufficient statistics, merged exactly.
_ACCURACY = "accuracy"
_REGRESSION_METRICS = (
    "r2",
    "neg_mean_squared_error",
    "neg_root_mean_squared_error",
    "neg_mean_absolute_error",
)
BLOCKWISE_SCORERS = (_ACCURACY, *_REGRESSION_METRICS)


# --------------------------------------------------------------------------------------------
# block kernels (pure NumPy / pandas; one block each)
# --------------------------------------------------------------------------------------------


def _as_numpy_output(out: Any) -> Any:
    """Estimator output as an array block: pandas (``set_output``) becomes NumPy."""
    if isinstance(out, pd.DataFrame | pd.Series):
        return out.to_numpy()
    return out


def _apply_array_block(block: Any, model: Any, method: str, empty: Any) -> Any:
    """``model.<method>(block)``; a 0-row block gives ``empty`` (scikit-learn refuses 0 rows)."""
    if block.shape[0] == 0:
        return empty
    return _as_numpy_output(getattr(model, method)(block))


def _apply_frame_block(part: Any, model: Any, method: str, meta: Any) -> Any:
    """``model.<method>(part)`` on a pandas partition, returned as pandas indexed like ``part``."""
    if len(part) == 0:
        return meta.iloc[:0].set_axis(part.index[:0], axis=0)
    out = getattr(model, method)(part)
    if isinstance(meta, pd.Series):
        return pd.Series(np.asarray(out), index=part.index, name=meta.name, dtype=meta.dtype)
    if isinstance(out, pd.DataFrame):
        return out.set_axis(part.index, axis=0)
    return pd.DataFrame(np.asarray(out), index=part.index, columns=meta.columns)


def _apply_sparse_partition(part: Any, model: Any, method: str, empty: Any) -> Any:
    """Like :func:`_apply_array_block` for pandas partitions whose output is not a frame."""
    if len(part) == 0:
        return empty
    return _as_numpy_output(getattr(model, method)(part))


def _check_block_lengths(*blocks: Any) -> int:
    lengths = {len(b) for b in blocks if b is not None}
    if len(lengths) > 1:
        raise ValueError(
            f"Row blocks of X and y do not line up: a block pair has lengths {sorted(lengths)}. "
            "Partition X and y the same way (same chunks / npartitions and lengths)."
        )
    return lengths.pop() if lengths else 0


def _weights(w: Any, n: int) -> np.ndarray:
    return np.ones(n) if w is None else np.asarray(w, dtype=np.float64).reshape(n)


def _score_block(X: Any, y: Any, w: Any, model: Any, metric: str) -> dict[str, Any]:
    """Sufficient statistics of ``metric`` for one block: predicts, compares, sums."""
    n = _check_block_lengths(X, y, w)
    y = np.asarray(y)
    if metric == _ACCURACY:
        if n == 0:
            return {"hits": 0.0, "w": 0.0}
        pred = np.asarray(model.predict(X))
        hit = pred == y if y.ndim == 1 else (pred == y).all(axis=1)
        weights = _weights(w, n)
        return {"hits": float(weights @ hit), "w": float(weights.sum())}
    y = y.reshape(n, -1).astype(np.float64)
    k = y.shape[1]
    if n == 0:
        zeros = np.zeros(k)
        return {"w": 0.0, "mean": zeros, "m2": zeros, "sse": zeros, "sae": zeros}
    pred = np.asarray(model.predict(X), dtype=np.float64).reshape(n, k)
    weights = _weights(w, n)
    sw = float(weights.sum())
    mean = weights @ y / sw
    resid = y - pred
    return {
        "w": sw,
        "mean": mean,
        "m2": weights @ (y - mean) ** 2,
        "sse": weights @ resid**2,
        "sae": weights @ np.abs(resid),
    }


def _merge_stats(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Merge two blocks' statistics (Chan et al. for the weighted mean and sum of squares)."""
    if "hits" in a:
        return {"hits": a["hits"] + b["hits"], "w": a["w"] + b["w"]}
    if b["w"] == 0:
        return a
    if a["w"] == 0:
        return b
    w = a["w"] + b["w"]
    delta = b["mean"] - a["mean"]
    return {
        "w": w,
        "mean": a["mean"] + delta * (b["w"] / w),
        "m2": a["m2"] + b["m2"] + delta**2 * (a["w"] * b["w"] / w),
        "sse": a["sse"] + b["sse"],
        "sae": a["sae"] + b["sae"],
    }


def _merge_all(parts: list[dict[str, Any]]) -> dict[str, Any]:
    out = parts[0]
    for part in parts[1:]:
        out = _merge_stats(out, part)
    return out


def _finish_score(stats: dict[str, Any], metric: str) -> float:
    """The metric from merged statistics, with scikit-learn's conventions."""
    if stats["w"] == 0:
        raise ValueError("Cannot score on 0 samples: every block of X is empty.")
    if metric == _ACCURACY:
        return float(stats["hits"] / stats["w"])
    if metric == "r2":
        sse, m2 = stats["sse"], stats["m2"]
        # scikit-learn's force_finite: a constant target scores 1 when predicted exactly, else 0
        with np.errstate(divide="ignore", invalid="ignore"):
            per_output = np.where(m2 > 0, 1.0 - sse / np.where(m2 > 0, m2, 1.0), 0.0)
        per_output = np.where((m2 == 0) & (sse == 0), 1.0, per_output)
        return float(per_output.mean())
    mse = stats["sse"] / stats["w"]
    if metric == "neg_mean_squared_error":
        return -float(mse.mean())
    if metric == "neg_root_mean_squared_error":
        return -float(np.sqrt(mse).mean())
    if metric == "neg_mean_absolute_error":
        return -float((stats["sae"] / stats["w"]).mean())
    raise ValueError(f"Unknown blockwise metric {metric!r}")  # pragma: no cover


def _signed(metric: Callable[..., float], sign: float) -> Callable[..., float]:
    return lambda y, pred, w: sign * float(metric(y, pred, sample_weight=w))


_METRIC_FUNCTIONS: dict[str, Callable[..., float]] = {
    _ACCURACY: _signed(accuracy_score, 1.0),
    "r2": _signed(r2_score, 1.0),
    "neg_mean_squared_error": _signed(mean_squared_error, -1.0),
    "neg_root_mean_squared_error": _signed(root_mean_squared_error, -1.0),
    "neg_mean_absolute_error": _signed(mean_absolute_error, -1.0),
}


def _partial_fit_block(model: Any, X: Any, y: Any, kwargs: dict[str, Any]) -> Any:
    """One link of the Incremental chain: a copy of ``model`` updated with one block.

    The copy keeps every task pure (a retried task starts from the same model); empty blocks
    leave the model as it is, since scikit-learn refuses 0-row input.
    """
    n = _check_block_lengths(X, y, kwargs.get("sample_weight"))
    if n == 0:
        return model
    model = copy.deepcopy(model)
    if y is None:
        model.partial_fit(X, **kwargs)
    else:
        model.partial_fit(X, y, **kwargs)
    return model


# --------------------------------------------------------------------------------------------
# row blocks of dask collections
# --------------------------------------------------------------------------------------------


def _is_frame(X: Any) -> bool:
    return isinstance(X, dd.DataFrame | dd.Series)


def _one_column_block(X: da.Array) -> da.Array:
    if X.ndim == 2 and X.numblocks[1] != 1:
        return X.rechunk({1: -1})
    return X


def _n_blocks(X: Any) -> int:
    return X.npartitions if _is_frame(X) else X.numblocks[0]


def _block_list(X: Any) -> list[Delayed]:
    """The row blocks of a dask array (all columns in one block) or the partitions of a frame."""
    if _is_frame(X):
        return list(X.to_delayed())
    return list(_one_column_block(X).to_delayed().ravel())


def _block_lengths(X: Any) -> tuple[int, ...]:
    """Rows per block: free for arrays with known chunks, one cheap pass otherwise."""
    if isinstance(X, da.Array) and not any(math.isnan(c) for c in X.chunks[0]):
        return tuple(int(c) for c in X.chunks[0])
    lengths = dask.compute(*[dask.delayed(len)(b) for b in _block_list(X)])
    return tuple(int(n) for n in lengths)


def _aligned_blocks(X: Any, other: Any, what: str) -> list[Delayed] | list[None]:
    """Blocks of ``other`` (y, sample_weight) that line up with the row blocks of dask ``X``."""
    if other is None:
        return [None] * _n_blocks(X)
    if is_dask_input(other):
        if _n_blocks(other) != _n_blocks(X):
            raise ValueError(
                f"X has {_n_blocks(X)} row blocks but {what} has {_n_blocks(other)}; "
                f"partition {what} like X."
            )
        if isinstance(X, da.Array) and isinstance(other, da.Array):
            check_consistent_blocks(X, other)
        return _block_list(other)
    values = np.asarray(other)
    if len(values) != (n_rows := sum(lengths := _block_lengths(X))):
        raise ValueError(f"X has {n_rows} rows but {what} has {len(values)}.")
    return _block_list(da.from_array(values, chunks=(lengths,) + values.shape[1:]))


def _to_memory(*values: Any) -> tuple[Any, ...]:
    """Compute the dask collections among ``values`` together (one pass), leave the rest."""
    lazy = [i for i, v in enumerate(values) if is_dask_input(v)]
    out = list(values)
    for i, v in zip(lazy, dask.compute(*[values[i] for i in lazy]), strict=True):
        out[i] = v
    return tuple(out)


# --------------------------------------------------------------------------------------------
# output metadata
# --------------------------------------------------------------------------------------------


def _fake_rows(X: Any) -> Any:
    """Two made-up rows shaped and typed like X, without reading any data (or None)."""
    if _is_frame(X):
        from dask.dataframe.utils import meta_nonempty

        return meta_nonempty(X._meta)
    dtype = np.dtype(X.dtype)
    if dtype.kind not in "biufc":
        return None
    return np.zeros((2,) + X.shape[1:], dtype=dtype)


def _first_rows(X: Any) -> Any:
    """The first rows of the first non-empty block (computes blocks one at a time)."""
    for block in _block_list(X)[:16]:
        (values,) = dask.compute(block)
        if len(values):
            return values[:2]
    return None


def _probe(model: Any, method: str, X: Any) -> Any:
    """Run ``method`` on a tiny sample to learn the output's type, dtype and width."""
    error: Exception | None = None
    for make in (_fake_rows, _first_rows):
        sample = make(X)
        if sample is None:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return getattr(model, method)(sample)
        except Exception as err:  # the estimator may reject made-up values; try real rows
            error = err
    raise ValueError(
        f"Could not infer the output of {type(model).__name__}.{method} from a sample of X "
        f"({type(error).__name__}: {error}). Pass the wrapper's "
        f"{'predict_proba' if 'proba' in method else method}_meta= (an empty array or pandas "
        "object with the output's dtype and columns)."
    ) from error


def _column_labels(model: Any, method: str, width: int) -> list[Any]:
    """Column labels for 2-D output on dataframe input."""
    if method in ("predict_proba", "predict_log_proba", "decision_function"):
        classes = getattr(model, "classes_", None)
        if classes is not None and np.ndim(classes) == 1 and len(classes) == width:
            return np.asarray(classes).tolist()
    if method == "transform" and hasattr(model, "get_feature_names_out"):
        try:
            names = list(model.get_feature_names_out())
        except Exception:  # not every transformer can name its outputs
            names = []
        if len(names) == width:
            return names
    return list(range(width))


def _pandas_meta(sample: Any, model: Any, method: str, index: pd.Index) -> Any:
    """Empty pandas meta (Series or DataFrame) for ``method``'s output on dataframe input."""
    if isinstance(sample, pd.DataFrame | pd.Series):
        meta = sample.iloc[:0]
    elif np.ndim(sample) == 1:
        meta = pd.Series(np.asarray(sample)).iloc[:0]
    else:
        sample = np.asarray(sample)
        meta = pd.DataFrame(sample, columns=_column_labels(model, method, sample.shape[1]))
        meta = meta.iloc[:0]
    return meta.set_axis(index[:0], axis=0)


def _share(model: Any) -> Any:
    """The fitted model as one key of the graph, which every block task depends on.

    On a distributed client the model is scattered (one transfer to one worker, which its peers
    copy from; the graph stays small and the scheduler never holds the model). Under dask's local
    schedulers it is a delayed value in the graph. Either way it is shipped once per call, not
    once per block.
    """
    client = active_client()
    if client is not None:
        return client.scatter(model, hash=False)
    return broadcast(model)


# --------------------------------------------------------------------------------------------
# estimators
# --------------------------------------------------------------------------------------------


def _model_has(method: str) -> Callable[[Any], bool]:
    def check(self: ParallelPostFit) -> bool:
        getattr(self._model_or_estimator(), method)  # AttributeError hides the method
        return True

    return check


def _default_metric(model: Any) -> str | None:
    """accuracy/r2 when ``model.score`` is scikit-learn's default classifier/regressor score."""
    final = model
    while isinstance(final, Pipeline):
        final = final.steps[-1][1]
    score = getattr(type(final), "score", None)
    if score is ClassifierMixin.score:
        return _ACCURACY
    if score is RegressorMixin.score:
        return "r2"
    return None


class ParallelPostFit(MetaEstimatorMixin, BaseEstimator):
    """Run a scikit-learn estimator's post-fit methods blockwise on dask collections.

    Fit on data that fits in memory (often a sample), then predict, transform or score arbitrarily
    many rows in parallel on the cluster. ``fit`` delegates to the wrapped estimator (dask input is
    computed into memory first); the post-fit methods run the fitted estimator on each row block
    where the block lives. The fitted model travels to the workers once per call: every block
    task depends on one key holding it (scattered to the cluster on a distributed client, a
    delayed value under dask's local schedulers).

    Parameters
    ----------
    estimator : scikit-learn estimator
        Any estimator or :class:`~sklearn.pipeline.Pipeline`. It may already be fitted, in which
        case the wrapper can predict without calling ``fit``.
    scoring : str, callable or None
        How :meth:`score` scores: None uses the estimator's own ``score`` (accuracy for
        classifiers, R^2 for regressors, computed as a blockwise reduction for dask input); a
        scikit-learn scorer name or a ``scorer(estimator, X, y)`` callable otherwise. The names in
        ``BLOCKWISE_SCORERS`` are computed blockwise; other scorers get the data in memory.
    predict_meta, predict_proba_meta, transform_meta : array or pandas object, optional
        An empty example of the output (dtype, number of columns; pandas column names for dataframe
        input). When None, the wrapper learns it by running the estimator on two made-up rows with
        X's columns and dtypes (or, if the estimator rejects those, on the first two real rows).
        ``predict_proba_meta`` also serves ``predict_log_proba``.

    Attributes
    ----------
    estimator_ : estimator
        The fitted estimator (only after :meth:`fit`; a pre-fitted ``estimator`` is used as is).
        Fitted attributes such as ``classes_`` or ``coef_`` are readable on the wrapper itself.

    Notes
    -----
    Output is lazy for dask input and eager for NumPy and pandas input:

    * dask array in: a dask array with X's row chunks (unknown chunk sizes stay unknown and the
      result is still lazy); sparse output gives sparse blocks.
    * dask dataframe in: a dask Series (1-D output) or DataFrame (2-D output, columns named after
      ``classes_`` for probabilities and after ``get_feature_names_out()`` for transforms), with
      X's index and divisions; sparse output gives a dask array.

    Empty blocks give empty output. A wrong number of features or different column names raise
    before any work is scheduled. A lazy result built while a distributed client is active refers
    to the model scattered on that cluster: compute it there.

    Block size matters for costly models (kernel SVMs, large forests): the time of a block grows
    with its rows, so give each worker several blocks (e.g. 20k rows for an SVC with 2k support
    vectors, about a second each) to keep every worker busy until the end.
    """

    def __init__(
        self,
        estimator: Any,
        scoring: str | Callable[..., float] | None = None,
        predict_meta: Any = None,
        predict_proba_meta: Any = None,
        transform_meta: Any = None,
    ) -> None:
        self.estimator = estimator
        self.scoring = scoring
        self.predict_meta = predict_meta
        self.predict_proba_meta = predict_proba_meta
        self.transform_meta = transform_meta

    # ---- the fitted model and attribute delegation ------------------------------------------

    def _model_or_estimator(self) -> Any:
        return self.__dict__.get("estimator_", self.__dict__.get("estimator"))

    def _postfit_model(self) -> Any:
        """The fitted estimator: ``estimator_`` after fit, else a pre-fitted ``estimator``."""
        model = self._model_or_estimator()
        try:
            check_is_fitted(model)
        except NotFittedError:
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet: call 'fit' first or "
                f"wrap an already fitted {type(model).__name__}."
            ) from None
        return model

    def __sklearn_is_fitted__(self) -> bool:
        try:
            self._postfit_model()
        except NotFittedError:
            return False
        return True

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: expose the model's fitted attributes (``classes_``,
        # ``coef_``, ``n_features_in_``...), never private or dunder names.
        if name.startswith("_") or not name.endswith("_"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        model = self._model_or_estimator()
        if model is None:
            raise AttributeError(name)
        return getattr(model, name)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.transformer_tags = inner.transformer_tags
        tags.target_tags = inner.target_tags
        tags.input_tags = inner.input_tags
        return tags

    # ---- fit ----------------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> ParallelPostFit:
        """Fit a clone of the estimator in memory; dask input is computed first (one pass).

        Parameters
        ----------
        X : array-like, pandas or dask collection
            Training data; it must fit in memory.
        y : array-like, pandas or dask collection, optional
            Target.
        **fit_params
            Passed to the estimator's ``fit`` (dask values are computed with X and y).

        Returns
        -------
        self
        """
        names = list(fit_params)
        X, y, *values = _to_memory(X, y, *fit_params.values())
        model = clone(self.estimator)
        if y is None:
            model.fit(X, **dict(zip(names, values, strict=True)))
        else:
            model.fit(X, y, **dict(zip(names, values, strict=True)))
        self.estimator_ = model
        return self

    # ---- post-fit methods ---------------------------------------------------------------------

    def _user_meta(self, method: str) -> Any:
        if method == "predict":
            return self.predict_meta
        if method in ("predict_proba", "predict_log_proba"):
            return self.predict_proba_meta
        if method == "transform":
            return self.transform_meta
        return None

    def _postfit(self, method: str, X: Any) -> Any:
        model = self._postfit_model()
        if not is_dask_input(X):
            return getattr(model, method)(X)
        check_features(model, X)
        sample = self._user_meta(method)
        if sample is None:
            sample = _probe(model, method, X)
        if isinstance(sample, list):
            raise ValueError(
                f"{type(model).__name__}.{method} returns a list (one array per output); "
                "ParallelPostFit supports array and pandas outputs only."
            )
        shared = _share(model)
        if _is_frame(X):
            return self._postfit_frame(model, shared, method, X, sample)
        return self._postfit_array(shared, method, X, sample)

    @staticmethod
    def _postfit_array(shared: Delayed, method: str, X: da.Array, sample: Any) -> da.Array:
        X = _one_column_block(X)
        if isinstance(sample, pd.DataFrame | pd.Series):
            sample = sample.to_numpy()
        empty = sample[:0] if sp.issparse(sample) else np.asarray(sample)[:0]
        if empty.ndim == 1:
            chunks: tuple = (X.chunks[0],)
        else:
            width = empty.shape[1] if (empty.shape[1] or sp.issparse(empty)) else np.nan
            chunks = (X.chunks[0], (width,))
        axes: dict[str, Any] = {}
        if X.ndim == 2 and empty.ndim == 1:
            axes["drop_axis"] = 1
        elif X.ndim == 1 and empty.ndim == 2:
            axes["new_axis"] = 1
        return da.map_blocks(
            with_single_blas_thread(_apply_array_block),
            X,
            shared,
            method,
            empty,
            chunks=chunks,
            dtype=empty.dtype,
            meta=empty,
            token=method,
            **axes,
        )

    @staticmethod
    def _postfit_frame(
        model: Any, shared: Delayed, method: str, X: dd.DataFrame | dd.Series, sample: Any
    ) -> Any:
        unnamed = isinstance(sample, np.ndarray) and sample.ndim == 2 and sample.shape[1] == 0
        if sp.issparse(sample) or unnamed:
            # No frame to make: sparse output, or a user meta without columns -> dask array.
            empty = sample[:0] if sp.issparse(sample) else np.asarray(sample)[:0]
            return X.map_partitions(
                with_single_blas_thread(_apply_sparse_partition),
                shared,
                method,
                empty,
                meta=empty,
                enforce_metadata=False,
            )
        meta = _pandas_meta(sample, model, method, X._meta.index)
        return X.map_partitions(
            with_single_blas_thread(_apply_frame_block),
            shared,
            method,
            meta,
            meta=meta,
            align_dataframes=False,
            enforce_metadata=False,
            transform_divisions=False,
        )

    @available_if(_model_has("predict"))
    def predict(self, X: Any) -> Any:
        """Predict for each row; blockwise and lazy for dask input.

        Parameters
        ----------
        X : array-like, pandas or dask collection

        Returns
        -------
        numpy array, dask array or dask Series (dask DataFrame for multi-output)
        """
        return self._postfit("predict", X)

    @available_if(_model_has("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        """Class probabilities for each row; blockwise and lazy for dask input.

        Returns
        -------
        numpy array, dask array, or dask DataFrame with one column per class
        """
        return self._postfit("predict_proba", X)

    @available_if(_model_has("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> Any:
        """Log class probabilities for each row; blockwise and lazy for dask input."""
        return self._postfit("predict_log_proba", X)

    @available_if(_model_has("decision_function"))
    def decision_function(self, X: Any) -> Any:
        """Decision function for each row; blockwise and lazy for dask input."""
        return self._postfit("decision_function", X)

    @available_if(_model_has("transform"))
    def transform(self, X: Any) -> Any:
        """Transform each row; blockwise and lazy for dask input.

        Returns
        -------
        numpy array (or what the estimator returns), dask array, or dask DataFrame with the
        transformer's output feature names as columns
        """
        return self._postfit("transform", X)

    # ---- score ---------------------------------------------------------------------------------

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Score the fitted estimator on X, y (one pass over dask input).

        With ``scoring=None`` the estimator's own score is used; for classifiers and regressors
        that use scikit-learn's default (accuracy, R^2) and for the scorer names in
        ``BLOCKWISE_SCORERS`` dask input is scored as a blockwise reduction: each block is
        predicted and summarised where it lives, and only a few numbers per block travel. Other
        scorers receive X and y in memory.

        Parameters
        ----------
        X : array-like, pandas or dask collection
        y : array-like, pandas or dask collection
            True targets, partitioned like X when it is a dask collection (or in memory).
        sample_weight : array-like or dask collection, optional

        Returns
        -------
        float
        """
        model = self._postfit_model()
        scoring = self.scoring
        metric = _default_metric(model) if scoring is None else scoring
        blockwise = isinstance(metric, str) and metric in BLOCKWISE_SCORERS
        if not (is_dask_input(X) and blockwise):
            X, y, sample_weight = _to_memory(X, y, sample_weight)
            kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
            if scoring is None:
                return float(model.score(X, y, **kwargs))
            scorer = get_scorer(scoring) if isinstance(scoring, str) else scoring
            return float(scorer(model, X, y, **kwargs))
        if y is None:
            raise ValueError("score needs the true targets y.")
        check_features(model, X)
        if not is_dask_input(y):
            # y is in memory already: gather the predictions (one value per row, one pass)
            # rather than splitting y along blocks whose lengths may be unknown.
            pred, sample_weight = dask.compute(self.predict(X), sample_weight)
            return _METRIC_FUNCTIONS[metric](np.asarray(y), np.asarray(pred), sample_weight)
        x_blocks = _block_list(X)
        y_blocks = _aligned_blocks(X, y, "y")
        w_blocks = _aligned_blocks(X, sample_weight, "sample_weight")
        shared = _share(model)
        kernel = dask.delayed(with_single_blas_thread(_score_block), pure=True)
        parts = [
            kernel(xb, yb, wb, shared, metric)
            for xb, yb, wb in zip(x_blocks, y_blocks, w_blocks, strict=True)
        ]
        (stats,) = dask.compute(dask.delayed(_merge_all, pure=True)(parts))
        return _finish_score(stats, metric)


class Incremental(ParallelPostFit):
    """Fit an estimator with ``partial_fit`` block after block, where the blocks live.

    ``fit`` builds one chain of tasks ``model_i = partial_fit(model_{i-1}, X_i, y_i)`` over the row
    blocks of X (in a shuffled order with ``shuffle_blocks``) and computes it once: each task runs
    on the worker that holds its block, so the data stay put and only the model moves. For NumPy or
    pandas input the estimator's ``partial_fit`` is called once on all of it. The post-fit methods
    are those of :class:`ParallelPostFit`.

    Parameters
    ----------
    estimator : scikit-learn estimator with ``partial_fit``
        For classifiers pass ``classes=`` to :meth:`fit` (every block may not hold every class).
    scoring : str, callable or None
        See :class:`ParallelPostFit`.
    shuffle_blocks : bool
        Visit the blocks in a random order (fixed by ``random_state``) rather than in order.
    random_state : int, RandomState, Generator or None
        Seed for the block order; the same seed gives the same model on any scheduler.
    predict_meta, predict_proba_meta, transform_meta : optional
        See :class:`ParallelPostFit`.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model (a plain scikit-learn estimator, no dask objects).
    """

    def __init__(
        self,
        estimator: Any,
        scoring: str | Callable[..., float] | None = None,
        shuffle_blocks: bool = True,
        random_state: Any = None,
        predict_meta: Any = None,
        predict_proba_meta: Any = None,
        transform_meta: Any = None,
    ) -> None:
        super().__init__(
            estimator,
            scoring=scoring,
            predict_meta=predict_meta,
            predict_proba_meta=predict_proba_meta,
            transform_meta=transform_meta,
        )
        self.shuffle_blocks = shuffle_blocks
        self.random_state = random_state

    def _block_order(self, n_blocks: int) -> np.ndarray:
        if not self.shuffle_blocks:
            return np.arange(n_blocks)
        seed = check_random_state_int(self.random_state)
        return np.random.default_rng(seed).permutation(n_blocks)

    def _fit_blocks(self, model: Any, X: Any, y: Any, fit_kwargs: dict[str, Any]) -> Any:
        if not hasattr(model, "partial_fit"):
            raise TypeError(
                f"Incremental needs an estimator with partial_fit; {type(model).__name__} has "
                "none. Use ParallelPostFit to fit in memory and predict blockwise instead."
            )
        if not is_dask_input(X):
            X, y, *values = _to_memory(X, y, *fit_kwargs.values())
            kwargs = dict(zip(fit_kwargs, values, strict=True))
            model = copy.deepcopy(model)
            if y is None:
                return model.partial_fit(X, **kwargs)
            return model.partial_fit(X, y, **kwargs)
        x_blocks = _block_list(X)
        y_blocks = _aligned_blocks(X, y, "y")
        # Row-aligned keywords (sample_weight) are split like X; the rest enter the graph once.
        per_block: dict[str, list[Any]] = {}
        shared: dict[str, Any] = {}
        for key, value in fit_kwargs.items():
            if key == "sample_weight" or is_dask_input(value):
                per_block[key] = _aligned_blocks(X, value, key)
            else:
                shared[key] = broadcast(value)
        step = dask.delayed(with_single_blas_thread(_partial_fit_block), pure=True)
        current: Any = broadcast(model)
        for i in self._block_order(len(x_blocks)):
            kwargs = dict(shared, **{key: blocks[i] for key, blocks in per_block.items()})
            current = step(current, x_blocks[i], y_blocks[i], kwargs)
        (fitted,) = dask.compute(current)
        return fitted

    def fit(self, X: Any, y: Any = None, **fit_kwargs: Any) -> Incremental:
        """Fit a clone of the estimator with one pass of ``partial_fit`` over the blocks of X.

        Parameters
        ----------
        X : array-like, pandas or dask collection
        y : array-like, pandas or dask collection, optional
            Partitioned like X (dask) or in memory.
        **fit_kwargs
            Passed to every ``partial_fit`` call, e.g. ``classes=``. A ``sample_weight`` (or any
            dask collection) is split along X's row blocks.

        Returns
        -------
        self
        """
        self.estimator_ = self._fit_blocks(clone(self.estimator), X, y, fit_kwargs)
        return self

    def partial_fit(self, X: Any, y: Any = None, **fit_kwargs: Any) -> Incremental:
        """Continue fitting ``estimator_`` (a clone of the estimator at first) with one pass.

        Parameters and return value as in :meth:`fit`.
        """
        model = self.__dict__.get("estimator_")
        if model is None:
            model = clone(self.estimator)
        self.estimator_ = self._fit_blocks(model, X, y, fit_kwargs)
        return self
