"""The passes of the numeric transformers' fits: what each reads and how many there are.

* :func:`moment_pass`: count, mean and M2 of every column (StandardScaler): **one pass**.
* :func:`extreme_pass`: minimum and maximum of every column (MinMaxScaler): **one pass**.
* :func:`sample_pass`: a uniform sample of ``k`` rows without replacement and the count of
  non-NaN values of every column (QuantileTransformer): **one pass**.
* :func:`exact_percentiles`: exact percentiles of every column, as ``numpy.nanpercentile``
  (RobustScaler on dask input): a sample pass, then a pass counting the values between the
  sample's values, then a pass gathering the values of the few intervals that hold the
  wanted ranks: **three passes** (one when the sample holds every row, two when every wanted
  rank falls on a sampled value).

Input is validated X: NumPy, cut into row blocks on local threads (never shipped to a
cluster for a single pass), or a dask array streamed block by block (never persisted). Every
pass goes through :func:`dasklearn._passes.compute`, with BLAS held to one thread.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import dask
import dask.array as da
import numpy as np

from .. import _passes, _placement
from .._array_checks import check_n_samples
from .._blockwise import reduction, share, single_blas_thread
from . import _num_kernels as K

__all__ = [
    "exact_percentiles",
    "extreme_pass",
    "float_dtype",
    "moment_pass",
    "refuse_infinity",
    "sample_pass",
]

#: Partials merged in a tree of this fan-in on the workers when they are large (samples, bin
#: counts): the client then receives one partial instead of one per block.
_TREE = 8
#: Sampled rows behind the exact percentiles: each interval gathered in the last pass holds
#: about ``n_rows / _EXACT_SAMPLE`` values.
_EXACT_SAMPLE = 8192


def float_dtype(X: Any) -> np.dtype:
    """The float dtype X is read in (from metadata): float32 when all of X is float32, else
    float64. The dtype of the transformers' outputs."""
    if hasattr(X, "dtypes") and hasattr(X, "columns"):
        dtypes = list(X.dtypes)
    else:
        dtypes = [getattr(X, "dtype", np.float64)]
    same = {np.dtype(d) if isinstance(d, np.dtype) else None for d in dtypes}
    return np.dtype(np.float32) if same == {np.dtype(np.float32)} else np.dtype(np.float64)


def refuse_infinity(found: bool) -> None:
    """Raise scikit-learn's error for infinity in X (NaN is accepted by these transformers)."""
    if found:
        raise ValueError(
            "Input X contains infinity or a value too large for dtype('float64'); NaN is "
            "accepted but infinity is not: drop or clip those values first."
        )


def _blocks(X: Any, *vectors: Any) -> tuple[da.Array, list[Any], bool]:
    """Dask arrays of X and its row vectors, and whether they come from memory."""
    if isinstance(X, da.Array):
        return X, list(vectors), False
    data = _placement.place(X, *vectors, reuse=False)
    return data.X, data.vectors, True


def _run(*reductions: Any, in_memory: bool) -> tuple:
    local = {"scheduler": "threads"} if in_memory else {}
    with single_blas_thread(), dask.config.set(local):
        return _passes.compute(*reductions)


def _one(
    chunk: Callable,
    X: Any,
    *vectors: Any,
    combine: Callable,
    args: Sequence[Any] = (),
    indexed: bool = False,
    tree: bool = False,
) -> Any:
    """One pass of ``chunk`` over the row blocks of X (and vectors), merged by ``combine``."""
    Xd, vecs, in_memory = _blocks(X, *vectors)
    n_blocks = Xd.numblocks[0]
    red = reduction(
        chunk,
        Xd,
        *vecs,
        args=[share(a) for a in args],
        block_args=[(i,) for i in range(n_blocks)] if indexed else None,
        combine=combine,
        split_every=_TREE if tree and n_blocks > _TREE else None,
    )
    (out,) = _run(red, in_memory=in_memory)
    return out


def moment_pass(X: Any, w: Any = None) -> dict[str, Any]:
    """Merged :func:`~._num_kernels.moments` of X (one pass; with weights when ``w``)."""
    if w is None:
        return _one(K.moments, X, combine=K.merge_moments)
    return _one(K.moments, X, w, combine=K.merge_moments)


def extreme_pass(X: Any) -> dict[str, Any]:
    """Merged :func:`~._num_kernels.extremes` of X (one pass)."""
    return _one(K.extremes, X, combine=K.merge_extremes)


def sample_pass(X: Any, k: int, seed: int) -> dict[str, Any]:
    """A uniform sample of ``min(k, n_rows)`` rows of X without replacement (one pass).

    Also the non-NaN count of every column and whether an infinity was seen. Merged in a tree
    on the workers when X has many blocks. The sample depends on ``seed`` and on X's row
    blocks only, not on the scheduler.
    """
    return _one(
        K.sample_rows,
        X,
        combine=partial(K.merge_samples, k=k),
        args=(seed, k),
        indexed=True,
        tree=True,
    )


def _ranks(counts: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """0-based ranks below and above, and the weight, of percentiles ``q`` (n_q,) of columns
    with ``counts`` (d,) values, computed as NumPy's linear method does: shape (n_q, d)."""
    frac = np.true_divide(q, 100)[:, None]
    n = counts[None, :].astype(np.float64)
    virtual = n * frac + (1 + frac * (1 - 1 - 1)) - 1  # NumPy's virtual index, alpha = beta = 1
    below = np.clip(np.floor(virtual), 0, np.maximum(n - 1, 0))
    above = np.minimum(below + 1, np.maximum(n - 1, 0))
    return below.astype(np.int64), above.astype(np.int64), virtual - below


def _interval(edges: np.ndarray, b: int) -> tuple[float, float]:
    """The open interval of bin ``b`` (even) of :func:`~._num_kernels.bin_counts`."""
    i = b // 2
    return float(edges[i - 1]) if i > 0 else -np.inf, float(edges[i]) if i < len(edges) else np.inf


def exact_percentiles(X: Any, q: Sequence[float], seed: int = 0) -> np.ndarray:
    """``numpy.nanpercentile(X, q, axis=0)`` of validated X, exactly, in at most three passes.

    1. A sample of :data:`_EXACT_SAMPLE` rows, and the non-NaN count of every column. When the
       sample holds every row, its percentiles are the answer.
    2. Per column, the number of values in each interval between consecutive distinct sampled
       values, and equal to each of them: the bin holding every wanted rank is known.
    3. The values of the open intervals that hold a wanted rank (about ``n_rows / 8192``
       each) are gathered and sorted; a rank on a sampled value needs no gathering.

    Returns an array of shape (len(q), n_features), NaN for a column without values.
    """
    q = np.asarray(q, dtype=np.float64)
    first = sample_pass(X, _EXACT_SAMPLE, seed)
    check_n_samples(int(first["n"]))  # dask input of unknown length: empty?
    refuse_infinity(first["inf"])
    rows, counts = first["rows"], first["counts"]
    d = rows.shape[1]
    if len(rows) == first["n"]:  # the sample holds every row
        return _nanpercentile(rows, q)
    edges = [np.unique(rows[:, j][~np.isnan(rows[:, j])]) for j in range(d)]
    offsets = np.concatenate([[0], np.cumsum([len(e) for e in edges])])
    packed = np.concatenate(edges)  # one array: scattered once when large, not in every task
    totals = _one(K.bin_counts, X, combine=_sum_lists, args=(packed, offsets), tree=True)
    below, above, weight = _ranks(counts, q)
    located: dict[tuple[int, int], tuple[int, int]] = {}  # (column, rank) -> (bin, offset)
    for j in np.flatnonzero(counts):
        cum = np.concatenate([[0], np.cumsum(totals[j])])
        for r in np.unique(np.concatenate([below[:, j], above[:, j]])):
            b = int(np.searchsorted(cum, r, side="right") - 1)
            located[(int(j), int(r))] = (b, int(r - cum[b]))
    gaps = sorted({(j, b) for (j, _), (b, _) in located.items() if b % 2 == 0})
    values: dict[tuple[int, int], np.ndarray] = {}
    if gaps:
        intervals = [(j, *_interval(edges[j], b)) for j, b in gaps]
        found = _one(K.gather, X, combine=K.merge_gathered, args=(intervals,), tree=True)
        for (j, b), v in zip(gaps, found, strict=True):
            if len(v) != totals[j][b]:
                raise RuntimeError(
                    "X changed between two passes over it (a column interval held "
                    f"{totals[j][b]} values, then {len(v)}): fit on data that stays the same."
                )
            values[(j, b)] = np.sort(v)

    def value(j: int, r: int) -> float:
        b, offset = located[(j, r)]
        return float(edges[j][b // 2]) if b % 2 else float(values[(j, b)][offset])

    out = np.full((len(q), d), np.nan)
    for j in np.flatnonzero(counts):
        lo = [value(int(j), int(r)) for r in below[:, j]]
        hi = [value(int(j), int(r)) for r in above[:, j]]
        out[:, j] = K.lerp(lo, hi, weight[:, j])
    return out


def _nanpercentile(rows: np.ndarray, q: np.ndarray) -> np.ndarray:
    if rows.shape[0] == 0:
        return np.full((len(q), rows.shape[1]), np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN
        return np.nanpercentile(rows, q, axis=0).astype(np.float64)


def _sum_lists(a: list[np.ndarray], b: list[np.ndarray]) -> list[np.ndarray]:
    return [u + v for u, v in zip(a, b, strict=True)]
