"""SuccessiveHalvingSearchCV: train many models briefly, keep the best fraction longer, repeat.

Jamieson and Talwalkar (2016). After its first score every model has ``r`` calls to
``partial_fit``; then the best ``n / eta`` get ``r * eta`` calls, the best ``n / eta**2`` get
``r * eta**2``, and so on until one model is left (``eta`` is ``aggressiveness``). The number of
calls each model gets depends on time only, not on the scores, so ``metadata`` knows the work
before it starts. The rounds run as every adaptive search's (:mod:`._adaptive`).
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

from .._params import Interval, Options
from ._adaptive import top
from ._incremental import BaseIncrementalSearchCV, IncrementalSearchCV

__all__ = ["SuccessiveHalvingSearchCV"]


def _steps_with_models(n: int, eta: float) -> int:
    """The last step ``k`` at which ``floor(n * eta**-k)`` is still at least 1."""
    k = 0
    while math.floor(n * eta ** -(k + 1) + 1e-9) >= 1:
        k += 1
    return k


class _Halving:
    """The successive-halving rule for one fit: step ``k`` keeps the best ``floor(n * eta**-k)``
    models and trains them up to ``round(r * eta**k)`` calls in all."""

    def __init__(self, n: int, r: int, eta: float) -> None:
        self.n, self.r, self.eta, self.step = n, r, eta, 0

    def __call__(self, info: dict) -> dict[Any, int]:
        calls = {k: v[-1]["partial_fit_calls"] for k, v in info.items()}
        while True:
            n_i = math.floor(self.n * self.eta**-self.step + 1e-9)
            r_i = round(self.r * self.eta**self.step)
            if n_i < 1:
                return dict.fromkeys(info, 0)  # done: the survivors stay candidates
            self.step += 1
            more = {k: max(0, r_i - calls[k]) for k in top(n_i, info)}
            if any(more.values()):
                return more
            # this step's calls are done already (the first call when r == 1): next step


class SuccessiveHalvingSearchCV(IncrementalSearchCV):
    """Successive halving: train all candidates a little, the best fraction longer, and so on.

    Every candidate gets ``n_initial_iter`` calls to ``partial_fit``; the best
    ``1 / aggressiveness`` of them are trained ``aggressiveness`` times longer, the others
    dropped; this repeats until fewer than ``aggressiveness`` candidates are left [1]_. Each
    call reads one row block where it lives; only scores come back to the client.

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        Cloned for each candidate.
    parameters : dict or list of dicts
        Parameter names and distributions (with ``rvs``) or lists of values to try.
    n_initial_parameters : int or "grid", default=10
        Candidates sampled (``"grid"``: the whole grid).
    n_initial_iter : int, optional
        Calls to ``partial_fit`` every candidate gets first. Default: so that the last
        candidate reaches ``max_iter`` (1 when ``max_iter`` is None too).
    max_iter : int, optional
        Most calls a model gets (None: as many as the halving gives).
    aggressiveness : float, default=3
        The factor of each step (``eta``): keep ``1 / aggressiveness``, train that much longer.
    test_size : float or int, optional
        The held-out data (default ``min(0.2, 1 / n_blocks)``); it must fit in one worker.
    patience : int or bool, default=False
        Stop a model whose score rose by at most ``tol`` over its last ``patience`` calls.
    tol : float or None, default=0.001
        The rise that counts as progress for ``patience``.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling, the split and the order of the blocks.
    scoring : str, callable or None, default=None
        A scorer name or callable; None: the estimator's ``score``.
    verbose : bool or float, default=False
        Log to stdout (True: every round; a float: that fraction of the rounds).
    prefix : str, default=""
        Put in every log message.
    predict_meta, predict_proba_meta, transform_meta : optional
        Empty examples of the outputs of ``best_estimator_``.

    Attributes
    ----------
    metadata, metadata_ : dict
        ``n_models``, ``partial_fit_calls`` (all models together) and ``max_iter`` (the most
        calls of one model): of the work before it starts (``metadata``) and of the work done
        (``metadata_``; less with ``patience``).
    cv_results_, history_, model_history_ : dict or list
        As :class:`IncrementalSearchCV`.
    best_estimator_, best_score_, best_index_, best_params_ : object
        The surviving model with the highest last score, its score, row and parameters.
    scorer_, n_splits_, multimetric_ : object
        The scorer, 1, False.

    References
    ----------
    .. [1] K. Jamieson and A. Talwalkar, "Non-stochastic best arm identification and
       hyperparameter optimization", 2016. https://arxiv.org/abs/1502.07943

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import SGDClassifier
    >>> from dasklearn.datasets import make_classification
    >>> from dasklearn.model_selection import SuccessiveHalvingSearchCV
    >>> X, y = make_classification(n_samples=400, n_features=5, chunks=50, random_state=0)
    >>> search = SuccessiveHalvingSearchCV(SGDClassifier(random_state=0),
    ...                                    {"alpha": np.logspace(-4, 0, 10)},
    ...                                    n_initial_parameters=9, n_initial_iter=1,
    ...                                    random_state=0)
    >>> search.metadata
    {'n_models': 9, 'partial_fit_calls': 21, 'max_iter': 9}
    >>> search.fit(X, y, classes=[0, 1]).metadata_ == search.metadata
    True
    """

    _parameter_constraints = {
        **BaseIncrementalSearchCV._parameter_constraints,
        "n_initial_parameters": [Interval(Integral, 1, None, closed="left"), Options({"grid"})],
        "n_initial_iter": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "aggressiveness": [Interval(Real, 1, None, closed="neither")],
    }

    def __init__(
        self,
        estimator: Any,
        parameters: dict[str, Any] | list[dict[str, Any]],
        n_initial_parameters: int | str = 10,
        n_initial_iter: int | None = None,
        max_iter: int | None = None,
        aggressiveness: float = 3,
        test_size: float | None = None,
        patience: int | bool = False,
        tol: float | None = 1e-3,
        random_state: Any = None,
        scoring: Any = None,
        verbose: bool | float = False,
        prefix: str = "",
        predict_meta: Any = None,
        predict_proba_meta: Any = None,
        transform_meta: Any = None,
    ) -> None:
        self.n_initial_iter = n_initial_iter
        self.aggressiveness = aggressiveness
        super().__init__(
            estimator,
            parameters,
            n_initial_parameters=n_initial_parameters,
            max_iter=max_iter,
            test_size=test_size,
            patience=patience,
            tol=tol,
            random_state=random_state,
            scoring=scoring,
            verbose=verbose,
            prefix=prefix,
            decay_rate=None,
            predict_meta=predict_meta,
            predict_proba_meta=predict_proba_meta,
            transform_meta=transform_meta,
        )

    def _n_initial_iter(self, n: int) -> int:
        if self.n_initial_iter is not None:
            return int(self.n_initial_iter)
        if self.max_iter is None:
            return 1
        steps = _steps_with_models(n, self.aggressiveness)
        return max(1, math.floor(self.max_iter / self.aggressiveness**steps + 1e-9))

    def _adapt_rule(self) -> _Halving:
        n = (
            self._n_candidates()
            if self.n_initial_parameters == "grid"
            else (int(self.n_initial_parameters))
        )
        return _Halving(n, self._n_initial_iter(n), self.aggressiveness)
