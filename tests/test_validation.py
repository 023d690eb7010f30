"""The shared input validation: every input kind, and a clear error for each kind of bad input."""

from __future__ import annotations

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import DataConversionWarning

from dasklearn._array_checks import check_array
from dasklearn._validation import (
    NotFittedError,
    as_dask_array,
    check_is_fitted,
    check_random_state_int,
    check_X_y,
    input_kind,
    validate_data,
)


def _data(n=120, p=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, p)), rng.integers(0, 2, n)


def test_input_kind(as_kind):
    X, _ = _data()
    assert input_kind(as_kind("numpy", X)) == "numpy"
    assert input_kind(as_kind("pandas", X)) == "pandas"
    assert input_kind(as_kind("dask_array", X)) == "dask_array"
    assert input_kind(as_kind("dask_dataframe", X)) == "dask_dataframe"
    assert input_kind([1, 2]) == "other"


def test_check_array_every_kind(input_kind, as_kind):
    X, _ = _data()
    out = check_array(as_kind(input_kind, X))
    if input_kind in ("numpy", "pandas"):
        assert isinstance(out, np.ndarray)
    else:
        assert isinstance(out, da.Array)
        assert not np.isnan(out.shape[0])
        assert out.numblocks[1] == 1
    np.testing.assert_array_equal(np.asarray(out), X)


def test_check_X_y_every_kind(input_kind, as_kind):
    X, y = _data()
    Xk, yk = as_kind(input_kind, X, y)
    Xc, yc = check_X_y(Xk, yk)
    assert type(Xc) is type(yc)
    if isinstance(Xc, da.Array):
        assert Xc.chunks[0] == yc.chunks[0]
    np.testing.assert_array_equal(np.asarray(Xc), X)
    np.testing.assert_array_equal(np.asarray(yc), y)


def test_integers_and_booleans_become_float64():
    out = check_array(pd.DataFrame({"a": [1, 2, 3], "b": [True, False, True]}))
    assert out.dtype == np.float64
    ddf = dd.from_pandas(pd.DataFrame({"a": [1, 2, 3], "b": [1.5, 2.5, 3.5]}), npartitions=2)
    assert check_array(ddf).dtype == np.float64


def test_float32_is_kept():
    assert check_array(np.ones((3, 2), dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize("kind", ["numpy", "dask_array"])
def test_wrong_ndim(kind, as_kind):
    one_d = np.arange(10.0)
    X = one_d if kind == "numpy" else da.from_array(one_d, chunks=5)
    with pytest.raises(ValueError, match="got 1 dimension.*Reshape your data with X.reshape"):
        check_array(X)
    with pytest.raises(ValueError, match="Expected a 2-dimensional X, got 3"):
        check_array(np.ones((2, 2, 2)))


def test_y_must_be_one_dimensional():
    X, _ = _data(10)
    with pytest.raises(ValueError, match="Expected a 1-dimensional y"):
        check_X_y(X, np.ones((10, 2)))
    # a column vector is accepted as y, with scikit-learn's warning
    with pytest.warns(DataConversionWarning, match="A column-vector y was passed"):
        _, y = check_X_y(X, np.ones((10, 1)))
    assert y.shape == (10,)


def test_different_lengths():
    X, y = _data(10)
    with pytest.raises(ValueError, match="X has 10, y has 9"):
        check_X_y(X, y[:9])
    with pytest.raises(ValueError, match="X has 10, y has 9"):
        check_X_y(da.from_array(X, chunks=5), da.from_array(y[:9], chunks=5))


def test_blocks_that_do_not_line_up():
    X, y = _data(100)
    with pytest.raises(ValueError, match="row blocks of X and y do not line up"):
        check_X_y(da.from_array(X, chunks=(50, 3)), da.from_array(y, chunks=30))


def test_numpy_y_is_split_like_dask_X():
    X, y = _data(100)
    Xc, yc = check_X_y(da.from_array(X, chunks=(30, 3)), y)
    assert yc.chunks[0] == Xc.chunks[0] == (30, 30, 30, 10)


def test_non_numeric_columns():
    frame = pd.DataFrame({"a": [1.0, 2.0], "city": ["x", "y"]})
    with pytest.raises(ValueError, match=r"Non-numeric columns \['city'\]"):
        check_array(frame)
    with pytest.raises(ValueError, match=r"Non-numeric columns \['city'\]"):
        check_array(dd.from_pandas(frame, npartitions=1))
    with pytest.raises(ValueError, match="non-numeric"):
        check_array(np.array([["a", "b"]], dtype=object))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf(input_kind, as_kind, bad):
    X, _ = _data()
    X[17, 1] = bad
    with pytest.raises(ValueError, match="contains NaN or infinity"):
        check_array(as_kind(input_kind, X))


def test_allow_nan(input_kind, as_kind):
    X, _ = _data()
    X[3, 0] = np.nan
    out = check_array(as_kind(input_kind, X), ensure_all_finite="allow-nan")
    assert np.isnan(np.asarray(out)[3, 0])
    X[4, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        check_array(as_kind(input_kind, X), ensure_all_finite="allow-nan")


def test_unknown_chunks_are_resolved_in_one_pass():
    X, _ = _data(200)
    dX = da.from_array(X, chunks=(50, 3))
    filtered = dX[dX[:, 0] > 0]
    assert np.isnan(filtered.shape[0])
    out = check_array(filtered)
    assert out.shape == (int((X[:, 0] > 0).sum()), 3)
    assert sum(out.chunks[0]) == out.shape[0]
    np.testing.assert_array_equal(out.compute(), X[X[:, 0] > 0])


def test_dask_dataframe_with_unknown_partition_lengths():
    X, y = _data(200)
    frame = dd.from_pandas(pd.DataFrame(X, columns=list("abc")).assign(y=y), npartitions=4)
    frame = frame[frame.a > 0]
    Xc, yc = check_X_y(frame[["a", "b", "c"]], frame["y"])
    assert Xc.chunks[0] == yc.chunks[0]
    assert Xc.shape[0] == int((X[:, 0] > 0).sum())


def test_empty_input():
    with pytest.raises(ValueError, match=r"0 sample\(s\) \(shape=\(0, 3\)\)"):
        check_array(np.empty((0, 3)))
    with pytest.raises(ValueError, match=r"0 feature\(s\) \(shape=\(3, 0\)\)"):
        check_array(np.empty((3, 0)))


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csr_array])
def test_sparse_input_is_refused_by_name(container):
    X = container(np.eye(4))
    with pytest.raises(TypeError, match="Sparse input is not supported"):
        check_array(X)
    with pytest.raises(TypeError, match="Sparse input is not supported"):
        check_array(da.from_array(X, chunks=2, asarray=False))


def test_complex_data_is_refused_before_any_pass():
    X = np.ones((4, 2), dtype=complex)
    with pytest.raises(ValueError, match="Complex data not supported"):
        check_array(X)
    with pytest.raises(ValueError, match="Complex data not supported"):
        check_array(da.from_array(X, chunks=2))


def test_object_values_keep_their_error_type():
    X = np.ones((3, 2), dtype=object)
    assert check_array(X).dtype == np.float64
    X[0, 0] = {"a": 1}
    with pytest.raises(TypeError, match="X holds non-numeric values: float.. argument must be"):
        check_array(X)
    X[0, 0] = "abc"
    with pytest.raises(ValueError, match="X holds non-numeric values"):
        check_array(X)


def test_labels_keep_their_dtype(as_kind):
    X, _ = _data(10)
    labels = np.array(list("abababcccc"))
    _, y = check_X_y(X, pd.Series(labels, dtype="string"))
    assert list(y) == list(labels)
    _, y = check_X_y(
        dd.from_pandas(pd.DataFrame(X), npartitions=2),
        dd.from_pandas(pd.Series(labels, dtype="string"), npartitions=2),
    )
    assert list(y.compute()) == list(labels)


def test_none_y():
    with pytest.raises(ValueError, match="requires y"):
        check_X_y(np.ones((3, 2)), None)


class _Est(BaseEstimator):
    def fit(self, X, y=None):
        return self


def test_validate_data_records_and_checks_features():
    est = _Est()
    frame = pd.DataFrame(np.ones((4, 2)), columns=["a", "b"])
    validate_data(est, frame)
    assert est.n_features_in_ == 2
    assert list(est.feature_names_in_) == ["a", "b"]
    validate_data(est, frame, reset=False)
    with pytest.raises(ValueError, match="X has 3 features, but _Est is expecting 2"):
        validate_data(est, np.ones((4, 3)), reset=False)
    with pytest.raises(ValueError, match="feature names should match"):
        validate_data(est, frame.rename(columns={"a": "z"}), reset=False)


def test_unfitted_estimator():
    with pytest.raises(NotFittedError, match="not fitted"):
        check_is_fitted(_Est(), "coef_")
    with pytest.raises(NotFittedError):
        validate_data(_Est(), np.ones((2, 2)), reset=False)


def test_as_dask_array():
    X, _ = _data(10)
    out = as_dask_array(X, chunks=4)
    assert out.chunks == ((4, 4, 2), (3,))
    assert as_dask_array(out) is out


def test_random_state_seed():
    assert check_random_state_int(3) == 3
    assert check_random_state_int(np.random.RandomState(0)) == check_random_state_int(
        np.random.RandomState(0)
    )
    assert isinstance(check_random_state_int(None), int)
    with pytest.raises(ValueError, match="cannot be used to seed"):
        check_random_state_int("x")


def test_validation_on_cluster(client):
    X, y = _data(200)
    X[5, 2] = np.nan
    dX = da.from_array(X, chunks=(50, 3))
    with pytest.raises(ValueError, match="NaN"):
        check_array(dX)
    X[5, 2] = 0
    dX = da.from_array(X, chunks=(50, 3))
    filtered = dX[dX[:, 0] > 0]
    assert check_array(filtered).shape[0] == int((X[:, 0] > 0).sum())


# --------------------------------------------------------------------------------------------
# what an estimator declares it accepts: frames kept, sparse kept; sample weights
# --------------------------------------------------------------------------------------------


class _Estimator(BaseEstimator):
    def fit(self, X, y=None):
        return self


def _mixed_frame():
    return pd.DataFrame(
        {
            "num": [1.0, 2.0, 3.0, 4.0],
            "cat": pd.Categorical(["a", "b", "a", "c"]),
            "text": ["x", "y", "z", "x"],
            "when": pd.date_range("2026-01-01", periods=4),
        }
    )


@pytest.mark.parametrize("lazy", [False, True])
def test_accept_frame_keeps_the_columns_and_remembers_them(lazy):
    frame = _mixed_frame()
    X = dd.from_pandas(frame, npartitions=2) if lazy else frame
    est = _Estimator()
    out = validate_data(est, X, accept="frame")
    assert out is X  # as it is: categorical, string and datetime columns kept
    assert est.n_features_in_ == 4 and list(est.feature_names_in_) == list(frame.columns)
    assert est._feature_dtypes_in["cat"] == frame.dtypes["cat"]
    with pytest.raises(ValueError, match="Non-numeric columns"):
        validate_data(BaseEstimator(), X)  # the numeric default refuses them, by name
    with pytest.raises(ValueError, match="feature names should match"):
        validate_data(est, X.rename(columns={"num": "other"}), reset=False, accept="frame")


def test_accept_frame_with_a_target():
    frame = _mixed_frame()
    y = np.array([0, 1, 0, 1])
    X, yv = validate_data(BaseEstimator(), frame, y, accept="frame")
    assert X is frame and yv.tolist() == [0, 1, 0, 1]
    dX = dd.from_pandas(frame, npartitions=2)
    Xd, yd = validate_data(
        BaseEstimator(), dX, dd.from_pandas(pd.Series(y), npartitions=2), accept="frame"
    )
    assert Xd is dX and isinstance(yd, da.Array) and yd.numblocks[0] == 2
    with pytest.raises(ValueError, match="same partitions"):
        validate_data(
            BaseEstimator(), dX, dd.from_pandas(pd.Series(y), npartitions=1), accept="frame"
        )


def test_accept_sparse_keeps_sparse_input():
    X = sp.random(20, 5, density=0.3, format="csc", random_state=0)
    out = check_array(X, accept_sparse=True)
    assert sp.issparse(out) and out.format == "csr"
    lazy = da.from_array(X.tocsr(), chunks=(5, 5), asarray=False)
    assert isinstance(check_array(lazy, accept_sparse=True)._meta, sp.spmatrix | sp.sparray)
    bad = X.tocsr().copy()
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        check_array(bad, accept_sparse=True)


def test_check_sample_weight():
    from dasklearn._validation import check_sample_weight

    X = np.ones((6, 2))
    assert check_sample_weight(None, X) is None and check_sample_weight(1, X) is None
    np.testing.assert_array_equal(check_sample_weight(2.0, X), np.full(6, 2.0))
    with pytest.raises(ValueError, match="non-negative"):
        check_sample_weight(-np.ones(6), X)
    with pytest.raises(ValueError, match="sums to zero"):
        check_sample_weight(np.zeros(6), X)
    with pytest.raises(ValueError, match="different numbers of rows"):
        check_sample_weight(np.ones(5), X)
    dX = da.from_array(X, chunks=(3, 2))
    w = check_sample_weight(np.arange(6.0), dX)
    assert isinstance(w, da.Array) and w.chunks == ((3, 3),)
    with pytest.raises(ValueError, match="sample_weight do not line up"):
        check_sample_weight(da.ones(6, chunks=2), dX)
