"""LinearRegression and PoissonRegression over the row blocks of dask data.

The fit is the shared one of :class:`._glm.GLM`; here are the regressors' parts: one pass over y
for its moments (and its checks), the predicted mean through the shared output layer, and the
one-pass scores (R², D², the Poisson deviance) from per-block sums.
"""

from __future__ import annotations

from typing import Any

import dask.array as da
import numpy as np
from sklearn.base import RegressorMixin

from .._array_checks import check_n_samples
from .._blockwise import reduction, with_single_blas_thread
from .._output import Output
from .._validation import (
    check_is_fitted,
    check_sample_weight,
    is_dask_input,
    validate_data,
)
from . import _kernels as K
from ._families import Family, Gaussian, Poisson
from ._glm import GLM
from ._objective import moments_pass

__all__ = ["LinearRegression", "PoissonRegression"]


def _mean_block(X: np.ndarray, coef: np.ndarray, intercept: float, family: Family) -> np.ndarray:
    eta = K.decision_block(X, coef, intercept)
    return eta if isinstance(family, Gaussian) else np.exp(eta)


class _Regressor(RegressorMixin, GLM):
    _family: type[Family] = Gaussian

    def _prepare_target(self, runner: Any, y: Any, sw: Any) -> tuple:
        stats = moments_pass(runner, y, sw)
        check_n_samples(int(stats["n"]))  # dask input of unknown length is counted here
        if stats["n_bad"]:
            raise ValueError(
                "y or sample_weight contains NaN or infinity (or a negative weight); "
                "drop or impute those rows first."
            )
        family = self._family(1)
        if stats["weight_sum"] <= 0:
            raise ValueError("The sample weights sum to zero; nothing to fit.")
        if isinstance(family, Poisson):
            if stats["min"] < 0:
                raise ValueError(
                    "Some value(s) of y are negative which is not allowed for Poisson regression."
                )
            if stats["mean"] <= 0:
                raise ValueError(
                    "Sum of y is not positive which is necessary for Poisson regression."
                )
        if y.dtype != np.float64:
            y = y.astype(np.float64)
        return y, sw, family, stats["weight_sum"], stats

    def predict(self, X: Any) -> Any:
        """Predicted mean of the target.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray, dask array or dask Series of shape (n_samples,)
            Lazy, in X's container, for dask input.
        """
        check_is_fitted(self, "coef_")
        family = self._family(1)
        return self._rows(
            "predict",
            _mean_block,
            X,
            np.asarray(self.coef_),
            float(self.intercept_),
            family,
            output=Output(np.float64),
        )

    def _score_parts(self, X: Any, y: Any, sample_weight: Any) -> np.ndarray:
        """The sums of :func:`._kernels.regression_score_parts` over (X, y): one pass."""
        check_is_fitted(self, "coef_")
        X, y = validate_data(
            self, X, y, reset=False, y_numeric=True, ensure_all_finite=not is_dask_input(X)
        )
        sw = check_sample_weight(sample_weight, X)
        args = (np.asarray(self.coef_), float(self.intercept_), self._family(1))
        if not isinstance(X, da.Array):
            return K.regression_score_parts(X, y, sw, *args)
        kernel = K.regression_score_parts if sw is not None else _score_unweighted
        arrays = (X, y) if sw is None else (X, y, sw)
        return reduction(with_single_blas_thread(kernel), *arrays, args=args).compute()

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """D², the share of the Poisson deviance explained, as scikit-learn's; one pass.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
        y : array-like, pandas or dask collection of shape (n_samples,)
            True values, partitioned like X for dask input.
        sample_weight : array-like or dask collection of shape (n_samples,), optional

        Returns
        -------
        score : float
        """
        return _score_from_parts(self._score_parts(X, y, sample_weight), self._family(1))


def _score_unweighted(X, y, coef, intercept, family):
    return K.regression_score_parts(X, y, None, coef, intercept, family)


def _score_from_parts(parts: np.ndarray, family: Family) -> float:
    s, sy, syy, model, sylogy = (float(v) for v in parts)
    mean = sy / s
    if isinstance(family, Poisson):
        null = 2.0 * (sylogy - sy * np.log(mean)) if mean > 0 else 0.0
    else:
        null = syy - s * mean * mean
    if null <= 0:
        return 1.0 if model <= 0 else 0.0
    return 1.0 - model / null


class LinearRegression(_Regressor):
    """Least squares with an optional l2 (ridge), l1 (lasso) or elastic-net penalty.

    Same parameters as :class:`LogisticRegression` (``class_weight`` and ``multi_class`` do not
    apply). ``C`` is the inverse strength of the penalty against ½·Σ (y - Xw - b)², so
    ``penalty='l2', C=c`` is scikit-learn's ``Ridge(alpha=1/c)``, ``penalty='l1'`` is
    ``Lasso(alpha=1/(c·n_samples))`` and ``penalty=None`` is ``LinearRegression()``.

    The default solver (``'auto'`` → ``'newton'`` while ``n_features + fit_intercept`` is at most
    8192, ``'lbfgs'`` beyond) solves the problem from one pass over the data (XᵀX and Xᵀy summed
    over the blocks), with any penalty: the l1 part is handled by coordinate descent on the
    small (n_features+1)² system on the client.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
    n_features_in_, feature_names_in_, n_passes_, solver_, data_policy_
        As for :class:`LogisticRegression`.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from dasklearn.linear_model import LinearRegression
    >>> X = da.from_array(np.random.default_rng(0).normal(size=(1000, 2)), chunks=250)
    >>> y = X @ np.array([2.0, -1.0]) + 1.0
    >>> reg = LinearRegression(penalty=None).fit(X, y)
    >>> reg.coef_.round(6), round(reg.intercept_, 6), reg.n_passes_
    (array([ 2., -1.]), 1.0, 1)
    >>> reg.predict(X)  # lazy, with X's row chunks
    dask.array<..., shape=(1000,), dtype=float64, chunksize=(250,), chunktype=numpy.ndarray>
    """

    _family = Gaussian

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R² of the predictions on (X, y) (:func:`dasklearn.metrics.r2_score`); one pass.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
        y : array-like, pandas or dask collection of shape (n_samples,)
            True values, partitioned like X for dask input.
        sample_weight : array-like or dask collection of shape (n_samples,), optional

        Returns
        -------
        score : float
        """
        from ..metrics import r2_score

        return float(r2_score(y, self.predict(X), sample_weight=sample_weight))


class PoissonRegression(_Regressor):
    """Poisson regression with the log link (``E[y] = exp(Xw + b)``) for counts ``y ≥ 0``.

    Same parameters as :class:`LogisticRegression` (``class_weight`` and ``multi_class`` do not
    apply). The objective is ``C·Σ (exp(η) - y·η) + penalty``, so ``penalty='l2', C=c`` is
    scikit-learn's ``PoissonRegressor(alpha=1/(c·n_samples))``. :meth:`score` is D², the share
    of the Poisson deviance explained, as in scikit-learn.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
    n_features_in_, feature_names_in_, n_passes_, solver_, data_policy_
        As for :class:`LogisticRegression`.

    Examples
    --------
    >>> import numpy as np
    >>> from dasklearn.linear_model import PoissonRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 2))
    >>> y = rng.poisson(np.exp(0.5 * X[:, 0] + 0.2))
    >>> reg = PoissonRegression(penalty=None).fit(X, y)
    >>> reg.coef_.round(1), round(reg.intercept_, 1)
    (array([0.5, 0. ]), 0.2)
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _family = Poisson

    def get_deviance(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """The Poisson deviance of the model on (X, y): ``2 Σ w (y log(y/μ) - y + μ)``; one pass.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
        y : array-like, pandas or dask collection of shape (n_samples,)
            Counts, partitioned like X for dask input.
        sample_weight : array-like or dask collection of shape (n_samples,), optional

        Returns
        -------
        deviance : float
        """
        return float(self._score_parts(X, y, sample_weight)[3])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = True
        return tags
