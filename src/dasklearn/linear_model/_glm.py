"""Generalised linear models with the scikit-learn API, fitted over the row blocks of dask data.

Three estimators share dask-ml's constructor (``penalty``, ``dual``, ``tol``, ``C``,
``fit_intercept``, ``intercept_scaling``, ``class_weight``, ``random_state``, ``solver``,
``max_iter``, ``multi_class``, ``verbose``, ``warm_start``, ``n_jobs``, ``solver_kwargs``) plus
``l1_ratio`` for the elastic net:

* :class:`LogisticRegression` (binary, multinomial or one-vs-rest),
* :class:`LinearRegression` (least squares, ridge, lasso, elastic net),
* :class:`PoissonRegression` (log link).

All minimise scikit-learn's ``LogisticRegression`` objective, whatever the family::

    C · Σ_i sw_i · loss_i(w, b)  +  (1 - ρ)/2 · ‖w‖²₂  +  ρ · ‖w‖₁        (intercept b unpenalised)

with ``ρ = 0`` for ``penalty="l2"``, ``1`` for ``"l1"``, ``l1_ratio`` for ``"elastic_net"`` and no
penalty for ``penalty=None`` (or ``C=inf``). The losses are ½(y - η)² (LinearRegression),
log(1 + e^η) - yη (binary), the softmax cross-entropy (multinomial) and e^η - yη (Poisson).

How ``C`` maps to scikit-learn (``S`` = number of rows, or the sum of sample weights):

============================================= ===============================================
dasklearn                                     scikit-learn
============================================= ===============================================
LogisticRegression(C=c, penalty=...)          LogisticRegression(C=c, l1_ratio=ρ)
LinearRegression(C=c, penalty="l2")           Ridge(alpha=1/c)
LinearRegression(C=c, penalty="l1")           Lasso(alpha=1/(c·S))
LinearRegression(C=c, "elastic_net", ρ)       ElasticNet(alpha=1/(c·S), l1_ratio=ρ)
LinearRegression(penalty=None)                LinearRegression()
PoissonRegression(C=c, penalty="l2")          PoissonRegressor(alpha=1/(c·S))
PoissonRegression(penalty=None)               PoissonRegressor(alpha=0)
============================================= ===============================================
"""

from __future__ import annotations

import inspect
import numbers
import warnings
from typing import Any

import dask
import dask.array as da
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning

from .._blockwise import map_row_blocks, reduce_blocks, with_single_blas_thread
from .._validation import (
    check_array,
    check_consistent_blocks,
    check_is_fitted,
    is_dask_input,
    validate_data,
)
from . import _kernels as K
from ._families import Binomial, Family, Gaussian, Multinomial, OneVsRest, Poisson
from ._objective import (
    Objective,
    label_pass,
    moments_pass,
    place_data,
)
from ._penalties import PENALTIES, make_penalty
from ._solvers import SOLVERS, SolverResult, default_hessian_rows, solve

__all__ = ["LinearRegression", "LogisticRegression", "PoissonRegression"]

_SOLVER_NAMES = ("auto", *SOLVERS)
#: 'auto' uses Newton while the Hessian part of its pass (∝ (p+1)²·K(K+1)/2 per sampled row)
#: stays within about this many times a gradient pass (∝ (p+1)·K per row): Newton then needs
#: ~5-7 passes where lbfgs needs 10 to several hundred (more on correlated or unscaled
#: features); measured in benchmarks/results/linear_model.md.
_NEWTON_MAX_WORK = 64
_NEWTON_MAX_DIM = 2048


def _penalty_key(penalty: Any) -> Any:
    return penalty.lower() if isinstance(penalty, str) else penalty


class _GLM(BaseEstimator):
    """Shared parameters, validation and fitting; subclasses choose the family."""

    _regressor = True

    def __init__(
        self,
        penalty: str | None = "l2",
        dual: bool = False,
        tol: float = 1e-4,
        C: float = 1.0,
        fit_intercept: bool = True,
        intercept_scaling: float = 1.0,
        class_weight: dict | str | None = None,
        random_state: Any = None,
        solver: str = "auto",
        max_iter: int = 100,
        multi_class: str = "auto",
        verbose: int = 0,
        warm_start: bool = False,
        n_jobs: int | None = None,
        solver_kwargs: dict | None = None,
        l1_ratio: float | None = None,
    ) -> None:
        self.penalty = penalty
        self.dual = dual
        self.tol = tol
        self.C = C
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.multi_class = multi_class
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.solver_kwargs = solver_kwargs
        self.l1_ratio = l1_ratio

    # ---- parameters --------------------------------------------------------------------------
    def _l1_fraction(self) -> float:
        key = _penalty_key(self.penalty)
        if key not in PENALTIES:
            raise ValueError(
                f"penalty={self.penalty!r} is not supported; use 'l2', 'l1', 'elastic_net' or None."
            )
        fixed = PENALTIES[key]
        if fixed is None:  # elastic net
            ratio = 0.5 if self.l1_ratio is None else self.l1_ratio
            if not isinstance(ratio, numbers.Real) or not 0.0 <= ratio <= 1.0:
                raise ValueError(f"l1_ratio must be a number in [0, 1], got {self.l1_ratio!r}.")
            return float(ratio)
        if self.l1_ratio is not None and key not in (None, "none") and self.l1_ratio != fixed:
            raise ValueError(
                f"l1_ratio={self.l1_ratio!r} contradicts penalty={self.penalty!r}; "
                "use penalty='elastic_net' to mix l1 and l2."
            )
        return fixed

    def _check_params(self) -> None:
        self._l1_fraction()
        if not isinstance(self.C, numbers.Real) or not self.C > 0:
            raise ValueError(
                f"C must be a positive number (np.inf for no penalty), got {self.C!r}."
            )
        if not isinstance(self.tol, numbers.Real) or not self.tol > 0:
            raise ValueError(f"tol must be a positive number, got {self.tol!r}.")
        if not isinstance(self.max_iter, numbers.Integral) or self.max_iter < 1:
            raise ValueError(f"max_iter must be a positive integer, got {self.max_iter!r}.")
        if self.solver not in _SOLVER_NAMES:
            raise ValueError(f"solver must be one of {list(_SOLVER_NAMES)}, got {self.solver!r}.")
        if self.dual:
            raise ValueError(
                "dual=True is not supported (it is a liblinear option); use dual=False."
            )
        if self.multi_class not in ("auto", "multinomial", "ovr"):
            raise ValueError(
                f"multi_class must be 'auto', 'multinomial' or 'ovr', got {self.multi_class!r}."
            )
        if self._regressor and self.class_weight is not None:
            raise ValueError(f"class_weight is for classifiers; {type(self).__name__} has none.")
        if self.solver_kwargs is not None and not isinstance(self.solver_kwargs, dict):
            raise ValueError(f"solver_kwargs must be a dict or None, got {self.solver_kwargs!r}.")

    def _resolve_solver(self, family: Family, n_features: int, n_rows: int, smooth: bool) -> str:
        if self.solver != "auto":
            if self.solver == "gradient_descent" and not smooth:
                raise ValueError(
                    "solver='gradient_descent' needs a smooth penalty ('l2' or None); use "
                    "'proximal_grad', 'newton', 'lbfgs' or 'admm' for 'l1' and 'elastic_net'."
                )
            return self.solver
        k = family.n_outputs
        pa = n_features + self.fit_intercept
        dim = k * pa
        if family.quadratic:
            return "newton" if dim <= 4 * _NEWTON_MAX_DIM else "lbfgs"
        if dim > _NEWTON_MAX_DIM:
            return "lbfgs"
        blocks = k * (k + 1) // 2 if family.hessian_kind == "multinomial" else k
        stride = max(1, n_rows // default_hessian_rows(dim))  # newton's Hessian row sample
        work = pa * blocks / k / stride  # Hessian cost per pass relative to the gradient's
        return "newton" if work <= _NEWTON_MAX_WORK else "lbfgs"

    def _solver_options(self, solver: str) -> dict[str, Any]:
        options = dict(self.solver_kwargs or {})
        accepted = inspect.signature(SOLVERS[solver]).parameters
        unknown = [k for k in options if k not in accepted or k in ("obj", "w0")]
        if unknown:
            allowed = [k for k in accepted if k not in ("obj", "w0", "tol", "max_iter", "verbose")]
            raise ValueError(
                f"solver_kwargs {unknown} are not options of solver={solver!r}; "
                f"it accepts {allowed}."
            )
        return options

    # ---- input -------------------------------------------------------------------------------
    def _validate_fit_input(self, X: Any, y: Any, sample_weight: Any):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        lazy = is_dask_input(X) or is_dask_input(y) or is_dask_input(sample_weight)
        # NaN or infinity in X is found by the first pass of the solver (it poisons the summed
        # loss and gradient) rather than by a read of X of its own; y and the weights are
        # checked by the pass over the target.
        X, y = validate_data(
            self, X, y, reset=True, ensure_all_finite=False, y_numeric=self._regressor
        )
        if y.ndim != 1:
            raise ValueError(f"y must be 1-dimensional, got shape {y.shape}.")
        sw = None
        if sample_weight is not None:
            if isinstance(sample_weight, numbers.Number):
                sample_weight = np.full(X.shape[0], float(sample_weight))
            sw = check_array(
                sample_weight,
                ensure_2d=False,
                ensure_all_finite=not lazy,
                what="sample_weight",
            )
            if isinstance(X, da.Array):
                if not isinstance(sw, da.Array):
                    check_consistent_blocks(X, sw)
                    sw = da.from_array(sw, chunks=(X.chunks[0],))
                check_consistent_blocks(X, sw)
            else:
                sw = np.asarray(sw.compute() if isinstance(sw, da.Array) else sw)
                check_consistent_blocks(X, sw)
                if (sw < 0).any():
                    raise ValueError("sample_weight must be non-negative.")
        return X, y, sw

    # ---- fitting -----------------------------------------------------------------------------
    def _prepare_target(self, y: da.Array, sw: da.Array | None, policy: str):
        """Encode y, set the family, return (y, sw, family, weight_sum, stats)."""
        raise NotImplementedError

    def _initial_point(self, family: Family, n_features: int, stats: dict) -> np.ndarray:
        pa = n_features + self.fit_intercept
        W = np.zeros((family.n_outputs, pa))
        if self.warm_start and hasattr(self, "coef_"):
            coef = np.asarray(self.coef_, dtype=np.float64).reshape(family.n_outputs, -1)
            if coef.shape[1] == n_features:
                W[:, :n_features] = coef
                if self.fit_intercept:
                    W[:, n_features] = np.asarray(self.intercept_, dtype=np.float64).ravel()
                return W.ravel()
        if self.fit_intercept:
            W[:, n_features] = family.initial_intercept(stats)
        return W.ravel()

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _GLM:
        """Fit the model.

        Parameters
        ----------
        X : array-like, DataFrame, dask array or dask DataFrame, shape (n_samples, n_features)
            Training data. Dask input may be larger than memory (see the notes of the class).
        y : array-like, pandas Series, dask array or dask Series of shape (n_samples,)
            Target values (class labels for :class:`LogisticRegression`).
        sample_weight : array-like of shape (n_samples,), scalar or None
            Per-row weights, in the same row blocks as X for dask input.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._check_params()
        X, y, sw = self._validate_fit_input(X, y, sample_weight)
        Xd, (yd, swd), policy = place_data(X, y, sw)
        yd, swd, family, weight_sum, stats = self._prepare_target(yd, swd, policy)
        if policy != "streamed":  # the encoded target and weights: computed once, kept
            yd, swd = _persist_vectors(yd, swd)
        n_features = X.shape[1]
        pa = n_features + self.fit_intercept
        mask = np.ones((family.n_outputs, pa), dtype=bool)
        if self.fit_intercept:
            mask[:, n_features] = False
        penalty = make_penalty(self.penalty, self._l1_fraction(), self.C, weight_sum, mask.ravel())
        solver = self._resolve_solver(family, n_features, X.shape[0], penalty.smooth)
        options = self._solver_options(solver)
        obj = Objective(
            Xd, yd, swd, family, penalty, self.fit_intercept, weight_sum, verbose=self.verbose
        )
        w0 = self._initial_point(family, n_features, stats)
        result = solve(
            solver,
            obj,
            w0,
            float(self.tol),
            int(self.max_iter),
            verbose=max(int(self.verbose) - 1, 0),
            **options,
        )
        if not result.converged:
            warnings.warn(
                f"{type(self).__name__}: solver {solver!r} did not converge after "
                f"{result.n_iter} iteration(s) (max_iter={self.max_iter}, tol={self.tol:g}): "
                f"{result.message}. Increase max_iter, loosen tol, or scale the features.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self._set_coefficients(result, family, n_features)
        self.solver_ = solver
        self.n_passes_ = obj.passes
        self.data_policy_ = policy
        if self.verbose:
            where = {
                "in-memory": "in-memory NumPy data",
                "persisted": "data persisted in cluster memory (read from its source once)",
                "streamed": "data streamed: every pass re-reads it from its source",
            }[policy]
            print(
                f"[{type(self).__name__}] solver={solver}: "
                f"{'converged' if result.converged else 'stopped'} after {result.n_iter} "
                f"iteration(s); {obj.passes} pass(es) over X, 1 pass over y; {where}.",
                flush=True,
            )
        return self

    def _set_coefficients(self, result: SolverResult, family: Family, n_features: int) -> None:
        W = result.w.reshape(family.n_outputs, n_features + self.fit_intercept)
        coef = W[:, :n_features].copy()
        intercept = W[:, n_features].copy() if self.fit_intercept else np.zeros(len(W))
        if isinstance(family, Multinomial) and self.fit_intercept:
            intercept -= intercept.mean()  # softmax ignores a shift shared by all classes
        self._store(coef, intercept, result.n_iter)

    def _store(self, coef: np.ndarray, intercept: np.ndarray, n_iter: int) -> None:
        self.coef_ = coef[0]
        self.intercept_ = float(intercept[0])
        self.n_iter_ = int(n_iter)

    # ---- prediction --------------------------------------------------------------------------
    def _check_X(self, X: Any) -> np.ndarray | da.Array:
        check_is_fitted(self, "coef_")
        return validate_data(self, X, reset=False, ensure_all_finite=not is_dask_input(X))

    def _linear_predictor(self, X: Any) -> np.ndarray | da.Array:
        X = self._check_X(X)
        coef, intercept = np.asarray(self.coef_), np.asarray(self.intercept_)
        if isinstance(X, da.Array):
            return map_row_blocks(
                with_single_blas_thread(K.decision_block),
                X,
                coef,
                intercept,
                dtype=np.float64,
                n_columns=None if coef.ndim == 1 else coef.shape[0],
            )
        return K.decision_block(X, coef, intercept)


def _persist_vectors(y: da.Array, sw: da.Array | None) -> tuple[da.Array, da.Array | None]:
    if sw is None:
        (y,) = dask.persist(y)
        return y, None
    return dask.persist(y, sw)


def _class_weights(class_weight: Any, classes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per-class multipliers from ``class_weight`` (None, 'balanced' or a dict)."""
    n = len(classes)
    if class_weight is None:
        return np.ones(n)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(
                f"class_weight must be a dict, 'balanced' or None, got {class_weight!r}."
            )
        return weights.sum() / (n * weights)
    if not isinstance(class_weight, dict):
        raise ValueError(f"class_weight must be a dict, 'balanced' or None, got {class_weight!r}.")
    known = {_label_key(c): i for i, c in enumerate(classes)}
    unknown = [k for k in class_weight if _label_key(k) not in known]
    if unknown:
        raise ValueError(
            f"class_weight has label(s) {unknown} that are not classes of y; "
            f"the classes are {classes.tolist()}."
        )
    out = np.ones(n)
    for label, value in class_weight.items():
        out[known[_label_key(label)]] = float(value)
    return out


def _label_key(label: Any) -> Any:
    return label.item() if isinstance(label, np.generic) else label


class LogisticRegression(ClassifierMixin, _GLM):
    """Logistic regression (binary, multinomial or one-vs-rest) on NumPy, pandas or dask data.

    Parameters
    ----------
    penalty : {'l2', 'l1', 'elastic_net', None}, default='l2'
        The penalty on the coefficients (never on the intercept). ``'elasticnet'`` is accepted.
    dual : bool, default=False
        Only ``False`` is supported (the dual form is a liblinear option).
    tol : float, default=1e-4
        Stop when the largest entry of the (sub)gradient of the objective divided by
        ``C · Σ sample_weight`` is below ``tol`` (scikit-learn's scaling for lbfgs).
    C : float, default=1.0
        Inverse strength of the penalty against the *summed* loss, exactly as in scikit-learn's
        ``LogisticRegression``; ``np.inf`` means no penalty.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept.
    intercept_scaling : float, default=1.0
        Ignored (a liblinear option; the intercept is never penalised here).
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied with ``sample_weight``. ``'balanced'`` uses
        ``Σ w / (n_classes · Σ_{y=k} w)``. A label that is not a class of y raises an error.
    random_state : int, RandomState or None, default=None
        Unused: every solver is deterministic, so equal data give equal coefficients on any
        scheduler and any number of workers. Kept for dask-ml compatibility.
    solver : {'auto', 'newton', 'lbfgs', 'admm', 'gradient_descent', 'proximal_grad'}
        ``'auto'`` picks ``'newton'`` (one pass per iteration, ~5-10 iterations) while the
        Hessian is small (``(n_features + 1)·n_classes`` up to a few hundred), else ``'lbfgs'``.
        See :mod:`dasklearn.linear_model._solvers` for what each does per pass.
    max_iter : int, default=100
        Maximum number of iterations of the solver.
    multi_class : {'auto', 'multinomial', 'ovr'}, default='auto'
        For more than two classes: one softmax model (``'auto'``, ``'multinomial'``) or one binary
        model per class (``'ovr'``; all fitted together, one pass serves every class).
    verbose : int, default=0
        1: a summary with iterations and passes over the data; 2: one line per iteration;
        3: one line per pass.
    warm_start : bool, default=False
        Start from the previous fit's coefficients when their shape matches.
    n_jobs : int or None, default=None
        Ignored: the parallelism is the dask scheduler's.
    solver_kwargs : dict or None, default=None
        Options of the solver, e.g. ``{"rho": 0.1, "max_local_iter": 3}`` for ``'admm'``,
        ``{"m": 20}`` for ``'lbfgs'``, and ``{"callback": f}`` (``f(iteration, w)``) for every
        solver.
    l1_ratio : float or None, default=None
        The l1 share of ``'elastic_net'`` (0.5 when None); must agree with ``'l1'``/``'l2'``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Sorted class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Multinomial intercepts sum to zero.
    n_iter_ : ndarray of shape (1,)
        Iterations of the solver.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X had string column names.
    n_passes_ : int
        Passes over X made by the solver (each one read of every row block).
    solver_ : str
        The solver used (what ``'auto'`` chose).
    data_policy_ : str
        ``'in-memory'``, ``'persisted'`` or ``'streamed'``: where X was kept during the fit.

    Notes
    -----
    Passes over the data: validation reads nothing for dask arrays with known chunks (dask
    dataframes: one pass for the partition lengths); one pass over y finds the classes; then
    ``n_passes_`` passes over X. Data that fits in half the cluster's memory is persisted first
    (read from its source once), larger data is streamed (each pass reads the source). X is
    never gathered on the client: every pass returns only d-sized sums (d ×d for Newton).

    NaN or infinity in dask X is reported by the first pass (no pass of its own). A single
    class raises ``ValueError``. A constant column gets coefficient 0 under an l2/l1 penalty
    (the unpenalised intercept absorbs it); without a penalty the problem has no unique answer
    and ``newton`` returns the minimum-norm step.
    """

    _regressor = False

    def _prepare_target(self, y, sw, policy):
        labels, counts, weights = label_pass(y, sw)
        if len(labels) < 2:
            shown = _label_key(labels[0]) if len(labels) else "none"
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but the data "
                f"contains only one class: {shown!r}."
            )
        if labels.dtype.kind == "f" and np.any(labels != np.round(labels)):
            raise ValueError(
                "Unknown label type: continuous. LogisticRegression expects discrete classes; "
                "for a continuous target use LinearRegression or PoissonRegression."
            )
        self.classes_ = labels
        cw = _class_weights(self.class_weight, labels, weights)
        n = len(labels)
        if n == 2:
            family: Family = Binomial(1)
            codes = y.map_blocks(K.encode_labels, labels, np.float64, dtype=np.float64)
        else:
            family = OneVsRest(n) if self.multi_class == "ovr" else Multinomial(n)
            codes = y.map_blocks(K.encode_labels, labels, np.int64, dtype=np.int64)
        weighted = self.class_weight is not None
        if weighted:
            int_codes = y.map_blocks(K.encode_labels, labels, dtype=np.int64)
            if sw is None:
                sw = int_codes.map_blocks(K.class_sample_weight, cw, dtype=np.float64)
            else:
                sw = da.map_blocks(K.class_sample_weight, int_codes, cw, sw, dtype=np.float64)
        class_sums = weights * cw
        stats = {"class_weight_sums": class_sums, "weight_sum": float(class_sums.sum())}
        if stats["weight_sum"] <= 0:
            raise ValueError("The sample weights sum to zero; nothing to fit.")
        return codes, sw, family, stats["weight_sum"], stats

    def _store(self, coef, intercept, n_iter):
        self.coef_ = coef
        self.intercept_ = intercept
        self.n_iter_ = np.array([n_iter], dtype=np.int32)

    def _is_binary(self) -> bool:
        return len(self.classes_) == 2

    def decision_function(self, X: Any) -> np.ndarray | da.Array:
        """Confidence scores: the linear predictor, (n_samples,) for two classes.

        Lazy (a dask array) for dask input, NumPy otherwise.
        """
        check_is_fitted(self, "coef_")
        out = self._linear_predictor(X)
        if self._is_binary():
            return out[:, 0]
        return out

    def predict_proba(self, X: Any) -> np.ndarray | da.Array:
        """Class probabilities, (n_samples, n_classes); lazy for dask input."""
        check_is_fitted(self, "coef_")
        X = self._check_X(X)
        kind = "binary" if self._is_binary() else self._fitted_kind()
        args = (self.coef_, self.intercept_, kind)
        if isinstance(X, da.Array):
            return map_row_blocks(
                with_single_blas_thread(_proba_block),
                X,
                *args,
                dtype=np.float64,
                n_columns=len(self.classes_),
            )
        return _proba_block(X, *args)

    def predict_log_proba(self, X: Any) -> np.ndarray | da.Array:
        """Logarithm of :meth:`predict_proba`."""
        proba = self.predict_proba(X)
        return da.log(proba) if isinstance(proba, da.Array) else np.log(proba)

    def predict(self, X: Any) -> np.ndarray | da.Array:
        """Predicted class labels; lazy for dask input."""
        check_is_fitted(self, "coef_")
        X = self._check_X(X)
        args = (self.coef_, self.intercept_, self.classes_)
        if isinstance(X, da.Array):
            return map_row_blocks(
                with_single_blas_thread(_predict_block), X, *args, dtype=self.classes_.dtype
            )
        return _predict_block(X, *args)

    def _fitted_kind(self) -> str:
        return "ovr" if self.multi_class == "ovr" else "multinomial"

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean accuracy on (X, y), weighted by ``sample_weight``; one pass for dask input.

        Labels of y that are not in ``classes_`` count as errors.
        """
        pred = self.predict(X)
        if isinstance(pred, da.Array):
            y = check_array(y, dtype=None, ensure_2d=False, ensure_all_finite=False, what="y")
            if not isinstance(y, da.Array):
                y = da.from_array(np.asarray(y), chunks=(pred.chunks[0],))
            check_consistent_blocks(pred, y)
            hits = (pred == y).astype(np.float64)
            if sample_weight is None:
                return float(hits.mean().compute())
            sw = sample_weight
            if not isinstance(sw, da.Array):
                sw = da.from_array(np.asarray(sw, dtype=np.float64), chunks=(pred.chunks[0],))
            num, den = dask.compute((hits * sw).sum(), sw.sum())
            return float(num / den)
        from sklearn.metrics import accuracy_score

        y = check_array(y, dtype=None, ensure_2d=False, ensure_all_finite=False, what="y")
        y = np.asarray(y.compute() if isinstance(y, da.Array) else y)
        return float(accuracy_score(y, pred, sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


def _proba_block(X: np.ndarray, coef: np.ndarray, intercept: np.ndarray, kind: str) -> np.ndarray:
    eta = K.decision_block(X, coef, intercept)
    if kind == "binary":
        p = Binomial(1).inverse_link(eta[:, 0])
        return np.column_stack([1.0 - p, p])
    if kind == "ovr":
        p = OneVsRest(coef.shape[0]).inverse_link(eta)
        return p / p.sum(axis=1, keepdims=True)
    return Multinomial(coef.shape[0]).probabilities(eta)


def _predict_block(
    X: np.ndarray, coef: np.ndarray, intercept: np.ndarray, classes: np.ndarray
) -> np.ndarray:
    eta = K.decision_block(X, coef, intercept)
    if len(classes) == 2:
        return classes[(eta[:, 0] > 0).astype(np.intp)]
    return classes[np.argmax(eta, axis=1)]


class _Regressor(RegressorMixin, _GLM):
    _family: type[Family] = Gaussian

    def _prepare_target(self, y, sw, policy):
        stats = moments_pass(y, sw)
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

    def predict(self, X: Any) -> np.ndarray | da.Array:
        """Predicted mean of the target; lazy for dask input."""
        eta = self._linear_predictor(X)
        if self._family is Gaussian:
            return eta
        return da.exp(eta) if isinstance(eta, da.Array) else np.exp(eta)

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R² (LinearRegression) or D², the share of Poisson deviance explained; one pass."""
        X = self._check_X(X)
        y = check_array(y, ensure_2d=False, ensure_all_finite=not is_dask_input(y), what="y")
        sw = None
        if sample_weight is not None:
            sw = check_array(sample_weight, ensure_2d=False, what="sample_weight")
        family = self._family(1)
        args = (np.asarray(self.coef_), float(self.intercept_), family)
        if isinstance(X, da.Array) or isinstance(y, da.Array):
            X = X if isinstance(X, da.Array) else da.from_array(X, chunks=(y.chunks[0], -1))
            y = y if isinstance(y, da.Array) else da.from_array(y, chunks=(X.chunks[0],))
            check_consistent_blocks(X, y)
            if sw is None:
                kernel = with_single_blas_thread(_score_unweighted)
                (parts,) = dask.compute(reduce_blocks(kernel, X, y, args=args))
            else:
                sw = sw if isinstance(sw, da.Array) else da.from_array(sw, chunks=(X.chunks[0],))
                (parts,) = dask.compute(
                    reduce_blocks(
                        with_single_blas_thread(K.regression_score_parts), X, y, sw, args=args
                    )
                )
        else:
            check_consistent_blocks(X, y)
            parts = K.regression_score_parts(X, y, sw, *args)
        return _score_from_parts(parts, family)


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

    The default solver (``'auto'`` → ``'newton'``) solves the problem from one pass over the data
    (XᵀX and Xᵀy summed over the blocks), with any penalty: the l1 part is handled by coordinate
    descent on the small (n_features+1)² system on the client.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
    n_features_in_, feature_names_in_, n_passes_, solver_, data_policy_
        As for :class:`LogisticRegression`.
    """

    _family = Gaussian


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
    """

    _family = Poisson

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = True
        return tags
