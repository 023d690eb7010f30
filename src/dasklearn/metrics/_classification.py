"""Classification metrics in one pass: :func:`accuracy_score` and :func:`log_loss`.

In-memory input goes to scikit-learn as it is. Dask input is scored by one
:func:`dasklearn._blockwise.reduction` over the row blocks of y_true, y_pred and sample_weight:
each block becomes a few sufficient statistics where it lives (:mod:`._kernels`), merged in
block order, and only those travel.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import sklearn.metrics

from .._blockwise import reduction, sum_parts
from . import _kernels as K
from ._inputs import aligned, as_labels, gathered, run

__all__ = ["accuracy_score", "log_loss"]

_WHATS = ("y_true", "y_pred", "sample_weight")


def _label_kind(y: Any) -> str:
    kind = np.dtype(y.dtype).kind
    return "number" if kind in "biuf" else "string" if kind in "OUSTa" else kind


def accuracy_score(
    y_true: Any,
    y_pred: Any,
    normalize: bool = True,
    sample_weight: Any = None,
    compute: bool = True,
) -> Any:
    """Accuracy classification score, in one pass over dask input.

    In multilabel classification (2-D label indicators) this is the subset accuracy: every
    label of a row must match.

    Parameters
    ----------
    y_true : array-like, pandas or dask collection of shape (n_samples,) or (n_samples, n_labels)
        True labels (numbers or strings).
    y_pred : array-like, pandas or dask collection, like y_true
        Predicted labels, e.g. ``model.predict(X)`` of a dasklearn estimator (a dask array in
        X's row chunks, or a dask Series in X's partitions).
    normalize : bool, default=True
        Return the fraction of correct rows; False: their (weighted) number.
    sample_weight : array-like or dask collection of shape (n_samples,), optional
        Row weights.
    compute : bool, default=True
        False: for dask input return the lazy pass, a dask collection whose ``compute()`` gives
        the score (compute several with one ``dask.compute``). In-memory input is always scored
        at once.

    Returns
    -------
    score : float, or a lazy dask collection when ``compute=False``
        scikit-learn's ``accuracy_score``.

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.metrics import accuracy_score
    >>> y_true = da.from_array([0, 1, 2, 3], chunks=2)
    >>> y_pred = da.from_array([0, 2, 1, 3], chunks=2)
    >>> accuracy_score(y_true, y_pred)
    0.5
    >>> accuracy_score(y_true, y_pred, normalize=False)
    2.0
    >>> lazy = accuracy_score(y_true, y_pred, compute=False)
    >>> lazy.compute()
    0.5
    """
    return _accuracy(y_true, y_pred, normalize, sample_weight, compute)


def _accuracy(
    y_true: Any,
    y_pred: Any,
    normalize: bool,
    sample_weight: Any,
    compute: bool,
    sign: float = 1.0,
) -> Any:
    values = (y_true, y_pred, sample_weight)
    (y_true, y_pred, w), mode = aligned(values, _WHATS, (None, None, "numeric"))
    kwargs = {"normalize": normalize, "sample_weight": w}
    if mode == "memory":
        return sign * sklearn.metrics.accuracy_score(y_true, y_pred, **kwargs)
    if mode == "gather":
        return gathered(sklearn.metrics.accuracy_score, sign, compute, y_true, y_pred, **kwargs)
    y_true, y_pred = as_labels(y_true), as_labels(y_pred)
    if y_true.ndim != y_pred.ndim:
        kinds = ["multilabel-indicator" if y.ndim == 2 else "multiclass" for y in (y_true, y_pred)]
        raise ValueError(
            f"Classification metrics can't handle a mix of {kinds[0]} and {kinds[1]} targets"
        )
    if {_label_kind(y_true), _label_kind(y_pred)} == {"number", "string"}:
        raise ValueError("Mix of label input types (string and number)")
    finish = partial(K.finish_accuracy, normalize=normalize, weighted=w is not None, sign=sign)
    pass_ = reduction(
        K.accuracy_stats,
        y_true,
        y_pred,
        w,
        combine=sum_parts,
        aggregate=finish,
        name="accuracy_score",
    )
    return run(pass_, compute)


def log_loss(
    y_true: Any,
    y_pred: Any,
    eps: float | str = "auto",
    normalize: bool = True,
    sample_weight: Any = None,
    labels: Any = None,
    compute: bool = True,
) -> Any:
    """Log loss (cross-entropy) of predicted probabilities, in one pass over dask input.

    Parameters
    ----------
    y_true : array-like, pandas or dask collection of shape (n_samples,)
        True labels (numbers or strings).
    y_pred : array-like, pandas or dask collection of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities (``predict_proba``), columns in the sorted order of the labels;
        1-D: the probability of the positive (larger) label. scikit-learn 1.9 calls this
        argument ``y_proba``.
    eps : "auto" or float, default="auto"
        Probabilities are clipped to ``[eps, 1 - eps]``. ``"auto"``: the machine epsilon of
        their dtype, which is what scikit-learn does today (it removed ``eps`` in 1.5). A
        number reproduces dask-ml's ``eps`` (default ``1e-15`` there) and scikit-learn < 1.5;
        it is accepted for compatibility, and the loss is then computed by dasklearn for
        in-memory input too.
    normalize : bool, default=True
        Return the mean loss per row; False: the (weighted) sum of the losses.
    sample_weight : array-like or dask collection of shape (n_samples,), optional
        Row weights.
    labels : array-like, optional
        All the labels; default: those found in y_true.
    compute : bool, default=True
        False: for dask input return the lazy pass (a dask collection; dask-ml returned a
        lazy dask array for dask input whatever it was asked).

    Returns
    -------
    loss : float, or a lazy dask collection when ``compute=False``
        scikit-learn's ``log_loss``.

    Notes
    -----
    The columns of ``y_pred`` are matched to the labels sorted, and which labels there are is
    known only once every block has been read; each block therefore keeps, for each label it
    holds, the weighted sum of ``-log p`` over every column: a ``(labels, columns)`` matrix per
    block, merged label by label.

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.metrics import log_loss
    >>> y_true = da.from_array(["spam", "ham", "ham", "spam"], chunks=2)
    >>> y_pred = da.from_array([[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]], chunks=2)
    >>> round(log_loss(y_true, y_pred), 5)
    0.21616
    """
    return _log_loss(y_true, y_pred, eps, normalize, sample_weight, labels, compute)


def _sklearn_log_loss(
    y_true: Any, y_pred: Any, eps: Any, normalize: bool, sample_weight: Any, labels: Any
) -> float:
    """scikit-learn's log_loss, or the same with a fixed ``eps`` (which it no longer takes)."""
    if isinstance(eps, str):
        return sklearn.metrics.log_loss(
            y_true, y_pred, normalize=normalize, sample_weight=sample_weight, labels=labels
        )
    y_true = np.asarray(y_true)
    w = None if sample_weight is None else np.asarray(sample_weight)
    stats = K.log_loss_stats(y_true, np.asarray(y_pred), w, eps)
    return K.finish_log_loss(stats, labels, normalize, weighted=w is not None)


def _check_eps(eps: Any) -> None:
    if isinstance(eps, str):
        if eps != "auto":
            raise ValueError(f"eps must be 'auto' or a float in (0, 0.5), got {eps!r}.")
    elif not 0 < eps < 0.5:
        raise ValueError(f"eps must be 'auto' or a float in (0, 0.5), got {eps!r}.")


def _log_loss(
    y_true: Any,
    y_pred: Any,
    eps: Any,
    normalize: bool,
    sample_weight: Any,
    labels: Any,
    compute: bool,
    sign: float = 1.0,
) -> Any:
    _check_eps(eps)
    values = (y_true, y_pred, sample_weight)
    (y_true, y_pred, w), mode = aligned(values, _WHATS, (None, "numeric", "numeric"))
    args = (eps, normalize, w, labels)
    if mode == "memory":
        return sign * _sklearn_log_loss(y_true, y_pred, *args)
    if mode == "gather":
        return gathered(_sklearn_log_loss, sign, compute, y_true, y_pred, *args)
    y_true = as_labels(y_true)
    if y_true.ndim != 1:
        raise ValueError(
            "log_loss of dask input takes 1-D labels y_true; pass multilabel indicators in memory."
        )
    finish = partial(
        K.finish_log_loss, labels=labels, normalize=normalize, weighted=w is not None, sign=sign
    )
    pass_ = reduction(
        K.log_loss_stats,
        y_true,
        y_pred,
        w,
        args=(eps,),
        combine=K.merge_log_loss,
        aggregate=finish,
        name="log_loss",
    )
    return run(pass_, compute)
