"""dasklearn.tensorflow: MultiWorkerMirroredStrategy jobs on the workers of a LocalCluster.

These tests start their own cluster (2 worker processes x 1 thread) for the module instead of
the shared ``client`` fixture: TensorFlow takes ~700 MB in each worker, and a process can host
only one TensorFlow cluster configuration for its lifetime (after a failed job, the workers must
be restarted), which the other areas' tests must not inherit. The failure test runs last.
"""

from __future__ import annotations

import importlib.util
import json
import os

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

# find_spec, not an import: TensorFlow (~700 MB) is only ever imported on the workers
if importlib.util.find_spec("tensorflow") is None:
    pytest.skip("TensorFlow is not installed (extra 'tensorflow')", allow_module_level=True)
dtf = pytest.importorskip("dasklearn.tensorflow")


# every test has a time limit (tests that start jobs set their own, larger ones)
pytestmark = [pytest.mark.timeout(60), pytest.mark.slow]


@pytest.fixture(scope="module")
def tf_client(two_workers):
    with two_workers("4GiB") as client:
        yield client


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(800, 4)).astype("float32")
    y = (X @ np.array([1.0, -2.0, 0.5, 3.0], dtype="float32")).astype("float32")
    return X, y


def fit_keras(X, y, epochs=8, fail_index=None):
    """Train a small Keras model with a custom loop under the current strategy."""
    import keras
    import tensorflow as tf

    strategy = tf.distribute.get_strategy()
    index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    keras.utils.set_random_seed(index)  # different seeds: the strategy must sync the weights
    model = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(1)])
    optimizer = keras.optimizers.SGD(0.1)
    data = tf.data.Dataset.from_tensor_slices((X, y[:, None])).batch(50)

    @tf.function
    def step(xb, yb):
        def one(xb, yb):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((model(xb, training=True) - yb) ** 2)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
            return loss

        return strategy.reduce("MEAN", strategy.run(one, args=(xb, yb)), axis=None)

    losses = []
    for epoch in range(epochs):
        if epoch == 2 and index == fail_index:
            raise ValueError(f"boom on worker {index}")
        losses.append(float(np.mean([step(xb, yb) for xb, yb in data])))
    return {
        "index": index,
        "replicas": strategy.num_replicas_in_sync,
        "rows": len(X),
        "losses": losses,
        "weights": [w.numpy() for w in model.weights],
    }


@pytest.mark.timeout(180)
def test_start_tensorflow_returns_both_specs(tf_client):
    tf_spec, dask_spec = dtf.start_tensorflow(tf_client, ps=1, worker=1)
    workers = sorted(tf_client.scheduler_info()["workers"])
    assert set(tf_spec) == set(dask_spec) == {"ps", "worker"}
    assert sorted(dask_spec["ps"] + dask_spec["worker"]) == workers
    for job in ("ps", "worker"):
        host, port = tf_spec[job][0].rsplit(":", 1)
        assert host == "127.0.0.1" and int(port) > 0

    def servers():
        from dasklearn import tensorflow as t

        return [(s["job"], s["index"], s["server"].target) for s in t._STATE.get("servers", [])]

    running = tf_client.run(servers)
    assert running[dask_spec["ps"][0]][0][:2] == ("ps", 0)
    assert running[dask_spec["worker"][0]][0][:2] == ("worker", 0)
    with pytest.raises(RuntimeError, match="already run a TensorFlow server"):
        dtf.start_tensorflow(tf_client, worker=2)
    with pytest.raises(ValueError, match="only 2 worker"):
        dtf.start_tensorflow(tf_client, ps=1, worker=2)


@pytest.mark.timeout(180)
def test_two_workers_train_one_keras_model(tf_client, regression):
    X, y = regression
    out = dtf.run(tf_client, fit_keras, da.from_array(X, chunks=100), da.from_array(y, chunks=100))
    assert [o["index"] for o in out] == [0, 1]
    assert {o["replicas"] for o in out} == {2}
    assert [o["rows"] for o in out] == [400, 400]
    for a, b in zip(out[0]["weights"], out[1]["weights"], strict=True):
        np.testing.assert_array_equal(a, b)
    for o in out:
        assert o["losses"][-1] < 0.1 * o["losses"][0]

    # the same workers again: the strategy is reused, dataframes work too
    frame = pd.DataFrame(X, columns=list("abcd")).assign(target=y)
    ddf = dd.from_pandas(frame, npartitions=4)
    again = dtf.run(tf_client, fit_keras, ddf[list("abcd")], y=ddf["target"], epochs=2)
    assert [o["rows"] for o in again] == [400, 400]


@pytest.mark.timeout(120)
def test_bad_input_is_refused_before_the_job(tf_client, regression):
    X, y = regression
    Xd = da.from_array(X, chunks=100)
    with pytest.raises(ValueError, match="only 2 worker"):
        dtf.run(tf_client, fit_keras, Xd, da.from_array(y, chunks=100), n_workers=3)
    with pytest.raises(ValueError, match="do not line up"):
        dtf.run(tf_client, fit_keras, Xd, da.from_array(y, chunks=((50, 150) + (100,) * 6,)))
    with pytest.raises(ValueError, match="every rank needs at least one"):
        dtf.run(tf_client, fit_keras, da.from_array(X), da.from_array(y))
    # these workers already form a 2-worker TensorFlow cluster: a 1-worker job cannot be set up
    with pytest.raises(RuntimeError, match="restart"):
        dtf.run(tf_client, fit_keras, X, y, n_workers=1)


@pytest.mark.timeout(120)
def test_failure_on_one_worker_stops_the_other_then_restart(tf_client, regression):
    X, y = regression
    Xd, yd = da.from_array(X, chunks=100), da.from_array(y, chunks=100)
    with pytest.raises(ValueError, match="boom on worker 1") as info:
        dtf.run(tf_client, fit_keras, Xd, yd, epochs=500, fail_index=1)
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert "rank 1" in notes and "had not stopped" not in notes and "restart" in notes
    # the aborted collectives are reported instead of hanging the next job
    with pytest.raises(RuntimeError, match="were aborted"):
        dtf.run(tf_client, fit_keras, Xd, yd, epochs=1)
    # restarting the workers gives a clean TensorFlow
    tf_client.restart_workers(list(tf_client.scheduler_info()["workers"]))
    out = dtf.run(tf_client, fit_keras, Xd, yd, epochs=2)
    assert len(out) == 2


def test_missing_framework_names_the_extra():
    import subprocess
    import sys

    code = (
        "import importlib.util as u; f = u.find_spec; "
        "u.find_spec = lambda n, *a: None if n == 'tensorflow' else f(n, *a); "
        "import dasklearn.tensorflow"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode != 0
    assert "pip install 'dasklearn[tensorflow]'" in out.stderr
