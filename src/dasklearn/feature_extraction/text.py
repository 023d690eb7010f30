"""Text documents to sparse features, block by block: hashing and counting vectorizers.

Documents come in memory (a list, NumPy array or pandas Series: the result is the
scipy.sparse matrix scikit-learn gives) or as a dask collection of documents, one document
per element: a ``dask.bag.Bag``, a dask Series or a 1-D dask array (lazy: a dask array whose
blocks are scipy.sparse CSR matrices, one block per partition, in the input's row blocks).
A dask DataFrame or a 2-D dask array is refused.

* :class:`HashingVectorizer` and :class:`FeatureHasher` are stateless: ``transform`` runs
  scikit-learn's transformer on each block where it lives.
* :class:`CountVectorizer` learns its vocabulary in one pass: each block returns its
  documents' term document frequencies (and term counts when ``max_features`` needs them),
  the partials are summed in block order, and ``min_df``, ``max_df`` and ``max_features`` are
  applied to the merged frequencies exactly as scikit-learn applies them to the whole corpus
  (same ties, same order of ``vocabulary_``). ``transform`` counts each block against the
  vocabulary, which enters the graph once.

The per-block kernels are in :mod:`._text_kernels` (plain Python/NumPy/SciPy); the per-row
results go through the shared output layer (:func:`dasklearn._output.map_rows`).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from numbers import Integral, Real
from operator import itemgetter
from typing import Any

import dask.array as da
import dask.bag as db
import dask.dataframe as dd
import numpy as np
import scipy.sparse as sp
import sklearn
import sklearn.feature_extraction.text as sk_text
from dask.highlevelgraph import HighLevelGraph
from dask.task_spec import Task, TaskRef
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction import FeatureHasher as _SkFeatureHasher

from .._blockwise import reduction, share_once
from .._chunks import frame_to_array
from .._output import Output, OutputMixin, map_rows
from .._params import Interval, InvalidParameterError, Options, check_params
from .._validation import check_is_fitted
from ._text_kernels import (
    as_interface,
    count_block,
    hash_block,
    merge_term_counts,
    object_array,
    select_vocabulary,
    term_counts,
)

__all__ = ["CountVectorizer", "FeatureHasher", "HashingVectorizer"]

_NOT_1D = "'X' should be a 1-dimensional array with length 'num_samples'."


# --------------------------------------------------------------------------------------------
# documents and sparse blocks
# --------------------------------------------------------------------------------------------


def _bag_to_array(bag: db.Bag) -> da.Array:
    """A 1-D object dask array, one block per partition of the bag (lengths unknown)."""
    parts = bag.to_delayed(optimize_graph=True)
    name = f"bag-to-array-{uuid.uuid4().hex}"
    layer = {(name, i): Task((name, i), object_array, TaskRef(p.key)) for i, p in enumerate(parts)}
    graph = HighLevelGraph.from_collections(name, layer, dependencies=parts)
    chunks = ((math.nan,) * len(parts),)
    return da.Array(graph, name, chunks, meta=np.empty((0,), dtype=object))


def _documents(raw: Any) -> tuple[bool, Any]:
    """(lazy, documents): dask input as a 1-D dask array or a dask Series; in-memory as is."""
    if isinstance(raw, str):
        raise ValueError("Iterable over raw text documents expected, string object received.")
    if isinstance(raw, db.Bag):
        return True, _bag_to_array(raw)
    if isinstance(raw, dd.Series):
        return True, raw
    if isinstance(raw, da.Array):
        if raw.ndim != 1:
            raise ValueError(_NOT_1D)
        return True, raw
    if isinstance(raw, dd.DataFrame) or getattr(raw, "ndim", 1) != 1:  # a table: not documents
        raise ValueError(_NOT_1D)
    if hasattr(raw, "__dask_graph__"):
        raise TypeError(f"Unsupported dask collection of documents: {type(raw).__name__}.")
    return False, raw


def _interface() -> str:
    """The scipy.sparse class scikit-learn's configuration asks for (matrix or array)."""
    return sklearn.get_config().get("sparse_interface", "spmatrix")


def _sparse_blocks(out: da.Array, dtype: Any, width: int, interface: str) -> da.Array:
    """``out`` with a scipy.sparse meta (the output layer gives dataframe input a NumPy one)."""
    meta = as_interface(sp.csr_matrix((0, width), dtype=dtype), interface)
    return da.Array(out.dask, out.name, out.chunks, meta=meta)


# --------------------------------------------------------------------------------------------
# estimators
# --------------------------------------------------------------------------------------------

_TEXT_CONSTRAINTS: dict[str, list[Any]] = {
    "input": [Options({"filename", "file", "content"})],
    "encoding": [str],
    "decode_error": [Options({"strict", "ignore", "replace"})],
    "strip_accents": [Options({"ascii", "unicode"}), None, "callable"],
    "lowercase": ["boolean"],
    "preprocessor": ["callable", None],
    "tokenizer": ["callable", None],
    "stop_words": [Options({"english"}), list, None],
    "token_pattern": [str, None],
    "ngram_range": [tuple],
    "analyzer": [Options({"word", "char", "char_wb"}), "callable"],
    "binary": ["boolean"],
    "dtype": ["no_validation"],
}
_N_FEATURES = [Interval(Integral, 1, np.iinfo(np.int32).max, closed="left")]


def _check_ngram_range(ngram_range: tuple) -> None:
    low, high = ngram_range
    if low > high:
        raise ValueError(
            f"Invalid value for ngram_range={ngram_range} lower boundary larger than the upper "
            "boundary."
        )


class _Sklearn(OutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """The scikit-learn estimator with the same parameters does the per-document work."""

    _sklearn_class: type

    def _sklearn(self) -> Any:
        return self._sklearn_class(**self.get_params())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        theirs = self._sklearn().__sklearn_tags__()
        tags.input_tags = theirs.input_tags
        tags.requires_fit = theirs.requires_fit
        return tags


class _Analysis(_Sklearn):
    """Vectorizers that analyse documents with scikit-learn's analyzer."""

    def build_analyzer(self) -> Any:
        """The callable that turns a document into its tokens (or n-grams).

        Returns
        -------
        analyzer : callable
            Preprocessing, tokenization and n-gram generation, as scikit-learn builds them.
        """
        return self._sklearn().build_analyzer()


class _BaseHasher(_Sklearn):
    """Stateless hashing: ``fit`` only checks the parameters, ``transform`` works blockwise."""

    def _checked(self) -> Any:
        """The scikit-learn hasher, its parameters checked (warnings raised here, once)."""
        check_params(self)
        sk = self._sklearn()
        sk.fit([])
        return sk

    def fit(self, X: Any = None, y: Any = None) -> Any:
        """Check the parameters; hashing learns nothing from the data.

        Parameters
        ----------
        X : ignored
            Documents (or samples); not read.
        y : ignored

        Returns
        -------
        self
        """
        if isinstance(X, str):
            raise ValueError("Iterable over raw text documents expected, string object received.")
        self._checked()
        return self

    def transform(self, raw_X: Any) -> Any:
        """Hash each document (sample) into a sparse row of ``n_features`` columns.

        Parameters
        ----------
        raw_X : list, NumPy array, pandas Series, dask bag, dask Series or 1-D dask array
            One document (or sample) per element.

        Returns
        -------
        X : scipy.sparse matrix or dask array of shape (n_samples, n_features)
            In-memory input: scikit-learn's sparse matrix. Dask input: a dask array of CSR
            blocks, one per partition (row counts unknown for bags and Series).
        """
        lazy, docs = _documents(raw_X)
        if not lazy:
            check_params(self)
            return self._sklearn().transform(raw_X)
        sk = self._checked()
        dtype, width, interface = np.dtype(self.dtype), int(self.n_features), _interface()
        out = map_rows(
            hash_block,
            docs,
            sk,
            interface,
            output=Output(dtype, width=width, sparse=True),
            dtype=None,
        )
        return _sparse_blocks(out, dtype, width, interface)


class HashingVectorizer(_Analysis, _BaseHasher):
    """Text documents to a sparse matrix of hashed token counts, blockwise on dask input.

    scikit-learn's ``HashingVectorizer`` (same parameters, same results) applied to each
    partition of a dask bag, dask Series or dask array of documents, where it lives. Nothing
    is learned: ``fit`` only checks the parameters.

    Parameters
    ----------
    input, encoding, decode_error, strip_accents, lowercase, preprocessor, tokenizer
        As in :class:`sklearn.feature_extraction.text.HashingVectorizer`.
    stop_words, token_pattern, ngram_range, analyzer
        As in scikit-learn.
    n_features : int, default=2**20
        Number of columns of the output.
    binary : bool, default=False
        All non-zero counts become 1.
    norm : {"l1", "l2"} or None, default="l2"
        Norm of every output row.
    alternate_sign : bool, default=True
        Alternate the sign of hashed features (approximately conserves inner products).
    dtype : type, default=np.float64
        Of the output values.

    Examples
    --------
    >>> import dask.bag as db
    >>> from dasklearn.feature_extraction.text import HashingVectorizer
    >>> docs = db.from_sequence(["the pizza beer", "the burger", "coke coke"], npartitions=2)
    >>> X = HashingVectorizer(n_features=8).transform(docs)
    >>> X
    dask.array<..., shape=(nan, 8), dtype=float64, chunksize=(nan, 8), chunktype=scipy.csr_matrix>
    >>> X.compute().shape
    (3, 8)
    """

    _sklearn_class = sk_text.HashingVectorizer
    _parameter_constraints = {
        **_TEXT_CONSTRAINTS,
        "n_features": _N_FEATURES,
        "norm": [Options({"l1", "l2"}), None],
        "alternate_sign": ["boolean"],
    }

    def __init__(
        self,
        *,
        input: str = "content",
        encoding: str = "utf-8",
        decode_error: str = "strict",
        strip_accents: Any = None,
        lowercase: bool = True,
        preprocessor: Any = None,
        tokenizer: Any = None,
        stop_words: Any = None,
        token_pattern: str | None = r"(?u)\b\w\w+\b",
        ngram_range: tuple[int, int] = (1, 1),
        analyzer: Any = "word",
        n_features: int = 2**20,
        binary: bool = False,
        norm: str | None = "l2",
        alternate_sign: bool = True,
        dtype: Any = np.float64,
    ) -> None:
        self.input = input
        self.encoding = encoding
        self.decode_error = decode_error
        self.strip_accents = strip_accents
        self.lowercase = lowercase
        self.preprocessor = preprocessor
        self.tokenizer = tokenizer
        self.stop_words = stop_words
        self.token_pattern = token_pattern
        self.ngram_range = ngram_range
        self.analyzer = analyzer
        self.n_features = n_features
        self.binary = binary
        self.norm = norm
        self.alternate_sign = alternate_sign
        self.dtype = dtype

    def partial_fit(self, X: Any, y: Any = None) -> HashingVectorizer:
        """Check the parameters (nothing to learn).

        Parameters
        ----------
        X : ignored
        y : ignored

        Returns
        -------
        self : HashingVectorizer
        """
        return self.fit(X, y)


class FeatureHasher(_BaseHasher):
    """Samples (dicts, (feature, value) pairs or lists of strings) to hashed sparse rows.

    scikit-learn's ``FeatureHasher`` applied to each partition of a dask bag, dask Series or
    dask array of samples, where it lives.

    Parameters
    ----------
    n_features : int, default=2**20
        Number of columns of the output.
    input_type : {"dict", "pair", "string"}, default="dict"
        What a sample is: a dict of feature -> value, an iterable of (feature, value) pairs,
        or an iterable of strings (each counted as value 1).
    dtype : type, default=np.float64
        Of the output values.
    alternate_sign : bool, default=True
        Alternate the sign of hashed features.

    Examples
    --------
    >>> import dask.bag as db
    >>> from dasklearn.feature_extraction.text import FeatureHasher
    >>> samples = db.from_sequence([{"dog": 1, "cat": 2}, {"dog": 2, "run": 5}], npartitions=2)
    >>> FeatureHasher(n_features=10).transform(samples).compute().toarray()
    array([[ 0.,  0.,  0., -1.,  0.,  0.,  0.,  0.,  0.,  2.],
           [ 0.,  0.,  0., -2., -5.,  0.,  0.,  0.,  0.,  0.]])
    """

    _sklearn_class = _SkFeatureHasher
    _parameter_constraints = {
        "n_features": _N_FEATURES,
        "input_type": [Options({"dict", "pair", "string"})],
        "dtype": ["no_validation"],
        "alternate_sign": ["boolean"],
    }

    def __init__(
        self,
        n_features: int = 2**20,
        *,
        input_type: str = "dict",
        dtype: Any = np.float64,
        alternate_sign: bool = True,
    ) -> None:
        self.n_features = n_features
        self.input_type = input_type
        self.dtype = dtype
        self.alternate_sign = alternate_sign


class CountVectorizer(_Analysis):
    """Text documents to a sparse matrix of token counts; the vocabulary learned in one pass.

    scikit-learn's ``CountVectorizer`` (same parameters, same vocabulary, same matrix) over
    dask bags, dask Series and dask arrays of documents. ``fit`` reads every block once:
    each returns its terms' document frequencies (and counts, when ``max_features`` needs
    them), merged in block order; ``min_df``, ``max_df`` and ``max_features`` then apply to the
    whole corpus. ``transform`` counts each block against the vocabulary where the block
    lives (lazy for dask input). A ``vocabulary`` given to the constructor is used as is and
    ``fit`` reads no data.

    Parameters
    ----------
    input, encoding, decode_error, strip_accents, lowercase, preprocessor, tokenizer
        As in :class:`sklearn.feature_extraction.text.CountVectorizer`.
    stop_words, token_pattern, ngram_range, analyzer
        As in scikit-learn.
    max_df : float in [0, 1] or int, default=1.0
        Drop terms in more documents than this (a fraction of the documents, or a count).
    min_df : float in [0, 1] or int, default=1
        Drop terms in fewer documents than this.
    max_features : int or None, default=None
        Keep the terms with the largest total counts only.
    vocabulary : mapping or iterable of terms, default=None
        A fixed vocabulary (term -> column).
    binary : bool, default=False
        All non-zero counts become 1.
    dtype : type, default=np.int64
        Of the output values.

    Attributes
    ----------
    vocabulary_ : dict
        Term -> column, in scikit-learn's order (the order terms were first seen).
    fixed_vocabulary_ : bool
        True when ``vocabulary`` was given.

    Notes
    -----
    Differences from dask-ml: no actor or client is needed (the vocabulary is merged from the
    block partials, on any scheduler), ``min_df``, ``max_df`` and ``max_features`` are
    honoured, dask arrays of documents are accepted, and ``vocabulary_`` has
    scikit-learn's order. The values of ``vocabulary_`` are Python ints.

    Examples
    --------
    >>> import dask.bag as db
    >>> from dasklearn.feature_extraction.text import CountVectorizer
    >>> docs = db.from_sequence(["the pizza beer", "the burger beer", "coke"], npartitions=2)
    >>> cv = CountVectorizer().fit(docs)
    >>> cv.get_feature_names_out()
    array(['beer', 'burger', 'coke', 'pizza', 'the'], dtype=object)
    >>> cv.transform(docs).compute().toarray()
    array([[1, 0, 0, 1, 1],
           [1, 1, 0, 0, 1],
           [0, 0, 1, 0, 0]])
    """

    _sklearn_class = sk_text.CountVectorizer
    _parameter_constraints = {
        **_TEXT_CONSTRAINTS,
        "max_df": [Interval(Integral, 1, None, closed="left"), Interval(Real, 0, 1)],
        "min_df": [Interval(Integral, 1, None, closed="left"), Interval(Real, 0, 1)],
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
        "vocabulary": [Mapping, "array-like", set, None],
    }

    def __init__(
        self,
        *,
        input: str = "content",
        encoding: str = "utf-8",
        decode_error: str = "strict",
        strip_accents: Any = None,
        lowercase: bool = True,
        preprocessor: Any = None,
        tokenizer: Any = None,
        stop_words: Any = None,
        token_pattern: str | None = r"(?u)\b\w\w+\b",
        ngram_range: tuple[int, int] = (1, 1),
        analyzer: Any = "word",
        max_df: float | int = 1.0,
        min_df: float | int = 1,
        max_features: int | None = None,
        vocabulary: Any = None,
        binary: bool = False,
        dtype: Any = np.int64,
    ) -> None:
        self.input = input
        self.encoding = encoding
        self.decode_error = decode_error
        self.strip_accents = strip_accents
        self.lowercase = lowercase
        self.preprocessor = preprocessor
        self.tokenizer = tokenizer
        self.stop_words = stop_words
        self.token_pattern = token_pattern
        self.ngram_range = ngram_range
        self.analyzer = analyzer
        self.max_df = max_df
        self.min_df = min_df
        self.max_features = max_features
        self.vocabulary = vocabulary
        self.binary = binary
        self.dtype = dtype

    def _check(self) -> None:
        check_params(self)
        for name in ("max_df", "min_df"):
            value = getattr(self, name)
            if isinstance(value, Integral) and not isinstance(value, bool) and value < 1:
                raise InvalidParameterError(
                    f"{name} must be a float in [0, 1] or an int >= 1; got {value!r}."
                )
        _check_ngram_range(self.ngram_range)
        if isinstance(self.max_df, Integral) and isinstance(self.min_df, Integral):
            if self.max_df < self.min_df:
                raise ValueError("max_df corresponds to < documents than min_df")

    def _use_fixed_vocabulary(self) -> None:
        """``vocabulary_`` from the ``vocabulary`` parameter, checked by scikit-learn."""
        sk = self._sklearn().fit([])
        self.vocabulary_ = dict(sk.vocabulary_)
        self.fixed_vocabulary_ = True

    def fit(self, raw_documents: Any, y: Any = None) -> CountVectorizer:
        """Learn the vocabulary in one pass over the documents.

        Parameters
        ----------
        raw_documents : list, NumPy array, pandas Series, dask bag, dask Series or 1-D dask array
            One document per element.
        y : ignored

        Returns
        -------
        self : CountVectorizer
            The fitted vectorizer.
        """
        self._check()
        lazy, docs = _documents(raw_documents)
        self.__dict__.pop("vocabulary_", None)
        if self.vocabulary is not None:
            self._use_fixed_vocabulary()
            return self
        analyze = self._sklearn().build_analyzer()
        need_tf = (
            self.max_features is not None and not self.binary and np.dtype(self.dtype).kind != "b"
        )
        if lazy:
            array = docs if isinstance(docs, da.Array) else frame_to_array(docs)
            shared = share_once(analyze)
            stats = reduction(
                term_counts, array, args=(shared, need_tf), combine=merge_term_counts
            ).compute()
        else:
            stats = term_counts(docs, analyze, need_tf)
        self.vocabulary_ = select_vocabulary(
            stats, self.max_df, self.min_df, self.max_features, self.dtype
        )
        self.fixed_vocabulary_ = False
        return self

    def transform(self, raw_documents: Any) -> Any:
        """Count the vocabulary's terms in every document (lazy for dask input).

        Parameters
        ----------
        raw_documents : list, NumPy array, pandas Series, dask bag, dask Series or 1-D dask array

        Returns
        -------
        X : scipy.sparse matrix or dask array of shape (n_samples, n_vocabulary)
            In-memory input: scikit-learn's sparse matrix. Dask input: a dask array of CSR
            blocks, one per partition.
        """
        lazy, docs = _documents(raw_documents)
        if not hasattr(self, "vocabulary_"):
            if self.vocabulary is None:
                check_is_fitted(self, "vocabulary_")
            self._check()
            self._use_fixed_vocabulary()
        dtype, width, interface = np.dtype(self.dtype), len(self.vocabulary_), _interface()
        args = (self._sklearn().build_analyzer(), self.vocabulary_, dtype, self.binary, interface)
        if not lazy:
            return count_block(docs, *args)
        out = map_rows(
            count_block, docs, *args, output=Output(dtype, width=width, sparse=True), dtype=None
        )
        return _sparse_blocks(out, dtype, width, interface)

    def fit_transform(self, raw_documents: Any, y: Any = None) -> Any:
        """Learn the vocabulary (one pass), then :meth:`transform` the same documents.

        Parameters
        ----------
        raw_documents : list, NumPy array, pandas Series, dask bag, dask Series or 1-D dask array
        y : ignored

        Returns
        -------
        X : scipy.sparse matrix or dask array of shape (n_samples, n_vocabulary)
        """
        if not hasattr(raw_documents, "__len__") and not hasattr(raw_documents, "__dask_graph__"):
            raw_documents = list(raw_documents)  # an iterator is read twice
        return self.fit(raw_documents).transform(raw_documents)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The terms, in the order of the output columns.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        if not hasattr(self, "vocabulary_") and self.vocabulary is not None:
            self._use_fixed_vocabulary()
        check_is_fitted(self, "vocabulary_")
        return np.asarray(
            [t for t, _ in sorted(self.vocabulary_.items(), key=itemgetter(1))], dtype=object
        )

    def inverse_transform(self, X: Any) -> list[np.ndarray]:
        """The terms with non-zero counts in every row of a document-term matrix.

        Parameters
        ----------
        X : array-like, sparse matrix or dask array of shape (n_samples, n_vocabulary)
            Dask input is computed (the result is a list of arrays in memory).

        Returns
        -------
        terms : list of ndarray
        """
        check_is_fitted(self, "vocabulary_")
        if hasattr(X, "__dask_graph__"):
            X = X.compute()
        params = {**self.get_params(), "vocabulary": self.vocabulary_}
        return self._sklearn_class(**params).fit([]).inverse_transform(X)
