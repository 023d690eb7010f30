"""GridSearchCV / RandomizedSearchCV against scikit-learn's, and the work they share."""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
import time
import tracemalloc
import warnings

import cloudpickle
import dask
import dask.array as da
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.model_selection as ms
from distributed import Client
from scipy.stats import loguniform
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.datasets import make_classification
from sklearn.decomposition import PCA
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from dasklearn._client import local_cluster
from dasklearn.exceptions import InvalidParameterError
from dasklearn.model_selection import GridSearchCV, RandomizedSearchCV, _base, _runner

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the helpers below, on workers

TOL = 1e-10


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """BLAS on one thread in this process: scikit-learn's references on tiny data otherwise
    spend their time in BLAS threads spinning against the other tests' work."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def data():
    return make_classification(240, 12, n_informative=6, random_state=0)


def _pipe(steps=None):
    return Pipeline(
        steps or [("sc", StandardScaler()), ("pca", PCA()), ("clf", LogisticRegression())]
    )


GRID = {"pca__n_components": [2, 4, 8], "clf__C": [0.01, 0.1, 1.0, 10.0]}


def assert_same_results(ours, sk, tol=TOL):
    """Same keys, same candidates and parameter columns, scores within ``tol``."""
    assert set(ours.cv_results_) == set(sk.cv_results_)
    for key, ref in sk.cv_results_.items():
        got = ours.cv_results_[key]
        if key == "params":
            assert got == ref
        elif key.startswith("param_"):
            assert got.dtype == ref.dtype and (got.mask == ref.mask).all()
            assert list(got.compressed()) == list(ref.compressed())
        elif "time" not in key:
            assert got.dtype == ref.dtype, key
            np.testing.assert_allclose(got, ref, rtol=0, atol=tol, err_msg=key)
    assert ours.best_index_ == sk.best_index_
    assert ours.best_params_ == sk.best_params_
    assert abs(ours.best_score_ - sk.best_score_) <= tol


def test_grid_matches_scikit_learn(data, scheduler):
    X, y = data
    ours = GridSearchCV(_pipe(), GRID, cv=3, iid=False, return_train_score=True).fit(X, y)
    sk = ms.GridSearchCV(_pipe(), GRID, cv=3, return_train_score=True).fit(X, y)
    assert_same_results(ours, sk)
    assert ours.n_splits_ == 3 and not ours.multimetric_
    np.testing.assert_array_equal(ours.predict(X), sk.predict(X))
    assert ours.score(X, y) == sk.score(X, y)
    assert ours.refit_time_ >= 0


def test_randomized_matches_scikit_learn(data, scheduler):
    X, y = data
    dist = {"C": loguniform(1e-3, 1e2), "fit_intercept": [True, False]}
    kw = dict(n_iter=8, random_state=3, cv=ms.KFold(4, shuffle=True, random_state=0))
    ours = RandomizedSearchCV(LogisticRegression(), dist, iid=False, **kw).fit(X, y)
    sk = ms.RandomizedSearchCV(LogisticRegression(), dist, **kw).fit(X, y)
    assert_same_results(ours, sk)


def test_iid_weights_test_scores_by_fold_size(data):
    X, y = data
    X, y = X[:230], y[:230]  # folds of 77, 77, 76 rows
    ours = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3, n_jobs=1).fit(X, y)
    splits = np.column_stack([ours.cv_results_[f"split{k}_test_score"] for k in range(3)])
    np.testing.assert_allclose(
        ours.cv_results_["mean_test_score"],
        np.average(splits, axis=1, weights=[77, 77, 76]),
        atol=1e-15,
    )


def _count(log, name):
    with open(log, "a") as f:
        f.write(name + "\n")


class CountingScaler(StandardScaler):
    def fit(self, X, y=None, log=None, **kw):
        _count(log, "scaler")
        return super().fit(X, y)


class CountingPCA(PCA):
    def fit(self, X, y=None, log=None):
        _count(log, "pca")
        return super().fit(X)

    def fit_transform(self, X, y=None, log=None):
        _count(log, "pca")
        return super().fit_transform(X)


class CountingLR(LogisticRegression):
    def fit(self, X, y, log=None):
        _count(log, "clf")
        return super().fit(X, y)


@pytest.mark.parametrize("cache_cv", [True, False])
def test_each_step_fitted_once_per_distinct_prefix(data, scheduler, tmp_path, cache_cv):
    """[scaler, pca, clf] over 3 PCA x 30 classifier settings: per fold, the scaler is fitted
    once, the PCA 3 times and the classifier 90 times."""
    if scheduler == "distributed" and not cache_cv:
        pytest.skip("the same plan as with cache_cv; once on the cluster is enough")
    X, y = data
    pipe = _pipe([("sc", CountingScaler()), ("pca", CountingPCA()), ("clf", CountingLR())])
    grid = {"pca__n_components": [2, 4, 8], "clf__C": np.logspace(-3, 2, 30)}
    log = str(tmp_path / "fits.log")
    n_folds = 2
    search = GridSearchCV(pipe, grid, cv=n_folds, refit=False, cache_cv=cache_cv)
    search.fit(X[:80], y[:80], sc__log=log, pca__log=log, clf__log=log)
    with open(log) as f:
        fits = f.read().split()
    assert fits.count("scaler") == 1 * n_folds
    assert fits.count("pca") == 3 * n_folds
    assert fits.count("clf") == 90 * n_folds
    assert len(search.cv_results_["params"]) == 90


def test_multimetric(data, scheduler):
    X, y = data
    scoring = ["accuracy", "neg_log_loss", "roc_auc"]
    kw = dict(scoring=scoring, refit="neg_log_loss", cv=3, return_train_score=True)
    ours = GridSearchCV(_pipe(), GRID, iid=False, **kw).fit(X, y)
    sk = ms.GridSearchCV(_pipe(), GRID, **kw).fit(X, y)
    assert_same_results(ours, sk)
    assert ours.multimetric_ and set(ours.scorer_) == set(scoring)
    assert ours.score(X, y) == pytest.approx(sk.score(X, y), abs=TOL)

    def pick(results):
        return int(np.argmax(results["mean_test_accuracy"]))

    ours = GridSearchCV(_pipe(), GRID, scoring=scoring, refit=pick, cv=3).fit(X, y)
    assert ours.best_index_ == pick(ours.cv_results_) and not hasattr(ours, "best_score_")
    with pytest.raises(ValueError, match="multi-metric scoring"):
        GridSearchCV(_pipe(), GRID, scoring=scoring, refit=True).fit(X, y)
    no_refit = GridSearchCV(_pipe(), GRID, scoring=scoring, refit=False, cv=3).fit(X, y)
    assert not hasattr(no_refit, "best_estimator_") and not hasattr(no_refit, "predict")


class FailsOnC(ClassifierMixin, BaseEstimator):
    """A logistic regression that raises when C is 13."""

    def __init__(self, C=1.0):
        self.C = C

    def fit(self, X, y):
        if self.C == 13:
            raise ArithmeticError("C=13 is unlucky")
        self.model_ = LogisticRegression(C=self.C).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
def test_error_score(data, scheduler):
    X, y = data
    grid = {"C": [0.1, 13, 1.0]}
    with pytest.warns(FitFailedWarning, match="3 fits failed out of a total of 9"):
        ours = GridSearchCV(FailsOnC(), grid, cv=3, error_score=np.nan).fit(X, y)
    with pytest.warns(FitFailedWarning):
        sk = ms.GridSearchCV(FailsOnC(), grid, cv=3, error_score=np.nan).fit(X, y)
    assert np.isnan(ours.cv_results_["mean_test_score"][1])
    assert_same_results(ours, sk)
    assert ours.cv_results_["rank_test_score"][1] == 3
    with pytest.raises(ArithmeticError, match="unlucky"):
        GridSearchCV(FailsOnC(), grid, cv=3).fit(X, y)
    with pytest.raises(ValueError, match="All the 3 fits failed"):
        GridSearchCV(FailsOnC(), {"C": [13]}, cv=3, error_score=0).fit(X, y)


def test_failing_shared_step_fails_only_its_candidates(data):
    X, y = data
    grid = {"pca__n_components": [2, 500], "clf__C": [0.1, 1.0]}  # 500 > n_features
    with pytest.warns(FitFailedWarning, match="6 fits failed out of a total of 12"):
        ours = GridSearchCV(_pipe(), grid, cv=3, error_score=-1.0, n_jobs=2).fit(X, y)
    scores = ours.cv_results_["mean_test_score"]
    assert (scores[[1, 3]] == -1.0).all() and (scores[[0, 2]] > 0.5).all()


class FailsToTransformNewRows(TransformerMixin, BaseEstimator):
    """Transforms its training rows; with k=2 it raises on any other rows (the test fold)."""

    def __init__(self, k=1):
        self.k = k

    def fit(self, X, y=None):
        self.n_ = len(X)
        return self

    def transform(self, X):
        if self.k == 2 and len(X) != self.n_:
            raise RuntimeError("cannot transform new rows")
        return X


@pytest.mark.filterwarnings("ignore:Scoring failed")
def test_a_step_that_fails_to_transform_the_test_fold(data, scheduler):
    X, y = data
    pipe = Pipeline([("t", FailsToTransformNewRows()), ("clf", LogisticRegression())])
    grid = {"t__k": [1, 2], "clf__C": [0.1, 1.0]}
    ours = GridSearchCV(pipe, grid, cv=3, error_score=-1.0, iid=False).fit(X, y)
    sk = ms.GridSearchCV(pipe, grid, cv=3, error_score=-1.0).fit(X, y)
    assert_same_results(ours, sk)
    assert (ours.cv_results_["mean_test_score"][[1, 3]] == -1.0).all()


def test_callable_scorer_sees_the_pipeline_and_raw_data(data, scheduler):
    X, y = data
    seen = set()

    def scorer(est, X_test, y_test):
        seen.add((type(est).__name__, X_test.shape[1]))
        return accuracy_score(y_test, est.predict(X_test))

    ours = GridSearchCV(_pipe(), GRID, scoring=scorer, cv=3, iid=False).fit(X, y)
    sk = ms.GridSearchCV(_pipe(), GRID, scoring=scorer, cv=3).fit(X, y)
    assert_same_results(ours, sk)
    if scheduler == "threads":
        assert seen == {("Pipeline", 12)}


def test_replaced_and_passthrough_steps(data):
    X, y = data
    grid = [
        {"pca": ["passthrough"], "clf": [SVC(), LogisticRegression()]},
        {"pca__n_components": [3, 6], "clf": [LogisticRegression()], "clf__C": [0.5, 2.0]},
    ]
    ours = GridSearchCV(_pipe(), grid, cv=3, iid=False, n_jobs=2).fit(X, y)
    sk = ms.GridSearchCV(_pipe(), grid, cv=3).fit(X, y)
    assert_same_results(ours, sk)


def test_fit_params_are_cut_by_fold(data):
    X, y = data
    w = np.random.default_rng(0).uniform(0.1, 2.0, size=len(y))
    ours = GridSearchCV(_pipe(), GRID, cv=3, iid=False, n_jobs=2).fit(X, y, clf__sample_weight=w)
    sk = ms.GridSearchCV(_pipe(), GRID, cv=3).fit(X, y, clf__sample_weight=w)
    assert_same_results(ours, sk)


def test_groups_sparse_input_and_iterable_cv(data):
    X, y = data
    groups = np.arange(len(y)) % 5
    kw = dict(cv=ms.GroupKFold(5))
    ours = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, iid=False, n_jobs=2, **kw)
    sk = ms.GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, **kw)
    assert_same_results(ours.fit(X, y, groups=groups), sk.fit(X, y, groups=groups))
    Xs, w = sp.csr_matrix(X), np.linspace(0.5, 1.5, len(y))
    folds = list(ms.KFold(4).split(X))
    ours = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=folds, iid=False, n_jobs=2)
    sk = ms.GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=folds)
    assert_same_results(ours.fit(Xs, y, sample_weight=w), sk.fit(Xs, y, sample_weight=w))
    assert ours.n_splits_ == 4


def test_input_kinds(data, input_kind, as_kind):
    X, y = data
    ref = GridSearchCV(_pipe(), GRID, cv=3, n_jobs=1).fit(X, y)
    Xk, yk = as_kind(input_kind, X, y, chunks=60)
    ours = GridSearchCV(_pipe(), GRID, cv=3, n_jobs=2).fit(Xk, yk)
    np.testing.assert_allclose(
        ours.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"], atol=TOL
    )
    pred = ours.predict(Xk)
    if input_kind.startswith("dask"):
        assert dask.is_dask_collection(pred)
        assert ours.score(Xk, yk) == pytest.approx(ref.score(X, y))
    np.testing.assert_array_equal(np.asarray(dask.compute(pred)[0]), ref.predict(X))


def test_dask_input_larger_than_memory_is_searched_blockwise(monkeypatch):
    """Folds made of row blocks, fitted from the client: the same scores as an in-memory search
    on the same folds. (Under threads: on a cluster each fit is the estimator's own passes.)"""
    from dasklearn.datasets import make_regression
    from dasklearn.linear_model import LinearRegression
    from dasklearn.model_selection import KFold

    X, y = make_regression(300, 5, chunks=50, random_state=0, noise=1.0)
    Xn, yn = dask.compute(X, y)
    folds = [(tr.compute(), te.compute()) for tr, te in KFold(3).split(X)]
    grid = {"fit_intercept": [True, False]}
    ref = GridSearchCV(LinearRegression(), grid, cv=folds, scoring="r2", n_jobs=1).fit(Xn, yn)
    monkeypatch.setattr(_base, "IN_MEMORY_FRACTION", 1e-12)
    ours = GridSearchCV(LinearRegression(), grid, cv=3, scoring="r2", return_train_score=True).fit(
        X, y
    )
    assert ours._search_stats == {"blockwise": True}
    np.testing.assert_allclose(
        ours.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"], rtol=1e-6
    )
    assert isinstance(ours.predict(X), da.Array)
    with pytest.raises(ValueError, match="row blocks"):
        GridSearchCV(LinearRegression(), grid, cv=ms.GroupKFold(2)).fit(X, y)


def test_verbose_counts_the_distinct_fits(data, capsys):
    X, y = data
    GridSearchCV(_pipe(), GRID, cv=3, refit=False, n_jobs=1, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "Fitting 3 folds for each of 12 candidates, totalling 36 fits" in out
    assert "3 sc, 9 pca, 36 clf" in out


def test_unknown_chunk_lengths_are_searched_in_memory(data):
    X, y = data
    Xd = da.from_array(X, chunks=60)
    Xd = Xd.map_blocks(lambda b: b, chunks=((np.nan,) * 4, (12,)))
    search = GridSearchCV(LogisticRegression(), {"C": [1.0]}, cv=3, n_jobs=1).fit(Xd, y)
    assert "blockwise" not in search._search_stats


def test_scheduler_parameter(data):
    X, y = data
    ref = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, scheduler="sync").fit(X, y)
    for scheduler in ("threads", dask.threaded.get, dask.local.get_sync):
        got = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, scheduler=scheduler).fit(X, y)
        np.testing.assert_array_equal(
            got.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"]
        )
    with pytest.raises(ValueError, match="not supported"):
        GridSearchCV(LogisticRegression(), {"C": [1.0]}, scheduler="processes").fit(X, y)


def test_parameters_checked_before_work(data):
    X, y = data
    for bad in (dict(cv=1), dict(n_jobs=0), dict(error_score="ignore"), dict(iid="yes")):
        with pytest.raises(InvalidParameterError):
            GridSearchCV(LogisticRegression(), {"C": [1.0]}, **bad).fit(X, y)
    with pytest.raises(InvalidParameterError, match="n_iter"):
        RandomizedSearchCV(LogisticRegression(), {"C": [1.0]}, n_iter=0).fit(X, y)
    search = GridSearchCV(LogisticRegression(), {"C": [1.0]})
    with pytest.raises(NotFittedError):
        search.predict(X)
    assert hasattr(search, "predict_proba") and not hasattr(search, "transform")


def test_fitted_search_pickles_and_delegates(data, client):
    X, y = data
    before = set(client.futures)
    search = GridSearchCV(_pipe(), GRID, cv=3).fit(X, y)
    deadline = time.monotonic() + 10  # futures are released on the client's event loop
    while not set(client.futures) <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(client.futures) <= before  # the search leaves nothing on the cluster
    back = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(back.predict_proba(X), search.predict_proba(X))
    np.testing.assert_array_equal(back.classes_, [0, 1])
    assert back.n_features_in_ == 12 and not hasattr(back, "transform")


def test_refit_reads_the_data_the_search_scattered(data, client, monkeypatch):
    """On a cluster the best candidate is refitted from the search's scattered copy of X and y:
    the refit task carries references, not the data again (a 24 MB X made distributed warn
    of a large graph in the demo)."""
    X, y = data
    sent = []
    original = Client.submit

    def submit(self, fn, *args, key=None, **kwargs):
        if str(key).startswith("refit-"):
            sent.append(args)
        return original(self, fn, *args, key=key, **kwargs)

    monkeypatch.setattr(Client, "submit", submit)
    search = GridSearchCV(_pipe(), GRID, cv=3).fit(X, y)
    (args,) = sent
    assert not any(isinstance(a, np.ndarray) for a in args), [type(a) for a in args]
    reference = ms.GridSearchCV(_pipe(), GRID, cv=3).fit(X, y)
    np.testing.assert_allclose(
        search.best_estimator_.predict_proba(X), reference.best_estimator_.predict_proba(X)
    )


@pytest.mark.slow
def test_worker_killed_mid_search_gives_complete_results(data, monkeypatch):
    X, y = data
    pipe = _pipe()
    grid = {"pca__n_components": [2, 4, 8], "clf__C": np.logspace(-3, 2, 10)}
    with dask.config.set(scheduler="threads"):
        reference = GridSearchCV(pipe, grid, cv=3, return_train_score=True).fit(X, y)

    finished = []
    original = _runner.Runner._finished

    def kill_after_some(self, handle, task, result):
        finished.append(task[0])
        if task[0] == "leaves" and finished.count("leaves") == 5:  # most leaves still to run
            victim = max(self.ex.client.run(os.getpid).values())
            os.kill(victim, signal.SIGKILL)
        return original(self, handle, task, result)

    monkeypatch.setattr(_runner.Runner, "_finished", kill_after_some)
    with (
        local_cluster(n_workers=2, threads_per_worker=1, dashboard=False) as cluster,
        Client(cluster),
    ):
        search = GridSearchCV(pipe, grid, cv=3, return_train_score=True).fit(X, y)
    assert finished.count("leaves") > 5
    print(search._search_stats)
    assert_same_results(search, reference, tol=0)


class Constant(BaseEstimator):
    """An estimator with nothing to learn: the cost of a search is all its own overhead."""

    def __init__(self, constant=0.0):
        self.constant = constant

    def fit(self, X, y):
        self.fitted_ = True
        return self

    def score(self, X, y):
        return -abs(float(self.constant) - 0.25)


@pytest.mark.slow
def test_ten_thousand_candidates_keep_the_client_small(client):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 3)), rng.normal(size=200)
    grid = {"constant": np.linspace(-1, 1, 10_000)}
    peak = {"rss": 0}
    done = threading.Event()

    def sample():
        import psutil

        proc = psutil.Process()
        while not done.is_set():
            peak["rss"] = max(peak["rss"], proc.memory_info().rss)
            time.sleep(0.05)

    base = __import__("psutil").Process().memory_info().rss
    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    tracemalloc.start()
    try:
        start = time.perf_counter()
        search = GridSearchCV(Constant(), grid, cv=2, refit=False).fit(X, y)
        seconds = time.perf_counter() - start
        _, traced_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        done.set()
        watcher.join()
    stats = search._search_stats
    assert len(search.cv_results_["mean_test_score"]) == 10_000
    assert abs(search.best_params_["constant"] - 0.25) < 1e-3
    assert stats["max_in_flight"] <= 2 * 2  # the window: 2 x the cluster's 2 threads
    assert stats["tasks"] < 2_000  # 20,000 fits, batched
    assert traced_peak < 200 * 2**20, traced_peak
    assert peak["rss"] - base < 500 * 2**20
    print(
        f"10,000 candidates: {seconds:.1f} s, {stats['tasks']} tasks, "
        f"traced peak {traced_peak / 2**20:.0f} MiB"
    )


def test_no_warnings_on_a_clean_search(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=3, n_jobs=2).fit(X, y)
