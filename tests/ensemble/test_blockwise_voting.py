"""BlockwiseVotingClassifier/Regressor: one clone per row block, fitted where the block lives;
predictions equal to voting/averaging the same scikit-learn models by hand."""

from __future__ import annotations

import pickle

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import wait
from distributed.diagnostics.plugin import SchedulerPlugin
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier, SGDRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks
from support import output_type

from dasklearn.ensemble import BlockwiseVotingClassifier, BlockwiseVotingRegressor
from dasklearn.feature_extraction.text import HashingVectorizer

N, P, CHUNK = 240, 4, 60


@pytest.fixture(scope="module")
def clf_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, P))
    y = np.where(X[:, 0] + 0.5 * rng.normal(size=N) > 0, "yes", "no").astype(object)
    y[X[:, 1] > 1.2] = "maybe"
    return X, y


@pytest.fixture(scope="module")
def reg_data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(N, P))
    return X, X @ [1.0, -2.0, 0.5, 3.0] + 0.1 * rng.normal(size=N)


def _values(result):
    result = result.compute() if hasattr(result, "compute") else result
    return result.to_numpy() if hasattr(result, "to_numpy") else np.asarray(result)


def _by_hand(estimator, X, y, chunk=CHUNK):
    """The models BlockwiseVoting* should fit: one clone per block of ``chunk`` rows."""
    return [
        clone(estimator).fit(X[s : s + chunk], y[s : s + chunk]) for s in range(0, len(X), chunk)
    ]


def _hard_vote(models, X, classes):
    votes = np.stack([(m.predict(X)[:, None] == classes).astype(int) for m in models]).sum(0)
    return classes[np.argmax(votes, axis=1)]


@pytest.mark.parametrize("voting", ["hard", "soft"])
def test_classifier_matches_models_fitted_by_hand(clf_data, input_kind, as_kind, scheduler, voting):
    X, y = clf_data
    Xk, yk = as_kind(input_kind, X, y, chunks=CHUNK)
    clf = BlockwiseVotingClassifier(
        LogisticRegression(), voting=voting, classes=["yes", "no", "maybe"]
    )
    assert clf.fit(Xk, yk) is clf
    classes = np.array(["maybe", "no", "yes"])
    np.testing.assert_array_equal(clf.classes_, classes)
    in_memory = input_kind in ("numpy", "pandas")  # one in-memory block: one model
    models = _by_hand(LogisticRegression(), X, y, chunk=N if in_memory else CHUNK)
    assert len(clf.estimators_) == len(models)
    for ours, theirs in zip(clf.estimators_, models, strict=True):
        np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-12)
    pred = clf.predict(Xk)
    assert isinstance(pred, output_type(input_kind, 1))
    if voting == "hard":
        np.testing.assert_array_equal(_values(pred), _hard_vote(models, X, classes))
        assert not hasattr(clf, "predict_proba")
        with pytest.raises(AttributeError, match="hard"):
            clf.predict_proba(Xk)
    else:
        expected = np.mean([m.predict_proba(X) for m in models], axis=0)
        proba = clf.predict_proba(Xk)
        assert isinstance(proba, output_type(input_kind, 2))
        np.testing.assert_allclose(_values(proba), expected, rtol=1e-12)
        np.testing.assert_array_equal(_values(pred), classes[np.argmax(expected, axis=1)])
        if input_kind == "dask_dataframe":
            assert list(proba.columns) == list(classes)
    if voting == "hard":  # (one pass each: checked once)
        assert clf.score(Xk, yk) == pytest.approx(np.mean(_values(pred) == y))


def test_regressor_matches_models_fitted_by_hand(reg_data, input_kind, as_kind, scheduler):
    X, y = reg_data
    Xk, yk = as_kind(input_kind, X, y, chunks=CHUNK)
    reg = BlockwiseVotingRegressor(LinearRegression()).fit(Xk, yk)
    models = _by_hand(
        LinearRegression(), X, y, chunk=N if input_kind in ("numpy", "pandas") else CHUNK
    )
    assert len(reg.estimators_) == len(models)
    pred = reg.predict(Xk)
    assert isinstance(pred, output_type(input_kind, 1))
    expected = np.mean([m.predict(X) for m in models], axis=0)
    np.testing.assert_allclose(_values(pred), expected, rtol=1e-12)
    if input_kind == "dask_array":
        assert pred.chunks == yk.chunks
    assert reg.score(Xk, yk) > 0.99


def test_soft_vote_aligns_models_that_missed_a_class(clf_data):
    X, y = clf_data
    y = y.copy()
    y[:CHUNK][y[:CHUNK] == "maybe"] = "no"  # the first block has no "maybe"
    clf = BlockwiseVotingClassifier(LogisticRegression(), voting="soft", classes=np.unique(y))
    clf.fit(da.from_array(X, chunks=CHUNK), da.from_array(y, chunks=CHUNK))
    models = _by_hand(LogisticRegression(), X, y)
    assert list(models[0].classes_) == ["no", "yes"]
    first = np.column_stack([np.zeros(N), models[0].predict_proba(X)])
    expected = (first + sum(m.predict_proba(X) for m in models[1:])) / len(models)
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-12)


def test_empty_blocks_are_skipped_and_sample_weight_is_split(reg_data, scheduler):
    X, y = reg_data
    chunks = (60, 0, 120, 0, 60)
    w = np.linspace(0.5, 2.0, N)
    dX = da.from_array(X, chunks=(chunks, P))
    reg = BlockwiseVotingRegressor(LinearRegression())
    reg.fit(
        dX, da.from_array(y, chunks=(chunks,)), sample_weight=da.from_array(w, chunks=(chunks,))
    )
    assert len(reg.estimators_) == 3
    bounds = [(0, 60), (60, 180), (180, 240)]
    for model, (a, b) in zip(reg.estimators_, bounds, strict=True):
        expected = LinearRegression().fit(X[a:b], y[a:b], sample_weight=w[a:b])
        np.testing.assert_allclose(model.coef_, expected.coef_, rtol=1e-10)
    assert reg.predict(dX).chunks == ((60, 0, 120, 0, 60),)


def test_same_random_state_same_models_on_threads_and_cluster(clf_data, client):
    X, y = clf_data
    estimator = SGDClassifier(random_state=0, max_iter=20, tol=None)
    dX, dy = da.from_array(X, chunks=CHUNK), da.from_array(y, chunks=CHUNK)
    on_cluster = BlockwiseVotingClassifier(estimator, classes=np.unique(y)).fit(dX, dy)
    with dask.config.set(scheduler="threads"):  # dask's rule: the config before the client
        on_threads = BlockwiseVotingClassifier(estimator, classes=np.unique(y)).fit(dX, dy)
    for a, b in zip(on_cluster.estimators_, on_threads.estimators_, strict=True):
        np.testing.assert_array_equal(a.coef_, b.coef_)
    again = pickle.loads(pickle.dumps(on_cluster))
    np.testing.assert_array_equal(again.predict(X), on_cluster.predict(X))


class _Placement(SchedulerPlugin):
    """Records, for each fit task, whether it ran on a worker holding its X block."""

    name = "dasklearn-test-blockwise-placement"

    def __init__(self, scheduler, x_name):
        self.scheduler, self.x_name, self.local = scheduler, x_name, []

    def transition(self, key, start, finish, *args, **kwargs):
        if (
            finish == "processing"
            and isinstance(key, tuple)
            and str(key[0]).startswith("fit_block")
        ):
            ts = self.scheduler.tasks[key]
            blocks = [d for d in ts.dependencies if isinstance(d.key, tuple)]
            blocks = [d for d in blocks if d.key[0] == self.x_name]
            self.local.append(len(blocks) == 1 and ts.processing_on in blocks[0].who_has)


def test_each_block_is_fitted_where_it_lives(client):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16_000, 5))
    y = (X[:, 0] > 0).astype(int)
    dX, dy = client.persist([da.from_array(X, chunks=2000), da.from_array(y, chunks=2000)])
    wait([dX, dy])
    assert len({v[0] for v in client.who_has(dX).values()}) == 2  # spread over both workers
    scheduler = client.cluster.scheduler
    plugin = _Placement(scheduler, dX.name)
    scheduler.add_plugin(plugin)
    try:
        clf = BlockwiseVotingClassifier(SGDClassifier(random_state=0), classes=[0, 1]).fit(dX, dy)
    finally:
        scheduler.remove_plugin(name=plugin.name)
    assert len(clf.estimators_) == 8
    assert len(plugin.local) == 8 and all(plugin.local)


def test_sparse_text_features(scheduler):
    docs = pd.DataFrame(
        {"text": ["good movie", "bad movie", "great film", "awful film"] * 30, "label": [1, 0] * 60}
    )
    frame = dd.from_pandas(docs, npartitions=3)
    X = HashingVectorizer(n_features=64).transform(frame["text"])
    clf = BlockwiseVotingClassifier(SGDClassifier(random_state=0), classes=[0, 1])
    clf.fit(X, frame["label"])
    assert len(clf.estimators_) == 3
    assert clf.score(X, frame["label"]) == 1.0
    dense = HashingVectorizer(n_features=64).transform(docs["text"])  # scipy.sparse in memory
    np.testing.assert_array_equal(clf.predict(dense), docs["label"].to_numpy())


def test_bad_input(clf_data):
    X, y = clf_data
    dX = da.from_array(X, chunks=CHUNK)
    with pytest.raises(ValueError, match="classes"):
        BlockwiseVotingClassifier(LogisticRegression()).fit(dX, da.from_array(y, chunks=CHUNK))
    with pytest.raises(ValueError, match="row blocks"):
        BlockwiseVotingClassifier(LogisticRegression(), classes=np.unique(y)).fit(
            dX, da.from_array(y, chunks=50)
        )
    with pytest.raises(ValueError, match=r"label\(s\) \['yes'\] that are not in classes"):
        BlockwiseVotingClassifier(LogisticRegression(), classes=["no", "maybe"]).fit(X, y)
    with pytest.raises(ValueError, match="requires y"):
        BlockwiseVotingRegressor(LinearRegression()).fit(X, None)
    with pytest.raises(ValueError, match="voting"):
        BlockwiseVotingClassifier(LogisticRegression(), voting="mean", classes=[0, 1]).fit(X, y)
    reg = BlockwiseVotingRegressor(SGDRegressor()).fit(dX, da.from_array(X[:, 0], chunks=CHUNK))
    with pytest.raises(ValueError, match="expecting 4 features"):
        reg.predict(X[:, :3])


@pytest.mark.slow
@parametrize_with_checks([BlockwiseVotingRegressor(LinearRegression())])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)  # (the classifier needs ``classes``, which the checks do not pass)
