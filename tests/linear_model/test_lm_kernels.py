"""Block kernels and client-side pieces of dasklearn.linear_model, in pure NumPy (no dask)."""

from __future__ import annotations

import numpy as np
import pytest

from dasklearn._labels import encode_labels, label_counts, merge_label_counts
from dasklearn.linear_model import _kernels as K
from dasklearn.linear_model._families import (
    Binomial,
    Gaussian,
    Multinomial,
    OneVsRest,
    Poisson,
)
from dasklearn.linear_model._penalties import Penalty, make_penalty
from dasklearn.linear_model._solvers import _quadratic_l1, _solve_psd


def _problem(family, n=60, p=3, seed=0, weighted=True):
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
    w = rng.normal(scale=0.3, size=k * (p + 1))
    return X, y, sw, w


FAMILIES = [Gaussian(1), Binomial(1), Poisson(1), Multinomial(3), OneVsRest(3)]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_and_hessian_match_finite_differences(family, weighted):
    X, y, sw, w = _problem(family, weighted=weighted)
    loss, g, H, _ = K.loss_grad_hess(X, y, sw, w, np.zeros((0, len(w))), family, True)

    def f(v):
        return K.loss_grad(X, y, sw, v[None], family, True, with_gradient=False)[0][0]

    eps = 1e-6
    num_g = np.array([(f(w + eps * e) - f(w - eps * e)) / (2 * eps) for e in np.eye(len(w))])
    np.testing.assert_allclose(g, num_g, rtol=1e-6, atol=1e-6)
    gfun = lambda v: K.loss_grad(X, y, sw, v[None], family, True)[1][0]  # noqa: E731
    num_H = np.array([(gfun(w + eps * e) - gfun(w - eps * e)) / (2 * eps) for e in np.eye(len(w))])
    np.testing.assert_allclose(H, num_H, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    assert loss == pytest.approx(f(w))


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_row_pieces_and_extra_points_add_up(family):
    # two pieces of 250 rows (3 tiles of 64 and a short one each) sum to the whole block
    X, y, sw, w = _problem(family, n=500)
    extra = np.vstack([w * 0.5, w * 2.0])
    whole = K.loss_grad_hess(X, y, sw, w, extra, family, True)
    halves = [slice(0, 250), slice(250, 500)]
    parts = [
        K.loss_grad_hess(X[h], y[h], None if sw is None else sw[h], w, extra, family, True)
        for h in halves
    ]
    for i, a in enumerate(whole):
        np.testing.assert_allclose(a, parts[0][i] + parts[1][i], rtol=1e-12, atol=1e-10)
    losses, G = K.loss_grad(X, y, sw, np.vstack([w, extra]), family, True)
    np.testing.assert_allclose(losses, np.r_[whole[0], whole[3]], rtol=1e-12)
    np.testing.assert_allclose(G[0], whole[1], rtol=1e-12, atol=1e-12)


def test_no_intercept_layout():
    family = Binomial(1)
    X, y, sw, _ = _problem(family)
    w = np.array([0.1, -0.2, 0.3])
    loss, g, H, _ = K.loss_grad_hess(X, y, None, w, np.zeros((0, 3)), family, False)
    eta = X @ w
    p = 1 / (1 + np.exp(-eta))
    np.testing.assert_allclose(g, X.T @ (p - y))
    np.testing.assert_allclose(H, X.T @ (X * (p * (1 - p))[:, None]))


def test_float32_blocks_are_computed_in_float64():
    family = Gaussian(1)
    X, y, _, w = _problem(family)
    a = K.loss_grad_hess(X, y, None, w, np.zeros((0, 4)), family, True)
    b = K.loss_grad_hess(X.astype(np.float32), y, None, w, np.zeros((0, 4)), family, True)
    assert b[2].dtype == np.float64
    np.testing.assert_allclose(a[2], b[2], rtol=1e-6)


def test_label_counts_merge_and_encoding():
    a = label_counts(np.array(["b", "a", "b"], dtype=object))
    b = label_counts(np.array(["c", "b"], dtype=object), np.array([2.0, 1.0]))
    labels, counts, weights = merge_label_counts(a, b)
    assert labels.tolist() == ["a", "b", "c"]
    assert counts.tolist() == [1, 3, 1]
    assert weights.tolist() == [1.0, 3.0, 2.0]
    codes = encode_labels(np.array(["c", "a"], dtype=object), labels)
    assert codes.tolist() == [2, 0]
    with pytest.raises(ValueError, match="NaN"):
        label_counts(np.array([0.0, np.nan]))


def test_target_moments():
    out = K.merge_moments(
        K.target_moments(np.array([1.0, 2.0])), K.target_moments(np.array([-1.0, np.inf]))
    )
    assert out[0] == 4 and out[3] == -1.0 and out[4] == 1.0


def test_quadratic_l1_is_the_lasso_solution():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(50, 6))
    H = A.T @ A
    c = -A.T @ rng.normal(size=50)
    l1 = np.r_[np.full(5, 3.0), 0.0]  # last coordinate unpenalised (an intercept)
    v = _quadratic_l1(H, c, np.zeros(6), l1)
    grad = c + H @ v
    nz = v != 0
    np.testing.assert_allclose(grad[nz], -l1[nz] * np.sign(v[nz]), atol=1e-9)
    assert np.all(np.abs(grad[~nz]) <= l1[~nz] + 1e-9)


def test_solve_psd_singular_gives_minimum_norm():
    H = np.diag([2.0, 0.0])
    np.testing.assert_allclose(_solve_psd(H, np.array([2.0, 0.0])), [1.0, 0.0])


def test_penalty_scaling_and_optimality():
    mask = np.array([True, True, False])
    pen = make_penalty("elastic_net", 0.25, C=2.0, weight_sum=10.0, mask=mask)
    assert pen.l1 == pytest.approx(0.25 / 20) and pen.l2 == pytest.approx(0.75 / 20)
    assert make_penalty(None, 0.0, 1.0, 10.0, mask).l2 == 0.0
    assert make_penalty("l2", 0.0, np.inf, 10.0, mask).l2 == 0.0
    with pytest.raises(ValueError, match="penalty"):
        make_penalty("l3", 0.0, 1.0, 1.0, mask)
    p = Penalty(0.0, 1.0, mask)
    assert p.optimality(np.zeros(3), np.array([0.5, -2.0, 0.1])) == pytest.approx(1.0)
    assert p.optimality(np.array([1.0, 0, 0]), np.array([-1.0, 0.0, 0.0])) == 0.0


@pytest.mark.parametrize("family", [Binomial(1), Multinomial(3)], ids=lambda f: f.name)
def test_strided_hessian_estimate(family):
    X, y, sw, w = _problem(family, n=3000, weighted=False)
    none = np.zeros((0, len(w)))
    full = K.loss_grad_hess(X, y, sw, w, none, family, True)
    sampled = K.loss_grad_hess(X, y, sw, w, none, family, True, stride=3)
    assert sampled[0] == pytest.approx(full[0], rel=1e-12)
    np.testing.assert_allclose(sampled[1], full[1], rtol=1e-12)  # loss and gradient exact
    rel = np.abs(sampled[2] - full[2]).max() / np.abs(full[2]).max()
    assert 0 < rel < 0.1
    np.testing.assert_allclose(sampled[2], sampled[2].T, atol=1e-12)
