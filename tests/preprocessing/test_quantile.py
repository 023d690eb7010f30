"""QuantileTransformer against scikit-learn: exact up to ``subsample`` rows, within the stated
bound beyond; the one-pass bottom-k sample; errors."""

from __future__ import annotations

import pickle
import warnings

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import sklearn.preprocessing as skp
from scipy import stats
from support import output_type

import dasklearn._passes as PASSES
from dasklearn.exceptions import InvalidParameterError
from dasklearn.preprocessing import QuantileTransformer
from dasklearn.preprocessing._num_kernels import merge_samples, sample_rows
from dasklearn.preprocessing._quantile import dkw_bound

RTOL = 1e-10


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [rng.standard_normal(n), rng.exponential(size=n), rng.integers(0, 10, n).astype(float)]
    )
    X[rng.random(X.shape) < 0.03] = np.nan
    return X


def _values(out):
    return np.asarray(out.compute() if dask.is_dask_collection(out) else out)


@pytest.mark.parametrize("dist", ["uniform", "normal"])
def test_exact_when_every_row_is_sampled(input_kind, as_kind, scheduler, dist):
    """At most ``subsample`` rows: the sample is all of X, and the model is scikit-learn's."""
    X = _data(400)
    sk = skp.QuantileTransformer(n_quantiles=100, output_distribution=dist).fit(X)
    Xk = as_kind(input_kind, X, chunks=90)
    model = QuantileTransformer(n_quantiles=100, output_distribution=dist).fit(Xk)
    np.testing.assert_allclose(model.quantiles_, sk.quantiles_, rtol=RTOL)
    np.testing.assert_array_equal(model.references_, sk.references_)
    assert model.n_quantiles_ == sk.n_quantiles_
    out = model.transform(Xk)
    assert isinstance(out, output_type(input_kind, 2))
    np.testing.assert_allclose(_values(out), sk.transform(X), rtol=RTOL, atol=1e-12)
    back = model.inverse_transform(out)
    assert isinstance(back, output_type(input_kind, 2))
    np.testing.assert_allclose(
        _values(back), sk.inverse_transform(sk.transform(X)), rtol=RTOL, atol=1e-12
    )
    if input_kind == "dask_dataframe":
        assert list(out.columns) == list(Xk.columns)


def test_in_memory_uses_scikit_learns_draw():
    X = _data(30_000)
    for seed in (0, 1):
        sk = skp.QuantileTransformer(random_state=seed).fit(X)
        model = QuantileTransformer(random_state=seed).fit(pd.DataFrame(X))
        np.testing.assert_array_equal(model.quantiles_, sk.quantiles_)


@pytest.mark.parametrize("dist", ["uniform", "normal"])
def test_sampled_quantiles_within_the_stated_bound(dist):
    """More rows than ``subsample``: both are uniform samples of ``subsample`` rows, each within
    ``eps + 1 / (n_quantiles - 1)`` of the data's empirical CDF (probability 0.999 each)."""
    X = _data(60_000, seed=1)
    sk = skp.QuantileTransformer(output_distribution=dist, random_state=0).fit(X)
    model = QuantileTransformer(output_distribution=dist, random_state=0)
    with dask.config.set(scheduler="threads"):
        model.fit(da.from_array(X, chunks=(7_000, 3)))
    bound = dkw_bound(10_000) + 1 / (model.n_quantiles_ - 1)
    ours, theirs = model.transform(X), sk.transform(X)
    if dist == "normal":
        ours, theirs = stats.norm.cdf(ours), stats.norm.cdf(theirs)
    assert np.nanmax(np.abs(ours - theirs)) <= 2 * bound
    # against the exact empirical CDF of the continuous columns (no ties)
    for j in (0, 1):
        col = X[:, j][~np.isnan(X[:, j])]
        ecdf = np.searchsorted(np.sort(col), col, side="right") / len(col)
        got = ours[:, j][~np.isnan(X[:, j])]
        assert np.max(np.abs(got - ecdf)) <= bound + 1 / len(col)


def test_one_pass_and_same_model_on_any_scheduler(monkeypatch, client):
    X = da.from_array(_data(40_000), chunks=(3_000, 3))
    passes = []
    original = PASSES.compute
    monkeypatch.setattr(PASSES, "compute", lambda *g: (passes.append(1), original(*g))[1])
    on_cluster = QuantileTransformer(random_state=3).fit(X)
    assert len(passes) == 1
    with dask.config.set(scheduler="threads"):
        on_threads = QuantileTransformer(random_state=3).fit(X)
    np.testing.assert_array_equal(on_cluster.quantiles_, on_threads.quantiles_)
    other = QuantileTransformer(random_state=4).fit(X)
    assert not np.array_equal(other.quantiles_, on_cluster.quantiles_)


def test_bottom_k_sample_is_uniform_and_merge_order_free():
    X = np.arange(1000.0)[:, None]
    parts = [sample_rows(X[i : i + 100], i // 100, 7, 50) for i in range(0, 1000, 100)]
    forward = parts[0]
    for p in parts[1:]:
        forward = merge_samples(forward, p, 50)
    backward = parts[-1]
    for p in parts[-2::-1]:
        backward = merge_samples(p, backward, 50)
    assert forward["n"] == 1000 and len(forward["rows"]) == 50
    assert set(forward["rows"][:, 0]) == set(backward["rows"][:, 0])
    # uniform: the mean rank of many draws is close to the middle
    means = [
        np.mean(sample_rows(X, 0, seed, 50)["rows"]) for seed in range(200)
    ]  # a 50-row sample of 0..999: sd of the mean ~ 40 / sqrt(200) = 2.9
    assert abs(np.mean(means) - 499.5) < 15


def test_errors():
    X = _data(100)
    with pytest.raises(ValueError, match="number of quantiles cannot be greater"):
        QuantileTransformer(n_quantiles=200, subsample=100).fit(X)
    with pytest.raises(ValueError, match="subsample=None"):
        QuantileTransformer(subsample=None).fit(da.from_array(X, chunks=50))
    with pytest.raises(InvalidParameterError, match="output_distribution"):
        QuantileTransformer(output_distribution="cauchy").fit(X)
    with pytest.warns(UserWarning, match="n_quantiles is set to n_samples"):
        model = QuantileTransformer(n_quantiles=500).fit(da.from_array(X, chunks=50))
    assert model.n_quantiles_ == 100
    bad = X.copy()
    bad[3, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        QuantileTransformer().fit(da.from_array(bad, chunks=50))
    with pytest.raises(ValueError, match="infinity"):
        model.transform(da.from_array(bad, chunks=50)).compute()
    frame = dd.from_pandas(pd.DataFrame(X, columns=list("abc")), npartitions=2)
    model = QuantileTransformer(n_quantiles=10).fit(frame)
    with pytest.raises(ValueError, match="feature names"):
        model.transform(frame.rename(columns={"a": "z"}))


def test_subsample_none_in_memory_and_pickle():
    X = _data(3000)
    frame = pd.DataFrame(X, columns=list("abc"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = QuantileTransformer(subsample=None, n_quantiles=50).fit(frame)
    sk = skp.QuantileTransformer(subsample=None, n_quantiles=50).fit(X)
    np.testing.assert_array_equal(model.quantiles_, sk.quantiles_)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.transform(frame), model.transform(frame))
    out = model.set_output(transform="pandas").transform(frame)
    assert list(out.columns) == list("abc")
