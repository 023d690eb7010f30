"""XGBoost on a Dask cluster: every worker trains on the partitions it already holds.

A thin layer over XGBoost's own Dask module (:mod:`xgboost.dask`), which does the boosting:

* :func:`train` and :func:`predict`, the functional interface;
* :class:`XGBClassifier`, :class:`XGBRegressor` and :class:`XGBRanker`, scikit-learn estimators
  (subclasses of ``xgboost.dask.DaskXGBClassifier`` and friends, with every XGBoost parameter).

What this layer adds: NumPy, pandas, dask array and dask dataframe input alike (in-memory input is
split into one partition per worker); the inputs persisted once and checked before training
(partitions of X, y, weights and eval sets must line up, unknown chunk sizes are found from the
persisted partitions, categorical columns get the same categories on every worker); any class
labels (strings, -1/1, ...); predictions computed block by block, aligned with the input: a dask
array with X's row chunks, a dask Series/DataFrame with X's index and divisions, NumPy for
in-memory input.

Needs the ``xgboost`` extra (``pip install 'dasklearn[xgboost]'``) and a ``distributed.Client``
(``client=None`` means the current one). Training runs one XGBoost process per worker that holds
data, with as many threads as the worker has.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd

from dasklearn._boosting import check_features, prepare_fit
from dasklearn._client import resolve_client
from dasklearn._output import Output, map_rows
from dasklearn.exceptions import missing_extra

try:
    import xgboost
    from xgboost import dask as _dxgb
except ImportError as _err:  # pragma: no cover - exercised only without the extra
    raise missing_extra("XGBoost", "xgboost", _err) from _err

__all__ = ["XGBClassifier", "XGBRanker", "XGBRegressor", "predict", "train"]


# --------------------------------------------------------------------------------------------
# block kernels (NumPy/pandas in, NumPy out)
# --------------------------------------------------------------------------------------------


def _predict_block(
    block: Any,
    booster: xgboost.Booster,
    iteration_range: tuple[int, int],
    predict_type: str,
    missing: float,
    validate_features: bool,
    width: int | None,
) -> np.ndarray:
    if len(block) == 0:
        return np.empty((0,) if width is None else (0, width), dtype=np.float32)
    return booster.inplace_predict(
        block,
        iteration_range=iteration_range,
        predict_type=predict_type,
        missing=missing,
        validate_features=validate_features,
    )


def _proba_block(
    block: Any, booster: xgboost.Booster, iteration_range: tuple[int, int], n_classes: int
) -> np.ndarray:
    if len(block) == 0:
        return np.empty((0, n_classes), dtype=np.float32)
    p = booster.inplace_predict(block, iteration_range=iteration_range)
    if n_classes == 2 and p.ndim == 1:
        return np.column_stack([1.0 - p, p]).astype(np.float32, copy=False)
    return p


def _label_block(
    block: Any, booster: xgboost.Booster, iteration_range: tuple[int, int], classes: np.ndarray
) -> np.ndarray:
    if len(block) == 0:
        return classes[:0]
    p = booster.inplace_predict(block, iteration_range=iteration_range)
    codes = (p > 0.5).astype(np.intp) if p.ndim == 1 else p.argmax(axis=1)
    return classes[codes]


# --------------------------------------------------------------------------------------------
# functional interface
# --------------------------------------------------------------------------------------------


def _has_categories(X: Any) -> bool:
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not isinstance(dtypes, pd.Series):
        return False
    return any(isinstance(t, pd.CategoricalDtype) for t in dtypes)


def _dmatrix(
    client: Any,
    group: dict[str, Any],
    params: dict[str, Any],
    dmatrix_kwargs: dict[str, Any] | None,
    ref: Any = None,
) -> Any:
    kwargs = {"enable_categorical": _has_categories(group["X"]), **(dmatrix_kwargs or {})}
    data = {"weight": group.get("weight"), "base_margin": group.get("base_margin")}
    data = {k: v for k, v in data.items() if v is not None}
    quantile = params.get("tree_method") in (None, "hist", "auto") and params.get(
        "booster"
    ) not in ("gblinear",)
    if quantile:
        if ref is not None:
            kwargs["ref"] = ref
        return _dxgb.DaskQuantileDMatrix(client, group["X"], group["y"], **data, **kwargs)
    return _dxgb.DaskDMatrix(client, group["X"], group["y"], **data, **kwargs)


def _named_evals(evals: Sequence[Any] | None) -> tuple[list[tuple[Any, Any]], list[str]]:
    pairs, names = [], []
    for i, item in enumerate(evals or []):
        if not isinstance(item, tuple | list) or len(item) not in (2, 3):
            raise ValueError(f"evals[{i}] must be (X, y) or (X, y, name), got {item!r:.80}.")
        pairs.append((item[0], item[1]))
        names.append(str(item[2]) if len(item) == 3 else f"validation_{i}")
    return pairs, names


def train(
    client: Any,
    params: dict[str, Any],
    data: Any,
    labels: Any,
    *,
    num_boost_round: int = 10,
    evals: Sequence[tuple[Any, ...]] | None = None,
    sample_weight: Any = None,
    early_stopping_rounds: int | None = None,
    evals_result: dict[str, Any] | None = None,
    verbose_eval: bool | int = False,
    dmatrix_kwargs: dict[str, Any] | None = None,
    **kwargs: Any,
) -> xgboost.Booster:
    """Train an XGBoost model on every worker at once, each on the partitions it holds.

    Parameters
    ----------
    client : distributed.Client or None
        The cluster; None for the current client.
    params : dict
        XGBoost parameters (``objective``, ``max_depth``, ``eta``, ...), as for
        :func:`xgboost.train`. ``nthread`` is set per worker from its thread count.
    data : dask array, dask DataFrame, NumPy array or pandas DataFrame
        Features. Categorical columns of a dataframe are used as categorical features.
    labels : dask array or Series, NumPy array or pandas Series
        Targets, split into the same partitions as ``data``.
    num_boost_round : int
        Boosting rounds.
    evals : list of (X, y) or (X, y, name)
        Data evaluated after every round; the last one drives ``early_stopping_rounds``.
    sample_weight : same kind as labels, optional
        Per-row weights.
    early_stopping_rounds : int, optional
        Stop when the last eval metric has not improved for this many rounds.
    evals_result : dict, optional
        Filled with the evaluation history, ``{name: {metric: [values]}}``.
    verbose_eval : bool or int
        Print evaluation results (on the workers' logs).
    dmatrix_kwargs : dict, optional
        Extra arguments of :class:`xgboost.dask.DaskQuantileDMatrix` (``max_bin``,
        ``missing``, ``feature_types``, ...).
    **kwargs
        Passed to :func:`xgboost.dask.train` (``obj``, ``custom_metric``, ``callbacks``,
        ``xgb_model``, ``coll_cfg``).

    Returns
    -------
    xgboost.Booster
        The trained model (NumPy-only; pickles and predicts anywhere).
    """
    client = resolve_client(client, "dasklearn.xgboost.train")
    if not isinstance(params, dict):
        raise TypeError(
            f"params must be a dict of XGBoost parameters, got {type(params).__name__}."
        )
    pairs, names = _named_evals(evals)
    fit = prepare_fit(
        client,
        data,
        labels,
        extra={"weight": sample_weight},
        eval_set=pairs,
        what="dasklearn.xgboost.train",
    )
    dtrain = _dmatrix(client, fit.train, params, dmatrix_kwargs)
    devals = [
        (_dmatrix(client, g, params, dmatrix_kwargs, ref=dtrain), name)
        for g, name in zip(fit.evals, names, strict=True)
    ]
    out = _dxgb.train(
        client,
        dict(params),
        dtrain,
        num_boost_round=num_boost_round,
        evals=devals or None,
        early_stopping_rounds=early_stopping_rounds,
        verbose_eval=verbose_eval,
        **kwargs,
    )
    if evals_result is not None:
        evals_result.clear()
        evals_result.update(out["history"])
    return out["booster"]


def _booster_of(model: Any) -> tuple[xgboost.Booster, tuple[int, int]]:
    if isinstance(model, xgboost.Booster):
        return model, (0, 0)
    if isinstance(model, dict) and isinstance(model.get("booster"), xgboost.Booster):
        return model["booster"], (0, 0)
    if isinstance(model, xgboost.XGBModel):
        return model.get_booster(), model._get_iteration_range(None)
    raise TypeError(
        "model must be an xgboost.Booster, the dict xgboost.dask.train returns, or a fitted "
        f"XGBoost estimator; got {type(model).__name__}."
    )


def _check_width(X: Any, n_features: int, what: str) -> None:
    check_features(X, "X")
    if X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, but {what} is expecting {n_features}.")


def _output_width(booster: xgboost.Booster, n_features: int, predict_type: str) -> int | None:
    """Columns of the model's output (None for one value per row), from its configuration."""
    learner = json.loads(booster.save_config())["learner"]
    params = learner["learner_model_param"]
    n_classes = int(params.get("num_class", 0))
    n_targets = int(params.get("num_target", 1))
    if n_classes > 1:
        softmax = learner["objective"]["name"] == "multi:softmax"
        return None if softmax and predict_type == "value" else n_classes
    return n_targets if n_targets > 1 else None


def predict(
    client: Any,
    model: Any,
    data: Any,
    *,
    output_margin: bool = False,
    iteration_range: tuple[int, int] | None = None,
    missing: float = np.nan,
    validate_features: bool = True,
) -> Any:
    """Predict with a trained XGBoost model, block by block.

    Parameters
    ----------
    client : distributed.Client or None
        Accepted for symmetry with :func:`train`; the output is lazy and runs wherever it is
        computed.
    model : xgboost.Booster, dict from ``xgboost.dask.train`` or fitted XGBoost estimator
        For an estimator, the best iteration of early stopping is used.
    data : dask array, dask DataFrame, NumPy array or pandas DataFrame
    output_margin : bool
        Raw margins instead of transformed values (probabilities for ``binary:logistic``).
    iteration_range : (int, int), optional
        Trees to use; default all (or up to the best iteration of an estimator).
    missing : float
        Value treated as missing.
    validate_features : bool
        Check feature names against the model's.

    Returns
    -------
    dask array, dask Series/DataFrame or NumPy array
        A dask array with the row chunks of a dask array ``data``; a dask Series (one output
        per row) or DataFrame (several) with the index and divisions of a dask DataFrame;
        NumPy for in-memory ``data``.
    """
    booster, best_range = _booster_of(model)
    n_features = booster.num_features()
    _check_width(data, n_features, "the model")
    predict_type = "margin" if output_margin else "value"
    width = _output_width(booster, n_features, predict_type)
    return map_rows(
        _predict_block,
        data,
        booster,
        tuple(iteration_range) if iteration_range is not None else best_range,
        predict_type,
        missing,
        validate_features,
        width,
        output=Output(np.float32, width=width, name="prediction"),
        dtype=None,
    )


# --------------------------------------------------------------------------------------------
# scikit-learn estimators
# --------------------------------------------------------------------------------------------


def _fit_kwargs(data: Any, keys: dict[str, str], eval_keys: dict[str, str]) -> dict[str, Any]:
    out = {"eval_set": [(g["X"], g["y"]) for g in data.evals] or None}
    for ours, theirs in keys.items():
        out[theirs] = data.train.get(ours)
    for ours, theirs in eval_keys.items():
        values = [g.get(ours) for g in data.evals]
        out[theirs] = values if any(v is not None for v in values) else None
    return out


def _eval_extra(names: dict[str, Any], n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{} for _ in range(n)]
    for key, values in names.items():
        if values is None:
            continue
        if len(values) != n:
            raise ValueError(f"{key} has {len(values)} entries but eval_set has {n}.")
        for i, v in enumerate(values):
            out[i][key] = v
    return out


class _DaskLearnXGB:
    """Fit and predict plumbing shared by the estimators (mixed in before xgboost's classes)."""

    _client: Any

    def _fit_on_cluster(
        self,
        X: Any,
        y: Any,
        *,
        classifier: bool,
        extra: dict[str, Any],
        eval_set: Any,
        eval_extra: dict[str, Any],
        fit_kwargs: dict[str, Any],
    ) -> Any:
        name = type(self).__name__
        client = resolve_client(self._client, f"{name}.fit")
        n_evals = len(eval_set) if eval_set is not None else 0
        data = prepare_fit(
            client,
            X,
            y,
            extra=extra,
            eval_set=eval_set,
            eval_extra=_eval_extra(eval_extra, n_evals),
            classifier=classifier,
            what=f"{name}.fit",
        )
        keys = {k: k for k in extra}
        eval_keys = {k: k for k in eval_extra}
        if classifier and isinstance(data.train["y"], dd.Series):
            # XGBoost finds the classes with drop_duplicates (a shuffle) on a Series, with
            # da.unique on an array: hand it the labels as an array with the known lengths
            data.train["y"] = data.train["y"].to_dask_array(lengths=list(data.lengths))
        previous = self._client
        self.client = client
        try:
            super().fit(  # type: ignore[misc]
                data.train["X"], data.train["y"], **_fit_kwargs(data, keys, eval_keys), **fit_kwargs
            )
        finally:
            self.client = previous
        return data

    def _check_predict_input(self, X: Any) -> None:
        n = self.get_booster().num_features()  # type: ignore[attr-defined]
        _check_width(X, n, type(self).__name__)

    def _values(self, X: Any, output_margin: bool, iteration_range: Any, validate: bool) -> Any:
        self._check_predict_input(X)
        booster = self.get_booster()  # type: ignore[attr-defined]
        predict_type = "margin" if output_margin else "value"
        width = _output_width(booster, booster.num_features(), predict_type)
        return map_rows(
            _predict_block,
            X,
            booster,
            self._get_iteration_range(iteration_range),  # type: ignore[attr-defined]
            predict_type,
            self.missing,  # type: ignore[attr-defined]
            validate,
            width,
            output=Output(np.float32, width=width, name="prediction"),
            dtype=None,
        )

    def _xgb_predict(self, X: Any, **kwargs: Any) -> Any:
        """XGBoost's own Dask predict (for base_margin), with the client set."""
        client = resolve_client(self._client, f"{type(self).__name__}.predict")
        previous = self._client
        self.client = client
        try:
            return super().predict(X, **kwargs)  # type: ignore[misc]
        finally:
            self.client = previous


class _PredictValues(_DaskLearnXGB):
    """``predict`` of the regressor and the ranker: one value per row, aligned with X.

    A subclass rather than a third base: xgboost's ``get_params`` looks at the first two bases.
    """

    def predict(
        self,
        X: Any,
        *,
        output_margin: bool = False,
        validate_features: bool = True,
        base_margin: Any = None,
        iteration_range: tuple[int, int] | None = None,
    ) -> Any:
        """Predicted values (scores for the ranker), aligned with X: lazy for dask input."""
        if base_margin is not None:
            return self._xgb_predict(
                X,
                output_margin=output_margin,
                validate_features=validate_features,
                base_margin=base_margin,
                iteration_range=iteration_range,
            )
        return self._values(X, output_margin, iteration_range, validate_features)


class XGBRegressor(_PredictValues, _dxgb.DaskXGBRegressor):
    """XGBoost regression on a Dask cluster (every ``xgboost.XGBRegressor`` parameter).

    ``fit`` takes NumPy, pandas or dask input; each worker trains on its own partitions.
    ``predict`` returns output aligned with its input (see :func:`dasklearn.xgboost.predict`).
    Set ``early_stopping_rounds`` and pass ``eval_set`` to stop early; prediction then uses the
    best iteration.
    """

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        sample_weight: Any = None,
        base_margin: Any = None,
        eval_set: Sequence[tuple[Any, Any]] | None = None,
        verbose: bool | int | None = False,
        xgb_model: Any = None,
        sample_weight_eval_set: Sequence[Any] | None = None,
        base_margin_eval_set: Sequence[Any] | None = None,
        feature_weights: Any = None,
    ) -> XGBRegressor:
        """Fit on the cluster; returns self."""
        self._fit_on_cluster(
            X,
            y,
            classifier=False,
            extra={"sample_weight": sample_weight, "base_margin": base_margin},
            eval_set=eval_set,
            eval_extra={
                "sample_weight_eval_set": sample_weight_eval_set,
                "base_margin_eval_set": base_margin_eval_set,
            },
            fit_kwargs={
                "verbose": verbose,
                "xgb_model": xgb_model,
                "feature_weights": feature_weights,
            },
        )
        return self


class XGBClassifier(_DaskLearnXGB, _dxgb.DaskXGBClassifier):
    """XGBoost classification on a Dask cluster (every ``xgboost.XGBClassifier`` parameter).

    Labels may be any sortable values (strings, -1/1, ...): ``classes_`` holds them and
    ``predict`` returns them. ``predict_proba`` has one column per class. Output is aligned
    with the input: lazy for dask input, NumPy for NumPy/pandas input.
    """

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        sample_weight: Any = None,
        base_margin: Any = None,
        eval_set: Sequence[tuple[Any, Any]] | None = None,
        verbose: bool | int | None = False,
        xgb_model: Any = None,
        sample_weight_eval_set: Sequence[Any] | None = None,
        base_margin_eval_set: Sequence[Any] | None = None,
        feature_weights: Any = None,
    ) -> XGBClassifier:
        """Fit on the cluster; returns self."""
        data = self._fit_on_cluster(
            X,
            y,
            classifier=True,
            extra={"sample_weight": sample_weight, "base_margin": base_margin},
            eval_set=eval_set,
            eval_extra={
                "sample_weight_eval_set": sample_weight_eval_set,
                "base_margin_eval_set": base_margin_eval_set,
            },
            fit_kwargs={
                "verbose": verbose,
                "xgb_model": xgb_model,
                "feature_weights": feature_weights,
            },
        )
        self.classes_ = data.classes
        self.n_classes_ = len(data.classes)
        return self

    def predict_proba(
        self,
        X: Any,
        validate_features: bool = True,
        base_margin: Any = None,
        iteration_range: tuple[int, int] | None = None,
    ) -> Any:
        """Class probabilities, one column per entry of ``classes_``, aligned with X."""
        if base_margin is not None:
            raise NotImplementedError("predict_proba with base_margin: use xgboost.dask directly.")
        self._check_predict_input(X)
        return map_rows(
            _proba_block,
            X,
            self.get_booster(),
            self._get_iteration_range(iteration_range),
            self.n_classes_,
            output=Output(np.float32, width=self.n_classes_, columns=list(self.classes_)),
            dtype=None,
        )

    def predict(
        self,
        X: Any,
        *,
        output_margin: bool = False,
        validate_features: bool = True,
        base_margin: Any = None,
        iteration_range: tuple[int, int] | None = None,
    ) -> Any:
        """Predicted class labels (margins with ``output_margin``), aligned with X."""
        if output_margin:
            return self._values(X, True, iteration_range, validate_features)
        if base_margin is not None:
            raise NotImplementedError("predict with base_margin: use xgboost.dask directly.")
        self._check_predict_input(X)
        classes = np.asarray(self.classes_)
        return map_rows(
            _label_block,
            X,
            self.get_booster(),
            self._get_iteration_range(iteration_range),
            classes,
            output=Output(classes.dtype, name="prediction"),
            dtype=None,
        )


class XGBRanker(_PredictValues, _dxgb.DaskXGBRanker):
    """XGBoost learning to rank on a Dask cluster (every ``xgboost.XGBRanker`` parameter).

    ``fit(X, y, qid=...)`` needs the query id of every row. With ``allow_group_split=False``
    (the default) X must be a dataframe: NumPy input is turned into one here, dask arrays are
    refused by XGBoost. ``predict`` returns relevance scores aligned with X.
    """

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        group: Any = None,
        qid: Any = None,
        sample_weight: Any = None,
        base_margin: Any = None,
        eval_set: Sequence[tuple[Any, Any]] | None = None,
        eval_group: Any = None,
        eval_qid: Sequence[Any] | None = None,
        verbose: bool | int | None = False,
        xgb_model: Any = None,
        sample_weight_eval_set: Sequence[Any] | None = None,
        base_margin_eval_set: Sequence[Any] | None = None,
        feature_weights: Any = None,
    ) -> XGBRanker:
        """Fit on the cluster; returns self."""
        if group is not None or eval_group is not None:
            raise ValueError("Pass qid (the query id of every row) instead of group.")
        if qid is None:
            raise ValueError("XGBRanker.fit needs qid, the query id of every row.")
        if isinstance(X, np.ndarray):
            X = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
        if eval_set is not None:
            eval_set = [
                (
                    pd.DataFrame(Xe, columns=[f"f{i}" for i in range(Xe.shape[1])])
                    if isinstance(Xe, np.ndarray)
                    else Xe,
                    ye,
                )
                for Xe, ye in eval_set
            ]
        self._fit_on_cluster(
            X,
            y,
            classifier=False,
            extra={"qid": qid, "sample_weight": sample_weight, "base_margin": base_margin},
            eval_set=eval_set,
            eval_extra={
                "eval_qid": eval_qid,
                "sample_weight_eval_set": sample_weight_eval_set,
                "base_margin_eval_set": base_margin_eval_set,
            },
            fit_kwargs={
                "verbose": verbose,
                "xgb_model": xgb_model,
                "feature_weights": feature_weights,
            },
        )
        return self
