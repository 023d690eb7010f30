"""The estimators' scikit-learn face: attributes, labels, weights, bad input, warnings, pickling."""

from __future__ import annotations

import pickle
import warnings

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn import linear_model as sk
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from dasklearn.linear_model import LinearRegression, LogisticRegression, PoissonRegression


@pytest.fixture(autouse=True)
def _threads():
    with dask.config.set(scheduler="threads"):
        yield


def _binary(n=300, p=4, seed=0):
    return make_classification(n, p, n_informative=3, n_redundant=0, flip_y=0.1, random_state=seed)


def _multi(n=300, p=4, seed=1):
    return make_classification(
        n, p, n_informative=3, n_redundant=0, n_classes=3, flip_y=0.1, random_state=seed
    )


def _dask(X, y, chunks=100):
    return da.from_array(X, chunks=(chunks, -1)), da.from_array(y, chunks=chunks)


def _close(got, want, rtol=1e-4):
    scale = max(np.abs(want).max(), 1e-3)
    assert np.abs(np.asarray(got) - np.asarray(want)).max() <= rtol * scale


# --------------------------------------------------------------------------------------------
# constructor and attributes
# --------------------------------------------------------------------------------------------


def test_dask_ml_constructor_signature():
    params = LogisticRegression().get_params()
    for name in (
        "penalty",
        "dual",
        "tol",
        "C",
        "fit_intercept",
        "intercept_scaling",
        "class_weight",
        "random_state",
        "solver",
        "max_iter",
        "multi_class",
        "verbose",
        "warm_start",
        "n_jobs",
        "solver_kwargs",
        "l1_ratio",
    ):
        assert name in params
    assert set(LinearRegression().get_params()) == set(params)
    assert clone(LogisticRegression(C=3.0)).C == 3.0


def test_attribute_shapes():
    X, y = _binary()
    est = LogisticRegression().fit(X, y)
    assert est.coef_.shape == (1, 4) and est.intercept_.shape == (1,)
    assert est.n_iter_.shape == (1,) and est.n_iter_[0] >= 1
    assert est.decision_function(X).shape == (300,)
    assert est.predict_proba(X).shape == (300, 2)
    np.testing.assert_allclose(np.exp(est.predict_log_proba(X)), est.predict_proba(X))
    X3, y3 = _multi()
    est3 = LogisticRegression().fit(X3, y3)
    assert est3.coef_.shape == (3, 4) and est3.intercept_.shape == (3,)
    assert abs(est3.intercept_.sum()) < 1e-10
    assert est3.decision_function(X3).shape == (300, 3)
    lin = LinearRegression().fit(X, y.astype(float))
    assert lin.coef_.shape == (4,) and isinstance(lin.intercept_, float)
    assert isinstance(lin.n_iter_, int)
    no_b = LogisticRegression(fit_intercept=False).fit(X, y)
    assert np.all(no_b.intercept_ == 0.0)
    ref = sk.LogisticRegression(fit_intercept=False, tol=1e-10).fit(X, y)
    _close(no_b.coef_, ref.coef_)


def test_pickle_roundtrip_holds_numpy_only():
    X, y = _binary()
    est = LogisticRegression().fit(*_dask(X, y))
    for value in vars(est).values():
        assert not hasattr(value, "__dask_graph__")
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict(X), est.predict(X))


def test_unfitted_and_wrong_width():
    X, y = _binary()
    with pytest.raises(NotFittedError):
        LogisticRegression().predict(X)
    est = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :3])


def test_lazy_output_for_dask_and_eager_for_numpy():
    X, y = _binary()
    est = LogisticRegression().fit(X, y)
    Xd, yd = _dask(X, y)
    for method in ("predict", "predict_proba", "decision_function"):
        assert isinstance(getattr(est, method)(Xd), da.Array)
        assert isinstance(getattr(est, method)(X), np.ndarray)
    np.testing.assert_allclose(est.predict_proba(Xd).compute(), est.predict_proba(X))
    assert est.score(Xd, yd) == pytest.approx(est.score(X, y))
    reg = PoissonRegression().fit(X, y)
    assert isinstance(reg.predict(Xd), da.Array)
    np.testing.assert_allclose(reg.predict(Xd).compute(), reg.predict(X))


def test_verbose_states_the_passes(capsys):
    X, y = _binary()
    est = LogisticRegression(verbose=1).fit(*_dask(X, y))
    out = capsys.readouterr().out
    assert f"{est.n_passes_} pass(es) over X" in out and "solver=newton" in out
    LogisticRegression(verbose=3).fit(X, y)
    out = capsys.readouterr().out
    assert "pass 1:" in out and "[newton] iter 0" in out


def test_callback_and_warm_start():
    X, y = _binary()
    seen = []
    est = LogisticRegression(solver_kwargs={"callback": lambda i, w: seen.append(i)}).fit(X, y)
    assert seen == list(range(1, len(seen) + 1)) and seen
    cold = LogisticRegression(solver="lbfgs").fit(X, y)
    warm = LogisticRegression(solver="lbfgs", warm_start=True)
    warm.coef_, warm.intercept_ = est.coef_.copy(), est.intercept_.copy()
    warm.fit(X, y)
    assert warm.n_iter_[0] < cold.n_iter_[0]


# --------------------------------------------------------------------------------------------
# labels and weights
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["numpy", "dask"])
def test_string_and_categorical_labels(kind):
    X, y = _multi()
    names = np.array(["cat", "dog", "eel"], dtype=object)[y]
    ref = LogisticRegression().fit(X, y)
    if kind == "numpy":
        cases = [names, pd.Series(pd.Categorical(names)), y + 10]
    else:
        frame = dd.from_pandas(pd.DataFrame({"label": pd.Categorical(names)}), npartitions=3)
        cases = [da.from_array(names, chunks=100), frame["label"], da.from_array(y + 10, 100)]
    for labels in cases:
        Xk = X if kind == "numpy" else da.from_array(X, chunks=(100, -1))
        est = LogisticRegression().fit(Xk, labels)
        np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-8)
        pred = est.predict(Xk)
        pred = pred.compute() if kind == "dask" else pred
        want = est.classes_[ref.predict(X)]
        np.testing.assert_array_equal(pred, want)
    assert est.classes_.tolist() == [10, 11, 12]


@pytest.mark.parametrize("data", [_binary, _multi])
def test_class_weight_and_sample_weight_match_sklearn(data):
    X, y = data()
    rng = np.random.default_rng(0)
    sw = rng.uniform(0.2, 3.0, len(y))
    for class_weight in ("balanced", {0: 2.0, 1: 0.5}):
        ref = sk.LogisticRegression(class_weight=class_weight, tol=1e-10, max_iter=1000)
        ref.fit(X, y, sample_weight=sw)
        Xd, yd = _dask(X, y)
        est = LogisticRegression(class_weight=class_weight).fit(Xd, yd, sample_weight=sw)
        _close(est.coef_, ref.coef_)
        _close(est.intercept_, ref.intercept_)
        assert est.score(X, y, sample_weight=sw) == pytest.approx(ref.score(X, y, sample_weight=sw))


def test_sample_weight_regression_and_dask_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(size=300)
    sw = rng.uniform(0.5, 2.0, 300)
    ref = sk.Ridge(alpha=1.0).fit(X, y, sample_weight=sw)
    Xd, yd = _dask(X, y)
    est = LinearRegression().fit(Xd, yd, sample_weight=da.from_array(sw, chunks=100))
    _close(est.coef_, ref.coef_)
    assert est.score(Xd, yd, sample_weight=sw) == pytest.approx(ref.score(X, y, sample_weight=sw))
    with pytest.raises(ValueError, match="line up"):
        LinearRegression().fit(Xd, yd, sample_weight=da.from_array(sw, chunks=150))
    with pytest.raises(ValueError, match="non-negative"):
        LinearRegression().fit(X, y, sample_weight=-sw)


# --------------------------------------------------------------------------------------------
# bad input and documented behaviour
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf_in_X(bad):
    X, y = _binary()
    X = X.copy()
    X[17, 2] = bad
    with pytest.raises(ValueError, match="NaN or infinity"):
        LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="NaN or infinity"):
        LogisticRegression().fit(*_dask(X, y))  # found by the first pass, no pass of its own
    with pytest.raises(ValueError, match="NaN or infinity"):
        LinearRegression(solver="lbfgs").fit(*_dask(X, y.astype(float)))


def test_nan_in_regression_target():
    X, y = _binary()
    y = y.astype(float)
    y[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LinearRegression().fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        LinearRegression().fit(*_dask(X, y))


def test_infinite_class_label():
    X, y = _binary()
    y = y.astype(float)
    y[3] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        LogisticRegression().fit(X, y)


def test_single_class_and_unknown_class_weight_labels():
    X, y = _binary()
    with pytest.raises(ValueError, match="only one class: 1"):
        LogisticRegression().fit(*_dask(X, np.ones_like(y)))
    with pytest.raises(ValueError, match=r"label\(s\) \[7\] that are not classes"):
        LogisticRegression(class_weight={0: 1.0, 7: 2.0}).fit(X, y)
    # labels of y that are not in classes_ count as errors when scoring
    est = LogisticRegression().fit(X, y)
    assert est.score(X, np.full_like(y, 5)) == 0.0


def test_poisson_target_checks():
    X, _ = _binary()
    with pytest.raises(ValueError, match="negative"):
        PoissonRegression().fit(X, -np.ones(len(X)))
    with pytest.raises(ValueError, match="not positive"):
        PoissonRegression().fit(*_dask(X, np.zeros(len(X))))


def test_zero_variance_columns():
    """A constant column: coefficient 0 under a penalty (the intercept absorbs it), as in
    scikit-learn; an all-zero column: coefficient 0 even without a penalty."""
    X, y = _binary()
    Xc = np.column_stack([X, np.full(len(X), 3.0), np.zeros(len(X))])
    est = LogisticRegression().fit(Xc, y)
    ref = sk.LogisticRegression(tol=1e-10).fit(Xc, y)
    _close(est.coef_, ref.coef_)
    assert abs(est.coef_[0, 4]) < 1e-8 and est.coef_[0, 5] == 0.0
    lasso = LinearRegression(penalty="l1").fit(Xc, y.astype(float))
    assert lasso.coef_[4] == 0.0 and lasso.coef_[5] == 0.0
    free = LogisticRegression(penalty=None).fit(Xc, y)
    assert free.coef_[0, 5] == 0.0 and np.all(np.isfinite(free.coef_))
    np.testing.assert_array_equal(
        free.predict(Xc), LogisticRegression(penalty=None).fit(X, y).predict(X)
    )


def test_non_convergence_warns_with_solver_and_iterations():
    X, y = _binary()
    for solver in ("newton", "lbfgs", "admm", "gradient_descent", "proximal_grad"):
        with pytest.warns(ConvergenceWarning, match=rf"solver '{solver}'.*after \d+ iteration"):
            LogisticRegression(solver=solver, max_iter=1, tol=1e-12).fit(X, y)


@pytest.mark.parametrize(
    "params,match",
    [
        ({"penalty": "l3"}, "penalty"),
        ({"C": 0.0}, "C must be"),
        ({"C": -1}, "C must be"),
        ({"tol": 0}, "tol"),
        ({"max_iter": 0}, "max_iter"),
        ({"solver": "sag"}, "solver must be"),
        ({"dual": True}, "dual"),
        ({"multi_class": "crammer"}, "multi_class"),
        ({"penalty": "l2", "l1_ratio": 0.5}, "contradicts"),
        ({"penalty": "elastic_net", "l1_ratio": 1.5}, "l1_ratio"),
        ({"solver": "gradient_descent", "penalty": "l1"}, "smooth penalty"),
        ({"solver": "lbfgs", "solver_kwargs": {"rho": 1.0}}, "not options"),
        ({"class_weight": "heavy"}, "class_weight"),
    ],
)
def test_bad_parameters(params, match):
    X, y = _binary()
    with pytest.raises(ValueError, match=match):
        LogisticRegression(**params).fit(X, y)


def test_regressors_refuse_class_weight_and_2d_target():
    X, y = _binary()
    with pytest.raises(ValueError, match="class_weight"):
        LinearRegression(class_weight="balanced").fit(X, y)
    with pytest.raises(ValueError):
        LinearRegression().fit(X, np.column_stack([y, y]))


def test_constant_column_without_penalty_is_not_unique_but_finite():
    X, y = _binary()
    Xc = np.column_stack([X, np.ones(len(X))])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        est = LogisticRegression(penalty=None).fit(Xc, y)
    assert np.all(np.isfinite(est.coef_)) and np.isfinite(est.intercept_).all()
    ref = sk.LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(est.predict_proba(Xc), ref.predict_proba(X), atol=1e-6)


def test_scikit_learn_conventions_for_targets():
    X, y = _binary()
    with pytest.raises(ValueError, match="requires y to be passed"):
        LogisticRegression().fit(X, None)
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        LogisticRegression().fit(X, X[:, 0])
    with pytest.raises(ValueError, match="weights sum to zero"):
        PoissonRegression().fit(X, y, sample_weight=np.zeros(len(y)))
    assert PoissonRegression().__sklearn_tags__().target_tags.positive_only


def test_errors_name_the_real_problem():
    X, y = _binary()
    with pytest.raises(ValueError, match="too large for float64"):
        LogisticRegression().fit(X * 1e306, y)  # finite, but the loss overflows
    with pytest.raises(ValueError, match=r"class\(es\) \[1\] have none"):
        LogisticRegression(class_weight="balanced").fit(X, y, sample_weight=np.where(y, 0.0, 1.0))
    counts = PoissonRegression().fit(X, np.abs(X[:, 0]))
    with pytest.raises(ValueError, match="negative"):
        counts.score(X, -np.abs(X[:, 0]))
    with pytest.raises(ValueError, match="X and sample_weight have different numbers of rows"):
        LinearRegression().fit(X, y.astype(float), sample_weight=np.ones(3))
