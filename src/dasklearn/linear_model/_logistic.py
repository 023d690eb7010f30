"""LogisticRegression: binary, multinomial or one-vs-rest, over the row blocks of dask data.

The fit is the shared one of :class:`._glm.GLM`; here are the classifier's parts: one pass over
y for the classes and their weights, the label encoding, and the per-row outputs (labels,
probabilities, decision function) through the shared output layer.
"""

from __future__ import annotations

from typing import Any

import dask.array as da
import numpy as np
from sklearn.base import ClassifierMixin

from .._array_checks import check_n_samples
from .._labels import encode_labels
from .._output import Output
from .._validation import check_is_fitted
from . import _kernels as K
from ._families import Binomial, Family, Multinomial, OneVsRest
from ._glm import GLM
from ._objective import label_pass

__all__ = ["LogisticRegression"]


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
        if not (weights > 0).all():
            empty = [_label_key(c) for c, w in zip(classes, weights, strict=True) if not w > 0]
            raise ValueError(
                "class_weight='balanced' needs a positive total sample weight for every class; "
                f"class(es) {empty} have none (all their sample weights are zero)."
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


class LogisticRegression(ClassifierMixin, GLM):
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
        ``'auto'`` picks ``'newton'`` (one pass per iteration, ~5-10 iterations) when its
        Hessian adds at most about 64 gradients' work to a pass and the model has at most 2048
        coefficients, else ``'lbfgs'``. With ``p = n_features + fit_intercept``, the Hessian
        costs ``p`` gradients for two classes or one-vs-rest and ``p·(n_classes + 1)/2`` for
        multinomial, taken from every ``n_samples // max(50_000, 200·n_coef)``-th row: up to
        63 features for two classes on fewer than 100 000 rows, more on larger data.
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
        Number of features seen during fit.
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
    Passes over the data: validation reads nothing for dask arrays with known chunks (for a
    dask dataframe, dask counts its rows: from metadata for parquet, with one read otherwise;
    the partition lengths come with the first pass); one pass over y finds the classes; then
    ``n_passes_`` passes over X. Data that fits in half the cluster's memory is persisted first
    (read from its source once), larger data is streamed (each pass reads the source). X is
    never gathered on the client: every pass returns only d-sized sums (d ×d for Newton).

    NaN or infinity in dask X is reported by the first pass (no pass of its own). A single
    class raises ``ValueError``. A constant column gets coefficient 0 under an l2/l1 penalty
    (the unpenalised intercept absorbs it); without a penalty the problem has no unique answer
    and ``newton`` returns the minimum-norm step.

    Examples
    --------
    >>> from dasklearn.datasets import make_classification
    >>> from dasklearn.linear_model import LogisticRegression
    >>> X, y = make_classification(n_samples=1000, n_features=4, chunks=250, random_state=0)
    >>> clf = LogisticRegression().fit(X, y)
    >>> clf.classes_, clf.solver_
    (array([0, 1]), 'newton')
    >>> clf.predict_proba(X)  # lazy, with X's row chunks
    dask.array<..., shape=(1000, 2), dtype=float64, chunksize=(250, 2), chunktype=numpy.ndarray>
    >>> clf.score(X, y) > 0.8
    True
    """

    _regressor = False

    def _prepare_target(self, runner: Any, y: Any, sw: Any) -> tuple:
        labels, counts, weights = label_pass(runner, y, sw)
        check_n_samples(int(np.sum(counts)))  # dask input of unknown length is counted here
        if labels.dtype.kind == "f" and np.isinf(labels).any():  # NaN is refused per block
            raise ValueError("Input y contains infinity; class labels must be finite.")
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
            codes = y.map_blocks(encode_labels, labels, np.float64, dtype=np.float64)
        else:
            family = OneVsRest(n) if self.multi_class == "ovr" else Multinomial(n)
            codes = y.map_blocks(encode_labels, labels, np.int64, dtype=np.int64)
        weighted = self.class_weight is not None
        if weighted:
            int_codes = y.map_blocks(encode_labels, labels, dtype=np.int64)
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

    def _kind(self) -> str:
        return "binary" if self._is_binary() else self._fitted_kind()

    def decision_function(self, X: Any) -> Any:
        """Confidence scores: the linear predictor of each class.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray, dask array, dask Series or DataFrame
            Shape (n_samples,) for two classes, else (n_samples, n_classes) (columns named
            after ``classes_`` for dataframe input). Lazy, in X's container, for dask input.
        """
        check_is_fitted(self, "coef_")
        width = None if self._is_binary() else len(self.classes_)
        return self._rows(
            "decision_function",
            _decision_block,
            X,
            self.coef_,
            self.intercept_,
            output=Output(np.float64, width=width),
        )

    def predict_proba(self, X: Any) -> Any:
        """Class probabilities.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray, dask array or dask DataFrame of shape (n_samples, n_classes)
            Columns in the order of ``classes_`` (named after them for dataframe input).
        """
        check_is_fitted(self, "coef_")
        return self._rows(
            "predict_proba",
            _proba_block,
            X,
            self.coef_,
            self.intercept_,
            self._kind(),
            output=Output(np.float64, width=len(self.classes_)),
        )

    def predict_log_proba(self, X: Any) -> Any:
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray, dask array or dask DataFrame of shape (n_samples, n_classes)
        """
        check_is_fitted(self, "coef_")
        return self._rows(
            "predict_log_proba",
            _log_proba_block,
            X,
            self.coef_,
            self.intercept_,
            self._kind(),
            output=Output(np.float64, width=len(self.classes_)),
        )

    def predict(self, X: Any) -> Any:
        """Predicted class labels.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray, dask array or dask Series of shape (n_samples,)
            Of ``classes_``' dtype. Lazy, in X's container, for dask input; NaN or infinity in
            a row block raises when it is computed.
        """
        check_is_fitted(self, "coef_")
        return self._rows(
            "predict",
            _predict_block,
            X,
            self.coef_,
            self.intercept_,
            self.classes_,
            output=Output(self.classes_.dtype),
        )

    def _fitted_kind(self) -> str:
        return "ovr" if self.multi_class == "ovr" else "multinomial"

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean accuracy on (X, y), weighted by ``sample_weight``; one pass for dask input.

        Labels of y that are not in ``classes_`` count as errors.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
        y : array-like, pandas or dask collection of shape (n_samples,)
            True labels, partitioned like X for dask input.
        sample_weight : array-like or dask collection of shape (n_samples,), optional

        Returns
        -------
        score : float
        """
        from ..metrics import accuracy_score

        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))

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


def _decision_block(X: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    eta = K.decision_block(X, coef, intercept)
    return eta[:, 0] if eta.shape[1] == 1 else eta


def _log_proba_block(
    X: np.ndarray, coef: np.ndarray, intercept: np.ndarray, kind: str
) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(_proba_block(X, coef, intercept, kind))


def _predict_block(
    X: np.ndarray, coef: np.ndarray, intercept: np.ndarray, classes: np.ndarray
) -> np.ndarray:
    eta = K.decision_block(X, coef, intercept)
    if len(classes) == 2:
        return classes[(eta[:, 0] > 0).astype(np.intp)]
    return classes[np.argmax(eta, axis=1)]
