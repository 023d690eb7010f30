"""accuracy_score and log_loss: scikit-learn's values on every input kind, in one pass."""

from __future__ import annotations

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from dask.base import is_dask_collection

from dasklearn.metrics import accuracy_score, log_loss

KINDS = ("numpy", "pandas", "dask_array", "dask_dataframe")
RTOL = 1e-12


def as_kind(kind, *columns, chunks=13):
    """NumPy columns (1-D or 2-D, or None) as ``kind``; dask dataframes share one partitioning."""
    if kind == "numpy":
        return list(columns)
    if kind == "pandas":
        return [
            None if c is None else pd.Series(c) if c.ndim == 1 else pd.DataFrame(c) for c in columns
        ]
    if kind == "dask_array":
        return [
            None if c is None else da.from_array(c, chunks=(chunks,) + c.shape[1:]) for c in columns
        ]
    frame, names = {}, []
    for i, c in enumerate(columns):
        if c is None:
            names.append(None)
        elif c.ndim == 1:
            frame[f"c{i}"] = c
            names.append(f"c{i}")
        else:
            cols = [f"c{i}_{j}" for j in range(c.shape[1])]
            frame.update(zip(cols, c.T, strict=True))
            names.append(cols)
    n = len(next(c for c in columns if c is not None))
    ddf = dd.from_pandas(pd.DataFrame(frame), npartitions=-(-n // chunks), sort=False)
    return [None if name is None else ddf[name] for name in names]


def labels(n=101, kind="int", seed=0):
    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.integers(0, 3, n), rng.integers(0, 3, n)
    w = rng.random(n)
    if kind == "str":
        names = np.array(["ham", "eggs", "spam"], dtype=object)
        y_true, y_pred = names[y_true], names[y_pred]
    return y_true, y_pred, w


# --------------------------------------------------------------------------------------------
# accuracy
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("label_kind", ["int", "str"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("normalize", [True, False])
def test_accuracy_matches_sklearn(kind, label_kind, weighted, normalize):
    y_true, y_pred, w = labels(kind=label_kind)
    w = w if weighted else None
    expected = skm.accuracy_score(y_true, y_pred, normalize=normalize, sample_weight=w)
    yt, yp, wk = as_kind(kind, y_true, y_pred, w)
    got = accuracy_score(yt, yp, normalize=normalize, sample_weight=wk)
    assert isinstance(got, float)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)


def test_accuracy_multilabel_indicators():
    rng = np.random.default_rng(1)
    y_true, y_pred = rng.integers(0, 2, (60, 3)), rng.integers(0, 2, (60, 3))
    y_pred[::2] = y_true[::2]
    yt, yp = as_kind("dask_array", y_true, y_pred)
    assert accuracy_score(yt, yp) == skm.accuracy_score(y_true, y_pred)


def test_accuracy_compute_false_is_lazy_and_computes_together(scheduler):
    y_true, y_pred, w = labels()
    yt, yp, wk = as_kind("dask_array", y_true, y_pred, w)
    lazy = accuracy_score(yt, yp, compute=False)
    lazy_w = accuracy_score(yt, yp, sample_weight=wk, compute=False)
    assert is_dask_collection(lazy)
    a, b = dask.compute(lazy, lazy_w)
    assert a == skm.accuracy_score(y_true, y_pred)
    np.testing.assert_allclose(b, skm.accuracy_score(y_true, y_pred, sample_weight=w), rtol=RTOL)


@pytest.mark.parametrize("kind", ["dask_array", "dask_dataframe"])
def test_accuracy_on_scheduler(scheduler, kind):
    y_true, y_pred, w = labels(kind="str")
    yt, yp, wk = as_kind(kind, y_true, y_pred, w)
    expected = skm.accuracy_score(y_true, y_pred, sample_weight=w)
    np.testing.assert_allclose(accuracy_score(yt, yp, sample_weight=wk), expected, rtol=RTOL)


def test_accuracy_mixed_in_memory_and_dask():
    y_true, y_pred, w = labels()
    yt, yp, wk = as_kind("dask_array", y_true, y_pred, w)
    expected = skm.accuracy_score(y_true, y_pred, sample_weight=w)
    np.testing.assert_allclose(accuracy_score(y_true, yp, sample_weight=w), expected, rtol=RTOL)
    np.testing.assert_allclose(accuracy_score(yt, y_pred, sample_weight=wk), expected, rtol=RTOL)


def test_accuracy_different_chunks_of_the_same_length_are_rechunked():
    y_true, y_pred, _ = labels()
    got = accuracy_score(da.from_array(y_true, chunks=10), da.from_array(y_pred, chunks=17))
    assert got == skm.accuracy_score(y_true, y_pred)


def test_accuracy_empty_block():
    y_true, y_pred, w = labels(20)
    chunks = ((8, 0, 12),)
    yt, yp, wk = (da.from_array(a, chunks=chunks) for a in (y_true, y_pred, w))
    assert yt.chunks[0] == (8, 0, 12)
    expected = skm.accuracy_score(y_true, y_pred, sample_weight=w)
    np.testing.assert_allclose(accuracy_score(yt, yp, sample_weight=wk), expected, rtol=RTOL)


def test_accuracy_unknown_chunks():
    y_true, y_pred, w = labels()
    keep = w > 0.3
    yt, yp, wk = as_kind("dask_array", y_true, y_pred, w)
    mask = wk > 0.3
    yt, yp, wk = yt[mask], yp[mask], wk[mask]
    assert np.isnan(yt.shape[0])
    expected = skm.accuracy_score(y_true[keep], y_pred[keep], sample_weight=w[keep])
    np.testing.assert_allclose(accuracy_score(yt, yp, sample_weight=wk), expected, rtol=RTOL)
    # in-memory y_pred beside unknown lengths: the dask one is gathered, same answer
    got = accuracy_score(yt, y_pred[keep], sample_weight=w[keep])
    np.testing.assert_allclose(got, expected, rtol=RTOL)


def test_accuracy_filtered_dask_dataframe():
    y_true, y_pred, _ = labels()
    frame = pd.DataFrame({"t": y_true, "p": y_pred})
    ddf = dd.from_pandas(frame, npartitions=4)
    part = ddf[ddf.t > 0]
    expected = skm.accuracy_score(y_true[y_true > 0], y_pred[y_true > 0])
    assert accuracy_score(part.t, part.p) == expected


def test_accuracy_misaligned_inputs_raise():
    y = np.arange(20) % 3
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        accuracy_score(da.from_array(y, chunks=5), da.from_array(y[:-1], chunks=5))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        accuracy_score(da.from_array(y, chunks=5), y[:-1])
    a = da.from_array(y, chunks=5)
    b = da.from_array(y, chunks=4)
    with pytest.raises(ValueError, match="row blocks"):  # unknown lengths: blocks compared
        accuracy_score(a[a >= 0], b[b >= 0])
    ddf_a = dd.from_pandas(pd.DataFrame({"y": y}), npartitions=2)
    ddf_b = dd.from_pandas(pd.DataFrame({"y": y}), npartitions=3)
    with pytest.raises(ValueError, match="partitions"):
        accuracy_score(ddf_a.y, ddf_b.y)


def test_accuracy_block_length_mismatch_raises_when_read():
    a = da.from_array(np.arange(10) % 2, chunks=5)
    b = da.from_array(np.arange(10) % 2, chunks=(4, 6))
    lazy = accuracy_score(a[a >= 0], b[b >= 0], compute=False)  # same block count
    with pytest.raises(ValueError, match="do not line up"):
        lazy.compute()


def test_accuracy_refuses_what_sklearn_refuses():
    y = da.from_array(np.array([0.0, 1.0, 2.0, 1.0]), chunks=2)
    with pytest.raises(ValueError, match="continuous"):
        accuracy_score(y, y + 0.5)
    with pytest.raises(ValueError, match="Mix of label input types"):
        accuracy_score(da.from_array(np.array(["a", "b"], dtype=object), chunks=1), y[:2])
    with pytest.raises(ValueError, match="multiclass-multioutput"):
        two_d = da.from_array(np.array([[0, 2], [1, 1]]), chunks=1)
        accuracy_score(two_d, two_d)
    with pytest.raises(ValueError, match="NaN"):
        accuracy_score(y, y * np.nan)
    with pytest.raises(ZeroDivisionError, match="Weights sum to zero"):
        accuracy_score(y, y, sample_weight=da.zeros(4, chunks=2))


# --------------------------------------------------------------------------------------------
# log loss
# --------------------------------------------------------------------------------------------


def probabilities(n=101, k=3, seed=0, label_kind="int"):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, n)
    proba = rng.dirichlet(np.ones(k), n)
    proba[:3, 0] = 0.0  # clipped rows
    proba[:3] /= proba[:3].sum(axis=1, keepdims=True)
    if label_kind == "str":
        y_true = np.array(["ham", "spam", "eggs", "foo"][:k], dtype=object)[y_true]
    return y_true, proba, rng.random(n)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("label_kind", ["int", "str"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("normalize", [True, False])
def test_log_loss_matches_sklearn(kind, label_kind, weighted, normalize):
    y_true, proba, w = probabilities(label_kind=label_kind)
    w = w if weighted else None
    expected = skm.log_loss(y_true, proba, normalize=normalize, sample_weight=w)
    yt, p, wk = as_kind(kind, y_true, proba, w)
    got = log_loss(yt, p, normalize=normalize, sample_weight=wk)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)


@pytest.mark.parametrize("kind", ["dask_array", "dask_dataframe"])
def test_log_loss_binary_positive_class_column(kind):
    y_true, proba, w = probabilities(k=2)
    expected = skm.log_loss(y_true, proba[:, 1], sample_weight=w)
    yt, p, wk = as_kind(kind, y_true, proba[:, 1], w)
    np.testing.assert_allclose(log_loss(yt, p, sample_weight=wk), expected, rtol=RTOL)


def test_log_loss_labels_argument():
    y_true, proba, _ = probabilities(k=4)
    present = y_true != 3  # a label the data never holds, declared through labels
    y_true, proba = y_true[present], proba[present]
    yt, p = as_kind("dask_array", y_true, proba)
    expected = skm.log_loss(y_true, proba, labels=[0, 1, 2, 3])
    np.testing.assert_allclose(log_loss(yt, p, labels=[0, 1, 2, 3]), expected, rtol=RTOL)
    with pytest.raises(ValueError, match="different number of classes"):
        log_loss(yt, p)
    with pytest.raises(ValueError, match="not belonging to the passed labels"):
        log_loss(yt, p, labels=[0, 1, 5, 7])
    with pytest.warns(UserWarning, match="ordered lexicographically"):
        log_loss(yt, p, labels=[3, 2, 1, 0])


def test_log_loss_eps_for_dask_ml_compatibility():
    y_true, proba, _ = probabilities()
    transformed = np.eye(3)[y_true]
    expected = -(transformed * np.log(np.clip(proba, 1e-7, 1 - 1e-7))).sum(axis=1).mean()
    yt, p = as_kind("dask_array", y_true, proba)
    np.testing.assert_allclose(log_loss(yt, p, eps=1e-7), expected, rtol=RTOL)
    np.testing.assert_allclose(log_loss(y_true, proba, eps=1e-7), expected, rtol=RTOL)
    with pytest.raises(ValueError, match="eps"):
        log_loss(yt, p, eps=0.7)


def test_log_loss_errors_and_warnings():
    yt = da.from_array(np.array([1, 1, 1, 1]), chunks=2)
    p = da.from_array(np.full((4, 2), 0.5), chunks=2)
    with pytest.raises(ValueError, match="only one label"):
        log_loss(yt, p)
    two = da.from_array(np.array([0, 1, 0, 1]), chunks=2)
    with pytest.raises(ValueError, match="greater than 1"):
        log_loss(two, p * 3)
    with pytest.warns(UserWarning, match="do not sum to one"):
        log_loss(two, p * 0.9)


def test_log_loss_empty_block_unknown_chunks_and_scheduler(scheduler):
    y_true, proba, w = probabilities()
    yt, p, wk = as_kind("dask_array", y_true, proba, w)
    keep = w > 0.5
    mask = wk > 0.5
    got = log_loss(yt[mask], p[mask], sample_weight=wk[mask])
    expected = skm.log_loss(y_true[keep], proba[keep], sample_weight=w[keep])
    np.testing.assert_allclose(got, expected, rtol=RTOL)
    yt = da.from_array(y_true, chunks=((40, 0, 61),))
    p = da.from_array(proba, chunks=((40, 0, 61), (3,)))
    np.testing.assert_allclose(log_loss(yt, p), skm.log_loss(y_true, proba), rtol=RTOL)
