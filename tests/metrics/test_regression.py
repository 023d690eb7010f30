"""Regression metrics: scikit-learn's values on every input kind, in one pass."""

from __future__ import annotations

import warnings

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from dask.base import is_dask_collection
from sklearn.exceptions import UndefinedMetricWarning

from dasklearn.metrics import (
    get_scorer,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_log_error,
    r2_score,
)

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


def targets(n=101, k=1, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    y_true = np.abs(rng.normal(size=(n, k))) * 3 + offset
    y_pred = np.abs(y_true + rng.normal(size=(n, k)))
    if k == 1:
        y_true, y_pred = y_true[:, 0], y_pred[:, 0]
    return y_true, y_pred, rng.random(n)


#: ours, scikit-learn's, extra keyword arguments of ours
METRICS = {
    "mse": (mean_squared_error, skm.mean_squared_error, {}),
    "rmse": (mean_squared_error, skm.root_mean_squared_error, {"squared": False}),
    "mae": (mean_absolute_error, skm.mean_absolute_error, {}),
    "mape": (mean_absolute_percentage_error, skm.mean_absolute_percentage_error, {}),
    "msle": (mean_squared_log_error, skm.mean_squared_log_error, {}),
    "r2": (r2_score, skm.r2_score, {}),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("metric", list(METRICS))
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_sklearn(kind, metric, weighted):
    ours, theirs, kwargs = METRICS[metric]
    y_true, y_pred, w = targets()
    w = w if weighted else None
    expected = theirs(y_true, y_pred, sample_weight=w)
    yt, yp, wk = as_kind(kind, y_true, y_pred, w)
    got = ours(yt, yp, sample_weight=wk, **kwargs)
    assert isinstance(got, float)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)


@pytest.mark.parametrize("kind", ["dask_array", "dask_dataframe"])
@pytest.mark.parametrize("metric", list(METRICS))
@pytest.mark.parametrize("multioutput", ["raw_values", "uniform_average", "weights"])
def test_multioutput_matches_sklearn(kind, metric, multioutput):
    ours, theirs, kwargs = METRICS[metric]
    y_true, y_pred, w = targets(k=3)
    multioutput = [0.2, 0.5, 0.3] if multioutput == "weights" else multioutput
    expected = theirs(y_true, y_pred, sample_weight=w, multioutput=multioutput)
    yt, yp, wk = as_kind(kind, y_true, y_pred, w)
    got = ours(yt, yp, sample_weight=wk, multioutput=multioutput, **kwargs)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)


@pytest.mark.parametrize("kind", ["dask_array", "dask_dataframe"])
def test_r2_variance_weighted(kind):
    y_true, y_pred, w = targets(k=3)
    y_true[:, 1] *= 10
    expected = skm.r2_score(y_true, y_pred, sample_weight=w, multioutput="variance_weighted")
    yt, yp, wk = as_kind(kind, y_true, y_pred, w)
    got = r2_score(yt, yp, sample_weight=wk, multioutput="variance_weighted")
    np.testing.assert_allclose(got, expected, rtol=RTOL)


@pytest.mark.parametrize("offset", [1e8, 1e12])
def test_r2_of_a_large_offset_target_is_accurate(offset):
    # blocks keep their mean relative to one of their values, so the offset cancels exactly
    y_true, y_pred, w = targets(n=1000, offset=offset)
    yt, yp, wk = as_kind("dask_array", y_true, y_pred, w, chunks=37)
    yl, pl, wl = (np.asarray(v, dtype=np.longdouble) for v in (y_true, y_pred, w))
    mean = (wl * yl).sum() / wl.sum()
    exact = float(1 - (wl * (yl - pl) ** 2).sum() / (wl * (yl - mean) ** 2).sum())
    np.testing.assert_allclose(r2_score(yt, yp, sample_weight=wk), exact, rtol=1e-14)
    if offset == 1e8:  # scikit-learn is exact here too (at 1e12 it is off by ~1e-9)
        expected = skm.r2_score(y_true, y_pred, sample_weight=w)
        np.testing.assert_allclose(r2_score(yt, yp, sample_weight=wk), expected, rtol=RTOL)


def test_r2_constant_target_is_recognised_exactly():
    # scikit-learn's rounded mean of [0.1] * 3 leaves a variance of ~1e-34 and scores -5e31;
    # dasklearn sees the constant and applies the force_finite convention: 0
    y = da.from_array(np.full(3, 0.1), chunks=2)
    assert r2_score(y, y + 0.1) == 0.0
    assert r2_score(y, y) == 1.0


def test_r2_constant_target_conventions():
    y_true = np.column_stack([np.full(10, 3.0), np.full(10, 3.0), np.arange(10.0)])
    y_pred = y_true.copy()
    y_pred[:, 1] += 1.0  # imperfect prediction of a constant target
    y_pred[:, 2] += 0.5
    yt, yp = as_kind("dask_array", y_true, y_pred, chunks=3)
    for force_finite in (True, False):
        for multioutput in ("raw_values", "uniform_average", "variance_weighted"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                expected = skm.r2_score(
                    y_true, y_pred, multioutput=multioutput, force_finite=force_finite
                )
            got = r2_score(yt, yp, multioutput=multioutput, force_finite=force_finite)
            np.testing.assert_allclose(got, expected, rtol=RTOL)
    # every output constant: variance_weighted falls back to uniform weights
    yt, yp = as_kind("dask_array", y_true[:, :2], y_pred[:, :2], chunks=3)
    expected = skm.r2_score(y_true[:, :2], y_pred[:, :2], multioutput="variance_weighted")
    assert r2_score(yt, yp, multioutput="variance_weighted") == expected == 0.5


def test_r2_single_sample_is_nan_with_a_warning():
    y = da.from_array(np.array([1.0]), chunks=1)
    with pytest.warns(UndefinedMetricWarning, match="less than two samples"):
        assert np.isnan(r2_score(y, y))


def test_mape_zero_targets_use_sklearn_epsilon():
    y_true, y_pred, w = targets()
    y_true[::7] = 0.0
    yt, yp, wk = as_kind("dask_array", y_true, y_pred, w)
    expected = skm.mean_absolute_percentage_error(y_true, y_pred, sample_weight=w)
    got = mean_absolute_percentage_error(yt, yp, sample_weight=wk)
    np.testing.assert_allclose(got, expected, rtol=RTOL)


class _Identity:
    """An 'estimator' predicting its first column."""

    def predict(self, X):
        return X[:, 0]


def test_msle_refuses_values_at_or_below_minus_one():
    y = da.from_array(np.array([0.0, 1.0, -1.0, 2.0]), chunks=2)
    lazy = mean_squared_log_error(y, abs(y), compute=False)  # raised when read
    with pytest.raises(ValueError, match="^Mean Squared Logarithmic .* equal to -1"):
        lazy.compute()
    scorer = get_scorer("neg_root_mean_squared_log_error")
    with pytest.raises(ValueError, match="^Root Mean Squared Logarithmic"):
        scorer(_Identity(), y[:, None], y)


def test_errors_before_and_at_compute():
    y_true, y_pred, _ = targets(k=2)
    yt, yp = as_kind("dask_array", y_true, y_pred)
    with pytest.raises(ValueError, match="different number of output"):
        mean_squared_error(yt, yp[:, 0])
    with pytest.raises(ValueError, match="multioutput"):
        mean_squared_error(yt, yp, multioutput="variance_weighted")
    with pytest.raises(ValueError, match="equally many custom weights"):
        mean_absolute_error(yt, yp, multioutput=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="only in multi-output"):
        r2_score(yt[:, 0], yp[:, 0], multioutput=[1.0])
    with pytest.raises(ValueError, match="NaN or infinity"):
        mean_squared_error(yt, yp * np.nan)
    with pytest.raises(ZeroDivisionError, match="Weights sum to zero"):
        mean_squared_error(yt, yp, sample_weight=da.zeros(len(y_true), chunks=13))
    with pytest.raises(ValueError, match="numbers are needed"):
        mean_squared_error(da.from_array(np.array(["a", "b"], dtype=object), chunks=1), yp[:2, 0])


def test_compute_false_passes_compute_together(scheduler):
    y_true, y_pred, w = targets(k=2)
    yt, yp, wk = as_kind("dask_array", y_true, y_pred, w)
    lazy = [
        mean_squared_error(yt, yp, sample_weight=wk, compute=False),
        r2_score(yt, yp, multioutput="raw_values", compute=False),
    ]
    assert all(is_dask_collection(x) for x in lazy)
    mse, r2 = dask.compute(*lazy)
    np.testing.assert_allclose(
        mse, skm.mean_squared_error(y_true, y_pred, sample_weight=w), rtol=RTOL
    )
    np.testing.assert_allclose(r2, skm.r2_score(y_true, y_pred, multioutput="raw_values"))


@pytest.mark.parametrize("kind", ["dask_array", "dask_dataframe"])
@pytest.mark.parametrize("metric", ["mse", "r2", "mape"])
def test_on_scheduler(scheduler, kind, metric):
    ours, theirs, kwargs = METRICS[metric]
    y_true, y_pred, w = targets()
    yt, yp, wk = as_kind(kind, y_true, y_pred, w)
    expected = theirs(y_true, y_pred, sample_weight=w)
    np.testing.assert_allclose(ours(yt, yp, sample_weight=wk, **kwargs), expected, rtol=RTOL)


def test_empty_blocks_and_unknown_chunks(scheduler):
    y_true, y_pred, w = targets()
    chunks = ((30, 0, 71),)
    yt, yp, wk = (da.from_array(a, chunks=chunks) for a in (y_true, y_pred, w))
    expected = skm.r2_score(y_true, y_pred, sample_weight=w)
    np.testing.assert_allclose(r2_score(yt, yp, sample_weight=wk), expected, rtol=RTOL)
    keep = y_true > 2
    mask = yt > 2  # unknown chunk lengths, some blocks emptied
    got = r2_score(yt[mask], yp[mask], sample_weight=wk[mask])
    expected = skm.r2_score(y_true[keep], y_pred[keep], sample_weight=w[keep])
    np.testing.assert_allclose(got, expected, rtol=RTOL)
    got = mean_absolute_error(yt[mask], y_pred[keep])  # in-memory beside unknown: gathered
    np.testing.assert_allclose(got, skm.mean_absolute_error(y_true[keep], y_pred[keep]))


def test_filtered_dask_dataframe_and_estimator_predictions():
    from dasklearn.linear_model import LinearRegression

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    frame["y"] = frame @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=200)
    ddf = dd.from_pandas(frame, npartitions=5)
    part = ddf[ddf.a > -0.5]
    model = LinearRegression().fit(frame[["a", "b", "c"]], frame["y"])
    y_pred = model.predict(part[["a", "b", "c"]])  # a dask Series in part's partitions
    local = frame[frame.a > -0.5]
    expected = skm.r2_score(local["y"], model.predict(local[["a", "b", "c"]]))
    np.testing.assert_allclose(r2_score(part["y"], y_pred), expected, rtol=RTOL)
    X = da.from_array(frame[["a", "b", "c"]].to_numpy(), chunks=(40, 3))
    y_pred = model.predict(X)  # a dask array in X's row chunks, beside in-memory y
    expected = skm.mean_squared_error(frame["y"], model.predict(frame[["a", "b", "c"]].values))
    np.testing.assert_allclose(mean_squared_error(frame["y"], y_pred), expected, rtol=RTOL)
