"""PolynomialFeatures against scikit-learn on every input kind; names, containers, errors."""

from __future__ import annotations

import pickle

import dask
import dask.array as da
import dask.dataframe as dd
import dask.threaded
import numpy as np
import pandas as pd
import pytest
import sklearn.preprocessing as skp
from support import output_type

from dasklearn.exceptions import InvalidParameterError
from dasklearn.preprocessing import PolynomialFeatures


def _data(n=120, d=3):
    return np.random.default_rng(0).standard_normal((n, d))


def _values(out):
    return np.asarray(out.compute() if dask.is_dask_collection(out) else out)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"degree": 3, "interaction_only": True}, {"degree": (2, 3), "include_bias": False}],
)
def test_matches_sklearn(input_kind, as_kind, scheduler, kwargs):
    X = _data()
    sk = skp.PolynomialFeatures(**kwargs).fit(X)  # names x0, x1, x2 as as_kind gives frames
    Xk = as_kind(input_kind, X, chunks=50)
    model = PolynomialFeatures(**kwargs).fit(Xk)
    assert model.n_output_features_ == sk.n_output_features_
    np.testing.assert_array_equal(model.powers_, sk.powers_)
    np.testing.assert_array_equal(model.get_feature_names_out(), sk.get_feature_names_out())
    out = model.transform(Xk)
    assert isinstance(out, output_type(input_kind, 2))
    np.testing.assert_allclose(_values(out), sk.transform(X), rtol=1e-12)
    if input_kind == "dask_dataframe":
        assert list(out.columns) == list(sk.get_feature_names_out())
        assert out.npartitions == Xk.npartitions
    if input_kind == "dask_array":
        assert out.chunks[0] == Xk.chunks[0]


def test_fit_reads_no_data():
    frame = dd.from_pandas(pd.DataFrame(_data(), columns=list("abc")), npartitions=3)
    calls = []

    def get(dsk, keys, **kwargs):
        calls.append(1)
        return dask.threaded.get(dsk, keys, **kwargs)

    with dask.config.set(scheduler=get):
        model = PolynomialFeatures().fit(frame)
        out = model.transform(frame)
    assert calls == [] and isinstance(out, dd.DataFrame)
    assert list(out.columns) == ["1", "a", "b", "c", "a^2", "a b", "a c", "b^2", "b c", "c^2"]


def test_preserve_dataframe_and_set_output():
    frame = pd.DataFrame(_data(), columns=list("abc"), index=np.arange(120) + 1000)
    plain = PolynomialFeatures().fit_transform(frame)
    assert isinstance(plain, np.ndarray)
    kept = PolynomialFeatures(preserve_dataframe=True).fit_transform(frame)
    assert isinstance(kept, pd.DataFrame)
    pd.testing.assert_index_equal(kept.index, frame.index)
    assert list(kept.columns)[:4] == ["1", "a", "b", "c"]
    np.testing.assert_array_equal(kept.to_numpy(), plain)
    out = PolynomialFeatures().set_output(transform="pandas").fit(frame).transform(frame)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(kept.columns)


def test_float32_kept():
    X = _data().astype(np.float32)
    out = PolynomialFeatures().fit(X).transform(da.from_array(X, chunks=40))
    assert out.dtype == np.float32 and out.compute().dtype == np.float32


def test_errors():
    X = _data()
    model = PolynomialFeatures().fit(X)
    with pytest.raises(ValueError, match="features"):
        model.transform(da.from_array(_data(d=4), chunks=40))
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.transform(bad)
    with pytest.raises(ValueError, match="NaN"):
        model.transform(da.from_array(bad, chunks=40)).compute()
    with pytest.raises(InvalidParameterError, match="degree"):
        PolynomialFeatures(degree=-1).fit(X)
    with pytest.raises(ValueError, match="input_features"):
        PolynomialFeatures().fit(pd.DataFrame(X, columns=list("abc"))).get_feature_names_out(
            ["a", "b", "z"]
        )
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.transform(X), model.transform(X))
