"""The one reduction (a pass over the row blocks) and the per-row map of the output layer:
results in block order, large arguments entering the graph once."""

from __future__ import annotations

import pickle

import dask
import dask.array as da
import numpy as np
import pytest

from dasklearn._blockwise import reduction, share, share_once, sum_parts, value_token
from dasklearn._output import Output, map_rows


def _gram(xb, yb, w):
    return xb.T @ xb, xb.T @ (yb * w[0]), len(xb)


def test_reduction_matches_numpy(scheduler):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(1000, 4)), rng.normal(size=1000)
    dX, dy = da.from_array(X, chunks=(70, 4)), da.from_array(y, chunks=70)
    G, b, n = reduction(_gram, dX, dy, args=(np.array([2.0]),), split_every=3).compute()
    np.testing.assert_allclose(G, X.T @ X)
    np.testing.assert_allclose(b, 2 * X.T @ y)
    assert n == 1000


def _first(xb, v):
    return xb.sum() + v[0]


def _scaled_column(xb, v):
    return xb[:, 0] * v[0]


@pytest.mark.parametrize("helper", ["reduce", "map"])
def test_broadcast_argument_enters_the_graph_once(helper):
    dX = da.ones((100, 3), chunks=(10, 3))  # 10 blocks
    big = np.random.default_rng(0).random(50_000)  # 400 kB
    if helper == "reduce":
        out = reduction(_first, dX, args=(share(big),))
    else:
        out = map_rows(_scaled_column, dX, big, output=Output(float))
    graph_bytes = len(pickle.dumps(dict(out.__dask_graph__())))
    assert big.nbytes < graph_bytes < 2 * big.nbytes  # once, not once per block


def test_reduction_rejects_misaligned_arrays():
    with pytest.raises(ValueError, match="different row chunks"):
        reduction(_gram, da.ones((10, 2), chunks=5), da.ones(10, chunks=4))


def test_sum_parts_nested():
    a = {"g": np.ones(2), "n": (1, 2)}
    assert sum_parts(a, a)["n"] == (2, 4)


def test_map_rows(scheduler):
    X = np.arange(40.0).reshape(20, 2)
    dX = da.from_array(X, chunks=(6, 2))
    w = np.array([1.0, -1.0])
    out = map_rows(lambda xb, v: xb @ v, dX, w, output=Output(np.float64))
    assert out.chunks == (dX.chunks[0],)
    np.testing.assert_array_equal(out.compute(), X @ w)
    both = map_rows(
        lambda xb: np.column_stack([xb.sum(1), xb.max(1)]), dX, output=Output(float, width=2)
    )
    assert both.shape == (20, 2)
    np.testing.assert_array_equal(dask.compute(both)[0][:, 1], X.max(1))


def _block_summary(xb, wb, i, v):
    return i, len(xb), float(xb.sum() + (0 if wb is None else wb.sum()) * v[0])


@pytest.mark.parametrize("large", [False, True])
def test_per_block_results_in_block_order(scheduler, large):
    """Per-block results come back as a list in block order, on threads and on a cluster;
    a large argument is shared (one graph node), a small one embedded."""
    X = np.arange(60.0).reshape(30, 2)
    w = np.ones(30)
    dX, dw = da.from_array(X, chunks=(7, 2)), da.from_array(w, chunks=7)
    v = np.full(40_000 if large else 1, 2.0)  # 320 kB: over the embedding limit
    arg = share(v)
    assert (arg is v) != large
    blocks = [(i,) for i in range(dX.numblocks[0])]
    (out,) = dask.compute(
        reduction(_block_summary, dX, dw, args=[arg], block_args=blocks, combine=None)
    )
    expected = [
        (i, len(X[s : s + 7]), X[s : s + 7].sum() + 2.0 * len(X[s : s + 7]))
        for i, s in enumerate(range(0, 30, 7))
    ]
    assert out == expected
    (unweighted,) = dask.compute(
        reduction(_block_summary, dX, None, args=[arg], block_args=blocks, combine=None)
    )
    assert [r[2] for r in unweighted] == [X[s : s + 7].sum() for s in range(0, 30, 7)]


def test_reduction_keys_are_unique_and_checks_chunks():
    dX = da.ones((10, 2), chunks=5)
    first = reduction(_first, dX, args=[np.ones(1)], combine=None)
    second = reduction(_first, dX, args=[np.ones(1)], combine=None)
    assert set(first.__dask_keys__()).isdisjoint(second.__dask_keys__())
    with pytest.raises(ValueError, match="different row chunks"):
        reduction(_gram, dX, da.ones(10, chunks=4))
    with pytest.raises(ValueError, match="1 block_args for 2 blocks"):
        reduction(_first, dX, block_args=[(1,)])


def test_value_token_follows_the_pickle():
    weights = {"coef": np.arange(300_000.0), "name": "model"}
    same = {"coef": np.arange(300_000.0), "name": "model"}
    assert value_token(weights) == value_token(same)
    same["coef"][-1] += 1e-9
    assert value_token(weights) != value_token(same)
    assert value_token({**weights, "name": "other"}) != value_token(weights)
    shared = share_once(weights)
    assert shared.key == f"dict-{value_token(weights)}"
    assert share_once(weights, "abc").key == "dict-abc"
    np.testing.assert_array_equal(shared.compute(scheduler="sync")["coef"], weights["coef"])


def test_value_token_of_what_pickle_cannot_take():
    def local(x):  # pickle cannot take a local function; dask's tokenize can
        return x + 1

    assert value_token(local) == value_token(local)
    assert value_token(local) != value_token(lambda x: x + 2)
