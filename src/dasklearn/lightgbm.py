"""LightGBM on a Dask cluster: every worker trains on the partitions it already holds.

A thin layer over LightGBM's own Dask estimators (``lightgbm.DaskLGBMClassifier`` and friends),
which do the boosting over LightGBM's socket network between the workers:
:class:`LGBMClassifier`, :class:`LGBMRegressor` and :class:`LGBMRanker` (every LightGBM
parameter), and :func:`predict`.

What this layer adds: NumPy, pandas, dask array and dask dataframe input alike; the inputs
persisted once and checked before training (partitions of X, y, weights and eval sets must line
up, unknown chunk sizes are found from the persisted partitions, categorical columns get the
same categories on every worker); class labels encoded once for the whole cluster (LightGBM
encodes them per worker, which silently breaks when a worker lacks a class: that case is now an
error); predictions computed block by block and aligned with the input (dask array with X's row
chunks, dask Series/DataFrame with X's index, NumPy for in-memory input).

LightGBM listens on one port per worker (random free ports unless ``local_listen_port`` or
``machines`` is given); workers must reach each other on those ports. Needs the ``lightgbm``
extra (``pip install 'dasklearn[lightgbm]'``) and a ``distributed.Client``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from dasklearn._boosting import check_features, prepare_fit
from dasklearn._client import resolve_client
from dasklearn._output import Output, map_rows
from dasklearn.exceptions import missing_extra

try:
    import lightgbm
    from lightgbm.compat import _LGBMLabelEncoder
except ImportError as _err:  # pragma: no cover - exercised only without the extra
    raise missing_extra("LightGBM", "lightgbm", _err) from _err

__all__ = ["LGBMClassifier", "LGBMRanker", "LGBMRegressor", "predict"]


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

    ``client`` is accepted for symmetry with :func:`dasklearn.xgboost.predict`; the output is
    lazy for dask input (a dask array with the input's row chunks, or a dask Series/DataFrame
    with its index) and NumPy for NumPy/pandas input. A classifier gives its ``predict``
    values (class labels); a Booster gives raw model output (probabilities for binary).
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
        finally:
            self.client = previous
        return data

    def _check_predict_input(self, X: Any) -> None:
        _check_width(X, self.n_features_, type(self).__name__)  # type: ignore[attr-defined]


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


class LGBMRegressor(_DaskLearnLGBM, lightgbm.DaskLGBMRegressor):
    """LightGBM regression on a Dask cluster (every ``lightgbm.LGBMRegressor`` parameter).

    ``fit`` takes NumPy, pandas or dask input; each worker trains on its own partitions.
    ``predict`` returns output aligned with X: lazy for dask input, NumPy otherwise.
    """

    def fit(  # type: ignore[override]
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        init_score: Any = None,
        eval_set: Sequence[tuple[Any, Any]] | None = None,
        eval_names: list[str] | None = None,
        eval_sample_weight: Sequence[Any] | None = None,
        eval_init_score: Sequence[Any] | None = None,
        eval_metric: Any = None,
        **kwargs: Any,
    ) -> LGBMRegressor:
        """Fit on the cluster; returns self."""
        self._fit_on_cluster(
            X,
            y,
            classifier=False,
            extra={"sample_weight": sample_weight, "init_score": init_score},
            eval_set=eval_set,
            eval_extra={
                "eval_sample_weight": eval_sample_weight,
                "eval_init_score": eval_init_score,
            },
            fit_kwargs={"eval_names": eval_names, "eval_metric": eval_metric, **kwargs},
        )
        return self

    def predict(self, X: Any, raw_score: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        """Predicted values aligned with X."""
        self._check_predict_input(X)
        local = self.to_local()
        width = _width_of(local) if raw_score else None
        return map_rows(
            _values_block,
            X,
            local,
            raw_score,
            width,
            output=Output(np.float64, width=width, name="prediction"),
            dtype=None,
        )


class LGBMClassifier(_DaskLearnLGBM, lightgbm.DaskLGBMClassifier):
    """LightGBM classification on a Dask cluster (every ``lightgbm.LGBMClassifier`` parameter).

    Labels may be any sortable values; they are encoded once for the whole cluster, and every
    worker holding data must hold every class (checked before training). ``predict`` and
    ``predict_proba`` are aligned with X: lazy for dask input, NumPy otherwise.
    """

    def fit(  # type: ignore[override]
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        init_score: Any = None,
        eval_set: Sequence[tuple[Any, Any]] | None = None,
        eval_names: list[str] | None = None,
        eval_sample_weight: Sequence[Any] | None = None,
        eval_class_weight: list[Any] | None = None,
        eval_init_score: Sequence[Any] | None = None,
        eval_metric: Any = None,
        **kwargs: Any,
    ) -> LGBMClassifier:
        """Fit on the cluster; returns self."""
        data = self._fit_on_cluster(
            X,
            y,
            classifier=True,
            extra={"sample_weight": sample_weight, "init_score": init_score},
            eval_set=eval_set,
            eval_extra={
                "eval_sample_weight": eval_sample_weight,
                "eval_init_score": eval_init_score,
            },
            fit_kwargs={
                "eval_names": eval_names,
                "eval_class_weight": eval_class_weight,
                "eval_metric": eval_metric,
                **kwargs,
            },
        )
        # the model was fitted on codes 0..n_classes-1: give it the original labels back
        self._le = _LGBMLabelEncoder().fit(data.classes)
        self._classes = data.classes
        self._n_classes = len(data.classes)
        return self

    def predict_proba(self, X: Any, raw_score: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        """Class probabilities (one column per entry of ``classes_``), aligned with X."""
        if raw_score:
            return LGBMRegressor.predict(self, X, raw_score=True)  # type: ignore[arg-type]
        self._check_predict_input(X)
        return map_rows(
            _proba_block,
            X,
            self.to_local(),
            self.n_classes_,
            output=Output(np.float64, width=self.n_classes_, columns=list(self.classes_)),
            dtype=None,
        )

    def predict(self, X: Any, raw_score: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        """Predicted class labels aligned with X (raw scores with ``raw_score=True``)."""
        if raw_score:
            return self.predict_proba(X, raw_score=True)
        self._check_predict_input(X)
        classes = np.asarray(self.classes_)
        return map_rows(
            _label_block,
            X,
            self.to_local(),
            classes,
            output=Output(classes.dtype, name="prediction"),
            dtype=None,
        )


class LGBMRanker(_DaskLearnLGBM, lightgbm.DaskLGBMRanker):
    """LightGBM learning to rank on a Dask cluster (every ``lightgbm.LGBMRanker`` parameter).

    ``fit(X, y, group=...)`` takes the group sizes of each partition's queries as LightGBM's
    Dask ranker does: a dask array or Series of group sizes with one chunk per partition of X,
    and no query may span two partitions. ``predict`` returns relevance scores aligned with X.
    """

    def fit(  # type: ignore[override]
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        init_score: Any = None,
        group: Any = None,
        eval_set: Sequence[tuple[Any, Any]] | None = None,
        eval_names: list[str] | None = None,
        eval_sample_weight: Sequence[Any] | None = None,
        eval_init_score: Sequence[Any] | None = None,
        eval_group: Sequence[Any] | None = None,
        eval_metric: Any = None,
        eval_at: Sequence[int] | None = None,
        **kwargs: Any,
    ) -> LGBMRanker:
        """Fit on the cluster; returns self. ``group`` is required."""
        if group is None:
            raise ValueError("LGBMRanker.fit needs group, the size of every query group.")
        self._fit_on_cluster(
            X,
            y,
            classifier=False,
            extra={"sample_weight": sample_weight, "init_score": init_score},
            eval_set=eval_set,
            eval_extra={
                "eval_sample_weight": eval_sample_weight,
                "eval_init_score": eval_init_score,
            },
            fit_kwargs={
                "group": group,
                "eval_names": eval_names,
                "eval_group": eval_group,
                "eval_metric": eval_metric,
                "eval_at": eval_at if eval_at is not None else (1, 2, 3, 4, 5),
                **kwargs,
            },
        )
        return self

    def predict(self, X: Any, raw_score: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        """Relevance scores aligned with X."""
        return LGBMRegressor.predict(self, X, raw_score=raw_score)  # type: ignore[arg-type]
