"""Plain helpers shared by test modules (``from support import ...``; ``tests/`` is on pytest's
``pythonpath``). Fixtures live in ``conftest.py``; several conftest files exist, so test modules
never import from ``conftest`` (which one ``import conftest`` finds depends on the run)."""

from __future__ import annotations

import dask.array as da
import dask.dataframe as dd
import numpy as np


def output_type(kind: str, ndim: int = 1):
    """The container a per-row result has for input of ``kind`` (the shared output layer)."""
    if kind == "dask_array":
        return da.Array
    if kind == "dask_dataframe":
        return dd.Series if ndim == 1 else dd.DataFrame
    return np.ndarray
