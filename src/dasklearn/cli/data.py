"""Tables on disk as dask dataframes, and the columns a model reads from them.

Parquet (a dataset folder, a file, or a glob) and CSV (``*.csv``, ``*.csv.gz``, or a glob of
them) are read lazily: nothing but metadata is read here.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd

from .errors import CLIError

_GLOB = set("*?[")


def _exists(path: str) -> bool:
    if _GLOB & set(path):
        return bool(glob.glob(path))
    return Path(path).exists()


def read_table(path: str, columns: list[str] | None = None) -> dd.DataFrame:
    """A dask dataframe of the parquet or CSV data at ``path`` (a clear error when it is not
    there or cannot be read)."""
    if not _exists(path):
        raise CLIError(f"no such file or folder: {path}")
    suffixes = "".join(Path(path.rstrip("/*")).suffixes)
    try:
        if ".csv" in suffixes or path.endswith((".csv", ".csv.gz")):
            frame = dd.read_csv(path, blocksize="64MiB")
        else:
            frame = dd.read_parquet(path)
    except Exception as err:  # pyarrow, fsspec and pandas raise many kinds
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CLIError(f"cannot read {path} as a table: {first}") from None
    if columns is not None:
        check_columns(frame, columns, path)
        frame = frame[columns]
    return frame


def check_columns(frame: dd.DataFrame, columns: list[str], path: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns))
        raise CLIError(f"{path} has no column(s) {', '.join(missing)}; it has: {have}")


@dataclass
class Columns:
    """The feature columns of a table by how a model can read them."""

    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    datetime: list[str] = field(default_factory=list)


def _is_categorical(dtype: Any) -> bool:
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(dtype)
        or dtype == np.dtype(object)
    )


def feature_columns(frame: dd.DataFrame, features: list[str]) -> Columns:
    """Split ``features`` by dtype (from metadata): numbers and booleans, text and categories,
    dates and times."""
    kinds = Columns()
    for name in features:
        dtype = frame.dtypes[name]
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
            kinds.numeric.append(name)
        elif pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(
            dtype
        ):
            kinds.datetime.append(name)
        elif _is_categorical(dtype):
            kinds.categorical.append(name)
        else:
            raise CLIError(f"feature column {name!r} has dtype {dtype}, which no model reads")
    return kinds


def as_float(frame: dd.DataFrame, numeric: list[str]) -> dd.DataFrame:
    """The frame with its numeric feature columns as float64.

    One dtype for every numeric column: a frame of mixed numeric dtypes (an int64 count beside
    float64 measures) reaches the models' block kernels as pandas blocks instead of NumPy
    arrays, which they cannot read (``dasklearn._output._block_dtype`` returns None for it).
    """
    cast = {c: "float64" for c in numeric if frame.dtypes[c] != np.float64}
    return frame.astype(cast) if cast else frame


def _held_out_rows(
    part: pd.DataFrame, test_size: float, seed: int, partition_info: dict | None = None
) -> pd.Series:
    number = partition_info["number"] if partition_info else 0
    draws = np.random.default_rng([seed, number]).random(len(part))
    return pd.Series(draws < test_size, index=part.index, name="held_out")


def split_rows(
    frame: dd.DataFrame, test_size: float, seed: int
) -> tuple[dd.DataFrame, dd.DataFrame]:
    """(train, test): each row held out with probability ``test_size``, drawn per partition from
    ``(seed, partition number)``, so the same seed and partitions give the same split on any
    scheduler. Rows never move between partitions; no pass is made here.

    ``dasklearn.model_selection.train_test_split`` gives exact sizes, but a dasklearn model fitted
    on its dask dataframe pieces fails to persist them (dask's graph fusion raises
    ``KeyError: 'pop from an empty set'``), hence this split by a per-row draw.
    """
    held_out = frame.map_partitions(
        _held_out_rows, test_size, seed, meta=pd.Series([], dtype=bool, name="held_out")
    )
    return frame[~held_out], frame[held_out]
