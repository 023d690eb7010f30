"""Gaussian naive Bayes, fitted in one pass over the row blocks.

Layers (see ARCHITECTURE.md): :class:`GaussianNB` checks its parameters, validates and places
the input (:mod:`dasklearn._placement`) and turns the merged statistics into scikit-learn's
attributes; the block kernels below are pure NumPy. A fit (or a ``partial_fit``) is one pass:
each row block returns, per class present in it, the weight sum, the mean and the sum of
squared deviations of every feature (plus the unweighted moments of all rows, for
``var_smoothing``), and two partials merge exactly with Chan, Golub and LeVeque's formula, as
scikit-learn merges its ``partial_fit`` batches. Classes need not be known before the pass:
a partial carries the sorted labels it has seen. ``predict``, ``predict_proba`` and
``predict_log_proba`` go through the shared output layer (:mod:`dasklearn._output`).
"""

from __future__ import annotations

import functools
from numbers import Real
from typing import Any

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import unique_labels

from ._array_checks import check_n_samples
from ._chunks import n_rows
from ._labels import label_codes
from ._moments import grouped_moments, merge_moments
from ._output import Output, apply_rows
from ._params import Interval, check_params
from ._passes import Passes, all_finite
from ._placement import place
from ._validation import (
    check_is_fitted,
    check_sample_weight,
    check_weight_values,
    is_dask_input,
    validate_data,
)

__all__ = ["GaussianNB"]


# --------------------------------------------------------------------------------------------
# block kernels (pure NumPy; one row block each)
# --------------------------------------------------------------------------------------------


def _empty_stats(n_features: int, labels: np.ndarray) -> dict[str, Any]:
    return {
        "n": 0,
        "mean": np.zeros(n_features),
        "ssd": np.zeros(n_features),
        "labels": labels[:0],
        "weight": np.zeros(0),
        "theta": np.zeros((0, n_features)),
        "class_ssd": np.zeros((0, n_features)),
        "weighted": False,
    }


def class_moments(X: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> dict[str, Any]:
    """Per-class weight sums, means and sums of squared deviations of one block.

    Also the row count, mean and sum of squared deviations of all the block's rows
    (unweighted: scikit-learn's ``var_smoothing`` uses the plain variance of X).
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(f"Input y contains {'NaN' if np.isnan(y).any() else 'infinity'}.")
    if w is not None:
        w = np.asarray(w, dtype=np.float64)
        if len(w) and (not np.isfinite(w).all() or w.min() < 0):
            raise ValueError("sample_weight must be finite and non-negative.")
    n, p = X.shape
    if n == 0:
        return _empty_stats(p, y)
    codes, labels = label_codes(y)
    weight, theta, class_ssd = grouped_moments(X, codes, len(labels), w)
    if w is None:  # the classes' moments merged: no second read of the block
        parts = zip(weight, theta, class_ssd, strict=True)
        _, mean, ssd = functools.reduce(lambda a, b: merge_moments(*a, *b), parts)
    else:  # var_smoothing takes the unweighted variance
        _, (mean,), (ssd,) = grouped_moments(X, np.zeros(n, dtype=np.intp), 1)
    return {
        "n": n,
        "mean": mean,
        "ssd": ssd,
        "labels": np.asarray(labels, dtype=y.dtype),
        "weight": weight,
        "theta": theta,
        "class_ssd": class_ssd,
        "weighted": w is not None,
    }


def merge_class_moments(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Two partials of :func:`class_moments` as one (labels in sorted order)."""
    n, mean, ssd = merge_moments(a["n"], a["mean"], a["ssd"], b["n"], b["mean"], b["ssd"])
    labels = np.union1d(a["labels"], b["labels"])
    p = a["theta"].shape[1]
    weight = np.zeros(len(labels))
    theta = np.zeros((len(labels), p))
    class_ssd = np.zeros((len(labels), p))
    ia = np.searchsorted(labels, a["labels"])
    ib = np.searchsorted(labels, b["labels"])
    weight[ia], theta[ia], class_ssd[ia] = a["weight"], a["theta"], a["class_ssd"]
    merged = merge_moments(
        weight[ib], theta[ib], class_ssd[ib], b["weight"], b["theta"], b["class_ssd"]
    )
    weight[ib], theta[ib], class_ssd[ib] = merged
    return {
        "n": int(n),
        "mean": mean,
        "ssd": ssd,
        "labels": labels,
        "weight": weight,
        "theta": theta,
        "class_ssd": class_ssd,
        "weighted": a["weighted"] or b["weighted"],
    }


def _x_moments_finite(stats: dict[str, Any]) -> bool:
    return all_finite([stats["mean"], stats["ssd"], stats["theta"], stats["class_ssd"]])


def joint_log_likelihood(
    X: np.ndarray, theta: np.ndarray, var: np.ndarray, log_prior: np.ndarray
) -> np.ndarray:
    """``log P(c) + log P(x | c)`` for every row and class (scikit-learn's formula and order)."""
    X = np.asarray(X, dtype=np.float64)
    jll = np.empty((X.shape[0], len(theta)))
    for i in range(len(theta)):
        n_ij = -0.5 * np.sum(np.log(2.0 * np.pi * var[i]))
        n_ij = n_ij - 0.5 * np.sum(((X - theta[i]) ** 2) / var[i], axis=1)
        jll[:, i] = log_prior[i] + n_ij
    return jll


def _log_proba(X: np.ndarray, theta: np.ndarray, var: np.ndarray, log_prior: np.ndarray) -> Any:
    jll = joint_log_likelihood(X, theta, var, log_prior)
    return jll - logsumexp(jll, axis=1)[:, None]


def _proba_block(X: np.ndarray, *model: np.ndarray) -> np.ndarray:
    return np.exp(_log_proba(X, *model))


def _log_proba_block(X: np.ndarray, *model: np.ndarray) -> np.ndarray:
    return _log_proba(X, *model)


def _predict_block(X: np.ndarray, classes: np.ndarray, *model: np.ndarray) -> np.ndarray:
    return classes[np.argmax(joint_log_likelihood(X, *model), axis=1)]


# --------------------------------------------------------------------------------------------
# the estimator
# --------------------------------------------------------------------------------------------


class GaussianNB(ClassifierMixin, BaseEstimator):
    """Gaussian naive Bayes on NumPy, pandas or dask data, fitted in one pass.

    A drop-in for ``dask_ml.naive_bayes.GaussianNB`` (``priors``, ``classes``) with
    scikit-learn's ``var_smoothing``, attributes and methods. Each row block contributes, per
    class, the weight sum, mean and sum of squared deviations of every feature; the blocks
    are merged exactly (Chan, Golub and LeVeque), so the model equals scikit-learn's on the
    same data up to rounding, for any number of blocks.

    Parameters
    ----------
    priors : array-like of shape (n_classes,), default=None
        Prior probabilities of the classes (in the order of ``classes_``); not adjusted to
        the data. None: the (weighted) class frequencies.
    classes : array-like, default=None
        All the labels y can take (sorted into ``classes_``). None: the labels found in y
        during the pass. Labels of y outside ``classes`` raise an error; a class without rows
        keeps a zero prior.
    var_smoothing : float, default=1e-9
        Share of the largest variance of all features added to every variance.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Sorted class labels.
    class_count_ : ndarray of shape (n_classes,)
        (Weighted) number of training rows of every class.
    class_prior_ : ndarray of shape (n_classes,)
        Probability of every class.
    theta_ : ndarray of shape (n_classes, n_features)
        Mean of every feature per class.
    var_ : ndarray of shape (n_classes, n_features)
        Variance of every feature per class (plus ``epsilon_``).
    epsilon_ : float
        ``var_smoothing`` times the largest variance of a feature of the last batch.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X had string column names.
    n_passes_ : int
        Passes over the data made by the last ``fit`` or ``partial_fit``: 1.

    Notes
    -----
    Differences from dask-ml: the attributes are NumPy arrays (dask-ml kept lazy dask arrays),
    the variances are ``var_`` (scikit-learn's name; dask-ml's ``sigma_`` was removed from
    scikit-learn), ``sample_weight``, ``partial_fit`` and ``var_smoothing`` are supported,
    and predictions of dataframe input come back as dask Series/DataFrames in X's partitions.

    Examples
    --------
    >>> import numpy as np
    >>> from dasklearn.naive_bayes import GaussianNB
    >>> X = np.array([[-1, -1], [-2, -1], [-3, -2], [1, 1], [2, 1], [3, 2]])
    >>> y = np.array([1, 1, 1, 2, 2, 2])
    >>> clf = GaussianNB().fit(X, y)
    >>> clf.predict([[-0.8, -1]])
    array([1])

    Dask input is read once and predictions stay lazy:

    >>> from dasklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=1000, n_features=4, chunks=250, random_state=0)
    >>> clf = GaussianNB().fit(X, y)
    >>> clf.theta_.shape, clf.n_passes_
    ((2, 4), 1)
    >>> clf.predict_proba(X)
    dask.array<..., shape=(1000, 2), dtype=float64, chunksize=(250, 2), chunktype=numpy.ndarray>
    """

    _parameter_constraints = {
        "priors": ["array-like", None],
        "classes": ["array-like", None],
        "var_smoothing": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, priors: Any = None, classes: Any = None, var_smoothing: float = 1e-9):
        self.priors = priors
        self.classes = classes
        self.var_smoothing = var_smoothing

    # ---- fit --------------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> GaussianNB:
        """Fit the model in one pass over X and y.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
        y : array-like, pandas or dask collection of shape (n_samples,)
            Class labels (numbers or strings), partitioned like X for dask input.
        sample_weight : array-like or dask collection of shape (n_samples,), optional
            Non-negative row weights.

        Returns
        -------
        self : GaussianNB
            The fitted estimator.
        """
        check_params(self)
        self._check_priors()
        for name in ("classes_", "theta_", "var_", "class_count_", "class_prior_", "epsilon_"):
            self.__dict__.pop(name, None)
        classes = None if self.classes is None else unique_labels(self._values(self.classes))
        stats, dtype = self._pass(X, y, sample_weight, reset=True)
        self._update(stats, classes, True, dtype)
        return self

    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None
    ) -> GaussianNB:
        """Update the model with a batch (one pass over it), as scikit-learn's ``partial_fit``.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
        y : array-like, pandas or dask collection of shape (n_samples,)
        classes : array-like, optional
            All the labels y can take: needed on the first call (unless the ``classes``
            parameter is set), and equal to ``classes_`` when given later.
        sample_weight : array-like or dask collection of shape (n_samples,), optional

        Returns
        -------
        self : GaussianNB
            The updated estimator.
        """
        check_params(self)
        if classes is None and getattr(self, "classes_", None) is None:
            classes = self.classes
        first_call = getattr(self, "classes_", None) is None
        if classes is not None:
            classes = unique_labels(self._values(classes))
            if not first_call and not np.array_equal(self.classes_, classes):
                raise ValueError(
                    f"classes={classes!r} is not the same as on the last call to partial_fit, "
                    f"was: {self.classes_!r}."
                )
        elif first_call:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if first_call:
            self._check_priors()
        stats, dtype = self._pass(X, y, sample_weight, reset=first_call)
        self._update(stats, classes if first_call else self.classes_, first_call, dtype)
        return self

    @staticmethod
    def _values(values: Any) -> np.ndarray:
        return np.asarray(values.compute() if hasattr(values, "compute") else values)

    def _check_priors(self) -> None:
        """What can be checked of ``priors`` before the pass (their count needs the classes)."""
        if self.priors is None:
            return
        priors = np.asarray(self.priors, dtype=np.float64)
        if not np.isclose(priors.sum(), 1.0):
            raise ValueError("The sum of the priors should be 1.")
        if (priors < 0).any():
            raise ValueError("Priors must be non-negative.")

    def _pass(self, X: Any, y: Any, sample_weight: Any, reset: bool) -> tuple[dict, np.dtype]:
        """Validate X and y (no data read), then the one pass of class moments."""
        if y is None:
            raise ValueError("GaussianNB requires y to be passed, but the target y is None.")
        n = n_rows(X) if is_dask_input(X) else None
        Xv, yv = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=[np.float64, np.float32],
            # dask: the pass finds NaN/inf (its moments are not finite), no pass of its own
            ensure_all_finite=not is_dask_input(X),
            known_chunks=n is None
            or (sample_weight is not None and not is_dask_input(sample_weight)),
        )
        w = check_sample_weight(sample_weight, Xv)
        data = place(Xv, yv, w, n_samples=n if n is not None else Xv.shape[0], reuse=False)
        runner = Passes(data, check_first=_x_moments_finite)
        stats = runner.run(
            runner.reduction(class_moments, data.X, *data.vectors, combine=merge_class_moments),
            what="class moments",
        )
        self.n_passes_ = runner.n_passes
        check_n_samples(int(stats["n"]))  # dask input of unknown length: empty?
        if is_dask_input(w):  # in-memory weights were checked before the pass
            check_weight_values(0.0, float(stats["weight"].sum()))
        return stats, np.dtype(Xv.dtype)

    def _update(
        self, stats: dict[str, Any], classes: np.ndarray | None, first_call: bool, dtype: Any
    ) -> None:
        """scikit-learn's ``_partial_fit`` update, with the batch's merged moments."""
        labels = stats["labels"]
        if classes is None:
            classes = unique_labels(labels) if len(labels) else labels
        unknown = labels[~np.isin(labels, classes)]
        if len(unknown):
            raise ValueError(
                f"The target label(s) {unknown} in y do not exist in the initial classes {classes}."
            )
        n_features = stats["theta"].shape[1]
        epsilon = self.var_smoothing * float(np.max(stats["ssd"] / max(stats["n"], 1)))
        if first_call:
            k = len(classes)
            if self.priors is not None and len(self.priors) != k:
                raise ValueError("Number of priors must match number of classes.")
            self.classes_ = classes
            count = np.zeros(k)
            theta = np.zeros((k, n_features))
            var = np.zeros((k, n_features))
        else:
            count = self.class_count_.astype(np.float64)
            theta = self.theta_.astype(np.float64)
            # scikit-learn takes the *new* batch's epsilon off before merging (its
            # ``_partial_fit`` sets ``epsilon_`` first); equal models need the same.
            var = self.var_.astype(np.float64) - epsilon
        index = np.searchsorted(self.classes_, labels)
        update = ~np.isclose(stats["weight"], 0.0) if stats["weighted"] else stats["weight"] > 0
        i = index[update]
        merged = merge_moments(
            count[i],
            theta[i],
            var[i] * count[i][:, None],
            stats["weight"][update],
            stats["theta"][update],
            stats["class_ssd"][update],
        )
        theta[i] = merged[1]
        with np.errstate(invalid="ignore", divide="ignore"):
            var[i] = merged[2] / merged[0][:, None]
        count[index] += stats["weight"]
        self.epsilon_ = epsilon
        self.theta_ = theta.astype(dtype)
        self.var_ = (var + epsilon).astype(dtype)
        self.class_count_ = count.astype(dtype)
        if self.priors is not None:
            self.class_prior_ = np.asarray(self.priors, dtype=dtype)
        else:
            self.class_prior_ = (count / count.sum()).astype(dtype)

    # ---- predictions --------------------------------------------------------------------------

    def _model(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with np.errstate(divide="ignore"):
            log_prior = np.log(self.class_prior_.astype(np.float64))
        return self.theta_.astype(np.float64), self.var_.astype(np.float64), log_prior

    def _rows(self, method: str, func: Any, *args: Any, output: Output) -> Any:
        check_is_fitted(self, "theta_")
        return apply_rows(
            self,
            method,
            func,
            *args,
            output=output,
            dtype=[np.float64, np.float32],
            fitted="theta_",
        )

    def predict(self, X: Any) -> Any:
        """The most probable class of every row.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray, dask array or dask Series of shape (n_samples,)
            Of ``classes_``' dtype; lazy, in X's container, for dask input.
        """
        check_is_fitted(self, "theta_")
        return self._rows(
            "predict",
            _predict_block,
            X,
            self.classes_,
            *self._model(),
            output=Output(self.classes_.dtype),
        )

    def predict_proba(self, X: Any) -> Any:
        """Probability of every class for every row.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray, dask array or dask DataFrame of shape (n_samples, n_classes)
            Columns in the order of ``classes_`` (named after them for dataframe input).
        """
        check_is_fitted(self, "theta_")
        return self._rows(
            "predict_proba",
            _proba_block,
            X,
            *self._model(),
            output=Output(np.float64, width=len(self.classes_)),
        )

    def predict_log_proba(self, X: Any) -> Any:
        """Logarithm of the probability of every class for every row.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray, dask array or dask DataFrame of shape (n_samples, n_classes)
        """
        check_is_fitted(self, "theta_")
        return self._rows(
            "predict_log_proba",
            _log_proba_block,
            X,
            *self._model(),
            output=Output(np.float64, width=len(self.classes_)),
        )

    def predict_joint_log_proba(self, X: Any) -> Any:
        """Unnormalised ``log P(c) + log P(x | c)`` of every class for every row.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)

        Returns
        -------
        jll : ndarray, dask array or dask DataFrame of shape (n_samples, n_classes)
        """
        check_is_fitted(self, "theta_")
        return self._rows(
            "predict_joint_log_proba",
            joint_log_likelihood,
            X,
            *self._model(),
            output=Output(
                np.float64, width=len(self.classes_), columns=list(self.classes_.tolist())
            ),
        )

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean accuracy on (X, y); one pass for dask input.

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
        from .metrics import accuracy_score

        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
