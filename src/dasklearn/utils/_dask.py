"""What the helpers of :mod:`dasklearn.utils` share: recognising dask dataframes, naming an
input's type in messages, and computing a mix of dask collections.
"""

from __future__ import annotations

from typing import Any

import dask
import dask.dataframe as dd

__all__ = ["compute_collections", "describe", "is_dask_frame"]


def is_dask_frame(X: Any) -> bool:
    """Whether ``X`` is a dask DataFrame or Series."""
    return isinstance(X, dd.DataFrame | dd.Series)


def compute_collections(collections: list[Any]) -> list[Any]:
    """Compute dask collections: one ``dask.compute`` for dataframe-backed ones (frames,
    series, their scalars) and one for the rest, as dask asks not to mix the two kinds."""
    results: list[Any] = [None] * len(collections)
    frame_like = [type(c).__module__.startswith("dask.dataframe") for c in collections]
    for group in (True, False):
        index = [i for i, f in enumerate(frame_like) if f is group]
        if index:
            for i, value in zip(index, dask.compute(*[collections[i] for i in index]), strict=True):
                results[i] = value
    return results


def describe(X: Any) -> str:
    """``X``'s type for messages, such as ``"numpy.ndarray"`` or ``"dask.DataFrame"``."""
    return f"{type(X).__module__.split('.')[0]}.{type(X).__name__}"
