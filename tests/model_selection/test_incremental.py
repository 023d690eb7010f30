"""IncrementalSearchCV and InverseDecaySearchCV (and the adaptive machinery they share).

Behaviour as dask-ml documents it (history_, model_history_, cv_results_, the number of
partial_fit calls), the same search on threads and on the cluster, patience/tol, failures,
input kinds, and dasklearn's own partial_fit estimators.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import pickle
import sys
import time

import cloudpickle
import dask
import dask.array as da
import numpy as np
import pandas as pd
import pytest
from distributed.diagnostics.plugin import SchedulerPlugin
from scipy.stats import uniform
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import ParameterGrid

import dasklearn.model_selection._adaptive as adaptive
import dasklearn.model_selection._adaptive_work as adaptive_work
from dasklearn.datasets import make_classification
from dasklearn.exceptions import InvalidParameterError
from dasklearn.model_selection._incremental import IncrementalSearchCV, InverseDecaySearchCV
from dasklearn.naive_bayes import GaussianNB
from dasklearn.wrappers import Incremental

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/

RECORD_KEYS = {
    "model_id",
    "params",
    "partial_fit_calls",
    "partial_fit_time",
    "score",
    "score_time",
    "elapsed_wall_time",
}
CV_KEYS = {
    "mean_partial_fit_time",
    "mean_score_time",
    "std_partial_fit_time",
    "std_score_time",
    "test_score",
    "rank_test_score",
    "model_id",
    "params",
    "partial_fit_calls",
}


class ConstantFunction(BaseEstimator):
    """Scores ``value`` whatever it learned (dask-ml's test model)."""

    def __init__(self, value=0.0):
        self.value = value

    def partial_fit(self, X, y=None, **kwargs):
        self.calls_ = getattr(self, "calls_", 0) + 1
        return self

    def score(self, X, y=None):
        return self.value


class LinearFunction(BaseEstimator):
    """Scores ``slope`` times its number of partial_fit calls."""

    def __init__(self, slope=1.0, foo=0):
        self.slope = slope
        self.foo = foo

    def partial_fit(self, X, y=None, **kwargs):
        self.calls_ = getattr(self, "calls_", 0) + 1
        return self

    def score(self, X, y=None):
        return self.slope * self.calls_


class Breaks(ClassifierMixin, BaseEstimator):
    """An SGD classifier whose ``fail_at``-th partial_fit call raises."""

    def __init__(self, alpha=1e-4, fail_at=None):
        self.alpha = alpha
        self.fail_at = fail_at

    def partial_fit(self, X, y, classes=None):
        self.calls_ = getattr(self, "calls_", 0) + 1
        if self.fail_at is not None and self.calls_ >= self.fail_at:
            raise RuntimeError(f"broken at call {self.calls_}")
        if not hasattr(self, "model_"):
            self.model_ = SGDClassifier(alpha=self.alpha, random_state=0)
        self.model_.partial_fit(X, y, classes=classes)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


def assert_nothing_left(client, timeout=10.0):
    """No future of the search is held once fit returns (releases reach the client's event
    loop a moment later)."""
    gc.collect()
    deadline = time.monotonic() + timeout
    while client.futures and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not client.futures


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=600, n_features=5, chunks=100, random_state=0)


def sgd_search(cls=IncrementalSearchCV, **kwargs):
    params = {"alpha": np.logspace(-4, 0, 20), "penalty": ["l2", "l1"]}
    kwargs = {"n_initial_parameters": 4, "max_iter": 5, "random_state": 0, **kwargs}
    return cls(SGDClassifier(random_state=0), params, **kwargs)


@pytest.mark.slow
def test_history_cv_results_and_calls_as_dask_ml_documents(client, data):
    X, y = data
    search = sgd_search().fit(X, y, classes=[0, 1])

    assert set(search.cv_results_) == CV_KEYS | {"param_alpha", "param_penalty"}
    assert all(isinstance(v, np.ndarray) and len(v) == 4 for v in search.cv_results_.values())
    assert list(search.cv_results_["model_id"]) == [0, 1, 2, 3]
    assert sorted(search.model_history_) == [0, 1, 2, 3]
    for model_id, records in search.model_history_.items():
        assert all(set(r) == RECORD_KEYS for r in records)
        assert [r["partial_fit_calls"] for r in records] == [1, 2, 3, 4, 5]
        assert all(r["model_id"] == model_id for r in records)
    assert len(search.history_) == 20
    times = [r["elapsed_wall_time"] for r in search.history_]
    assert times == sorted(times)

    # every model got what metadata promised before the search started
    assert search.metadata == {"n_models": 4, "partial_fit_calls": 20, "max_iter": 5}
    assert search.metadata_ == search.metadata
    assert list(search.cv_results_["partial_fit_calls"]) == [5] * 4

    best = search.best_index_
    scores = search.cv_results_["test_score"]
    assert search.best_score_ == scores[best] == scores.max()
    assert search.cv_results_["rank_test_score"][best] == 1
    assert search.best_params_ == search.cv_results_["params"][best]
    assert search.best_score_ == search.model_history_[best][-1]["score"]
    assert isinstance(search.best_estimator_, SGDClassifier)
    assert search.best_estimator_.alpha == search.best_params_["alpha"]
    assert search.n_splits_ == 1 and search.multimetric_ is False

    # post-fit methods: blockwise and lazy for dask input, through best_estimator_
    assert isinstance(search.predict(X), da.Array)
    assert search.predict_proba(X).shape == (600, 2) if hasattr(search, "predict_proba") else 1
    Xc, yc = dask.compute(X, y)
    np.testing.assert_array_equal(search.predict(X).compute(), search.best_estimator_.predict(Xc))
    assert search.score(X, y) == pytest.approx(search.best_estimator_.score(Xc, yc), abs=1e-12)
    assert search.classes_.tolist() == [0, 1]
    assert pickle.loads(pickle.dumps(search)).best_params_ == search.best_params_
    assert_nothing_left(client)


@pytest.mark.slow
def test_the_same_search_on_threads_and_on_the_cluster(client, data):
    X, y = data
    on_cluster = sgd_search().fit(X, y, classes=[0, 1])
    with dask.config.set(scheduler="threads"):
        on_threads = sgd_search().fit(X, y, classes=[0, 1])
    again = sgd_search().fit(X, y, classes=[0, 1])
    for other in (on_threads, again):
        np.testing.assert_array_equal(
            other.cv_results_["test_score"], on_cluster.cv_results_["test_score"]
        )
        assert list(other.cv_results_["params"]) == list(on_cluster.cv_results_["params"])
        assert other.best_params_ == on_cluster.best_params_
        np.testing.assert_array_equal(other.best_estimator_.coef_, on_cluster.best_estimator_.coef_)


@pytest.mark.parametrize(("n", "decay_rate"), [(10, 1.0), (20, 1.0), (20, 0.5), (9, 2.0)])
def test_inverse_decay_does_the_promised_work(n, decay_rate, data):
    X, y = data
    params = {"value": uniform(0, 1)}
    search = InverseDecaySearchCV(
        ConstantFunction(), params, n_initial_parameters=n, decay_rate=decay_rate, random_state=0
    )
    promised = search.metadata
    search.fit(X, y)
    assert search.metadata_ == promised
    assert promised["n_models"] == n
    # the best model survives: it is the highest constant
    assert search.best_score_ == max(search.cv_results_["test_score"])


def test_inverse_decay_drops_models_as_time_goes_on(data):
    X, y = data
    search = InverseDecaySearchCV(
        LinearFunction(), {"foo": range(40)}, n_initial_parameters=20, max_iter=10, random_state=0
    ).fit(X, y)
    calls = search.cv_results_["partial_fit_calls"]
    assert calls.max() > calls.min() >= 1
    counts = pd.DataFrame(search.history_).groupby("partial_fit_calls").size()
    assert counts.is_monotonic_decreasing


def test_patience_stops_on_a_plateau(data):
    # dask-ml's test: constant scores plateau after `patience` calls
    X, y = data
    values = np.random.RandomState(0).rand(10)
    search = IncrementalSearchCV(
        ConstantFunction(),
        {"value": values},
        n_initial_parameters=10,
        patience=5,
        tol=0,
        max_iter=10,
        random_state=0,
    ).fit(X, y)
    assert pd.DataFrame(search.history_).partial_fit_calls.max() == 5
    assert search.best_score_ == values.max() == search.best_estimator_.value
    assert search.metadata_["partial_fit_calls"] == 50 < search.metadata["partial_fit_calls"]


@pytest.mark.parametrize(("tol", "calls"), [(1, 10), (4, 3)])
def test_tol_decides_what_counts_as_progress(tol, calls, data):
    # the score rises by 1 a call: 3 calls rise by 2, more than tol=1, less than tol=4
    X, y = data
    search = IncrementalSearchCV(
        LinearFunction(),
        {"foo": np.arange(5)},
        n_initial_parameters=5,
        patience=3,
        tol=tol,
        max_iter=10,
        random_state=0,
    ).fit(X, y)
    assert set(search.cv_results_["partial_fit_calls"]) == {calls}


def test_fits_per_score_and_max_iter(data):
    X, y = data
    search = IncrementalSearchCV(
        LinearFunction(),
        {"foo": [0, 1]},
        n_initial_parameters="grid",
        fits_per_score=4,
        max_iter=10,
    ).fit(X, y)
    calls = [r["partial_fit_calls"] for r in search.model_history_[0]]
    assert calls == [1, 5, 9, 10]  # never past max_iter
    assert (
        search.metadata
        == search.metadata_
        == {"n_models": 2, "partial_fit_calls": 20, "max_iter": 10}
    )


def test_grid(data):
    X, y = data
    params = {"alpha": [1e-4, 1e-2, 1.0], "penalty": ["l2", "l1"]}
    search = IncrementalSearchCV(
        SGDClassifier(random_state=0), params, n_initial_parameters="grid", max_iter=2
    ).fit(X, y, classes=[0, 1])
    assert {frozenset(d["params"].items()) for d in search.history_} == {
        frozenset(d.items()) for d in ParameterGrid(params)
    }


@pytest.mark.parametrize("on", ["threads", "cluster"])
def test_a_candidate_that_raises_is_dropped_and_the_others_go_on(on, request, data):
    X, y = data
    if on == "cluster":
        request.getfixturevalue("client")
    params = [{"alpha": [1e-3, 1e-2], "fail_at": [None]}, {"alpha": [1e-3], "fail_at": [1, 3]}]
    search = IncrementalSearchCV(
        Breaks(), params, n_initial_parameters="grid", max_iter=5, random_state=0
    )
    with dask.config.set(scheduler="threads") if on == "threads" else contextlib.nullcontext():
        with pytest.warns(FitFailedWarning, match="2 of the 4 candidates failed.*broken at call"):
            search.fit(X, y, classes=[0, 1])
    results = search.cv_results_
    failed = np.array([p["fail_at"] is not None for p in results["params"]])
    assert np.isnan(results["test_score"][failed]).all()
    assert np.isfinite(results["test_score"][~failed]).all()
    assert list(results["partial_fit_calls"]) == [5, 5, 0, 2]
    assert list(results["rank_test_score"][failed]) == [3, 3]
    assert search.best_params_["fail_at"] is None
    assert len(search.model_history_[3]) == 2 and 2 not in search.model_history_

    all_fail = IncrementalSearchCV(Breaks(), {"fail_at": [1, 2]}, n_initial_parameters="grid")
    with pytest.raises(ValueError, match="All the 2 candidates failed.*broken at call"):
        all_fail.fit(X, y, classes=[0, 1])


def test_input_kinds(as_kind, data):
    X, y = dask.compute(*data)
    searches = {}
    for kind in ("numpy", "pandas", "dask_dataframe"):
        Xk, yk = as_kind(kind, X, y, chunks=100)
        searches[kind] = search = sgd_search().fit(Xk, yk, classes=[0, 1])
        assert search.metadata_ == search.metadata
        assert search.best_score_ > 0.5
    # pandas is NumPy with names: the same blocks, the same search
    np.testing.assert_array_equal(
        searches["pandas"].cv_results_["test_score"], searches["numpy"].cv_results_["test_score"]
    )


def test_dasklearn_partial_fit_estimators_on_the_cluster(client, data):
    X, y = data
    wrapped = IncrementalSearchCV(
        Incremental(SGDClassifier(random_state=0)),
        {"estimator__alpha": np.logspace(-4, 0, 9)},
        n_initial_parameters=3,
        max_iter=3,
        random_state=0,
    ).fit(X, y, classes=[0, 1])
    assert isinstance(wrapped.best_estimator_, Incremental)
    assert wrapped.metadata_ == wrapped.metadata
    assert isinstance(wrapped.predict(X), da.Array)

    nb = InverseDecaySearchCV(
        GaussianNB(),
        {"var_smoothing": np.logspace(-9, 0, 10)},
        n_initial_parameters=6,
        random_state=0,
    ).fit(X, y, classes=[0, 1])
    assert isinstance(nb.best_estimator_, GaussianNB)
    assert nb.metadata_ == nb.metadata
    assert nb.best_score_ > 0.5


@pytest.mark.slow
def test_streamed_training_blocks_give_the_same_search(client, data, monkeypatch):
    X, y = data
    persisted = sgd_search().fit(X, y, classes=[0, 1])
    monkeypatch.setattr(adaptive, "persist_if_fits", lambda *a: (dask.optimize(*a), False))
    streamed = sgd_search().fit(X, y, classes=[0, 1])
    np.testing.assert_array_equal(
        streamed.cv_results_["test_score"], persisted.cv_results_["test_score"]
    )
    assert_nothing_left(client)


def test_partial_fit_is_sent_where_its_block_lives(client):
    """Every partial_fit task is first sent to a worker that holds its block of X (the model
    travels, not the block). Work stealing may later move a task to an idle worker when
    moving the block costs less than waiting: that is the scheduler's call, not counted here."""
    X, y = make_classification(n_samples=12_000, n_features=50, chunks=2_000, random_state=0)
    started = {}

    class Placement(SchedulerPlugin):
        def transition(self, key, start, finish, *args, **kwargs):
            if finish == "processing" and str(key).startswith("partial_fit"):
                ts = scheduler.tasks[key]
                # X's block (key (name, i, 0)); y's small block may live elsewhere and travel
                (block,) = [d for d in ts.dependencies if len(d.key) == 3]
                started.setdefault(key, ts.processing_on in block.who_has)

    scheduler = client.cluster.scheduler if hasattr(client, "cluster") else None
    if scheduler is None:
        pytest.skip("the scheduler is not in this process")
    plugin = Placement()
    scheduler.add_plugin(plugin, name="placement-test")
    try:
        sgd_search(n_initial_parameters=4, max_iter=4).fit(X, y, classes=[0, 1])
    finally:
        scheduler.remove_plugin(name="placement-test")
    assert len(started) == 16
    assert all(started.values())


def test_parameters_are_checked_before_any_work(data):
    X, y = data
    with pytest.raises(InvalidParameterError, match="always detect a plateau"):
        IncrementalSearchCV(ConstantFunction(), {"value": [1]}, patience=1).fit(X, y)
    with pytest.raises(InvalidParameterError, match="estimator must have partial_fit"):
        from sklearn.svm import SVC

        IncrementalSearchCV(SVC(), {"C": [1.0]}).fit(X, y)
    with pytest.raises(InvalidParameterError, match="one score"):
        sgd_search(scoring=["accuracy", "neg_log_loss"]).fit(X, y, classes=[0, 1])
    with pytest.raises(InvalidParameterError, match="max_iter"):
        sgd_search(max_iter=0).fit(X, y)
    with pytest.raises(InvalidParameterError, match="Specify fits_per_score"):
        sgd_search(fits_per_score=2, scores_per_fit=3).fit(X, y)
    with pytest.warns(FutureWarning, match="decay_rate=1.0 is ignored"):
        IncrementalSearchCV(
            ConstantFunction(), {"value": [1, 2]}, "grid", decay_rate=1.0, max_iter=2
        ).fit(X, y)
    with pytest.raises(Exception, match="not fitted"):
        sgd_search().predict(X)


def test_scoring_and_verbose_logs(data, capsys):
    X, y = data
    search = sgd_search(
        scoring="neg_log_loss",
        verbose=True,
        prefix="-test",
    ).set_params(estimator=SGDClassifier(loss="log_loss", random_state=0))
    search.fit(X, y, classes=[0, 1])
    assert (search.cv_results_["test_score"] < 0).all()
    out = capsys.readouterr().out
    assert "[CV-test] creating 4 models" in out
    assert "[CV-test] validation score of" in out
    logging.getLogger("dasklearn.model_selection").info("silent once fit is over")
    assert "silent" not in capsys.readouterr().out


def test_unsupervised_without_y_and_transform(data):
    # dask-ml's test_transform: MiniBatchKMeans scores -inertia; here without a target at all
    from sklearn.cluster import MiniBatchKMeans

    X, _ = data
    params = {"n_clusters": [3, 4, 5], "n_init": [1, 2]}
    search = IncrementalSearchCV(
        MiniBatchKMeans(random_state=0), params, n_initial_parameters="grid", max_iter=3
    ).fit(X)
    assert search.metadata_ == search.metadata
    assert (search.cv_results_["test_score"] < 0).all()
    assert search.transform(X).shape == (600, search.best_estimator_.n_clusters)


def test_a_models_calls_on_small_blocks_share_a_task(client, data):
    """Several calls between two scores on blocks of 100 rows: one task a round (before its
    score), not one a call (a task costs a scheduler round trip; the calls themselves are the
    same, in the same order)."""
    from distributed import get_task_stream

    X, y = data
    with get_task_stream(client) as stream:
        search = sgd_search(fits_per_score=5).fit(X, y, classes=[0, 1])
    keys = [str(t["key"]) for t in stream.data]
    fits = [k for k in keys if k.startswith("partial_fit")]
    scores = [k for k in keys if k.startswith("score")]
    assert list(search.cv_results_["partial_fit_calls"]) == [5] * 4
    assert len(fits) == len(scores) < 20  # 1 call, then 4 in one task, per model
    with dask.config.set(scheduler="threads"):
        on_threads = sgd_search(fits_per_score=5).fit(X, y, classes=[0, 1])
    np.testing.assert_array_equal(
        search.cv_results_["test_score"], on_threads.cv_results_["test_score"]
    )


def test_partial_fit_steps_is_one_call_after_another():
    from dasklearn.model_selection._adaptive_kernels import (
        create_model,
        partial_fit_step,
        partial_fit_steps,
    )

    X = np.random.default_rng(0).standard_normal((300, 4))
    y = (X[:, 0] > 0).astype(int)
    blocks = [(X[:100], y[:100]), (X[100:100], y[100:100]), (X[100:], y[100:])]
    start = create_model(SGDClassifier(random_state=0), {"alpha": 0.01})
    state = start
    for Xb, yb in blocks:
        state = partial_fit_step(state, Xb, yb, {"classes": [0, 1]})
    fused = partial_fit_steps(start, {"classes": [0, 1]}, *(b for pair in blocks for b in pair))
    assert fused[1] == state[1] == 3  # an empty block counts as a call
    np.testing.assert_array_equal(fused[0].coef_, state[0].coef_)
    assert not hasattr(start[0], "coef_")  # the input model is left as it was


class _Key:
    def __init__(self, key):
        self.key = key


@pytest.mark.parametrize(
    "held, expected",
    [
        ({"a": ["w1"], "b": ["w1"], "c": ["w2"]}, ["w1"]),  # most of the run's blocks
        ({"a": ["w1", "w2"], "b": ["w1", "w2"]}, ["w1", "w2"]),  # copied everywhere: a tie
        ({"a": ["w1", "w2"], "b": ["w2"]}, ["w2"]),  # a copy counts in part
        ({"a": [], "b": []}, None),  # streamed blocks: no preference
    ],
)
def test_a_round_prefers_the_workers_holding_its_blocks_ties_to_all(held, expected):
    work = adaptive_work.ClusterWork.__new__(adaptive_work.ClusterWork)
    work._holders = lambda X: held[X.key] or None
    run = [(_Key(k), None) for k in held]
    assert adaptive_work.ClusterWork._where(work, run) == expected
