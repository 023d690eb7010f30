"""The passes of :class:`~dasklearn.impute.SimpleImputer`'s fit: what each computes, how many.

Every strategy reads the data once, except the median (two passes at most):

* ``mean``: per block and column, the sum of the present values and the missing count; merged
  exactly (sums of sums). One pass.
* ``most_frequent``: per block and column, the counts of each present value; merged exactly
  (counts added, once, on the client). One pass; the partials are as large as the number of
  distinct values of each block.
* ``constant``: per block and column, the missing count (features without any value, and the
  features of the missing-value indicator). One pass, none when neither is needed.
* ``median``: exact. Pass 1 sends, per block and column, the block's present values sorted,
  all of them for up to :data:`~._kernels.GRID_POINTS` values, else a grid of them at evenly
  spaced ranks; a column whose blocks all sent everything has its median now. For the others,
  the grids bound how many values lie below any threshold, which gives two grid values
  ``lo <= median <= hi``; pass 2 counts the values below, at ``lo`` and at ``hi``, and sends
  the values strictly between (about ``2 n / GRID_POINTS`` of them per column), from which the
  median is picked exactly. Pass 1's partials (up to 16 KiB per block and column) and pass 2's
  values are merged on the client.
* a callable: the present values of each column, gathered (one pass; the column must fit in
  memory), then the callable on each column.

The median's passes go through the shared placement (:mod:`dasklearn._placement`) and pass
runner (:mod:`dasklearn._passes`): persisted for its two passes when the data fit, streamed
otherwise. A single pass reads dask blocks where they are through the shared
:func:`~dasklearn._blockwise.reduction` (no block lengths needed, so no pass to learn unknown
ones), NumPy row blocks on local threads through the runner; dask DataFrames with non-numeric
columns are read partition by partition, pandas input is one block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd

from .._blockwise import reduction, sum_parts
from .._passes import Passes
from .._placement import place
from . import _kernels as K

__all__ = ["Summary", "array_statistics", "frame_statistics"]


@dataclass
class Summary:
    """What a fit learned about each column.

    Attributes
    ----------
    n_rows : int
    n_missing : ndarray of int
        Missing entries per column.
    n_bad : int
        Entries scikit-learn refuses (infinity; NaN where NaN is not the missing marker).
    values : list or None
        The statistic of each column (NaN where a column has no value), or None (constant).
    n_passes : int
    """

    n_rows: int
    n_missing: np.ndarray
    n_bad: int
    values: list | None
    n_passes: int


def array_statistics(
    X: np.ndarray | da.Array,
    strategy: Any,
    missing_values: Any,
    allow_nan: bool,
    n_samples: int | None = None,
) -> Summary:
    """Statistics of the columns of a NumPy or dask array (float for mean, median, callable).

    ``n_samples``: the rows of dask X whose chunk lengths are unknown, for the median's
    placement (see :func:`dasklearn._placement.place`); the one-pass strategies need no lengths.
    """
    if strategy == "median":
        runner = Passes(place(X, n_samples=n_samples), check_first=None)
        return _median(runner, missing_values, allow_nan)
    args = (missing_values, allow_nan)
    if strategy == "mean":
        n_rows, n_missing, sums, bad = _one_pass(K.moments, X, args, sum_parts)
        counts = n_rows - n_missing
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        return Summary(n_rows, n_missing, bad, list(means), 1)
    if callable(strategy):
        part = _one_pass(K.present_values, X, args, K.merge_present)
        return Summary(part[0], part[1], part[2], [strategy(v) for v in part[3]], 1)
    count = strategy == "most_frequent"
    part = K.merge_counts(_one_pass(K.value_counts, X, (*args, count), None))
    values = [K.most_frequent(c) for c in part[3]] if count else None
    return Summary(part[0], part[1], part[2], values, 1)


def _one_pass(chunk: Any, X: np.ndarray | da.Array, args: tuple, combine: Any) -> Any:
    """One pass: NumPy through the pass runner (row blocks on local threads), dask blocks as
    they are (their lengths, known or not, are not needed)."""
    if isinstance(X, da.Array):
        (X,) = dask.optimize(X)  # a source read fused with its conversion: one task a block
        return reduction(chunk, X, args=args, combine=combine).compute()
    runner = Passes(place(X, reuse=False), check_first=None)
    return runner.run(runner.reduction(chunk, runner.data.X, args=args, combine=combine))


def _median(runner: Passes, missing_values: Any, allow_nan: bool) -> Summary:
    parts = runner.run(
        runner.reduction(
            K.median_grid,
            runner.data.X,
            args=(missing_values, allow_nan, K.GRID_POINTS),
            combine=None,
        )
    )
    n_rows = sum(p[0] for p in parts)
    n_missing = np.sum([p[1] for p in parts], axis=0)
    bad = sum(p[2] for p in parts)
    n_features = len(n_missing)
    found = [K.median_bracket([p[3][j] for p in parts]) for j in range(n_features)]
    values = [f[1] if f[0] == "exact" else None for f in found]
    bounds = [None if f[0] == "exact" else (f[1], f[2]) for f in found]
    if any(b is not None for b in bounds):
        between = runner.run(
            runner.reduction(
                K.median_between,
                runner.data.X,
                args=(missing_values, bounds),
                combine=K.merge_between,
            )
        )
        for j, f in enumerate(found):
            if f[0] == "bracket":
                values[j] = K.median_from_between(between[j], f[1], f[2], f[3])
    return Summary(n_rows, np.asarray(n_missing), bad, values, runner.n_passes)


def frame_statistics(
    X: pd.DataFrame | dd.DataFrame, count: bool, missing_values: Any, allow_nan: bool
) -> Summary:
    """Missing counts (and, with ``count``, the most frequent value) of each column of a
    pandas or dask DataFrame, whatever its dtypes: one pass over the partitions."""
    args = (missing_values, allow_nan, count)
    if isinstance(X, pd.DataFrame):
        parts = [K.value_counts(X, *args)]
    else:
        parts = reduction(K.value_counts, X, args=args, combine=None).compute()
    part = K.merge_counts(parts)
    values = [K.most_frequent(c) for c in part[3]] if count else None
    return Summary(int(part[0]), np.asarray(part[1]), int(part[2]), values, 1)
