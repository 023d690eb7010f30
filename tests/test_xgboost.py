"""dasklearn.xgboost on the shared LocalCluster (2 worker processes x 1 thread).

Held-out accuracy must match a single-machine ``xgboost.XGBClassifier`` within 0.01, on every
input kind; predictions come back aligned with the input; bad input fails before training.
"""

from __future__ import annotations

import pickle

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import r2_score

xgboost = pytest.importorskip("xgboost", reason="xgboost is not installed (extra 'xgboost')")
dxgb = pytest.importorskip("dasklearn.xgboost")

PARAMS = dict(n_estimators=40, max_depth=4, learning_rate=0.3, tree_method="hist")


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
    local = xgboost.XGBClassifier(n_jobs=1, **PARAMS).fit(Xtr, ytr)
    expected = (local.predict(Xte) == yte).mean()

    X, y = as_kind(input_kind, Xtr, ytr, chunks=400)
    Xt = as_kind(input_kind, Xte, chunks=1000)
    model = dxgb.XGBClassifier(**PARAMS).fit(X, y)
    pred = model.predict(Xt)
    proba = model.predict_proba(Xt)

    if input_kind in ("numpy", "pandas"):
        assert isinstance(pred, np.ndarray) and isinstance(proba, np.ndarray)
    elif input_kind == "dask_array":
        assert isinstance(pred, da.Array) and pred.chunks == (Xt.chunks[0],)
        assert proba.chunks == (Xt.chunks[0], (2,))
    else:
        assert isinstance(pred, dd.Series) and isinstance(proba, dd.DataFrame)
        assert pred.divisions == Xt.divisions
        pd.testing.assert_index_equal(pred.compute().index, Xt.compute().index)
    accuracy = (_to_numpy(pred) == yte).mean()
    assert abs(accuracy - expected) <= 0.01, (accuracy, expected)
    np.testing.assert_allclose(_to_numpy(proba).sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(model.classes_, [0, 1])
    assert model.n_features_in_ == 10


@pytest.mark.timeout(120)
def test_string_labels_multiclass_and_pickle(client):
    X, y = make_classification(
        n_samples=1500, n_features=8, n_informative=5, n_classes=3, random_state=1
    )
    labels = np.array(["cat", "dog", "emu"])[y]
    Xd, yd = da.from_array(X, chunks=300), da.from_array(labels, chunks=300)
    model = dxgb.XGBClassifier(n_estimators=20, max_depth=3).fit(Xd, yd)
    np.testing.assert_array_equal(model.classes_, ["cat", "dog", "emu"])
    pred = model.predict(X[:200])
    assert pred.dtype.kind == "U" and set(pred) <= {"cat", "dog", "emu"}
    assert (pred == labels[:200]).mean() > 0.8
    proba = model.predict_proba(Xd).compute()
    assert proba.shape == (1500, 3)
    np.testing.assert_array_equal(model.classes_[proba.argmax(axis=1)], model.predict(Xd).compute())

    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X[:50]), pred[:50])
    assert clone(model).get_params()["n_estimators"] == 20


@pytest.mark.timeout(120)
def test_regressor_matches_single_machine(client):
    X, y = make_regression(n_samples=2000, n_features=8, noise=5.0, random_state=2)
    local = xgboost.XGBRegressor(n_jobs=1, **PARAMS).fit(X[:1500], y[:1500])
    model = dxgb.XGBRegressor(**PARAMS).fit(
        da.from_array(X[:1500], chunks=300), da.from_array(y[:1500], chunks=300)
    )
    r2_local = r2_score(y[1500:], local.predict(X[1500:]))
    r2 = r2_score(y[1500:], model.predict(da.from_array(X[1500:], chunks=250)).compute())
    assert abs(r2 - r2_local) < 0.02, (r2, r2_local)


@pytest.mark.timeout(120)
def test_categorical_columns_with_unknown_categories(client):
    rng = np.random.default_rng(3)
    n = 2400
    color = rng.choice(["red", "green", "blue", "gold"], n)
    x = rng.normal(size=n)
    y = ((color == "gold") | ((color == "red") & (x > 0))).astype(int)
    frame = pd.DataFrame({"color": color, "x": x, "y": y})
    # each partition categorises its own values: unknown, partition-dependent categories
    ddf = dd.from_pandas(frame, npartitions=4, sort=False)
    ddf = ddf.assign(color=ddf["color"].astype("category"))
    assert not ddf["color"].cat.known
    model = dxgb.XGBClassifier(n_estimators=20, max_depth=3, enable_categorical=True)
    model.fit(ddf[["color", "x"]], ddf["y"])

    test = pd.DataFrame(
        {"color": pd.Categorical(["gold", "red", "red", "green"]), "x": [0.0, 1, -1, 1]}
    )
    np.testing.assert_array_equal(model.predict(test), [1, 1, 0, 0])
    local = xgboost.XGBClassifier(n_estimators=20, max_depth=3, enable_categorical=True, n_jobs=1)
    local.fit(frame[["color", "x"]].astype({"color": "category"}), y)
    acc = (_to_numpy(model.predict(ddf[["color", "x"]])) == y).mean()
    acc_local = (local.predict(frame[["color", "x"]].astype({"color": "category"})) == y).mean()
    assert abs(acc - acc_local) <= 0.01


@pytest.mark.timeout(120)
def test_early_stopping_on_eval_set(client, data):
    Xtr, ytr, Xte, yte = data
    Xd, yd = da.from_array(Xtr, chunks=500), da.from_array(ytr, chunks=500)
    Xv, yv = da.from_array(Xte, chunks=500), da.from_array(yte, chunks=500)
    model = dxgb.XGBClassifier(
        n_estimators=300, max_depth=6, learning_rate=0.5, early_stopping_rounds=5
    ).fit(Xd, yd, eval_set=[(Xv, yv)])
    assert model.best_iteration < 299
    assert "validation_0" in model.evals_result()
    booster = model.get_booster()
    best = booster.inplace_predict(Xte, iteration_range=(0, model.best_iteration + 1))
    np.testing.assert_allclose(model.predict_proba(Xte)[:, 1], best, rtol=1e-6)


@pytest.mark.timeout(120)
def test_train_and_predict_functions(client, data):
    Xtr, ytr, Xte, yte = data
    frame = pd.DataFrame(Xtr, columns=[f"f{i}" for i in range(10)])
    frame.index = frame.index * 3 + 7  # an index that is not 0..n-1
    ddf = dd.from_pandas(frame, npartitions=5)
    y = dd.from_pandas(pd.Series(ytr, index=frame.index), npartitions=5)
    history: dict = {}
    booster = dxgb.train(
        client,
        {"objective": "binary:logistic", "max_depth": 4, "eta": 0.3, "eval_metric": "logloss"},
        ddf,
        y,
        num_boost_round=30,
        evals=[(ddf, y, "train")],
        evals_result=history,
    )
    assert isinstance(booster, xgboost.Booster) and booster.num_boosted_rounds() == 30
    losses = history["train"]["logloss"]
    assert len(losses) == 30 and losses[-1] < losses[0]

    out = dxgb.predict(client, booster, ddf)
    assert isinstance(out, dd.Series) and out.divisions == ddf.divisions
    got = out.compute()
    pd.testing.assert_index_equal(got.index, frame.index)
    np.testing.assert_allclose(got.to_numpy(), booster.inplace_predict(frame), rtol=1e-6)
    arr = dxgb.predict(client, booster, da.from_array(Xte, chunks=(1500, 10)))
    assert arr.chunks == ((1500, 1500, 1000),)
    accuracy = ((arr.compute() > 0.5) == yte).mean()
    assert accuracy > 0.85
    margin = dxgb.predict(None, booster, Xte[:5], output_margin=True)
    np.testing.assert_allclose(
        1 / (1 + np.exp(-margin)), booster.inplace_predict(Xte[:5]), rtol=1e-5
    )


@pytest.mark.timeout(120)
def test_ranker(client):
    rng = np.random.default_rng(4)
    n, n_queries = 1200, 60
    qid = np.sort(rng.integers(0, n_queries, n))
    X = rng.normal(size=(n, 5))
    relevance = np.clip((X[:, 0] * 2 + rng.normal(scale=0.3, size=n)).round(), 0, 4)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    ddf = dd.from_pandas(frame, npartitions=4)
    model = dxgb.XGBRanker(n_estimators=20, max_depth=3).fit(
        ddf,
        dd.from_pandas(pd.Series(relevance), npartitions=4),
        qid=dd.from_pandas(pd.Series(qid), npartitions=4),
    )
    scores = model.predict(frame)
    assert scores.shape == (n,)
    assert np.corrcoef(scores, X[:, 0])[0, 1] > 0.8


@pytest.mark.timeout(120)
def test_unknown_chunk_sizes_are_resolved(client, data):
    Xtr, ytr, _, _ = data
    frame = pd.DataFrame(Xtr)
    frame["y"] = ytr
    ddf = dd.from_pandas(frame, npartitions=4)
    X = ddf.drop(columns="y").to_dask_array()  # chunks unknown (nan)
    y = ddf["y"].to_dask_array()
    assert np.isnan(X.shape[0])
    model = dxgb.XGBClassifier(n_estimators=10).fit(X, y)
    pred = model.predict(X)
    assert np.isnan(pred.shape[0])  # aligned with X: still unknown, computed on demand
    assert (pred.compute() == ytr).mean() > 0.85


@pytest.mark.timeout(60)
def test_bad_input_fails_before_training(client, data):
    Xtr, ytr, _, _ = data
    X = da.from_array(Xtr, chunks=500)
    with pytest.raises(ValueError, match="do not line up"):
        dxgb.XGBClassifier(n_estimators=5).fit(
            X, da.from_array(ytr, chunks=((400, 600, 500, 500),))
        )
    with pytest.raises(ValueError, match="different numbers of partitions"):
        dxgb.XGBClassifier(n_estimators=5).fit(
            dd.from_pandas(pd.DataFrame(Xtr), npartitions=4),
            dd.from_pandas(pd.Series(ytr), npartitions=3),
        )
    # same number of partitions, different rows in each: found from the persisted parts
    Xu = dd.from_pandas(pd.DataFrame(Xtr), npartitions=2).to_dask_array()
    yu = da.concatenate([da.from_array(ytr[:600]), da.from_array(ytr[600:])])
    with pytest.raises(ValueError, match="partition 0 has"):
        dxgb.XGBClassifier(n_estimators=5).fit(Xu, yu)
    with pytest.raises(ValueError, match="neither numeric nor categorical"):
        dxgb.XGBClassifier(n_estimators=5).fit(pd.DataFrame({"a": ["x"] * len(ytr), "b": 1.0}), ytr)
    with pytest.raises(ValueError, match="at least 2 classes"):
        dxgb.XGBClassifier(n_estimators=5).fit(Xtr, np.zeros(len(Xtr)))
    with pytest.raises(ValueError, match="X has 2000 rows but y has 10"):
        dxgb.XGBClassifier(n_estimators=5).fit(Xtr, ytr[:10])
    model = dxgb.XGBClassifier(n_estimators=5).fit(Xtr[:200], ytr[:200])
    with pytest.raises(ValueError, match="X has 3 features"):
        model.predict(Xtr[:, :3])


def test_no_client_is_a_clear_error(data):
    Xtr, ytr, _, _ = data
    from distributed import default_client

    try:
        default_client()
        pytest.skip("a default client is active in this session")
    except ValueError:
        pass
    with pytest.raises(ValueError, match="needs a distributed.Client"):
        dxgb.XGBClassifier(n_estimators=5).fit(Xtr, ytr)


def test_missing_framework_names_the_extra():
    import subprocess
    import sys

    code = "import sys; sys.modules['xgboost'] = None; import dasklearn.xgboost"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode != 0
    assert "pip install 'dasklearn[xgboost]'" in out.stderr and "needs XGBoost" in out.stderr


def test_nan_in_y_is_refused_before_training(client):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 4)), rng.normal(size=200)
    y[7] = np.nan
    with pytest.raises(ValueError, match="y of the training data contains NaN"):
        dxgb.XGBRegressor(n_estimators=3).fit(
            da.from_array(X, chunks=50), da.from_array(y, chunks=50)
        )
