"""Block kernels of :mod:`dasklearn.feature_extraction.text`: plain Python/NumPy/SciPy on one
block of documents, no dask.

* :func:`hash_block`: scikit-learn's stateless hashing of a block;
* :func:`term_counts` / :func:`merge_term_counts`: the one pass of ``CountVectorizer.fit``
  (document frequencies, and total counts when ``max_features`` needs them), merged in block
  order;
* :func:`select_vocabulary`: ``min_df``, ``max_df`` and ``max_features`` on the merged counts,
  as scikit-learn applies them to the whole corpus;
* :func:`count_block`: a block's document-term matrix for a fixed vocabulary.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Mapping
from numbers import Integral
from typing import Any

import numpy as np
import scipy.sparse as sp

#: scikit-learn warns about parameters that another one overrides; the client warns once.
_UNUSED = r"The parameter '.*' will not be used"


def object_array(items: Any) -> np.ndarray:
    """A partition of a bag as a 1-D object array (lists stay elements, never a 2nd axis)."""
    items = list(items)
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def as_interface(X: Any, interface: str) -> Any:
    """``X`` as the scipy.sparse class scikit-learn's configuration asks for."""
    if interface == "sparray":
        return sp.csr_array(X) if sp.isspmatrix(X) else X
    return X if sp.isspmatrix(X) else sp.csr_matrix(X)


def hash_block(docs: Any, hasher: Any, interface: str) -> Any:
    """scikit-learn's (stateless) hashing transform of one block of documents."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_UNUSED)
        return as_interface(hasher.transform(docs), interface)


def term_counts(docs: Any, analyze: Any, need_tf: bool) -> tuple[int, Counter, Counter | None]:
    """Documents, document frequency of every term and (if asked) its total count, of one block.

    Counters keep the order in which terms were first seen: merged in block order, they give
    scikit-learn's order of ``vocabulary_``.
    """
    df: Counter = Counter()
    tf: Counter | None = Counter() if need_tf else None
    n = 0
    for doc in docs:
        n += 1
        terms = list(analyze(doc))
        if tf is not None:
            tf.update(terms)
        df.update(iter(dict.fromkeys(terms)))
    return n, df, tf


def _add_counts(a: Counter, b: Counter) -> Counter:
    out = Counter(a)
    out.update(b)
    return out


def merge_term_counts(a: tuple, b: tuple) -> tuple:
    """Two partials of :func:`term_counts` as one (terms of ``a`` first)."""
    tf = None if a[2] is None else _add_counts(a[2], b[2])
    return a[0] + b[0], _add_counts(a[1], b[1]), tf


def count_block(
    docs: Any, analyze: Any, vocabulary: Mapping, dtype: Any, binary: bool, interface: str
) -> Any:
    """Document-term counts of one block for a fixed vocabulary (scikit-learn's matrix)."""
    j_indices: list[int] = []
    values: list[int] = []
    indptr = [0]
    for doc in docs:
        counts: dict[int, int] = {}
        for term in analyze(doc):
            index = vocabulary.get(term)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        j_indices.extend(counts)
        values.extend(counts.values())
        indptr.append(len(j_indices))
    index_dtype = np.int64 if indptr[-1] > np.iinfo(np.int32).max else np.int32
    X = sp.csr_matrix(
        (
            np.asarray(values, dtype=np.intc),
            np.asarray(j_indices, dtype=index_dtype),
            np.asarray(indptr, dtype=index_dtype),
        ),
        shape=(len(indptr) - 1, len(vocabulary)),
        dtype=dtype,
    )
    X.sort_indices()
    if binary:
        X.data.fill(1)
    return as_interface(X, interface)


def select_vocabulary(
    stats: tuple, max_df: Any, min_df: Any, max_features: int | None, dtype: Any
) -> dict[Any, int]:
    """scikit-learn's vocabulary from the merged frequencies of the whole corpus.

    The same masks as ``CountVectorizer._limit_features``, on terms in sorted order, and the
    same ``argsort`` of the same array for ``max_features`` (so ties go the same way).
    """
    n_doc, df, tf = stats
    if not df:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    max_doc_count = max_df if isinstance(max_df, Integral) else max_df * n_doc
    min_doc_count = min_df if isinstance(min_df, Integral) else min_df * n_doc
    if max_doc_count < min_doc_count:
        raise ValueError("max_df corresponds to < documents than min_df")
    terms = sorted(df)
    dfs = np.fromiter((df[t] for t in terms), dtype=np.intp, count=len(terms))
    mask = (dfs <= max_doc_count) & (dfs >= min_doc_count)
    if max_features is not None and mask.sum() > max_features:
        counts = dfs if tf is None else np.fromiter((tf[t] for t in terms), np.int64, len(terms))
        # the dtype of X.sum(axis=0) for scikit-learn's count matrix X
        tfs = counts.astype(sp.csr_matrix((0, 1), dtype=dtype).sum(axis=0).dtype)
        mask_inds = (-tfs[mask]).argsort()[:max_features]
        new_mask = np.zeros(len(dfs), dtype=bool)
        new_mask[np.where(mask)[0][mask_inds]] = True
        mask = new_mask
    index = {t: i for i, t in enumerate(t for t, keep in zip(terms, mask, strict=True) if keep)}
    if not index:
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    return {t: index[t] for t in df if t in index}
