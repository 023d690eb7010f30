"""SuccessiveHalvingSearchCV: the work of the halving, known before it starts."""

from __future__ import annotations

import math
import sys

import cloudpickle
import numpy as np
import pytest
import scipy.stats
from sklearn.base import BaseEstimator
from sklearn.linear_model import SGDClassifier

from dasklearn.datasets import make_classification
from dasklearn.model_selection._successive_halving import SuccessiveHalvingSearchCV

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/


class ConstantFunction(BaseEstimator):
    """Scores ``value`` whatever it learned (dask-ml's test model)."""

    def __init__(self, value=0.0):
        self.value = value

    def partial_fit(self, X, y=None, **kwargs):
        return self

    def score(self, X, y=None):
        return self.value


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=400, n_features=4, chunks=100, random_state=0)


def halving_calls(n, r, eta, max_iter=None):
    """Jamieson and Talwalkar's halving, written out: the calls of every model (each model is
    scored after its first call, so it has at least one)."""
    calls, kept, step = [1] * n, list(range(n)), 0
    while True:
        n_i = math.floor(n * eta**-step + 1e-9)
        if n_i < 1:
            return sorted(calls)
        r_i = round(r * eta**step)
        if max_iter:
            r_i = min(r_i, max_iter)
        kept = kept[:n_i]
        for m in kept:
            calls[m] = max(calls[m], r_i)
        step += 1


@pytest.mark.parametrize(
    ("n", "r", "eta", "max_iter"),
    [
        (9, 1, 3, None),
        (10, 1, 3, None),
        (27, 3, 3, None),
        (81, 1, 3, 27),
        (20, 2, 2, None),
        (10, 5, 3, 8),
        (5, 1, 1.5, None),
    ],
)
def test_every_model_gets_the_calls_metadata_promised(n, r, eta, max_iter, data):
    X, y = data
    values = np.random.RandomState(0).rand(500)
    search = SuccessiveHalvingSearchCV(
        ConstantFunction(),
        {"value": values},
        n_initial_parameters=n,
        n_initial_iter=r,
        aggressiveness=eta,
        max_iter=max_iter,
        random_state=0,
    )
    promised = search.metadata
    search.fit(X, y)
    assert search.metadata_ == promised
    assert sorted(search.cv_results_["partial_fit_calls"]) == halving_calls(n, r, eta, max_iter)
    assert promised["n_models"] == n
    # the highest constant survives every cut
    assert search.best_score_ == max(search.cv_results_["test_score"])


@pytest.mark.parametrize(
    ("n", "max_iter", "r"), [(9, 27, 3), (27, 27, 1), (10, 81, 9), (9, None, 1)]
)
def test_n_initial_iter_by_default_brings_the_last_model_to_max_iter(n, max_iter, r):
    search = SuccessiveHalvingSearchCV(
        ConstantFunction(),
        {"value": scipy.stats.uniform()},
        n_initial_parameters=n,
        max_iter=max_iter,
    )
    assert search._adapt_rule().r == r
    if max_iter is not None:
        assert search.metadata["max_iter"] == max_iter


def test_sgd_search_on_the_cluster(client):
    # dask-ml's test_basic_successive_halving
    X, y = make_classification(n_samples=600, n_features=5, chunks=100, random_state=0)
    search = SuccessiveHalvingSearchCV(
        SGDClassifier(random_state=0), {"alpha": np.logspace(-3, 0, num=1000)}, 9, 1, random_state=0
    )
    search.fit(X, y, classes=[0, 1])
    assert search.best_score_ > 0
    assert isinstance(search.best_estimator_, SGDClassifier)
    assert (
        search.metadata_
        == search.metadata
        == {"n_models": 9, "partial_fit_calls": 21, "max_iter": 9}
    )
    counts = {c: sum(search.cv_results_["partial_fit_calls"] == c) for c in (1, 3, 9)}
    assert counts == {1: 6, 3: 2, 9: 1}


def test_patience_and_tol(data):
    X, y = data
    search = SuccessiveHalvingSearchCV(
        ConstantFunction(),
        {"value": scipy.stats.uniform()},
        n_initial_parameters=27,
        n_initial_iter=3,
        patience=4,
        tol=0,
        random_state=0,
    ).fit(X, y)
    assert search.metadata_["partial_fit_calls"] < search.metadata["partial_fit_calls"]
    assert max(search.cv_results_["partial_fit_calls"]) <= 3 + 4
