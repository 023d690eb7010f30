"""dasklearn._partitions: sharing partitions among workers, one persist for aligned inputs.

``assign_partitions`` and ``concat_parts`` are pure and need no cluster; ``persist_aligned``
and ``ordered_futures`` run on the shared LocalCluster (``client`` fixture).
"""

from __future__ import annotations

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from dasklearn._chunks import is_dask_input, n_blocks, rows_only
from dasklearn._partitions import (
    assign_partitions,
    concat_parts,
    ordered_futures,
    persist_aligned,
)

pytestmark = pytest.mark.timeout(60)

A, B, C = "tcp://127.0.0.1:1001", "tcp://127.0.0.1:1002", "tcp://127.0.0.1:1003"


def _rows(shares, lengths):
    return [sum(lengths[i] for i in s) for s in shares]


def _check_cover(shares, n):
    """Every partition is handed to exactly one rank, each rank's list in partition order."""
    flat = [i for s in shares for i in s]
    assert sorted(flat) == list(range(n))
    assert all(s == sorted(s) for s in shares)


# --------------------------------------------------------------------------------------------
# assign_partitions (pure)
# --------------------------------------------------------------------------------------------


def test_local_partitions_stay_local_when_balanced():
    shares = assign_partitions([10, 10, 10, 10], [A, B, A, B], [A, B])
    assert shares == [[0, 2], [1, 3]]


def test_rows_balance_when_one_worker_holds_everything():
    lengths = [10, 10, 10, 10]
    shares = assign_partitions(lengths, [A] * 4, [A, B])
    _check_cover(shares, 4)
    assert _rows(shares, lengths) == [20, 20]


def test_order_is_kept_within_each_rank():
    lengths = [7, 3, 9, 1, 5, 8, 2]
    shares = assign_partitions(lengths, [B, A, B, B, A, B, B], [A, B])
    _check_cover(shares, len(lengths))


def test_empty_partitions_are_assigned_but_never_moved():
    lengths = [0, 10, 0, 10]
    shares = assign_partitions(lengths, [A] * 4, [A, B])
    # moving an empty partition narrows nothing: both stay with their holder
    assert shares == [[0, 2, 3], [1]]
    assert _rows(shares, lengths) == [10, 10]


def test_partitions_without_a_location_go_to_the_rank_with_fewest_rows():
    lengths = [10, 30, 20]
    shares = assign_partitions(lengths, [None, None, None], [A, B])
    # largest first: 30 -> A, 20 -> B, 10 -> B
    assert shares == [[1], [0, 2]]
    # a partition on a worker that is not a rank counts as having no location
    assert assign_partitions([10, 30, 20], [C, C, C], [A, B]) == shares
    # local partitions are placed before the homeless ones are shared out
    assert assign_partitions([10, 10, 5], [A, None, A], [A, B]) == [[0, 2], [1]]


def test_more_workers_than_partitions_leaves_ranks_empty():
    shares = assign_partitions([5, 5], [A, A], [A, B, C])
    _check_cover(shares, 2)
    assert shares == [[1], [0], []]
    assert assign_partitions([], [], [A, B]) == [[], []]


def test_gap_is_at_most_one_partition_on_random_layouts():
    rng = np.random.default_rng(0)
    workers = [A, B, C]
    for _ in range(200):
        n = int(rng.integers(1, 12))
        lengths = rng.integers(0, 100, size=n).tolist()
        locations = [[A, B, C, None][k] for k in rng.integers(0, 4, size=n)]
        shares = assign_partitions(lengths, locations, workers)
        _check_cover(shares, n)
        rows = _rows(shares, lengths)
        assert max(rows) - min(rows) <= max(lengths)


# --------------------------------------------------------------------------------------------
# concat_parts (pure)
# --------------------------------------------------------------------------------------------


def test_concat_parts_numpy_and_pandas():
    a, b = np.arange(6.0).reshape(3, 2), np.arange(6.0, 10.0).reshape(2, 2)
    np.testing.assert_array_equal(concat_parts([a, b]), np.vstack([a, b]))
    assert concat_parts([a]) is a  # one partition: no copy
    frames = [pd.DataFrame(a, columns=["x", "y"]), pd.DataFrame(b, columns=["x", "y"])]
    out = concat_parts(frames)
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, np.vstack([a, b]))
    series = concat_parts([pd.Series([1, 2]), pd.Series([3])])
    np.testing.assert_array_equal(series, [1, 2, 3])
    empty = concat_parts([np.empty((0, 2)), b])
    np.testing.assert_array_equal(empty, b)


def test_concat_parts_refuses_nothing():
    with pytest.raises(ValueError, match="No partitions"):
        concat_parts([])


def test_dask_collections_and_their_partitions():
    x = da.ones((10, 2), chunks=(4, 1))
    frame = dd.from_pandas(pd.DataFrame({"a": np.arange(10.0)}), npartitions=3, sort=False)
    assert is_dask_input(x) and is_dask_input(frame) and is_dask_input(frame["a"])
    assert not any(is_dask_input(v) for v in (np.ones(3), pd.Series([1.0]), None, 3))
    assert n_blocks(x) == 3 and n_blocks(frame) == 3 and n_blocks(frame["a"]) == 3


def test_rows_only_rechunks_columns_into_one_block():
    x = da.ones((10, 6), chunks=(5, 2))
    assert rows_only(x).chunks == ((5, 5), (6,))
    y = da.ones((10, 6), chunks=(5, 6))
    assert rows_only(y) is y
    s = da.ones(10, chunks=5)
    assert rows_only(s) is s


# --------------------------------------------------------------------------------------------
# persist_aligned, ordered_futures (on the LocalCluster)
# --------------------------------------------------------------------------------------------


def test_persist_aligned_finds_unknown_lengths(client):
    frame = pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10.0) * 2})
    ddf = dd.from_pandas(frame, npartitions=3, sort=False)
    X = ddf.to_dask_array()  # unknown row chunks
    assert np.isnan(X.shape[0])
    parts = persist_aligned(client, {"X": X, "y": ddf["b"].to_dask_array()})
    assert sum(parts.lengths) == 10 and len(parts.lengths) == 3
    assert parts.collections["X"].chunks[0] == parts.lengths
    np.testing.assert_array_equal(parts.collections["X"].compute(), frame.to_numpy())
    assert set(parts.futures) == {"X", "y"} and len(parts.futures["y"]) == 3
    workers = set(client.scheduler_info()["workers"])
    assert set(parts.locations(client)) <= workers
    assert len(parts.locations(client, "y")) == 3


def test_ordered_futures_keep_partition_order(client):
    x = client.persist(da.arange(12, chunks=4))
    blocks = client.gather(ordered_futures(client, x))
    assert [b.tolist() for b in blocks] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    s = client.persist(dd.from_pandas(pd.Series(np.arange(9)), npartitions=3, sort=False))
    parts = client.gather(ordered_futures(client, s))
    assert [p.tolist() for p in parts] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_persist_aligned_refuses_different_partition_counts(client):
    X = da.ones((10, 2), chunks=5)
    y = da.ones(10, chunks=2)
    with pytest.raises(ValueError, match=r"different numbers of partitions \(X has 2, y has 5\)"):
        persist_aligned(client, {"X": X, "y": y})


def test_persist_aligned_refuses_known_chunks_that_differ(client):
    X = da.ones((10, 2), chunks=((5, 5), (2,)))
    y = da.ones(10, chunks=((4, 6),))
    with pytest.raises(ValueError, match="row block 0 has 5 rows in X but 4 in y"):
        persist_aligned(client, {"X": X, "y": y}, what="The arguments")


def test_persist_aligned_refuses_partitions_that_differ(client):
    X = dd.from_pandas(pd.DataFrame({"a": np.arange(10.0)}), npartitions=2, sort=False)
    y = dd.from_pandas(pd.Series(np.arange(11.0)), npartitions=2, sort=False)
    assert X.npartitions == y.npartitions == 2
    with pytest.raises(ValueError, match="The data do not line up: partition 0 has 5 rows in X"):
        persist_aligned(client, {"X": X, "y": y}, what="The data")
