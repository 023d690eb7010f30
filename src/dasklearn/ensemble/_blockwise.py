"""Blockwise voting ensembles: one clone of an estimator fitted on each row block.

``fit`` is one pass (:func:`dasklearn._passes.Passes`): the task of row block ``i`` clones the
estimator, fits it on block ``i`` where that block lives and returns the fitted model; only
the models travel to the client. Predictions go through the shared output layer
(:mod:`dasklearn._output`): each row block of X is predicted by every model where the block
lives, and the block's votes (labels), mean probabilities or mean predictions are returned.
The models enter the graph once per call.

The block kernels are the plain functions below the imports (no dask).
"""

from __future__ import annotations

import contextlib
from typing import Any

import dask
import dask.array as da
import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
)
from sklearn.utils import get_tags
from sklearn.utils.multiclass import unique_labels

from .._chunks import block_keys, n_rows
from .._client import active_client
from .._output import Output, apply_rows
from .._params import Options, check_params
from .._passes import Passes
from .._placement import place
from .._validation import check_is_fitted, check_sample_weight, is_dask_input, validate_data

__all__ = ["BlockwiseVotingClassifier", "BlockwiseVotingRegressor"]


# --------------------------------------------------------------------------------------------
# block kernels
# --------------------------------------------------------------------------------------------


def fit_block(X: Any, y: Any, w: Any, estimator: Any, fit_params: dict[str, Any]) -> Any:
    """A clone of ``estimator`` fitted on one row block (None for an empty block)."""
    if X.shape[0] == 0:
        return None
    model = clone(estimator)
    if w is not None:
        fit_params = {**fit_params, "sample_weight": w}
    model.fit(X, y, **fit_params)
    return model


def class_index(classes: np.ndarray, labels: Any) -> np.ndarray:
    """Positions of ``labels`` in the sorted ``classes``; unknown labels raise."""
    labels = np.asarray(labels)
    index = np.minimum(np.searchsorted(classes, labels), len(classes) - 1)
    unknown = classes[index] != labels
    if np.any(unknown):
        raise ValueError(
            f"A sub-estimator gave label(s) {np.unique(labels[unknown])} that are not in "
            f"classes_ {classes}."
        )
    return index


def hard_vote(X: Any, estimators: list, classes: np.ndarray) -> np.ndarray:
    """The label most sub-estimators predict for each row (ties: the first in ``classes``)."""
    n = X.shape[0]
    votes = np.zeros((n, len(classes)), dtype=np.intp)
    rows = np.arange(n)
    for estimator in estimators:
        votes[rows, class_index(classes, estimator.predict(X))] += 1
    return classes[np.argmax(votes, axis=1)]


def mean_proba(X: Any, estimators: list, classes: np.ndarray) -> np.ndarray:
    """Sub-estimators' ``predict_proba`` averaged, columns aligned on ``classes`` (a model whose
    block lacked a class gives that class probability 0)."""
    total = np.zeros((X.shape[0], len(classes)))
    for estimator in estimators:
        total[:, class_index(classes, estimator.classes_)] += estimator.predict_proba(X)
    return total / len(estimators)


def soft_vote(X: Any, estimators: list, classes: np.ndarray) -> np.ndarray:
    """The label of the largest mean probability of each row."""
    return classes[np.argmax(mean_proba(X, estimators, classes), axis=1)]


def mean_prediction(X: Any, estimators: list) -> np.ndarray:
    """Sub-estimators' predictions averaged."""
    total = np.zeros(X.shape[0])
    for estimator in estimators:
        total += np.asarray(estimator.predict(X), dtype=np.float64).reshape(-1)
    return total / len(estimators)


# --------------------------------------------------------------------------------------------
# estimators
# --------------------------------------------------------------------------------------------


def _is_sparse(X: Any) -> bool:
    return sp.issparse(X) or sp.issparse(getattr(X, "_meta", None))


def _on_block_holders(X: da.Array) -> contextlib.AbstractContextManager:
    """Run the task of row block ``i`` on a worker that holds block ``i`` of X, when X's blocks
    are already in the cluster's memory (persisted).

    Without it, the scheduler balances load: with 8 persisted blocks on 2 workers, one of the
    fits (0.5 s each by its default estimate) went to the idle worker with its block. Loose
    restrictions: a fit still runs elsewhere when no holder is left.
    """
    client = active_client()
    if client is None:
        return contextlib.nullcontext()
    from distributed import futures_of

    if len(futures_of(X)) != X.numblocks[0]:
        return contextlib.nullcontext()
    held = client.who_has(X)
    holders = [list(held.get(k, ())) for k in block_keys(X)]
    if not all(holders):
        return contextlib.nullcontext()
    return dask.annotate(workers=lambda key: holders[key[1]], allow_other_workers=True)


class _BlockwiseBase(MetaEstimatorMixin, BaseEstimator):
    _parameter_constraints: dict[str, list[Any]] = {"estimator": ["estimator"]}
    _y_numeric = False

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator

    def _fit(self, X: Any, y: Any, fit_params: dict[str, Any]) -> list[Any]:
        """One pass: a fitted clone per non-empty row block."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        fit_params = dict(fit_params)
        sample_weight = fit_params.pop("sample_weight", None)
        lazy = [k for k, v in fit_params.items() if is_dask_input(v)]
        if lazy:
            raise TypeError(
                f"Fit parameter(s) {lazy} are dask collections; only sample_weight is split "
                "along the row blocks. Pass the others in memory."
            )
        n = n_rows(X) if is_dask_input(X) else None
        Xv, yv = validate_data(
            self,
            X,
            y,
            reset=True,
            dtype=[np.float64, np.float32],
            accept_sparse=True,
            y_numeric=self._y_numeric,
            ensure_all_finite=False,  # the sub-estimator decides what it accepts
            known_chunks=n is None
            or (sample_weight is not None and not is_dask_input(sample_weight)),
        )
        w = check_sample_weight(sample_weight, Xv)
        if sp.issparse(Xv):  # in-memory sparse: one block
            return [fit_block(Xv, yv, w, self.estimator, fit_params)]
        data = place(Xv, yv, w, n_samples=n if n is not None else Xv.shape[0], reuse=False)
        runner = Passes(data, check_first=None)
        with _on_block_holders(data.X):
            fits = runner.reduction(
                fit_block, data.X, *data.vectors, args=(self.estimator, fit_params), combine=None
            )
        models = runner.run(fits, what="fit a model per block")
        models = [m for m in models if m is not None]
        if not models:
            raise ValueError("Every row block of X is empty: nothing to fit.")
        return models

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator).input_tags
        tags.input_tags.sparse = inner.sparse
        tags.input_tags.allow_nan = inner.allow_nan
        return tags

    def _rows(self, method: str, func: Any, X: Any, *args: Any, output: Output) -> Any:
        check_is_fitted(self, "estimators_")
        return apply_rows(
            self,
            method,
            func,
            X,
            self.estimators_,
            *args,
            output=output,
            dtype=None if _is_sparse(X) else [np.float64, np.float32],
            ensure_all_finite=False,
            fitted="estimators_",
        )


class BlockwiseVotingClassifier(ClassifierMixin, _BlockwiseBase):
    """Fit a clone of a classifier on every row block; predict by their vote.

    Each block of X (with its block of y) trains its own copy of ``estimator``, where the
    block lives, in one pass; the ensemble of these models predicts. Shuffle the rows first
    if the blocks are not alike: a model sees only its block.

    Parameters
    ----------
    estimator : classifier
        Cloned once per row block (its own ``random_state`` fixes every clone: the same
        models on any scheduler).
    voting : {"hard", "soft"}, default="hard"
        ``"hard"``: the label most models predict (ties go to the first label in
        ``classes_``). ``"soft"``: the label of the largest mean ``predict_proba``.
    classes : array-like, default=None
        The labels y can take (or pass ``classes=`` to :meth:`fit`, which also hands it to
        every sub-estimator's ``fit``). Required.

    Attributes
    ----------
    estimators_ : list of classifiers
        One fitted clone per non-empty row block, in block order.
    classes_ : ndarray of shape (n_classes,)
        The sorted labels.
    n_features_in_ : int
        Number of features seen during fit.

    Notes
    -----
    In-memory X is cut into the shared in-memory row blocks (one block up to 4 MiB, so one
    model); a scipy.sparse X is one block. Dask arrays of sparse blocks (the output of
    :mod:`dasklearn.feature_extraction.text`) are accepted. Differences from dask-ml:
    ``fit`` returns the estimator, ``classes_`` is sorted, predictions are labels (dask-ml's
    soft vote gave class positions), a model whose block lacked a class gets probability 0
    for it in the soft vote, dataframe input gives dask Series/DataFrames in X's partitions,
    and ``sample_weight`` is split along the row blocks.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from dasklearn.datasets import make_classification
    >>> from dasklearn.ensemble import BlockwiseVotingClassifier
    >>> X, y = make_classification(n_samples=1000, n_features=4, chunks=250, random_state=0)
    >>> clf = BlockwiseVotingClassifier(LogisticRegression(), classes=[0, 1]).fit(X, y)
    >>> len(clf.estimators_)
    4
    >>> clf.predict(X)
    dask.array<..., shape=(1000,), dtype=int64, chunksize=(250,), chunktype=numpy.ndarray>
    >>> clf.score(X, y) > 0.8
    True
    """

    _parameter_constraints = {
        **_BlockwiseBase._parameter_constraints,
        "voting": [Options({"hard", "soft"})],
        "classes": ["array-like", None],
    }

    def __init__(self, estimator: Any, voting: str = "hard", classes: Any = None) -> None:
        self.voting = voting
        self.classes = classes
        super().__init__(estimator)

    def fit(self, X: Any, y: Any, **kwargs: Any) -> BlockwiseVotingClassifier:
        """Fit a clone of ``estimator`` on every row block of X and y (one pass).

        Parameters
        ----------
        X : array-like, sparse matrix, pandas or dask collection of shape (n_samples, n_features)
        y : array-like, pandas or dask collection of shape (n_samples,)
            Labels, partitioned like X for dask input.
        **kwargs
            Passed to every sub-estimator's ``fit``; ``sample_weight`` is split along the
            row blocks.

        Returns
        -------
        self : BlockwiseVotingClassifier
            The fitted ensemble.
        """
        check_params(self)
        classes = self.classes if self.classes is not None else kwargs.get("classes")
        if classes is None:
            raise ValueError("Must provide the classes of `y`: classes=... (or fit(classes=...)).")
        classes = np.asarray(classes.compute() if hasattr(classes, "compute") else classes)
        classes = unique_labels(classes)
        models = self._fit(X, y, kwargs)
        for model in models:
            theirs = getattr(model, "classes_", None)
            unknown = [] if theirs is None else np.setdiff1d(theirs, classes)
            if len(unknown):
                raise ValueError(f"y has label(s) {unknown} that are not in classes {classes}.")
        self.classes_ = classes
        self.estimators_ = models
        return self

    def predict(self, X: Any) -> Any:
        """The ensemble's label for every row (hard or soft vote).

        Parameters
        ----------
        X : array-like, sparse matrix, pandas or dask collection of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray, dask array or dask Series of shape (n_samples,)
            Of ``classes_``' dtype; lazy, in X's container, for dask input.
        """
        check_is_fitted(self, "estimators_")
        vote = soft_vote if self.voting == "soft" else hard_vote
        return self._rows("predict", vote, X, self.classes_, output=Output(self.classes_.dtype))

    @property
    def predict_proba(self) -> Any:
        """Mean ``predict_proba`` of the sub-estimators (``voting="soft"`` only).

        Its argument is X (array-like, sparse matrix, pandas or dask collection of shape
        (n_samples, n_features)); it returns an ndarray, dask array or dask DataFrame of shape
        (n_samples, n_classes), columns in the order of ``classes_``.
        """
        if self.voting == "hard":
            raise AttributeError(f"predict_proba is not available when voting={self.voting!r}")
        return self._predict_proba

    def _predict_proba(self, X: Any) -> Any:
        check_is_fitted(self, "estimators_")
        return self._rows(
            "predict_proba",
            mean_proba,
            X,
            self.classes_,
            output=Output(np.float64, width=len(self.classes_)),
        )

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean accuracy on (X, y); one pass for dask input.

        Parameters
        ----------
        X : array-like, sparse matrix, pandas or dask collection of shape (n_samples, n_features)
        y : array-like, pandas or dask collection of shape (n_samples,)
        sample_weight : array-like or dask collection of shape (n_samples,), optional

        Returns
        -------
        score : float
        """
        from ..metrics import accuracy_score

        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))


class BlockwiseVotingRegressor(RegressorMixin, _BlockwiseBase):
    """Fit a clone of a regressor on every row block; predict by their mean.

    Each block of X (with its block of y) trains its own copy of ``estimator``, where the
    block lives, in one pass; the prediction is the mean of the models' predictions.

    Parameters
    ----------
    estimator : regressor
        Cloned once per row block.

    Attributes
    ----------
    estimators_ : list of regressors
        One fitted clone per non-empty row block, in block order.
    n_features_in_ : int
        Number of features seen during fit.

    Notes
    -----
    See :class:`BlockwiseVotingClassifier` for in-memory and sparse input. Differences from
    dask-ml: ``fit`` returns the estimator, dataframe input gives a dask Series in X's
    partitions, and ``sample_weight`` is split along the row blocks.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from dasklearn.datasets import make_regression
    >>> from dasklearn.ensemble import BlockwiseVotingRegressor
    >>> X, y = make_regression(n_samples=1000, n_features=4, chunks=250, random_state=0)
    >>> reg = BlockwiseVotingRegressor(LinearRegression()).fit(X, y)
    >>> len(reg.estimators_)
    4
    >>> reg.score(X, y) > 0.99
    True
    """

    _y_numeric = True

    def fit(self, X: Any, y: Any, **kwargs: Any) -> BlockwiseVotingRegressor:
        """Fit a clone of ``estimator`` on every row block of X and y (one pass).

        Parameters
        ----------
        X : array-like, sparse matrix, pandas or dask collection of shape (n_samples, n_features)
        y : array-like, pandas or dask collection of shape (n_samples,)
            Targets, partitioned like X for dask input.
        **kwargs
            Passed to every sub-estimator's ``fit``; ``sample_weight`` is split along the
            row blocks.

        Returns
        -------
        self : BlockwiseVotingRegressor
            The fitted ensemble.
        """
        check_params(self)
        self.estimators_ = self._fit(X, y, kwargs)
        return self

    def predict(self, X: Any) -> Any:
        """Mean of the sub-estimators' predictions for every row.

        Parameters
        ----------
        X : array-like, sparse matrix, pandas or dask collection of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray, dask array or dask Series of shape (n_samples,)
        """
        return self._rows("predict", mean_prediction, X, output=Output(np.float64))

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R² on (X, y); one pass for dask input.

        Parameters
        ----------
        X : array-like, sparse matrix, pandas or dask collection of shape (n_samples, n_features)
        y : array-like, pandas or dask collection of shape (n_samples,)
        sample_weight : array-like or dask collection of shape (n_samples,), optional

        Returns
        -------
        score : float
        """
        from ..metrics import r2_score

        return float(r2_score(y, self.predict(X), sample_weight=sample_weight))
