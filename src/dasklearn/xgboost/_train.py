"""The functional interface of :mod:`dasklearn.xgboost`: :func:`train`, :func:`predict`, and
the block kernels and helpers the estimators share (booster, output width, DMatrix)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

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

__all__ = ["predict", "train"]


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
        The rows to predict, with the model's number of features (checked first).
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
