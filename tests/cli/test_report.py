"""The evaluation report: its statistics against scikit-learn's, and the HTML page as a person
sees it (headless Chromium's screenshot holds every plot at its size, none blank)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, confusion_matrix, roc_auc_score

from dasklearn.cli.report.plots import HEIGHT, WIDTH
from dasklearn.cli.scores import (
    N_BINS,
    classification_block,
    curves,
    merge_sample,
    sample_block,
)

CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None
)


def test_histogram_curves_match_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 20_000)
    p = np.clip(0.5 * y + rng.normal(0.25, 0.25, y.size), 0, 1)
    proba = np.column_stack([1 - p, p])
    classes = np.array([0, 1])
    halves = [
        classification_block(y[s], (p[s] > 0.5).astype(int), proba[s], classes, "")
        for s in (slice(0, 7000), slice(7000, None))
    ]
    stats = {k: halves[0][k] + halves[1][k] for k in halves[0]}
    np.testing.assert_array_equal(stats["confusion"][:2, :2], confusion_matrix(y, p > 0.5))
    c = curves(stats["hist"][1])
    # within the resolution of 1,000 bins
    assert c["auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-3)
    assert c["average_precision"] == pytest.approx(average_precision_score(y, p), abs=2e-3)
    assert len(c["fpr"]) == N_BINS + 1


def test_unknown_labels_and_decision_scores():
    classes = np.array(["a", "b"])
    out = classification_block(
        np.array(["a", "b", "z"]),
        np.array(["a", "a", "b"]),
        np.array([-3.0, 2.0, 0.0]),
        classes,
        "decision_function",
    )
    assert out["confusion"].tolist() == [[1, 0, 0], [1, 0, 0], [0, 1, 0]]
    assert out["hist"][1, 1].sum() == 1  # one row of class 'b'


def test_bottom_k_sample_is_uniform_and_merges():
    parts = [
        sample_block(np.arange(i * 1000, (i + 1) * 1000), np.zeros(1000), i, 0, 300)
        for i in range(4)
    ]
    merged = parts[0]
    for part in parts[1:]:
        merged = merge_sample(merged, part, 300)
    keys, y, _, n = merged
    assert n == 4000 and len(y) == 300 and len(set(y)) == 300
    per_block = np.bincount((y // 1000).astype(int), minlength=4)
    assert per_block.min() > 40  # each block about a quarter


def _white_rectangles(png_path):
    """Bounding boxes (w, h) of the connected regions of pure white in a screenshot, and for
    each the share of non-white pixels inside it (the plot's ink)."""
    from PIL import Image
    from scipy import ndimage

    image = np.asarray(Image.open(png_path).convert("RGB")).astype(int)
    white = (image >= 254).all(axis=2)
    labels, _ = ndimage.label(white)
    found = []
    for box in ndimage.find_objects(labels):
        h, w = box[0].stop - box[0].start, box[1].stop - box[1].start
        if w > 100 and h > 100:
            ink = 1.0 - white[box].mean()
            found.append((w, h, ink))
    return found


def _screenshot(html, png):
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--window-size=1280,3600",
            f"--screenshot={png}",
            html.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert png.exists(), done.stderr


@pytest.mark.slow
@pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary (Debian: apt-get install chromium)"
)
def test_report_pages_in_chromium(cluster_client, tables, tmp_path):
    from dasklearn.cli.fit import FitOptions, fit_job
    from dasklearn.cli.progress import Progress

    cases = {
        "classification": (
            FitOptions(
                "dasklearn.linear_model.LogisticRegression",
                str(tables / "train.parquet"),
                "churn",
                tmp_path / "c.skops",
                features=["x0", "x1", "visits", "plan"],
                test_size=0.3,
            ),
            ["confusion", "roc", "precision-recall", "loss", "timings"],
        ),
        "regression": (
            FitOptions(
                "dasklearn.linear_model.LinearRegression",
                str(tables / "houses.csv"),
                "price",
                tmp_path / "r.skops",
            ),
            ["pva", "residuals", "timings"],
        ),
        "clustering": (
            FitOptions(
                "dasklearn.cluster.KMeans",
                str(tables / "train.parquet"),
                None,
                tmp_path / "k.skops",
                features=["x0", "x1", "x2"],
                params={"n_clusters": 3, "random_state": 0},
            ),
            ["cluster sizes", "centres", "timings"],
        ),
    }
    for name, (options, plots) in cases.items():
        options.report = tmp_path / name
        options.report.mkdir()
        with cluster_client.as_current():
            fit_job(cluster_client, Progress(cluster_client, enabled=False), options)
        html = (options.report / "report.html").read_text()
        assert re.findall(r'<img alt="([^"]+)"', html) == plots
        # self-contained: no script, nothing fetched (every image is a data URI)
        assert "<script" not in html and not re.search(r'(src|href)="(?!data:)', html)
        assert json.loads((options.report / "report.json").read_text())["metrics"]
        png = tmp_path / f"{name}.png"
        _screenshot(options.report / "report.html", png)
        rectangles = [
            (w, h, ink)
            for w, h, ink in _white_rectangles(png)
            if abs(w - WIDTH) <= 2 and abs(h - HEIGHT) <= 2
        ]
        assert len(rectangles) == len(plots), (name, _white_rectangles(png))
        assert all(ink > 0.02 for _, _, ink in rectangles), rectangles
    shutil.copy(tmp_path / "classification.png", tmp_path.parent / "report-screenshot.png")
