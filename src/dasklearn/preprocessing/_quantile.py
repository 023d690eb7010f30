"""QuantileTransformer: quantiles of a mergeable uniform row sample taken in one pass."""

from __future__ import annotations

import warnings
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils import check_random_state, resample

from .._array_checks import check_n_samples
from .._output import Output, OutputMixin, apply_rows
from .._params import Interval, Options, check_params
from .._validation import (
    check_is_fitted,
    check_random_state_int,
    is_dask_input,
    validate_data,
)
from . import _num_kernels as K
from . import _num_passes as P

__all__ = ["QuantileTransformer"]

_FLOATS = [np.float64, np.float32]


def dkw_bound(subsample: int, delta: float = 1e-3) -> float:
    """Dvoretzky-Kiefer-Wolfowitz: with probability ``1 - delta``, the empirical CDF of a
    uniform sample of ``subsample`` rows is within this of the data's at every value."""
    return float(np.sqrt(np.log(2.0 / delta) / (2.0 * subsample)))


class QuantileTransformer(
    OneToOneFeatureMixin, OutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None
):
    """Map every feature to a uniform or normal distribution through its quantiles.

    A drop-in for ``dask_ml.preprocessing.QuantileTransformer`` (scikit-learn's constructor)
    with scikit-learn's attributes and transform. The quantiles come from one pass over the
    data:

    * **dask input**: every block keeps the rows with the ``subsample`` smallest of a uniform
      random key drawn per row (seeded by ``random_state`` and the block's index), and blocks
      are merged by keeping the ``subsample`` smallest keys of both (bottom-k sampling, merged
      in a tree on the workers). The result is a uniform sample of ``subsample`` rows without
      replacement, as scikit-learn draws, whatever the scheduler; ``quantiles_`` are its
      ``numpy.nanpercentile``. The same ``random_state`` gives the same model on any scheduler
      for the same row blocks.
    * **NumPy and pandas input**: scikit-learn's own draw (``sklearn.utils.resample`` with the
      same ``random_state``), so the model equals scikit-learn's.

    **Approximation error.** With at most ``subsample`` rows the sample holds every row and
    ``quantiles_`` are exact (scikit-learn's, to rounding). With more rows they are the exact
    quantiles of a uniform sample of ``subsample`` rows, as scikit-learn's are: by the
    Dvoretzky-Kiefer-Wolfowitz inequality, with probability at least ``1 - delta`` the
    sample's empirical CDF is within ``eps = sqrt(ln(2 / delta) / (2 * subsample))`` of the
    data's at every value (0.0195 for the default 10,000 rows and ``delta = 0.001``), so the
    uniform output of ``transform`` is within ``eps + 1 / (n_quantiles_ - 1)`` of a value's
    rank among the fitted rows divided by their number, and within twice that of
    scikit-learn's output on the same data (which draws a different sample).

    Parameters
    ----------
    n_quantiles : int, default=1000
        Number of quantiles (landmarks discretising the CDF); at most the number of rows.
    output_distribution : {"uniform", "normal"}, default="uniform"
        Marginal distribution of the transformed data.
    ignore_implicit_zeros : bool, default=False
        Only meaningful for sparse input, which is not supported; a warning as in
        scikit-learn when True.
    subsample : int or None, default=10_000
        Rows sampled (without replacement) to estimate the quantiles. None uses every row:
        in-memory input only (dask input would bring every row to memory).
    random_state : int, RandomState instance or None, default=None
        Seeds the sample.
    copy : bool, default=True
        Accepted for compatibility: results are always new arrays.

    Attributes
    ----------
    n_quantiles_ : int
        The number of quantiles used.
    quantiles_ : ndarray of shape (n_quantiles_, n_features)
        The values corresponding to the quantiles of reference.
    references_ : ndarray of shape (n_quantiles_,)
        Quantiles of reference (``linspace(0, 1, n_quantiles_)``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit (string column names only).

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from dasklearn.preprocessing import QuantileTransformer
    >>> X = np.random.default_rng(0).normal(0.5, 0.25, size=(25, 1))
    >>> qt = QuantileTransformer(n_quantiles=10, random_state=0)
    >>> Xt = qt.fit_transform(da.from_array(X, chunks=10))
    >>> Xt
    dask.array<..., shape=(25, 1), dtype=float64, chunksize=(10, 1), chunktype=numpy.ndarray>
    >>> float(Xt.min().compute()), float(Xt.max().compute())
    (0.0, 1.0)
    """

    _parameter_constraints = {
        "n_quantiles": [Interval(Integral, 1, None, closed="left")],
        "output_distribution": [Options({"uniform", "normal"})],
        "ignore_implicit_zeros": ["boolean"],
        "subsample": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "copy": ["boolean"],
    }

    def __init__(
        self,
        *,
        n_quantiles: int = 1000,
        output_distribution: str = "uniform",
        ignore_implicit_zeros: bool = False,
        subsample: int | None = 10_000,
        random_state: Any = None,
        copy: bool = True,
    ):
        self.n_quantiles = n_quantiles
        self.output_distribution = output_distribution
        self.ignore_implicit_zeros = ignore_implicit_zeros
        self.subsample = subsample
        self.random_state = random_state
        self.copy = copy

    def fit(self, X: Any, y: Any = None) -> QuantileTransformer:
        """Compute the quantiles of every feature (one pass over dask input).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            The data; dask input may be larger than memory.
        y : None
            Ignored.

        Returns
        -------
        self : QuantileTransformer
            The fitted transformer.
        """
        check_params(self)
        if self.subsample is not None and self.n_quantiles > self.subsample:
            raise ValueError(
                "The number of quantiles cannot be greater than the number of samples used. "
                f"Got {self.n_quantiles} quantiles and {self.subsample} samples."
            )
        if self.ignore_implicit_zeros:
            warnings.warn(
                "'ignore_implicit_zeros' takes effect only with sparse matrix. This parameter "
                "has no effect.",
                stacklevel=2,
            )
        if self.subsample is None and is_dask_input(X):
            raise ValueError(
                "subsample=None would bring every row of dask input into memory; pass the "
                "number of rows to sample (the default is 10_000)."
            )
        Xv = validate_data(
            self, X, reset=True, dtype=_FLOATS, ensure_all_finite=False, known_chunks=False
        )
        if is_dask_input(Xv):
            part = P.sample_pass(Xv, self.subsample, check_random_state_int(self.random_state))
            check_n_samples(int(part["n"]))  # dask input of unknown length: empty?
            P.refuse_infinity(part["inf"])
            n_samples, sample = int(part["n"]), part["rows"]
        else:
            P.refuse_infinity(bool(np.isinf(Xv).any()))
            n_samples, sample = len(Xv), Xv
        if self.n_quantiles > n_samples:
            warnings.warn(
                f"n_quantiles ({self.n_quantiles}) is greater than the total number of samples "
                f"({n_samples}). n_quantiles is set to n_samples.",
                stacklevel=2,
            )
        self.n_quantiles_ = max(1, min(self.n_quantiles, n_samples))
        self.references_ = np.linspace(0, 1, self.n_quantiles_, endpoint=True)
        if not is_dask_input(Xv) and self.subsample is not None and self.subsample < n_samples:
            rng = check_random_state(self.random_state)
            sample = resample(Xv, replace=False, n_samples=self.subsample, random_state=rng)
        self.quantiles_ = np.nanpercentile(sample, self.references_ * 100, axis=0)
        return self

    def _map(self, method: str, X: Any, inverse: bool) -> Any:
        check_is_fitted(self)
        return apply_rows(
            self,
            method,
            K.quantile_transform,
            X,
            self.quantiles_,
            self.references_,
            self.output_distribution == "normal",
            inverse,
            output=Output(P.float_dtype(X), width=self.n_features_in_),
            dtype=_FLOATS,
            ensure_all_finite=False,  # NaN kept; infinity refused by the kernel
        )

    def transform(self, X: Any) -> Any:
        """Map every feature through its quantiles to the output distribution.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            The data to transform.

        Returns
        -------
        Xt : ndarray, dask array or dask DataFrame of shape (n_samples, n_features)
            In X's container and float dtype; lazy for dask input.
        """
        return self._map("transform", X, inverse=False)

    def inverse_transform(self, X: Any) -> Any:
        """Map transformed data back to the original space.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Transformed data.

        Returns
        -------
        X_original : ndarray, dask array or dask DataFrame of shape (n_samples, n_features)
            In X's container and float dtype; lazy for dask input.
        """
        return self._map("inverse_transform", X, inverse=True)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
