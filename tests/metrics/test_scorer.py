"""Scorers: scikit-learn's scores, one pass over dask X and y, predictions consumed in place."""

from __future__ import annotations

import threading

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from dask.base import is_dask_collection
from sklearn.linear_model import LinearRegression, LogisticRegression

from dasklearn.metrics import SCORERS, accuracy_score, check_scoring, get_scorer
from dasklearn.wrappers import ParallelPostFit

RTOL = 1e-12
CLASSIFICATION = ("accuracy", "neg_log_loss")
REGRESSION = (
    "r2",
    "neg_mean_squared_error",
    "neg_root_mean_squared_error",
    "neg_mean_absolute_error",
    "neg_mean_absolute_percentage_error",
    "neg_mean_squared_log_error",
)
COLUMNS = ["a", "b", "c"]


def frame(task, n=150, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=COLUMNS)
    score = X.to_numpy() @ np.array([1.0, -1.0, 0.5]) + rng.normal(size=n)
    if task == "binary":
        y = np.where(score > 0, "yes", "no")
    elif task == "multiclass":
        y = np.digitize(score, [-1.0, 1.0])
    else:
        y = np.abs(score) * 2
    frame = X.assign(y=y, w=rng.random(n))
    return frame


def model_for(task, data, named=True):
    """A fitted ParallelPostFit, on X with column names (``named``) or on NumPy X."""
    estimator = LinearRegression() if task == "regression" else LogisticRegression()
    X = data[COLUMNS] if named else data[COLUMNS].to_numpy()
    return ParallelPostFit(estimator).fit(X, data["y"])


def as_kind(kind, data):
    """(X, y, w) of ``data`` as ``kind``; dask collections in 4 blocks."""
    if kind == "numpy":
        return data[COLUMNS].to_numpy(), data["y"].to_numpy(), data["w"].to_numpy()
    if kind == "pandas":
        return data[COLUMNS], data["y"], data["w"]
    if kind == "dask_array":
        chunks = -(-len(data) // 4)
        X = da.from_array(data[COLUMNS].to_numpy(), chunks=(chunks, 3))
        y = da.from_array(data["y"].to_numpy(), chunks=chunks)
        return X, y, da.from_array(data["w"].to_numpy(), chunks=chunks)
    ddf = dd.from_pandas(data, npartitions=4, sort=False)
    return ddf[COLUMNS], ddf["y"], ddf["w"]


def expected_score(name, model, data, weighted, named=True):
    kwargs = {"sample_weight": data["w"].to_numpy()} if weighted else {}
    X = data[COLUMNS] if named else data[COLUMNS].to_numpy()
    return skm.get_scorer(name)(model.estimator_, X, data["y"].to_numpy(), **kwargs)


CASES = [("binary", n) for n in CLASSIFICATION] + [("multiclass", n) for n in CLASSIFICATION]
CASES += [("regression", n) for n in REGRESSION]


@pytest.mark.parametrize("kind", ["numpy", "pandas", "dask_array", "dask_dataframe"])
@pytest.mark.parametrize(("task", "name"), CASES)
@pytest.mark.parametrize("weighted", [False, True])
def test_scorers_match_sklearn(kind, task, name, weighted):
    data = frame(task)
    named = kind in ("pandas", "dask_dataframe")
    model = model_for(task, data, named)
    X, y, w = as_kind(kind, data)
    expected = expected_score(name, model, data, weighted, named)
    got = get_scorer(name)(model, X, y, sample_weight=w if weighted else None)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)


def test_scorers_names_and_signs():
    assert set(CLASSIFICATION + REGRESSION) <= set(SCORERS)
    data = frame("regression")
    model = model_for("regression", data)
    X, y, _ = as_kind("dask_dataframe", data)
    for name in REGRESSION:
        sign = skm.get_scorer(name)._sign
        assert np.sign(SCORERS[name](model, X, y)) in (sign, 0) or name == "r2"


class _CountingX:
    """A dask array of X whose blocks count their reads."""

    def __init__(self, X, chunks):
        self.reads = 0
        self.lock = threading.Lock()
        self.array = da.from_array(X, chunks=(chunks, X.shape[1])).map_blocks(
            self._read, dtype=X.dtype, meta=X[:0]
        )

    def _read(self, block):
        if len(block):
            with self.lock:
                self.reads += 1
        return block


def test_one_pass_and_predictions_consumed_in_place():
    data = frame("multiclass")
    model = model_for("multiclass", data, named=False)
    counting = _CountingX(data[COLUMNS].to_numpy(), chunks=40)
    y = da.from_array(data["y"].to_numpy(), chunks=40)
    lazy = get_scorer("accuracy")(model, counting.array, y, compute=False)
    assert is_dask_collection(lazy)
    # the pass computes one small partial per block: nothing per-row is a result key
    assert len(lazy.__dask_keys__()) == counting.array.numblocks[0]
    with dask.config.set(scheduler="threads"):
        got = lazy.compute()
    assert counting.reads == counting.array.numblocks[0]
    assert got == skm.accuracy_score(data["y"], model.predict(data[COLUMNS].to_numpy()))


def test_several_scorers_share_one_pass():
    data = frame("regression")
    model = model_for("regression", data, named=False)
    counting = _CountingX(data[COLUMNS].to_numpy(), chunks=40)
    y = da.from_array(data["y"].to_numpy(), chunks=40)
    scorer = check_scoring(model, ["r2", "neg_mean_squared_error", "neg_mean_absolute_error"])
    with dask.config.set(scheduler="threads"):
        scores = scorer(model, counting.array, y)
    assert counting.reads == counting.array.numblocks[0]
    local = check_scoring(model.estimator_, list(scores))(
        model.estimator_, data[COLUMNS].to_numpy(), data["y"].to_numpy()
    )
    assert scores.keys() == local.keys()
    for name in scores:
        np.testing.assert_allclose(scores[name], local[name], rtol=RTOL)


@pytest.mark.parametrize("kind", ["dask_array", "dask_dataframe"])
def test_scorers_on_scheduler(scheduler, kind):
    data = frame("multiclass")
    model = model_for("multiclass", data, named=kind == "dask_dataframe")
    X, y, w = as_kind(kind, data)
    scores = check_scoring(model, ["accuracy", "neg_log_loss", "f1_macro"])(model, X, y, w)
    Xn = data[COLUMNS] if kind == "dask_dataframe" else data[COLUMNS].to_numpy()
    for name, value in scores.items():
        expected = skm.get_scorer(name)(
            model.estimator_, Xn, data["y"].to_numpy(), sample_weight=data["w"].to_numpy()
        )
        np.testing.assert_allclose(value, expected, rtol=RTOL)


def test_other_names_and_callables_score_in_memory():
    data = frame("binary")
    model = model_for("binary", data)
    X, y, _ = as_kind("dask_dataframe", data)
    for name in ("f1_macro", "balanced_accuracy"):
        expected = skm.get_scorer(name)(model.estimator_, data[COLUMNS], data["y"])
        assert get_scorer(name)(model, X, y) == expected

    def callable_scorer(estimator, X, y):
        assert isinstance(X, pd.DataFrame)  # computed into memory
        return 42.0

    assert get_scorer(callable_scorer)(model, X, y) == 42.0
    assert check_scoring(model, callable_scorer)(model, X, y) == 42.0
    with pytest.raises(ValueError, match="not a valid scoring value"):
        get_scorer("no_such_scorer")


def test_check_scoring():
    data = frame("regression")
    model = model_for("regression", data)
    X, y, _ = as_kind("dask_dataframe", data)
    default = check_scoring(model)  # the estimator's own score
    np.testing.assert_allclose(default(model, X, y), model.score(X, y), rtol=RTOL)
    assert check_scoring(model, "r2") is not None
    with pytest.raises(ValueError, match="looks like it is a metric"):
        check_scoring(model, accuracy_score)
    with pytest.raises(ValueError, match="looks like it is a metric"):
        check_scoring(model, skm.accuracy_score)
    with pytest.raises(ValueError, match="Duplicate"):
        check_scoring(model, ["r2", "r2"])
    assert check_scoring(_NoScore(), allow_none=True) is None
    with pytest.raises(TypeError, match="score"):
        check_scoring(_NoScore())


class _NoScore:
    def fit(self, X, y):
        return self


def test_get_scorer_compute_false_and_binary_columns():
    data = frame("binary")
    model = model_for("binary", data)
    X, y, _ = as_kind("dask_dataframe", data)
    lazy = get_scorer("neg_log_loss", compute=False)(model, X, y)
    assert is_dask_collection(lazy)
    expected = skm.get_scorer("neg_log_loss")(model.estimator_, data[COLUMNS], data["y"])
    np.testing.assert_allclose(lazy.compute(), expected, rtol=RTOL)


def test_multimetric_raise_exc_false_reports_the_failure():
    data = frame("regression")
    model = model_for("regression", data)
    X, y, _ = as_kind("dask_dataframe", data)
    y_negative = y - 1e6  # MSLE refuses values <= -1
    scores = check_scoring(model, ["r2", "neg_mean_squared_log_error"], raise_exc=False)(
        model, X, y_negative
    )
    assert isinstance(scores["r2"], float)
    assert "less than or equal to -1" in scores["neg_mean_squared_log_error"]
