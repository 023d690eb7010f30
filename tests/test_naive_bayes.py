"""GaussianNB against scikit-learn: same model (rtol 1e-10) on the four input kinds, in one pass."""

from __future__ import annotations

import pickle

import dask
import dask.array as da
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.naive_bayes import GaussianNB as SkGaussianNB
from sklearn.utils.estimator_checks import parametrize_with_checks
from support import output_type

import dasklearn._passes as passes
from dasklearn.exceptions import InvalidParameterError
from dasklearn.naive_bayes import GaussianNB, class_moments, merge_class_moments

RTOL = 1e-10
ATTRIBUTES = ("theta_", "var_", "class_count_", "class_prior_", "epsilon_")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(230, 4)) * [1.0, 10.0, 1e3, 0.01] + [0.0, 5.0, -1e4, 3.0]
    y = rng.choice(np.array(["ham", "eggs", "spam"], dtype=object), size=230)
    X[y == "spam"] += 0.5
    return X, y


def _values(result):
    result = result.compute() if hasattr(result, "compute") else result
    return result.to_numpy() if hasattr(result, "to_numpy") else np.asarray(result)


def assert_same_model(ours, theirs, rtol=RTOL):
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    for name in ATTRIBUTES:
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=rtol, atol=0)
        assert isinstance(getattr(ours, name), np.ndarray | float)


def test_fit_and_predict_match_scikit_learn(data, input_kind, as_kind, scheduler):
    X, y = data
    Xk, yk = as_kind(input_kind, X, y)
    ours = GaussianNB().fit(Xk, yk)
    theirs = SkGaussianNB().fit(X, y)
    assert_same_model(ours, theirs)
    assert ours.n_passes_ == 1
    pred = ours.predict(Xk)
    assert isinstance(pred, output_type(input_kind, 1))
    np.testing.assert_array_equal(_values(pred), theirs.predict(X))
    proba = ours.predict_proba(Xk)
    assert isinstance(proba, output_type(input_kind, 2))
    np.testing.assert_allclose(_values(proba), theirs.predict_proba(X), rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(
        _values(ours.predict_log_proba(Xk)), theirs.predict_log_proba(X), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(
        _values(ours.predict_joint_log_proba(Xk)), theirs.predict_joint_log_proba(X), rtol=1e-10
    )
    if input_kind == "dask_dataframe":
        assert list(proba.columns) == list(theirs.classes_)
    assert ours.score(Xk, yk) == pytest.approx(theirs.score(X, y))


def test_sample_weight_and_float32(data, scheduler):
    X, y = data
    w = np.random.default_rng(1).uniform(0, 3, size=len(X))
    ours = GaussianNB().fit(da.from_array(X, chunks=40), da.from_array(y, chunks=40), w)
    assert_same_model(ours, SkGaussianNB().fit(X, y, sample_weight=w))
    dw = da.from_array(w, chunks=40)
    ours = GaussianNB().fit(da.from_array(X, chunks=40), da.from_array(y, chunks=40), dw)
    assert_same_model(ours, SkGaussianNB().fit(X, y, sample_weight=w))
    X32 = X.astype(np.float32)
    ours = GaussianNB().fit(da.from_array(X32, chunks=40), y)
    theirs = SkGaussianNB().fit(X32, y)
    assert ours.theta_.dtype == theirs.theta_.dtype == np.float32
    assert_same_model(ours, theirs, rtol=1e-5)


def test_one_pass_over_dask_data(data, monkeypatch):
    X, y = data
    calls = []
    original = passes.compute
    monkeypatch.setattr(passes, "compute", lambda *a: calls.append(1) or original(*a))
    computes = []
    original_dask = dask.compute
    monkeypatch.setattr(
        dask, "compute", lambda *a, **k: computes.append(1) or original_dask(*a, **k)
    )
    GaussianNB().fit(da.from_array(X, chunks=50), da.from_array(y, chunks=50))
    # the one pass is the fit's only compute (the runner hands it to the scheduler itself)
    assert len(calls) == 1 and len(computes) == 0


def test_partial_fit_matches_scikit_learn(data, scheduler):
    X, y = data
    classes = np.array(["eggs", "ham", "spam", "toast"])  # "toast" never seen
    ours, theirs = GaussianNB(), SkGaussianNB()
    for rows in (slice(0, 120), slice(120, 230)):
        ours.partial_fit(da.from_array(X[rows], chunks=30), y[rows], classes=classes)
        theirs.partial_fit(X[rows], y[rows], classes=classes)
        assert_same_model(ours, theirs)
    with pytest.raises(ValueError, match="not the same as on the last call"):
        ours.partial_fit(X, y, classes=["ham", "spam"])
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        GaussianNB().partial_fit(X, y)
    ours = GaussianNB(classes=classes).partial_fit(X, y)  # the dask-ml parameter
    assert_same_model(ours, SkGaussianNB().partial_fit(X, y, classes=classes))


def test_classes_and_priors(data):
    X, y = data
    ours = GaussianNB(classes=["spam", "ham", "eggs", "toast"], priors=[0.1, 0.2, 0.3, 0.4])
    ours.fit(da.from_array(X, chunks=50), da.from_array(y, chunks=50))
    theirs = SkGaussianNB(priors=[0.1, 0.2, 0.3, 0.4])
    theirs.partial_fit(X, y, classes=["eggs", "ham", "spam", "toast"])
    assert_same_model(ours, theirs)
    with pytest.raises(ValueError, match=r"label\(s\) \['spam'\] in y do not exist"):
        GaussianNB(classes=["ham", "eggs"]).fit(X, y)
    with pytest.raises(ValueError, match="sum of the priors should be 1"):
        GaussianNB(priors=[0.5, 0.6, 0.1]).fit(X, y)
    with pytest.raises(ValueError, match="non-negative"):
        GaussianNB(priors=[1.5, -0.5, 0.0]).fit(X, y)
    with pytest.raises(ValueError, match="Number of priors must match"):
        GaussianNB(priors=[0.5, 0.5]).fit(X, y)
    with pytest.raises(InvalidParameterError, match="var_smoothing"):
        GaussianNB(var_smoothing=-1.0).fit(X, y)


def test_empty_blocks_and_dataframe_partitions(data, scheduler):
    X, y = data
    dX = da.from_array(X, chunks=((50, 0, 100, 0, 80), (4,)))
    dy = da.from_array(y, chunks=((50, 0, 100, 0, 80),))
    ours = GaussianNB().fit(dX, dy)
    assert_same_model(ours, SkGaussianNB().fit(X, y))
    pred = ours.predict(dX)
    assert pred.chunks == dy.chunks
    np.testing.assert_array_equal(pred.compute(), SkGaussianNB().fit(X, y).predict(X))


def test_bad_input(data):
    X, y = data
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        GaussianNB().fit(da.from_array(bad, chunks=50), da.from_array(y, chunks=50))
    with pytest.raises(ValueError, match="NaN"):
        GaussianNB().fit(bad, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        GaussianNB().fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(NotFittedError):
        GaussianNB().predict(X)
    model = GaussianNB().fit(pd.DataFrame(X, columns=list("abcd")), y)
    with pytest.raises(ValueError, match="expecting 4 features"):
        model.predict(X[:, :3])
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(pd.DataFrame(X, columns=list("abce")))


def test_kernels_merge_exactly(data):
    X, y = data
    whole = class_moments(X, y, None)
    parts = [class_moments(X[s : s + 37], y[s : s + 37], None) for s in range(0, len(X), 37)]
    merged = parts[0]
    for part in parts[1:]:
        merged = merge_class_moments(merged, part)
    np.testing.assert_array_equal(merged["labels"], whole["labels"])
    for key in ("weight", "theta", "class_ssd", "mean", "ssd"):
        np.testing.assert_allclose(merged[key], whole[key], rtol=1e-12)
    assert merged["n"] == whole["n"] == len(X)


def test_fitted_model_pickles(data):
    X, y = data
    model = GaussianNB().fit(da.from_array(X, chunks=50), da.from_array(y, chunks=50))
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))


@pytest.mark.slow
@parametrize_with_checks([GaussianNB()])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
