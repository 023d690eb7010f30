"""The shared helpers the clustering code added: BLAS threads, persist policy, zero-copy blocks."""

from __future__ import annotations

import threading

import dask
import dask.array as da
import numpy as np
from support import blas_threads

from dasklearn._blockwise import single_blas_thread, with_single_blas_thread
from dasklearn._chunks import as_dask_array
from dasklearn._client import active_client, memory_budget
from dasklearn._placement import persist_if_fits


def test_single_blas_thread_is_reentrant_and_restores():
    before = blas_threads()
    seen = []
    barrier = threading.Barrier(3)

    def worker():
        with single_blas_thread():
            barrier.wait()
            seen.append(blas_threads())
            barrier.wait()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    with single_blas_thread():
        barrier.wait()
        with single_blas_thread():
            seen.append(blas_threads())
        barrier.wait()
    for t in threads:
        t.join()
    assert all(set(s) <= {1} for s in seen)
    assert blas_threads() == before

    wrapped = with_single_blas_thread(blas_threads)
    assert set(wrapped()) <= {1}
    assert dask.base.tokenize(wrapped) == dask.base.tokenize(with_single_blas_thread(blas_threads))


def test_persist_if_fits_follows_the_budget_and_keeps_the_callers_keys():
    X = da.ones((1000, 4), chunks=250)
    (persisted, none), done = persist_if_fits(X, None)
    assert done and none is None
    assert persisted.name != X.name  # fresh keys: X itself is untouched
    np.testing.assert_array_equal(persisted.compute(), X.compute())
    (same,), done = persist_if_fits(X, fraction=1e-12)  # streamed: lazy, graph optimised
    assert not done and same.__dask_keys__() == X.__dask_keys__()
    assert all(not isinstance(v, np.ndarray) for v in dict(same.__dask_graph__()).values())
    assert active_client() is None and memory_budget() > 0


def test_persist_if_fits_on_a_cluster(client):
    assert active_client() is client
    assert memory_budget(client) == 2 * 2 * 2**30  # the fixture's 2 workers x 2 GiB
    X = da.ones((1000, 4), chunks=250)
    (persisted,), done = persist_if_fits(X)
    assert done and len(client.who_has(persisted)) == 4


def test_as_dask_array_does_not_copy():
    X = np.arange(40.0).reshape(10, 4)
    Xd = as_dask_array(X, chunks=3)
    assert Xd.chunks == ((3, 3, 3, 1), (4,))
    (block,) = dask.compute(Xd.to_delayed().ravel()[1], scheduler="sync")
    assert np.shares_memory(block, X)  # a kernel gets a view of the caller's array
    w = as_dask_array(np.ones(10), chunks=Xd.chunks[0])
    assert w.chunks == (Xd.chunks[0],)
    assert as_dask_array(Xd) is Xd


def test_parquet_is_sized_from_metadata_and_read_once_per_pass(tmp_path):
    """A parquet-backed frame is validated and sized without reading its data (the length comes
    from the parquet metadata, through dask's public ``len``); its block lengths come from the
    first pass when it is streamed, and a streamed pass reads each block in one fused task."""
    import dask.dataframe as dd
    import pandas as pd
    from dask.callbacks import Callback

    from dasklearn._array_checks import check_array
    from dasklearn._chunks import n_rows
    from dasklearn._passes import Passes
    from dasklearn._placement import place

    frame = pd.DataFrame({"a": np.arange(100.0), "b": np.ones(100)})
    dd.from_pandas(frame, npartitions=4).to_parquet(str(tmp_path / "p"), write_index=False)
    source = dd.read_parquet(str(tmp_path / "p"))

    tasks = []

    class Tasks(Callback):
        def _pretask(self, key, dsk, state):
            tasks.append(key)

    with Tasks(), dask.config.set(scheduler="sync"):
        X = check_array(source, ensure_all_finite=False, known_chunks=False)
        n = n_rows(source)
    assert tasks == [] and n == 100  # nothing was read
    assert X.numblocks == (4, 1) and np.isnan(X.shape[0])
    filtered = source[source.a > 9]  # lengths unknown without reading: one pass, as before
    assert check_array(filtered, ensure_all_finite=False).shape == (90, 2)

    with dask.config.set(scheduler="sync"):
        data = place(X, n_samples=n, reuse=False)
        assert data.policy == "streamed" and data.lengths is None
        runner = Passes(data)
        total = runner.run(runner.reduction(np.sum, data.X))
    assert total == frame.to_numpy().sum() and runner.n_passes == 1
    assert data.lengths == (25, 25, 25, 25)  # learned in that first pass
    (streamed,), done = persist_if_fits(data.X, fraction=1e-12)
    assert not done and len(dict(streamed.__dask_graph__())) == X.numblocks[0]  # read fused
    np.testing.assert_array_equal(streamed.compute(scheduler="sync"), frame.to_numpy())
