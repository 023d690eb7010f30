"""Same answer as scikit-learn: every estimator, penalty and solver, every input kind, threaded and
on the 2-process LocalCluster; and the same coefficients on both schedulers."""

from __future__ import annotations

import functools
import warnings

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from support import output_type

from dasklearn.linear_model import LinearRegression, LogisticRegression, PoissonRegression

N = 400
SOLVERS = ["newton", "lbfgs", "admm", "gradient_descent", "proximal_grad"]
#: (C, l1_ratio) of each penalty in the comparisons
PENALTIES = {"l2": (1.0, None), None: (np.inf, None), "l1": (0.5, None), "elastic_net": (0.5, 0.4)}
_L1 = {"l2": 0.0, None: 0.0, "l1": 1.0, "elastic_net": 0.4}


@functools.cache
def binary_data():
    X, y = make_classification(N, 5, n_informative=4, n_redundant=0, flip_y=0.1, random_state=0)
    return X, y


@functools.cache
def multiclass_data():
    X, y = make_classification(
        N, 5, n_informative=4, n_redundant=0, n_classes=3, flip_y=0.1, random_state=1
    )
    return X, y


@functools.cache
def regression_data():
    X, y = make_regression(N, 5, n_informative=4, noise=5.0, random_state=2)
    return X, y


@functools.cache
def count_data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(N, 5))
    y = rng.poisson(np.exp(X @ np.array([0.3, -0.2, 0.1, 0.0, 0.25]) + 0.3))
    return X, y


def _data(model):
    return {
        "binary": binary_data,
        "multinomial": multiclass_data,
        "linear": regression_data,
        "poisson": count_data,
    }[model]()


@functools.cache
def reference(model, penalty):
    """scikit-learn's coefficients (coef, intercept) for the same objective."""
    X, y = _data(model)
    C, _ = PENALTIES[penalty]
    rho = _L1[penalty]
    n = len(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if model in ("binary", "multinomial"):
            solver = "lbfgs" if rho == 0 else "saga"
            est = sk.LogisticRegression(
                C=C, l1_ratio=rho, solver=solver, tol=1e-12, max_iter=100_000
            ).fit(X, y)
        elif model == "linear":
            est = {
                "l2": sk.Ridge(alpha=1 / C),
                None: sk.LinearRegression(),
                "l1": sk.Lasso(alpha=1 / (C * n), tol=1e-12, max_iter=100_000),
                "elastic_net": sk.ElasticNet(
                    alpha=1 / (C * n), l1_ratio=rho, tol=1e-12, max_iter=100_000
                ),
            }[penalty].fit(X, y)
        elif penalty in ("l2", None):
            alpha = 0.0 if penalty is None else 1 / (C * n)
            est = sk.PoissonRegressor(alpha=alpha, tol=1e-12, max_iter=10_000).fit(X, y)
        else:  # scikit-learn has no l1 Poisson regression: our tightest solver is the reference
            est = _fit(model, penalty, "newton", tol=1e-12, kind="numpy")
    return np.asarray(est.coef_), np.asarray(est.intercept_), est


def _estimator(model, penalty, solver, tol=1e-8, **kw):
    C, l1_ratio = PENALTIES[penalty]
    cls = {
        "binary": LogisticRegression,
        "multinomial": LogisticRegression,
        "linear": LinearRegression,
        "poisson": PoissonRegression,
    }[model]
    max_iter = 20_000 if solver in ("gradient_descent", "proximal_grad", "admm") else 500
    return cls(
        penalty=penalty, C=C, l1_ratio=l1_ratio, solver=solver, tol=tol, max_iter=max_iter, **kw
    )


def _fit(model, penalty, solver, tol=1e-8, kind="dask_array", chunks=150):
    X, y = _data(model)
    if kind == "dask_array":
        X, y = da.from_array(X, chunks=(chunks, -1)), da.from_array(y, chunks=chunks)
    return _estimator(model, penalty, solver, tol=tol).fit(X, y)


def _close(got, want, rtol=1e-4):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    scale = max(np.abs(want).max(), 1e-3)
    assert np.abs(got - want).max() <= rtol * scale, (got, want)


CASES = [
    (model, penalty, solver)
    for model in ("binary", "multinomial", "linear", "poisson")
    for penalty in ("l2", None, "l1", "elastic_net")
    for solver in SOLVERS
    if not (solver == "gradient_descent" and penalty in ("l1", "elastic_net"))
]


@pytest.mark.parametrize("model,penalty,solver", CASES, ids=["-".join(map(str, c)) for c in CASES])
def test_coefficients_match_sklearn(model, penalty, solver):
    """Three row blocks (so ADMM has a consensus to find), threaded scheduler."""
    first_order = solver in ("gradient_descent", "proximal_grad", "admm")
    with dask.config.set(scheduler="threads"):
        est = _fit(model, penalty, solver, tol=1e-7 if first_order else 1e-8)
    coef, intercept, _ = reference(model, penalty)
    _close(est.coef_, coef)
    _close(est.intercept_, intercept)
    assert est.solver_ == solver


def test_auto_solver_is_newton_for_modest_width():
    with dask.config.set(scheduler="threads"):
        est = _fit("binary", "l2", "auto")
    assert est.solver_ == "newton"
    # Least squares: one pass over the data, whatever the penalty
    for penalty in ("l2", None, "l1", "elastic_net"):
        lin = _fit("linear", penalty, "auto")
        assert lin.n_passes_ == 1 and lin.n_iter_ == 1


MODELS = ["binary", "multinomial", "linear", "poisson"]


@pytest.mark.parametrize("model", MODELS)
def test_every_input_kind_and_scheduler(model, input_kind, as_kind, scheduler):
    """Defaults (penalty='l2', C=1, solver='auto') on numpy, pandas, dask array, dask dataframe."""
    X, y = _data(model)
    Xk, yk = as_kind(input_kind, X, y, chunks=100)
    cls = {"binary": LogisticRegression, "multinomial": LogisticRegression}.get(model)
    cls = cls or {"linear": LinearRegression, "poisson": PoissonRegression}[model]
    est = cls(tol=1e-8).fit(Xk, yk)
    coef, intercept, ref = reference(model, "l2")
    _close(est.coef_, coef)
    _close(est.intercept_, intercept)
    lazy = input_kind in ("dask_array", "dask_dataframe")
    pred = est.predict(Xk)
    assert isinstance(pred, da.Array | dd.Series | dd.DataFrame) == lazy
    assert isinstance(pred, output_type(input_kind))
    pred = np.asarray(pred.compute() if lazy else pred)
    if model in ("binary", "multinomial"):
        np.testing.assert_array_equal(pred, ref.predict(X))
        proba = est.predict_proba(Xk)
        proba = proba.compute() if lazy else proba
        np.testing.assert_allclose(proba, ref.predict_proba(X), atol=1e-5)
        assert est.score(Xk, yk) == pytest.approx(ref.score(X, y))
        assert est.classes_.tolist() == ref.classes_.tolist()
    else:
        np.testing.assert_allclose(pred, ref.predict(X), rtol=1e-5, atol=1e-6)
        assert est.score(Xk, yk) == pytest.approx(ref.score(X, y), abs=1e-7)
    if input_kind in ("pandas", "dask_dataframe"):
        assert est.feature_names_in_.tolist() == [f"x{i}" for i in range(X.shape[1])]
    else:
        assert not hasattr(est, "feature_names_in_")
    assert est.n_features_in_ == X.shape[1]
    assert isinstance(est.coef_, np.ndarray)


@pytest.mark.slow
@pytest.mark.parametrize("solver", SOLVERS)
def test_same_coefficients_threaded_and_distributed(solver, client):
    """Same data and parameters → the same coefficients on both schedulers (random_state unused:
    every solver is deterministic, and blocks are summed in a fixed order)."""
    X, y = multiclass_data()
    Xd, yd = da.from_array(X, chunks=(100, -1)), da.from_array(y, chunks=100)
    est = _estimator("multinomial", "l2", solver, tol=1e-6, random_state=0)
    on_cluster = est.fit(Xd, yd).coef_.copy()
    with dask.config.set(scheduler="threads"):
        threaded = _estimator("multinomial", "l2", solver, tol=1e-6, random_state=0).fit(Xd, yd)
    np.testing.assert_allclose(threaded.coef_, on_cluster, rtol=1e-10, atol=1e-12)


def test_ovr_matches_one_binary_model_per_class():
    X, y = multiclass_data()
    est = LogisticRegression(multi_class="ovr", tol=1e-10).fit(X, y)
    assert est.coef_.shape == (3, X.shape[1])
    for k in range(3):
        ref = sk.LogisticRegression(tol=1e-12, max_iter=1000).fit(X, (y == k).astype(int))
        _close(est.coef_[k], ref.coef_[0])
        _close(est.intercept_[k], ref.intercept_[0])
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize("model", ["binary", "multinomial", "poisson"])
def test_newton_with_a_sampled_hessian_gives_the_same_answer(model):
    """Hessian from every 7th row: more iterations, the same coefficients (the gradient is
    exact)."""
    X, y = _data(model)
    est = _estimator(model, "l2", "newton", solver_kwargs={"hessian_rows": len(X) // 7})
    est.fit(X, y)
    coef, intercept, _ = reference(model, "l2")
    _close(est.coef_, coef)
    _close(est.intercept_, intercept)


def test_auto_picks_lbfgs_when_the_hessian_is_expensive():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 80))
    y = (X[:, 0] + rng.logistic(size=300) > 0).astype(int)
    assert LogisticRegression().fit(X, y).solver_ == "lbfgs"
    assert LogisticRegression().fit(X[:, :10], y).solver_ == "newton"
    assert LinearRegression().fit(X, y.astype(float)).solver_ == "newton"
