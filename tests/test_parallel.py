"""scikit-learn's joblib work on the LocalCluster's workers, with the data shipped once."""

from __future__ import annotations

import os
import pickle
import re

import numpy as np
import pytest
from distributed import get_task_stream
from distributed.diagnostics.plugin import SchedulerPlugin
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from dasklearn.parallel import on_cluster

BATCH = re.compile(r"^(?:mixed_)?batch_of_(\w+?)_(\d+)_calls-")


class _BatchRecorder(SchedulerPlugin):
    """On the scheduler: for every joblib batch task, its data dependencies and payload size."""

    name = "dasklearn-test-batches"

    def __init__(self, scheduler):
        self.scheduler = scheduler
        self.batches = {}

    def transition(self, key, start, finish, *args, **kwargs):
        if finish != "processing" or not isinstance(key, str) or not BATCH.match(key):
            return
        ts = self.scheduler.tasks[key]
        self.batches[key] = {
            "deps": sorted(str(d.key) for d in ts.dependencies),
            "payload": len(pickle.dumps(ts.run_spec)),
        }


@pytest.fixture
def recorder(client):
    scheduler = client.cluster.scheduler  # the LocalCluster's scheduler runs in this process
    plugin = _BatchRecorder(scheduler)
    scheduler.add_plugin(plugin)
    try:
        yield plugin
    finally:
        scheduler.remove_plugin(name=plugin.name)


@pytest.fixture(scope="module")
def data():
    return make_classification(400, 10, n_informative=5, random_state=0)


def _calls(records, func):
    """Total joblib calls of ``func`` in the recorded batch task names."""
    total = 0
    for record in records:
        match = BATCH.match(record["key"])
        if match and match.group(1).endswith(func):
            total += int(match.group(2))
    return total


def test_random_forest_trees_are_built_on_the_workers(client, recorder, data):
    X, y = data
    workers = set(client.scheduler_info()["workers"])
    with get_task_stream(client) as stream, on_cluster(client, scatter=[X, y]):
        forest = RandomForestClassifier(n_estimators=200, n_jobs=-1, random_state=0).fit(X, y)
    # every one of the 200 trees was fitted inside a task on a worker of the cluster
    assert _calls(stream.data, "_parallel_build_trees") == 200
    ran_on = {record["worker"] for record in stream.data}
    assert ran_on and ran_on <= workers
    worker_pids = set(client.run(os.getpid).values())
    assert os.getpid() not in worker_pids
    # the training data went to the workers as shared keys, not inside each task
    deps = [set(b["deps"]) for b in recorder.batches.values()]
    assert deps and set.intersection(*deps)
    assert max(b["payload"] for b in recorder.batches.values()) < X.nbytes / 2
    # same trees as scikit-learn on one core
    local = RandomForestClassifier(n_estimators=200, n_jobs=1, random_state=0).fit(X, y)
    np.testing.assert_array_equal(forest.predict_proba(X), local.predict_proba(X))


def test_grid_search_uses_the_scattered_data(client, recorder, data):
    X, y = data
    grid = {"C": [0.01, 0.1, 1.0, 10.0]}
    with get_task_stream(client) as stream, on_cluster(client, scatter=[X, y]):
        # X and y, sent to the workers once; scatter names data by its hash, so this finds the
        # block's keys (other tests' keys may still be on the shared cluster)
        scattered = {future.key for future in client.scatter([X, y], hash=True)}
        assert scattered <= set(client.who_has())
        search = GridSearchCV(LogisticRegression(), grid, cv=3, n_jobs=-1).fit(X, y)
    assert _calls(stream.data, "_fit_and_score") == 4 * 3
    assert {r["worker"] for r in stream.data} <= set(client.scheduler_info()["workers"])
    assert recorder.batches
    for batch in recorder.batches.values():
        assert scattered <= set(batch["deps"])  # every task refers to the scattered X and y
        assert batch["payload"] < X.nbytes / 2  # and does not carry them
    local = GridSearchCV(LogisticRegression(), grid, cv=3, n_jobs=1).fit(X, y)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert search.best_params_ == local.best_params_


def test_on_cluster_needs_a_client():
    with pytest.raises(ValueError, match="needs a distributed Client"):
        with on_cluster():
            pass


def test_on_cluster_rejects_a_bare_array(client, data):
    with pytest.raises(TypeError, match="list or tuple"):
        with on_cluster(client, scatter=data[0]):
            pass


def test_on_cluster_takes_an_address_and_refuses_a_closed_client(client, data):
    X, y = data
    address = client.scheduler.address
    with on_cluster(address) as own:
        assert own is not client and own.scheduler.address == address
        RandomForestClassifier(n_estimators=4, n_jobs=-1, random_state=0).fit(X, y)
    assert own.status == "closed"  # the block's own client is closed after it
    with pytest.raises(ValueError, match="client is closed"):
        with on_cluster(own):
            pass
