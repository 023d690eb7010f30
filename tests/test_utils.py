"""dasklearn.utils: dask-ml's public helpers on the four input kinds, against scikit-learn.

Laziness is tested with *poisoned* dask inputs: collections whose blocks raise when computed, so
a helper that reads any block fails the test. Tolerances: sign flips and zero replacement are
exact (``assert_array_equal``); row norms agree with scikit-learn's to ``rtol=1e-12``.
"""

from __future__ import annotations

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import sklearn.utils.extmath as skm
from sklearn.base import BaseEstimator
from sklearn.linear_model import LinearRegression
from sklearn.utils import check_consistent_length as sk_check_consistent_length

from dasklearn.utils import (
    assert_estimator_equal,
    check_array,
    check_chunks,
    check_consistent_length,
    check_matching_blocks,
    check_random_state,
    handle_zeros_in_scale,
    row_norms,
    svd_flip,
)

RTOL = 1e-12


def _data(n=120, p=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, p))


def _boom(block):
    raise RuntimeError("a block was computed")


def poisoned(kind, X, chunks=50):
    """A dask collection like ``as_kind(kind, X)`` whose blocks raise when computed."""
    if kind == "dask_array":
        return da.from_array(X, chunks=(chunks,) + X.shape[1:]).map_blocks(_boom, dtype=X.dtype)
    columns = [f"x{i}" for i in range(X.shape[1])] if X.ndim == 2 else None
    frame = pd.DataFrame(X, columns=columns) if X.ndim == 2 else pd.Series(X, name="s")
    ddf = dd.from_pandas(frame, npartitions=max(1, -(-len(X) // chunks)), sort=False)
    return ddf.map_partitions(_boom, meta=frame.iloc[:0])


def _sk_handle_zeros_in_scale():
    from sklearn.preprocessing import _data

    if not hasattr(_data, "_handle_zeros_in_scale"):  # pragma: no cover - private in sklearn
        pytest.skip("scikit-learn no longer has _handle_zeros_in_scale")
    return _data._handle_zeros_in_scale


# ---------------------------------------------------------------------------------------------
# check_array
# ---------------------------------------------------------------------------------------------


def test_check_array_every_kind(input_kind, as_kind):
    X = _data()
    Xk = as_kind(input_kind, X)
    if input_kind == "dask_dataframe":
        with pytest.raises(TypeError, match="does not support dask dataframes"):
            check_array(Xk)
        assert check_array(Xk, accept_dask_dataframe=True) is Xk
        return
    out = check_array(Xk)
    if input_kind == "dask_array":
        assert out is Xk  # float64 with one column block: nothing to change
    else:
        assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(np.asarray(out), X)


def test_check_array_preserve_pandas_dataframe():
    frame = pd.DataFrame(_data(), columns=["a", "b", "c"])
    assert check_array(frame, preserve_pandas_dataframe=True) is frame
    frame.iloc[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):  # still validated
        check_array(frame, preserve_pandas_dataframe=True)


def test_check_array_dask_array_is_lazy_and_cast():
    X = poisoned("dask_array", np.arange(300).reshape(100, 3))
    out = check_array(X, dtype=np.float64)
    assert isinstance(out, da.Array) and out.dtype == np.float64
    assert out.chunks == X.chunks
    assert check_array(X, dtype=None).dtype == X.dtype
    Xo = poisoned("dask_array", np.ones((10, 2), dtype=object))
    assert check_array(Xo).dtype == np.float64  # dtype="numeric" converts object, as sklearn


def test_check_array_dask_array_structure_errors():
    X = da.from_array(_data(), chunks=(50, 2))
    with pytest.raises(TypeError, match="Chunking is only allowed on the first axis"):
        check_array(X)
    assert check_array(X, accept_multiple_blocks=True) is X
    with pytest.raises(TypeError, match="does not accept dask arrays"):
        check_array(X.rechunk({1: -1}), accept_dask_array=False)

    unknown = X.rechunk({1: -1})
    unknown = unknown[unknown[:, 0] > 0]
    with pytest.raises(TypeError, match="(?s)unknown chunk sizes.*compute_chunk_sizes"):
        check_array(unknown)
    assert check_array(unknown, accept_unknown_chunks=True) is unknown

    with pytest.raises(ValueError, match="Expected 2D array, got 1D array instead"):
        check_array(X[:, 0])
    assert check_array(X[:, 0], ensure_2d=False) is not None


def test_check_array_dask_array_zero_chunks_and_sizes():
    X = da.ones((15, 3), chunks=((10, 0, 5), (3,)))
    assert 0 in X.chunks[0]
    assert check_array(X).chunks[0] == (10, 5)
    assert check_array(X, remove_zero_chunks=False).chunks[0] == X.chunks[0]

    X = da.ones((15, 3), chunks=5)
    assert check_array(X, ensure_min_samples=12) is X  # dask-ml's 10-row sample failed this
    with pytest.raises(ValueError, match=r"15 sample\(s\) \(shape=\(15, 3\)\)"):
        check_array(X, ensure_min_samples=20)
    with pytest.raises(ValueError, match=r"3 feature\(s\) \(shape=\(15, 3\)\)"):
        check_array(X, ensure_min_features=4)


def test_check_array_dask_dataframe_metadata_only():
    X = poisoned("dask_dataframe", _data())
    assert check_array(X, accept_dask_dataframe=True) is X
    with pytest.raises(ValueError, match=r"3 feature\(s\) \(shape=\(nan, 3\)\).*minimum of 4"):
        check_array(X, accept_dask_dataframe=True, ensure_min_features=4)

    frame = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    mixed = dd.from_pandas(frame, npartitions=1)
    with pytest.raises(ValueError, match=r"Non-numeric columns \['b'\]"):
        check_array(mixed, accept_dask_dataframe=True)
    assert check_array(mixed, accept_dask_dataframe=True, dtype=None) is mixed

    series = mixed["a"]
    with pytest.raises(TypeError, match="does not support dask dataframes"):
        check_array(series)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array.*to_frame"):
        check_array(series, accept_dask_dataframe=True)
    assert check_array(series, accept_dask_dataframe=True, ensure_2d=False) is series


def test_check_array_in_memory_is_sklearn():
    X = _data()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        check_array(X)
    assert np.isnan(check_array(X, ensure_all_finite=False)[0, 0])
    assert np.isnan(check_array(X, force_all_finite=False)[0, 0])  # dask-ml's keyword


# ---------------------------------------------------------------------------------------------
# check_random_state
# ---------------------------------------------------------------------------------------------


def _draw(rs):
    return rs.random_sample(8, chunks=4).compute()


def test_check_random_state_kinds():
    assert isinstance(check_random_state(None), da.random.RandomState)
    np.testing.assert_array_equal(_draw(check_random_state(3)), _draw(check_random_state(3)))
    assert not np.array_equal(_draw(check_random_state(3)), _draw(check_random_state(4)))

    dask_rs = da.random.RandomState(0)
    assert check_random_state(dask_rs) is dask_rs

    for make in (np.random.RandomState, np.random.default_rng):
        a, b = make(7), make(7)
        np.testing.assert_array_equal(_draw(check_random_state(a)), _draw(check_random_state(b)))
        state = make(7)
        first, second = check_random_state(state), check_random_state(state)
        assert not np.array_equal(_draw(first), _draw(second))  # the NumPy one advanced


@pytest.mark.parametrize("bad", ["0", 1.5, da.random.default_rng(0), [1]])
def test_check_random_state_rejects(bad):
    with pytest.raises(TypeError, match="random_state must be None, an int"):
        check_random_state(bad)


def test_check_random_state_seed_range():
    with pytest.raises(ValueError, match="between 0 and 2\\*\\*32 - 1"):
        check_random_state(-1)
    with pytest.raises(ValueError, match="between 0 and 2\\*\\*32 - 1"):
        check_random_state(2**32)


# ---------------------------------------------------------------------------------------------
# check_chunks
# ---------------------------------------------------------------------------------------------


def test_check_chunks():
    assert check_chunks(10_000, 5) == (max(100, 10_000 // dask.system.CPU_COUNT), 5)
    assert check_chunks(10_000, 5, chunks=4) == (2_500, 5)  # an int is a number of blocks
    assert check_chunks(10_000, 5, chunks=np.int64(10)) == (1_000, 5)
    assert check_chunks(50, 5, chunks=2) == (100, 5)  # at least 100 rows per block
    assert check_chunks(10_000, 5, chunks=[500, 5]) == (500, 5)
    assert check_chunks(10_000, 5, chunks=((5_000, 5_000), (5,))) == ((5_000, 5_000), (5,))


@pytest.mark.parametrize(
    ("chunks", "match"),
    [
        (0, "number of row blocks"),
        ((1, 2, 3), "2-tuple"),
        ("auto", "Unknown type of chunks"),
        (1.5, "Unknown type of chunks"),
    ],
)
def test_check_chunks_errors(chunks, match):
    with pytest.raises(ValueError, match=match):
        check_chunks(100, 3, chunks=chunks)


def test_check_chunks_shape_errors():
    with pytest.raises(ValueError, match="n_samples must be a non-negative int"):
        check_chunks(-1, 3)
    with pytest.raises(ValueError, match="n_features must be a non-negative int"):
        check_chunks(10, 2.5)


# ---------------------------------------------------------------------------------------------
# check_matching_blocks
# ---------------------------------------------------------------------------------------------


def test_check_matching_blocks_arrays():
    X = poisoned("dask_array", _data())
    check_matching_blocks(X, X[:, 0], None)  # X and y: only the rows must line up
    check_matching_blocks(X)
    check_matching_blocks()
    with pytest.raises(ValueError, match=r"Mismatched chunks: .*\(50, 50, 20\).*\(60, 40, 20\)"):
        check_matching_blocks(X, da.ones(120, chunks=((60, 40, 20),))[:, None])
    with pytest.raises(ValueError, match="Mismatched chunks: argument 0 has 3 row blocks"):
        check_matching_blocks(X, da.ones(120, chunks=30))


def test_check_matching_blocks_unknown_chunks_compare_counts():
    X = da.from_array(_data(), chunks=(40, 3))
    kept = X[X[:, 0] > 0]
    check_matching_blocks(kept, kept[:, 1])
    check_matching_blocks(X, kept)  # unknown lengths cannot be compared; the counts match
    with pytest.raises(ValueError, match="argument 0 has 3 row blocks, argument 1 has 2"):
        check_matching_blocks(kept, da.ones(120, chunks=60))


def test_check_matching_blocks_dataframes():
    X = poisoned("dask_dataframe", _data())
    y = poisoned("dask_dataframe", _data()[:, 0])
    check_matching_blocks(X, y)
    other = dd.from_pandas(pd.DataFrame(_data()), npartitions=3, sort=True)
    with pytest.raises(ValueError, match="Mismatched divisions: argument 0 has divisions"):
        check_matching_blocks(other, other.repartition(divisions=[0, 10, 50, 119]))
    with pytest.raises(ValueError, match="Mismatched divisions: argument 0 has 3 row blocks"):
        check_matching_blocks(other, other.repartition(npartitions=2))
    unknown = other.clear_divisions()
    check_matching_blocks(other, unknown)  # unknown divisions: the counts match
    check_matching_blocks(other, da.ones(120, chunks=40))  # mixed kinds: block counts
    with pytest.raises(ValueError, match="Mismatched blocks"):
        check_matching_blocks(other, da.ones(120, chunks=60))


@pytest.mark.parametrize("kind", ["numpy", "pandas"])
def test_check_matching_blocks_in_memory(kind, as_kind):
    with pytest.raises(ValueError, match=r"compares dask arrays.*argument 1"):
        check_matching_blocks(da.ones(4, chunks=2), as_kind(kind, np.ones((4, 1))))


# ---------------------------------------------------------------------------------------------
# check_consistent_length
# ---------------------------------------------------------------------------------------------


def _sk_message(*lengths):
    with pytest.raises(ValueError) as info:
        sk_check_consistent_length(*[np.ones(n) for n in lengths])
    return str(info.value)


@pytest.mark.parametrize("kind_a", ["numpy", "pandas", "dask_array", "dask_dataframe"])
@pytest.mark.parametrize("kind_b", ["numpy", "pandas", "dask_array", "dask_dataframe"])
def test_check_consistent_length_kinds(kind_a, kind_b, as_kind):
    a, b, short = _data(), _data()[:, 0], _data(n=119)
    check_consistent_length(as_kind(kind_a, a), as_kind(kind_b, b[:, None]), None)
    with pytest.raises(ValueError) as info:
        check_consistent_length(as_kind(kind_a, a), as_kind(kind_b, short))
    assert str(info.value) == _sk_message(120, 119)


def test_check_consistent_length_like_sklearn_in_memory():
    check_consistent_length([1, 2, 3], np.ones(3), pd.Series([1, 2, 3]))
    sk_check_consistent_length([1, 2, 3], np.ones(3), pd.Series([1, 2, 3]))
    with pytest.raises(TypeError, match="Singleton array"):
        check_consistent_length(np.float64(1.0), [1])
    with pytest.raises(TypeError, match="Expected sequence or array-like"):
        check_consistent_length(object(), [1])


def test_check_consistent_length_known_mismatch_computes_nothing():
    X = poisoned("dask_dataframe", _data())
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[10, unknown, 9\]"):
        check_consistent_length(np.ones(10), X, np.ones(9))
    check_consistent_length(X)  # one collection of unknown length: nothing to compare
    check_consistent_length(np.ones(120), poisoned("dask_array", _data()))  # known chunks


def test_check_consistent_length_unknown_chunks_are_counted():
    X = da.from_array(_data(), chunks=(50, 2))
    kept = X[X[:, 0] > 0]
    n = int((_data()[:, 0] > 0).sum())
    check_consistent_length(kept, np.ones(n))
    with pytest.raises(ValueError, match=rf"\[{n}, {n + 1}\]"):
        check_consistent_length(kept, np.ones(n + 1))


# ---------------------------------------------------------------------------------------------
# handle_zeros_in_scale
# ---------------------------------------------------------------------------------------------


def test_handle_zeros_in_scale_every_kind(input_kind):
    sk = _sk_handle_zeros_in_scale()
    scale = np.array([0.0, 2.0, 0.5, 0.0, np.nan, 3.0])
    expected = sk(scale.copy())
    scale_k = {
        "numpy": lambda: scale.copy(),
        "pandas": lambda: pd.Series(scale),
        "dask_array": lambda: da.from_array(scale, chunks=4),
        "dask_dataframe": lambda: dd.from_pandas(pd.Series(scale), npartitions=2),
    }[input_kind]()
    out = handle_zeros_in_scale(scale_k)
    assert type(out) is type(scale_k)
    np.testing.assert_array_equal(np.asarray(dask.compute(out)[0]), expected)


def test_handle_zeros_in_scale_keeps_dtype_input_and_scalars():
    scale = np.array([0.0, 4.0], dtype=np.float32)
    out = handle_zeros_in_scale(scale)
    assert out.dtype == np.float32 and out is not scale
    np.testing.assert_array_equal(scale, [0.0, 4.0])  # input untouched
    assert handle_zeros_in_scale(0.0) == 1.0 == _sk_handle_zeros_in_scale()(0.0)
    assert handle_zeros_in_scale(2.5) == 2.5
    np.testing.assert_array_equal(handle_zeros_in_scale([0, 2]), [1, 2])


def test_handle_zeros_in_scale_is_lazy():
    out = handle_zeros_in_scale(poisoned("dask_array", np.zeros(6), chunks=2))
    assert isinstance(out, da.Array) and out.chunks == ((2, 2, 2),)
    out = handle_zeros_in_scale(poisoned("dask_dataframe", np.zeros(6), chunks=2))
    assert isinstance(out, dd.Series) and out.npartitions == 3


# ---------------------------------------------------------------------------------------------
# svd_flip
# ---------------------------------------------------------------------------------------------


def _svd(n=90, p=4, seed=1):
    u, _, vt = np.linalg.svd(_data(n, p, seed), full_matrices=False)
    signs = np.array([1.0, -1.0, -1.0, 1.0])[:p]  # start from mixed signs
    return u * signs, vt * signs[:, None]


@pytest.mark.parametrize("u_based_decision", [True, False])
@pytest.mark.parametrize("kind", ["numpy", "dask_array"])
def test_svd_flip_matches_sklearn(kind, u_based_decision):
    u, v = _svd()
    expected_u, expected_v = skm.svd_flip(u.copy(), v.copy(), u_based_decision=u_based_decision)
    if kind == "dask_array":
        uk, vk = da.from_array(u, chunks=(20, 4)), da.from_array(v, chunks=(4, 2))
    else:
        uk, vk = u.copy(), v.copy()
    out_u, out_v = svd_flip(uk, vk, u_based_decision=u_based_decision)
    if kind == "dask_array":
        assert out_u.chunks == uk.chunks and out_v.chunks == vk.chunks
    else:
        np.testing.assert_array_equal(uk, u)  # not modified in place
    np.testing.assert_array_equal(np.asarray(out_u), expected_u)
    np.testing.assert_array_equal(np.asarray(out_v), expected_v)


def test_svd_flip_default_is_u_based():
    u, v = _svd()
    expected = skm.svd_flip(u.copy(), v.copy())  # scikit-learn's default: u_based_decision=True
    for got, want in zip(svd_flip(u, v), expected, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("chunks", [1, 2, 3, 6])
def test_svd_flip_ties_across_blocks_go_to_the_first(chunks):
    # each column has +3 and -3: argmax takes the first; blocks must not change that
    u = np.array([[1.0, -3.0], [3.0, 1.0], [-3.0, 0.0], [0.0, 3.0], [2.0, 0.0], [0.0, 0.0]])
    v = np.eye(2)
    expected_u, expected_v = skm.svd_flip(u.copy(), v.copy())
    out_u, out_v = svd_flip(da.from_array(u, chunks=(chunks, 1)), v)
    np.testing.assert_array_equal(out_u.compute(), expected_u)
    np.testing.assert_array_equal(np.asarray(out_v), expected_v)


def test_svd_flip_is_lazy_and_takes_none():
    u, v = _svd()
    out_u, out_v = svd_flip(poisoned("dask_array", u, chunks=30), v)
    assert isinstance(out_u, da.Array) and isinstance(out_v, da.Array)
    out_u, out_v = svd_flip(u, None)
    assert out_v is None
    np.testing.assert_array_equal(out_u, skm.svd_flip(u.copy(), None)[0])
    with pytest.raises(ValueError, match="u is needed"):
        svd_flip(None, v)
    with pytest.raises(ValueError, match="v is needed"):
        svd_flip(u, None, u_based_decision=False)


# ---------------------------------------------------------------------------------------------
# row_norms
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("squared", [False, True])
def test_row_norms_every_kind(input_kind, as_kind, squared):
    X = _data()
    expected = skm.row_norms(X, squared=squared)
    Xk = as_kind(input_kind, X)
    out = row_norms(Xk, squared=squared)
    if input_kind == "numpy":
        assert isinstance(out, np.ndarray)
    elif input_kind == "pandas":
        assert isinstance(out, pd.Series) and out.index.equals(Xk.index)
    elif input_kind == "dask_array":
        assert isinstance(out, da.Array) and out.chunks == (Xk.chunks[0],)
    else:
        assert isinstance(out, dd.Series) and out.divisions == Xk.divisions
        out = out.compute()
        assert out.index.equals(Xk.index.compute())
    np.testing.assert_allclose(np.asarray(dask.compute(out)[0]), expected, rtol=RTOL)


def test_row_norms_several_column_blocks_and_ints():
    X = _data()
    out = row_norms(da.from_array(X, chunks=(40, 2)))
    np.testing.assert_allclose(out.compute(), skm.row_norms(X), rtol=RTOL)
    Xi = np.arange(12).reshape(4, 3)
    out = row_norms(da.from_array(Xi, chunks=2), squared=True)
    assert out.dtype == skm.row_norms(Xi, squared=True).dtype
    np.testing.assert_array_equal(out.compute(), skm.row_norms(Xi, squared=True))


def test_row_norms_is_lazy():
    assert isinstance(row_norms(poisoned("dask_array", _data())), da.Array)
    assert isinstance(row_norms(poisoned("dask_dataframe", _data())), dd.Series)


def test_row_norms_errors():
    with pytest.raises(ValueError, match="expects a 2-D X, got 1 dimension"):
        row_norms(np.ones(3))
    with pytest.raises(ValueError, match="expects a 2-D X, got 1 dimension"):
        row_norms(pd.Series([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"numeric columns; \['b'\]"):
        row_norms(pd.DataFrame({"a": [1.0], "b": ["x"]}))


# ---------------------------------------------------------------------------------------------
# assert_estimator_equal
# ---------------------------------------------------------------------------------------------


def _fitted(seed=0):
    X = _data(seed=seed)
    noise = np.random.default_rng(seed + 100).normal(scale=0.1, size=len(X))
    return LinearRegression().fit(X, X @ np.array([1.0, 2.0, 3.0]) + 0.5 + noise)


class _Holder(BaseEstimator):
    """A fitted-looking estimator holding arbitrary attributes."""

    def __init__(self, **fitted):
        for name, value in fitted.items():
            setattr(self, name, value)

    def fit(self, X=None, y=None):
        return self


def test_assert_estimator_equal_sklearn_models():
    assert_estimator_equal(_fitted(), _fitted())
    with pytest.raises(AssertionError, match="coef_"):
        assert_estimator_equal(_fitted(0), _fitted(1))
    assert_estimator_equal(_fitted(0), _fitted(1), exclude=["coef_", "intercept_", "singular_"])
    assert_estimator_equal(_fitted(0), _fitted(1), atol=0.5, exclude="singular_")


def test_assert_estimator_equal_computes_dask_values():
    coef = _data(n=10)
    left = _Holder(coef_=coef, n_iter_=3)
    right = _Holder(coef_=da.from_array(coef, chunks=5), n_iter_=np.int64(3))
    assert_estimator_equal(left, right)
    right.coef_ = da.from_array(coef + 1e-3, chunks=5)
    with pytest.raises(AssertionError, match="coef_"):
        assert_estimator_equal(left, right)
    assert_estimator_equal(left, right, rtol=0, atol=1e-2)


def test_assert_estimator_equal_messages():
    with pytest.raises(AssertionError, match=r"only on the left \['b_'\], only on the right"):
        assert_estimator_equal(_Holder(a_=1, b_=2), _Holder(a_=1))
    assert_estimator_equal(_Holder(a_=1, b_=2), _Holder(a_=1), exclude="b_")
    with pytest.raises(AssertionError, match="dtype float32 on the left, float64"):
        assert_estimator_equal(_Holder(a_=np.ones(2, np.float32)), _Holder(a_=np.ones(2)))
    assert_estimator_equal(
        _Holder(a_=np.ones(2, np.float32)), _Holder(a_=np.ones(2)), check_dtype=False
    )
    with pytest.raises(AssertionError, match=r"shape \(2,\) on the left, \(3,\)"):
        assert_estimator_equal(_Holder(a_=np.ones(2)), _Holder(a_=np.ones(3)))
    with pytest.raises(AssertionError, match="'x' on the left, 'y' on the right"):
        assert_estimator_equal(_Holder(a_="x"), _Holder(a_="y"))
    with pytest.raises(TypeError, match=r"unexpected keyword\(s\) \['decimal'\]"):
        assert_estimator_equal(_Holder(), _Holder(), decimal=3)
    assert_estimator_equal(_Holder(a_=np.nan), _Holder(a_=np.nan), check_graph=False)


def test_assert_estimator_equal_containers_and_nested():
    left = _Holder(
        classes_=np.array(["a", "b"]),
        categories_=[np.array([1, 2]), np.array([3.0])],
        results_={"score": np.array([0.5, 0.25])},
        best_estimator_=_fitted(),
        table_=pd.DataFrame({"a": [1.0, 2.0]}),
    )
    right = _Holder(
        classes_=np.array(["a", "b"]),
        categories_=[np.array([1, 2]), da.from_array(np.array([3.0]), chunks=1)],
        results_={"score": np.array([0.5, 0.25])},
        best_estimator_=_fitted(),
        table_=dd.from_pandas(pd.DataFrame({"a": [1.0, 2.0]}), npartitions=1),
    )
    assert_estimator_equal(left, right)
    right.best_estimator_ = _fitted(seed=1)
    with pytest.raises(AssertionError, match=r"best_estimator_\.coef_"):
        assert_estimator_equal(left, right)
    right.best_estimator_ = _fitted()
    right.results_ = {"score": np.array([0.5, 0.3])}
    with pytest.raises(AssertionError, match=r"results_\['score'\]"):
        assert_estimator_equal(left, right)
