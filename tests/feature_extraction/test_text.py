"""The text vectorizers against scikit-learn on lists, pandas Series, dask Series, dask arrays
of strings and dask bags: equal sparse matrices and vocabularies, lazy sparse blocks."""

from __future__ import annotations

import pickle

import dask
import dask.array as da
import dask.bag as db
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn.feature_extraction.text as sk_text
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction import FeatureHasher as SkFeatureHasher

from dasklearn.exceptions import InvalidParameterError
from dasklearn.feature_extraction.text import CountVectorizer, FeatureHasher, HashingVectorizer

JUNK_FOOD_DOCS = (
    "the pizza pizza beer copyright",
    "the pizza burger beer copyright",
    "the the pizza beer beer copyright",
    "the burger beer beer copyright",
    "the coke burger coke copyright",
    "the coke burger burger",
)
KINDS = ("list", "pandas", "dask_series", "dask_array", "bag")


@pytest.fixture(autouse=True)
def _threads():
    """Bags default to dask's process pool; tests without ``scheduler`` run on threads."""
    with dask.config.set(scheduler="threads"):
        yield


def _corpus(n=120, seed=0):
    """Documents over a Zipf-like vocabulary: many ties in counts and document frequencies."""
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i:02d}" for i in range(40)] + ["The", "a", "and", "Über", "café"])
    p = 1.0 / np.arange(1, len(words) + 1)
    docs = [" ".join(rng.choice(words, size=rng.integers(0, 12), p=p / p.sum())) for _ in range(n)]
    return docs


CORPUS = _corpus()


def as_docs(kind, docs, npartitions=3):
    docs = list(docs)
    if kind == "list":
        return docs
    if kind == "pandas":
        return pd.Series(docs)
    if kind == "dask_series":
        strings = all(isinstance(d, str) for d in docs)  # else keep the objects (dicts, lists)
        with dask.config.set({"dataframe.convert-string": strings}):
            return dd.from_pandas(pd.Series(docs), npartitions=npartitions)
    if kind == "dask_array":
        return da.from_array(np.array(docs, dtype=object), chunks=-(-len(docs) // npartitions))
    return db.from_sequence(docs, npartitions=npartitions)


def check_sparse_result(result, expected, kind):
    """``result`` is scikit-learn's matrix (in memory) or lazy sparse blocks (dask)."""
    if kind in ("list", "pandas"):
        assert type(result) is type(expected)
        computed = result
    else:
        assert isinstance(result, da.Array)
        assert sp.issparse(result._meta) and result.dtype == expected.dtype
        assert result.shape[1] == expected.shape[1]
        assert all(sp.issparse(b) for b in dask.compute(*result.to_delayed().ravel()))
        computed = result.compute()
    assert computed.shape == expected.shape and computed.dtype == expected.dtype
    assert (computed != expected).nnz == 0


@pytest.mark.parametrize("kind", KINDS)
def test_hashing_vectorizer_matches_scikit_learn(kind, scheduler):
    params = {"n_features": 64, "ngram_range": (1, 2), "norm": "l1"}
    expected = sk_text.HashingVectorizer(**params).fit_transform(CORPUS)
    vect = HashingVectorizer(**params)
    check_sparse_result(vect.fit_transform(as_docs(kind, CORPUS)), expected, kind)
    assert vect.get_params() == sk_text.HashingVectorizer(**params).get_params()


@pytest.mark.parametrize("kind", KINDS)
def test_feature_hasher_matches_scikit_learn(kind, scheduler):
    samples = [{"dog": 1, "cat": i % 3, "run": 0.5 * i} for i in range(20)]
    expected = SkFeatureHasher(n_features=16).transform(samples)
    check_sparse_result(
        FeatureHasher(n_features=16).transform(as_docs(kind, samples)), expected, kind
    )
    tokens = [["a", "b", "b"], ["c"], [], ["a", "d", "e", "f"]] * 3  # ragged lists of strings
    hasher = FeatureHasher(n_features=8, input_type="string")
    expected = SkFeatureHasher(n_features=8, input_type="string").transform(tokens)
    check_sparse_result(hasher.fit_transform(as_docs(kind, tokens)), expected, kind)


COUNT_PARAMS = [
    {},
    {"min_df": 2, "max_df": 0.5},
    {"min_df": 0.05, "max_df": 20},
    {"max_features": 7},
    {"max_features": 12, "binary": True},
    {"max_features": 9, "dtype": np.float32},
    {"ngram_range": (1, 2), "stop_words": "english", "lowercase": False},
    {"analyzer": "char_wb", "ngram_range": (2, 3), "max_features": 30, "strip_accents": "ascii"},
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("params", COUNT_PARAMS, ids=str)
def test_count_vectorizer_matches_scikit_learn(kind, params):
    theirs = sk_text.CountVectorizer(**params)
    expected = theirs.fit_transform(CORPUS)
    ours = CountVectorizer(**params)
    result = ours.fit_transform(as_docs(kind, CORPUS, npartitions=7))
    assert ours.vocabulary_ == theirs.vocabulary_
    assert list(ours.vocabulary_) == list(theirs.vocabulary_)  # the same order, too
    assert ours.fixed_vocabulary_ is False
    np.testing.assert_array_equal(ours.get_feature_names_out(), theirs.get_feature_names_out())
    check_sparse_result(result, expected, kind)


@pytest.mark.parametrize("kind", ("dask_series", "dask_array", "bag"))
def test_count_vectorizer_on_the_cluster(kind, scheduler):
    params = {"max_features": 10, "min_df": 2}
    theirs = sk_text.CountVectorizer(**params)
    expected = theirs.fit_transform(JUNK_FOOD_DOCS + tuple(CORPUS))
    ours = CountVectorizer(**params).fit(as_docs(kind, JUNK_FOOD_DOCS + tuple(CORPUS)))
    assert ours.vocabulary_ == theirs.vocabulary_
    check_sparse_result(
        ours.transform(as_docs(kind, JUNK_FOOD_DOCS + tuple(CORPUS))), expected, kind
    )
    again = pickle.loads(pickle.dumps(ours))
    assert again.vocabulary_ == ours.vocabulary_


def _counting_bag(docs, reads, npartitions=3):
    def read(doc):
        reads.append(doc)
        return doc

    return db.from_sequence(list(docs), npartitions=npartitions).map(read)


def test_count_vectorizer_fit_reads_each_document_once_and_transform_is_lazy():
    reads = []
    docs = _counting_bag(CORPUS, reads)
    cv = CountVectorizer(max_features=5).fit(docs)
    assert len(reads) == len(CORPUS)
    X = cv.transform(docs)
    assert len(reads) == len(CORPUS)  # nothing computed yet
    X.compute()
    assert len(reads) == 2 * len(CORPUS)


def test_count_vectorizer_fixed_vocabulary_reads_nothing():
    reads = []
    vocabulary = ["pizza", "beer", "coke"]
    cv = CountVectorizer(vocabulary=vocabulary).fit(_counting_bag(JUNK_FOOD_DOCS, reads))
    assert reads == [] and cv.fixed_vocabulary_ is True
    theirs = sk_text.CountVectorizer(vocabulary=vocabulary)
    expected = theirs.fit_transform(JUNK_FOOD_DOCS)
    assert cv.vocabulary_ == theirs.vocabulary_
    check_sparse_result(cv.transform(as_docs("bag", JUNK_FOOD_DOCS)), expected, "bag")
    unfitted = CountVectorizer(vocabulary=vocabulary)  # transform without fit, as scikit-learn
    check_sparse_result(unfitted.transform(list(JUNK_FOOD_DOCS)), expected, "list")


def test_empty_blocks(scheduler):
    docs = np.array(JUNK_FOOD_DOCS, dtype=object)
    darray = da.from_array(docs, chunks=((2, 0, 3, 0, 1),))
    frame = pd.Series(JUNK_FOOD_DOCS, index=[0, 1, 2, 10, 11, 12])
    dseries = dd.from_pandas(frame, npartitions=1).repartition(divisions=[0, 5, 9, 12])
    assert 0 in [len(p) for p in dask.compute(*dseries.to_delayed())]
    bag = db.from_delayed([dask.delayed(list)(JUNK_FOOD_DOCS[:3]), dask.delayed(list)([])])
    theirs = sk_text.CountVectorizer().fit(JUNK_FOOD_DOCS)
    for docs in (darray, dseries, bag):
        cv = CountVectorizer().fit(docs)
        if docs is not bag:
            assert cv.vocabulary_ == theirs.vocabulary_
            check_sparse_result(cv.transform(docs), theirs.transform(JUNK_FOOD_DOCS), "dask")
        hashed = HashingVectorizer(n_features=32).transform(docs).compute()
        assert hashed.shape == (6 if docs is not bag else 3, 32)
    result = HashingVectorizer(n_features=32).transform(darray)
    assert result.chunks == ((2, 0, 3, 0, 1), (32,))


def test_bad_input_and_parameters():
    docs = dd.from_pandas(pd.DataFrame({"text": list(JUNK_FOOD_DOCS)}), npartitions=2)
    for vect in (HashingVectorizer(), CountVectorizer()):
        with pytest.raises(ValueError, match="1-dimensional array"):
            vect.fit_transform(docs)
        with pytest.raises(ValueError, match="1-dimensional array"):
            vect.fit_transform(docs.to_dask_array(lengths=True))
        with pytest.raises(ValueError, match="string object received"):
            vect.fit_transform("one document")
    with pytest.raises(NotFittedError):
        CountVectorizer().transform(as_docs("bag", JUNK_FOOD_DOCS))
    with pytest.raises(ValueError, match="empty vocabulary"):
        CountVectorizer(stop_words=["the", "pizza"]).fit(as_docs("bag", ["the pizza", "a b"]))
    with pytest.raises(ValueError, match="no terms remain"):
        CountVectorizer(min_df=7, max_df=100).fit(as_docs("dask_array", JUNK_FOOD_DOCS))
    with pytest.raises(ValueError, match="max_df corresponds to < documents than min_df"):
        CountVectorizer(max_df=0.1, min_df=3).fit(as_docs("bag", JUNK_FOOD_DOCS))
    with pytest.raises(ValueError, match="max_df corresponds to < documents than min_df"):
        CountVectorizer(max_df=2, min_df=3).fit(as_docs("bag", JUNK_FOOD_DOCS))  # no pass
    with pytest.raises(ValueError, match="lower boundary larger than the upper"):
        CountVectorizer(ngram_range=(2, 1)).fit(as_docs("bag", JUNK_FOOD_DOCS))
    with pytest.raises(InvalidParameterError, match="max_features"):
        CountVectorizer(max_features=0).fit(JUNK_FOOD_DOCS)
    with pytest.raises(InvalidParameterError, match="max_df"):
        CountVectorizer(max_df=0).fit(JUNK_FOOD_DOCS)
    with pytest.raises(InvalidParameterError, match="n_features"):
        HashingVectorizer(n_features=0).transform(as_docs("bag", JUNK_FOOD_DOCS))
    with pytest.raises(InvalidParameterError, match="input_type"):
        FeatureHasher(input_type="table").transform([{"a": 1}])


def test_inverse_transform_and_analyzer():
    cv = CountVectorizer().fit(as_docs("dask_series", JUNK_FOOD_DOCS))
    theirs = sk_text.CountVectorizer().fit(JUNK_FOOD_DOCS)
    X = cv.transform(as_docs("dask_series", JUNK_FOOD_DOCS))
    expected = theirs.inverse_transform(X.compute())
    for ours, terms in zip(cv.inverse_transform(X), expected, strict=True):
        np.testing.assert_array_equal(ours, terms)
    assert cv.build_analyzer()("The Pizza") == ["the", "pizza"]
