"""The inputs of a score: y_true, y_pred and sample_weight in one container kind, row-aligned.

:func:`aligned` decides how a metric runs:

* ``"memory"``: nothing is a dask collection; the metric calls scikit-learn on the inputs as they
  are (exactly scikit-learn's answer and errors);
* ``"lazy"``: dask arrays with the same row blocks, for one :func:`dasklearn._blockwise.reduction`.
  Dask dataframes and series become arrays cut from one partitioning
  (:func:`dasklearn._chunks.frames_to_arrays`); in-memory inputs are split along the row chunks of
  the dask ones; dask arrays of the same known length but other chunks are rechunked to the
  first's. Different lengths or different numbers of blocks (where lengths are unknown) raise
  here, before any work; blocks of different lengths raise when they are read;
* ``"gather"``: in-memory inputs beside dask collections whose lengths are unknown (a filtered
  dataframe): splitting the in-memory ones would need a pass to find the lengths, so the dask
  ones are computed instead, in the same graph as scikit-learn's metric.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np

from .._array_checks import check_array
from .._chunks import as_dask_array, frames_to_arrays
from .._validation import is_dask_input

Mode = Literal["memory", "lazy", "gather"]


def _unknown(a: Any) -> bool:
    return isinstance(a, da.Array) and bool(np.isnan(a.shape[0]))


def _check(value: Any, what: str, dtype: Any) -> Any:
    ndim = getattr(value, "ndim", np.ndim(value))
    return check_array(
        value,
        dtype=dtype,
        ensure_2d=ndim == 2,
        ensure_all_finite=False,  # counted in the pass, raised with the metric's wording
        known_chunks=False,
        what=what,
    )


def _align(ref: da.Array, a: da.Array, ref_what: str, what: str) -> da.Array:
    """``a`` in the row blocks of ``ref``, or a clear error when they cannot line up."""
    if not _unknown(ref) and not _unknown(a):
        if a.shape[0] != ref.shape[0]:
            raise ValueError(
                f"Found input variables with inconsistent numbers of samples: {ref_what} has "
                f"{ref.shape[0]} rows and {what} has {a.shape[0]}."
            )
        return a if a.chunks[0] == ref.chunks[0] else a.rechunk({0: ref.chunks[0]})
    if a.numblocks[0] != ref.numblocks[0]:
        raise ValueError(
            f"The row blocks of {ref_what} and {what} do not line up: {ref_what} has "
            f"{ref.numblocks[0]} row blocks and {what} has {a.numblocks[0]}, and their lengths "
            "are unknown. Build both from one collection (y_pred = model.predict(X), y_true "
            "partitioned like X), or compute one of them."
        )
    return a


def aligned(
    values: Sequence[Any], whats: Sequence[str], dtypes: Sequence[Any]
) -> tuple[list[Any], Mode]:
    """The inputs, validated and row-aligned, and the mode the metric runs in (see the module).

    Parameters
    ----------
    values : sequence
        The inputs (None for an absent sample_weight).
    whats : sequence of str
        Their names in error messages.
    dtypes : sequence
        ``dtype`` of :func:`dasklearn._array_checks.check_array` for each (None keeps labels).

    Returns
    -------
    (list, mode)
        In ``"memory"`` and ``"gather"`` mode the inputs as given; in ``"lazy"`` mode dask
        arrays with the same row blocks (None stays None).
    """
    present = [i for i, v in enumerate(values) if v is not None]
    if not any(is_dask_input(values[i]) for i in present):
        return list(values), "memory"
    out = list(values)
    frames = [i for i in present if isinstance(values[i], dd.DataFrame | dd.Series)]
    if frames:
        arrays = frames_to_arrays(*(values[i] for i in frames))
        for i, array in zip(frames, arrays, strict=True):
            out[i] = array
    lazy = [i for i in present if isinstance(out[i], da.Array)]
    eager = [i for i in present if i not in lazy]
    if eager and any(_unknown(out[i]) for i in lazy):
        return list(values), "gather"
    for i in present:
        out[i] = _check(out[i], whats[i], dtypes[i])
    first = lazy[0]
    ref = out[first]
    for i in eager:
        if len(out[i]) != ref.shape[0]:
            raise ValueError(
                f"Found input variables with inconsistent numbers of samples: {whats[first]} "
                f"has {ref.shape[0]} rows and {whats[i]} has {len(out[i])}."
            )
        out[i] = as_dask_array(out[i], chunks=ref.chunks[0])
    for i in lazy[1:]:
        out[i] = _align(ref, out[i], whats[first], whats[i])
    return out, "lazy"


def _signed_call(func: Callable[..., Any], sign: float, *args: Any, **kwargs: Any) -> Any:
    return sign * func(*args, **kwargs)


def gathered(
    func: Callable[..., Any], sign: float, compute: bool, *args: Any, **kwargs: Any
) -> Any:
    """``sign * func(*args, **kwargs)`` with its dask arguments computed, in one graph."""
    value = dask.delayed(_signed_call, pure=True)(func, sign, *args, **kwargs)
    return value.compute() if compute else value


def run(reduction: Any, compute: bool) -> Any:
    """The value of a pass (``compute``), or the pass itself as a lazy dask collection."""
    return reduction.compute() if compute else reduction


def as_labels(y: Any) -> Any:
    """A 1-D view of a one-column label array (scikit-learn's column_or_1d, without warning)."""
    if getattr(y, "ndim", 1) == 2 and y.shape[1] == 1:
        return y[:, 0]
    return y
