"""Scorers: ``scorer(estimator, X, y)`` in one pass over dask X and y.

A scorer of :data:`SCORERS` predicts with the estimator's lazy ``predict`` (or
``predict_proba``), which for dask input gives a dask array in X's row chunks or a dask Series
in X's partitions, and scores that with the one-pass metric of :mod:`dasklearn.metrics`: the
prediction of a block is consumed by the reduction task of that block, where it was made, and
only sufficient statistics reach the client. For in-memory X and y it is scikit-learn's scorer
of the same name (exactly scikit-learn's answer).

Other scorer names and callables are scikit-learn's scorers (or yours), called with X, y and
sample_weight computed into memory: they work on any input, but the data must fit.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from functools import partial
from typing import Any

import dask
import numpy as np
import sklearn.metrics
from dask.base import is_dask_collection
from sklearn.base import is_classifier

from .._validation import is_dask_input
from ._classification import _accuracy, _log_loss
from ._regression import _regression

__all__ = ["SCORERS", "check_scoring", "get_scorer"]


def _score_accuracy(y_true: Any, y_pred: Any, w: Any, compute: bool, sign: float) -> Any:
    return _accuracy(y_true, y_pred, True, w, compute, sign)


def _score_log_loss(y_true: Any, y_pred: Any, w: Any, compute: bool, sign: float) -> Any:
    return _log_loss(y_true, y_pred, "auto", True, w, None, compute, sign)


def _score_regression(
    metric: str, squared: bool, y_true: Any, y_pred: Any, w: Any, compute: bool, sign: float
) -> Any:
    return _regression(metric, y_true, y_pred, w, "uniform_average", compute, squared, True, sign)


def _any_dask(*values: Any) -> bool:
    return any(v is not None and is_dask_input(v) for v in values)


def _column(y_pred: Any, j: int) -> Any:
    """Column ``j`` of a 2-D prediction: a Series of a (dask) DataFrame, else an array column."""
    if hasattr(y_pred, "iloc"):
        return y_pred.iloc[:, j]
    return y_pred[:, j]


class _Scorer:
    """A one-pass scorer: ``sign * metric(y, estimator.<response_method>(X))``."""

    def __init__(
        self,
        name: str,
        score: Callable[..., Any],
        sign: float,
        response_method: str = "predict",
        compute: bool = True,
    ) -> None:
        self.name, self._score_func, self._sign = name, score, sign
        self._response_method, self._compute = response_method, compute

    def __repr__(self) -> str:
        return f"dasklearn.metrics.get_scorer({self.name!r})"

    def with_compute(self, compute: bool) -> _Scorer:
        """This scorer with another default for ``compute``."""
        return _Scorer(self.name, self._score_func, self._sign, self._response_method, compute)

    def predict(self, estimator: Any, X: Any) -> Any:
        """The estimator's response to X as the metric takes it (lazy for dask X).

        For a binary classifier's ``predict_proba``, the column of its last class, as
        scikit-learn's scorers pass it.
        """
        y_pred = getattr(estimator, self._response_method)(X)
        if self._response_method == "predict_proba" and is_classifier(estimator):
            classes = np.asarray(estimator.classes_)
            if classes.ndim == 1 and len(classes) == 2:
                y_pred = _column(y_pred, int(np.flatnonzero(classes == classes[-1])[0]))
        return y_pred

    def score_prediction(
        self, y_true: Any, y_pred: Any, sample_weight: Any = None, compute: bool | None = None
    ) -> Any:
        """The signed metric of a prediction made by :meth:`predict`."""
        compute = self._compute if compute is None else compute
        return self._score_func(y_true, y_pred, sample_weight, compute, self._sign)

    def __call__(
        self,
        estimator: Any,
        X: Any,
        y_true: Any,
        sample_weight: Any = None,
        compute: bool | None = None,
    ) -> Any:
        """Score ``estimator`` on X and y_true.

        Parameters
        ----------
        estimator : fitted estimator
            Its ``predict``/``predict_proba`` should be lazy for dask X (dasklearn
            estimators, ``dasklearn.wrappers.ParallelPostFit``); a scikit-learn estimator
            reads dask X into memory.
        X : array-like, pandas or dask collection
        y_true : array-like, pandas or dask collection
            Partitioned like X when both are dask collections.
        sample_weight : array-like or dask collection, optional
        compute : bool, optional
            False: for dask input return the lazy pass. Default: the scorer's (True unless
            ``get_scorer(..., compute=False)``).

        Returns
        -------
        score : float, or a lazy dask collection
            Greater is better (losses are negated, as in scikit-learn).
        """
        if not _any_dask(X, y_true, sample_weight):
            kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
            return sklearn.metrics.get_scorer(self.name)(estimator, X, y_true, **kwargs)
        y_pred = self.predict(estimator, X)
        return self.score_prediction(y_true, y_pred, sample_weight, compute)


def _gather(*values: Any) -> list[Any]:
    """The dask values among ``values`` computed (in one compute), the others as they are."""
    lazy = [i for i, v in enumerate(values) if v is not None and is_dask_input(v)]
    out = list(values)
    for i, value in zip(lazy, dask.compute(*(values[i] for i in lazy)), strict=True):
        out[i] = value
    return out


class _InMemoryScorer:
    """A scikit-learn scorer (or any ``scorer(estimator, X, y)``) on data computed into memory."""

    def __init__(self, scorer: Callable[..., Any], name: str | None = None) -> None:
        self._scorer, self.name = scorer, name

    def __repr__(self) -> str:
        return f"dasklearn in-memory scorer of {self._scorer!r}"

    def __call__(
        self,
        estimator: Any,
        X: Any,
        y_true: Any,
        sample_weight: Any = None,
        compute: bool | None = None,
    ) -> Any:
        """Score with the wrapped scorer; dask X, y and sample_weight are computed first.

        Parameters
        ----------
        estimator : fitted estimator
        X, y_true : array-like, pandas or dask collections
        sample_weight : array-like or dask collection, optional
        compute : bool, optional
            Ignored: the score is computed at once.

        Returns
        -------
        score : float
        """
        X, y_true, sample_weight = _gather(X, y_true, sample_weight)
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        return self._scorer(estimator, X, y_true, **kwargs)


_REGRESSION_SCORERS = {
    "r2": ("r2", True, 1.0),
    "neg_mean_squared_error": ("mse", True, -1.0),
    "neg_root_mean_squared_error": ("mse", False, -1.0),
    "neg_mean_absolute_error": ("mae", True, -1.0),
    "neg_mean_absolute_percentage_error": ("mape", True, -1.0),
    "neg_mean_squared_log_error": ("msle", True, -1.0),
    "neg_root_mean_squared_log_error": ("msle", False, -1.0),
}

#: The one-pass scorers, by scikit-learn's names (and signs: greater is better).
SCORERS: dict[str, _Scorer] = {
    "accuracy": _Scorer("accuracy", _score_accuracy, 1.0),
    "neg_log_loss": _Scorer("neg_log_loss", _score_log_loss, -1.0, "predict_proba"),
    **{
        name: _Scorer(name, partial(_score_regression, metric, squared), sign)
        for name, (metric, squared, sign) in _REGRESSION_SCORERS.items()
    },
}


def get_scorer(scoring: str | Callable[..., Any], compute: bool = True) -> Any:
    """A scorer from its name: one pass over dask data for the names in :data:`SCORERS`.

    Parameters
    ----------
    scoring : str or callable
        A name of :data:`SCORERS` ("accuracy", "neg_log_loss", "r2",
        "neg_mean_squared_error", "neg_root_mean_squared_error", "neg_mean_absolute_error",
        "neg_mean_absolute_percentage_error", "neg_mean_squared_log_error",
        "neg_root_mean_squared_log_error"); any other scikit-learn scorer name, or a callable
        ``scorer(estimator, X, y)``, is called with the data computed into memory.
    compute : bool, default=True
        The default of the scorer's ``compute`` (False: lazy passes for dask input), as in
        dask-ml.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, sample_weight=None, compute=None)``.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from dasklearn.metrics import get_scorer
    >>> from dasklearn.wrappers import ParallelPostFit
    >>> X = np.arange(8.0).reshape(4, 2)
    >>> y = X @ np.array([1.0, 2.0])
    >>> model = ParallelPostFit(LinearRegression()).fit(X, y)
    >>> scorer = get_scorer("neg_mean_squared_error")
    >>> abs(scorer(model, da.from_array(X, chunks=2), da.from_array(y, chunks=2))) < 1e-20
    True
    """
    if isinstance(scoring, str):
        if scoring in SCORERS:
            return SCORERS[scoring].with_compute(compute)
        return _InMemoryScorer(sklearn.metrics.get_scorer(scoring), scoring)
    if isinstance(scoring, _Scorer):
        return scoring.with_compute(compute)
    if isinstance(scoring, _InMemoryScorer):
        return scoring
    if not callable(scoring):
        raise ValueError(f"scoring must be a string or a callable, got {scoring!r}.")
    return _InMemoryScorer(scoring)


def _looks_like_metric(scoring: Callable[..., Any]) -> bool:
    """A metric function (y_true, y_pred) of dasklearn or scikit-learn, not a scorer."""
    module = getattr(scoring, "__module__", None) or ""
    for package in ("dasklearn.metrics.", "sklearn.metrics."):
        if module.startswith(package) and not module.startswith(
            (package + "_scorer", package + "tests.")
        ):
            return True
    return False


class _MultimetricScorer:
    """Several scorers at once: for dask input one prediction per response method, and every
    one-pass score computed together (one pass over X and y)."""

    def __init__(self, scorers: dict[str, Any], raise_exc: bool = True) -> None:
        self._scorers, self._raise_exc = scorers, raise_exc

    def __call__(
        self, estimator: Any, X: Any, y_true: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """The scores by name.

        Parameters
        ----------
        estimator : fitted estimator
        X, y_true : array-like, pandas or dask collections
        sample_weight : array-like or dask collection, optional

        Returns
        -------
        scores : dict
            Name -> score (the formatted exception instead, with ``raise_exc=False``).
        """
        if not _any_dask(X, y_true, sample_weight):
            scorers = {
                n: sklearn.metrics.get_scorer(s.name) if isinstance(s, _Scorer) else s._scorer
                for n, s in self._scorers.items()
            }
            multi = sklearn.metrics.check_scoring(estimator, scorers, raise_exc=self._raise_exc)
            kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
            return multi(estimator, X, y_true, **kwargs)
        scores: dict[str, Any] = {}
        predictions: dict[tuple, Any] = {}
        for name, scorer in self._scorers.items():
            try:
                if isinstance(scorer, _Scorer):
                    key = (scorer._response_method,)
                    if key not in predictions:
                        predictions[key] = scorer.predict(estimator, X)
                    scores[name] = scorer.score_prediction(
                        y_true, predictions[key], sample_weight, compute=False
                    )
                else:
                    scores[name] = scorer(estimator, X, y_true, sample_weight)
            except Exception:
                if self._raise_exc:
                    raise
                scores[name] = traceback.format_exc()
        lazy = [n for n, s in scores.items() if is_dask_collection(s)]
        if self._raise_exc:
            for name, value in zip(lazy, dask.compute(*(scores[n] for n in lazy)), strict=True):
                scores[name] = value
            return scores
        for name in lazy:
            try:
                (scores[name],) = dask.compute(scores[name])
            except Exception:
                scores[name] = traceback.format_exc()
        return scores


def _multimetric(scoring: Any, raise_exc: bool) -> _MultimetricScorer:
    if isinstance(scoring, dict):
        if not scoring or not all(isinstance(k, str) for k in scoring):
            raise ValueError("A dict of scorers needs string keys, and at least one scorer.")
        scorers = {name: get_scorer(s) for name, s in scoring.items()}
    else:
        names = list(scoring)
        if not names or not all(isinstance(n, str) for n in names):
            raise ValueError(
                f"A list, tuple or set of scorers must hold strings (at least one): {scoring!r}."
            )
        if len(set(names)) != len(names):
            raise ValueError(f"Duplicate elements were found in the given list: {scoring!r}.")
        scorers = {name: get_scorer(name) for name in names}
    return _MultimetricScorer(scorers, raise_exc=raise_exc)


def check_scoring(
    estimator: Any = None,
    scoring: Any = None,
    *,
    allow_none: bool = False,
    raise_exc: bool = True,
) -> Any:
    """The scorer an estimator is evaluated with, as scikit-learn's ``check_scoring``.

    Parameters
    ----------
    estimator : estimator, optional
        The estimator to be scored.
    scoring : str, callable, list, tuple, set, dict or None
        A scorer name or callable (see :func:`get_scorer`); several names, or a dict of names
        or callables, for several scores at once (dask input: one pass for all of the one-pass
        scorers); None: the estimator's own ``score`` method.
    allow_none : bool, default=False
        Return None, rather than raise, when ``scoring`` is None and the estimator has no
        ``score``.
    raise_exc : bool, default=True
        With several scorers: False puts a failing scorer's formatted exception in the result.

    Returns
    -------
    scorer : callable or None
        ``scorer(estimator, X, y)``.

    Examples
    --------
    >>> from dasklearn.metrics import check_scoring
    >>> from sklearn.linear_model import LinearRegression
    >>> check_scoring(LinearRegression(), "r2")
    dasklearn.metrics.get_scorer('r2')
    """
    if isinstance(scoring, str):
        return get_scorer(scoring)
    if callable(scoring):
        if _looks_like_metric(scoring):
            raise ValueError(
                f"scoring value {scoring!r} looks like it is a metric function rather than a "
                "scorer. A scorer should require an estimator as its first parameter. Please "
                "use `make_scorer` to convert a metric to a scorer."
            )
        return get_scorer(scoring)
    if isinstance(scoring, list | tuple | set | dict):
        return _multimetric(scoring, raise_exc)
    if scoring is None:
        return sklearn.metrics.check_scoring(estimator, None, allow_none=allow_none)
    raise ValueError(f"scoring must be a str, a callable, a list or a dict, got {scoring!r}.")
