"""fit -> evaluate -> predict as a user runs them: subprocesses on parquet and CSV tables, on the
local cluster the command starts and on ``dask scheduler`` / ``dask worker`` processes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.slow

FEATURES = ["x0", "x1", "x2", "visits", "region", "plan"]


@pytest.fixture(scope="module")
def fitted(cli, tables, tmp_path_factory):
    """``dasklearn fit`` on the local cluster it starts: a logistic regression on the parquet
    table, one-hot encoding of 'region' and 'plan', 25% held out, a report."""
    out = tmp_path_factory.mktemp("fitted")
    done = cli(
        "fit",
        "dasklearn.linear_model.LogisticRegression",
        tables / "train.parquet",
        "--target",
        "churn",
        "--features",
        *FEATURES,
        "--test-size",
        "0.25",
        "--random-state",
        "3",
        "--output",
        out / "churn.skops",
        "--report",
        out / "fit-report",
    )
    assert done.returncode == 0, done.stderr
    return out, done


def test_fit_on_local_cluster_writes_model_and_report(fitted):
    out, done = fitted
    assert (out / "churn.skops").is_file()
    report = json.loads((out / "fit-report" / "report.json").read_text())
    assert report["model"]["encoding"] == "onehot (region, plan)"
    assert report["data"]["split"].startswith("held-out 0.25")
    assert 200 < report["rows"] < 400  # about a quarter of 1,200 rows
    assert report["metrics"]["accuracy"] > 0.6
    assert report["fit"]["loss_history"]["values"]  # the solver's objective per iteration
    assert report["cluster"]["scheduler"].startswith("tcp://127.0.0.1:")
    # a log, not a terminal: one line per step with its time, no progress-bar frames
    assert "\r" not in done.stdout
    assert "fit LogisticRegression on the cluster, block by block: " in done.stdout
    assert not list(out.glob(".*partial*"))


def test_evaluate_and_predict_on_scheduler_processes(fitted, cli, tables, scheduler_address):
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    out, _ = fitted
    common = ["--scheduler", scheduler_address]
    done = cli(
        "evaluate", out / "churn.skops", tables / "train.csv", "--report", out / "eval", *common
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "eval" / "report.json").read_text())
    assert report["rows"] == 1200
    assert report["cluster"]["scheduler"] == scheduler_address

    done = cli(
        "predict",
        out / "churn.skops",
        tables / "train.csv",
        "--method",
        "predict_proba",
        "--keep",
        "id",
        "churn",
        "--output",
        out / "proba.parquet",
        *common,
    )
    assert done.returncode == 0, done.stderr
    written = pd.read_parquet(out / "proba.parquet").sort_values("id")
    assert list(written.id) == list(range(1200))
    proba = written["predict_proba_1"].to_numpy()
    y = written["churn"].to_numpy()
    metrics = report["metrics"]
    # the one-pass metrics equal scikit-learn's on the predictions the model writes
    assert metrics["accuracy"] == pytest.approx(accuracy_score(y, proba > 0.5), abs=1e-12)
    assert metrics["log_loss"] == pytest.approx(log_loss(y, proba), rel=1e-9)
    # the ROC AUC from 1,000-bin histograms is within the bins' resolution of the exact one
    assert metrics["roc_auc"] == pytest.approx(roc_auc_score(y, proba), abs=2e-3)


def test_regression_and_kmeans_on_csv(cli, tables, tmp_path, scheduler_address):
    from sklearn.linear_model import LinearRegression

    common = ["--scheduler", scheduler_address]
    done = cli(
        "fit",
        "dasklearn.linear_model.LinearRegression",
        tables / "houses.csv",
        "--target",
        "price",
        "--output",
        tmp_path / "houses.skops",
        "--report",
        tmp_path / "houses",
        *common,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "houses" / "report.json").read_text())
    frame = pd.read_csv(tables / "houses.csv")
    X, y = frame[["area", "rooms"]], frame["price"]
    expected = LinearRegression().fit(X, y).score(X, y)
    assert report["metrics"]["r2"] == pytest.approx(expected, abs=1e-6)
    assert report["rows"] == 900

    done = cli(
        "fit",
        "dasklearn.cluster.KMeans",
        tables / "train.parquet",
        "--features",
        "x0",
        "x1",
        "x2",
        "region",
        "--param",
        "n_clusters=4",
        "--param",
        "random_state=0",
        "--output",
        tmp_path / "km.skops",
        "--report",
        tmp_path / "km",
        *common,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "km" / "report.json").read_text())
    sizes = report["evaluation"]["cluster_sizes"]
    assert len(sizes) == 4 and sum(sizes) == 1200
    assert np.asarray(report["evaluation"]["centers_2d"]).shape == (4, 2)


def test_info(cli, scheduler_address):
    done = cli("info")
    assert done.returncode == 0, done.stderr
    assert "dasklearn" in done.stdout and "scikit-learn" in done.stdout
    assert "dasklearn.xgboost" in done.stdout
    assert "a new local cluster on 127.0.0.1" in done.stdout
    done = cli("info", "--scheduler", scheduler_address)
    assert done.returncode == 0, done.stderr
    assert scheduler_address in done.stdout
    assert "workers        1" in done.stdout and "threads        2" in done.stdout
