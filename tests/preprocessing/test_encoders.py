"""OneHotEncoder and OrdinalEncoder against scikit-learn, on the four input kinds.

The reference is scikit-learn on the same values in memory: the NumPy object array behind the
NumPy and dask-array inputs, the pandas frame behind the pandas and dask-dataframe inputs
(dask turns string and object columns into pandas' ``string`` dtype, whose ``<NA>``
scikit-learn refuses; dasklearn reads it as NaN, which is what scikit-learn gives for the
original column). Results must be equal: categories (values and dtypes), names, every output
value, and the inverse transform.
"""

from __future__ import annotations

import pickle
import warnings

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
import sklearn.preprocessing as skp
from sklearn.utils import check_array

from dasklearn.exceptions import InvalidParameterError
from dasklearn.preprocessing import OneHotEncoder, OrdinalEncoder
from dasklearn.preprocessing import _cat_kernels as K

N = 120


def _objects(seed: int = 0) -> np.ndarray:
    """An object array: strings with None and NaN, integers, floats with NaN."""
    rng = np.random.default_rng(seed)
    strings = rng.choice(np.array(["a", "b", "c", "d", None, np.nan], dtype=object), N)
    strings[:4] = ["a", "b", "c", "d"]  # every string category in the first block
    return np.column_stack(
        [
            strings,
            rng.integers(0, 4, N).astype(object),
            np.where(rng.random(N) < 0.1, np.nan, rng.integers(0, 3, N) / 2).astype(object),
        ]
    )


def _frame(seed: int = 0) -> pd.DataFrame:
    """A frame of pandas' default string dtype, a categorical with an unobserved category, an
    integer, a float with NaN and a nullable integer column."""
    rng = np.random.default_rng(seed)
    city = rng.choice(np.array(["paris", "tokyo", "lima", "oslo", None], dtype=object), N)
    return pd.DataFrame(
        {
            "city": pd.Series(city, dtype="str"),
            "size": pd.Categorical(
                rng.choice(["S", "M", "L"], N), categories=["XL", "L", "M", "S"]
            ),
            "rooms": rng.integers(1, 5, N),
            "rate": np.where(rng.random(N) < 0.1, np.nan, rng.integers(0, 3, N) * 0.5),
            "floors": pd.array(np.where(rng.random(N) < 0.1, None, rng.integers(0, 3, N)), "Int64"),
        }
    )


def _inputs(kind: str, seed: int = 0, chunks: int = 40):
    """(X of ``kind``, the in-memory data scikit-learn gets)."""
    if kind in ("numpy", "dask_array"):
        ref = _objects(seed)
        X = ref if kind == "numpy" else da.from_array(ref, chunks=(chunks, -1))
        return X, ref
    ref = _frame(seed)
    X = ref if kind == "pandas" else dd.from_pandas(ref, npartitions=N // chunks)
    return X, ref


def _dense(out):
    if hasattr(out, "compute"):
        out = out.compute()
    if sp.issparse(out):
        out = out.toarray()
    return np.asarray(out, dtype=np.float64)


def _computed(out):
    out = out.compute() if hasattr(out, "compute") else out
    return np.asarray(out)


def _same(a, b) -> bool:
    return (a is None and b is None) or (K.is_nan(a) and K.is_nan(b)) or a == b


def assert_categories_equal(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == b.dtype, (a, b)
        assert len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True)), (a, b)


def assert_objects_equal(ours, theirs):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape
    assert all(_same(x, y) for x, y in zip(ours.ravel(), theirs.ravel(), strict=True))


ONE_HOT_PARAMS = [
    {"sparse_output": True},
    {"sparse_output": False, "drop": "first", "handle_unknown": "ignore"},
    {"sparse_output": True, "drop": "if_binary", "min_frequency": 15},
    {"sparse_output": False, "max_categories": 3, "handle_unknown": "infrequent_if_exist"},
]


@pytest.mark.parametrize("params", ONE_HOT_PARAMS, ids=lambda p: ",".join(p))
def test_one_hot_matches_scikit_learn(input_kind, scheduler, params):
    params = dict(params)
    sparse_output = params.pop("sparse_output")
    X, ref = _inputs(input_kind)
    sk = skp.OneHotEncoder(sparse_output=sparse_output, **params).fit(ref)
    enc = OneHotEncoder(sparse_output=sparse_output, **params).fit(X)
    assert enc.n_passes_ == 1
    assert_categories_equal(enc.categories_, sk.categories_)
    assert list(enc.get_feature_names_out()) == list(sk.get_feature_names_out())
    if "min_frequency" in params or "max_categories" in params:
        assert_categories_equal(
            [c for c in enc.infrequent_categories_ if c is not None],
            [c for c in sk.infrequent_categories_ if c is not None],
        )
    np.testing.assert_array_equal(enc.drop_idx_, sk.drop_idx_)
    out = enc.transform(X)
    expected = sk.transform(ref)
    np.testing.assert_array_equal(_dense(out), _dense(expected))
    if input_kind == "dask_array":
        assert isinstance(out, da.Array) and out.chunks[0] == X.chunks[0]
        assert sp.issparse(out._meta) == sparse_output
    elif input_kind == "dask_dataframe":
        if sparse_output:
            assert isinstance(out, da.Array) and sp.issparse(out._meta)
        else:
            assert isinstance(out, dd.DataFrame) and out.divisions == X.divisions
            assert list(out.columns) == list(sk.get_feature_names_out())
    else:
        assert type(out) is type(expected)
    assert_objects_equal(_computed(enc.inverse_transform(out)), sk.inverse_transform(expected))


ORDINAL_PARAMS = [
    {},
    {"handle_unknown": "use_encoded_value", "unknown_value": -1, "encoded_missing_value": -2},
    {"min_frequency": 0.15},
]


@pytest.mark.parametrize("params", ORDINAL_PARAMS, ids=lambda p: ",".join(p) or "default")
def test_ordinal_matches_scikit_learn(input_kind, scheduler, params):
    X, ref = _inputs(input_kind)
    sk = skp.OrdinalEncoder(**params).fit(ref)
    enc = OrdinalEncoder(**params).fit(X)
    assert_categories_equal(enc.categories_, sk.categories_)
    out = enc.transform(X)
    np.testing.assert_array_equal(_dense(out), sk.transform(ref))
    if input_kind == "dask_dataframe":
        assert isinstance(out, dd.DataFrame) and list(out.columns) == list(ref.columns)
    back = _computed(enc.inverse_transform(out))
    if "min_frequency" in params:
        # scikit-learn 1.9 inverts infrequent codes wrongly when a feature has NaN; ours maps
        # every row back to its category, or "infrequent_sklearn"
        infrequent = enc.infrequent_categories_
        for j in range(back.shape[1]):
            column = ref.iloc[:, j] if hasattr(ref, "iloc") else ref[:, j]
            raw = check_array(column, ensure_2d=False, dtype=None, ensure_all_finite=False)
            for got, value in zip(back[:, j], raw, strict=True):
                grouped = infrequent[j] is not None and any(_same(value, v) for v in infrequent[j])
                assert got == K.INFREQUENT if grouped else _same(got, value), (got, value)
    else:
        assert_objects_equal(back, sk.inverse_transform(sk.transform(ref)))


# --------------------------------------------------------------------------------------------
# unknown categories, NaN, strings, categoricals
# --------------------------------------------------------------------------------------------


def test_unknown_categories_name_the_column_and_values(scheduler):
    train = pd.DataFrame({"city": ["paris", "lima"], "n": [1, 2]})
    new = pd.DataFrame({"city": ["paris", "rome", "oslo"], "n": [1, 2, 2]})
    enc = OneHotEncoder().fit(train)
    with pytest.raises(ValueError, match=r"unknown categories \['oslo', 'rome'\] in column 0"):
        enc.transform(new)
    lazy = OneHotEncoder().fit(dd.from_pandas(train, npartitions=1))
    out = lazy.transform(dd.from_pandas(new, npartitions=2))  # checked when computed
    with pytest.raises(ValueError, match=r"column 0 \('city'\) during transform"):
        out.compute()
    ignore = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(train)
    np.testing.assert_array_equal(ignore.transform(new)[1:, :2], 0)
    with pytest.raises(ValueError, match="unknown categories"):
        OrdinalEncoder().fit(train).transform(new)
    coded = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1).fit(train)
    np.testing.assert_array_equal(coded.transform(new)[:, 0], [1, -1, -1])


def test_warn_and_drop_warn_like_scikit_learn():
    train = np.array([["a"], ["b"], ["b"]], dtype=object)
    new = np.array([["c"]], dtype=object)
    for params in ({"handle_unknown": "warn"}, {"handle_unknown": "ignore", "drop": "first"}):
        ours, sk = OneHotEncoder(**params).fit(train), skp.OneHotEncoder(**params).fit(train)
        with pytest.warns(UserWarning, match="Found unknown categories in columns") as got:
            out = ours.transform(new)
        with pytest.warns(UserWarning) as expected:
            reference = sk.transform(new)
        assert str(got[0].message) == str(expected[0].message)
        np.testing.assert_array_equal(out.toarray(), reference.toarray())


def test_known_categorical_dtype_refuses_new_categories_before_any_work():
    fit = pd.DataFrame({"c": pd.Categorical(["a", "b", "a"], categories=["a", "b", "z"])})
    enc = OneHotEncoder().fit(dd.from_pandas(fit, npartitions=2))
    assert [list(c) for c in enc.categories_] == [["a", "b"]]  # the observed values
    calls = []

    def spy(part):
        calls.append(1)
        return part

    same = dd.from_pandas(fit, npartitions=2).map_partitions(spy, meta=fit.iloc[:0])
    out = enc.transform(same)  # "z" was declared at fit: checked per block, and absent
    np.testing.assert_array_equal(_dense(out), [[1, 0], [0, 1], [1, 0]])
    calls.clear()
    other = pd.DataFrame({"c": pd.Categorical(["a"], categories=["a", "b", "q"])})
    with pytest.raises(ValueError, match=r"unknown categories \['q'\].*before any work"):
        enc.transform(dd.from_pandas(other, npartitions=1).map_partitions(spy, meta=other[:0]))
    assert not calls
    OneHotEncoder(handle_unknown="ignore").fit(fit).transform(dd.from_pandas(other, 1))


def test_missing_or_renamed_columns_raise_before_any_work():
    df = _frame()
    enc = OneHotEncoder().fit(dd.from_pandas(df, npartitions=3))
    with pytest.raises(ValueError, match="feature names should match"):
        enc.transform(dd.from_pandas(df.rename(columns={"city": "town"}), npartitions=3))
    with pytest.raises(ValueError, match="features"):
        enc.transform(dd.from_pandas(df.drop(columns="rate"), npartitions=3))
    with pytest.raises(ValueError, match="features"):
        OrdinalEncoder().fit(_objects()).transform(_objects()[:, :2])


def test_nan_and_none_are_categories():
    X = np.array([["a"], [None], [np.nan], ["a"], [None]], dtype=object)
    for kind in (X, da.from_array(X, chunks=2)):
        enc = OneHotEncoder(sparse_output=False).fit(kind)
        assert_categories_equal(enc.categories_, [np.array(["a", None, np.nan], dtype=object)])
        np.testing.assert_array_equal(_dense(enc.transform(kind)), np.eye(3)[[0, 1, 2, 0, 1]])
    ordinal = OrdinalEncoder(encoded_missing_value=-1).fit(X)
    np.testing.assert_array_equal(ordinal.transform(X).ravel(), [0, 1, -1, 0, 1])


def test_string_dtypes_and_dask_string_na():
    values = ["b", None, "a", "b"]
    reference = skp.OneHotEncoder().fit(pd.DataFrame({"s": pd.Series(values, dtype="str")}))
    for dtype in ("str", "string", "category", "object"):
        frame = pd.DataFrame({"s": pd.Series(values, dtype=dtype)})
        for X in (frame, dd.from_pandas(frame, npartitions=2)):
            enc = OneHotEncoder(sparse_output=False).fit(X)
            expected = [np.array(["a", "b", None if dtype == "object" else np.nan], object)]
            if dtype == "object" and isinstance(X, dd.DataFrame):
                expected = reference.categories_  # dask made it a string column: None is NaN
            assert_categories_equal(enc.categories_, expected)
            np.testing.assert_array_equal(_dense(enc.transform(X)), np.eye(3)[[1, 2, 0, 1]])


def test_one_category_and_an_empty_block(scheduler):
    df = pd.DataFrame({"only": ["x"] * 6, "n": [1, 2, 1, 2, 1, 1]})
    parts = [df.iloc[:3], df.iloc[3:3], df.iloc[3:]]
    ddf = dd.from_delayed([dask.delayed(p) for p in parts], meta=df.iloc[:0])
    assert [len(p) for p in ddf.partitions] == [3, 0, 3]
    enc = OneHotEncoder(sparse_output=False, drop="if_binary").fit(ddf)
    sk = skp.OneHotEncoder(sparse_output=False, drop="if_binary").fit(df)
    assert_categories_equal(enc.categories_, sk.categories_)
    np.testing.assert_array_equal(_dense(enc.transform(ddf)), sk.transform(df))
    empty = np.empty((0, 2), dtype=object)
    arr = da.concatenate(
        [da.from_array(df.to_numpy(object)[:3], chunks=-1), da.from_array(empty, chunks=-1)]
    )
    ordinal = OrdinalEncoder().fit(arr)
    np.testing.assert_array_equal(_dense(ordinal.transform(arr)), [[0, 0], [0, 1], [0, 0]])


def test_unknown_chunk_sizes_and_column_chunks(scheduler):
    ref = _objects()
    X = da.from_array(ref, chunks=(40, -1))[da.from_array(np.ones(N, dtype=bool), chunks=40)]
    X = X.rechunk({1: 1})  # one block per column: read with all its columns
    assert np.isnan(X.shape[0]) and X.numblocks == (3, 3)
    sk = skp.OneHotEncoder(handle_unknown="ignore").fit(ref)
    enc = OneHotEncoder(handle_unknown="ignore").fit(X)
    np.testing.assert_array_equal(_dense(enc.transform(X)), sk.transform(ref).toarray())


# --------------------------------------------------------------------------------------------
# parameters, categories given, outputs
# --------------------------------------------------------------------------------------------


def test_given_categories_count_passes_and_check_unknown():
    X = np.array([["a", 1], ["b", 2], ["a", 2]], dtype=object)
    Xd = da.from_array(X, chunks=2)
    given = [["a", "b", "c"], [1, 2]]
    enc = OneHotEncoder(categories=given, handle_unknown="ignore").fit(Xd)
    assert enc.n_passes_ == 0  # neither counted nor checked
    sk = skp.OneHotEncoder(categories=given, handle_unknown="ignore").fit(X)
    assert_categories_equal(enc.categories_, sk.categories_)
    np.testing.assert_array_equal(_dense(enc.transform(Xd)), sk.transform(X).toarray())
    with pytest.raises(ValueError, match=r"unknown categories \['b'\] in column 0 during fit"):
        OneHotEncoder(categories=[["a"], [1, 2]]).fit(Xd)
    with pytest.raises(ValueError, match="Unsorted categories"):
        OneHotEncoder(categories=[[2, 1]]).fit(np.array([[1], [2]]))
    infrequent = OneHotEncoder(categories=given, min_frequency=2, handle_unknown="ignore")
    sk = skp.OneHotEncoder(categories=given, min_frequency=2, handle_unknown="ignore")
    np.testing.assert_array_equal(
        _dense(infrequent.fit(Xd).transform(Xd)), sk.fit(X).transform(X).toarray()
    )


@pytest.mark.parametrize(
    "params",
    [
        {"handle_unknown": "maybe"},
        {"min_frequency": 0},
        {"max_categories": 0},
        {"drop": "last"},
        {"sparse_output": "yes"},
        {"n_values": 3},
    ],
)
def test_bad_parameters_raise_before_any_pass(params):
    calls = []

    def spy(part):
        calls.append(1)
        return part

    X = dd.from_pandas(_frame(), npartitions=2).map_partitions(spy, meta=_frame().iloc[:0])
    with pytest.raises((InvalidParameterError, ValueError)):
        OneHotEncoder(**params).fit(X)
    assert not calls
    with pytest.raises(InvalidParameterError, match="handle_unknown"):
        OrdinalEncoder(handle_unknown="ignore").fit(X)
    with pytest.raises(TypeError, match="unknown_value should only be set"):
        OrdinalEncoder(unknown_value=-1).fit(X)
    assert not calls


def test_ordinal_checks_like_scikit_learn():
    X = np.array([["a"], ["b"], [np.nan]], dtype=object)
    with pytest.raises(ValueError, match="already used for encoding the seen categories"):
        OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=1).fit(X)
    with pytest.raises(ValueError, match="already used to encode a known category"):
        OrdinalEncoder(encoded_missing_value=0).fit(X)
    with pytest.raises(ValueError, match="set encoded_missing_value to a non-nan value"):
        OrdinalEncoder(dtype=np.int64).fit(X)


def test_dask_ml_columns_keep_the_other_columns(scheduler):
    df = pd.DataFrame({"A": [1, 2, 3, 4], "B": pd.Categorical(["a", "b", "a", "c"]), "C": "x"})
    for X in (df, dd.from_pandas(df, npartitions=2)):
        enc = OrdinalEncoder(columns=["B"]).fit(X)
        assert list(enc.categorical_columns_) == ["B"]
        assert list(enc.non_categorical_columns_) == ["A", "C"]
        out = enc.transform(X)
        assert type(out) is type(X)
        out = out.compute() if hasattr(out, "compute") else out
        assert list(out.columns) == ["A", "B", "C"]
        np.testing.assert_array_equal(out["B"], [0, 1, 0, 2])
        assert out["A"].tolist() == [1, 2, 3, 4]
        back = enc.inverse_transform(enc.transform(X))
        back = back.compute() if hasattr(back, "compute") else back
        assert back["B"].tolist() == ["a", "b", "a", "c"] and back["A"].tolist() == [1, 2, 3, 4]
    with pytest.raises(ValueError, match=r"\['Z'\]"):
        OrdinalEncoder(columns=["Z"]).fit(df)
    with pytest.raises(TypeError, match="DataFrame"):
        OrdinalEncoder(columns=["B"]).fit(df.to_numpy())


def test_set_output_and_feature_name_combiner():
    df = _frame()
    enc = OneHotEncoder(sparse_output=False, feature_name_combiner=lambda f, c: f"{f}={c}")
    out = enc.set_output(transform="pandas").fit(df).transform(df)
    assert isinstance(out, pd.DataFrame) and out.index.equals(df.index)
    assert out.columns[0] == "city=lima"
    with pytest.raises(ValueError, match="Pandas output does not support sparse data"):
        OneHotEncoder().set_output(transform="pandas").fit(df).transform(df)
    if "sparse_interface" in sklearn.get_config():  # scikit-learn >= 1.9
        with sklearn.config_context(sparse_interface="sparray"):
            assert isinstance(OneHotEncoder().fit(df).transform(df), sp.csr_array)


def test_sparse_dask_output_computes_to_csr(scheduler):
    X, ref = _inputs("dask_dataframe")
    out = OneHotEncoder().fit(X).transform(X)
    assert sp.issparse(out._meta)
    computed = out.compute()
    assert sp.issparse(computed)
    np.testing.assert_array_equal(
        computed.toarray(), skp.OneHotEncoder().fit_transform(ref).toarray()
    )


def test_fitted_encoders_pickle_and_hold_no_dask():
    X, _ = _inputs("dask_dataframe")
    for enc in (OneHotEncoder(min_frequency=5).fit(X), OrdinalEncoder().fit(X)):
        for value in vars(enc).values():
            assert not dask.is_dask_collection(value)
        clone = pickle.loads(pickle.dumps(enc))
        np.testing.assert_array_equal(_dense(clone.transform(X)), _dense(enc.transform(X)))


def test_same_result_on_threads_and_cluster(client):
    X, _ = _inputs("dask_dataframe")
    with dask.config.set(scheduler="threads"):
        threads = OneHotEncoder(max_categories=3).fit(X)
    cluster = OneHotEncoder(max_categories=3).fit(X)
    assert_categories_equal(threads.categories_, cluster.categories_)
    assert_categories_equal(
        [c for c in threads.infrequent_categories_ if c is not None],
        [c for c in cluster.infrequent_categories_ if c is not None],
    )


# --------------------------------------------------------------------------------------------
# block kernels
# --------------------------------------------------------------------------------------------


def test_counts_merge_exactly_and_sort_like_scikit_learn():
    blocks = [
        np.array([["b"], [None], ["a"]], dtype=object),
        np.array([[np.nan], ["b"], ["c"], ["b"]], dtype=object),
    ]
    n_rows, (merged,) = K.merge_counts([K.count_block(b) for b in blocks])
    cats, counts = K.categories_from_counts(merged, np.dtype(object))
    assert n_rows == 7
    assert_objects_equal(cats, np.array(["a", "b", "c", None, np.nan], dtype=object))
    np.testing.assert_array_equal(counts, [1, 3, 1, 1, 1])
    with pytest.raises(TypeError, match="uniformly strings or numbers"):
        K.categories_from_counts(K.count_column(np.array(["a", 1], dtype=object)), object)
    with pytest.raises(ValueError, match="infinity"):
        K.count_column(np.array([1.0, np.inf]))


@pytest.mark.slow
def test_scikit_learn_estimator_checks():
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for estimator in (OneHotEncoder(handle_unknown="ignore"), OrdinalEncoder()):
            check_estimator(estimator)
