"""The shared part of :mod:`dasklearn.lightgbm`: block kernels, the functional :func:`predict`,
and the base class of the estimators (fit on the cluster, checks)."""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from dasklearn._boosting import check_features, prepare_fit
from dasklearn._client import resolve_client
from dasklearn._output import Output, map_rows
from dasklearn.exceptions import missing_extra

try:
    import lightgbm
    from lightgbm.compat import _LGBMLabelEncoder  # noqa: F401 - for the estimators
except ImportError as _err:  # pragma: no cover - exercised only without the extra
    raise missing_extra("LightGBM", "lightgbm", _err) from _err

__all__ = ["predict"]


# --------------------------------------------------------------------------------------------
# block kernels
# --------------------------------------------------------------------------------------------


def _values_block(block: Any, model: Any, raw_score: bool, width: int | None) -> np.ndarray:
    if len(block) == 0:
        return np.empty((0,) if width is None else (0, width), dtype=np.float64)
    return np.asarray(model.predict(block, raw_score=raw_score))


def _proba_block(block: Any, model: Any, n_classes: int) -> np.ndarray:
    if len(block) == 0:
        return np.empty((0, n_classes), dtype=np.float64)
    return np.asarray(model.predict_proba(block))


def _label_block(block: Any, model: Any, classes: np.ndarray) -> np.ndarray:
    if len(block) == 0:
        return classes[:0]
    return classes[np.asarray(model.predict_proba(block)).argmax(axis=1)]


# --------------------------------------------------------------------------------------------
# estimators
# --------------------------------------------------------------------------------------------


def _local_model(model: Any) -> Any:
    if isinstance(model, _DaskLearnLGBM):
        return model.to_local()
    if isinstance(model, lightgbm.LGBMModel):
        return model
    if isinstance(model, lightgbm.Booster):
        return model
    raise TypeError(
        "model must be a fitted LightGBM estimator or a lightgbm.Booster; got "
        f"{type(model).__name__}."
    )


def _check_width(X: Any, n_features: int, what: str) -> None:
    check_features(X, "X")
    if X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, but {what} is expecting {n_features}.")


def _width_of(model: Any) -> int | None:
    """Columns of the model's raw output (None for one value per row)."""
    if isinstance(model, lightgbm.Booster):
        k = model.num_model_per_iteration()
    else:
        k = model.n_classes_ if isinstance(model, lightgbm.LGBMClassifier) else 1
        k = k if k > 2 else 1
    return None if k == 1 else int(k)


def predict(client: Any, model: Any, data: Any, *, raw_score: bool = False) -> Any:
    """Predict with a fitted LightGBM model (or Booster), block by block, aligned with ``data``.

    Parameters
    ----------
    client : distributed.Client or None
        Accepted for symmetry with :func:`dasklearn.xgboost.predict` and not used: the output
        is lazy for dask input and runs wherever it is computed.
    model : fitted LightGBM estimator or lightgbm.Booster
        A dasklearn estimator (its local model is used), a scikit-learn API estimator of
        LightGBM (``lightgbm.LGBMClassifier``, ...) or a Booster.
    data : NumPy array, pandas DataFrame, dask array or dask DataFrame
        The rows to predict, shape (n_samples, n_features), with the model's number of
        features (checked first).
    raw_score : bool, default=False
        Raw scores instead of predictions.

    Returns
    -------
    NumPy array, dask array, dask Series or dask DataFrame
        A classifier's class labels (entries of ``classes_``) without ``raw_score``; otherwise
        float64 values: an estimator's ``predict``, a Booster's ``Booster.predict`` (for a
        classification objective, probabilities: one column per class for more than two), or
        the raw scores (one column per class for a multi-class model). NumPy for NumPy or
        pandas data. For a dask array, a lazy dask array with its row chunks; for a dask
        DataFrame, a lazy dask Series named ``"prediction"`` (a dask DataFrame with columns
        0, 1, ... for several columns) with its index and divisions.
    """
    local = _local_model(model)
    n_features = local.num_feature() if isinstance(local, lightgbm.Booster) else local.n_features_
    _check_width(data, n_features, "the model")
    if isinstance(local, lightgbm.LGBMClassifier) and not raw_score:
        classes = np.asarray(local.classes_)
        output = Output(classes.dtype, name="prediction")
        return map_rows(_label_block, data, local, classes, output=output, dtype=None)
    width = _width_of(local) if raw_score or isinstance(local, lightgbm.Booster) else None
    return map_rows(
        _values_block,
        data,
        local,
        raw_score,
        width,
        output=Output(np.float64, width=width, name="prediction"),
        dtype=None,
    )


class _DaskLearnLGBM:
    """Fit and predict plumbing shared by the estimators (mixed in before LightGBM's classes)."""

    client: Any

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
        client = resolve_client(self.client, f"{name}.fit")
        n_evals = len(eval_set) if eval_set is not None else 0
        per_eval: list[dict[str, Any]] = [{} for _ in range(n_evals)]
        for key, values in eval_extra.items():
            if values is None:
                continue
            if len(values) != n_evals:
                raise ValueError(f"{key} has {len(values)} entries but eval_set has {n_evals}.")
            for i, v in enumerate(values):
                per_eval[i][key] = v
        data = prepare_fit(
            client,
            X,
            y,
            extra=extra,
            eval_set=eval_set,
            eval_extra=per_eval,
            classifier=classifier,
            what=f"{name}.fit",
        )
        if classifier:
            _check_classes_everywhere(data)
        kwargs = {k: data.train.get(k) for k in extra}
        kwargs["eval_set"] = [(g["X"], g["y"]) for g in data.evals] or None
        for key in eval_extra:
            values = [g.get(key) for g in data.evals]
            kwargs[key] = values if any(v is not None for v in values) else None
        previous = self.client
        self.client = client
        try:
            with warnings.catch_warnings():
                # LightGBM sets the threads from each worker's thread count and warns about
                # the estimator's own n_jobs parameter on every fit
                warnings.filterwarnings("ignore", "Parameter n_jobs will be ignored")
                super().fit(data.train["X"], data.train["y"], **kwargs, **fit_kwargs)  # type: ignore[misc]
        except BaseException:
            _release_stuck_ranks(client)
            raise
        finally:
            self.client = previous
        return data

    def _check_predict_input(self, X: Any) -> None:
        _check_width(X, self.n_features_, type(self).__name__)  # type: ignore[attr-defined]


def _release_stuck_ranks(client: Any, grace: float = 2.0) -> None:
    """After a failed fit, restart the workers whose LightGBM training task still runs.

    When one rank of a LightGBM job fails, the others block in LightGBM's network layer waiting
    for it (its ``time_out`` is two hours) and cannot be interrupted from Python: every later
    fit on those workers would queue behind them. Restarting those workers is the only way to
    give the cluster back; what they held in memory is lost, and a warning says so.
    """
    deadline = time.monotonic() + grace
    stuck: list[str] = []
    while time.monotonic() < deadline:
        processing = client.processing()
        stuck = [w for w, keys in processing.items() if any("_train_part" in str(k) for k in keys)]
        if not stuck:
            return
        time.sleep(0.2)
    warnings.warn(
        f"A LightGBM rank failed and the training tasks on {stuck} kept waiting for it; those "
        "workers were restarted so that the cluster stays usable (data persisted on them is "
        "lost).",
        RuntimeWarning,
        stacklevel=3,
    )
    client.restart_workers(stuck)


def _check_classes_everywhere(data: Any) -> None:
    """LightGBM encodes labels on each worker: every worker must hold every class."""
    n = len(data.classes)
    for worker, codes in data.classes_by_worker().items():
        if len(codes) != n:
            missing = np.setdiff1d(np.arange(n), codes)
            raise ValueError(
                f"Worker {worker} holds no rows of class(es) {data.classes[missing].tolist()}. "
                "LightGBM's Dask training needs every class on every worker that holds data; "
                "shuffle the rows (e.g. df.shuffle(on=...) or a random partition order) or use "
                "fewer, larger partitions."
            )
