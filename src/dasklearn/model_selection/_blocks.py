"""How the rows of each block are split: exact sizes, a spec per block, the block task.

A blockwise split is decided on the client and carried out where the blocks live:

* :func:`split_sizes` gives scikit-learn's totals (``ceil(test_size * n)`` test rows for a
  fraction, ``floor(train_size * n)`` train rows, counts as given, None the complement);
* :func:`allocate` spreads a total over the blocks in proportion to their rows (largest
  remainder: exact, the same on every run);
* a *spec* per block (:func:`local_split`) says which of its rows go to each side, with a seed
  drawn on the client for its permutation, so that the split never depends on the scheduler;
* :func:`take` makes one side of a split of a dask array, dataframe or series (one task per
  block), :func:`indices` the row numbers of one side.
"""

from __future__ import annotations

import math
from typing import Any

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd

from .._chunks import as_dask_array, is_dask_input, is_frame, row_blocks, rows_only

__all__ = [
    "aligned_dask",
    "allocate",
    "class_counts",
    "head_specs",
    "indices",
    "local_split",
    "seeds",
    "shuffle_specs",
    "side_sizes",
    "split_sizes",
    "stratified_specs",
    "take",
]

_I4MAX = np.iinfo(np.int32).max


def _kind(size: Any) -> str:
    return np.asarray(size).dtype.kind if size is not None else "none"


def split_sizes(n: int, test_size: Any, train_size: Any, default_test: float = 0.1):
    """(n_train, n_test) by scikit-learn's rules: a float is a fraction of ``n`` (test rounded
    up, train down), an int a count, None the complement of the other."""
    if test_size is None and train_size is None:
        test_size = default_test
    for name, size in (("test_size", test_size), ("train_size", train_size)):
        kind = _kind(size)
        if kind not in ("i", "f", "none"):
            raise ValueError(f"Invalid value for {name}: {size!r}")
        if (kind == "i" and not 0 < size < n) or (kind == "f" and not 0 < size < 1):
            raise ValueError(
                f"{name}={size} should be either positive and smaller than the number of "
                f"samples {n} or a float in the (0, 1) range"
            )
    if _kind(test_size) == "f" and _kind(train_size) == "f" and train_size + test_size > 1:
        raise ValueError(
            f"The sum of test_size and train_size = {train_size + test_size}, should be in the "
            "(0, 1) range. Reduce test_size and/or train_size."
        )
    n_test = None if test_size is None else _count(test_size, n, math.ceil)
    n_train = None if train_size is None else _count(train_size, n, math.floor)
    n_train = n - n_test if n_train is None else n_train
    n_test = n - n_train if n_test is None else n_test
    if n_train + n_test > n:
        raise ValueError(
            f"The sum of train_size and test_size = {n_train + n_test}, should be smaller than "
            f"the number of samples {n}. Reduce test_size and/or train_size."
        )
    if n_train == 0:
        raise ValueError(
            f"With n_samples={n}, test_size={test_size} and train_size={train_size}, the "
            "resulting train set will be empty. Adjust any of the aforementioned parameters."
        )
    return int(n_train), int(n_test)


def _count(size: Any, n: int, rounding: Any) -> int:
    return int(rounding(size * n)) if _kind(size) == "f" else int(size)


def allocate(total: int, capacity: np.ndarray) -> np.ndarray:
    """``total`` items spread over bins in proportion to their ``capacity`` (largest remainder,
    ties to the earlier bin): exact, deterministic, never above a bin's capacity."""
    capacity = np.asarray(capacity, dtype=np.int64)
    whole = int(capacity.sum())
    if total == 0 or whole == 0:
        return np.zeros(len(capacity), dtype=np.int64)
    share = capacity * total
    out = share // whole
    rest = total - int(out.sum())
    if rest:
        order = np.argsort(-(share % whole), kind="stable")
        out[order[:rest]] += 1
    return out


def local_split(n: int, spec: tuple, labels: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) row positions within a block of ``n`` rows, as ``spec`` describes:

    * ``("ranges", (a, b), (c, d))``: train rows ``a:b``, test rows ``c:d`` (no shuffling);
    * ``("fold", seed, start, stop)``: the rows in the block's order (permuted by ``seed``
      unless it is None); test are positions ``start:stop``, train the others (KFold);
    * ``("shuffle", seed, n_train, n_test)``: a permutation by ``seed``; test its first
      ``n_test`` rows, train the next ``n_train`` (ShuffleSplit, train_test_split);
    * ``("stratified", seed, classes, n_train, n_test)``: the same within each class of
      ``labels`` (per-class counts), the two sides then permuted.
    """
    kind = spec[0]
    if kind == "ranges":
        (a, b), (c, d) = spec[1], spec[2]
        return np.arange(a, b), np.arange(c, d)
    if kind == "fold":
        _, seed, start, stop = spec
        order = np.arange(n) if seed is None else np.random.RandomState(seed).permutation(n)
        return np.concatenate([order[:start], order[stop:]]), order[start:stop]
    if kind == "shuffle":
        _, seed, n_train, n_test = spec
        perm = np.random.RandomState(seed).permutation(n)
        return perm[n_test : n_test + n_train], perm[:n_test]
    if kind == "stratified":
        _, seed, classes, n_train, n_test = spec
        rng = np.random.RandomState(seed)
        labels = np.asarray(labels).ravel()
        train, test = [], []
        for cls, r, t in zip(classes, n_train, n_test, strict=True):
            rows = rng.permutation(np.flatnonzero(labels == cls))
            test.append(rows[:t])
            train.append(rows[t : t + r])
        return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))
    raise ValueError(f"unknown split spec {kind!r}")


def _take_block(block: Any, n: int, spec: tuple, side: int, labels: Any = None) -> Any:
    """The rows of one block on one side (0: train, 1: test)."""
    rows = local_split(n, spec, labels)[side]
    return block.iloc[rows] if hasattr(block, "iloc") else block[rows]


def _global_indices(n: int, offset: int, spec: tuple, side: int, labels: Any = None):
    return local_split(n, spec, labels)[side] + offset


def side_sizes(spec: tuple, n: int) -> tuple[int, int]:
    kind = spec[0]
    if kind == "ranges":
        return spec[1][1] - spec[1][0], spec[2][1] - spec[2][0]
    if kind == "fold":
        return n - (spec[3] - spec[2]), spec[3] - spec[2]
    if kind == "shuffle":
        return spec[2], spec[3]
    return int(np.sum(spec[3])), int(np.sum(spec[4]))


def _take_partition(
    part: Any, *labels: Any, lengths: tuple, specs: list, side: int, partition_info: Any = None
) -> Any:
    i = partition_info["number"]
    return _take_block(part, lengths[i], specs[i], side, labels[0] if labels else None)


def _take_array_block(
    block: Any, *labels: Any, lengths: tuple, specs: list, side: int, block_info: Any = None
) -> Any:
    i = block_info[0]["chunk-location"][0]
    return _take_block(block, lengths[i], specs[i], side, labels[0] if labels else None)


def take(X: Any, lengths: tuple[int, ...], specs: list[tuple], side: int, labels: Any = None):
    """One side of a blockwise split of dask X (array, dataframe or series): block ``i`` of the
    result holds the rows of block ``i`` of X that ``specs[i]`` puts on that side.

    A blockwise map of X (one expression or array layer, the block's spec picked by its index),
    not a collection rebuilt from Delayed blocks: the result optimises as X does, and a frame
    keeps X's divisions.
    """
    options = {"lengths": tuple(lengths), "specs": list(specs), "side": side}
    if is_frame(X) and (labels is None or is_frame(labels)):
        extra = () if labels is None else (labels,)
        return X.map_partitions(
            _take_partition,
            *extra,
            meta=X._meta,
            align_dataframes=False,
            enforce_metadata=False,
            **options,
        )
    if isinstance(X, da.Array) and labels is None:
        X = rows_only(X)
        sizes = tuple(side_sizes(s, n)[side] for s, n in zip(specs, lengths, strict=True))
        return X.map_blocks(
            _take_array_block,
            chunks=(sizes,) + X.chunks[1:],
            dtype=X.dtype,
            meta=X._meta,
            **options,
        )
    blocks = row_blocks(X)
    label_blocks = row_blocks(labels) if labels is not None else [None] * len(blocks)
    task = dask.delayed(_take_block, pure=True)
    parts = [
        task(b, n, s, side, lab)
        for b, n, s, lab in zip(blocks, lengths, specs, label_blocks, strict=True)
    ]
    if is_frame(X):
        return dd.from_delayed(parts, meta=X._meta, verify_meta=False)
    return da.concatenate(
        [
            da.from_delayed(
                p, shape=(side_sizes(s, n)[side],) + X.shape[1:], dtype=X.dtype, meta=X._meta
            )
            for p, n, s in zip(parts, lengths, specs, strict=True)
        ]
    )


def indices(lengths: tuple[int, ...], specs: list[tuple], side: int, labels: Any = None):
    """The global row indices of one side, one chunk per block of X."""
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int)
    label_blocks = row_blocks(labels) if labels is not None else [None] * len(lengths)
    fn = dask.delayed(_global_indices, pure=True)
    return da.concatenate(
        [
            da.from_delayed(
                fn(n, int(off), s, side, lab), shape=(side_sizes(s, n)[side],), dtype=np.intp
            )
            for n, off, s, lab in zip(lengths, offsets, specs, label_blocks, strict=True)
        ]
    )


def seeds(rng: np.random.RandomState, n: int) -> list[int]:
    return [int(s) for s in rng.randint(0, _I4MAX, size=n)]


def shuffle_specs(lengths, n_train, n_test, seeds) -> list[tuple]:
    lengths = np.asarray(lengths, dtype=np.int64)
    tests = allocate(n_test, lengths)
    trains = allocate(n_train, lengths - tests)
    return [("shuffle", s, int(r), int(t)) for s, r, t in zip(seeds, trains, tests, strict=True)]


def head_specs(lengths, n_train, n_test) -> list[tuple]:
    """No shuffling: train the first ``n_train`` rows, test the next ``n_test`` (scikit-learn)."""
    specs, start = [], 0
    for n in lengths:
        stop = start + n
        train = (min(max(0, 0 - start), n), min(max(0, n_train - start), n))
        test = (min(max(0, n_train - start), n), min(max(0, n_train + n_test - start), n))
        specs.append(("ranges", train, test))
        start = stop
    return specs


def stratified_specs(counts: np.ndarray, classes, n_train: int, n_test: int, seeds):
    """Per block and class, rows to test and train: the class totals in proportion to the
    class sizes, each class spread over blocks in proportion to its rows there."""
    per_class = counts.sum(axis=0)
    if np.any(per_class < 2):
        raise ValueError(
            "The least populated class in y has only 1 member, which is too few. The minimum "
            "number of groups for any class cannot be less than 2."
        )
    if n_test < len(classes) or n_train < len(classes):
        raise ValueError(
            f"The {'test' if n_test < len(classes) else 'train'} size should be greater or "
            f"equal to the number of classes = {len(classes)}"
        )
    tests = allocate(n_test, per_class)
    trains = allocate(n_train, per_class - tests)
    t_blocks = np.stack([allocate(t, counts[:, j]) for j, t in enumerate(tests)], axis=1)
    r_blocks = np.stack(
        [allocate(r, counts[:, j] - t_blocks[:, j]) for j, r in enumerate(trains)], axis=1
    )
    cls = tuple(np.asarray(classes).tolist())
    return [
        ("stratified", s, cls, tuple(r.tolist()), tuple(t.tolist()))
        for s, r, t in zip(seeds, r_blocks, t_blocks, strict=True)
    ]


def _block_class_counts(block: Any) -> pd.Series:
    return pd.Series(np.asarray(block).ravel()).value_counts(sort=False)


def class_counts(labels: Any, classes: Any) -> tuple[np.ndarray, np.ndarray]:
    """Rows of each class in each block (one pass): (classes, n_blocks x n_classes counts)."""
    parts = dask.compute(*[dask.delayed(_block_class_counts)(b) for b in row_blocks(labels)])
    found = sorted(set().union(*(p.index for p in parts)), key=lambda v: (str(type(v)), v))
    classes = np.asarray(found if classes is None else classes)
    unknown = set(found) - set(classes.tolist())
    if unknown:
        raise ValueError(f"stratify holds labels {sorted(unknown)} that are not in classes.")
    counts = np.stack([p.reindex(classes, fill_value=0).to_numpy() for p in parts])
    return classes, counts.astype(np.int64)


def _known_lengths(X: Any) -> tuple[int, ...] | None:
    if isinstance(X, da.Array) and not any(math.isnan(c) for c in X.chunks[0]):
        return tuple(int(c) for c in X.chunks[0])
    return None


def _all_block_lengths(collections: list) -> list[tuple[int, ...]]:
    """Rows per block of each dask collection; the unknown ones found in one pass."""
    unknown = [i for i, c in enumerate(collections) if _known_lengths(c) is None]
    counted = dask.compute(
        *[[dask.delayed(len)(b) for b in row_blocks(collections[i])] for i in unknown]
    )
    found = dict(zip(unknown, counted, strict=True))
    return [
        tuple(int(n) for n in found[i]) if i in found else _known_lengths(c)
        for i, c in enumerate(collections)
    ]


def aligned_dask(arrays: tuple) -> tuple[list, tuple[int, ...]]:
    """The arrays as dask collections with the same row blocks, and the block lengths."""
    lazy = [a for a in arrays if is_dask_input(a)]
    all_lengths = _all_block_lengths(lazy)
    lengths = all_lengths[0]
    for found in all_lengths:
        if found != lengths:
            raise ValueError(
                "The arrays to split must have the same row blocks: found blocks of "
                f"{_short(found)} rows and of {_short(lengths)}; rechunk or repartition them "
                "alike (X = df[features], y = df[target] keeps one partitioning)."
            )
    out = []
    for a in arrays:
        if not is_dask_input(a):
            a = a.to_numpy() if isinstance(a, pd.DataFrame | pd.Series) else np.asarray(a)
            if len(a) != sum(lengths):
                raise ValueError(
                    "Found input variables with inconsistent numbers of samples: "
                    f"[{sum(lengths)}, {len(a)}]"
                )
            a = as_dask_array(a, chunks=lengths)
        out.append(a)
    return out, lengths


def _short(lengths: tuple[int, ...]) -> str:
    return str(lengths) if len(lengths) <= 6 else f"({', '.join(map(str, lengths[:5]))}, ...)"
