"""The compiled sweeps (``_sweeps``) against plain NumPy formulas, row by row."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, logsumexp

from dasklearn._compiled import target_cpu
from dasklearn.linear_model import _kernels as K
from dasklearn.linear_model import _sweeps, _vmath
from dasklearn.linear_model._families import (
    Binomial,
    Gaussian,
    Multinomial,
    OneVsRest,
    Poisson,
)

FAMILIES = [Gaussian(1), Binomial(1), Poisson(1), Multinomial(3), Multinomial(4), OneVsRest(3)]


def _data(family, n, p, weighted, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    k = family.n_outputs
    if isinstance(family, Multinomial | OneVsRest):
        y = rng.integers(0, k, n)
    elif isinstance(family, Binomial):
        y = rng.integers(0, 2, n).astype(float)
    elif isinstance(family, Poisson):
        y = rng.poisson(1.5, n).astype(float)
    else:
        y = rng.normal(size=n)
    sw = rng.uniform(0.5, 2.0, n) if weighted else None
    return X, y, sw


def _reference(X, y, sw, w, family, fit_intercept):
    """Loss sum, gradient and the per-row Hessian weights of one point, in NumPy."""
    n, p = X.shape
    k = family.n_outputs
    Z = np.hstack([X, np.ones((n, 1))]) if fit_intercept else X
    eta = Z @ w.reshape(k, Z.shape[1]).T
    s = np.ones(n) if sw is None else sw
    onehot = (y[:, None] == np.arange(k)).astype(float)
    if family.name == "gaussian":
        loss, r, h = 0.5 * (eta[:, 0] - y) ** 2, eta - y[:, None], np.ones_like(eta)
    elif family.name == "binomial":
        prob = expit(eta)
        loss = np.logaddexp(0, eta[:, 0]) - y * eta[:, 0]
        r, h = prob - y[:, None], prob * (1 - prob)
    elif family.name == "poisson":
        mu = np.exp(eta)
        loss, r, h = mu[:, 0] - y * eta[:, 0], mu - y[:, None], mu
    elif family.name == "ovr":
        prob = expit(eta)
        loss = (np.logaddexp(0, eta) - onehot * eta).sum(axis=1)
        r, h = prob - onehot, prob * (1 - prob)
    else:
        lse = logsumexp(eta, axis=1)
        loss = lse - eta[np.arange(n), y]
        h = np.exp(eta - lse[:, None])  # the probabilities
        r = h - onehot
    return float(s @ loss), ((r * s[:, None]).T @ Z).ravel(), Z, h, s


def _reference_hessian(Z, h, s, family):
    k, pa = h.shape[1], Z.shape[1]
    H = np.zeros((k * pa, k * pa))
    for a in range(k):
        for b in range(k):
            if family.name == "multinomial":
                weight = s * h[:, a] * ((a == b) - h[:, b])
            elif a == b:
                weight = s * h[:, a]
            else:
                continue
            H[a * pa : (a + 1) * pa, b * pa : (b + 1) * pa] = Z.T @ (Z * weight[:, None])
    return H


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("stride", [1, 3])
@pytest.mark.parametrize("p, n_points", [(9, 4), (11, 3)])
def test_sweep_matches_numpy(family, weighted, fit_intercept, stride, p, n_points):
    # 203 rows: three full tiles of 64 and a remainder; padded columns. With every row, the
    # sweep's own Gram runs in 4 x 4 blocks: 9 or 11 features (+ intercept) leave 1 to 3
    # columns after them, or none. 3 points (or 4 classes, 3 relative predictors) take a
    # fourth row of zeros in the predictor loops.
    X, y, sw = _data(family, 203, p, weighted)
    rng = np.random.default_rng(1)
    d = family.n_outputs * (p + fit_intercept)
    points = rng.normal(scale=0.3, size=(n_points, d))
    losses, G, H = K.sweep(X, y, sw, points, 2, family, fit_intercept, stride)
    for j, w in enumerate(points):
        loss, g, Z, h, s = _reference(X, y, sw, w, family, fit_intercept)
        assert losses[j] == pytest.approx(loss, rel=1e-13)
        if j < 2:
            np.testing.assert_allclose(G[j], g, rtol=1e-12, atol=1e-12)
        if j == 0:
            rows = slice(None, None, stride)
            ref = _reference_hessian(Z[rows], h[rows], s[rows], family) * 203 / len(Z[rows])
            np.testing.assert_allclose(H, ref, rtol=1e-12, atol=1e-11)
    assert G.shape == (2, d)


@pytest.mark.parametrize("n_points", [1, 2])
def test_sweep_without_hessian(n_points):
    # 4 classes: 3 predictors relative to class 0 per point (one point: a fourth row of
    # zeros), and class 0's gradient as minus the others'
    family = Multinomial(4)
    X, y, sw = _data(family, 130, 5, True)
    w = np.random.default_rng(2).normal(scale=0.3, size=(n_points, 24))
    losses, G, H = K.sweep(X, y, sw, w, 1, family, True)
    assert H is None and G.shape == (1, 24)
    for j in range(n_points):
        loss, g, *_ = _reference(X, y, sw, w[j], family, True)
        assert losses[j] == pytest.approx(loss, rel=1e-13)
        if j == 0:
            np.testing.assert_allclose(G[0], g, rtol=1e-12, atol=1e-12)


def test_extreme_predictors_stay_finite():
    family = Binomial(1)
    X = np.array([[800.0], [-800.0], [40.0], [-40.0]])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    losses, G, H = K.sweep(X, y, None, np.array([[1.0, 0.0]]), 1, family, True, 1)
    assert losses[0] == pytest.approx(80.0, rel=1e-12)  # softplus(±40) = 40 + e^-40
    np.testing.assert_allclose(G[0], [80.0, 0.0], atol=1e-12)  # residuals 0, 0, 1, -1
    assert np.isfinite(H).all()


@pytest.mark.parametrize("scale", [0.3, 30.0, 300.0, 1000.0])
def test_softmax_matches_numpy_for_small_and_huge_predictors(scale):
    # Predictors up to ~1e2 (e^η taken as it is) and ~1e3 (past e^690: those tiles take the
    # form with each row's largest predictor subtracted), weighted, 2 points, with a Hessian.
    family = Multinomial(5)
    X, y, sw = _data(family, 203, 6, True)
    points = np.random.default_rng(3).normal(scale=scale, size=(2, 5 * 7))
    losses, G, H = K.sweep(X, y, sw, points, 2, family, True, 1)
    for j, w in enumerate(points):
        loss, g, Z, h, s = _reference(X, y, sw, w, family, True)
        assert losses[j] == pytest.approx(loss, rel=1e-13)
        np.testing.assert_allclose(G[j], g, rtol=1e-12, atol=1e-10 * scale)
        if j == 0:
            ref = _reference_hessian(Z, h, s, family)
            np.testing.assert_allclose(H, ref, rtol=1e-12, atol=1e-11)


def test_exp_and_log_are_accurate():
    x = np.concatenate([np.linspace(-700, 700, 20001), [-1e-300, 0.0, 1e-12, 0.5, -0.5]])
    out = np.empty_like(x)
    _vmath.vexp(x, out)
    rel = np.abs(out / np.exp(x) - 1)
    assert rel.max() < 3e-14
    assert rel[np.abs(x) <= 40].max() < 2e-15
    big = np.array([710.0, 1e308, -709.0, -1e308, np.inf, -np.inf, np.nan])
    out = np.empty_like(big)
    _vmath.vexp(big, out)
    assert out[0] == out[1] == out[4] == np.inf
    assert 0 <= out[2] < 1e-300 and out[3] == out[5] == 0.0 and np.isnan(out[6])
    x = np.concatenate([np.logspace(-300, 300, 20001), 1 + np.linspace(-1e-6, 1e-6, 101)])
    out = np.empty_like(x)
    _vmath.vlog(x, out)
    np.testing.assert_allclose(out, np.log(x), rtol=5e-16, atol=1e-22)


def test_software_prefetch_follows_the_cpu_compiled_for():
    # AMD's Zen cores stream a block faster on their own (benchmarks/results/pass_floor.md)
    assert not _sweeps.asks_for_lines("znver4")
    assert _sweeps.asks_for_lines("skylake-avx512")
    assert _sweeps.SOFTWARE_PREFETCH == _sweeps.asks_for_lines(target_cpu())
    assert isinstance(target_cpu(), str) and target_cpu()
