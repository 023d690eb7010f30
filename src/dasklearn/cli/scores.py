"""Block kernels and finishing steps of ``dasklearn evaluate``: pure NumPy, no dask.

Each ``*_block`` function turns one row block into a small partial result; partials add up
(:func:`dasklearn._blockwise.sum_parts`) except the row sample, merged by :func:`merge_sample`.
The curves come from histograms: every score falls in one of :data:`N_BINS` equal bins of
[0, 1] per class (decision functions pass through the logistic function first, which keeps
their order), so ROC and precision-recall curves have thresholds at multiples of 1/N_BINS,
whatever the number of rows, from one pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: bins of the score histograms: thresholds every 0.001 in probability
N_BINS = 1000
#: rows in the uniform sample behind the regression plots
SAMPLE_ROWS = 5000


def label_index(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Position of each label in ``classes`` (sorted), ``len(classes)`` for a label not in it."""
    y = np.asarray(y)
    k = len(classes)
    try:
        idx = np.searchsorted(classes, y)
    except TypeError:  # labels of another type than the classes (int y, str classes)
        return np.full(len(y), k)
    found = idx < k
    found[found] = classes[idx[found]] == y[found]
    return np.where(found, idx, k)


def as_unit_scores(scores: np.ndarray, kind: str) -> np.ndarray:
    """Scores in [0, 1]: probabilities as they are, decision values through the logistic."""
    scores = np.asarray(scores, dtype=np.float64)
    if kind == "decision_function":
        return 0.5 * (1.0 + np.tanh(0.5 * scores))  # the logistic, without overflow
    return np.clip(scores, 0.0, 1.0)


def classification_block(
    y: np.ndarray, pred: np.ndarray, scores: np.ndarray | None, classes: np.ndarray, kind: str
) -> dict[str, np.ndarray]:
    """Confusion counts and per-class score histograms of one block.

    Returns ``confusion`` of shape (k + 1, k + 1) (row: true class, column: predicted; the
    last row and column count labels outside ``classes``) and, when there are scores, ``hist``
    of shape (k, 2, N_BINS): for class c, the bins of score c over rows of another class
    ([c, 0]) and of class c ([c, 1]).
    """
    k = len(classes)
    t = label_index(np.ravel(y), classes)
    p = label_index(np.ravel(pred), classes)
    confusion = np.bincount(t * (k + 1) + p, minlength=(k + 1) ** 2).reshape(k + 1, k + 1)
    out = {"confusion": confusion}
    if scores is not None:
        s = as_unit_scores(scores, kind)
        if s.ndim == 1:  # a binary decision function: the score of classes[1]
            s = np.column_stack([1.0 - s, s])
        bins = np.minimum((s * N_BINS).astype(np.int64), N_BINS - 1)
        hist = np.zeros((k, 2, N_BINS), dtype=np.int64)
        for c in range(k):
            positive = (t == c).astype(np.int64)
            hist[c] = np.bincount(positive * N_BINS + bins[:, c], minlength=2 * N_BINS).reshape(
                2, N_BINS
            )
        out["hist"] = hist
    return out


def curves(hist: np.ndarray) -> dict[str, Any]:
    """ROC and precision-recall curves of one class from its histograms (negatives, positives).

    Threshold j predicts positive when the score is in bin j or above (score >= j / N_BINS).
    """
    neg = np.cumsum(hist[0][::-1])[::-1].astype(np.float64)  # rows at or above each threshold
    pos = np.cumsum(hist[1][::-1])[::-1].astype(np.float64)
    n_neg, n_pos = neg[0], pos[0]
    tpr = np.append(pos / n_pos, 0.0) if n_pos else np.zeros(N_BINS + 1)
    fpr = np.append(neg / n_neg, 0.0) if n_neg else np.zeros(N_BINS + 1)
    predicted = pos + neg
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, pos / predicted, 1.0)
    recall = tpr[:-1]
    auc = float(-np.trapezoid(tpr, fpr)) if n_pos and n_neg else float("nan")
    # average precision: precision at each threshold, weighted by the recall it adds
    steps = recall - np.append(recall[1:], 0.0)
    ap = float(np.sum(steps * precision)) if n_pos else float("nan")
    return {
        "fpr": fpr,
        "tpr": tpr,
        "precision": np.append(precision, 1.0),
        "recall": np.append(recall, 0.0),
        "auc": auc,
        "average_precision": ap,
        "positives": int(n_pos),
    }


def per_class_scores(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall, F1 and support per class from the confusion counts (scikit-learn's
    zero-division convention: 0 where a ratio has no denominator)."""
    k = confusion.shape[0] - 1
    cm = confusion.astype(np.float64)
    tp = np.diag(cm)[:k]
    predicted = cm[:, :k].sum(axis=0)
    support = cm[:k].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


def sample_block(
    y: np.ndarray, pred: np.ndarray, block: int, seed: int, size: int = SAMPLE_ROWS
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The rows of a block with the ``size`` smallest random keys, and the block's row count.

    Merged by :func:`merge_sample`, the kept rows are a uniform sample without replacement of
    all rows (bottom-k sampling), the same for the same seed and blocks on any scheduler.
    """
    keys = np.random.default_rng([seed, block]).random(len(y))
    keep = np.argsort(keys, kind="stable")[:size]
    y = np.asarray(y, np.float64).reshape(len(keys), -1)[:, 0]
    pred = np.asarray(pred, np.float64).reshape(len(keys), -1)[:, 0]
    return keys[keep], y[keep], pred[keep], len(keys)


def merge_sample(a: tuple, b: tuple, size: int = SAMPLE_ROWS) -> tuple:
    """Two partial samples as one: the ``size`` rows with the smallest keys of both."""
    keys, y, pred = (np.concatenate([u, v]) for u, v in zip(a[:3], b[:3], strict=True))
    keep = np.argsort(keys, kind="stable")[:size]
    return keys[keep], y[keep], pred[keep], a[3] + b[3]


def clusters_block(distances: np.ndarray, k: int) -> dict[str, Any]:
    """Rows per nearest centre and the sum of squared distances to it (the inertia)."""
    distances = np.asarray(distances, dtype=np.float64).reshape(len(distances), -1)
    nearest = distances.argmin(axis=1)
    closest = distances[np.arange(len(distances)), nearest]
    return {
        "sizes": np.bincount(nearest, minlength=k),
        "inertia": float(np.sum(closest**2)),
    }


def project_2d(centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The centres on their first two principal axes, and the share of variance each keeps."""
    centers = np.asarray(centers, dtype=np.float64)
    if centers.shape[1] == 1:
        return np.column_stack([centers[:, 0], np.zeros(len(centers))]), np.array([1.0, 0.0])
    centred = centers - centers.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    coords = centred @ vt[:2].T
    total = float(np.sum(s**2)) or 1.0
    share = (s[:2] ** 2) / total
    if coords.shape[1] == 1:
        coords = np.column_stack([coords, np.zeros(len(coords))])
        share = np.append(share, 0.0)
    return coords, share
