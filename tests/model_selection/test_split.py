"""Splitters: exact sizes, aligned collections, scikit-learn's splits for in-memory input."""

from __future__ import annotations

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import sklearn.model_selection as ms

from dasklearn.model_selection import (
    KFold,
    ShuffleSplit,
    check_cv,
    compute_n_splits,
    train_test_split,
)
from dasklearn.model_selection._blocks import allocate, split_sizes

N = 230


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = np.column_stack([np.arange(N, dtype=float), rng.normal(size=N)])
    y = np.arange(N) % 3
    return X, y, da.from_array(X, chunks=(50, 2)), da.from_array(y, chunks=50)


@pytest.mark.parametrize(
    "test_size, train_size",
    [(None, None), (0.25, None), (None, 0.6), (0.2, 0.5), (17, None), (None, 100), (30, 120)],
)
def test_sizes_are_scikit_learns(data, test_size, train_size):
    X, y, Xd, yd = data
    sk = ms.train_test_split(
        X,
        test_size=0.1 if test_size is train_size is None else test_size,
        train_size=train_size,
        random_state=0,
    )
    out = train_test_split(Xd, yd, test_size=test_size, train_size=train_size, random_state=0)
    assert [a.shape[0] for a in out] == [len(sk[0]), len(sk[1]), len(sk[0]), len(sk[1])]
    Xtr, Xte, ytr, yte = dask.compute(*out)
    assert len(Xtr) == len(sk[0]) and len(Xte) == len(sk[1])
    assert np.array_equal(Xtr[:, 0].astype(int) % 3, ytr)  # X and y keep the same rows
    assert np.array_equal(Xte[:, 0].astype(int) % 3, yte)
    assert not set(Xtr[:, 0]) & set(Xte[:, 0])


def test_blockwise_and_the_same_on_every_scheduler(data, scheduler):
    _, _, Xd, yd = data
    Xtr, Xte = train_test_split(Xd, test_size=0.2, random_state=4)
    assert Xte.chunks[0] == (10, 10, 10, 10, 6) and Xtr.chunks[0] == (40, 40, 40, 40, 24)
    got = dask.compute(Xtr, Xte)
    with dask.config.set(scheduler="sync"):
        ref = dask.compute(*train_test_split(Xd, test_size=0.2, random_state=4))
    for a, b in zip(got, ref, strict=True):
        np.testing.assert_array_equal(a, b)
    for k, block in enumerate(np.split(got[1][:, 0], np.cumsum(Xte.chunks[0])[:-1])):
        assert ((block >= 50 * k) & (block < 50 * (k + 1))).all()  # rows stay in their block


def test_dataframes_keep_index_and_exact_sizes(data):
    X, y, *_ = data
    frame = pd.DataFrame(X, columns=["a", "b"], index=np.arange(N) * 10)
    frame["y"] = y
    ddf = dd.from_pandas(frame, npartitions=4)
    Xtr, Xte, ytr, yte = train_test_split(ddf[["a", "b"]], ddf["y"], test_size=31, random_state=1)
    assert isinstance(Xtr, dd.DataFrame) and isinstance(yte, dd.Series)
    Xtr, Xte, ytr, yte = dask.compute(Xtr, Xte, ytr, yte)
    assert (len(Xtr), len(Xte)) == (N - 31, 31)
    assert Xte.index.equals(yte.index) and Xtr.index.equals(ytr.index)
    pd.testing.assert_frame_equal(Xte, frame.loc[Xte.index, ["a", "b"]])


def test_mixed_and_in_memory_companions(data):
    X, y, Xd, _ = data
    ddf = dd.from_dask_array(Xd, columns=["a", "b"])
    Xtr, _, ytr, _ = train_test_split(ddf, y, random_state=0)
    Xtr, ytr = Xtr.compute(), ytr.compute()
    assert np.array_equal(Xtr["a"].to_numpy().astype(int) % 3, ytr)
    out = train_test_split(Xd, ddf["a"], convert_mixed_types=True, random_state=0)
    assert all(isinstance(a, da.Array) for a in out)
    a_tr, _, b_tr, _ = dask.compute(*out)
    np.testing.assert_array_equal(a_tr[:, 0], b_tr)


def test_stratify(data):
    X, y, Xd, yd = data
    Xtr, Xte, ytr, yte = dask.compute(
        *train_test_split(Xd, yd, test_size=0.3, stratify=yd, random_state=0)
    )
    sk = ms.train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    assert len(yte) == len(sk[3]) and len(ytr) == len(sk[2])
    assert np.abs(np.bincount(yte) - np.bincount(sk[3])).max() <= 1
    assert np.array_equal(Xte[:, 0].astype(int) % 3, yte)
    with pytest.raises(ValueError, match="not in classes"):
        train_test_split(Xd, stratify=yd, classes=[0, 1])


def test_no_shuffle_and_in_memory_are_scikit_learns(data):
    X, y, Xd, yd = data
    got = dask.compute(*train_test_split(Xd, yd, shuffle=False, test_size=0.25))
    for a, b in zip(got, ms.train_test_split(X, y, shuffle=False, test_size=0.25), strict=True):
        np.testing.assert_array_equal(a, b)
    mem = train_test_split(X, y, random_state=3)
    for a, b in zip(mem, ms.train_test_split(X, y, test_size=0.1, random_state=3), strict=True):
        np.testing.assert_array_equal(a, b)


def test_unknown_chunk_lengths(data):
    X, _, Xd, _ = data
    unknown = dd.from_dask_array(Xd).to_dask_array()
    assert np.isnan(unknown.shape[0])
    Xtr, Xte = train_test_split(unknown, test_size=0.5, random_state=0)
    assert Xtr.shape == (115, 2) and Xte.compute().shape == (115, 2)


def test_errors(data):
    _, _, Xd, yd = data
    with pytest.raises(NotImplementedError):
        train_test_split(Xd, blockwise=False)
    with pytest.raises(ValueError, match="test_size=1.5"):
        train_test_split(Xd, test_size=1.5)
    with pytest.raises(ValueError, match="same row blocks"):
        train_test_split(Xd, yd.rechunk(60))
    with pytest.raises(TypeError, match="Unexpected options"):
        train_test_split(Xd, foo=1)
    with pytest.raises(ValueError, match="shuffle=False"):
        train_test_split(Xd, yd, shuffle=False, stratify=yd)


def test_kfold(data):
    X, _, Xd, _ = data
    for (tr, te), (str_, ste) in zip(KFold(4).split(Xd), ms.KFold(4).split(X), strict=True):
        np.testing.assert_array_equal(tr.compute(), str_)
        np.testing.assert_array_equal(te.compute(), ste)
    folds = [te.compute() for _, te in KFold(4, shuffle=True, random_state=0).split(Xd)]
    assert [len(f) for f in folds] == [58, 58, 57, 57]
    np.testing.assert_array_equal(np.sort(np.concatenate(folds)), np.arange(N))
    for (_, a), (_, b) in zip(
        ms.KFold(3, shuffle=True, random_state=1).split(X),
        KFold(3, shuffle=True, random_state=1).split(X),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)  # in-memory input: scikit-learn's folds
    with pytest.raises(ValueError, match="n_splits"):
        next(KFold(1).split(Xd))


def test_shuffle_split(data):
    X, _, Xd, _ = data
    splits = list(ShuffleSplit(3, test_size=0.2, random_state=0).split(Xd))
    assert len(splits) == 3
    tests = [te.compute() for _, te in splits]
    assert all(len(t) == 46 for t in tests) and not np.array_equal(tests[0], tests[1])
    again = [te.compute() for _, te in ShuffleSplit(3, test_size=0.2, random_state=0).split(Xd)]
    assert all(np.array_equal(a, b) for a, b in zip(tests, again, strict=True))
    with pytest.raises(NotImplementedError):
        next(ShuffleSplit(blockwise=False).split(Xd))
    with pytest.raises(ValueError, match="boolean"):
        next(ShuffleSplit(blockwise="yes").split(Xd))
    sk = ms.ShuffleSplit(2, random_state=0).split(X)
    for (a, _), (c, _) in zip(sk, ShuffleSplit(2, random_state=0).split(X), strict=True):
        np.testing.assert_array_equal(a, c)


def test_check_cv_and_n_splits(data):
    X, y, Xd, yd = data
    assert isinstance(check_cv(None, yd, classifier=True), ms.StratifiedKFold)
    assert check_cv(None).n_splits == 3
    assert isinstance(check_cv(4, yd.astype(float) + 0.5), KFold)
    assert isinstance(check_cv(ms.GroupKFold(2)), ms.GroupKFold)
    assert compute_n_splits(ms.RepeatedKFold(n_splits=2, n_repeats=3), X) == 6
    assert compute_n_splits(ms.StratifiedKFold(4), Xd, yd) == 4
    assert compute_n_splits(ms.PredefinedSplit([0, 1, 1, 0]), Xd) == 2
    assert compute_n_splits(ms.LeaveOneOut(), X[:7], yd) == 7


def test_allocation_is_exact():
    sizes = allocate(10, np.array([3, 3, 3, 1]))
    assert sizes.sum() == 10 and (sizes <= [3, 3, 3, 1]).all()
    assert split_sizes(10, 0.25, None) == (7, 3)
    assert split_sizes(10, None, 0.25) == (2, 8)


@pytest.mark.parametrize("X", [np.ones((10, 2)), da.ones((10, 2), chunks=5)])
def test_bad_shuffle_and_cv_are_named(X):
    with pytest.raises(ValueError, match="shuffle must be True or False, got 'x'"):
        train_test_split(X, shuffle="x")
    with pytest.raises(TypeError, match="cv must be a cross-validator.*'nope'"):
        compute_n_splits("nope", X)
