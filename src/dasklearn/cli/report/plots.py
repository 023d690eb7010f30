"""The report's figures, drawn with matplotlib (Agg, no display) and returned as PNG bytes.

Every figure is :data:`WIDTH` x :data:`HEIGHT` CSS pixels, drawn at twice that resolution for
sharp text; the page shows it at its CSS size on a white background.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

#: size of every figure on the page, in CSS pixels
WIDTH, HEIGHT = 560, 400
_DPI = 100
_SCALE = 2


def _figure() -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH / _DPI, HEIGHT / _DPI), dpi=_DPI, facecolor="white")
    ax = fig.add_subplot()
    return fig, ax


def _png(fig: Any) -> bytes:
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI * _SCALE, facecolor="white")
    return buffer.getvalue()


def _short(label: Any, width: int = 14) -> str:
    text = str(label)
    return text if len(text) <= width else text[: width - 1] + "…"


def confusion_matrix(confusion: Sequence[Sequence[int]], classes: Sequence[Any]) -> bytes:
    """Counts of true (rows) by predicted (columns) class, shaded by the share of each row."""
    cm = np.asarray(confusion, dtype=np.float64)
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = _figure()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, label="share of the true class")
    k = len(classes)
    if k <= 12:
        for i in range(k):
            for j in range(k):
                color = "white" if share[i, j] > 0.6 else "black"
                ax.text(j, i, f"{int(cm[i, j]):,}", ha="center", va="center", color=color)
    ticks = np.arange(k)
    labels = [_short(c) for c in classes]
    ax.set_xticks(ticks, labels, rotation=45 if k > 4 else 0, ha="right" if k > 4 else "center")
    ax.set_yticks(ticks, labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title("Confusion matrix")
    return _png(fig)


def roc_curves(curves: dict[str, dict[str, Any]]) -> bytes:
    fig, ax = _figure()
    for label, c in list(curves.items())[:10]:
        ax.plot(c["fpr"], c["tpr"], label=f"{_short(label)} (AUC {c['auc']:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1, label="chance")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="false positive rate", ylabel="true positive rate")
    ax.set_title("ROC curve" + ("s (one class against the rest)" if len(curves) > 1 else ""))
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(alpha=0.3)
    return _png(fig)


def pr_curves(curves: dict[str, dict[str, Any]]) -> bytes:
    fig, ax = _figure()
    for label, c in list(curves.items())[:10]:
        ax.plot(
            c["recall"], c["precision"], label=f"{_short(label)} (AP {c['average_precision']:.3f})"
        )
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="recall", ylabel="precision")
    ax.set_title("Precision-recall curve" + ("s" if len(curves) > 1 else ""))
    ax.legend(loc="lower left", fontsize="small")
    ax.grid(alpha=0.3)
    return _png(fig)


def predicted_vs_actual(y: Sequence[float], pred: Sequence[float], rows: int) -> bytes:
    y, pred = np.asarray(y), np.asarray(pred)
    fig, ax = _figure()
    ax.scatter(y, pred, s=6, alpha=0.35, edgecolors="none")
    if len(y):
        low, high = float(min(y.min(), pred.min())), float(max(y.max(), pred.max()))
        ax.plot([low, high], [low, high], color="black", linewidth=1, label="predicted = actual")
        ax.legend(loc="upper left", fontsize="small")
    ax.set(xlabel="actual", ylabel="predicted")
    ax.set_title(f"Predicted vs actual ({len(y):,} of {rows:,} rows, uniform sample)")
    ax.grid(alpha=0.3)
    return _png(fig)


def residuals(y: Sequence[float], pred: Sequence[float]) -> bytes:
    y, pred = np.asarray(y), np.asarray(pred)
    fig, ax = _figure()
    ax.scatter(pred, y - pred, s=6, alpha=0.35, edgecolors="none")
    ax.axhline(0.0, color="black", linewidth=1)
    ax.set(xlabel="predicted", ylabel="residual (actual - predicted)")
    ax.set_title("Residuals")
    ax.grid(alpha=0.3)
    return _png(fig)


def cluster_sizes(sizes: Sequence[int]) -> bytes:
    fig, ax = _figure()
    ax.bar(np.arange(len(sizes)), sizes, color="tab:blue")
    ax.set(xlabel="cluster", ylabel="rows")
    ax.set_xticks(np.arange(len(sizes)))
    ax.set_title("Cluster sizes")
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def centers_2d(coords: Sequence[Sequence[float]], sizes: Sequence[int], share: Sequence[float]):
    coords, sizes = np.asarray(coords), np.asarray(sizes, dtype=np.float64)
    fig, ax = _figure()
    area = 60 + 1400 * sizes / max(sizes.max(), 1)
    colors = np.arange(len(coords))
    ax.scatter(coords[:, 0], coords[:, 1], s=area, alpha=0.6, c=colors, cmap="tab10")
    for i, (x, y) in enumerate(coords):
        ax.annotate(str(i), (x, y), ha="center", va="center", fontsize="small")
    ax.set(
        xlabel=f"first principal axis ({share[0]:.0%} of the variance)",
        ylabel=f"second principal axis ({share[1]:.0%})",
    )
    ax.set_title("Cluster centres, projected (area: rows)")
    ax.margins(0.15)
    ax.grid(alpha=0.3)
    return _png(fig)


def loss_history(history: Sequence[Sequence[float]], label: str) -> bytes:
    steps = np.asarray(history, dtype=np.float64).reshape(-1, 2)
    fig, ax = _figure()
    ax.plot(steps[:, 0], steps[:, 1], marker="o", markersize=3)
    if len(steps) > 1 and np.all(steps[:, 1] > 0) and steps[:, 1].max() / steps[:, 1].min() > 50:
        ax.set_yscale("log")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="iteration", ylabel=label)
    ax.set_title("Loss per iteration of the solver")
    ax.grid(alpha=0.3)
    return _png(fig)


def timings(steps: Sequence[tuple[str, float]]) -> bytes:
    fig, ax = _figure()
    names = [_short(name, 38) for name, _ in steps][::-1]
    seconds = [s for _, s in steps][::-1]
    ax.barh(np.arange(len(steps)), seconds, color="tab:green")
    ax.set_yticks(np.arange(len(steps)), names, fontsize="small")
    ax.set_xlabel("seconds")
    ax.set_title("Where the time went")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)
