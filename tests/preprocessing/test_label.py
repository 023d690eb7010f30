"""LabelEncoder against scikit-learn on the four kinds of labels, and dask-ml's categoricals."""

from __future__ import annotations

import pickle

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import sklearn.preprocessing as skp
from sklearn.exceptions import NotFittedError

from dasklearn.exceptions import InvalidParameterError
from dasklearn.preprocessing import LabelEncoder

LABELS = {
    "strings": np.array(["b", "a", "c", "b", "a", "d", "c", "b"] * 5, dtype=object),
    "integers": np.array([3, 1, 2, 3, 7, 1, 2, 2] * 5),
    "floats with NaN": np.array([0.5, np.nan, 2.0, 0.5, 1.0, np.nan, 2.0, 1.0] * 5),
}


def _labels(kind: str, y: np.ndarray):
    if kind == "numpy":
        return y
    if kind == "pandas":
        return pd.Series(y, name="y")
    if kind == "dask_array":
        return da.from_array(y, chunks=12)
    return dd.from_pandas(pd.Series(y, name="y"), npartitions=3)


def _computed(out):
    return np.asarray(out.compute() if hasattr(out, "compute") else out)


@pytest.mark.parametrize("name", list(LABELS))
def test_matches_scikit_learn(input_kind, scheduler, name):
    y = LABELS[name]
    sk = skp.LabelEncoder().fit(y)
    le = LabelEncoder().fit(_labels(input_kind, y))
    np.testing.assert_array_equal(le.classes_, sk.classes_)
    assert le.classes_.dtype == sk.classes_.dtype
    assert le.n_passes_ == 1
    codes = le.transform(_labels(input_kind, y))
    if input_kind == "dask_dataframe":
        assert isinstance(codes, dd.Series)
    elif input_kind == "dask_array":
        assert isinstance(codes, da.Array)
    np.testing.assert_array_equal(_computed(codes), sk.transform(y))
    back = le.inverse_transform(codes)
    np.testing.assert_array_equal(_computed(back), sk.inverse_transform(sk.transform(y)))
    fitted = LabelEncoder().fit_transform(_labels(input_kind, y))
    np.testing.assert_array_equal(_computed(fitted), sk.fit_transform(y))


def test_unseen_labels_raise(scheduler):
    le = LabelEncoder().fit(["a", "b"])
    with pytest.raises(ValueError, match=r"previously unseen labels: \['z'\]"):
        le.transform(["a", "z"])
    lazy = le.transform(da.from_array(np.array(["a", "z"], dtype=object), chunks=1))
    with pytest.raises(ValueError, match="previously unseen labels"):
        lazy.compute()  # checked when the block is computed
    with pytest.raises(ValueError, match="previously unseen labels"):
        le.inverse_transform([0, 5])


def test_categorical_uses_the_dtype(scheduler):
    dtype = pd.CategoricalDtype(["z", "b", "a"])
    y = pd.Series(["a", "b", "a"], dtype=dtype)
    le = LabelEncoder().fit(y)
    np.testing.assert_array_equal(le.classes_, ["z", "b", "a"])  # dtype order, unobserved kept
    assert le.dtype_ == dtype and le.n_passes_ == 0
    np.testing.assert_array_equal(le.transform(y), [2, 1, 2])
    back = le.inverse_transform(np.array([2, 1, 0]))
    assert isinstance(back, pd.Series) and back.dtype == dtype
    assert back.tolist() == ["a", "b", "z"]
    yd = dd.from_pandas(y, npartitions=2)
    lazy = LabelEncoder().fit(yd)
    assert lazy.n_passes_ == 0
    codes = lazy.transform(yd)
    np.testing.assert_array_equal(codes.compute(), [2, 1, 2])
    inverse = lazy.inverse_transform(codes)
    assert isinstance(inverse, dd.Series) and inverse.dtype == dtype
    assert inverse.compute().tolist() == ["a", "b", "a"]
    plain = LabelEncoder(use_categorical=False).fit(y)
    np.testing.assert_array_equal(plain.classes_, skp.LabelEncoder().fit(y).classes_)
    with pytest.raises(ValueError, match="categories of y differ"):
        le.transform(y.astype(pd.CategoricalDtype(["a", "b"])))


def test_unknown_dask_categories_are_learned_in_one_pass(scheduler):
    y = dd.from_pandas(pd.Series(["b", "a", "c", "a"]), npartitions=2).astype("category")
    assert not y.cat.known
    le = LabelEncoder().fit(y)
    assert le.n_passes_ == 1
    np.testing.assert_array_equal(le.classes_, ["a", "b", "c"])
    np.testing.assert_array_equal(le.transform(y).compute(), [1, 0, 2, 0])


def test_edge_cases():
    le = LabelEncoder().fit(["a"])
    assert le.transform([]).shape == (0,) and le.inverse_transform([]).shape == (0,)
    with pytest.raises(ValueError, match="1d"):
        LabelEncoder().fit(pd.DataFrame({"a": [1], "b": [2]}))
    with pytest.raises(InvalidParameterError, match="use_categorical"):
        LabelEncoder(use_categorical="yes").fit([1, 2])
    with pytest.raises(NotFittedError):
        LabelEncoder().transform([1])
    clone = pickle.loads(pickle.dumps(LabelEncoder().fit(da.from_array(np.array([2, 1]), 1))))
    np.testing.assert_array_equal(clone.classes_, [1, 2])
