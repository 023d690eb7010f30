"""Dask collections as the algorithms read them: row chunk lengths, frames as arrays, NumPy views.

* :func:`resolve_chunks` finds unknown row chunk lengths and checks values for NaN/inf, for
  several arrays in one compute (one cheap pass);
* :func:`frame_to_array` turns a numeric dask dataframe or series into a dask array, partition
  by partition, and :func:`frames_to_arrays` does so for frames that must stay aligned (X, y,
  weights), cut from one partitioning;
* :func:`as_dask_array` cuts in-memory NumPy into row blocks without copying;
* :func:`n_rows` is the number of rows where it is cheap to know (dask answers a parquet
  dataset's length from its metadata).

Only public dask APIs: no dask-expr internals.
"""

from __future__ import annotations

import math
import uuid
from typing import Any, Literal

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
from dask.highlevelgraph import HighLevelGraph
from dask.task_spec import Task, TaskRef

__all__ = [
    "InputKind",
    "input_kind",
    "is_dask_input",
    "rows_only",
    "row_shape",
    "aligned_row_blocks",
    "as_dask_array",
    "block_futures",
    "block_keys",
    "block_lengths",
    "aligned_frames",
    "frame_to_array",
    "frames_to_arrays",
    "n_blocks",
    "n_rows",
    "one_row_per_row",
    "resolve_chunks",
    "partition_blocks",
    "row_blocks",
    "with_row_chunks",
]


def block_keys(array: da.Array) -> list[Any]:
    """The keys of a dask array's row blocks, in order (its columns in one block)."""
    return [k[0] if isinstance(k, list) else k for k in array.__dask_keys__()]


def block_futures(array: da.Array) -> list[Any] | None:
    """The futures of a persisted dask array's row blocks, in order; None unless every block
    is persisted."""
    from distributed import futures_of

    futures = {f.key: f for f in futures_of(array)}
    keys = block_keys(array)
    return [futures[k] for k in keys] if all(k in futures for k in keys) else None


def _block_summary(block: Any, check_finite: bool, allow_nan: bool) -> np.ndarray:
    """(rows, finite?) for one block; cheap, runs on the workers."""
    n = block.shape[0]
    values = block.data if hasattr(block, "tocsr") else block  # scipy.sparse: stored values
    ok = True
    if check_finite and n and values.dtype.kind in "fc":
        ok = bool(np.isfinite(values).all()) if not allow_nan else not np.isinf(values).any()
    return np.array([[n, ok]], dtype=np.int64)


def _summarise_blocks(X: da.Array, check_finite: bool, allow_nan: bool) -> da.Array:
    """A lazy (n_blocks, 2) array of per-block row counts and finiteness."""
    blocks = rows_only(X)
    n_blocks = blocks.numblocks[0]
    return da.map_blocks(
        _block_summary,
        blocks,
        check_finite,
        allow_nan,
        dtype=np.int64,
        chunks=((1,) * n_blocks, (2,)),
        new_axis=(1,) if blocks.ndim == 1 else (),
        meta=np.empty((0, 2), dtype=np.int64),
    )


def resolve_chunks(
    arrays: list[da.Array], checks: list[tuple[bool, bool]], whats: list[str]
) -> list[da.Array]:
    """The arrays with known row chunks, checked for NaN/inf where asked: one compute for all.

    Arrays with known chunks and no finite check cost nothing. ``checks[i]`` is
    ``(check_finite, allow_nan)``.
    """
    todo = [
        i
        for i, (a, (finite, _)) in enumerate(zip(arrays, checks, strict=True))
        if finite or np.isnan(a.shape[0])
    ]
    if not todo:
        return arrays
    summaries = dask.compute(*(_summarise_blocks(arrays[i], *checks[i]) for i in todo))
    out = list(arrays)
    for i, summary in zip(todo, summaries, strict=True):
        summary = np.asarray(summary).reshape(-1, 2)
        finite, allow_nan = checks[i]
        if finite and not summary[:, 1].all():
            bad = "infinity" if allow_nan else "NaN or infinity"
            raise ValueError(f"Input {whats[i]} contains {bad}; drop or impute those values first.")
        out[i] = with_row_chunks(arrays[i], tuple(int(n) for n in summary[:, 0]))
    return out


def with_row_chunks(X: da.Array, row_chunks: tuple[int, ...]) -> da.Array:
    """The same dask array (same keys) with the given, now known, row chunk lengths."""
    row_chunks = tuple(int(c) for c in row_chunks)
    if X.chunks[0] == row_chunks:
        return X
    if len(row_chunks) != X.numblocks[0]:
        raise ValueError(f"{len(row_chunks)} row lengths for {X.numblocks[0]} row blocks.")
    chunks = (row_chunks,) + X.chunks[1:]
    return da.Array(X.dask, X.name, chunks, meta=X._meta)


def _numpy_dtype(dtype: Any) -> Any:
    """The NumPy dtype a pandas (possibly extension) dtype should become."""
    if isinstance(dtype, np.dtype):
        return dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return np.float64  # nullable Int64/Float64/boolean: missing values become NaN
    return object


def frame_to_array(X: dd.DataFrame | dd.Series) -> da.Array:
    """A dask array of a (numeric) dask dataframe or series, partition by partition.

    Row chunk lengths are unknown (NaN) until :func:`resolve_chunks` or a pass finds them.
    """
    return frames_to_arrays(X)[0]


InputKind = Literal["numpy", "pandas", "dask_array", "dask_dataframe", "other"]


def row_shape(X: Any) -> tuple[int, ...]:
    """X's shape past its rows, from metadata: a DataFrame's width is its number of columns (a
    dask DataFrame's ``shape`` builds a length expression and its meta on every call, ~1.5 ms)."""
    if hasattr(X, "columns"):
        return (len(X.columns),)
    return tuple(X.shape[1:])


def input_kind(X: Any) -> InputKind:
    """Name the container kind of ``X``: numpy, pandas, dask_array, dask_dataframe or other."""
    if isinstance(X, da.Array):
        return "dask_array"
    if isinstance(X, dd.DataFrame | dd.Series):
        return "dask_dataframe"
    if isinstance(X, pd.DataFrame | pd.Series):
        return "pandas"
    if isinstance(X, np.ndarray):
        return "numpy"
    return "other"


def is_dask_input(X: Any) -> bool:
    """True for dask arrays, dataframes and series."""
    return isinstance(X, da.Array | dd.DataFrame | dd.Series)


def is_frame(x: Any) -> bool:
    return isinstance(x, dd.DataFrame | dd.Series)


def rows_only(x: Any) -> Any:
    """A dask array chunked along rows only (one block across every other axis); anything else
    as it is. The one place that puts all of a block's columns together."""
    if isinstance(x, da.Array) and x.ndim > 1 and any(n != 1 for n in x.numblocks[1:]):
        return x.rechunk({i: -1 for i in range(1, x.ndim)})
    return x


def _same(part: Any) -> Any:
    return part


def partition_blocks(X: dd.DataFrame | dd.Series) -> da.Array:
    """X's partitions as the row blocks of a dask array, for :func:`dasklearn._blockwise.reduction`.

    The blocks compute to the pandas partitions themselves (categorical and string columns as
    they are), not to NumPy: the array only carries one key per partition, with unknown row
    lengths. The graph is optimised once (column projections fused with the read).
    """
    parts = X.to_delayed(optimize_graph=True)
    name = f"partitions-{uuid.uuid4().hex}"
    width = len(X.columns) if isinstance(X, dd.DataFrame) else 1
    layer = {(name, i, 0): Task((name, i, 0), _same, TaskRef(p.key)) for i, p in enumerate(parts)}
    graph = HighLevelGraph.from_collections(name, layer, dependencies=list(parts))
    chunks = ((math.nan,) * len(parts), (width,))
    return da.Array(graph, name, chunks, meta=np.empty((0, width), dtype=object))


def row_blocks(X: da.Array | dd.DataFrame | dd.Series) -> list:
    """The row blocks of a dask array (all columns in one block) or the partitions of a dask
    dataframe, as Delayed objects in order."""
    if is_frame(X):
        return list(X.to_delayed())
    return list(rows_only(X).to_delayed().ravel())


def _member_dtype(frame: Any) -> np.dtype:
    """The NumPy dtype of a frame or series as one array (float64 for mixed numeric columns)."""
    dtypes = [frame.dtype] if isinstance(frame, pd.Series | dd.Series) else list(frame.dtypes)
    converted = {np.dtype(_numpy_dtype(d)) for d in dtypes}
    if len(converted) == 1:
        return converted.pop()
    if all(d.kind in "biuf" for d in converted):
        return np.dtype(np.float64)
    return np.dtype(object)


def _pack(*parts: Any) -> pd.DataFrame:
    """Partitions of several frames, which must hold the same rows, side by side."""
    lengths = {len(p) for p in parts}
    if len(lengths) > 1:
        raise ValueError(
            "The partitions of X and y (or sample_weight) do not line up: one partition pair has "
            f"{sorted(lengths)} rows. Build them from one dataframe (X = df[features], "
            "y = df[target])."
        )
    index = parts[0].index
    frames = []
    for i, part in enumerate(parts):
        frame = part.to_frame() if isinstance(part, pd.Series) else part
        names = [f"{i}:{j}" for j in range(frame.shape[1])]
        frames.append(frame.set_axis(names, axis=1).set_axis(index, axis=0))
    return pd.concat(frames, axis=1)


def _member(packed: pd.DataFrame, start: int, stop: int, two_d: bool, dtype: np.dtype) -> Any:
    if two_d:
        return packed.iloc[:, start:stop].to_numpy(dtype=dtype)
    return packed.iloc[:, start].to_numpy(dtype=dtype)


def _unpack(packed: pd.DataFrame, i: int, columns: Any, series: bool) -> Any:
    """Member ``i`` of a packed partition, with its own column names back."""
    width = 1 if series else len(columns)
    part = packed[[f"{i}:{j}" for j in range(width)]]
    if series:
        return part.iloc[:, 0].rename(columns)
    return part.set_axis(list(columns), axis=1)


def aligned_frames(*frames: dd.DataFrame | dd.Series) -> list[dd.DataFrame | dd.Series]:
    """Dask frames that hold the same rows, rebuilt on one packed expression: however each is
    optimised later, they keep one partitioning.

    Optimised alone, a projection of a few columns of a parquet dataset can merge partitions
    (X = df[features] in 20 partitions, y = df[target] in 4). Here every frame is a
    ``map_partitions`` of one frame holding all of them side by side, which no optimisation
    reads with fewer columns than the union; computed together they share its reads. The
    first frame's index and divisions are kept. Non-frames pass through.
    """
    members = [i for i, f in enumerate(frames) if is_frame(f)]
    if len(members) < 2:
        return list(frames)
    group = [frames[i] for i in members]
    counts = {f.npartitions for f in group}
    if len(counts) > 1:
        raise ValueError(
            "Dataframes that hold the same rows have different numbers of partitions "
            f"({', '.join(str(f.npartitions) for f in group)}); build them from one dataframe."
        )
    meta = _pack(*(f._meta for f in group))
    packed = group[0].map_partitions(
        _pack, *group[1:], align_dataframes=False, meta=meta, enforce_metadata=False
    )
    out = list(frames)
    for k, i in enumerate(members):
        f = frames[i]
        series = isinstance(f, dd.Series)
        columns = f.name if series else list(f.columns)
        out[i] = packed.map_partitions(_unpack, k, columns, series, meta=f._meta)
    return out


#: The name prefix of the arrays :func:`frames_to_arrays` cuts from one partitioning: graphs
#: already optimised as one expression, which optimising again would split (each array its own
#: read of every partition).
FRAME_CUT = "frame-to-array-"


def frames_to_arrays(*frames: dd.DataFrame | dd.Series) -> list[da.Array]:
    """Dask arrays of dask dataframes and series that hold the same rows, partition by partition.

    The frames are optimised as one expression, and block ``i`` of every array is cut from one
    task that holds partition ``i`` of all of them: they keep one partitioning (optimised
    alone, a projection of a few columns of a parquet dataset can merge its partitions: X =
    df[features] in 20 partitions, y = df[target] in 4) and a pass over X and y reads each
    partition once. Partition lengths stay unknown; a pair of partitions of different lengths
    raises when it is read. Nullable and mixed numeric columns become float64, anything else
    non-numeric object.
    """
    counts = {f.npartitions for f in frames}
    if len(counts) > 1:
        raise ValueError(
            "X and y (or sample_weight) have different numbers of partitions "
            f"({', '.join(str(f.npartitions) for f in frames)}); build them from one dataframe."
        )
    widths = [len(f.columns) if isinstance(f, dd.DataFrame) else 1 for f in frames]
    if len(frames) == 1:  # nothing to keep aligned with
        return [frames[0].astype(_member_dtype(frames[0])).to_dask_array()]
    meta = _pack(*(f._meta for f in frames))
    packed = frames[0].map_partitions(
        _pack, *frames[1:], align_dataframes=False, meta=meta, enforce_metadata=False
    )
    parts = packed.to_delayed(optimize_graph=True)
    offsets = np.concatenate([[0], np.cumsum(widths)]).astype(int)
    token = uuid.uuid4().hex
    out = []
    for i, frame in enumerate(frames):
        dtype = _member_dtype(frame)
        two_d = isinstance(frame, dd.DataFrame)
        name = f"{FRAME_CUT}{i}-{token}"
        layer = {}
        for j, part in enumerate(parts):
            key = (name, j, 0) if two_d else (name, j)
            args = (TaskRef(part.key), int(offsets[i]), int(offsets[i + 1]), two_d, dtype)
            layer[key] = Task(key, _member, *args)
        graph = HighLevelGraph.from_collections(name, layer, dependencies=list(parts))
        n = len(parts)
        if two_d:
            chunks: tuple = ((math.nan,) * n, (widths[i],))
            meta_i = np.empty((0, widths[i]), dtype=dtype)
        else:
            chunks, meta_i = ((math.nan,) * n,), np.empty((0,), dtype=dtype)
        out.append(da.Array(graph, name, chunks, meta=meta_i))
    return out


def n_blocks(X: Any) -> int:
    """Row blocks of a dask array, or partitions of a dask dataframe."""
    return X.npartitions if is_frame(X) else X.numblocks[0]


def block_lengths(X: Any) -> tuple[int, ...]:
    """Rows per block: free for arrays with known chunks, one cheap pass otherwise."""
    if isinstance(X, da.Array) and not any(math.isnan(c) for c in X.chunks[0]):
        return tuple(int(c) for c in X.chunks[0])
    lengths = dask.compute(*[dask.delayed(len)(b) for b in row_blocks(X)])
    return tuple(int(n) for n in lengths)


def aligned_row_blocks(X: Any, other: Any, what: str) -> list:
    """Blocks of ``other`` (y, sample_weight) that line up with the row blocks of dask ``X``."""
    if other is None:
        return [None] * n_blocks(X)
    if is_frame(other) or isinstance(other, da.Array):
        if n_blocks(other) != n_blocks(X):
            raise ValueError(
                f"X has {n_blocks(X)} row blocks but {what} has {n_blocks(other)}; "
                f"partition {what} like X."
            )
        if isinstance(X, da.Array) and isinstance(other, da.Array):
            if X.chunks[0] != other.chunks[0] and not any(
                math.isnan(c) for c in X.chunks[0] + other.chunks[0]
            ):
                raise ValueError(
                    f"The row blocks of X and {what} do not line up: X has row chunks "
                    f"{_short(X.chunks[0])} and {what} has {_short(other.chunks[0])}."
                )
        return row_blocks(other)
    values = np.asarray(other)
    if len(values) != (n_rows := sum(lengths := block_lengths(X))):
        raise ValueError(f"X has {n_rows} rows but {what} has {len(values)}.")
    return row_blocks(da.from_array(values, chunks=(lengths,) + values.shape[1:]))


def as_dask_array(X: np.ndarray | da.Array, chunks: Any = "auto") -> da.Array:
    """A dask array view of validated input: dask arrays pass through, NumPy is split by rows.

    NumPy input is not copied: every block of the graph is a view of ``X`` (``da.from_array``
    copies its input since dask 2025), under a unique name. Don't modify ``X`` while the result
    is in use. On a distributed client the views travel to the workers when the array is
    persisted or computed.

    Parameters
    ----------
    X : numpy.ndarray or dask.array.Array
    chunks : "auto", int or tuple of int
        Rows per block (``"auto"``: about 64 MiB per block), or the row lengths of the blocks.
    """
    if isinstance(X, da.Array):
        return X
    X = X if hasattr(X, "tocsr") else np.asarray(X)  # scipy.sparse: CSR row slices
    n = X.shape[0]
    if isinstance(chunks, tuple | list):
        row_chunks = tuple(int(c) for c in chunks)
        if sum(row_chunks) != n:
            raise ValueError(f"Row chunks {_short(row_chunks)} do not add up to {n} rows.")
    else:
        rows = max(1, min(n, _auto_rows(X))) if chunks == "auto" else max(1, int(chunks))
        row_chunks = (rows,) * (n // rows) + ((n % rows,) if n % rows or n == 0 else ())
    name = f"numpy-view-{uuid.uuid4().hex}"
    starts = np.concatenate([[0], np.cumsum(row_chunks)]).astype(int)
    tail = (0,) * (X.ndim - 1)
    graph = {(name, i, *tail): X[starts[i] : starts[i + 1]] for i in range(len(row_chunks))}
    chunks_all = (row_chunks,) + tuple((s,) for s in X.shape[1:])
    return da.Array(graph, name, chunks_all, meta=X[:0])


def _auto_rows(X: np.ndarray) -> int:
    target = 64 * 2**20
    row_bytes = max(1, X.itemsize * int(np.prod(X.shape[1:], dtype=np.int64)))
    return max(1, target // row_bytes)


def _short(chunks: tuple[int, ...]) -> str:
    return str(chunks) if len(chunks) <= 6 else f"({', '.join(map(str, chunks[:5]))}, ...)"


def n_rows(X: Any) -> int | None:
    """Rows of X when they can be known without reading it: known chunks, in-memory data, or
    the length dask finds for a dataframe (from parquet metadata; a read for other sources).
    None for a dask array whose chunk lengths are unknown."""
    if isinstance(X, dd.DataFrame | dd.Series):
        return _frame_length(X)
    shape = getattr(X, "shape", None)
    if shape is None:
        return len(X)
    return None if math.isnan(shape[0]) else int(shape[0])


try:  # dask's dataframe expressions: a map that dask knows keeps the row count
    from dask.dataframe.dask_expr._collection import new_collection
    from dask.dataframe.dask_expr._expr import MapPartitions
    from dask.dataframe.dask_expr._reductions import Len

    class _RowMap(MapPartitions):
        _is_length_preserving = True

except ImportError:  # pragma: no cover - another dask: len() reads the partitions
    MapPartitions = Len = None


def _frame_length(X: Any) -> int | None:
    """``len(X)`` as dask plans it, or None where dask fails to plan it. dask 2025.12-2026.8
    push a length into a filter (``df[mask][cols]``, the mask computed from ``df``) and then
    fail: an AssertionError when the parquet is read with no columns in fewer partitions than
    the mask, a TypeError from the parquet reader's projection. Planned here, on the client, so
    that a cluster's scheduler does not log the failure; the caller then learns the lengths
    from the blocks, where a frame that is really broken fails too."""
    if Len is None:  # pragma: no cover
        return int(len(X))
    try:
        length = new_collection(Len(X.expr)).optimize()
    except Exception:
        return None
    return int(length.compute())


def one_row_per_row(frame: Any) -> Any:
    """A frame mapped one row per row from its input (``map_partitions``), marked so that
    ``len()`` of it is ``len()`` of the input (parquet answers from its metadata) rather than a
    read of every partition through the map: a pipeline's later steps ask for it before their
    passes. Anything else is returned as it is."""
    expr = getattr(frame, "expr", None)
    if MapPartitions is None or type(expr) is not MapPartitions:
        return frame
    return new_collection(_RowMap(*expr.operands))
