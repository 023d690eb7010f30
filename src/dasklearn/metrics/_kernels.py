"""Block kernels of :mod:`dasklearn.metrics`: pure NumPy, one row block each, no dask.

Every score is one pass of :func:`dasklearn._blockwise.reduction`: a ``*_stats`` function
summarises a row block into a few sufficient statistics, a ``merge_*`` function merges two
partials exactly (in block order), and a ``finish_*`` function turns the merged statistics into
the metric with scikit-learn's conventions (the reason for each is commented where it is
reproduced). The same functions score in-memory data as one block.

Statistics (``k`` outputs or classes; ``u`` labels present in a block):

========================= ==================================================================
metric                    per block
========================= ==================================================================
accuracy                  rows, weighted hits, sum of weights, label-type flags
regression (MSE, MAE,     rows, sum of weights, per output: weighted sums of squared / absolute
MAPE, MSLE)               / relative / squared-log errors; flags (non-finite, values <= -1)
r2                        rows, sum of weights, per output: a shift (the block's first value),
                          the weighted mean relative to it and the sum of squared deviations
                          (merged with Chan et al.'s update), sum of squared errors
log loss                  rows, sum of weights, the labels present and a (u, k) matrix: for each
                          label, the weighted sums of -log p over every column; min/max of p
========================= ==================================================================
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning

# --------------------------------------------------------------------------------------------
# shared
# --------------------------------------------------------------------------------------------


def block_rows(*blocks: Any) -> int:
    """The common number of rows of a block's arrays; raises when a block pair is misaligned."""
    lengths = {len(b) for b in blocks if b is not None}
    if len(lengths) > 1:
        raise ValueError(
            f"The row blocks of y_true, y_pred (and sample_weight) do not line up: a block has "
            f"lengths {sorted(lengths)}. Build them from one collection (y_pred = "
            "model.predict(X) with y_true partitioned like X)."
        )
    return lengths.pop() if lengths else 0


def _weights(w: Any, n: int) -> np.ndarray | None:
    return None if w is None else np.asarray(w, dtype=np.float64).reshape(n)


def _nonfinite(a: np.ndarray) -> int:
    return int(a.dtype.kind in "fc" and not np.isfinite(a).all())


def _weighted_sum(values: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """Column sums of ``values`` weighted by ``w`` (NumPy's pairwise summation, as np.average)."""
    return values.sum(axis=0) if w is None else (values * w[:, None]).sum(axis=0)


def average(values: Any, weights: Any = None) -> Any:
    """``np.average`` with its ZeroDivisionError for weights summing to zero (scikit-learn's)."""
    return np.average(values, weights=weights)


def _total(stats: dict[str, Any], weighted: bool) -> float:
    """The normaliser of a weighted mean: rows, or the sum of weights (zero: np.average's error)."""
    if stats["n"] == 0:
        raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
    if not weighted:
        return float(stats["n"])
    if stats["w"] == 0:
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    return stats["w"]


def _raise_nonfinite(stats: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if stats.get(f"nonfinite_{name}"):
            raise ValueError(f"Input {name} contains NaN or infinity.")


# --------------------------------------------------------------------------------------------
# accuracy
# --------------------------------------------------------------------------------------------


def accuracy_stats(y_true: Any, y_pred: Any, w: Any) -> dict[str, Any]:
    """Hits, rows and weights of one block; flags for targets scikit-learn refuses.

    1-D labels are compared elementwise; 2-D label indicator rows must match in every column
    (subset accuracy). Integer hit counts stay integers (exact); weighted hits are floats.
    """
    n = block_rows(y_true, y_pred, w)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    w = _weights(w, n)
    stats: dict[str, Any] = {"n": n, "hits": 0, "w": 0.0, "continuous": 0, "multioutput": 0}
    stats["nonfinite_sample_weight"] = 0 if w is None else _nonfinite(w)
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        stats[f"nonfinite_{name}"] = _nonfinite(y)
        if y.dtype.kind in "fc" and n:  # type_of_target: floats that are not integers
            stats["continuous"] += int(bool(np.any(y != np.floor(y))))
        if y.ndim == 2 and n and y.dtype.kind in "biuf":  # indicators hold only 0 and 1
            stats["multioutput"] += int(bool(np.any((y != 0) & (y != 1))))
    if n == 0:
        return stats
    hit = y_true == y_pred
    if hit.ndim == 2:
        hit = hit.all(axis=1)
    stats["hits"] = int(hit.sum()) if w is None else float((hit * w).sum())
    stats["w"] = float(n) if w is None else float(w.sum())
    return stats


def finish_accuracy(
    stats: dict[str, Any], normalize: bool, weighted: bool, sign: float = 1.0
) -> float:
    """Accuracy (or the weighted number of hits) from merged statistics."""
    _raise_nonfinite(stats, ("y_true", "y_pred", "sample_weight"))
    if stats["continuous"]:
        # scikit-learn's _check_targets: "Classification metrics can't handle a mix of ...
        # and continuous targets"
        raise ValueError(
            "Classification metrics can't handle continuous targets: y_true or y_pred holds "
            "values that are not integers."
        )
    if stats["multioutput"]:
        raise ValueError("multiclass-multioutput is not supported")
    total = _total(stats, weighted)
    hits = float(stats["hits"])
    return sign * (hits / total if normalize else hits)


# --------------------------------------------------------------------------------------------
# regression
# --------------------------------------------------------------------------------------------

#: the per-output sums each regression metric needs
REGRESSION_SUMS = {
    "mse": ("sse",),
    "mae": ("sae",),
    "mape": ("sape",),
    "msle": ("ssle",),
    "r2": ("sse", "shift", "mean", "m2"),
}

#: scikit-learn's epsilon of mean_absolute_percentage_error: |y| below it counts as eps
MAPE_EPS = np.finfo(np.float64).eps


def regression_stats(y_true: Any, y_pred: Any, w: Any, metric: str, k: int) -> dict[str, Any]:
    """Sufficient statistics of ``metric`` ("mse", "mae", "mape", "msle", "r2") for one block.

    Computed in float64 whatever the input dtype (scikit-learn computes float32 targets in
    float32).
    """
    n = block_rows(y_true, y_pred, w)
    y = np.asarray(y_true, dtype=np.float64).reshape(n, k)
    p = np.asarray(y_pred, dtype=np.float64).reshape(n, k)
    w = _weights(w, n)
    stats: dict[str, Any] = {
        "n": n,
        "w": float(n) if w is None else float(w.sum()),
        "nonfinite_y_true": _nonfinite(y),
        "nonfinite_y_pred": _nonfinite(p),
        "nonfinite_sample_weight": 0 if w is None else _nonfinite(w),
    }
    zeros = np.zeros(k)
    for key in REGRESSION_SUMS[metric]:
        stats[key] = zeros
    if n == 0:
        return stats
    with np.errstate(all="ignore"):
        if metric == "mse" or metric == "r2":
            stats["sse"] = _weighted_sum((y - p) ** 2, w)
        elif metric == "mae":
            stats["sae"] = _weighted_sum(np.abs(p - y), w)
        elif metric == "mape":
            stats["sape"] = _weighted_sum(np.abs(p - y) / np.maximum(np.abs(y), MAPE_EPS), w)
        elif metric == "msle":
            # scikit-learn refuses values <= -1 (log1p undefined); counted here, raised at the end
            stats["le_minus_one"] = int(bool((y <= -1).any() or (p <= -1).any()))
            stats["ssle"] = _weighted_sum((np.log1p(y) - np.log1p(p)) ** 2, w)
        if metric == "r2" and stats["w"] != 0:
            # the mean relative to a value of the data: a large offset common to all rows
            # (1e8 + noise) cancels exactly, and the means of two blocks compare accurately
            shift = y[0].copy()
            mean = _weighted_sum(y - shift, w) / stats["w"]
            stats["shift"], stats["mean"] = shift, mean
            stats["m2"] = _weighted_sum((y - shift - mean) ** 2, w)
    return stats


def merge_regression(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Merge two blocks' regression statistics: sums add; means and squared deviations merge
    with Chan et al.'s weighted update (exact up to rounding, in block order)."""
    spread = ("shift", "mean", "m2")
    out = {key: a[key] + b[key] for key in a if key not in spread}
    if "mean" not in a:
        return out
    if b["w"] == 0 or a["w"] == 0:  # an empty (or zero-weight) block adds no spread
        out.update({key: (a if b["w"] == 0 else b)[key] for key in spread})
        return out
    total = a["w"] + b["w"]
    # b's mean relative to a's shift: the shifts are data values, their difference is exact
    # for values within a factor 2 of each other (Sterbenz), so delta keeps its digits
    delta = (b["shift"] - a["shift"]) + b["mean"] - a["mean"]
    out["shift"] = a["shift"]
    out["mean"] = a["mean"] + delta * (b["w"] / total)
    out["m2"] = a["m2"] + b["m2"] + delta**2 * (a["w"] * b["w"] / total)
    return out


_MSLE_NAMES = {True: "Mean Squared Logarithmic Error", False: "Root Mean Squared Logarithmic Error"}


def finish_regression(
    stats: dict[str, Any],
    metric: str,
    multioutput: Any,
    weighted: bool,
    squared: bool = True,
    force_finite: bool = True,
    sign: float = 1.0,
) -> Any:
    """The regression metric from merged statistics, averaged over outputs as scikit-learn does.

    ``squared=False`` (MSE, MSLE) takes the square root per output before averaging, as
    scikit-learn's ``root_mean_squared_error`` and ``root_mean_squared_log_error`` do.
    """
    _raise_nonfinite(stats, ("y_true", "y_pred", "sample_weight"))
    if metric == "msle" and stats.get("le_minus_one"):
        raise ValueError(
            f"{_MSLE_NAMES[squared]} cannot be used when targets contain values less than or "
            "equal to -1."
        )
    if metric == "r2":
        return sign * _finish_r2(stats, multioutput, weighted, force_finite)
    total = _total(stats, weighted)
    errors = stats[REGRESSION_SUMS[metric][0]] / total
    if not squared:
        errors = np.sqrt(errors)
    return sign * _average_outputs(errors, multioutput)


def _average_outputs(scores: np.ndarray, multioutput: Any) -> Any:
    if isinstance(multioutput, str) and multioutput == "raw_values":
        return scores
    weights = None if isinstance(multioutput, str) else multioutput  # uniform_average: mean
    with np.errstate(invalid="ignore"):  # force_finite=False: 0 * -inf weights a lost output
        return float(average(scores, weights))


def _finish_r2(stats: dict[str, Any], multioutput: Any, weighted: bool, force_finite: bool) -> Any:
    if stats["n"] < 2:
        # scikit-learn: "R^2 score is not well-defined with less than two samples." and NaN
        if stats["n"] == 0:
            raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
        warnings.warn(
            "R^2 score is not well-defined with less than two samples.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        return float("nan")
    if weighted and stats["w"] == 0:
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    numerator, denominator = stats["sse"], stats["m2"]
    nonzero_denominator = denominator != 0
    if not force_finite:
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = 1 - numerator / denominator
    else:
        # scikit-learn's force_finite: perfect predictions score 1 (also of a constant
        # target); imperfect predictions of a constant target score 0 rather than -inf
        nonzero_numerator = numerator != 0
        scores = np.ones_like(numerator)
        valid = nonzero_denominator & nonzero_numerator
        scores[valid] = 1 - numerator[valid] / denominator[valid]
        scores[nonzero_numerator & ~nonzero_denominator] = 0.0
    if isinstance(multioutput, str) and multioutput == "variance_weighted":
        # weights by the variance of each output; all constant outputs: uniform weights
        multioutput = denominator if nonzero_denominator.any() else "uniform_average"
    if multioutput is None:
        multioutput = "uniform_average"
    return _average_outputs(scores, multioutput)


# --------------------------------------------------------------------------------------------
# log loss
# --------------------------------------------------------------------------------------------


def probabilities(y_prob: Any) -> np.ndarray:
    """Probabilities as scikit-learn reads them: float32 stays float32, the rest float64."""
    p = np.asarray(y_prob)
    return p if p.dtype in (np.float32, np.float64) else p.astype(np.float64)


def clip_eps(dtype: Any, eps: Any) -> float:
    """The clipping bound: scikit-learn's machine epsilon of the probabilities' dtype for
    ``"auto"``, else the given number (dask-ml's and scikit-learn < 1.5's ``eps``)."""
    return float(np.finfo(dtype).eps) if isinstance(eps, str) else float(eps)


def log_loss_stats(y_true: Any, y_prob: Any, w: Any, eps: Any) -> dict[str, Any]:
    """Per label present in the block, the weighted sums of ``-log(p)`` over every column.

    The column of a label is its rank among all labels, known only once every block is read:
    keeping a row per present label (``u x k``, at most ``k x k``) makes the pass one pass.
    A 1-D ``y_prob`` is the positive class's probability: columns ``[1 - p, p]``. Probabilities
    are clipped to ``[eps, 1 - eps]`` before the log, as in scikit-learn.
    """
    n = block_rows(y_true, y_prob, w)
    y_true = np.asarray(y_true).reshape(n)
    p = probabilities(y_prob)
    w = _weights(w, n)
    stats: dict[str, Any] = {
        "n": n,
        "w": float(n) if w is None else float(w.sum()),
        "nonfinite_y_pred": _nonfinite(p),
        "nonfinite_sample_weight": 0 if w is None else _nonfinite(w),
        "pmin": np.inf,
        "pmax": -np.inf,
        "unnormalised": 0,
        "labels": y_true[:0],
        "sums": None,
    }
    if n == 0:
        return stats
    stats["pmin"], stats["pmax"] = float(np.nanmin(p)), float(np.nanmax(p))
    if p.ndim == 1:
        p = p[:, None]
    if p.shape[1] == 1:
        p = np.concatenate([1 - p, p], axis=1)
    # scikit-learn warns when rows do not sum to one (relative tolerance sqrt(eps))
    eps_dtype = np.finfo(p.dtype).eps
    stats["unnormalised"] = int(not np.isclose(p.sum(axis=1), 1, rtol=np.sqrt(eps_dtype)).all())
    eps = clip_eps(p.dtype, eps)
    losses = -np.log(np.clip(p, eps, 1 - eps))
    labels, inverse = np.unique(y_true, return_inverse=True)
    weights = losses if w is None else losses * w[:, None]
    stats["labels"] = labels
    stats["sums"] = np.stack(
        [
            np.bincount(inverse, weights=weights[:, j], minlength=len(labels))
            for j in range(p.shape[1])
        ],
        axis=1,
    )
    return stats


def merge_log_loss(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Merge two blocks' log-loss statistics: labels united, their loss rows added."""
    out = {
        key: a[key] + b[key]
        for key in ("n", "w", "nonfinite_y_pred", "nonfinite_sample_weight", "unnormalised")
    }
    out["pmin"], out["pmax"] = min(a["pmin"], b["pmin"]), max(a["pmax"], b["pmax"])
    if a["sums"] is None or b["sums"] is None:  # an empty block adds nothing
        keep = b if a["sums"] is None else a
        out["labels"], out["sums"] = keep["labels"], keep["sums"]
        return out
    labels = np.union1d(a["labels"], b["labels"])
    sums = np.zeros((len(labels), a["sums"].shape[1]))
    sums[np.searchsorted(labels, a["labels"])] += a["sums"]
    sums[np.searchsorted(labels, b["labels"])] += b["sums"]
    out["labels"], out["sums"] = labels, sums
    return out


def finish_log_loss(
    stats: dict[str, Any], labels: Any, normalize: bool, weighted: bool, sign: float = 1.0
) -> float:
    """The log loss from merged statistics, with scikit-learn's checks in its order."""
    _raise_nonfinite(stats, ("y_pred", "sample_weight"))
    if stats["pmax"] > 1:
        raise ValueError(f"y_prob contains values greater than 1: {stats['pmax']}")
    if stats["pmin"] < 0:
        raise ValueError(f"y_prob contains values lower than 0: {stats['pmin']}")
    total = _total(stats, weighted)
    present = stats["labels"]
    if labels is not None:
        classes = np.unique(np.asarray(labels))
        # LabelBinarizer sorts the labels: the columns of y_prob follow that order
        if len(classes) != len(labels) or not np.all(classes == np.asarray(labels)):
            warnings.warn(
                f"Labels passed were {labels}. But this function assumes labels are ordered "
                f"lexicographically. Pass the ordered labels={classes.tolist()} and ensure that "
                "the columns of y_prob correspond to this ordering.",
                UserWarning,
                stacklevel=2,
            )
        undeclared = np.setdiff1d(present, classes)
        if len(undeclared):
            raise ValueError(
                f"y_true contains values {set(undeclared.tolist())} not belonging to the passed "
                f"labels {labels}."
            )
    else:
        classes = present
    if len(classes) == 1:
        if labels is None:
            raise ValueError(
                f"y_true contains only one label ({classes[0]}). Please provide the list of all "
                "expected class labels explicitly through the labels argument."
            )
        raise ValueError(f"The labels array needs to contain at least two labels, got {classes}.")
    if stats["unnormalised"]:
        warnings.warn(
            "The y_prob values do not sum to one. Make sure to pass probabilities.",
            UserWarning,
            stacklevel=2,
        )
    k = stats["sums"].shape[1]
    if len(classes) != k:
        if labels is None:
            raise ValueError(
                f"y_true and y_prob contain different number of classes: {len(classes)} vs "
                f"{k}. Please provide the true labels explicitly through the labels argument. "
                f"Classes found in y_true: {classes}"
            )
        raise ValueError(
            "The number of classes in labels is different from that in y_prob. Classes found "
            f"in labels: {classes}"
        )
    columns = np.searchsorted(classes, present)
    loss = float(stats["sums"][np.arange(len(present)), columns].sum())
    return sign * (loss / total if normalize else loss)
