"""GridSearchCV and RandomizedSearchCV: dask-ml's signatures, scikit-learn's interface.

Both are :class:`~._base.DaskBaseSearchCV` with their own candidates: every setting of a
parameter grid, or ``n_iter`` draws of scikit-learn's ``ParameterSampler``.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

from sklearn import model_selection as ms

from .._params import Interval
from ._base import DaskBaseSearchCV

__all__ = ["GridSearchCV", "RandomizedSearchCV"]


_PARAMS_DOC = """
    scoring : str, callable, list, tuple, set, dict or None, default=None
        How candidates are scored on the held-out fold: a scorer name (dasklearn's one-pass
        scorers for dask folds, scikit-learn's for in-memory ones), a ``scorer(estimator, X,
        y)`` callable, several names (a list) or a dict of names or callables for several
        metrics, or None for the estimator's ``score``.
    iid : bool, default=True
        Weight each fold's test score by its number of test rows in the mean and standard
        deviation (dask-ml's default; scikit-learn's searches use the plain mean, ``False``).
    refit : bool, str or callable, default=True
        Refit the best candidate on all the data as ``best_estimator_``; for several metrics
        the name of the one that picks the best, or ``refit(cv_results_) -> index``.
    cv : int, cross-validation generator, iterable or None, default=None
        None means 3 folds (dask-ml's default); an int is a number of (stratified, for a
        classifier) folds. Dask input too large for memory needs None, an int, or dasklearn's
        :class:`KFold` / :class:`ShuffleSplit` (folds made of row blocks).
    error_score : 'raise' or float, default='raise'
        The score of a candidate whose fit fails on a fold (with a warning); 'raise' raises.
    return_train_score : bool, default=False
        Also score each candidate on its training data.
    scheduler : None, str, distributed.Client or callable, default=None
        Where the work runs: None for the active distributed client (else local threads),
        'threads', 'synchronous', or a ``distributed.Client``.
    n_jobs : int, default=-1
        Threads for the local scheduler (-1: all cores; -2: all but one). Ignored on a cluster.
    cache_cv : bool, default=True
        Extract each fold's training and test data once per fold (kept on the workers while
        needed) rather than in every task that needs it.
    verbose : int, default=0
        Print the number of fits (and the distinct ones) when positive. A progress bar shows
        on a terminal's stderr whatever its value.
"""

_ATTRIBUTES_DOC = """
    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        scikit-learn's ``cv_results_``: ``params``, ``param_<name>``, ``split<k>_test_<metric>``,
        ``mean_``/``std_``/``rank_test_<metric>`` (``score`` for a single metric), train scores
        with ``return_train_score``, ``mean_fit_time`` (the whole pipeline's fit, shared steps
        included), ``std_fit_time``, ``mean_score_time``, ``std_score_time``.
    best_estimator_ : estimator
        The best candidate refitted on all the data (with ``refit``).
    best_score_ : float
        Mean test score of the best candidate (not with a callable ``refit``).
    best_params_ : dict
        Parameters of the best candidate.
    best_index_ : int
        Index of the best candidate in ``cv_results_``.
    scorer_ : callable or dict
        The scorer, or a dict of scorers for several metrics.
    multimetric_ : bool
        Whether several metrics were scored.
    n_splits_ : int
        Number of cross-validation splits.
    refit_time_ : float
        Seconds to refit the best candidate.
"""


class GridSearchCV(DaskBaseSearchCV):
    __doc__ = (
        """Exhaustive search over a grid of parameters, sharing work between candidates.

    Each step of a :class:`~sklearn.pipeline.Pipeline` is fitted once per fold for each
    distinct setting of its own and earlier parameters (a grid of 3 PCA x 30 classifier
    settings fits the scaler once, the PCA 3 times and the classifier 90 times per fold), the
    data are sent to the workers once, and the work is submitted in batches as workers free up,
    so that large grids keep the task graph and the client's memory small.

    Parameters
    ----------
    estimator : estimator
        A scikit-learn (or dasklearn) estimator or Pipeline.
    param_grid : dict or list of dicts
        Parameter names (``step__param`` for a pipeline) mapped to lists of values to try.
"""
        + _PARAMS_DOC
        + _ATTRIBUTES_DOC
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from dasklearn.model_selection import GridSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = GridSearchCV(SVC(), {"kernel": ["linear", "rbf"], "C": [1, 10]}, n_jobs=1)
    >>> search = search.fit(X, y)
    >>> search.best_params_
    {'C': 1, 'kernel': 'linear'}
    >>> sorted(search.cv_results_)[:4]
    ['mean_fit_time', 'mean_score_time', 'mean_test_score', 'param_C']
    """
    )

    _parameter_constraints = {
        **DaskBaseSearchCV._parameter_constraints,
        "param_grid": [dict, list],
    }

    def __init__(
        self,
        estimator: Any,
        param_grid: Any,
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
        super().__init__(
            estimator,
            scoring,
            iid,
            refit,
            cv,
            error_score,
            return_train_score,
            scheduler,
            n_jobs,
            cache_cv,
            verbose,
        )
        self.param_grid = param_grid

    def _get_param_iterator(self) -> Any:
        return ms.ParameterGrid(self.param_grid)


class RandomizedSearchCV(DaskBaseSearchCV):
    __doc__ = (
        """Search over parameters sampled from distributions, sharing work between candidates.

    ``n_iter`` candidates are drawn by :class:`~sklearn.model_selection.ParameterSampler` (the
    same candidates as scikit-learn's ``RandomizedSearchCV`` with the same ``random_state``) and
    searched as :class:`GridSearchCV` searches its grid.

    Parameters
    ----------
    estimator : estimator
        A scikit-learn (or dasklearn) estimator or Pipeline.
    param_distributions : dict or list of dicts
        Parameter names mapped to distributions (with ``rvs``) or lists to sample from.
    n_iter : int, default=10
        Number of candidates sampled.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling of candidates.
"""
        + _PARAMS_DOC
        + _ATTRIBUTES_DOC
        + """
    Examples
    --------
    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from dasklearn.model_selection import RandomizedSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = RandomizedSearchCV(LogisticRegression(max_iter=500),
    ...                             {"C": loguniform(1e-2, 1e2)}, n_iter=4, random_state=0,
    ...                             n_jobs=1).fit(X, y)
    >>> len(search.cv_results_["params"]), search.best_score_ > 0.9
    (4, True)
    """
    )

    _parameter_constraints = {
        **DaskBaseSearchCV._parameter_constraints,
        "param_distributions": [dict, list],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator: Any,
        param_distributions: Any,
        n_iter: int = 10,
        random_state: Any = None,
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
        super().__init__(
            estimator,
            scoring,
            iid,
            refit,
            cv,
            error_score,
            return_train_score,
            scheduler,
            n_jobs,
            cache_cv,
            verbose,
        )
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.random_state = random_state

    def _get_param_iterator(self) -> Any:
        return ms.ParameterSampler(
            self.param_distributions, self.n_iter, random_state=self.random_state
        )
