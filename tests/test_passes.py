"""The pass runner on a cluster: where in-memory blocks go, one task per worker thread per pass,
partials fetched by the client (no gathering task), and the same results as on threads."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pandas as pd
import pytest
from distributed import futures_of, get_task_stream, wait
from support import blas_threads

import dasklearn._passes as P
import dasklearn._placement as PL
from dasklearn._chunks import block_keys
from dasklearn.linear_model import LogisticRegression


def _blocks_sum(block: np.ndarray) -> np.ndarray:
    return block.sum(axis=0)


def _ten_blocks(rows: int = 10_000) -> da.Array:
    X = np.random.default_rng(0).standard_normal((rows, 3)) * 1e8
    return da.from_array(X, chunks=rows // 10)


def test_in_memory_blocks_are_spread_evenly_in_block_order(client):
    (X,) = PL._persist([_ten_blocks()], client, spread=True)
    groups = PL._thread_groups(X)
    assert sorted(map(len, groups)) == [5, 5]
    assert sorted(groups) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    who_has = client.who_has(futures_of(X))
    holders = {i: who_has[(X.name, i, 0)] for i in range(10)}
    assert len({holders[i] for i in range(5)}) == 1
    assert len({holders[i] for i in range(5, 10)}) == 1
    assert holders[0] != holders[9]


def test_placed_numpy_vectors_live_with_their_rows(client):
    X = np.random.default_rng(0).standard_normal((600_000, 20))  # 96 MB: 4 blocks
    y = np.arange(len(X), dtype=np.float64)
    data = PL.place(X, y)
    assert data.policy == "persisted" and data.n_blocks == 4
    wait(futures_of(data.vectors[0]))  # place() waits for X's blocks only
    who_has = client.who_has(futures_of(data.X) + futures_of(data.vectors[0]))
    for i in range(data.n_blocks):
        assert who_has[(data.X.name, i, 0)] == who_has[(data.vectors[0].name, i)]
    assert sorted(map(len, data.groups)) == [2, 2]


def test_a_cluster_pass_is_one_task_per_worker_thread_with_no_gathering_task(client, monkeypatch):
    monkeypatch.setattr(P.ResidentBlocks, "start", classmethod(lambda cls, c, arrays: None))
    data = PL.place(np.random.default_rng(0).standard_normal((600_000, 20)))
    runner = P.Passes(data, check_first=None)
    with get_task_stream(client) as stream:
        runner.run(runner.reduction(_blocks_sum, data.X))
    # older distributed (2025.12) picks the stream's records by time, corrected for each worker's
    # clock: X's blocks, made by place() just before, were in it once (3 of 4, on a loaded CI)
    made_before = {str(k) for k in block_keys(data.X)}
    keys = [str(t["key"]) for t in stream.data if str(t["key"]) not in made_before]
    assert len(keys) == len(data.groups) == 2, keys
    assert not any("finalize" in k for k in keys), keys


def test_grouped_passes_give_the_threaded_result_bit_for_bit(client):
    (X,) = PL._persist([_ten_blocks()], client, spread=True)
    on_cluster = P.Passes(PL.Placement(X, [], "persisted", False, 10_000, PL._thread_groups(X)))
    local = X.compute()
    with dask.config.set(scheduler="threads"):
        in_memory = P.Passes(PL.place(da.from_array(local, chunks=1_000), reuse=False))
        expected = in_memory.run(in_memory.reduction(_blocks_sum, in_memory.data.X))
    got = on_cluster.run(on_cluster.reduction(_blocks_sum, on_cluster.data.X))
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_large_linear_model_partials_are_merged_in_a_tree(scheduler, monkeypatch, solver):
    X = np.random.default_rng(0).standard_normal((4_000, 5))
    y = (X @ np.arange(5) > 0).astype(int)
    Xd = da.from_array(X, chunks=250)  # 16 blocks: two levels of fan-in 8
    expected = LogisticRegression(solver=solver).fit(Xd, y)
    monkeypatch.setattr(P, "GATHER_BYTES", 0)
    tree = LogisticRegression(solver=solver).fit(Xd, y)
    np.testing.assert_allclose(tree.coef_, expected.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tree.intercept_, expected.intercept_, rtol=1e-10, atol=1e-12)


READS: list[int] = []


def _read_partition(i: int) -> pd.DataFrame:
    READS.append(i)
    rng = np.random.default_rng(i)
    frame = pd.DataFrame(rng.standard_normal((100, 3)), columns=["a", "b", "c"])
    frame["y"] = (frame["a"] > 0).astype(float)
    return frame


def _xy_sums(X: np.ndarray, y: np.ndarray) -> tuple:
    return X.sum(axis=0), y.sum()


def test_streamed_x_and_y_of_one_frame_read_each_partition_once(monkeypatch):
    import dask.dataframe as dd

    from dasklearn._chunks import frames_to_arrays

    monkeypatch.setattr(PL, "memory_budget", lambda client=None: 1)  # stream, never persist
    df = dd.from_map(_read_partition, range(4), meta=_read_partition(0).iloc[:0])
    X, y = frames_to_arrays(df[["a", "b", "c"]], df["y"])
    with dask.config.set(scheduler="threads"):
        data = PL.place(X, y, n_samples=400)
        assert data.policy == "streamed"
        runner = P.Passes(data, check_first=None)
        READS.clear()
        sums = runner.run(runner.reduction(_xy_sums, data.X, data.vectors[0]))
    assert sorted(READS) == [0, 1, 2, 3]
    frame = pd.concat([_read_partition(i) for i in range(4)])
    np.testing.assert_allclose(sums[0], frame[["a", "b", "c"]].to_numpy().sum(axis=0))
    assert sums[1] == frame["y"].sum()


def _streamed(X: da.Array, *vectors: da.Array, monkeypatch) -> P.Passes:
    monkeypatch.setattr(PL, "memory_budget", lambda client=None: 1)  # stream, never persist
    data = PL.place(X, *vectors)
    assert data.policy == "streamed"
    return P.Passes(data, check_first=None)


def test_a_streamed_block_is_read_and_reduced_in_one_task(client, monkeypatch):
    """Each block's own reads (X's and y's generators) run inside its chunk's task: the
    scheduler cannot read blocks ahead of their reductions, nor read a block on one worker
    and reduce it on another."""
    from dasklearn.datasets import make_classification

    X, y = make_classification(2_000, 4, random_state=0, chunks=250)
    runner = _streamed(X, y, monkeypatch=monkeypatch)
    with get_task_stream(client) as stream:
        sums = runner.run(runner.reduction(_xy_sums, runner.data.X, runner.data.vectors[0]))
    names = {str(t["key"]).split("'")[1].rsplit("-", 1)[0] for t in stream.data}
    assert len(stream.data) == 8 and names == {"_xy_sums"}, names
    Xc, yc = dask.compute(X, y, scheduler="threads")
    np.testing.assert_allclose(sums[0], Xc.sum(axis=0))
    assert sums[1] == yc.sum()


def test_source_blocks_that_several_blocks_read_stay_tasks_of_their_own(client, monkeypatch):
    """Row blocks cut across the source's blocks share some of them: a shared source block is a
    task of its own (read once, sent where it is needed); the others run inside their block's
    task."""
    X = _ten_blocks().rechunk((1_500, 3))  # 7 blocks over 10 source blocks
    runner = _streamed(X, monkeypatch=monkeypatch)
    with get_task_stream(client) as stream:
        got = runner.run(runner.reduction(_blocks_sum, runner.data.X))
    names = [str(t["key"]).split("'")[1].rsplit("-", 1)[0] for t in stream.data]
    assert names.count("_blocks_sum") == 7
    # 3 of the 10 source blocks straddle a boundary of the 1,500-row blocks
    assert 3 <= sum("array" in n for n in names) < 10, names
    np.testing.assert_allclose(got, _ten_blocks().sum(axis=0).compute(scheduler="threads"))


def test_a_pass_over_blocks_on_the_cluster_leaves_their_graph_as_it_is(client):
    from dasklearn._blockwise import fuse_block_inputs

    (X,) = PL._persist([_ten_blocks()], client, spread=True)
    red = P.reduction(_blocks_sum, X)
    graph = red.__dask_graph__()
    assert fuse_block_inputs(graph, red.block_keys) is graph


def test_a_fit_holds_blas_to_one_thread_between_its_passes_too(monkeypatch):
    """The driver's own BLAS (scipy's L-BFGS-B, Newton's solve) runs at one thread while the
    fit holds its runner, and the process's setting comes back after it."""
    import dasklearn.linear_model._glm as G

    before = blas_threads()
    seen = []
    real_solve = G.solve

    def solve(*args, **kwargs):
        seen.append(blas_threads())
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(G, "solve", solve)
    X = da.from_array(np.random.default_rng(0).standard_normal((400, 3)), chunks=100)
    y = (X[:, 0] > 0).astype(int)
    with P.Passes(PL.place(X)) as runner:
        assert set(blas_threads()) <= {1} and runner.n_passes == 0
    assert blas_threads() == before
    with pytest.raises(RuntimeError, match="failed"), P.Passes(PL.place(X)):
        raise RuntimeError("a fit that failed gives the setting back too")
    assert blas_threads() == before
    LogisticRegression(solver="lbfgs").fit(X, y)
    assert seen and all(set(s) <= {1} for s in seen)
    assert blas_threads() == before
