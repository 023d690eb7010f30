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
import warnings
from numbers import Integral, Real
from typing import Any

import dask
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning

from .._chunks import n_rows
from .._output import Output, apply_rows
from .._params import Interval, Options, check_params
from .._placement import place
from .._validation import check_is_fitted, check_sample_weight, is_dask_input, validate_data
from ._families import Family, Multinomial
from ._objective import Objective, make_passes
from ._penalties import PENALTIES, make_penalty
from ._solvers import SOLVERS, SolverResult, default_hessian_rows, solve

__all__ = ["GLM"]


_SOLVER_NAMES = ("auto", *SOLVERS)
#: 'auto' uses Newton while the Hessian part of its pass (∝ (p+1)²·K(K+1)/2 per sampled row)
#: stays within about this many times a gradient pass (∝ (p+1)·K per row): Newton then needs
#: ~5-7 passes where lbfgs needs 10 to several hundred (more on correlated or unscaled
#: features); measured in benchmarks/results/linear_model.md.
_NEWTON_MAX_WORK = 64
_NEWTON_MAX_DIM = 2048


def _penalty_key(penalty: Any) -> Any:
    return penalty.lower() if isinstance(penalty, str) else penalty


class GLM(BaseEstimator):
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

    _parameter_constraints = {
        "penalty": [Options(k for k in PENALTIES if k is not None), None],
        "dual": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "C": [Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "intercept_scaling": [Interval(Real, None, None)],
        "class_weight": [dict, Options({"balanced"}), None],
        "random_state": ["random_state"],
        "solver": [Options(_SOLVER_NAMES)],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "multi_class": [Options({"auto", "multinomial", "ovr"})],
        "verbose": [Interval(Integral, 0, None, closed="left"), "boolean"],
        "warm_start": ["boolean"],
        "n_jobs": ["no_validation"],
        "solver_kwargs": [dict, None],
        "l1_ratio": [Interval(Real, 0, 1), None],
    }

    # ---- parameters --------------------------------------------------------------------------
    def _l1_fraction(self) -> float:
        fixed = PENALTIES[_penalty_key(self.penalty)]
        if fixed is None:  # elastic net
            return 0.5 if self.l1_ratio is None else float(self.l1_ratio)
        if (
            self.l1_ratio is not None
            and self.penalty not in (None, "none")
            and self.l1_ratio != fixed
        ):
            raise ValueError(
                f"l1_ratio={self.l1_ratio!r} contradicts penalty={self.penalty!r}; "
                "use penalty='elastic_net' to mix l1 and l2."
            )
        return fixed

    def _check_params(self) -> None:
        """The declared parameter constraints, then the checks that tie parameters together."""
        check_params(self)
        self._l1_fraction()
        if self.dual:
            raise ValueError(
                "dual=True is not supported (it is a liblinear option); use dual=False."
            )
        if self._regressor and self.class_weight is not None:
            raise ValueError(f"class_weight is for classifiers; {type(self).__name__} has none.")

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
    def _validate_fit_input(self, X: Any, y: Any, sample_weight: Any) -> tuple:
        """X, y and the weights as arrays of one kind, and the number of rows.

        NaN or infinity in X is found by the solver's first pass (it poisons the summed loss and
        gradient) rather than by a read of X of its own; y and the weights are checked by the
        pass over the target. The row counts of dask dataframes come from their metadata where
        dask has it (parquet), otherwise from that first pass.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        n = n_rows(X) if is_dask_input(X) and is_dask_input(y) else None
        weights_in_memory = sample_weight is not None and not is_dask_input(sample_weight)
        X, y = validate_data(
            self,
            X,
            y,
            reset=True,
            ensure_all_finite=False,
            y_numeric=self._regressor,
            known_chunks=n is None or weights_in_memory,
        )
        if y.ndim != 1:
            raise ValueError(f"y must be 1-dimensional, got shape {y.shape}.")
        sw = check_sample_weight(sample_weight, X)
        return X, y, sw, int(X.shape[0]) if n is None else n

    # ---- fitting -----------------------------------------------------------------------------
    def _prepare_target(self, runner: Any, y: Any, sw: Any) -> tuple:
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

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> GLM:
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
        X, y, sw, n = self._validate_fit_input(X, y, sample_weight)
        data = place(X, y, sw, n_samples=n)
        policy = data.policy
        with make_passes(data) as runner:
            yd, swd, family, weight_sum, stats = self._prepare_target(runner, *data.vectors)
            if policy != "streamed":  # the encoded target and weights: computed once, kept
                yd, swd = _persist_vectors(yd, swd)
            n_features = X.shape[1]
            pa = n_features + self.fit_intercept
            mask = np.ones((family.n_outputs, pa), dtype=bool)
            if self.fit_intercept:
                mask[:, n_features] = False
            penalty = make_penalty(
                self.penalty, self._l1_fraction(), self.C, weight_sum, mask.ravel()
            )
            solver = self._resolve_solver(family, n_features, n, penalty.smooth)
            options = self._solver_options(solver)
            obj = Objective(
                runner,
                yd,
                swd,
                family,
                penalty,
                self.fit_intercept,
                weight_sum,
                verbose=self.verbose,
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
    def _rows(self, method: str, func: Any, X: Any, *args: Any, output: Output) -> Any:
        """A per-row method through the shared output layer (X's container, NaN refused)."""
        check_is_fitted(self, "coef_")
        return apply_rows(
            self,
            method,
            func,
            X,
            *args,
            output=output,
            dtype=[np.float64, np.float32],
            ensure_all_finite=True,
        )


def _persist_vectors(y: Any, sw: Any) -> tuple[Any, Any]:
    if sw is None:
        (y,) = dask.persist(y)
        return y, None
    return dask.persist(y, sw)
