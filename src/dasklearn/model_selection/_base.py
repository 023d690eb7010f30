"""The base of GridSearchCV and RandomizedSearchCV: fit, cv_results_, the best estimator.

``fit`` finds the distinct work of the search (:mod:`._plan`: each pipeline step fitted once
per fold for each distinct setting of its own and earlier parameters), and runs it through
:class:`~._runner.Runner` in bounded batches on the active ``distributed`` client (the data
scattered to the workers once) or on local threads. Dask input larger than a worker's memory is
searched blockwise from the client instead (:mod:`._blockwise_search`). The records become
scikit-learn's ``cv_results_`` (:mod:`._cv_results`); the best candidate is refitted on all the
data on a worker. Prediction methods go through ``best_estimator_`` (blockwise and lazy for dask
input, through :class:`dasklearn.wrappers.ParallelPostFit`).
"""

from __future__ import annotations

import inspect
import uuid
import warnings
from numbers import Integral, Real
from typing import Any

import dask
import numpy as np
import psutil
from sklearn.base import BaseEstimator, MetaEstimatorMixin, is_classifier
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_consistent_length

from .._chunks import block_lengths, n_rows
from .._params import Interval, Options, check_params
from .._validation import NotFittedError, check_is_fitted, is_dask_input
from ..metrics import check_scoring
from ._blockwise_search import blockwise_records, blockwise_splitter
from ._cv_results import format_results, select_best_index
from ._plan import build_plan, refit, warn_about_failures
from ._runner import DistributedExecutor, Runner, _Inline, _Progress, make_executor
from ._split import check_cv, compute_n_splits

__all__ = ["DaskBaseSearchCV"]

#: Dask input is searched in memory (folds in the workers' memory) when X and y take at most
#: this fraction of one worker's memory limit: a task holds a fold's training and test copies
#: and the steps' transformed copies of them.
IN_MEMORY_FRACTION = 0.25


class _CvObject:
    """A cross-validation splitter or an iterable of splits (a parameter constraint)."""

    def accepts(self, value: Any) -> bool:
        return hasattr(value, "split") or (
            hasattr(value, "__iter__") and not isinstance(value, str)
        )

    def __str__(self) -> str:
        return "a cross-validator (with split and get_n_splits) or an iterable of splits"


def _check_refit(search: Any, attr: str) -> None:
    if not search.refit:
        raise AttributeError(
            f"This {type(search).__name__} instance was initialized with `refit=False`. {attr} "
            "is available only after refitting on the best parameters. You can refit an "
            "estimator manually using the `best_params_` attribute"
        )


def _search_estimator_has(attr: str) -> Any:
    def check(self: Any) -> bool:
        _check_refit(self, attr)
        getattr(self.best_estimator_ if hasattr(self, "best_estimator_") else self.estimator, attr)
        return True

    return check


def _step_safe(scorer: Any) -> bool:
    """Whether the scorer looks only at the predictions of the final estimator, so that a
    pipeline's final step can be scored on the transformed test data."""
    if hasattr(scorer, "_scorers"):
        return all(_step_safe(s) for s in scorer._scorers.values())
    module = type(scorer).__module__ or ""
    if module.startswith("sklearn.metrics._scorer"):
        return True
    if module == "dasklearn.metrics._scorer":
        inner = getattr(scorer, "_scorer", None)
        return inner is None or getattr(scorer, "name", None) is not None or _step_safe(inner)
    return False


def _accepts_weights(scorer: Any) -> bool:
    """Whether the scorer takes ``sample_weight`` (scikit-learn's test, for its own scorers)."""
    if hasattr(scorer, "_scorers"):
        return all(_accepts_weights(s) for s in scorer._scorers.values())
    if hasattr(scorer, "_accept_sample_weight"):
        return bool(scorer._accept_sample_weight())
    inner = getattr(scorer, "_scorer", None)
    if inner is not None:
        return _accepts_weights(inner)
    if type(scorer).__module__ == "dasklearn.metrics._scorer":
        return True
    return "sample_weight" in inspect.signature(scorer).parameters


def _weighted_scores(search: Any, scorer: Any, fit_params: dict[str, Any]) -> bool:
    """scikit-learn's searches weight the scores by a ``sample_weight`` fit parameter when the
    scorer takes one, and warn when it does not."""
    if fit_params.get("sample_weight") is None:
        return False
    if _accepts_weights(scorer):
        return True
    warnings.warn(
        f"The scoring {scorer} does not support sample_weight, which may lead to statistically "
        f"incorrect results when fitting {search} with sample_weight. ",
        stacklevel=3,
    )
    return False


def _row_bytes(X: Any) -> float:
    if hasattr(X, "dtypes") and not hasattr(X, "dtype"):
        return float(sum(d.itemsize if d.kind in "biufcmM" else 64 for d in X.dtypes))
    dtype = X.dtype
    width = int(np.prod(X.shape[1:])) if hasattr(X, "shape") and len(X.shape) > 1 else 1
    return float((dtype.itemsize if dtype.kind in "biufcmM" else 64) * width)


def _fits_in_memory(executor: Any, *values: Any) -> bool:
    """Whether dask X and y fit comfortably in one worker's memory. Their lengths come from
    their chunks or parquet metadata where known, else from a pass counting the rows."""
    nbytes = 0.0
    for v in values:
        if v is None or not is_dask_input(v):
            continue
        rows = n_rows(v)
        rows = sum(block_lengths(v)) if rows is None else rows
        nbytes += rows * _row_bytes(v)
    if isinstance(executor, DistributedExecutor):
        workers = executor.client.scheduler_info(n_workers=-1).get("workers", {})
        limits = [w.get("memory_limit") or psutil.virtual_memory().total for w in workers.values()]
        budget = min(limits) if limits else psutil.virtual_memory().available
    else:
        budget = psutil.virtual_memory().available
    return nbytes <= IN_MEMORY_FRACTION * budget


def _to_memory(*values: Any) -> list[Any]:
    """Dask values computed in one pass; others as they are."""
    lazy = [i for i, v in enumerate(values) if v is not None and is_dask_input(v)]
    out = list(values)
    for i, value in zip(lazy, dask.compute(*(values[i] for i in lazy)), strict=True):
        out[i] = value
    return out


class DaskBaseSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Base class of the searches over a fixed set of candidates (see :class:`GridSearchCV`)."""

    _parameter_constraints: dict = {
        "estimator": ["estimator"],
        "scoring": [str, "callable", list, tuple, set, dict, None],
        "iid": ["boolean"],
        "refit": ["boolean", str, "callable"],
        "cv": [Interval(Integral, 2, None, closed="left"), _CvObject(), None],
        "error_score": [Options({"raise"}), Interval(Real, None, None)],
        "return_train_score": ["boolean"],
        "scheduler": ["no_validation"],
        "n_jobs": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Integral, None, -1, closed="right"),
            None,
        ],
        "cache_cv": ["boolean"],
        "verbose": [Interval(Integral, 0, None, closed="left"), "boolean"],
    }

    def __init__(
        self,
        estimator: Any,
        scoring: Any = None,
        iid: bool = True,
        refit: Any = True,
        cv: Any = None,
        error_score: Any = "raise",
        return_train_score: bool = False,
        scheduler: Any = None,
        n_jobs: int = -1,
        cache_cv: bool = True,
        verbose: int = 0,
    ) -> None:
        self.estimator = estimator
        self.scoring = scoring
        self.iid = iid
        self.refit = refit
        self.cv = cv
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.scheduler = scheduler
        self.n_jobs = n_jobs
        self.cache_cv = cache_cv
        self.verbose = verbose

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.input_tags.pairwise = inner.input_tags.pairwise
        tags.input_tags.sparse = inner.input_tags.sparse
        return tags

    def _get_param_iterator(self) -> Any:
        raise NotImplementedError

    # ---- fit ----------------------------------------------------------------------------------

    def _scorers(self) -> tuple[Any, list[str] | None]:
        multi = isinstance(self.scoring, list | tuple | set | dict)
        scorer = check_scoring(self.estimator, self.scoring, raise_exc=self.error_score == "raise")
        if not multi:
            return scorer, None
        names = list(scorer._scorers)
        self._check_refit_for_multimetric(names)
        return scorer, names

    def _check_refit_for_multimetric(self, names: list[str]) -> None:
        if (
            self.refit is not False
            and not callable(self.refit)
            and (not isinstance(self.refit, str) or self.refit not in names)
        ):
            raise ValueError(
                "For multi-metric scoring, the parameter refit must be set to a scorer key or a "
                "callable to refit an estimator with the best parameter setting on the whole "
                "data and make the best_* attributes available for that metric. If this is not "
                f"needed, refit should be set to False explicitly. {self.refit!r} was passed."
            )

    def fit(self, X: Any, y: Any = None, groups: Any = None, **fit_params: Any) -> Any:
        """Run fit with all sets of parameters, sharing the work candidates have in common.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Training data. Dask input that fits in a worker's memory is computed once and
            scattered to the workers; larger dask input is split blockwise.
        y : array-like, pandas or dask collection of shape (n_samples,), optional
            Target; None for unsupervised learning.
        groups : array-like of shape (n_samples,), optional
            Group labels for the cross-validation splitter.
        **fit_params : dict
            Passed to the estimator's ``fit`` (``step__param`` for a Pipeline's steps); values
            with one entry per sample are cut along with X.

        Returns
        -------
        self : object
            The fitted search.
        """
        check_params(self)
        scorer, names = self._scorers()
        candidates = list(self._get_param_iterator())
        if not candidates:
            raise ValueError("No fits were performed. Were there no candidates?")
        plan = build_plan(self.estimator, candidates)
        step_safe = _step_safe(scorer)
        executor = make_executor(self.scheduler, self.n_jobs)
        blockwise = is_dask_input(X) and not _fits_in_memory(executor, X, y)
        placed = None
        try:
            if blockwise:
                records, n_test = self._run_blockwise(
                    plan, X, y, fit_params, scorer, names, step_safe
                )
            else:
                X, y, groups, *values = _to_memory(X, y, groups, *fit_params.values())
                fit_params = dict(zip(fit_params, values, strict=True))
                records, n_test, placed = self._run_in_memory(
                    plan, executor, X, y, groups, fit_params, scorer, names, step_safe
                )
            self._finish(candidates, plan, records, n_test, names, scorer)
            if self.refit:
                self._refit(executor, X, y, fit_params, placed)
        finally:
            executor.close()
        return self

    def _run_in_memory(self, plan, executor, X, y, groups, fit_params, scorer, names, safe):
        check_consistent_length(X, y, groups)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        self.n_splits_ = compute_n_splits(cv, X, y, groups)
        splits = [(np.asarray(tr), np.asarray(te)) for tr, te in cv.split(X, y, groups)]
        if len(splits) != self.n_splits_:
            raise ValueError(
                "cv.split and cv.get_n_splits return inconsistent results. Expected "
                f"{self.n_splits_} splits, got {len(splits)}"
            )
        self._announce(plan, len(plan.candidate_leaf))
        runner = Runner(
            plan,
            executor,
            (X, y, splits, fit_params),
            self.n_splits_,
            cache_cv=self.cache_cv,
            scorer=scorer,
            metric_names=names,
            step_safe=safe,
            train_scores=self.return_train_score,
            error_score=self.error_score,
            keep_raw=not safe and bool(plan.stages),
            weighted=_weighted_scores(self, scorer, fit_params),
            verbose=self.verbose,
        )
        records = runner.run()
        self._search_stats = runner.stats
        return records, np.asarray([len(te) for _, te in splits]), runner.data

    def _run_blockwise(self, plan, X, y, fit_params, scorer, names, safe):
        self.n_splits_ = blockwise_splitter(self.cv).get_n_splits()
        self._announce(plan, len(plan.candidate_leaf))
        progress = _Progress(len(plan.leaves) * self.n_splits_, "fits")
        records, n_test = blockwise_records(
            plan,
            X,
            y,
            self.cv,
            fit_params,
            scorer=scorer,
            metric_names=names,
            step_safe=safe,
            train_scores=self.return_train_score,
            error_score=self.error_score,
            weighted=_weighted_scores(self, scorer, fit_params),
            progress=progress,
        )
        self._search_stats = {"blockwise": True}
        return records, n_test

    def _announce(self, plan: Any, n_candidates: int) -> None:
        if self.verbose:
            fits = ", ".join(f"{n} {name}" for name, n in plan.n_fits(self.n_splits_).items())
            print(
                f"Fitting {self.n_splits_} folds for each of {n_candidates} candidates, "
                f"totalling {n_candidates * self.n_splits_} fits; distinct fits: {fits}"
            )

    def _finish(self, candidates, plan, leaf_records, n_test, names, scorer) -> None:
        records = [leaf_records[plan.candidate_leaf[c]] for c in range(len(candidates))]
        warn_about_failures([r for per in records for r in per], self.error_score)
        first = records[0][0][3]
        if names is None and isinstance(first, dict):  # a callable scorer returning a dict
            names = list(first)
            self._check_refit_for_multimetric(names)
            records = [[_as_dicts(r, names) for r in per] for per in records]
        self.multimetric_ = names is not None
        weights = n_test if self.iid else None
        results = format_results(
            candidates, self.n_splits_, records, names, self.return_train_score, weights
        )
        metric = self.refit if self.multimetric_ else "score"
        if self.refit or not self.multimetric_:
            self.best_index_ = select_best_index(self.refit, metric, results)
            if not callable(self.refit):
                self.best_score_ = float(results[f"mean_test_{metric}"][self.best_index_])
            self.best_params_ = results["params"][self.best_index_]
        self.scorer_ = scorer._scorers if hasattr(scorer, "_scorers") else scorer
        self.cv_results_ = results

    def _refit(
        self, executor: Any, X: Any, y: Any, fit_params: dict, placed: tuple | None = None
    ) -> None:
        """Fit the best candidate on all the data: on a cluster, in-memory data are read from
        where the search scattered them (``placed``: their futures, while none is lost)
        rather than sent again inside the task."""
        args = (self.estimator, self.best_params_, X, y, fit_params)
        if isinstance(executor, DistributedExecutor) and not is_dask_input(X):
            if placed is not None and all(getattr(f, "status", None) == "finished" for f in placed):
                X_, y_, _, fit_params_ = placed
                args = (self.estimator, self.best_params_, X_, y_, fit_params_)
            key = f"refit-{type(self.estimator).__name__}-{uuid.uuid4().hex[:8]}"
            future = executor.client.submit(_Inline(refit), *args, key=key, pure=False)
            est, seconds = future.result()
            future.release()
        else:
            est, seconds = refit(*args)
        self.best_estimator_, self.refit_time_ = est, seconds
        if hasattr(est, "feature_names_in_"):
            self.feature_names_in_ = est.feature_names_in_

    # ---- the best estimator's methods ---------------------------------------------------------

    def _best_for(self, X: Any, method: str) -> Any:
        """The best estimator; for dask X and a scikit-learn estimator, wrapped so that its
        method runs block by block (lazily) through dasklearn's output layer."""
        _check_refit(self, method)
        check_is_fitted(self)
        best = self.best_estimator_
        if is_dask_input(X) and not type(best).__module__.startswith("dasklearn."):
            from ..wrappers import ParallelPostFit

            if hasattr(ParallelPostFit, method):
                return ParallelPostFit(best)
        return best

    @property
    def n_features_in_(self) -> int:
        """Number of features seen during fit (only with ``refit``)."""
        try:
            check_is_fitted(self)
        except NotFittedError as err:
            raise AttributeError(
                f"{type(self).__name__} object has no n_features_in_ attribute."
            ) from err
        return self.best_estimator_.n_features_in_

    @property
    def classes_(self) -> Any:
        """Class labels (only with ``refit`` and a classifier)."""
        _search_estimator_has("classes_")(self)
        return self.best_estimator_.classes_

    def score(self, X: Any, y: Any = None) -> float:
        """The score of the best estimator on X and y, by ``scoring`` (``refit``'s metric).

        Parameters
        ----------
        X : array-like, pandas or dask collection
        y : array-like, pandas or dask collection, optional

        Returns
        -------
        score : float
            One pass over dask input for dasklearn's one-pass scorers.
        """
        _check_refit(self, "score")
        check_is_fitted(self)
        if self.scorer_ is None:
            raise ValueError(
                "No score function explicitly defined, and the estimator doesn't provide one "
                f"{self.best_estimator_}"
            )
        model = self._best_for(X, "score")
        if isinstance(self.scorer_, dict):
            return self.scorer_[self.refit](model, X, y)
        score = self.scorer_(model, X, y)
        return score[self.refit] if self.multimetric_ else score

    def _delegate(self, method: str, X: Any) -> Any:
        return getattr(self._best_for(X, method), method)(X)

    @available_if(_search_estimator_has("predict"))
    def predict(self, X: Any) -> Any:
        """``best_estimator_.predict(X)`` (lazy, blockwise, for dask X).

        Parameters
        ----------
        X : array-like, pandas or dask collection

        Returns
        -------
        y_pred : ndarray or dask collection
        """
        return self._delegate("predict", X)

    @available_if(_search_estimator_has("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        """``best_estimator_.predict_proba(X)`` (lazy, blockwise, for dask X).

        Parameters
        ----------
        X : array-like, pandas or dask collection

        Returns
        -------
        proba : ndarray or dask collection
        """
        return self._delegate("predict_proba", X)

    @available_if(_search_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> Any:
        """``best_estimator_.predict_log_proba(X)`` (lazy, blockwise, for dask X).

        Parameters
        ----------
        X : array-like, pandas or dask collection

        Returns
        -------
        log_proba : ndarray or dask collection
        """
        return self._delegate("predict_log_proba", X)

    @available_if(_search_estimator_has("decision_function"))
    def decision_function(self, X: Any) -> Any:
        """``best_estimator_.decision_function(X)`` (lazy, blockwise, for dask X).

        Parameters
        ----------
        X : array-like, pandas or dask collection

        Returns
        -------
        scores : ndarray or dask collection
        """
        return self._delegate("decision_function", X)

    @available_if(_search_estimator_has("transform"))
    def transform(self, X: Any) -> Any:
        """``best_estimator_.transform(X)`` (lazy, blockwise, for dask X).

        Parameters
        ----------
        X : array-like, pandas or dask collection

        Returns
        -------
        Xt : ndarray or dask collection
        """
        return self._delegate("transform", X)

    @available_if(_search_estimator_has("inverse_transform"))
    def inverse_transform(self, X: Any) -> Any:
        """``best_estimator_.inverse_transform(X)``.

        Parameters
        ----------
        X : array-like

        Returns
        -------
        X_original : ndarray
        """
        return self._delegate("inverse_transform", X)

    @available_if(_search_estimator_has("score_samples"))
    def score_samples(self, X: Any) -> Any:
        """``best_estimator_.score_samples(X)``.

        Parameters
        ----------
        X : array-like

        Returns
        -------
        scores : ndarray
        """
        return self._delegate("score_samples", X)


def _as_dicts(record: tuple, names: list[str]) -> tuple:
    """A record whose error scores are scalars, with one per metric (callable multimetric)."""
    test, train = record[3], record[4]
    test = test if isinstance(test, dict) else dict.fromkeys(names, test)
    if train is not None and not isinstance(train, dict):
        train = dict.fromkeys(names, train)
    return (*record[:3], test, train, *record[5:])
