"""GLM families: what the solvers and estimators need to know of a loss.

A family names its loss for the compiled sweeps (:mod:`._sweeps`, where the loss, its derivative
in the linear predictor and its curvature are computed), says how many outputs the linear
predictor ``eta`` has (``K``: 1 for regression and binary classification, the number of classes
for multinomial and one-vs-rest) and what shape its Hessian has, and gives the inverse link
(predictions) and a starting intercept. The losses, summed over rows with weights ``sw`` (the
objective divides by the total weight; constants that do not depend on the coefficients left
out):

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
from scipy.special import expit, softmax

from . import _sweeps

__all__ = [
    "Binomial",
    "Family",
    "Gaussian",
    "Multinomial",
    "OneVsRest",
    "Poisson",
]


class Family:
    """Base class: one output, a diagonal curvature per row and output."""

    name = "family"
    n_outputs = 1
    #: "diagonal": the Hessian of the loss in η is diagonal per row (one weight per output);
    #: "multinomial": a full K×K matrix per row, built from the probabilities.
    hessian_kind = "diagonal"
    #: The loss is quadratic in the coefficients: one Newton step from anywhere is exact.
    quadratic = False
    #: The family's number in the compiled sweeps (:mod:`._sweeps`).
    code = -1

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

    def inverse_link(self, eta: np.ndarray) -> np.ndarray:
        """Mean of the target given the linear predictor."""
        raise NotImplementedError

    def initial_intercept(self, stats: dict[str, Any]) -> np.ndarray:
        """A good starting intercept (K values) from the target statistics of the data."""
        return np.zeros(self.n_outputs)


class Gaussian(Family):
    """Squared error: least squares, ridge, lasso and elastic net."""

    name = "gaussian"
    code = _sweeps.GAUSSIAN
    quadratic = True

    def inverse_link(self, eta):
        return eta

    def initial_intercept(self, stats):
        return np.array([stats["mean"]])


class Binomial(Family):
    """Binary logistic regression: y in {0, 1}, P(y = 1) = expit(η)."""

    name = "binomial"
    code = _sweeps.BINOMIAL

    def inverse_link(self, eta):
        return expit(eta)

    def initial_intercept(self, stats):
        freq = np.clip(stats["class_weight_sums"][1] / stats["weight_sum"], 1e-10, 1 - 1e-10)
        return np.array([np.log(freq / (1.0 - freq))])


class Poisson(Family):
    """Poisson regression with the log link: E[y] = exp(η)."""

    name = "poisson"
    code = _sweeps.POISSON

    def inverse_link(self, eta):
        return np.exp(eta)

    def initial_intercept(self, stats):
        return np.array([np.log(max(stats["mean"], 1e-10))])


class Multinomial(Family):
    """Softmax regression over K classes (the full, symmetric parametrisation of scikit-learn)."""

    name = "multinomial"
    code = _sweeps.MULTINOMIAL
    hessian_kind = "multinomial"

    def probabilities(self, eta: np.ndarray) -> np.ndarray:
        return softmax(eta, axis=1)

    def inverse_link(self, eta):
        return self.probabilities(eta)

    def initial_intercept(self, stats):
        freq = np.clip(stats["class_weight_sums"] / stats["weight_sum"], 1e-10, None)
        b = np.log(freq)
        return b - b.mean()


class OneVsRest(Family):
    """K independent binary logistic regressions fitted together (one pass serves all K)."""

    name = "ovr"
    code = _sweeps.OVR

    def inverse_link(self, eta):
        return expit(eta)

    def initial_intercept(self, stats):
        freq = np.clip(stats["class_weight_sums"] / stats["weight_sum"], 1e-10, 1 - 1e-10)
        return np.log(freq / (1.0 - freq))
