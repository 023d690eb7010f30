"""scikit-learn Pipelines made of dasklearn estimators (issue 10, item 4).

``Categorizer -> DummyEncoder or OneHotEncoder -> StandardScaler -> PCA -> LogisticRegression``
on a table of numeric, categorical and string columns with a binary target, against the same
pipeline of scikit-learn classes fitted in memory on the same rows:

* a small fast test on the input kinds where the steps make sense (pandas and dask dataframes:
  ``Categorizer`` and ``DummyEncoder`` read dataframes only; NumPy and dask arrays of numeric
  codes without those two steps), on threads and on the shared LocalCluster;
* slow tests on a parquet dataset four times a worker's memory limit: the pipeline streams it
  (worker peak memory under the limit, nothing spilled), predicts as scikit-learn does, and
  only per-pass summaries leave the workers (no partition moves between them).

OneHotEncoder encodes every column it is given (scikit-learn's), so the pipeline gives it the
categorical columns through dasklearn's ``make_column_transformer`` (the others passed through);
DummyEncoder finds the categorical columns itself.

Agreement: predicted probabilities within ``PROBA_ATOL`` of scikit-learn's, and the same labels
wherever scikit-learn's probability is further than that from 0.5 (scikit-learn's solver run
to ``tol=1e-10``, ours with its defaults; measured: 1.3e-8 on 2,000 rows, 1.9e-7 on 150,000
rows, every label the same, with either encoder).
"""

from __future__ import annotations

import sys
from unittest import mock

import cloudpickle
import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import Client
from distributed.diagnostics.plugin import WorkerPlugin
from sklearn import compose as sk_compose
from sklearn import decomposition as sk_decomposition
from sklearn import linear_model as sk_linear_model
from sklearn import preprocessing as sk_preprocessing
from sklearn.pipeline import Pipeline, make_pipeline

from dasklearn import _blockwise
from dasklearn._client import local_cluster
from dasklearn.compose import make_column_transformer
from dasklearn.datasets import make_mixed_df
from dasklearn.decomposition import PCA
from dasklearn.linear_model import LogisticRegression
from dasklearn.preprocessing import Categorizer, DummyEncoder, OneHotEncoder, StandardScaler

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/

CATEGORICAL = ["region", "plan"]  # a categorical and a string column of make_mixed_df
N_COMPONENTS = 5
#: ours (LogisticRegression's defaults) against scikit-learn's lbfgs run to tol=1e-10
PROBA_ATOL = 1e-6


def _table(n_samples: int, chunks: int, random_state: int) -> tuple[dd.DataFrame, dd.Series]:
    """Float ``x0..x4``, int ``visits``, categorical ``region``, string ``plan``; binary y."""
    X, y = make_mixed_df(n_samples, chunks=chunks, random_state=random_state)
    return X.drop(columns="signup"), y


def _ours(encoder: str) -> Pipeline:
    if encoder == "dummy":
        encode = DummyEncoder()
    else:
        encode = make_column_transformer(
            (OneHotEncoder(sparse_output=False), CATEGORICAL), remainder="passthrough"
        )
    return make_pipeline(
        Categorizer(),
        encode,
        StandardScaler(),
        PCA(n_components=N_COMPONENTS),
        LogisticRegression(),
    )


def _ours_on_codes(categorical: list[int]) -> Pipeline:
    """The pipeline for arrays of numbers: the categorical columns are integer codes."""
    return make_pipeline(
        make_column_transformer(
            (OneHotEncoder(sparse_output=False), categorical), remainder="passthrough"
        ),
        StandardScaler(),
        PCA(n_components=N_COMPONENTS),
        LogisticRegression(),
    )


def _scikit_learn(categorical: list) -> Pipeline:
    return make_pipeline(
        sk_compose.make_column_transformer(
            (sk_preprocessing.OneHotEncoder(sparse_output=False), categorical),
            remainder="passthrough",
        ),
        sk_preprocessing.StandardScaler(),
        sk_decomposition.PCA(n_components=N_COMPONENTS),
        sk_linear_model.LogisticRegression(tol=1e-10, max_iter=10_000),
    )


def _assert_same_predictions(proba: np.ndarray, labels: np.ndarray, reference: Pipeline, X):
    expected = reference.predict_proba(X)
    np.testing.assert_allclose(proba, expected, atol=PROBA_ATOL)
    decided = np.abs(expected[:, 1] - 0.5) > PROBA_ATOL
    np.testing.assert_array_equal(labels[decided], reference.predict(X)[decided])


# --------------------------------------------------------------------------------------------
# small and fast: the input kinds
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def table():
    X, y = _table(2_000, chunks=500, random_state=0)
    Xp, yp = dask.compute(X, y)
    return X, y, Xp, yp


_ENCODERS = ["onehot", "dummy"]
#: threads, and the shared 2-worker LocalCluster (slow: its first fit compiles the kernels in
#: the worker processes, and each pass costs a round trip)
_WHERE = ["threads", pytest.param("cluster", marks=pytest.mark.slow)]


@pytest.fixture
def where(request):
    if request.param == "threads":
        with dask.config.set(scheduler="threads"):
            yield request.param
    else:
        request.getfixturevalue("client")
        yield request.param


@pytest.mark.parametrize("encoder", _ENCODERS)
def test_pipeline_on_pandas_matches_scikit_learn(table, encoder):
    _, _, Xp, yp = table
    pipe = _ours(encoder).fit(Xp, yp)
    proba, labels = pipe.predict_proba(Xp), pipe.predict(Xp)
    assert isinstance(proba, np.ndarray) and isinstance(labels, np.ndarray)
    _assert_same_predictions(proba, labels, _scikit_learn(CATEGORICAL).fit(Xp, yp), Xp)


@pytest.mark.parametrize("where", _WHERE, indirect=True)
@pytest.mark.parametrize("encoder", _ENCODERS)
def test_pipeline_on_dask_dataframe_matches_scikit_learn(table, encoder, where):
    X, y, Xp, yp = table
    pipe = _ours(encoder).fit(X, y)
    # every step keeps the dask DataFrame (lazy, X's partitions): no array mid-way
    Xt = X
    for _, step in pipe.steps[:-1]:
        Xt = step.transform(Xt)
        assert isinstance(Xt, dd.DataFrame) and Xt.npartitions == X.npartitions
    assert list(Xt.columns) == [f"pca{i}" for i in range(N_COMPONENTS)]
    proba, labels = pipe.predict_proba(X), pipe.predict(X)
    assert isinstance(proba, dd.DataFrame) and isinstance(labels, dd.Series)
    assert list(proba.columns) == [0, 1] and labels.npartitions == X.npartitions
    proba, labels = dask.compute(proba, labels)
    pd.testing.assert_index_equal(labels.index, Xp.index)
    _assert_same_predictions(
        proba.to_numpy(), labels.to_numpy(), _scikit_learn(CATEGORICAL).fit(Xp, yp), Xp
    )


def _codes(Xp: pd.DataFrame) -> np.ndarray:
    """The table as one float array: numeric columns, then the categories' integer codes."""
    numeric = Xp.drop(columns=CATEGORICAL).to_numpy(dtype=np.float64)
    codes = [Xp[c].astype("category").cat.codes.to_numpy(dtype=np.float64) for c in CATEGORICAL]
    return np.column_stack([numeric, *codes])


@pytest.mark.parametrize("where", _WHERE, indirect=True)
@pytest.mark.parametrize("kind", ["numpy", "dask_array"])
def test_pipeline_on_arrays_of_codes_matches_scikit_learn(table, kind, where):
    _, _, Xp, yp = table
    Xn, yn = _codes(Xp), yp.to_numpy()
    categorical = [Xn.shape[1] - 2, Xn.shape[1] - 1]
    X, y = (Xn, yn) if kind == "numpy" else (da.from_array(Xn, 500), da.from_array(yn, 500))
    pipe = _ours_on_codes(categorical).fit(X, y)
    proba, labels = pipe.predict_proba(X), pipe.predict(X)
    if kind == "dask_array":
        assert isinstance(labels, da.Array) and labels.chunks == y.chunks
        proba, labels = dask.compute(proba, labels)
    _assert_same_predictions(proba, labels, _scikit_learn(categorical).fit(Xn, yn), Xn)


# --------------------------------------------------------------------------------------------
# larger than the cluster's memory, streamed from parquet
# --------------------------------------------------------------------------------------------


class PeakMemory(WorkerPlugin):
    """Records the most managed memory (bytes of task results held) a worker ever had (as in
    tests/cluster/test_kmeans_cluster.py), and the bytes it fetched from other workers."""

    name = "peak-memory"

    def setup(self, worker):
        self.worker = worker
        self.peak = 0
        self.fetched = 0

    def transition(self, key, start, finish, **kwargs):
        self.peak = max(self.peak, self.worker.state.nbytes)
        if start == "flight" and finish == "memory":
            self.fetched += self.worker.state.tasks[key].nbytes or 0


def _worker_report(dask_worker):
    """(peak managed memory, bytes spilled to disk, bytes sent out: to peers and the client,
    bytes fetched from peers)."""
    spilled = getattr(dask_worker.data, "spilled_total", None)
    plugin = dask_worker.plugins["peak-memory"]
    return (
        plugin.peak,
        0 if spilled is None else spilled.memory,
        dask_worker.transfer_outgoing_bytes_total,
        plugin.fetched,
    )


class _CountPartials:
    """Counts the partials that passes fetch to the client (one per block task of a pass)."""

    def __init__(self):
        self.n = 0
        self._original = _blockwise.compute_reductions

    def __call__(self, client, reductions):
        self.n += sum(len(r.__dask_keys__()) for r in reductions)
        return self._original(client, reductions)


def _stream_and_predict(path: str, encoder: str, limit: int):
    """Fit the pipeline on the parquet dataset and predict it, on 2 workers of ``limit`` bytes;
    (fitted pipeline, probabilities, labels, what the workers sent during the fit: (bytes in all,
    bytes between workers, partials fetched by the client), each worker's report at the end)."""
    memory = {
        # the limit applies to managed memory (task results held), as in the KMeans test: a
        # worker process needs ~150 MB to run, so the process-memory thresholds are off
        "distributed.worker.memory.target": 0.9,
        "distributed.worker.memory.spill": False,
        "distributed.worker.memory.pause": False,
        "distributed.worker.memory.terminate": False,
    }
    with (
        dask.config.set(memory),
        local_cluster(n_workers=2, threads_per_worker=1, memory_limit=limit, dashboard=False) as c,
        Client(c) as client,
    ):
        client.register_plugin(PeakMemory())
        frame = dd.read_parquet(path)
        X, y = frame.drop(columns="target"), frame["target"]
        partials = _CountPartials()
        with mock.patch.object(_blockwise, "compute_reductions", partials):
            pipe = _ours(encoder).fit(X, y)
        fit_reports = client.run(_worker_report).values()
        sent_by_fit = (
            sum(r[2] for r in fit_reports),
            sum(r[3] for r in fit_reports),
            partials.n,
        )
        # gathered partition by partition (a dask Series' own .compute() concatenates every
        # partition on one worker first)
        proba = np.concatenate(dask.compute(*pipe.predict_proba(X).to_delayed()))
        labels = np.concatenate(dask.compute(*pipe.predict(X).to_delayed()))
        reports = client.run(_worker_report)
    return pipe, proba, labels, sent_by_fit, reports


@pytest.fixture(scope="module")
def parquet_table(tmp_path_factory):
    """A parquet dataset, its pandas copy, its in-memory size and the per-worker memory limit
    (a quarter of that size: the two workers together hold half of the table)."""
    X, y = _table(150_000, chunks=2_500, random_state=1)
    path = str(tmp_path_factory.mktemp("pipelines") / "table")
    with dask.config.set(scheduler="threads"):
        X.assign(target=y).to_parquet(path, write_index=False)
        table = dd.read_parquet(path).compute()
    Xp, yp = table.drop(columns="target"), table["target"]
    data_bytes = int(Xp.memory_usage(deep=True).sum())
    return path, Xp, yp, data_bytes, data_bytes // 4


@pytest.fixture(scope="module", params=_ENCODERS)
def streamed(request, parquet_table):
    path, _, _, _, limit = parquet_table
    return request.param, _stream_and_predict(path, request.param, limit)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_pipeline_streams_parquet_larger_than_cluster_memory(parquet_table, streamed):
    _, Xp, yp, _, limit = parquet_table
    _, (pipe, proba, labels, _, reports) = streamed
    for peak, spilled, *_ in reports.values():
        assert peak < 0.9 * limit, (peak, limit)  # a few blocks at a time, never the table
        assert spilled == 0
    # the categories were learned in one pass, LogisticRegression read its (streamed) input
    # once per pass
    assert pipe[0].n_passes_ == 1 and pipe[-1].n_passes_ >= 2
    _assert_same_predictions(proba, labels, _scikit_learn(CATEGORICAL).fit(Xp, yp), Xp)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_streamed_fit_sends_only_summaries(parquet_table, streamed):
    """No partition moves between workers: a partition's chain of transforms and the pass
    that reads it run as one task. What reaches the client is one summary per block and pass:
    a few KiB at most, against 170 KB a partition."""
    *_, data_bytes, _ = parquet_table
    _, (_, _, _, (sent, between_workers, n_partials), _) = streamed
    assert between_workers < 0.01 * data_bytes, (between_workers, data_bytes)
    to_client = sent - between_workers
    assert to_client < 4096 * n_partials, (to_client, n_partials)
