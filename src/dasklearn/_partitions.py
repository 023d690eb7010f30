"""Partition placement for jobs that hand whole partitions to framework processes.

Shared by :mod:`dasklearn._ranks` (torch and TensorFlow jobs) and :mod:`dasklearn._boosting`
(xgboost and lightgbm fits). Owns:

* persisting the dask inputs of one job in one pass and checking that their partitions line up
  (:func:`persist_aligned`, :class:`Partitions`); the rows of each partition come from the
  persisted partitions, so unknown chunk sizes cost no extra pass,
* the futures of a persisted collection's partitions, in partition order
  (:func:`ordered_futures`),
* sharing partitions among workers, preferring the partitions a worker already holds
  (:func:`assign_partitions`, pure),
* one NumPy array from a worker's partitions (:func:`concat_parts`).

It imports no scikit-learn (nor :mod:`dasklearn._validation`, which does), so that importing
:mod:`dasklearn.torch` or :mod:`dasklearn.tensorflow` stays light and reaches its clear error
for a missing framework first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dask.array as da
import numpy as np
import pandas as pd
from dask.core import flatten
from distributed import Client, Future, futures_of

from ._chunks import n_blocks, rows_only

__all__ = [
    "Partitions",
    "assign_partitions",
    "concat_parts",
    "ordered_futures",
    "persist_aligned",
]


def _part_len(part: Any) -> int:
    return int(part.shape[0]) if hasattr(part, "shape") else len(part)


def ordered_futures(client: Client, persisted: Any) -> list[Future]:
    """One future per partition of a persisted collection, in partition order.

    The keys of a persisted dataframe may be aliases of other keys, so the partitions are
    taken through ``to_delayed`` (trivial tasks on the workers that hold the data).
    """
    if isinstance(persisted, da.Array):
        by_key = {f.key: f for f in futures_of(persisted)}
        keys = list(flatten(persisted.__dask_keys__()))
        if all(k in by_key for k in keys):
            return [by_key[k] for k in keys]
    parts = persisted.to_delayed()
    parts = list(parts.ravel()) if isinstance(parts, np.ndarray) else list(parts)
    return client.compute(parts)


@dataclass
class Partitions:
    """Persisted dask inputs of one job, partition by partition.

    Attributes
    ----------
    collections : dict
        Name -> persisted collection (dask arrays get their now-known row chunks).
    futures : dict
        Name -> the futures of its partitions, in order.
    lengths : tuple of int
        Rows of each partition (the same for every collection).
    """

    collections: dict[str, Any]
    futures: dict[str, list[Future]]
    lengths: tuple[int, ...]

    def locations(self, client: Client, name: str | None = None) -> list[str | None]:
        """The worker holding each partition (of the first collection unless ``name``)."""
        futs = self.futures[name or next(iter(self.futures))]
        who = client.who_has(futs)
        return [next(iter(who.get(f.key, ())), None) for f in futs]


def persist_aligned(
    client: Client, named: dict[str, Any], *, what: str = "The inputs"
) -> Partitions:
    """Persist every dask collection in ``named`` at once and check that their partitions line up.

    Number of partitions is checked from metadata before anything runs; the rows of each
    partition come from the persisted partitions (tiny tasks where the data lives), so dask
    arrays and dataframes with unknown chunk sizes cost no extra pass over the data.

    Raises
    ------
    ValueError
        When the collections have different numbers of partitions or of rows per partition,
        naming the collections and the first partition that differs.
    """
    names = list(named)
    colls = [rows_only(named[n]) for n in names]
    counts = [n_blocks(c) for c in colls]
    if len(set(counts)) > 1:
        listing = ", ".join(f"{n} has {k}" for n, k in zip(names, counts, strict=True))
        raise ValueError(
            f"{what} are split into different numbers of partitions ({listing}); each "
            "partition of one must hold the same rows as the same partition of the others. "
            "Build them from one dataframe (X = df[features], y = df[target]) or rechunk to "
            "the same row chunks (y = y.rechunk(X.chunks[0]))."
        )
    _check_known_chunks(names, colls, what)
    persisted = client.persist(colls)
    futures = {n: ordered_futures(client, p) for n, p in zip(names, persisted, strict=True)}
    length_futures = {n: client.map(_part_len, fs, pure=False) for n, fs in futures.items()}
    lengths = client.gather(length_futures)
    first = lengths[names[0]]
    for n in names[1:]:
        if lengths[n] != first:
            i = next(i for i, (a, b) in enumerate(zip(first, lengths[n], strict=True)) if a != b)
            raise ValueError(
                f"{what} do not line up: partition {i} has {first[i]} rows in {names[0]} but "
                f"{lengths[n][i]} in {n}. Each partition of one must hold the same rows as the "
                "same partition of the others."
            )
    out = {}
    for n, p in zip(names, persisted, strict=True):
        if isinstance(p, da.Array) and p.chunks[0] != tuple(first):
            p = da.Array(p.dask, p.name, (tuple(first),) + p.chunks[1:], meta=p._meta)
        out[n] = p
    return Partitions(out, futures, tuple(int(k) for k in first))


def _check_known_chunks(names: list[str], colls: list[Any], what: str) -> None:
    """Known row chunks of dask arrays must agree (free: metadata only)."""
    known = [
        (n, c.chunks[0])
        for n, c in zip(names, colls, strict=True)
        if isinstance(c, da.Array) and not any(np.isnan(c.chunks[0]))
    ]
    for n, chunks in known[1:]:
        if chunks != known[0][1]:
            i = next(i for i, (a, b) in enumerate(zip(known[0][1], chunks, strict=True)) if a != b)
            raise ValueError(
                f"{what} do not line up: row block {i} has {known[0][1][i]} rows in "
                f"{known[0][0]} but {chunks[i]} in {n}. Rechunk one to match the other, e.g. "
                f"{n} = {n}.rechunk({known[0][0]}.chunks[0])."
            )


def assign_partitions(
    lengths: Sequence[int], locations: Sequence[str | None], workers: Sequence[str]
) -> list[list[int]]:
    """Share partitions among ranks (one per worker): local partitions first, then balance rows.

    Every partition goes to the rank whose worker already holds it; partitions on other
    workers go to the rank with the fewest rows. Then whole partitions move from the rank
    with the most rows to the one with the fewest while that narrows the gap. Each rank's
    list stays in the original partition order.
    """
    n = len(workers)
    index = {w: r for r, w in enumerate(workers)}
    shares: list[list[int]] = [[] for _ in range(n)]
    rows = [0] * n
    homeless = []
    for i, (size, where) in enumerate(zip(lengths, locations, strict=True)):
        r = index.get(where) if where is not None else None
        if r is None:
            homeless.append(i)
        else:
            shares[r].append(i)
            rows[r] += size
    for i in sorted(homeless, key=lambda i: -lengths[i]):
        r = int(np.argmin(rows))
        shares[r].append(i)
        rows[r] += lengths[i]
    while True:
        hi, lo = int(np.argmax(rows)), int(np.argmin(rows))
        gap = rows[hi] - rows[lo]
        best = None
        for i in shares[hi]:
            new_gap = abs((rows[hi] - lengths[i]) - (rows[lo] + lengths[i]))
            if lengths[i] > 0 and new_gap < gap and (best is None or new_gap < best[1]):
                best = (i, new_gap)
        if best is None:
            break
        i = best[0]
        shares[hi].remove(i)
        shares[lo].append(i)
        rows[hi] -= lengths[i]
        rows[lo] += lengths[i]
    return [sorted(s) for s in shares]


def concat_parts(parts: Sequence[Any]) -> np.ndarray:
    """One NumPy array from a rank's partitions (NumPy blocks or pandas frames/series)."""
    arrays = [
        p.to_numpy() if isinstance(p, pd.DataFrame | pd.Series) else np.asarray(p) for p in parts
    ]
    if not arrays:
        raise ValueError("No partitions to concatenate.")
    if len(arrays) == 1:
        return arrays[0]
    return np.concatenate(arrays, axis=0)
