"""PCA: the estimator. One pass for tall data (covariance or tall-skinny QR), a few for large
non-skinny data (randomized SVD).

Layers (see ARCHITECTURE.md): :class:`PCA` checks its parameters against X's shape (before any
pass), validates and places the input (:mod:`dasklearn._placement`), picks the route and stores
NumPy attributes; :mod:`._svd` makes the passes; the block kernels in :mod:`._kernels` do the
arithmetic; ``transform``, ``inverse_transform`` and ``score_samples`` go through the shared
output layer.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np

from .._chunks import n_rows
from .._output import Output, apply_rows
from .._params import Interval, Options, check_params
from .._passes import Passes
from .._placement import place
from .._validation import check_is_fitted, is_dask_input, validate_data
from . import _kernels as K
from . import _svd
from ._base import BasePCA, float_dtype

__all__ = ["PCA"]

_SOLVERS = ("auto", "full", "tsqr", "covariance_eigh", "randomized")


def _auto_iterations(n_components: int, n_samples: int, n_features: int) -> int:
    """scikit-learn's ``iterated_power="auto"``."""
    return 7 if n_components < 0.1 * min(n_samples, n_features) else 4


def _score_block(X: np.ndarray, mean: np.ndarray, precision: np.ndarray, constant: float):
    return float(K.loglik_block(X, mean, precision, constant).sum()), len(X)


class PCA(BasePCA, auto_wrap_output_keys=None):
    """Principal component analysis on dask: exact in one pass for tall data, randomized for
    large non-skinny data.

    A drop-in for ``dask_ml.decomposition.PCA`` (same constructor; scikit-learn's
    ``n_oversamples`` after it) with scikit-learn's attributes and methods. Works on NumPy,
    pandas, dask arrays and dask dataframes, tall, short-fat or large in both directions,
    including data larger than the cluster's memory (read from parquet at every pass).

    Every route centres each row block on its own mean and merges the blocks' statistics
    exactly (Chan, Golub and LeVeque's update), so the mean comes with the first pass and the
    accuracy is that of centring first, whatever the data's offset from the origin.

    Parameters
    ----------
    n_components : int, float, "mle" or None, default=None
        Components to keep. None: ``min(n_samples, n_features)``. An int ``k``. A float in
        (0, 1): as many components as needed to explain that fraction of the variance (exact
        routes). ``"mle"``: Minka's MLE of the dimension (exact routes, ``n_samples >=
        n_features``).
    copy : bool, default=True
        Ignored: X is never modified.
    whiten : bool, default=False
        Scale the projections to unit variance (divide by ``sqrt(explained_variance_)``).
    svd_solver : {"auto", "covariance_eigh", "full", "tsqr", "randomized"}, default="auto"
        ``"covariance_eigh"``: one pass computing the centred d x d Gram matrix, then its
        eigendecomposition on the client (``n d²`` flops; a component's direction is accurate
        to about ``eps * λ_max / gap``). ``"full"`` or ``"tsqr"`` (the same): one pass of
        tall-skinny QR of the centred data, then the SVD of its R factor (``2 n d²`` flops;
        accurate to ``eps * σ_max``, also for ill-conditioned and short-fat data).
        ``"randomized"``: Halko et al.'s randomized SVD, ``iterated_power + 1`` passes, each a
        power iteration on XᵀX; the same result as scikit-learn's for the same
        ``random_state`` when ``n_samples >= n_features``. ``"auto"``: scikit-learn's rule:
        ``"covariance_eigh"`` when ``n_features <= 1000`` and ``n_samples >= 10 *
        n_features``; else ``"full"`` when the data is small (at most 500 in both directions)
        or ``n_components="mle"``; else ``"randomized"`` when ``1 <= n_components < 0.8 *
        min(n_samples, n_features)``; else ``"full"``.
    tol : float, default=0.0
        Ignored (scikit-learn's ARPACK tolerance; accepted for compatibility).
    iterated_power : int or "auto", default="auto"
        Power iterations of the randomized solver (each one pass). ``"auto"``: 7 when
        ``n_components < 0.1 * min(X.shape)``, else 4 (scikit-learn's rule).
    random_state : int, RandomState, Generator or None, default=None
        Seeds the randomized solver's sketch, drawn on the client: the same seed gives the
        same components on any scheduler.
    n_oversamples : int, default=10
        Extra sketch columns of the randomized solver.

    Attributes
    ----------
    components_ : ndarray of shape (n_components_, n_features)
        Principal axes, by decreasing explained variance, signs as scikit-learn's (the entry
        of largest magnitude of each is positive).
    explained_variance_ : ndarray of shape (n_components_,)
        Variance along each component (``ddof=1``).
    explained_variance_ratio_ : ndarray of shape (n_components_,)
        Fraction of the total variance along each component.
    singular_values_ : ndarray of shape (n_components_,)
        Singular values of the centred data.
    mean_ : ndarray of shape (n_features,)
        Column means.
    n_components_ : int
        Components kept.
    n_samples_ : int
        Rows seen.
    noise_variance_ : float
        Variance of the probabilistic PCA model's isotropic noise (the mean of the discarded
        eigenvalues).
    n_passes_ : int
        Passes over X made by the fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit (string column names only).

    Notes
    -----
    Differences from dask-ml: NumPy and pandas input are accepted (dask-ml refused them);
    ``n_components`` may be a fraction or ``"mle"``; ``iterated_power`` defaults to
    scikit-learn's ``"auto"`` (dask-ml: 0, which leaves randomized components inaccurate);
    ``"auto"`` follows scikit-learn's rule, including the covariance route for tall data.
    Differences from scikit-learn: no ARPACK solver; float32 data is processed in float64
    (the attributes are float32 as scikit-learn's); the randomized sketch of short-fat data
    (``n_samples < n_features``) is not the one scikit-learn draws.

    Examples
    --------
    >>> import numpy as np
    >>> from dasklearn.decomposition import PCA
    >>> X = np.array([[-1, -1], [-2, -1], [-3, -2], [1, 1], [2, 1], [3, 2]])
    >>> pca = PCA(n_components=2).fit(X)
    >>> pca.explained_variance_ratio_.round(5)
    array([0.99244, 0.00756])
    >>> pca.singular_values_.round(5)
    array([6.30061, 0.5498 ])

    Dask input stays lazy, in its container and row blocks:

    >>> import dask.array as da
    >>> dX = da.from_array(X.astype(float), chunks=3)
    >>> pca = PCA(n_components=1).fit(dX)
    >>> pca.n_passes_
    1
    >>> pca.transform(dX)
    dask.array<..., shape=(6, 1), dtype=float64, chunksize=(3, 1), chunktype=numpy.ndarray>
    """

    def __init__(
        self,
        n_components: int | float | str | None = None,
        copy: bool = True,
        whiten: bool = False,
        svd_solver: str = "auto",
        tol: float = 0.0,
        iterated_power: int | str = "auto",
        random_state: Any = None,
        n_oversamples: int = 10,
    ) -> None:
        self.n_components = n_components
        self.copy = copy
        self.whiten = whiten
        self.svd_solver = svd_solver
        self.tol = tol
        self.iterated_power = iterated_power
        self.random_state = random_state
        self.n_oversamples = n_oversamples

    _parameter_constraints = {
        "n_components": [
            Interval(Integral, 0, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
            Options({"mle"}),
            None,
        ],
        "copy": ["boolean"],
        "whiten": ["boolean"],
        "svd_solver": [Options(_SOLVERS)],
        "tol": [Interval(Real, 0, None, closed="left")],
        "iterated_power": [Options({"auto"}), Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
        "n_oversamples": [Interval(Integral, 1, None, closed="left")],
    }

    # ---- the route, from X's shape alone ---------------------------------------------------
    def _route(self, n: int, d: int) -> tuple[Any, str]:
        """(n_components as asked, the solver), or an error naming the problem."""
        asked = self.n_components
        k = min(n, d) if asked is None else asked
        solver = self.svd_solver
        if solver == "auto":
            if d <= 1000 and n >= 10 * d:
                solver = "covariance_eigh"
            elif max(n, d) <= 500 or k == "mle":
                solver = "full"
            elif isinstance(k, Integral) and 1 <= k < 0.8 * min(n, d):
                solver = "randomized"
            else:
                solver = "full"
        if k == "mle":
            if solver == "randomized":
                raise ValueError("n_components='mle' needs an exact solver, not 'randomized'.")
            if n < d:
                raise ValueError(
                    "n_components='mle' is only supported if n_samples >= n_features; got "
                    f"n_samples={n}, n_features={d}."
                )
        elif not isinstance(k, Integral):  # a fraction of the variance
            if solver == "randomized":
                raise ValueError(
                    f"n_components={k!r} (a fraction of the variance) needs an exact solver, "
                    "not 'randomized'."
                )
        elif not (1 if solver == "randomized" else 0) <= k <= min(n, d):
            low = 1 if solver == "randomized" else 0
            raise ValueError(
                f"n_components={k} must be between {low} and min(n_samples, n_features)="
                f"{min(n, d)} with svd_solver={solver!r} (X has {n} rows and {d} columns)."
            )
        return k, solver

    # ---- fit -------------------------------------------------------------------------------
    def _fit(self, X: Any) -> None:
        check_params(self)
        n = n_rows(X) if is_dask_input(X) else None
        # NaN/inf: found in the first pass's statistics (no validation pass of its own)
        Xv = validate_data(
            self,
            X,
            reset=True,
            dtype=[np.float64, np.float32],
            ensure_all_finite=False,
            ensure_min_samples=2,
            known_chunks=n is None,
        )
        n = int(Xv.shape[0] if n is None else n)
        if n < 2:
            raise ValueError(f"PCA needs at least 2 samples; X has n_samples={n}.")
        d = int(Xv.shape[1])
        asked, solver = self._route(n, d)
        data = place(Xv, n_samples=n, reuse=solver == "randomized")
        runner = Passes(data)
        if solver == "covariance_eigh":
            spectrum = _svd.covariance(runner)
        elif solver in ("full", "tsqr"):
            spectrum = _svd.tsqr(runner)
        else:
            k = int(asked)
            power = self.iterated_power
            n_iter = _auto_iterations(k, n, d) if power == "auto" else int(power)
            spectrum = _svd.randomized(runner, k, self.n_oversamples, n_iter, self.random_state)
        self._store(spectrum, asked, solver, np.dtype(data.X.dtype), n, d)
        self.n_passes_ = runner.n_passes

    def _store(self, sp: Any, asked: Any, solver: str, dtype: np.dtype, n: int, d: int) -> None:
        variance = sp.singular_values**2 / (n - 1)
        exact = solver != "randomized"
        total = variance.sum() if exact else sp.column_ssq.sum() / (n - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = variance / total
        if asked == "mle":
            k = K.infer_dimension(variance, n)
        elif isinstance(asked, Integral):
            k = int(asked)
        else:
            k = int(np.searchsorted(np.cumsum(ratio), asked, side="right") + 1)
        rank = min(n, d)
        if k >= rank:
            noise = 0.0
        elif exact:
            noise = float(variance[k:].mean())
        else:
            noise = float((total - variance[:k].sum()) / (rank - k))
        self._fit_svd_solver = solver
        self.n_samples_ = n
        self.n_components_ = k
        self.mean_ = sp.mean.astype(dtype)
        self.components_ = np.ascontiguousarray(sp.components[:k], dtype=dtype)
        self.explained_variance_ = variance[:k].astype(dtype)
        self.explained_variance_ratio_ = ratio[:k].astype(dtype)
        self.singular_values_ = sp.singular_values[:k].astype(dtype)
        self.noise_variance_ = dtype.type(noise)

    def fit(self, X: Any, y: Any = None) -> PCA:
        """Fit the model with X.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Training data; dask input may be larger than the cluster's memory.
        y : ignored
            Not used, present for API consistency.

        Returns
        -------
        self : PCA
            The fitted estimator.
        """
        self._fit(X)
        return self

    def fit_transform(self, X: Any, y: Any = None) -> Any:
        """Fit the model with X, then project X onto the components.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Training data.
        y : ignored
            Not used, present for API consistency.

        Returns
        -------
        X_new : ndarray, dask array or dask DataFrame of shape (n_samples, n_components_)
            As :meth:`transform` gives it (lazy for dask X).
        """
        return self.fit(X).transform(X)

    # ---- the probabilistic model -----------------------------------------------------------
    def _loglik_args(self) -> tuple[np.ndarray, np.ndarray, float]:
        precision = self.get_precision()
        _, logdet = np.linalg.slogdet(precision)
        d = precision.shape[0]
        return self.mean_, precision, 0.5 * (d * np.log(2.0 * np.pi) - logdet)

    def score_samples(self, X: Any) -> Any:
        """Log-likelihood of every row under the probabilistic PCA model.

        See Bishop, "Pattern Recognition and Machine Learning", 12.2.1 p. 574.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            The data.

        Returns
        -------
        ll : ndarray, dask array or dask Series of shape (n_samples,)
            NumPy for in-memory X; lazy, in X's container, for dask X.
        """
        check_is_fitted(self, "components_")
        mean, precision, constant = self._loglik_args()
        return apply_rows(
            self,
            "score_samples",
            K.loglik_block,
            X,
            mean,
            precision,
            constant,
            output=Output(np.result_type(float_dtype(X), precision.dtype)),
            dtype=[np.float64, np.float32],
            fitted="components_",
        )

    def score(self, X: Any, y: Any = None) -> float:
        """Average log-likelihood of the rows of X under the model (one pass).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            The data.
        y : ignored
            Not used, present for API consistency.

        Returns
        -------
        ll : float
            Mean log-likelihood of the rows.
        """
        check_is_fitted(self, "components_")
        n = n_rows(X) if is_dask_input(X) else None
        Xv = validate_data(
            self,
            X,
            reset=False,
            dtype=[np.float64, np.float32],
            ensure_all_finite=False,  # found in the pass
            known_chunks=n is None,
        )
        mean, precision, constant = self._loglik_args()
        runner = Passes(place(Xv, n_samples=n, reuse=False))
        total, count = runner.run(
            runner.reduction(_score_block, runner.data.X, args=(mean, precision, constant)),
            what="log-likelihood",
        )
        return float(total / count)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
