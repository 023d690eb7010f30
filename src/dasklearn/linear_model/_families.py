"""GLM families: the loss of one row block, its derivative in the linear predictor, its curvature.

Pure NumPy, no dask. A family sees the linear predictor ``eta`` of a block as an ``(n, K)`` array
(``K`` outputs: 1 for regression and binary classification, the number of classes for multinomial
and one-vs-rest), the encoded target ``y`` of the block and the sample weights ``sw`` (or None).

Every family returns *sums* over the block of ``sw * loss``; the objective divides by the total
weight. The losses (up to constants that do not depend on the coefficients):

=============== ============================== ==============================
family          loss per row                   target encoding
=============== ============================== ==============================
gaussian        ½ (y - η)²                     float
binomial        log(1 + e^η) - y η             float 0/1
poisson         e^η - y η                      float counts ≥ 0
multinomial     logsumexp(η) - η_y             int codes 0..K-1
ovr             Σ_k binomial(η_k, [y = k])     int codes 0..K-1
=============== ============================== ==============================
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit

__all__ = [
    "Binomial",
    "Family",
    "Gaussian",
    "Multinomial",
    "OneVsRest",
    "Poisson",
]


def _weighted_sum(values: np.ndarray, sw: np.ndarray | None) -> float:
    if sw is None:
        return float(values.sum())
    return float(values @ sw) if values.ndim == 1 else float((values.sum(axis=1)) @ sw)


def _softplus(eta: np.ndarray) -> np.ndarray:
    """log(1 + exp(eta)) without overflow."""
    out = np.exp(-np.abs(eta))
    np.log1p(out, out=out)
    out += np.maximum(eta, 0.0)
    return out


class Family:
    """Base class: one output, a diagonal curvature ``h`` per row and output."""

    name = "family"
    n_outputs = 1
    #: "diagonal": the Hessian of the loss in η is diagonal per row (an (n, K) array of weights);
    #: "multinomial": a full K×K matrix per row, built from the probabilities.
    hessian_kind = "diagonal"
    #: The loss is quadratic in the coefficients: one Newton step from anywhere is exact.
    quadratic = False

    def __init__(self, n_outputs: int = 1) -> None:
        self.n_outputs = int(n_outputs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_outputs={self.n_outputs})"

    def __dask_tokenize__(self) -> Any:
        return (type(self).__name__, self.n_outputs)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.n_outputs == other.n_outputs  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.n_outputs))

    # ---- per block ---------------------------------------------------------------------------
    def loss(self, eta: np.ndarray, y: np.ndarray, sw: np.ndarray | None) -> float:
        """Weighted sum of the loss over the rows of the block."""
        raise NotImplementedError

    def loss_gradient(
        self, eta: np.ndarray, y: np.ndarray, sw: np.ndarray | None
    ) -> tuple[float, np.ndarray]:
        """The loss sum and ``R = sw * dloss/deta`` as an (n, K) array."""
        raise NotImplementedError

    def hessian_weights(self, eta: np.ndarray, sw: np.ndarray | None) -> np.ndarray:
        """``sw * d²loss/deta²`` as an (n, K) array (diagonal families)."""
        raise NotImplementedError

    def loss_gradient_curvature(
        self, eta: np.ndarray, y: np.ndarray, sw: np.ndarray | None, stride: int = 1
    ) -> tuple[float, np.ndarray, Any]:
        """Loss sum, ``R`` and the curvature of every ``stride``-th row, sharing work.

        The curvature is the (n/stride, K) array of Hessian weights for diagonal families, and
        ``(P, sw)`` (probabilities and weights of those rows) for the multinomial.
        """
        loss, R = self.loss_gradient(eta, y, sw)
        ss = None if sw is None else sw[::stride]
        return loss, R, self.hessian_weights(eta[::stride], ss)

    # ---- on the client -----------------------------------------------------------------------
    def inverse_link(self, eta: np.ndarray) -> np.ndarray:
        """Mean of the target given the linear predictor."""
        raise NotImplementedError

    def initial_intercept(self, stats: dict[str, Any]) -> np.ndarray:
        """A good starting intercept (K values) from the target statistics of the data."""
        return np.zeros(self.n_outputs)


class Gaussian(Family):
    """Squared error: least squares, ridge, lasso and elastic net."""

    name = "gaussian"
    quadratic = True

    def loss(self, eta, y, sw):
        r = eta[:, 0] - y
        return 0.5 * _weighted_sum(r * r, sw)

    def loss_gradient(self, eta, y, sw):
        r = eta[:, 0] - y
        loss = 0.5 * _weighted_sum(r * r, sw)
        if sw is not None:
            r = r * sw
        return loss, r[:, None]

    def hessian_weights(self, eta, sw):
        if sw is None:
            return np.ones_like(eta)
        return np.broadcast_to(sw[:, None], eta.shape)

    def inverse_link(self, eta):
        return eta

    def initial_intercept(self, stats):
        return np.array([stats["mean"]])


class Binomial(Family):
    """Binary logistic regression: y in {0, 1}, P(y = 1) = expit(η)."""

    name = "binomial"

    def loss(self, eta, y, sw):
        e = eta[:, 0]
        return _weighted_sum(_softplus(e) - y * e, sw)

    def loss_gradient(self, eta, y, sw):
        loss, R, _ = self.loss_gradient_curvature(eta, y, sw, 0)
        return loss, R

    def hessian_weights(self, eta, sw):
        p = expit(eta)
        h = p * (1.0 - p)
        if sw is not None:
            h *= sw[:, None]
        return h

    def loss_gradient_curvature(self, eta, y, sw, stride=1):
        e = eta[:, 0]
        p = expit(e)
        # softplus(e) = max(e, 0) - log(max(p, 1 - p)): one log, reusing expit's exp
        t = 1.0 - p
        np.maximum(p, t, out=t)
        np.log(t, out=t)
        softplus = np.maximum(e, 0.0)
        softplus -= t
        if sw is None:
            loss = float(softplus.sum() - y @ e)
        else:
            loss = float(sw @ softplus - (sw * y) @ e)
        h = None
        if stride:
            ps = p[::stride]
            h = (ps * (1.0 - ps))[:, None]
            if sw is not None:
                h *= sw[::stride, None]
        p -= y
        if sw is not None:
            p *= sw
        return loss, p[:, None], h

    def inverse_link(self, eta):
        return expit(eta)

    def initial_intercept(self, stats):
        freq = np.clip(stats["class_weight_sums"][1] / stats["weight_sum"], 1e-10, 1 - 1e-10)
        return np.array([np.log(freq / (1.0 - freq))])


class Poisson(Family):
    """Poisson regression with the log link: E[y] = exp(η)."""

    name = "poisson"

    def loss(self, eta, y, sw):
        e = eta[:, 0]
        with np.errstate(over="ignore", invalid="ignore"):
            return _weighted_sum(np.exp(e) - y * e, sw)

    def loss_gradient(self, eta, y, sw):
        e = eta[:, 0]
        with np.errstate(over="ignore", invalid="ignore"):
            mu = np.exp(e)
            loss = _weighted_sum(mu - y * e, sw)
            r = mu - y
        if sw is not None:
            r *= sw
        return loss, r[:, None]

    def hessian_weights(self, eta, sw):
        with np.errstate(over="ignore"):
            h = np.exp(eta)
        if sw is not None:
            h *= sw[:, None]
        return h

    def inverse_link(self, eta):
        return np.exp(eta)

    def initial_intercept(self, stats):
        return np.array([np.log(max(stats["mean"], 1e-10))])


class Multinomial(Family):
    """Softmax regression over K classes (the full, symmetric parametrisation of scikit-learn)."""

    name = "multinomial"
    hessian_kind = "multinomial"

    @staticmethod
    def _log_normaliser(eta: np.ndarray) -> np.ndarray:
        m = eta.max(axis=1)
        s = np.exp(eta - m[:, None]).sum(axis=1)
        return m + np.log(s)

    def loss(self, eta, y, sw):
        lse = self._log_normaliser(eta)
        picked = np.take_along_axis(eta, y[:, None], axis=1)[:, 0]
        return _weighted_sum(lse - picked, sw)

    def loss_gradient(self, eta, y, sw):
        loss, R, _ = self.loss_gradient_curvature(eta, y, sw, 0)
        return loss, R

    def loss_gradient_curvature(self, eta, y, sw, stride=1):
        m = eta.max(axis=1)
        prob = np.exp(eta - m[:, None])
        total = prob.sum(axis=1)
        prob /= total[:, None]
        rows = np.arange(len(y))
        loss = _weighted_sum(m + np.log(total) - eta[rows, y], sw)
        curvature = None
        if stride:
            curvature = (prob[::stride].copy(), None if sw is None else sw[::stride])
        prob[rows, y] -= 1.0
        if sw is not None:
            prob *= sw[:, None]
        return loss, prob, curvature

    def probabilities(self, eta: np.ndarray) -> np.ndarray:
        return np.exp(eta - self._log_normaliser(eta)[:, None])

    def inverse_link(self, eta):
        return self.probabilities(eta)

    def initial_intercept(self, stats):
        freq = np.clip(stats["class_weight_sums"] / stats["weight_sum"], 1e-10, None)
        b = np.log(freq)
        return b - b.mean()


class OneVsRest(Family):
    """K independent binary logistic regressions fitted together (one pass serves all K)."""

    name = "ovr"

    def _targets(self, y: np.ndarray) -> np.ndarray:
        return (y[:, None] == np.arange(self.n_outputs)).astype(np.float64)

    def loss(self, eta, y, sw):
        return _weighted_sum(_softplus(eta) - self._targets(y) * eta, sw)

    def loss_gradient(self, eta, y, sw):
        t = self._targets(y)
        loss = _weighted_sum(_softplus(eta) - t * eta, sw)
        r = expit(eta)
        r -= t
        if sw is not None:
            r *= sw[:, None]
        return loss, r

    def hessian_weights(self, eta, sw):
        p = expit(eta)
        h = p * (1.0 - p)
        if sw is not None:
            h *= sw[:, None]
        return h

    def inverse_link(self, eta):
        return expit(eta)

    def initial_intercept(self, stats):
        freq = np.clip(stats["class_weight_sums"] / stats["weight_sum"], 1e-10, 1 - 1e-10)
        return np.log(freq / (1.0 - freq))
