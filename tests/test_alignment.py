"""Data that travelled (scattered, moved between workers, embedded in a graph) arrive as views
into a message buffer, most of them misaligned, where NumPy runs 3-4x slower and does not call
BLAS. Every worker-side entry that reads such data hands estimators and kernels aligned memory:
``_blockwise.aligned`` and its callers."""

from __future__ import annotations

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import SGDClassifier
from support import misaligned

from dasklearn._blockwise import aligned
from dasklearn.model_selection._adaptive_kernels import partial_fit_steps, score_step
from dasklearn.model_selection._plan import Stream, fit_leaves, fit_stage, refit
from dasklearn.wrappers import Incremental, ParallelPostFit

SEEN: list[tuple[int, str]] = []


def _record(X):
    X = np.asarray(X)  # as scikit-learn reads a frame: a view of its block
    SEEN.append((X.ctypes.data % 16, "C" if X.flags.c_contiguous else "F"))


class Recorder(ClassifierMixin, BaseEstimator):
    """Records the alignment and layout of every X it is given."""

    def fit(self, X, y=None):
        _record(X)
        self.classes_ = np.array([0, 1])
        return self

    def partial_fit(self, X, y=None, classes=None):
        return self.fit(X, y)

    def transform(self, X):
        _record(X)
        return X

    def predict(self, X):
        _record(X)
        return np.zeros(len(X), dtype=int)

    def score(self, X, y):
        _record(X)
        return 1.0


@pytest.fixture(autouse=True)
def _fresh():
    SEEN.clear()


def _data(n=60, d=3):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, d)), (rng.random(n) > 0.5).astype(int)


def test_aligned_copies_misaligned_arrays_only():
    X, _ = _data()
    assert aligned(X) is X
    assert aligned(None) is None
    bad = misaligned(X)
    for c_order in (True, False):
        out = aligned(bad, c_order=c_order)
        assert out.ctypes.data % 16 == 0 and out.flags.c_contiguous
        np.testing.assert_array_equal(out, X)
    fortran = misaligned(np.asfortranarray(X).T).T  # misaligned and Fortran-ordered
    assert aligned(fortran, c_order=False).flags.f_contiguous
    assert aligned(fortran).flags.c_contiguous
    aligned_fortran = np.asfortranarray(X)
    assert aligned(aligned_fortran, c_order=False) is aligned_fortran
    assert aligned(aligned_fortran).flags.c_contiguous


def _stream(X, y):
    Xm, ym = misaligned(X), misaligned(y)
    return Stream(Xm, misaligned(X[:10]), Xm, ym, misaligned(y[:10]), {}, [])


def test_search_tasks_realign_a_stream_from_another_worker():
    X, y = _data()
    stream = _stream(X, y)
    out = fit_stage(stream, None, ("rec", Recorder(), {}), False, np.nan)
    assert out.X_fit.ctypes.data % 16 == 0 and out.X_test.ctypes.data % 16 == 0
    records = fit_leaves(stream, None, [(0, None, Recorder(), {})], None, None, True, False, 0.0)
    assert records[0][5] is None  # no fit error
    assert SEEN and all(offset == 0 for offset, _ in SEEN)


def test_refit_realigns_scattered_data():
    X, y = _data()
    refit(Recorder(), {}, misaligned(X), misaligned(y), {})
    assert SEEN == [(0, "C")]


def test_adaptive_search_kernels_realign_blocks():
    X, y = _data()
    state = (Recorder(), 0, 0.0)
    state = partial_fit_steps(state, {}, misaligned(X), misaligned(y))
    score_step(state, misaligned(X), misaligned(y), None)
    assert SEEN == [(0, "C"), (0, "C")]


def _misaligned_block(block):
    return misaligned(np.ascontiguousarray(block))


def test_incremental_realigns_blocks():
    X, y = _data()
    dX = da.from_array(X, chunks=20).map_blocks(_misaligned_block, dtype=X.dtype)
    dy = da.from_array(y, chunks=20)
    Incremental(Recorder()).fit(dX, dy, classes=[0, 1])
    assert len(SEEN) == 3 and all(offset == 0 for offset, _ in SEEN)


def _misaligned_frame(part):
    values = misaligned(part.to_numpy())
    frame = pd.DataFrame(values, index=part.index, columns=part.columns, copy=False)
    assert np.asarray(frame).ctypes.data % 16  # the frame is a view of the misaligned block
    return frame


def test_output_layer_realigns_frame_partitions():
    X, y = _data()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    parts = dd.from_pandas(frame, npartitions=3).map_partitions(_misaligned_frame, meta=frame)
    model = ParallelPostFit(SGDClassifier(max_iter=5, tol=None)).fit(X, y)
    model.estimator_ = Recorder().fit(X, y)
    SEEN.clear()
    model.predict(parts).compute()
    assert len(SEEN) >= 3 and all(offset == 0 for offset, _ in SEEN)


def test_aligned_frames_pass_through_and_misaligned_ones_are_copied():
    X, _ = _data()
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(k=np.arange(len(X)))
    column = frame["a"]
    assert aligned(frame) is frame and aligned(column) is column
    bad = pd.DataFrame(misaligned(X), columns=["a", "b", "c"], copy=False)
    out = aligned(bad)
    assert out is not bad and np.asarray(out).ctypes.data % 16 == 0
    pd.testing.assert_frame_equal(out, bad)
    series = pd.Series(misaligned(X[:, 0]), copy=False)
    assert np.asarray(aligned(series)).ctypes.data % 16 == 0
