"""TruncatedSVD: the SVD of X itself (no centring), exact in one pass or randomized.

Layers as :mod:`._pca`: the estimator checks and stores, :mod:`._svd` makes the passes, per-row
results go through the shared output layer.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np

from .._chunks import n_rows
from .._params import Interval, Options, check_params
from .._passes import Passes
from .._placement import place
from .._validation import is_dask_input, validate_data
from . import _svd
from ._base import BaseProjection

__all__ = ["TruncatedSVD"]


class TruncatedSVD(BaseProjection, auto_wrap_output_keys=None):
    """Dimensionality reduction by truncated SVD (latent semantic analysis), on dask.

    A drop-in for ``dask_ml.decomposition.TruncatedSVD`` (same constructor; scikit-learn's
    ``n_oversamples`` after it) with scikit-learn's attributes. Unlike PCA the data is not
    centred. Works on NumPy, pandas, dask arrays and dask dataframes.

    Parameters
    ----------
    n_components : int, default=2
        Dimension of the output.
    algorithm : {"tsqr", "randomized", "arpack"}, default="tsqr"
        ``"tsqr"``: exact, one pass of tall-skinny QR, then the SVD of the R factor on the
        client (``"arpack"``, scikit-learn's exact solver, is taken as ``"tsqr"``).
        ``"randomized"``: Halko et al.'s randomized SVD, ``n_iter + 1`` passes and one more for
        the variance of the projections; the same result as scikit-learn's for the same
        ``random_state`` when ``n_samples >= n_features``.
    n_iter : int, default=5
        Power iterations of the randomized algorithm (each one pass).
    random_state : int, RandomState, Generator or None, default=None
        Seeds the randomized algorithm's sketch (drawn on the client: the same components on
        any scheduler).
    tol : float, default=0.0
        Ignored (scikit-learn's ARPACK tolerance).
    compute : bool, default=True
        Ignored: the fitted attributes are always NumPy (dask-ml could leave them lazy).
    n_oversamples : int, default=10
        Extra sketch columns of the randomized algorithm.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Right singular vectors, signs as scikit-learn's.
    explained_variance_ : ndarray of shape (n_components,)
        Variance of the projection of the training data on each component.
    explained_variance_ratio_ : ndarray of shape (n_components,)
        That variance as a fraction of the total variance of the features.
    singular_values_ : ndarray of shape (n_components,)
        The leading singular values of X.
    n_passes_ : int
        Passes over X made by the fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit (string column names only).

    Notes
    -----
    ``explained_variance_`` is the variance of X's projection on each component, as
    scikit-learn's: from the singular values for the exact algorithm (``σ²/n - (mean ·
    component)²``), from one more pass for the randomized one (whose components are
    approximate). Differences from dask-ml: NumPy and pandas input are accepted, the
    attributes are always NumPy (``compute`` is ignored), ``algorithm="arpack"`` is accepted.

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.decomposition import TruncatedSVD
    >>> X = da.random.default_rng(0).normal(size=(1000, 20), chunks=(250, 20))
    >>> svd = TruncatedSVD(n_components=5).fit(X)
    >>> svd.components_.shape, svd.n_passes_
    ((5, 20), 1)
    >>> svd.transform(X)
    dask.array<..., shape=(1000, 5), dtype=float64, chunksize=(250, 5), chunktype=numpy.ndarray>
    """

    _centred = False

    def __init__(
        self,
        n_components: int = 2,
        algorithm: str = "tsqr",
        n_iter: int = 5,
        random_state: Any = None,
        tol: float = 0.0,
        compute: bool = True,
        n_oversamples: int = 10,
    ) -> None:
        self.n_components = n_components
        self.algorithm = algorithm
        self.n_iter = n_iter
        self.random_state = random_state
        self.tol = tol
        self.compute = compute
        self.n_oversamples = n_oversamples

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "algorithm": [Options({"tsqr", "randomized", "arpack"})],
        "n_iter": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "compute": ["boolean"],
        "n_oversamples": [Interval(Integral, 1, None, closed="left")],
    }

    def fit(self, X: Any, y: Any = None) -> TruncatedSVD:
        """Fit the model on X.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Training data.
        y : ignored
            Not used, present for API consistency.

        Returns
        -------
        self : TruncatedSVD
            The fitted estimator.
        """
        check_params(self)
        n = n_rows(X) if is_dask_input(X) else None
        Xv = validate_data(
            self,
            X,
            reset=True,
            dtype=[np.float64, np.float32],
            ensure_all_finite=False,  # found in the first pass
            ensure_min_features=2,
            known_chunks=n is None,
        )
        n = int(Xv.shape[0] if n is None else n)
        d = int(Xv.shape[1])
        k = self.n_components
        randomized = self.algorithm == "randomized"
        limit = d if randomized else min(n, d)
        if k > limit:
            raise ValueError(
                f"n_components={k} must be at most "
                f"{'n_features' if randomized else 'min(n_samples, n_features)'}={limit} "
                f"with algorithm={self.algorithm!r} (X has {n} rows and {d} columns)."
            )
        data = place(Xv, n_samples=n, reuse=randomized)  # randomized: n_iter + 2 passes
        runner = Passes(data)
        if randomized:
            sp = _svd.randomized(
                runner, k, self.n_oversamples, self.n_iter, self.random_state, centred=False
            )
        else:
            sp = _svd.tsqr(runner, centred=False)
        dtype = np.dtype(data.X.dtype)
        S, Vt = sp.singular_values[:k], sp.components[:k]
        if randomized:  # the components are approximate: X is projected on them (one pass)
            variance = _svd.projected_variance(runner, Vt)
        else:
            variance = np.maximum(S**2 / n - (Vt @ sp.mean) ** 2, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = variance / (sp.column_ssq.sum() / n)
        self.components_ = np.ascontiguousarray(Vt, dtype=dtype)
        self.singular_values_ = S.astype(dtype)
        self.explained_variance_ = variance.astype(dtype)
        self.explained_variance_ratio_ = ratio.astype(dtype)
        self.n_passes_ = runner.n_passes
        return self

    def transform(self, X: Any, y: Any = None) -> Any:
        """Project X onto the components (``X @ components_.T``, no centring).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            New data.
        y : ignored
            Not used, present for dask-ml compatibility.

        Returns
        -------
        X_new : ndarray, dask array or dask DataFrame of shape (n_samples, n_components)
            NumPy for in-memory X (pandas under ``set_output(transform="pandas")``); lazy, in
            X's container and row blocks, for dask X.
        """
        return super().transform(X)

    def fit_transform(self, X: Any, y: Any = None) -> Any:
        """Fit the model on X, then project X onto the components.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Training data.
        y : ignored
            Not used, present for API consistency.

        Returns
        -------
        X_new : ndarray, dask array or dask DataFrame of shape (n_samples, n_components)
            As :meth:`transform` gives it (lazy for dask X).
        """
        return self.fit(X).transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
