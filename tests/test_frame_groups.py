"""ParallelPostFit over a dask DataFrame persisted on the cluster (``dasklearn._frame_groups``):
a worker's partitions in few calls on that worker, with its kept copy of the model, and the
output in X's partitions with X's index."""

from __future__ import annotations

import gc
import pickle

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from dask.dataframe.dask_expr._collection import new_collection
from dask.dataframe.dask_expr._reductions import Len
from distributed import wait
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder
from support import BigModel, released

from dasklearn._frame_groups import frame_groups
from dasklearn.wrappers import ParallelPostFit


@pytest.fixture
def frame():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(2000, 4)), columns=list("abcd"))
    X.index = X.index * 3 + 7  # not the default index: it must come through
    y = (X["a"] + rng.normal(size=2000) > 0).astype(int)
    return X, y


def _groups(collection):
    return [k for k in dict(collection.__dask_graph__()) if str(k[0]).endswith("-group")]


def test_a_workers_partitions_share_a_call_and_keep_the_index(client, frame):
    X, y = frame
    model = LogisticRegression().fit(X, y)
    Xp = client.persist(dd.from_pandas(X, npartitions=10))
    wait(Xp)
    groups = frame_groups(Xp)
    assert sorted(i for group in groups.blocks for i in group) == list(range(10))
    assert len(groups.blocks) == 2 and sorted(groups.workers) == sorted(client.nthreads())
    wrapper = ParallelPostFit(model)
    proba, labels = wrapper.predict_proba(Xp), wrapper.predict(Xp)
    assert len(_groups(proba)) == 2
    assert proba.npartitions == Xp.npartitions and proba.divisions == Xp.divisions
    pd.testing.assert_frame_equal(
        proba.compute(),
        pd.DataFrame(model.predict_proba(X), index=X.index, columns=proba.columns),
    )
    pd.testing.assert_series_equal(
        labels.compute(), pd.Series(model.predict(X), index=X.index, name=labels.name)
    )
    # aligned with X: a column of X's own partitions
    joined = Xp.assign(label=labels).compute()
    np.testing.assert_array_equal(joined["label"].to_numpy(), model.predict(X))


def test_one_partition_is_shared_by_the_workers(client):
    """One persisted partition on 2 workers: a call on each for half its rows, the output one
    partition with X's index."""
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(4000, 40)), columns=[f"x{i}" for i in range(40)])
    X.index = X.index[::-1]  # a descending index must come through as it is
    y = (X["x0"] > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    Xp = client.persist(dd.from_pandas(X, npartitions=1, sort=False))
    wait(Xp)
    groups = frame_groups(Xp)
    assert groups.pieces == [(0, 0, 2), (0, 1, 2)]
    assert sorted(groups.workers) == sorted(client.nthreads())
    out = ParallelPostFit(model).predict_proba(Xp)
    assert len(_groups(out)) == 2 and out.npartitions == 1
    expected = pd.DataFrame(model.predict_proba(X), index=X.index, columns=out.columns)
    pd.testing.assert_frame_equal(out.compute(), expected)


def test_the_length_of_the_output_does_not_run_the_model(client, frame):
    X, y = frame
    Xp = client.persist(dd.from_pandas(X, npartitions=4))
    wait(Xp)
    out = ParallelPostFit(LogisticRegression().fit(X, y)).predict(Xp)
    assert len(_groups(out)) > 0
    assert _groups(new_collection(Len(out.expr)).optimize()) == []
    assert len(out) == len(X)


def test_a_second_call_sends_no_model_and_the_copies_go_with_it(client, frame):
    X, y = frame
    Xp = client.persist(dd.from_pandas(X, npartitions=6))
    wait(Xp)
    model = BigModel().fit(X.to_numpy()[3:], y.to_numpy()[3:])  # no other test's model
    first = ParallelPostFit(model).predict_proba(Xp)
    copies = {k for k in dict(first.__dask_graph__()) if str(k[0]).endswith("-on")}
    assert {k[1] for k in copies} == set(client.nthreads())
    expected = model.model_.predict_proba(X.to_numpy())
    np.testing.assert_allclose(first.compute().to_numpy(), expected, rtol=1e-12)
    second = ParallelPostFit(model).predict_proba(Xp)
    graph = dict(second.__dask_graph__())
    assert copies <= graph.keys()
    assert len(pickle.dumps(graph)) < len(pickle.dumps(model.ballast_))
    np.testing.assert_allclose(second.compute().to_numpy(), expected, rtol=1e-12)
    del first, second, graph, model
    gc.collect()
    assert released(client, copies)


def _categorical_only(X):
    if not isinstance(X["color"].dtype, pd.CategoricalDtype):
        raise TypeError(f"color arrived as {X['color'].dtype}")
    return X


def test_categories_that_differ_between_partitions_stay_categories(client):
    """A worker's partitions joined for one call keep a categorical column categorical (each
    partition has categories of its own), as the pipeline was fitted on."""
    rng = np.random.default_rng(4)
    colors = np.array(["red", "green", "blue", "cyan"])
    X = pd.DataFrame({"x": rng.normal(size=400), "color": colors[np.arange(400) // 100]})
    y = (X["x"] > 0).astype(int) ^ (X["color"] == "blue")
    parts = [X.iloc[i * 100 : (i + 1) * 100].astype({"color": "category"}) for i in range(4)]
    meta = parts[0].iloc[:0].astype({"color": pd.CategoricalDtype()})  # categories unknown
    Xd = dd.from_delayed([dask.delayed(p) for p in parts], meta=meta, verify_meta=False)
    Xd = client.persist(Xd)
    wait(Xd)
    encode = make_column_transformer((OneHotEncoder(), ["color"]), remainder="passthrough")
    check = FunctionTransformer(_categorical_only)
    model = make_pipeline(check, encode, LogisticRegression())
    X = X.astype({"color": "category"})
    model.fit(X, y)
    out = ParallelPostFit(model).predict_proba(Xd)
    assert len(_groups(out)) == 2
    np.testing.assert_allclose(out.compute().to_numpy(), model.predict_proba(X), rtol=1e-12)


def test_a_lazy_frame_from_pandas_is_grouped_where_the_scheduler_places_it(client, frame):
    X, y = frame
    model = LogisticRegression().fit(X, y)
    lazy = dd.from_pandas(X, npartitions=4)
    groups = frame_groups(lazy)
    assert groups.blocks == [[0, 1], [2, 3]] and groups.workers == [None, None]
    out = ParallelPostFit(model).predict(lazy)
    assert len(_groups(out)) == 2
    assert not {k for k in dict(out.__dask_graph__()) if str(k[0]).endswith("-on")}
    np.testing.assert_array_equal(out.compute().to_numpy(), model.predict(X))


def test_a_lazy_frame_of_unknown_partitions_runs_partition_by_partition(client, frame):
    X, y = frame
    model = LogisticRegression().fit(X, y)
    parts = [dask.delayed(X.iloc[i * 500 : (i + 1) * 500]) for i in range(4)]
    lazy = dd.from_delayed(parts, meta=X[:0])
    out = ParallelPostFit(model).predict(lazy)
    assert frame_groups(lazy) is None and _groups(out) == []
    np.testing.assert_array_equal(out.compute().to_numpy(), model.predict(X))


# ---- without a cluster: a frame cut from pandas here, on dask's threads -----------------------


def test_on_threads_a_frame_from_pandas_shares_few_calls(frame):
    X, y = frame
    model = LogisticRegression().fit(X, y)
    Xd = dd.from_pandas(X, npartitions=10)
    with dask.config.set(scheduler="threads", num_workers=2):
        groups = frame_groups(Xd)
        assert groups.blocks == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
        assert groups.workers == [None, None]
        proba = ParallelPostFit(model).predict_proba(Xd)
        assert len(_groups(proba)) == 2
        assert proba.npartitions == Xd.npartitions and proba.divisions == Xd.divisions
        expected = pd.DataFrame(model.predict_proba(X), index=X.index, columns=proba.columns)
        pd.testing.assert_frame_equal(proba.compute(), expected)
        joined = Xd.assign(label=ParallelPostFit(model).predict(Xd)).compute()
    np.testing.assert_array_equal(joined["label"].to_numpy(), model.predict(X))


def test_on_threads_one_partition_is_cut_for_the_threads():
    rng = np.random.default_rng(6)
    X = pd.DataFrame(rng.normal(size=(4000, 40)), columns=[f"x{i}" for i in range(40)])
    X.index = X.index[::-1]
    model = LogisticRegression().fit(X, (X["x0"] > 0).astype(int))
    Xd = dd.from_pandas(X, npartitions=1, sort=False)
    with dask.config.set(scheduler="threads", num_workers=2):
        assert frame_groups(Xd).pieces == [(0, 0, 2), (0, 1, 2)]
        out = ParallelPostFit(model).predict_proba(Xd)
        assert len(_groups(out)) == 2 and out.npartitions == 1
        result = out.compute()
    expected = pd.DataFrame(model.predict_proba(X), index=X.index, columns=out.columns)
    pd.testing.assert_frame_equal(result, expected)


def test_on_threads_the_columns_a_model_reads_are_the_projections(frame):
    X, y = frame
    model = LogisticRegression().fit(X[["b", "d"]], y)
    Xd = dd.from_pandas(X, npartitions=6)[["b", "d"]]
    with dask.config.set(scheduler="threads", num_workers=2):
        out = ParallelPostFit(model).predict(Xd)
        assert len(_groups(out)) == 2
        np.testing.assert_array_equal(out.compute().to_numpy(), model.predict(X[["b", "d"]]))


def test_on_threads_frames_of_unknown_partitions_run_partition_by_partition(frame):
    """Partitions whose rows are not known here (a filter, a selection of partitions, frames
    from delayed pieces) are one call each, as map_partitions makes them."""
    X, y = frame
    model = LogisticRegression().fit(X, y)
    Xd = dd.from_pandas(X, npartitions=6)
    parts = [dask.delayed(X.iloc[i * 500 : (i + 1) * 500]) for i in range(4)]
    with dask.config.set(scheduler="threads", num_workers=2):
        for unknown in (Xd[Xd["a"] > 0], Xd.partitions[1:4], dd.from_delayed(parts, meta=X[:0])):
            assert frame_groups(unknown) is None
            out = ParallelPostFit(model).predict(unknown)
            assert _groups(out) == []
            rows = unknown.compute()
            np.testing.assert_array_equal(out.compute().to_numpy(), model.predict(rows))
        assert frame_groups(dd.from_pandas(X, npartitions=2)) is None  # one call a thread
