"""The dasklearn command: `dasklearn demo` on an existing cluster, and the cluster it starts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dasklearn import __version__
from dasklearn._client import connect
from dasklearn.cli.__main__ import main


def test_demo_campaign_step_on_existing_cluster(cluster_client, capsys):
    address = cluster_client.scheduler.address
    main(
        ["demo", "--scheduler", address, "--rows", "30000", "--steps", "campaign", "--no-progress"]
    )
    out = capsys.readouterr().out
    assert "Write a contributions table to parquet" in out
    assert "total by employer" in out and "average by occupation" in out
    assert "SELF-EMPLOYED" in out
    assert f"scheduler: {address}" in out
    assert "dashboard:" in out and "Summary" in out


def test_unknown_step_is_refused(cluster_client):
    with pytest.raises(ValueError, match="Unknown demo steps"):
        main(["demo", "--scheduler", cluster_client.scheduler.address, "--steps", "nope"])


def test_version_and_help():
    out = subprocess.run(
        [sys.executable, "-m", "dasklearn.cli", "--version"], capture_output=True, text=True
    )
    assert __version__ in out.stdout
    out = subprocess.run(
        [sys.executable, "-m", "dasklearn.cli", "demo", "--help"], capture_output=True, text=True
    )
    assert "--scheduler" in out.stdout and "--rows" in out.stdout


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


def _table(tmp_path, n=600):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["id"] = np.arange(n)
    frame["label"] = (X[:, 0] - X[:, 1] > 0).astype(int)
    path = tmp_path / "train.parquet"
    frame.to_parquet(path)
    frame.drop(columns="label").to_csv(tmp_path / "new.csv", index=False)
    return frame, path


@pytest.mark.parametrize(
    "estimator",
    ["sklearn.linear_model.LogisticRegression", "dasklearn.linear_model.LogisticRegression"],
)
def test_fit_then_predict(cluster_client, tmp_path, estimator):
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    frame, path = _table(tmp_path)
    address = cluster_client.scheduler.address
    model_path = tmp_path / "model.joblib"
    common = ["--scheduler", address, "--no-progress"]
    main(
        ["fit", estimator, str(path), "--target", "label", "--features", "a", "b", "c"]
        + ["--param", "C=0.5", "--output", str(model_path), *common]
    )
    out = tmp_path / "pred.parquet"
    main(
        ["predict", str(model_path), str(tmp_path / "new.csv"), "--output", str(out)]
        + ["--keep", "id", *common]
    )
    written = pd.read_parquet(out).sort_values("id")
    expected = LogisticRegression(C=0.5).fit(frame[["a", "b", "c"]], frame.label)
    assert list(written.id) == list(range(len(frame)))
    agreement = (written["predict"].to_numpy() == expected.predict(frame[["a", "b", "c"]])).mean()
    assert agreement > 0.99


def test_predict_refuses_a_file_it_did_not_write(tmp_path, cluster_client):
    import joblib

    bogus = tmp_path / "bogus.joblib"
    joblib.dump({"model": None}, bogus)
    _, path = _table(tmp_path, n=50)
    with pytest.raises(ValueError, match="not a model file written by 'dasklearn fit'"):
        main(
            ["predict", str(bogus), str(path), "--output", str(tmp_path / "o.parquet")]
            + ["--scheduler", cluster_client.scheduler.address]
        )


def test_fit_names_missing_columns(tmp_path, cluster_client):
    _, path = _table(tmp_path, n=50)
    with pytest.raises(ValueError, match=r"Columns \['nope'\] are not in"):
        main(
            ["fit", "sklearn.svm.SVC", str(path), "--target", "nope", "--output", "x"]
            + ["--scheduler", cluster_client.scheduler.address]
        )
    with pytest.raises(ValueError, match="Cannot import estimator"):
        main(
            ["fit", "sklearn.svm.Nope", str(path), "--target", "label", "--output", "x"]
            + ["--scheduler", cluster_client.scheduler.address]
        )
