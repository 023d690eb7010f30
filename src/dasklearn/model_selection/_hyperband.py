"""HyperbandSearchCV: successive halving in several brackets at once (Li et al. 2018).

A bracket is one successive halving (:class:`~._successive_halving.SuccessiveHalvingSearchCV`)
with its own trade-off between many candidates trained briefly and few trained long; Hyperband
runs ``floor(log_eta(max_iter)) + 1`` of them, and here they run concurrently, on one held-out
set: each bracket's rounds start as soon as its own previous round is scored (:mod:`._adaptive`),
so that the workers stay busy while a bracket waits for its slowest model.
"""

from __future__ import annotations

import copy
import math
import warnings
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.utils import check_random_state

from .._params import Interval
from ._adaptive import Search, cv_results, simulate
from ._incremental import BaseIncrementalSearchCV
from ._successive_halving import SuccessiveHalvingSearchCV

__all__ = ["HyperbandSearchCV"]


def _get_hyperband_params(R: int, eta: float = 3) -> dict[int, tuple[int, int]]:
    """The brackets of Hyperband: ``{bracket: (n_models, n_initial_iter)}``, most adaptive first.

    ``R`` (``max_iter``) and ``eta`` (``aggressiveness``) are the paper's names; bracket ``s``
    starts ``ceil((s_max + 1) * eta**s / (s + 1))`` models with ``R * eta**-s`` calls each.
    ``s_max`` is the largest ``s`` with ``eta**s <= R``, found without floating-point logarithms
    (``math.log(243, 3)`` is 4.999...).
    """
    s_max = 0
    while eta ** (s_max + 1) <= R * (1 + 1e-12):
        s_max += 1
    brackets = {}
    for s in reversed(range(s_max + 1)):
        n = math.ceil((s_max + 1) * eta**s / (s + 1) - 1e-9)
        r = int(R * eta**-s + 1e-9)
        brackets[s] = (n, max(1, r))
    return brackets


def _get_patience(patience: Any, max_iter: int, aggressiveness: float, tol: Any) -> Any:
    """The patience each bracket gets: ``max_iter // aggressiveness`` for True (dask-ml's)."""
    if isinstance(patience, bool):
        return max(int(max_iter // aggressiveness), 1) if patience else False
    if patience < max(max_iter // aggressiveness, 1) and tol is not None and not np.isnan(tol):
        warnings.warn(
            "The goal of `patience` is to stop training estimators that have already converged "
            "*when few estimators remain*. Hyperband is already an (almost optimal) adaptive "
            "scheme, and patience should be large to be a minimal layer on top of Hyperband.\n\n"
            "To clear this warning, set\n\n    * patience=True\n"
            f"    * patience >= {int(max_iter // aggressiveness)}\n"
            f"    * tol=None or tol=np.nan\n\ninstead of patience={patience} ",
            UserWarning,
            stacklevel=4,
        )
    return int(patience)


class HyperbandSearchCV(BaseIncrementalSearchCV):
    """Find good hyper-parameters with Hyperband: early stopping for a random search.

    Hyperband [1]_ spends more training on the candidates that score well: it runs several
    successive halvings ("brackets"), from many candidates trained briefly and culled hard, to a
    few trained for ``max_iter`` calls to ``partial_fit`` without culling; after ``N`` calls it
    is close to the best model that ``N`` calls could give. Here the brackets run at the same
    time on one held-out set; every ``partial_fit`` call reads one row block on the worker
    that holds it, the models stay on the workers and only scores come back.

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        Cloned for each candidate; it must have ``set_params`` and work with ``clone``.
    parameters : dict or list of dicts
        Parameter names and distributions (with ``rvs``) or lists of values to try.
    max_iter : int, default=81
        The most ``partial_fit`` calls one model gets: about the calls a model needs to
        converge (see Notes).
    aggressiveness : float, default=3
        How hard each bracket culls (``eta``): 3 is close to optimal in theory, 4 suits a first
        exploration.
    patience : int or bool, default=False
        Also stop a model whose score rose by at most ``tol`` over its last ``patience`` calls;
        True picks ``max_iter // aggressiveness``.
    tol : float or None, default=0.001
        The rise that counts as progress for ``patience``.
    test_size : float or int, optional
        The held-out data (default ``min(0.2, 1 / n_blocks)``); it must fit in one worker.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling, the split and the order of the blocks: the same value gives the
        same search (scores, decisions, best model) on any scheduler.
    scoring : str, callable or None, default=None
        A scorer name or callable; None: the estimator's ``score``.
    verbose : bool or float, default=False
        Log to stdout (True: every round; a float: that fraction of the rounds).
    prefix : str, default=""
        Put in every log message (with the bracket).
    predict_meta, predict_proba_meta, transform_meta : optional
        Empty examples of the outputs of ``best_estimator_``.

    Attributes
    ----------
    metadata, metadata_ : dict
        The work before it starts and the work done: ``n_models``, ``partial_fit_calls`` and
        ``brackets``, a list (by bracket) of dicts with ``bracket``, ``n_models``,
        ``partial_fit_calls``, ``decisions`` (the call counts at which models are culled) and
        ``SuccessiveHalvingSearchCV params`` (that bracket as a search of its own). They are
        equal without ``patience``.
    cv_results_ : dict of ndarrays
        As :class:`IncrementalSearchCV`, plus ``bracket``; ``model_id`` is
        ``"bracket={b}-{i}"``.
    history_ : list of dict
        A record after every score (with ``bracket``), in the order they arrived.
    model_history_ : dict
        The records of ``history_`` by ``model_id``.
    best_estimator_, best_score_, best_index_, best_params_ : object
        The model with the highest validation score among the brackets' survivors, its score,
        row and parameters.
    scorer_, n_splits_, multimetric_ : object
        The scorer, 1, False.

    Notes
    -----
    To choose ``max_iter`` and the block size, guess how many examples the best model must see
    (``n_examples``, e.g. ``10 * len(X)`` for 10 epochs) and how many candidates to try
    (``n_params``); then use blocks of ``n_examples / n_params`` rows and
    ``max_iter = n_params``. Hyperband samples somewhat more candidates than ``n_params``.

    Differences from dask-ml: the brackets share one held-out set (dask-ml split the data once
    per bracket, so the brackets' scores were not comparable); the number of brackets uses an
    exact integer logarithm; it also runs without a ``distributed`` client (threads here), and
    a candidate that raises is dropped with a warning.

    References
    ----------
    .. [1] L. Li, K. Jamieson, G. DeSalvo, A. Rostamizadeh and A. Talwalkar, "Hyperband: A novel
       bandit-based approach to hyperparameter optimization", JMLR 18 (2018).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import SGDClassifier
    >>> from dasklearn.datasets import make_classification
    >>> from dasklearn.model_selection import HyperbandSearchCV
    >>> X, y = make_classification(n_samples=400, n_features=5, chunks=50, random_state=0)
    >>> search = HyperbandSearchCV(SGDClassifier(random_state=0),
    ...                            {"alpha": np.logspace(-4, 0, 100)},
    ...                            max_iter=9, random_state=0)
    >>> search.metadata["n_models"], search.metadata["partial_fit_calls"]
    (17, 69)
    >>> search = search.fit(X, y, classes=[0, 1])
    >>> search.metadata_["partial_fit_calls"]
    69
    """

    _parameter_constraints = {
        **BaseIncrementalSearchCV._parameter_constraints,
        "aggressiveness": [Interval(Real, 1, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        estimator: Any,
        parameters: dict[str, Any] | list[dict[str, Any]],
        max_iter: int = 81,
        aggressiveness: float = 3,
        patience: int | bool = False,
        tol: float | None = 1e-3,
        test_size: float | None = None,
        random_state: Any = None,
        scoring: Any = None,
        verbose: bool | float = False,
        prefix: str = "",
        predict_meta: Any = None,
        predict_proba_meta: Any = None,
        transform_meta: Any = None,
    ) -> None:
        self.aggressiveness = aggressiveness
        super().__init__(
            estimator,
            parameters,
            max_iter=max_iter,
            patience=patience,
            tol=tol,
            test_size=test_size,
            random_state=random_state,
            scoring=scoring,
            verbose=verbose,
            prefix=prefix,
            predict_meta=predict_meta,
            predict_proba_meta=predict_proba_meta,
            transform_meta=transform_meta,
        )

    def _get_SHAs(self, consume: bool = True) -> dict[int, SuccessiveHalvingSearchCV]:  # noqa: N802
        """The brackets as successive-halving searches, most adaptive first.

        Bracket 0 uses ``random_state`` itself and bracket ``b`` a seed drawn from it plus
        ``b`` (dask-ml's rule: bracket 0 samples the candidates a random search with the same
        ``random_state`` would). ``consume=False`` leaves a RandomState instance untouched.
        """
        patience = _get_patience(self.patience, self.max_iter, self.aggressiveness, self.tol)
        state = self.random_state
        if not consume and isinstance(state, np.random.RandomState):
            state = copy.deepcopy(state)
        seed_start = int(check_random_state(state).randint(2**31))
        brackets = _get_hyperband_params(self.max_iter, eta=self.aggressiveness)
        return {
            b: SuccessiveHalvingSearchCV(
                self.estimator,
                self.parameters,
                n_initial_parameters=n,
                n_initial_iter=r,
                max_iter=self.max_iter,
                aggressiveness=self.aggressiveness,
                test_size=self.test_size,
                patience=patience,
                tol=self.tol,
                random_state=seed_start + b if b != 0 else self.random_state,
                scoring=self.scoring,
                verbose=self.verbose,
                prefix=f"{self.prefix}, bracket={b}",
                predict_meta=self.predict_meta,
                predict_proba_meta=self.predict_proba_meta,
                transform_meta=self.transform_meta,
            )
            for b, (n, r) in brackets.items()
        }

    def _searches(self) -> list[Search]:
        shas = self._get_SHAs()
        return [
            sha._search(ids=lambda i, b=b: f"bracket={b}-{i}", extra={"bracket": b})
            for b, sha in shas.items()
        ]

    def _store(self, searches: list[Search], history: list[dict], best: Any) -> None:
        candidates = [c for s in searches for c in s.candidates]
        results = cv_results(candidates)
        results["bracket"] = np.array([s.extra["bracket"] for s in searches for _ in s.candidates])
        self.cv_results_ = results
        self.history_ = history
        self.model_history_ = {c.model_id: c.records for c in candidates if c.records}
        self.best_index_ = int(candidates.index(best))
        self.best_score_ = float(results["test_score"][self.best_index_])
        self.best_params_ = best.params

    @staticmethod
    def _sha_params(sha: SuccessiveHalvingSearchCV) -> dict[str, Any]:
        params = sha.get_params(deep=False)
        return {k: v for k, v in params.items() if k not in ("estimator", "parameters")}

    @property
    def metadata(self) -> dict[str, Any]:
        """The work Hyperband will do, bracket by bracket, before it starts."""
        shas = self._get_SHAs(consume=False)
        brackets = []
        for b, sha in sorted(shas.items()):
            calls, decisions = simulate(sha._policy(patience=False), sha._n_candidates())
            if b != max(shas):
                decisions.discard(1)
            brackets.append(self._bracket(b, calls, decisions, sha))
        return self._summary(brackets)

    @property
    def metadata_(self) -> dict[str, Any]:
        """The work Hyperband did, bracket by bracket."""
        if "model_history_" not in self.__dict__:
            raise AttributeError("HyperbandSearchCV is not fitted: no metadata_ yet.")
        with warnings.catch_warnings():  # about patience: said once, by fit
            warnings.simplefilter("ignore")
            shas = self._get_SHAs(consume=False)
        ids, calls = self.cv_results_["bracket"], self.cv_results_["partial_fit_calls"]
        brackets = []
        for b in sorted(shas):
            decisions = {h["partial_fit_calls"] for h in self.history_ if h["bracket"] == b}
            if b != max(shas):
                decisions.discard(1)
            brackets.append(self._bracket(b, list(calls[ids == b]), decisions, shas[b]))
        return self._summary(brackets)

    def _bracket(self, b: int, calls: list, decisions: set, sha: Any) -> dict[str, Any]:
        return {
            "bracket": int(b),
            "n_models": len(calls),
            "partial_fit_calls": int(sum(calls)),
            "decisions": sorted(int(d) for d in decisions),
            "SuccessiveHalvingSearchCV params": self._sha_params(sha),
        }

    @staticmethod
    def _summary(brackets: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "n_models": sum(b["n_models"] for b in brackets),
            "partial_fit_calls": sum(b["partial_fit_calls"] for b in brackets),
            "brackets": brackets,
        }
