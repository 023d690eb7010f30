"""Several row blocks per call of a costly per-row function (``dasklearn._call_groups``): a
forest pays per call and tree, so ``ParallelPostFit`` runs a worker's small blocks in few calls
and cuts the result back into X's row chunks."""

from __future__ import annotations

import itertools
import time

import dask
import dask.array as da
import numpy as np
import pytest
from dask._task_spec import DataNode, convert_legacy_graph
from distributed import wait
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from support import BigModel, on_scheduler, released

from dasklearn._blockwise import share_once
from dasklearn._call_groups import (
    CALL_BYTES,
    CALL_MEMORY_SHARE,
    COPIES_UP_TO,
    KEPT_VALUES,
    CallGroups,
    _holders,
    _placing,
    _split,
    call_groups,
    map_groups,
    split_blocks,
)
from dasklearn.wrappers import ParallelPostFit

CALLS: list[int] = []


class CountedModel(ClassifierMixin, BaseEstimator):
    """A fitted logistic model that records the rows of every predict call (threads only)."""

    def __init__(self, model=None):
        self.model = model

    def fit(self, X, y):
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X):
        CALLS.append(len(X))
        return self.model_.predict_proba(X)


class SlowModel(CountedModel):
    """A fitted logistic model whose predict_proba takes half a second more (tasks that are
    still there when the test looks at the scheduler)."""

    def predict_proba(self, X):
        time.sleep(0.5 if len(X) > 2 else 0)  # not for the output's probe (two rows)
        return self.model_.predict_proba(X)


def _predict_proba(block, model):
    return model.predict_proba(block)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 5))
    y = (X[:, 0] + rng.normal(size=2000) > 0).astype(int)
    return X, y


def _covers_once(groups, n_blocks):
    return sorted(itertools.chain(*groups)) == list(range(n_blocks))


def test_a_call_takes_a_sixteenth_of_a_threads_memory_at_most(monkeypatch):
    """Calls of CALL_BYTES of input (one per thread here), fewer bytes where a thread's share of
    the memory is small."""
    from dasklearn import _call_groups

    X = da.zeros((CALL_BYTES // 80, 20), chunks=(CALL_BYTES // 800, 20))  # 2 calls' worth
    with dask.config.set(scheduler="threads", num_workers=2):
        assert len(call_groups(X).blocks) == 2
        budget = 2 * CALL_MEMORY_SHARE * CALL_BYTES // 4  # two threads, a quarter of the bound
        monkeypatch.setattr(_call_groups, "memory_budget", lambda client=None: budget)
        assert len(call_groups(X).blocks) == 8


@pytest.mark.parametrize("n_calls", [1, 2, 3, 7, 10])
def test_split_cuts_equal_runs_none_empty(n_calls):
    sizes = [5, 0, 5, 5, 1, 9, 5, 5, 0, 5]
    runs = _split(list(range(10)), sizes, n_calls)
    assert len(runs) == n_calls and all(runs)
    assert list(itertools.chain(*runs)) == list(range(10))
    totals = [sum(sizes[i] for i in run) for run in runs]
    assert max(totals) - min(totals) <= max(sizes)


def test_threads_get_consecutive_runs_a_multiple_of_the_threads(data):
    X = da.from_array(data[0], chunks=100)  # 20 small blocks
    with dask.config.set(scheduler="threads", num_workers=2):
        groups, workers = call_groups(X)
    assert workers is None  # no cluster: whichever thread is free takes a call
    assert len(groups) == 2 and _covers_once(groups, 20)
    assert groups == [list(range(10)), list(range(10, 20))]
    with dask.config.set(scheduler="threads", num_workers=2):  # at most max_bytes a call
        assert len(call_groups(X, max_bytes=20 * 100 * 5 * 8 // 5).blocks) == 6


def test_no_groups_where_they_cannot_help(data):
    X = da.from_array(data[0], chunks=100)
    with dask.config.set(scheduler="threads", num_workers=2):
        assert call_groups(X[:100]) is None  # one block
        assert call_groups(X[X[:, 0] > 0]) is None  # unknown lengths
        assert call_groups(X.rechunk(1000)) is None  # one call per thread already
        assert call_groups(X, max_bytes=1) is None  # every block over the bound


def test_fewer_blocks_than_threads_are_cut_into_pieces():
    """Every thread gets a piece of a block, in proportion to the blocks' sizes, no piece under
    the bound; X stays as it is where the blocks suffice or their lengths are unknown."""
    X = da.zeros((4000, 20), chunks=((3000, 1000), (20,)))  # 640,000 bytes
    with dask.config.set(scheduler="threads", num_workers=4):
        assert split_blocks(X, min_bytes=2**16).chunks[0] == (1000, 1000, 1000, 1000)
        assert split_blocks(X, min_bytes=200_000).chunks[0] == (1500, 1500, 1000)  # 3 at most
        assert split_blocks(X, min_bytes=400_000) is X  # one piece's worth
        masked = X[X[:, 0] == 0]
        assert split_blocks(masked, min_bytes=1) is masked
    with dask.config.set(scheduler="threads", num_workers=2):
        assert split_blocks(X, min_bytes=1) is X  # one block per thread already


def test_one_block_is_shared_by_the_threads():
    """One large block on two threads: two calls of half the rows, the output in X's chunks."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(4000, 40))  # 1.28 MB, over two pieces' minimum
    y = (X[:, 0] > 0).astype(int)
    model = CountedModel().fit(X, y)
    dX = da.from_array(X, chunks=(4000, 40))
    with dask.config.set(scheduler="threads", num_workers=2):
        out = ParallelPostFit(model).predict_proba(dX)
        assert out.chunks[0] == dX.chunks[0]
        CALLS.clear()
        got = out.compute()
    np.testing.assert_allclose(got, model.model_.predict_proba(X), rtol=1e-12)
    assert sorted(CALLS) == [2000, 2000]


def test_one_persisted_block_is_shared_by_the_workers(client):
    """One persisted block on a 2-worker cluster: a call on each worker, each with its kept copy
    of the model; the output keeps X's chunks and matches scikit-learn."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(4000, 40))
    y = (X[:, 1] > 0).astype(int)
    Xp = client.persist(da.from_array(X, chunks=(4000, 40)))
    wait(Xp)
    groups, workers = call_groups(split_blocks(Xp))
    assert sorted(groups) == [[0], [1]] and sorted(workers) == sorted(client.nthreads())
    model = BigModel().fit(X, y)
    out = ParallelPostFit(model).predict_proba(Xp)
    assert out.chunks[0] == Xp.chunks[0]
    assert {k[1] for k in _copy_keys(out)} == set(workers)
    np.testing.assert_allclose(out.compute(), model.model_.predict_proba(X), rtol=1e-12)


def test_blocks_beyond_a_workers_share_move(client, data):
    X = da.from_array(data[0], chunks=100)
    first = sorted(client.nthreads())[0]
    Xp = client.persist(X, workers=[first])  # all 20 blocks on one worker
    wait(Xp)
    assert set(_holders(Xp, client)) == {first}
    # one call per worker (one thread each): the first keeps 10 blocks, 10 go to the other
    groups, workers = call_groups(Xp)
    assert groups == [list(range(10)), list(range(10, 20))]
    assert sorted(workers) == sorted(client.nthreads())


def test_blocks_grouped_by_the_worker_holding_them(client, data):
    X = da.from_array(data[0], chunks=100)
    workers = sorted(client.nthreads())
    blocks = [X[i * 100 : (i + 1) * 100] for i in range(20)]
    parts = [client.persist(b, workers=[workers[i % 2]]) for i, b in enumerate(blocks)]
    wait(parts)
    evens_odds = [list(range(0, 20, 2)), list(range(1, 20, 2))]
    lazy = da.concatenate(parts)[:, :3] * 2.0  # computed from persisted blocks
    assert _holders(lazy, client) == [workers[i % 2] for i in range(20)]
    groups, homes = call_groups(lazy)
    assert sorted(groups) == evens_odds
    assert [homes[g] for g, group in enumerate(groups) for _ in group] == [
        workers[i % 2] for group in groups for i in group
    ]
    persisted = client.persist(lazy)  # each block made where its input is
    wait(persisted)
    assert _holders(persisted, client) == [workers[i % 2] for i in range(20)]
    assert sorted(call_groups(persisted).blocks) == evens_odds


@pytest.mark.parametrize("chunks", [100, ((50, 0, 450, 300, 0, 200, 1000),)])
def test_parallel_post_fit_calls_once_per_group_and_keeps_chunks(data, chunks):
    X, y = data
    model = CountedModel().fit(X, y)
    dX = da.from_array(X, chunks=(chunks if isinstance(chunks, int) else chunks[0], 5))
    with dask.config.set(scheduler="threads", num_workers=2):
        out = ParallelPostFit(model).predict_proba(dX)
        assert out.chunks[0] == dX.chunks[0]
        CALLS.clear()  # after the probe of the output's type (two rows)
        got = out.compute()
    np.testing.assert_allclose(got, model.model_.predict_proba(X), rtol=1e-12)
    assert sorted(CALLS) == [1000, 1000]  # two calls, not one per block


def test_grouped_output_on_a_cluster_matches(client, data):
    X, y = data
    model = LogisticRegression().fit(X, y)
    dX = client.persist(da.from_array(X, chunks=100))
    wait(dX)
    out = ParallelPostFit(model).predict_proba(dX)
    graph = dict(out.__dask_graph__())
    assert sum("group" in str(k) for k in graph) < dX.numblocks[0]
    assert out.chunks[0] == dX.chunks[0]
    np.testing.assert_allclose(out.compute(), model.predict_proba(X), rtol=1e-12)
    # a lazy source: each group reads its own blocks inside its task
    lazy = da.from_array(X, chunks=100) * 1.0
    out = ParallelPostFit(model).predict(lazy)
    graph = dict(out.__dask_graph__())
    assert not any(str(k[0]).startswith("mul") for k in graph if isinstance(k, tuple))
    np.testing.assert_array_equal(out.compute(), model.predict(X))


def _restrictions(dask_scheduler=None):
    return {
        key: (sorted(ts.worker_restrictions or ()), ts.loose_restrictions)
        for key, ts in dask_scheduler.tasks.items()
    }


def _once_scheduled(client):
    """Each task's worker restrictions on the scheduler, once the calls are there (the graph
    reaches the scheduler after ``compute()`` returns)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        placed = client.run_on_scheduler(_restrictions)
        if any("-group" in str(k) for k in placed):
            return placed
        time.sleep(0.01)
    raise TimeoutError("the calls did not reach the scheduler in 30 s")


@pytest.mark.parametrize("lazy_step", [False, True])
def test_each_call_runs_on_its_worker(client, data, lazy_step):
    """The scheduler restricts each call to its worker, loosely (dask's array optimisation drops
    layer annotations; a scheduler plugin reads the worker from the call's task), also when a
    lazy step over the persisted blocks is fused into the call; each worker's copy of the model
    is made there, and each block's piece of a call's result is cut there."""
    X, y = data
    first = sorted(client.nthreads())[0]
    Xp = client.persist(da.from_array(X, chunks=100), workers=[first])
    wait(Xp)
    source = Xp * 1.0 if lazy_step else Xp
    groups, workers = call_groups(source)
    assert sorted(workers) == sorted(client.nthreads())
    model = SlowModel().fit(X, y)
    future = client.compute(ParallelPostFit(model).predict_proba(source))
    placed = _once_scheduled(client)
    got = future.result()
    np.testing.assert_allclose(got, model.model_.predict_proba(X), rtol=1e-12)
    homes = {k[1]: where for k, where in placed.items() if str(k[0]).endswith("-group")}
    assert homes == {g: ([w], True) for g, w in enumerate(workers)}
    # each block's piece of its call's result is taken on the worker that holds the result
    home_of = {i: w for members, w in zip(groups, workers, strict=True) for i in members}
    name = str(next(k for k in placed if str(k[0]).endswith("-group"))[0]).removesuffix("-group")
    pieces = {k[1]: where for k, where in placed.items() if k[0] == name}
    assert pieces == {i: ([w], True) for i, w in home_of.items()}
    # each worker's copy of the model, a task of its own made there
    models = {k: where for k, where in placed.items() if "SlowModel-" in str(k)}
    assert all(isinstance(k, tuple) and k[0].endswith("-on") for k in models)
    assert models and models == {k: ([k[1]], True) for k in models}


def test_each_workers_copy_of_the_model_is_made_there(client, data):
    """Two calls on each worker: each worker's copy of the model is a task of its own (not run
    inside a call), restricted to that worker."""
    X, y = data
    Xp = client.persist(da.from_array(X, chunks=100))
    wait(Xp)
    homes = sorted(client.nthreads())
    assert _placing(client)
    groups = CallGroups([list(range(5 * g, 5 * g + 5)) for g in range(4)], homes * 2)
    model = SlowModel().fit(X, y)
    chunks = (Xp.chunks[0], (2,))
    out = map_groups(_predict_proba, Xp, groups, [share_once(model)], chunks=chunks, meta=X[:0])
    future = client.compute(out)
    placed = _once_scheduled(client)
    np.testing.assert_allclose(future.result(), model.model_.predict_proba(X), rtol=1e-12)
    copies = {k[1]: where for k, where in placed.items() if str(k[0]).endswith("-on")}
    assert copies == {w: ([w], True) for w in homes}


def _on_one_worker(client, X):
    """X persisted on one worker of two: ParallelPostFit's calls go to both workers."""
    Xp = client.persist(da.from_array(X, chunks=100), workers=[sorted(client.nthreads())[0]])
    wait(Xp)
    return Xp


def _copy_futures(array):
    return {k: v for k, v in dict(array.__dask_graph__()).items() if str(k[0]).endswith("-on")}


def test_a_workers_copy_of_the_model_serves_later_calls(client, data):
    """The client keeps each worker's copy of the model between calls: a second call's graph
    refers to the same copies and does not carry the model; the copies go when the model does."""
    import gc
    import pickle

    from distributed import Future

    X, y = data
    Xp = _on_one_worker(client, X)
    model = BigModel().fit(X, y)
    first = ParallelPostFit(model).predict_proba(Xp)
    copies = _copy_futures(first)
    assert sorted(k[1] for k in copies) == sorted(client.nthreads())
    assert all(isinstance(f, Future) for f in copies.values())
    np.testing.assert_allclose(first.compute(), model.model_.predict_proba(X), rtol=1e-12)
    second = ParallelPostFit(model).predict_proba(Xp)
    assert _copy_futures(second).keys() == copies.keys()
    assert len(pickle.dumps(dict(second.__dask_graph__()))) < len(pickle.dumps(model.ballast_))
    np.testing.assert_allclose(second.compute(), model.model_.predict_proba(X), rtol=1e-12)
    del first, second, copies
    assert on_scheduler(client, _copy_futures(ParallelPostFit(model).predict_proba(Xp)))
    keys = list(_copy_futures(ParallelPostFit(model).predict_proba(Xp)))
    del model
    gc.collect()
    assert released(client, keys)


TOKENIZED: list[int] = []


class TokenCountedModel(BigModel):
    """A BigModel that records each time dask's ``tokenize`` pickles it in this process."""

    def __getstate__(self):
        import traceback

        if any(f.filename.endswith("tokenize.py") for f in traceback.extract_stack()):
            TOKENIZED.append(1)
        return super().__getstate__()


def test_the_copies_of_a_new_model_are_not_tokenized_by_dask(client, data):
    """The copies' graph reaches the scheduler without dask's ``tokenize`` of the model: given
    as a dict it would pickle and unpickle each copy's value twice to name the graph (0.14 s
    for a 16 MiB forest on a fresh cluster), which the copies' keys already name."""
    X, y = data
    Xp = _on_one_worker(client, X)
    model = TokenCountedModel().fit(X, y)
    TOKENIZED.clear()
    out = ParallelPostFit(model).predict_proba(Xp)
    assert len(_copy_futures(out)) == 2
    np.testing.assert_allclose(out.compute(), model.model_.predict_proba(X), rtol=1e-12)
    assert TOKENIZED == []


@pytest.mark.parametrize("blocks", [1, 2])
def test_calls_of_one_block_keep_their_workers_copy_of_the_model(client, data, blocks):
    """X persisted in blocks that each make a call of their own (one block, or one per worker):
    the calls are placed all the same, so that each worker's copy of the model serves later
    calls; a second call's graph does not carry the model."""
    import pickle

    X, y = data
    Xp = client.persist(da.from_array(X, chunks=len(X) // blocks))
    wait(Xp)
    model = BigModel().fit(X, y)
    first = ParallelPostFit(model).predict_proba(Xp)
    holders = {w for workers in client.who_has(Xp).values() for w in workers}
    assert {k[1] for k in _copy_futures(first)} == holders
    np.testing.assert_allclose(first.compute(), model.model_.predict_proba(X), rtol=1e-12)
    second = ParallelPostFit(model).predict_proba(Xp)
    assert _copy_futures(second).keys() == _copy_futures(first).keys()
    assert len(pickle.dumps(dict(second.__dask_graph__()))) < len(pickle.dumps(model.ballast_))
    np.testing.assert_allclose(second.compute(), model.model_.predict_proba(X), rtol=1e-12)


def test_a_copy_stays_kept_while_calls_go_elsewhere(client, data):
    """A model called in turn on X held by one worker and on X held by both: each worker's copy
    is made once, not dropped by the calls that do not need it and sent again."""
    X, y = data
    model = BigModel().fit(X[7:], y[7:])  # not another test's model
    first = sorted(client.nthreads())[0]
    one = client.persist(da.from_array(X, chunks=len(X)), workers=[first])
    both = client.persist(da.from_array(X, chunks=len(X) // 2))
    wait([one, both])
    seen = [_copy_futures(ParallelPostFit(model).predict_proba(Xp)) for Xp in (one, both) * 2]
    assert {k[1] for k in seen[0]} == {first}
    assert {k[1] for k in seen[1]} == set(client.nthreads())
    assert seen[2].keys() == seen[0].keys() and seen[3].keys() == seen[1].keys()
    assert all(seen[2][k] is seen[0][k] for k in seen[0])
    assert all(seen[3][k] is seen[1][k] for k in seen[1])


def _copy_keys(collection):
    """The keys of the model copies that the tasks of ``collection`` depend on."""
    graph = convert_legacy_graph(dict(collection.__dask_graph__()))
    deps = set().union(*(node.dependencies for node in graph.values()))
    return {k for k in deps if isinstance(k, tuple) and str(k[0]).endswith("-on")}


def _carries(collection, value):
    """Whether ``collection``'s graph holds ``value`` itself (not a copy kept on the cluster)."""
    graph = convert_legacy_graph(dict(collection.__dask_graph__()))
    return any(isinstance(node, DataNode) and node.value is value for node in graph.values())


def test_calls_that_are_not_placed_keep_one_copy_of_the_model(client, data):
    """X persisted on the cluster whose calls are not placed (blocks of unknown length): one
    copy of the model, kept on the worker holding most of X, serves every call, and no call's
    graph carries the model. Over a lazy source the graph still carries it (computable
    anywhere)."""
    X, y = data
    model = BigModel().fit(X[5:], y[5:])  # not another test's model: no key of theirs reused
    expected = model.model_.predict_proba(X)
    lazy = da.from_array(X, chunks=500)
    persisted = client.persist(lazy)
    wait(persisted)
    Xp = persisted[persisted[:, 0] > -np.inf]
    first, second = (ParallelPostFit(model).predict_proba(Xp) for _ in range(2))
    assert not _carries(first, model) and not _carries(second, model)
    copies = [_copy_keys(out) for out in (first, second)]
    assert copies[0] == copies[1] and len(copies[0]) == 1
    for out in (first, second):
        np.testing.assert_allclose(out.compute(), expected, rtol=1e-12)
    out = ParallelPostFit(model).predict_proba(lazy[lazy[:, 0] > -np.inf])
    assert _carries(out, model)
    with dask.config.set(scheduler="threads"):
        np.testing.assert_allclose(out.compute(), expected, rtol=1e-12)


def test_a_graph_over_a_lazy_source_stays_self_contained(client, data):
    """Built while a client is current, the calls over X that no worker holds carry the model
    in the graph: they also compute on threads (a kept future would bind them to the client)."""
    X, y = data
    model = BigModel().fit(X, y)
    out = ParallelPostFit(model).predict_proba(da.from_array(X, chunks=100) * 1.0)
    assert not _copy_futures(out)
    with dask.config.set(scheduler="threads"):
        np.testing.assert_allclose(out.compute(), model.model_.predict_proba(X), rtol=1e-12)


def test_a_lost_copy_is_made_again(client, data):
    """A kept copy that is gone from the cluster (cancelled here; a restarted cluster) is sent
    again, and the call gives the same answer."""
    X, y = data
    Xp = _on_one_worker(client, X)
    model = BigModel().fit(X, y)
    copies = _copy_futures(ParallelPostFit(model).predict_proba(Xp))
    client.cancel(list(copies.values()))
    deadline = time.monotonic() + 30
    while any(f.status != "cancelled" for f in copies.values()) and time.monotonic() < deadline:
        time.sleep(0.01)
    again = ParallelPostFit(model).predict_proba(Xp)
    assert all(f.status != "cancelled" for f in _copy_futures(again).values())
    np.testing.assert_allclose(again.compute(), model.model_.predict_proba(X), rtol=1e-12)


def test_only_the_newest_models_stay_on_the_cluster(client, data):
    """Copies of at most KEPT_VALUES models are kept; the oldest go first."""
    X, y = data
    Xp = _on_one_worker(client, X)
    models = [BigModel().fit(X[i:], y[i:]) for i in range(KEPT_VALUES + 1)]
    kept = [list(_copy_futures(ParallelPostFit(m).predict_proba(Xp))) for m in models]
    assert released(client, kept[0])
    assert all(on_scheduler(client, keys) for keys in kept[1:])


@pytest.mark.parametrize("n_workers", [1, 2, COPIES_UP_TO, COPIES_UP_TO + 1])
def test_a_copy_of_the_model_per_worker_up_to_a_few(data, n_workers):
    """The calls of each of up to COPIES_UP_TO workers share that worker's copy of the model;
    without a client one copy serves one worker, or more than COPIES_UP_TO (each copy is one
    more send by the scheduler). The graph computes the same anywhere (threads here)."""
    X, y = data
    model = LogisticRegression().fit(X, y)
    dX = da.from_array(X, chunks=100)
    workers = [f"tcp://127.0.0.1:{9000 + g % n_workers}" for g in range(10)]
    groups = CallGroups([[2 * g, 2 * g + 1] for g in range(10)], workers)
    shared = share_once(model)
    out = map_groups(_predict_proba, dX, groups, [shared], chunks=(dX.chunks[0], (2,)), meta=X[:0])
    graph = dict(out.__dask_graph__())
    copies = [k for k in graph if isinstance(k, tuple) and str(k[0]).endswith("-on")]
    one_each = 1 < n_workers <= COPIES_UP_TO
    assert len(copies) == (n_workers if one_each else 0)
    assert (shared.key in graph) is not one_each
    with dask.config.set(scheduler="threads"):
        np.testing.assert_allclose(out.compute(), model.predict_proba(X), rtol=1e-12)


def test_one_kept_copy_serves_more_workers_than_a_few(client, data, monkeypatch):
    """Calls on more than COPIES_UP_TO workers (1 here, on 2 workers): the client keeps one copy
    of the model, on one of them, that every call uses; a second call's graph carries no model
    and refers to the same copy."""
    from dasklearn import _call_groups

    monkeypatch.setattr(_call_groups, "COPIES_UP_TO", 1)
    X, y = data
    Xp = client.persist(da.from_array(X, chunks=100))
    wait(Xp)
    model = BigModel().fit(X[9:], y[9:])  # not another test's model
    first, second = (ParallelPostFit(model).predict_proba(Xp) for _ in range(2))
    assert len(set(call_groups(Xp).workers)) == 2
    copies = [_copy_futures(out) for out in (first, second)]
    assert len(copies[0]) == 1 and copies[0].keys() == copies[1].keys()
    assert not _carries(first, model) and not _carries(second, model)
    for out in (first, second):
        np.testing.assert_allclose(out.compute(), model.model_.predict_proba(X), rtol=1e-12)


def test_calls_still_run_where_the_scheduler_cannot_place_them(client, data, monkeypatch):
    """A scheduler that cannot load the plugin (dasklearn missing there): no worker named, the
    same result."""
    import weakref

    from dasklearn import _call_groups

    def refuse(plugin, name=None):
        raise ModuleNotFoundError("No module named 'dasklearn'")

    monkeypatch.setattr(_call_groups, "_PLACING", weakref.WeakSet())
    monkeypatch.setattr(client, "register_plugin", refuse)
    X, y = data
    Xp = client.persist(da.from_array(X, chunks=100))
    wait(Xp)
    assert call_groups(Xp).workers is None
    model = LogisticRegression().fit(X, y)
    got = ParallelPostFit(model).predict_proba(Xp).compute()
    np.testing.assert_allclose(got, model.predict_proba(X), rtol=1e-12)
