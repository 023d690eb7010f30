"""dasklearn.lightgbm on the shared LocalCluster (2 worker processes x 1 thread).

LightGBM's workers talk over their own sockets (random free ports on 127.0.0.1). Held-out
accuracy must match a single-machine ``lightgbm.LGBMClassifier`` within 0.01.
"""

from __future__ import annotations

import pickle

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import r2_score

lightgbm = pytest.importorskip("lightgbm", reason="lightgbm is not installed (extra 'lightgbm')")
dlgb = pytest.importorskip("dasklearn.lightgbm")

PARAMS = dict(n_estimators=40, num_leaves=15, learning_rate=0.2, verbose=-1)


# every test has a time limit (tests that start jobs set their own, larger ones)
pytestmark = [pytest.mark.timeout(60), pytest.mark.slow]


@pytest.fixture(scope="module")
def data():
    # a large held-out set keeps the accuracy's sampling noise (~0.005) under the 0.01 bound
    X, y = make_classification(
        n_samples=6000, n_features=10, n_informative=6, random_state=0, flip_y=0.02
    )
    return X[:2000], y[:2000], X[2000:], y[2000:]


def _to_numpy(out):
    out = out.compute() if hasattr(out, "compute") else out
    return out.to_numpy() if isinstance(out, pd.Series | pd.DataFrame) else np.asarray(out)


@pytest.mark.timeout(120)
def test_classifier_matches_single_machine(client, input_kind, as_kind, data):
    Xtr, ytr, Xte, yte = data
    local = lightgbm.LGBMClassifier(n_jobs=1, **PARAMS).fit(Xtr, ytr)
    expected = (local.predict(Xte) == yte).mean()

    X, y = as_kind(input_kind, Xtr, ytr, chunks=400)
    Xt = as_kind(input_kind, Xte, chunks=1000)
    model = dlgb.LGBMClassifier(**PARAMS).fit(X, y)
    pred = model.predict(Xt)
    proba = model.predict_proba(Xt)
    if input_kind in ("numpy", "pandas"):
        assert isinstance(pred, np.ndarray) and isinstance(proba, np.ndarray)
    elif input_kind == "dask_array":
        assert pred.chunks == (Xt.chunks[0],) and proba.chunks == (Xt.chunks[0], (2,))
    else:
        assert isinstance(pred, dd.Series) and pred.divisions == Xt.divisions
    accuracy = (_to_numpy(pred) == yte).mean()
    assert abs(accuracy - expected) <= 0.01, (accuracy, expected)
    np.testing.assert_allclose(_to_numpy(proba).sum(axis=1), 1.0)


@pytest.mark.timeout(120)
def test_string_labels_to_local_and_pickle(client):
    X, y = make_classification(
        n_samples=1500, n_features=8, n_informative=5, n_classes=3, random_state=1
    )
    labels = np.array(["cat", "dog", "emu"])[y]
    model = dlgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(
        da.from_array(X, chunks=300), da.from_array(labels, chunks=300)
    )
    np.testing.assert_array_equal(model.classes_, ["cat", "dog", "emu"])
    pred = model.predict(X[:300])
    assert (pred == labels[:300]).mean() > 0.8
    np.testing.assert_array_equal(model.to_local().predict(X[:300]), pred)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X[:50]), pred[:50])


@pytest.mark.timeout(120)
def test_regressor_and_predict_function(client):
    X, y = make_regression(n_samples=2000, n_features=8, noise=5.0, random_state=2)
    local = lightgbm.LGBMRegressor(n_jobs=1, **PARAMS).fit(X[:1500], y[:1500])
    frame = pd.DataFrame(X[:1500], columns=[f"f{i}" for i in range(8)])
    model = dlgb.LGBMRegressor(**PARAMS).fit(
        dd.from_pandas(frame, npartitions=4), dd.from_pandas(pd.Series(y[:1500]), npartitions=4)
    )
    test = dd.from_pandas(pd.DataFrame(X[1500:], columns=frame.columns), npartitions=2)
    out = dlgb.predict(None, model, test)
    assert isinstance(out, dd.Series) and out.divisions == test.divisions
    r2 = r2_score(y[1500:], out.compute())
    r2_local = r2_score(y[1500:], local.predict(X[1500:]))
    assert abs(r2 - r2_local) < 0.03, (r2, r2_local)


@pytest.mark.timeout(120)
def test_ranker(client):
    rng = np.random.default_rng(4)
    sizes = np.full(40, 25)  # 40 queries of 25 rows, 10 queries per partition
    n = sizes.sum()
    X = rng.normal(size=(n, 5))
    relevance = np.clip((X[:, 0] * 2 + rng.normal(scale=0.3, size=n)).round(), 0, 4)
    model = dlgb.LGBMRanker(n_estimators=20, verbose=-1).fit(
        da.from_array(X, chunks=250),
        da.from_array(relevance, chunks=250),
        group=da.from_array(sizes, chunks=10),
    )
    scores = model.predict(X)
    assert np.corrcoef(scores, X[:, 0])[0, 1] > 0.8


@pytest.mark.timeout(60)
def test_every_worker_needs_every_class(client):
    # class 0 lives on one worker and class 1 on the other: LightGBM would encode each
    # worker's labels on its own and train on nonsense; this must be refused up front
    X = np.random.default_rng(5).normal(size=(800, 3))
    y = np.repeat([0, 1], 400)
    w0, w1 = sorted(client.scheduler_info()["workers"])
    xs, ys = [], []
    for i in range(8):
        rows = slice(i * 100, (i + 1) * 100)
        where = [w0 if i < 4 else w1]
        xs.append(da.from_delayed(client.scatter(X[rows], workers=where), (100, 3), float))
        ys.append(da.from_delayed(client.scatter(y[rows], workers=where), (100,), int))
    with pytest.raises(ValueError, match="needs every class on every worker"):
        dlgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(da.concatenate(xs), da.concatenate(ys))


@pytest.mark.timeout(60)
def test_bad_input_fails_before_training(client, data):
    Xtr, ytr, _, _ = data
    with pytest.raises(ValueError, match="do not line up"):
        dlgb.LGBMClassifier(n_estimators=5).fit(
            da.from_array(Xtr, chunks=500), da.from_array(ytr, chunks=((400, 600, 500, 500),))
        )
    with pytest.raises(ValueError, match="different numbers of partitions"):
        dlgb.LGBMRegressor(n_estimators=5).fit(
            dd.from_pandas(pd.DataFrame(Xtr), npartitions=4),
            dd.from_pandas(pd.Series(ytr * 1.0), npartitions=3),
        )
    with pytest.raises(ValueError, match="needs group"):
        dlgb.LGBMRanker(n_estimators=5).fit(Xtr, ytr)
    model = dlgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(Xtr[:400], ytr[:400])
    with pytest.raises(ValueError, match="X has 3 features"):
        model.predict(Xtr[:, :3])


def test_missing_framework_names_the_extra():
    import subprocess
    import sys

    code = "import sys; sys.modules['lightgbm'] = None; import dasklearn.lightgbm"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode != 0
    assert "pip install 'dasklearn[lightgbm]'" in out.stderr and "needs LightGBM" in out.stderr


def test_nan_in_y_is_refused_before_training_and_the_cluster_stays_usable(client):
    X, y = make_regression(200, 4, random_state=0)
    bad = y.copy()
    bad[150] = np.nan  # in the last partition only: one rank would fail, the other wait
    dX, dy = da.from_array(X, chunks=50), da.from_array(bad, chunks=50)
    with pytest.raises(ValueError, match=r"y of the training data contains NaN .*partition 3"):
        dlgb.LGBMRegressor(n_estimators=5).fit(dX, dy)
    model = dlgb.LGBMRegressor(n_estimators=5).fit(dX, da.from_array(y, chunks=50))
    assert model.predict(dX).compute().shape == (200,)
