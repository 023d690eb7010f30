"""Adaptive searches over models with ``partial_fit``: the shared base, IncrementalSearchCV and
InverseDecaySearchCV, as in ``dask_ml.model_selection``.

A search samples candidates, holds out part of the data (``test_size``), and trains every
candidate block by block with ``partial_fit``, scoring it on the held-out data between rounds; a
rule decides after each round which candidates go on and for how many calls. How the rounds run
(on the workers that hold the blocks; models as futures; only scores come back) is
:mod:`._adaptive`; the rules are here (:class:`IncrementalSearchCV`: every candidate until
``max_iter`` or a plateau; :class:`InverseDecaySearchCV`: the number of candidates decays as
``1 / time``), in :mod:`._successive_halving` and in :mod:`._hyperband`.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Any

import dask
import numpy as np
from sklearn.model_selection import ParameterGrid, ParameterSampler
from sklearn.utils import check_random_state

from .._client import active_client
from .._params import Interval, Options, check_params
from ..exceptions import InvalidParameterError
from ..metrics import check_scoring
from ..wrappers import ParallelPostFit
from ._adaptive import (
    LoggingContext,
    Policy,
    Search,
    cv_results,
    fail_warnings,
    prepare,
    run,
    simulate,
    top,
)
from ._adaptive_work import ClusterWork, LocalWork

__all__ = ["IncrementalSearchCV", "InverseDecaySearchCV"]

_I4MAX = np.iinfo(np.int32).max


def _estimator_score(estimator: Any, X: Any, y: Any = None) -> float:
    """``scorer_`` for ``scoring=None``: the estimator's own ``score``."""
    return estimator.score(X, y)


class BaseIncrementalSearchCV(ParallelPostFit):
    """Base class of the adaptive searches: data, rounds and results; subclasses give the rule.

    Subclasses implement ``_candidates()`` (the parameter settings), ``_adapt_rule()`` (a fresh
    ``adapt(info)`` for one fit) and ``metadata``; Hyperband overrides ``_searches``.
    """

    _parameter_constraints: dict[str, list[Any]] = {
        "estimator": ["no_validation"],  # must have partial_fit: see _check_parameters
        "parameters": [dict, list],
        "test_size": [Interval(Real, 0, 1, closed="neither"), Interval(Integral, 1, None), None],
        "random_state": ["random_state"],
        "scoring": [str, "callable", None, list, tuple, set, dict],  # one score: see _scorer
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "patience": ["boolean", Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, None, None), None],
        "verbose": ["boolean", Interval(Real, 0, 1, closed="both")],
        "prefix": [str],
        "predict_meta": ["no_validation"],
        "predict_proba_meta": ["no_validation"],
        "transform_meta": ["no_validation"],
    }

    def __init__(
        self,
        estimator: Any,
        parameters: dict[str, Any] | list[dict[str, Any]],
        test_size: float | None = None,
        random_state: Any = None,
        scoring: Any = None,
        max_iter: int | None = 100,
        patience: int | bool = False,
        tol: float | None = 1e-3,
        verbose: bool | float = False,
        prefix: str = "",
        predict_meta: Any = None,
        predict_proba_meta: Any = None,
        transform_meta: Any = None,
    ) -> None:
        self.parameters = parameters
        self.test_size = test_size
        self.random_state = random_state
        self.max_iter = max_iter
        self.patience = patience
        self.tol = tol
        self.verbose = verbose
        self.prefix = prefix
        super().__init__(
            estimator,
            scoring=scoring,
            predict_meta=predict_meta,
            predict_proba_meta=predict_proba_meta,
            transform_meta=transform_meta,
        )

    # ---- the fitted model: best_estimator_ ----------------------------------------------------

    def _model_or_estimator(self) -> Any:
        return self.__dict__.get("best_estimator_", self.__dict__.get("estimator"))

    def _postfit_model(self) -> Any:
        if "best_estimator_" not in self.__dict__:
            from .._validation import NotFittedError

            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet: call 'fit' first."
            )
        return self.best_estimator_

    @property
    def partial_fit(self) -> Any:
        """Not available: a search trains many models; call :meth:`fit`."""
        raise AttributeError(f"{type(self).__name__} has no partial_fit; call fit.")

    # ---- parameters ---------------------------------------------------------------------------

    def _check_parameters(self) -> None:
        check_params(self)
        if not hasattr(self.estimator, "partial_fit"):
            raise InvalidParameterError(
                f"estimator must have partial_fit; {type(self.estimator).__name__} has none "
                "(use GridSearchCV or RandomizedSearchCV)."
            )
        patience = self.patience
        if patience is not False and not isinstance(patience, bool) and 0 < patience <= 1:
            raise InvalidParameterError(
                f"patience={patience}<=1 will always detect a plateau. To resolve this,\n\n"
                "    * set patience >= 2"
            )

    def _verbose(self) -> float:
        return 1.0 if self.verbose is True else float(self.verbose or 0)

    def _scorer(self) -> Any:
        if isinstance(self.scoring, list | tuple | set | dict):
            raise InvalidParameterError(
                f"scoring={self.scoring!r}: an adaptive search compares models by one score; "
                "give one scorer name or callable."
            )
        if self.scoring is None:  # the model's own score, in the task (no fit method needed)
            if not hasattr(self.estimator, "score"):
                raise InvalidParameterError(
                    f"scoring=None needs an estimator with a score method; "
                    f"{type(self.estimator).__name__} has none: pass scoring."
                )
            return None
        return check_scoring(self.estimator, self.scoring)

    # ---- the searches of one fit ---------------------------------------------------------------

    def _adapt_rule(self) -> Any:  # and _candidates(random_state), _n_candidates()
        raise NotImplementedError

    def _policy(self, patience: Any = None) -> Policy:
        patience = self.patience if patience is None else patience
        return Policy(self._adapt_rule(), self.max_iter, patience, self.tol)

    def _search(self, ids: Any = int, extra: dict | None = None) -> Search:
        """The search of one fit: sampled candidates, a fresh rule, a block order."""
        candidates = self._candidates(self.random_state)
        seed = int(check_random_state(self.random_state).randint(_I4MAX))
        return Search(self.estimator, candidates, self._policy(), seed, self.prefix, ids, extra)

    def _searches(self) -> list[Search]:
        return [self._search()]

    def _work_promised(self) -> int:
        with warnings.catch_warnings():  # fit warns about its parameters once, not here
            warnings.simplefilter("ignore")
            return int(self.metadata["partial_fit_calls"])

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> BaseIncrementalSearchCV:
        """Find the best parameters: train the candidates adaptively, block by block.

        Parameters
        ----------
        X : array-like, pandas or dask collection
            Training data; dask arrays and dataframes may be larger than memory. Dask
            dataframes are converted to dask arrays (as in dask-ml).
        y : array-like, pandas or dask collection, optional
            Target, row-aligned with X.
        **fit_params
            Passed to every ``partial_fit`` call (e.g. ``classes=`` for classifiers); dask
            values are computed first.

        Returns
        -------
        self : object
            The fitted search.
        """
        self._check_parameters()
        scorer = self._scorer()
        (fit_params,) = dask.compute(fit_params)
        data = prepare(X, y, self.test_size, self.random_state)
        searches = self._searches()
        client = active_client()
        work = (
            ClusterWork(client, data, fit_params, scorer)
            if client
            else LocalWork(data, fit_params, scorer)
        )
        try:
            with LoggingContext(self.verbose):
                history = run(searches, work, self._verbose(), self._work_promised())
            fail_warnings([c for s in searches for c in s.candidates])
            best = self._best(searches)
            best_model = work.model(best.state)
        finally:
            for search in searches:
                for candidate in search.candidates:
                    work.release(candidate.state)
                    candidate.state = None
            work.close()
        self._store(searches, history, best)
        self.best_estimator_ = best_model
        self.scorer_ = _estimator_score if scorer is None else scorer
        self.n_splits_ = 1
        self.multimetric_ = False
        return self

    @staticmethod
    def _best(searches: list[Search]) -> Any:
        found = [b for b in (s.best() for s in searches) if b is not None]
        if not found:
            raise RuntimeError("No candidate survived the search.")
        scores = [b.records[-1]["score"] for b in found]
        return found[int(np.argmax(np.where(np.isnan(scores), -np.inf, scores)))]

    def _store(self, searches: list[Search], history: list[dict], best: Any) -> None:
        (search,) = searches
        candidates = search.candidates
        self.cv_results_ = cv_results(candidates)
        self.history_ = history
        self.model_history_ = {c.model_id: c.records for c in candidates if c.records}
        self.best_index_ = int(candidates.index(best))
        self.best_score_ = float(self.cv_results_["test_score"][self.best_index_])
        self.best_params_ = best.params

    # ---- what the search will do, and what it did ----------------------------------------------

    @property
    def metadata(self) -> dict[str, Any]:
        """The work the search will do, before it starts (see the class docstring)."""
        calls, _ = simulate(self._policy(patience=False), self._n_candidates())
        return {
            "n_models": len(calls),
            "partial_fit_calls": int(sum(calls)),
            "max_iter": int(max(calls, default=0)),
        }

    @property
    def metadata_(self) -> dict[str, Any]:
        """The work the search did (see the class docstring)."""
        if "model_history_" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__} is not fitted: no metadata_ yet.")
        calls = [int(c) for c in self.cv_results_["partial_fit_calls"]]
        return {
            "n_models": len(calls),
            "partial_fit_calls": int(sum(calls)),
            "max_iter": int(max(calls, default=0)),
        }

    def score(self, X: Any, y: Any = None) -> float:
        """The score of ``best_estimator_`` on X and y, by ``scoring`` (one pass over dask input
        for :mod:`dasklearn.metrics`' one-pass scorers).

        Parameters
        ----------
        X : array-like, pandas or dask collection
        y : array-like, pandas or dask collection, optional

        Returns
        -------
        score : float
        """
        return super().score(X, y)


class IncrementalSearchCV(BaseIncrementalSearchCV):
    """Incrementally search for hyper-parameters of models that support ``partial_fit``.

    Samples ``n_initial_parameters`` settings (or takes the whole grid), holds out ``test_size``
    of the data, and trains every candidate with ``fits_per_score`` calls to ``partial_fit``
    between two scores on the held-out data, until ``max_iter`` calls or, with ``patience``, a
    plateau. Each call reads one row block of X, on the worker that holds it; the models stay on
    the workers and only scores come back. For a search that drops poor candidates early use
    :class:`InverseDecaySearchCV`, :class:`SuccessiveHalvingSearchCV` or
    :class:`HyperbandSearchCV`.

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        Cloned for each candidate; it must have ``set_params`` and work with ``clone``. Either
        it has a ``score`` method or ``scoring`` is given.
    parameters : dict or list of dicts
        Parameter names and distributions (with ``rvs``) or lists of values to try.
    n_initial_parameters : int or "grid", default=10
        Settings sampled, or ``"grid"`` for every setting of a grid.
    decay_rate : None, default=None
        Deprecated in dask-ml: a number warns and is ignored (use
        :class:`InverseDecaySearchCV`).
    test_size : float or int, optional
        The held-out data: a fraction of the rows (or a count). Default: ``min(0.2, 1 /
        n_blocks)``, about one block. It must fit in one worker's memory.
    patience : int or bool, default=False
        Stop training a model when its score rose by at most ``tol`` over its last
        ``patience`` calls (at least 2; False: never).
    tol : float or None, default=0.001
        The rise that counts as progress for ``patience`` (None or NaN: never stop).
    fits_per_score : int, default=1
        ``partial_fit`` calls between two scores of a model.
    max_iter : int, default=100
        Most ``partial_fit`` calls a model gets.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling, the split and the order of the blocks: the same value gives the
        same search on any scheduler.
    scoring : str, callable or None, default=None
        A scorer name or ``scorer(estimator, X, y)`` (the held-out data are in memory where the
        score runs); None: the estimator's ``score``.
    verbose : bool or float, default=False
        Log to stdout: True after every round, a float in [0, 1] that fraction of the rounds.
    prefix : str, default=""
        Put in every log message: ``[CV{prefix}]``.
    scores_per_fit : int, optional
        Deprecated alias of ``fits_per_score``.
    predict_meta, predict_proba_meta, transform_meta : optional
        Empty examples of the outputs of ``best_estimator_`` (see
        :class:`dasklearn.wrappers.ParallelPostFit`).

    Attributes
    ----------
    cv_results_ : dict of ndarrays
        One row per candidate: ``mean_partial_fit_time``, ``mean_score_time``,
        ``std_partial_fit_time``, ``std_score_time``, ``test_score`` (the last score; NaN for
        a candidate that raised), ``rank_test_score``, ``model_id``, ``partial_fit_calls``,
        ``params`` and ``param_{name}``.
    history_ : list of dict
        A record after every score: ``model_id``, ``params``, ``partial_fit_calls``,
        ``partial_fit_time`` (of the last call), ``score``, ``score_time``,
        ``elapsed_wall_time``.
    model_history_ : dict
        The records of ``history_`` by ``model_id``.
    metadata, metadata_ : dict
        The work before it starts (``metadata``: ``n_models``, ``partial_fit_calls``,
        ``max_iter``, with no early stop) and the work done (``metadata_``).
    best_estimator_ : estimator
        The surviving model with the highest last score.
    best_score_ : float
        Its score on the held-out data.
    best_index_ : int
        Its row in ``cv_results_``.
    best_params_ : dict
        Its parameters.
    scorer_ : callable
        The scorer used.
    n_splits_ : int
        1 (one held-out set).
    multimetric_ : bool
        False: an adaptive search compares models by one score.

    See Also
    --------
    HyperbandSearchCV : the adaptive search to start with.

    Notes
    -----
    Differences from dask-ml: works without a ``distributed`` client (threads in this process)
    and with today's scikit-learn; ``decay_rate`` defaults to None (no deprecation warning);
    ``max_iter`` caps the calls of ``fits_per_score`` rounds too; a candidate that raises is
    dropped with a warning instead of ending the search; ``cv_results_`` rows follow the
    order of the candidates.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import SGDClassifier
    >>> from dasklearn.datasets import make_classification
    >>> from dasklearn.model_selection import IncrementalSearchCV
    >>> X, y = make_classification(n_samples=400, n_features=5, chunks=50, random_state=0)
    >>> search = IncrementalSearchCV(SGDClassifier(random_state=0),
    ...                              {"alpha": np.logspace(-4, 0, 10)},
    ...                              n_initial_parameters=4, max_iter=5, random_state=0)
    >>> search = search.fit(X, y, classes=[0, 1])
    >>> search.metadata_["partial_fit_calls"]
    20
    >>> sorted(search.best_params_)
    ['alpha']
    """

    _parameter_constraints = {
        **BaseIncrementalSearchCV._parameter_constraints,
        "n_initial_parameters": [Interval(Integral, 1, None, closed="left"), Options({"grid"})],
        "decay_rate": ["no_validation"],
        "fits_per_score": [Interval(Integral, 1, None, closed="left")],
        "scores_per_fit": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        estimator: Any,
        parameters: dict[str, Any] | list[dict[str, Any]],
        n_initial_parameters: int | str = 10,
        decay_rate: Any = None,
        test_size: float | None = None,
        patience: int | bool = False,
        tol: float | None = 0.001,
        fits_per_score: int = 1,
        max_iter: int = 100,
        random_state: Any = None,
        scoring: Any = None,
        verbose: bool | float = False,
        prefix: str = "",
        scores_per_fit: int | None = None,
        predict_meta: Any = None,
        predict_proba_meta: Any = None,
        transform_meta: Any = None,
    ) -> None:
        self.n_initial_parameters = n_initial_parameters
        self.decay_rate = decay_rate
        self.fits_per_score = fits_per_score
        self.scores_per_fit = scores_per_fit
        super().__init__(
            estimator,
            parameters,
            test_size=test_size,
            random_state=random_state,
            scoring=scoring,
            max_iter=max_iter,
            patience=patience,
            tol=tol,
            verbose=verbose,
            prefix=prefix,
            predict_meta=predict_meta,
            predict_proba_meta=predict_proba_meta,
            transform_meta=transform_meta,
        )

    def _check_parameters(self) -> None:
        super()._check_parameters()
        if type(self) is IncrementalSearchCV and self.decay_rate is not None:
            warnings.warn(
                f"decay_rate={self.decay_rate} is ignored by IncrementalSearchCV (deprecated in "
                "dask-ml); use InverseDecaySearchCV for a decaying number of models.",
                FutureWarning,
                stacklevel=3,
            )
        if self.scores_per_fit is not None:
            if self.fits_per_score != 1:
                raise InvalidParameterError("Specify fits_per_score, not scores_per_fit")
            warnings.warn(
                "scores_per_fit is deprecated (dask-ml 1.4.0); specify "
                f"fits_per_score={self.scores_per_fit} instead",
                FutureWarning,
                stacklevel=3,
            )

    def _fits_per_score(self) -> int:
        return int(self.scores_per_fit or self.fits_per_score)

    def _candidates(self, random_state: Any) -> list[dict[str, Any]]:
        if self.n_initial_parameters == "grid":
            return list(ParameterGrid(self.parameters))
        return list(
            ParameterSampler(self.parameters, self.n_initial_parameters, random_state=random_state)
        )

    def _n_candidates(self) -> int:
        if self.n_initial_parameters == "grid":
            return len(ParameterGrid(self.parameters))
        return len(ParameterSampler(self.parameters, self.n_initial_parameters))

    def _adapt_rule(self) -> Any:
        fits = self._fits_per_score()
        return lambda info: dict.fromkeys(info, fits)


class InverseDecaySearchCV(IncrementalSearchCV):
    """Incrementally search for hyper-parameters, keeping fewer models as time goes on.

    As :class:`IncrementalSearchCV`, but after ``t`` calls to ``partial_fit`` only the best
    ``n_initial_parameters / (1 + t) ** decay_rate`` models go on training (the others are
    dropped), until one is left or ``max_iter`` is reached. With ``decay_rate=1`` this is a
    continuous-time version of successive halving.

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        Cloned for each candidate.
    parameters : dict or list of dicts
        Parameter names and distributions or lists of values to try.
    n_initial_parameters : int or "grid", default=10
        Settings sampled, or ``"grid"`` for the whole grid.
    test_size : float or int, optional
        The held-out data (default ``min(0.2, 1 / n_blocks)``).
    patience : int or bool, default=False
        Stop a model whose score rose by at most ``tol`` over its last ``patience`` calls.
    tol : float or None, default=0.001
        The rise that counts as progress for ``patience``.
    fits_per_score : int, default=1
        With ``patience``, the most ``partial_fit`` calls between two scores.
    max_iter : int, default=100
        Most ``partial_fit`` calls a model gets.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling, the split and the order of the blocks.
    scoring : str, callable or None, default=None
        A scorer name or callable; None: the estimator's ``score``.
    verbose : bool or float, default=False
        Log to stdout (see :class:`IncrementalSearchCV`).
    prefix : str, default=""
        Put in every log message.
    decay_rate : float, default=1.0
        How fast the number of models decays.
    predict_meta, predict_proba_meta, transform_meta : optional
        Empty examples of the outputs of ``best_estimator_``.

    Attributes
    ----------
    cv_results_, history_, model_history_, metadata, metadata_ : dict or list
        As :class:`IncrementalSearchCV`.
    best_estimator_, best_score_, best_index_, best_params_ : object
        The surviving model with the highest last score, its score, row and parameters.
    scorer_, n_splits_, multimetric_ : object
        The scorer, 1, False.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import SGDClassifier
    >>> from dasklearn.datasets import make_classification
    >>> from dasklearn.model_selection import InverseDecaySearchCV
    >>> X, y = make_classification(n_samples=400, n_features=5, chunks=50, random_state=0)
    >>> search = InverseDecaySearchCV(SGDClassifier(random_state=0),
    ...                               {"alpha": np.logspace(-4, 0, 100)},
    ...                               n_initial_parameters=20, random_state=0)
    >>> search.metadata
    {'n_models': 20, 'partial_fit_calls': 34, 'max_iter': 5}
    >>> search.fit(X, y, classes=[0, 1]).metadata_ == search.metadata
    True
    """

    _parameter_constraints = {
        **IncrementalSearchCV._parameter_constraints,
        "decay_rate": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        estimator: Any,
        parameters: dict[str, Any] | list[dict[str, Any]],
        n_initial_parameters: int | str = 10,
        test_size: float | None = None,
        patience: int | bool = False,
        tol: float | None = 0.001,
        fits_per_score: int = 1,
        max_iter: int = 100,
        random_state: Any = None,
        scoring: Any = None,
        verbose: bool | float = False,
        prefix: str = "",
        decay_rate: float = 1.0,
        predict_meta: Any = None,
        predict_proba_meta: Any = None,
        transform_meta: Any = None,
    ) -> None:
        super().__init__(
            estimator,
            parameters,
            n_initial_parameters=n_initial_parameters,
            decay_rate=decay_rate,
            test_size=test_size,
            patience=patience,
            tol=tol,
            fits_per_score=fits_per_score,
            max_iter=max_iter,
            random_state=random_state,
            scoring=scoring,
            verbose=verbose,
            prefix=prefix,
            predict_meta=predict_meta,
            predict_proba_meta=predict_proba_meta,
            transform_meta=transform_meta,
        )

    def _adapt_rule(self) -> Any:
        start = self._n_candidates()
        decay, patience, fits = self.decay_rate, self.patience, self._fits_per_score()

        def inverse(t: int) -> int:
            return int(start / (1 + t) ** decay)

        def adapt(info: dict) -> dict[Any, int]:
            # dask-ml's rule: the number of models to keep at the next time step
            current = next(iter(info.values()))[-1]["partial_fit_calls"] + 1
            if inverse(current) == 0:
                return dict.fromkeys(top(1, info), 0)
            following = current
            while inverse(current) == inverse(following) and (
                (decay and not patience) or following - current < fits
            ):
                following += 1
            best = top(max(1, inverse(following)), info)
            if len(best) == 1:
                return dict.fromkeys(best, 0)
            return dict.fromkeys(best, max(1, following - current))

        return adapt
