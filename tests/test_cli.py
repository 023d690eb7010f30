"""The dasklearn command: the demo on an existing cluster, the cluster it starts, and bad input
answered with one line and a non-zero exit status (never a traceback)."""

from __future__ import annotations

import socket
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from dasklearn import __version__
from dasklearn._client import connect
from dasklearn.cli.__main__ import main


def test_demo_campaign_step_on_existing_cluster(cluster_client, capsys):
    address = cluster_client.scheduler.address
    status = main(
        ["demo", "--scheduler", address, "--rows", "30000", "--steps", "campaign", "--no-progress"]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "Write a contributions table to parquet" in out
    assert "total by employer" in out and "average by occupation" in out
    assert "SELF-EMPLOYED" in out
    assert f"scheduler: {address}" in out
    assert "dashboard:" in out and "Summary" in out


@pytest.mark.slow
def test_every_demo_step_runs(cluster_client, tmp_path, capsys):
    """The whole demo at a small size: every step's own code path, not only the first."""
    status = main(
        ["demo", "--scheduler", cluster_client.scheduler.address, "--rows", "20000"]
        + ["--no-progress", "--report", str(tmp_path / "report")]
    )
    out = capsys.readouterr().out
    assert status == 0, out[-2000:]
    for title in ("KMeans", "Preprocessing", "GridSearchCV", "HyperbandSearchCV", "report:"):
        assert title in out


@pytest.mark.slow
def test_demo_ends_with_its_report(cluster_client, tmp_path, capsys):
    report = tmp_path / "demo-report"
    status = main(
        ["demo", "--scheduler", cluster_client.scheduler.address, "--rows", "20000"]
        + ["--steps", "campaign", "report", "--no-progress", "--report", str(report)]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert f"report: {report / 'report.html'}" in out
    html = (report / "report.html").read_text()
    assert "Write a contributions table to parquet" in html  # the demo's timings
    assert html.count("<img") >= 5


def test_unknown_step_is_refused(cluster_client, capsys):
    status = main(["demo", "--scheduler", cluster_client.scheduler.address, "--steps", "nope"])
    assert status == 1
    assert "unknown demo steps ['nope']" in capsys.readouterr().err


def test_version_and_help():
    out = subprocess.run(
        [sys.executable, "-m", "dasklearn.cli", "--version"], capture_output=True, text=True
    )
    assert __version__ in out.stdout
    out = subprocess.run(
        [sys.executable, "-m", "dasklearn.cli", "fit", "--help"], capture_output=True, text=True
    )
    for option in ("--scheduler", "--test-size", "--report", "--encode", "--format"):
        assert option in out.stdout


def test_started_cluster_listens_on_localhost_only(cluster_client):
    assert cluster_client.scheduler.address.startswith("tcp://127.0.0.1:")
    workers = cluster_client.scheduler_info()["workers"]
    assert len(workers) == 2
    assert all(addr.startswith("tcp://127.0.0.1:") for addr in workers)


@pytest.mark.timeout(120)
def test_connect_starts_and_stops_a_local_cluster():
    with connect(n_workers=1, dashboard=False, memory_limit="1GiB") as client:
        assert client.scheduler.address.startswith("tcp://127.0.0.1:")
        assert client.submit(lambda: 41 + 1).result() == 42
        cluster = client.cluster
    assert cluster.status.name in ("closed", "closing")


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    frame = pd.DataFrame(X, columns=["a", "b"])
    frame["city"] = pd.Series(rng.choice(["x", "y"], 200), dtype="string")
    frame["when"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(200), unit="D")
    frame["label"] = (X[:, 0] > 0).astype(int)
    frame.to_parquet(folder / "t.parquet")
    bad = frame.drop(columns="when").copy()
    bad.loc[150, "a"] = np.nan  # a NaN in the last block: the prediction fails while writing
    bad.to_csv(folder / "nan.csv", index=False)
    return folder


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LOGISTIC = "sklearn.linear_model.LogisticRegression"


@pytest.mark.parametrize(
    "args, message",
    [
        (
            [
                "fit",
                LOGISTIC,
                "{t}/missing.parquet",
                "--target",
                "label",
                "--output",
                "{t}/m.skops",
            ],
            "no such file or folder: {t}/missing.parquet",
        ),
        (
            ["fit", LOGISTIC, "{t}/t.parquet", "--target", "nope", "--output", "{t}/m.skops"],
            "has no column(s) nope; it has: a, b, city, when, label",
        ),
        (
            [
                "fit",
                LOGISTIC,
                "{t}/t.parquet",
                "--target",
                "label",
                "--features",
                "a",
                "city",
                "--encode",
                "none",
                "--output",
                "{t}/m.skops",
            ],
            "feature column(s) city hold text or categories and --encode none was given",
        ),
        (
            ["fit", LOGISTIC, "{t}/t.parquet", "--target", "label", "--output", "{t}/m.skops"],
            "feature column(s) when hold dates or times",
        ),
        (
            ["fit", LOGISTIC, "{t}/t.parquet", "--target", "label", "--output", "{t}/no/m.skops"],
            "the folder of the model file '{t}/no/m.skops' does not exist",
        ),
        (
            ["fit", "sklearn.svm.Nope", "{t}/t.parquet", "--target", "label", "--output", "x"],
            "cannot import estimator 'sklearn.svm.Nope'",
        ),
        (
            [
                "fit",
                LOGISTIC,
                "{t}/t.parquet",
                "--target",
                "label",
                "--features",
                "a",
                "--output",
                "{t}/m.skops",
                "--report",
                "{t}/no/report",
            ],
            "the folder of --report '{t}/no/report' does not exist",
        ),
        (
            ["evaluate", "{t}/none.skops", "{t}/t.parquet", "--target", "label"],
            "model file {t}/none.skops does not exist",
        ),
        (
            ["predict", "{t}/t.parquet", "{t}/t.parquet", "--output", "{t}/p.parquet"],
            "is not a model file written by 'dasklearn fit'",
        ),
        (
            [
                "fit",
                LOGISTIC,
                "{t}/t.parquet",
                "--target",
                "label",
                "--features",
                "a",
                "--param",
                "C",
                "--output",
                "{t}/m.skops",
            ],
            "--param takes NAME=VALUE, got 'C'",
        ),
        (
            ["info", "--scheduler", "tcp://127.0.0.1:{port}", "--connect-timeout", "1"],
            "cannot reach the scheduler at tcp://127.0.0.1:{port}",
        ),
    ],
    ids=[
        "missing-file",
        "missing-target",
        "text-no-encoding",
        "dates",
        "no-output-folder",
        "no-estimator",
        "no-report-folder",
        "no-model",
        "not-a-model",
        "bad-param",
        "unreachable-scheduler",
    ],
)
def test_bad_input_gets_one_line(args, message, table, capsys):
    port = _closed_port()
    fill = {"t": table, "port": port}
    status = main([a.format(**fill) for a in args])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert len(err) == 1, err
    assert err[0].startswith(f"dasklearn {args[0]}: error: ")
    assert message.format(**fill) in err[0]


@pytest.mark.slow
def test_failed_predict_leaves_no_output(table, cluster_client, capsys):
    address = cluster_client.scheduler.address
    model = table / "ab.skops"
    common = ["--scheduler", address, "--no-progress"]
    assert (
        main(
            [
                "fit",
                LOGISTIC,
                str(table / "t.parquet"),
                "--target",
                "label",
                "--features",
                "a",
                "b",
                "city",
                "--output",
                str(model),
                *common,
            ]
        )
        == 0
    )
    out = table / "pred.parquet"
    status = main(["predict", str(model), str(table / "nan.csv"), "--output", str(out), *common])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1 and len(err) == 1 and "NaN" in err[0]
    assert not out.exists()
    assert not [p for p in table.iterdir() if ".partial-" in p.name]


@pytest.mark.slow
def test_sklearn_estimator_in_memory_then_blockwise(table, cluster_client, tmp_path, capsys):
    """A scikit-learn estimator trains in memory (the encoding in its pipeline) and predicts
    and evaluates blockwise; the numbers are scikit-learn's on the same rows."""
    import json

    from sklearn.ensemble import RandomForestClassifier
    from sklearn.preprocessing import OneHotEncoder

    common = ["--scheduler", cluster_client.scheduler.address, "--no-progress"]
    model = tmp_path / "forest.skops"
    status = main(
        ["fit", "sklearn.ensemble.RandomForestClassifier", str(table / "t.parquet")]
        + ["--target", "label", "--features", "a", "b", "city", "--output", str(model)]
        + ["--param", "n_estimators=20", "--param", "random_state=0", "--param", "n_jobs=-1"]
        + ["--report", str(tmp_path / "report"), *common]
    )
    assert status == 0, capsys.readouterr().err
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    frame = pd.read_parquet(table / "t.parquet")
    city = OneHotEncoder(sparse_output=False).fit_transform(frame[["city"]])
    X = np.column_stack([city, frame[["a", "b"]].to_numpy()])
    forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, frame.label)
    assert report["metrics"]["accuracy"] == pytest.approx(forest.score(X, frame.label))
    assert report["model"]["encoding"] == "onehot (city)"
    out = tmp_path / "pred.parquet"
    status = main(["predict", str(model), str(table / "t.parquet"), "--output", str(out), *common])
    assert status == 0
    np.testing.assert_array_equal(pd.read_parquet(out)["predict"], forest.predict(X))
    # new rows with a city never seen in training: encoded as all zeros, still predicted
    new = frame.drop(columns=["when", "label"]).assign(city="z")
    new.to_csv(tmp_path / "new.csv", index=False)
    status = main(["predict", str(model), str(tmp_path / "new.csv"), "--output", str(out), *common])
    assert status == 0
    expected = forest.predict(np.column_stack([np.zeros_like(city), new[["a", "b"]].to_numpy()]))
    np.testing.assert_array_equal(pd.read_parquet(out)["predict"], expected)
