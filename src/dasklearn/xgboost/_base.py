"""The shared bases of the :mod:`dasklearn.xgboost` estimators: fit and predict plumbing.

:class:`_DaskLearnXGB` (mixed in before XGBoost's own Dask estimators) checks, converts and
persists the inputs with :func:`dasklearn._boosting.prepare_fit`, trains with the client set,
and predicts block by block, aligned with X; :class:`_PredictValues` adds the ``predict`` of the
regressor and the ranker (one value per row). The estimators themselves are
:mod:`._estimators`.
"""

from __future__ import annotations

from typing import Any

import dask.dataframe as dd
import numpy as np

from dasklearn._boosting import prepare_fit
from dasklearn._client import resolve_client
from dasklearn._output import Output, map_rows

from ._train import _check_width, _output_width, _predict_block


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
        """Predicted values (relevance scores for the ranker), block by block, aligned with X.

        Parameters
        ----------
        X : NumPy array, pandas DataFrame, dask array or dask DataFrame
            The rows to predict, shape (n_samples, n_features): numeric, boolean or
            categorical columns, as many as the model has (checked first).
        output_margin : bool, default=False
            Raw margins (before the objective's transformation) instead of values.
        validate_features : bool, default=True
            Check the feature names of dataframe blocks against the model's.
        base_margin : dask array or dask Series, optional
            An initial margin per row. Given, the prediction is XGBoost's own
            ``xgboost.dask`` predict, whose output follows XGBoost's rules, not the ones below.
        iteration_range : (int, int), optional
            The trees to use; by default all of them, or those up to the best iteration after
            early stopping.

        Returns
        -------
        y_pred : NumPy array, dask array, dask Series or dask DataFrame
            float32, one value per row (one column per target for a multi-output model: a
            dask DataFrame with columns 0, 1, ... for dataframe X). NumPy for NumPy or pandas
            X. For a dask array, a lazy dask array with X's row chunks; for a dask DataFrame,
            a lazy dask Series named ``"prediction"`` with X's index and divisions. Each block
            is predicted where it is, and nothing is computed until asked.
        """
        if base_margin is not None:
            return self._xgb_predict(
                X,
                output_margin=output_margin,
                validate_features=validate_features,
                base_margin=base_margin,
                iteration_range=iteration_range,
            )
        return self._values(X, output_margin, iteration_range, validate_features)
