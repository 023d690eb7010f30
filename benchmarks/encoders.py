"""OneHotEncoder fit + transform: dasklearn vs scikit-learn, a 1e7-row frame, 1,000 categories.

The frame has one column of pandas' default string dtype holding 1,000 distinct values
(Zipf-like frequencies, so some categories are rare). One run times, interleaved over
``--repeat`` rounds (medians):

* scikit-learn on the pandas frame;
* dasklearn on the same pandas frame (one block, in this thread);
* dasklearn on a dask DataFrame of it (``--partitions`` partitions, dask's threaded scheduler:
  the fit is one pass of per-partition counts; the lazy transform is computed into one CSR
  matrix, so the time includes concatenating the blocks).

Each phase (fit, transform with the default sparse CSR output) records its wall time and its
peak memory above the resident memory at its start (sampled every 2 ms in a thread; the
result being built counts). Agreement: ``categories_`` and every stored value of the outputs.
A variant with ``min_frequency`` (infrequent categories from the merged counts) runs once.

Run: ``.venv/bin/python benchmarks/encoders.py [--quick] [--repeat 3] [--rows 10000000]``.
"""

from __future__ import annotations

import gc
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parse_args, print_table  # noqa: E402


class PeakMemory:
    """Peak resident memory of this process above its level at ``__enter__`` (MiB)."""

    def __enter__(self) -> PeakMemory:
        import psutil

        self._process = psutil.Process()
        gc.collect()
        self._base = self._peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self._peak = max(self._peak, self._process.memory_info().rss)

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self._peak = max(self._peak, self._process.memory_info().rss)
        self.mib = (self._peak - self._base) / 2**20


def _measure(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    with PeakMemory() as memory:
        start = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - start
    return seconds, memory.mib, out


def _frame(n: int, n_categories: int):
    import pandas as pd

    rng = np.random.default_rng(0)
    names = np.array([f"category-{i:04d}" for i in range(n_categories)], dtype=object)
    weights = 1.0 / np.arange(1, n_categories + 1) ** 0.8
    codes = rng.choice(n_categories, size=n, p=weights / weights.sum())
    codes[:n_categories] = np.arange(n_categories)  # every category present
    return pd.DataFrame({"city": pd.Series(names[codes], dtype="str")})


def _same_output(a: Any, b: Any) -> bool:
    a, b = a.tocsr(), b.tocsr()
    return a.shape == b.shape and (a != b).nnz == 0


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], rows=10_000_000, categories=1000, partitions=20)
    import dask
    import dask.dataframe as dd
    import sklearn.preprocessing as skp

    from dasklearn.preprocessing import OneHotEncoder

    n = 200_000 if args.quick else args.rows
    repeat = 1 if args.quick else max(args.repeat, 1)
    df = _frame(n, args.categories)
    ddf = dd.from_pandas(df, npartitions=args.partitions).persist(scheduler="threads")
    contenders: dict[str, tuple[Callable[..., Any], Any]] = {
        "scikit-learn (pandas)": (skp.OneHotEncoder, df),
        "dasklearn (pandas)": (OneHotEncoder, df),
        f"dasklearn (dask DataFrame, {args.partitions} partitions, threads)": (OneHotEncoder, ddf),
    }
    results: dict[str, dict[str, list[float]]] = {
        name: {"fit_s": [], "transform_s": [], "fit_MiB": [], "transform_MiB": []}
        for name in contenders
    }
    outputs: dict[str, Any] = {}
    with dask.config.set(scheduler="threads"):
        OneHotEncoder().fit(df[:1000]).transform(df[:1000])  # imports, first calls
        for _ in range(repeat):
            for name, (cls, X) in contenders.items():
                fit_s, fit_mib, encoder = _measure(lambda cls=cls, X=X: cls().fit(X))
                tr_s, tr_mib, out = _measure(
                    lambda enc=encoder, X=X: dask.compute(enc.transform(X))[0]
                )
                for key, value in zip(results[name], (fit_s, tr_s, fit_mib, tr_mib), strict=True):
                    results[name][key].append(value)
                outputs[name] = (encoder, out)
                del out
        sk_name = next(iter(contenders))
        sk_encoder, sk_out = outputs[sk_name]
        agree = all(
            len(enc.categories_) == len(sk_encoder.categories_)
            and all(
                np.array_equal(a, b)
                for a, b in zip(enc.categories_, sk_encoder.categories_, strict=True)
            )
            and _same_output(out, sk_out)
            for enc, out in outputs.values()
        )
        infrequent = {}
        for name, (cls, X) in contenders.items():
            t, _, enc = _measure(lambda cls=cls, X=X: cls(min_frequency=n // 2000).fit(X))
            infrequent[name] = (t, sum(len(c) for c in enc.infrequent_categories_))

    med = {name: {k: statistics.median(v) for k, v in r.items()} for name, r in results.items()}
    base = med[sk_name]
    rows = []
    for name, m in med.items():
        total = m["fit_s"] + m["transform_s"]
        rows.append(
            {
                "contender": name,
                "fit_s": m["fit_s"],
                "transform_s": m["transform_s"],
                "total_s": total,
                "sklearn_time/this": (base["fit_s"] + base["transform_s"]) / total,
                "fit_MiB": m["fit_MiB"],
                "transform_MiB": m["transform_MiB"],
                "sklearn_peak/this": max(base["fit_MiB"], base["transform_MiB"])
                / max(m["fit_MiB"], m["transform_MiB"], 1e-9),
                "min_frequency fit_s": infrequent[name][0],
            }
        )
    print(
        f"OneHotEncoder on a {n:,}-row frame, one string column with {args.categories} "
        f"categories ({df.memory_usage(deep=True).sum() / 2**20:.0f} MiB in pandas); "
        f"{repeat} interleaved round(s), medians; peak memory above the start of each phase"
    )
    print_table(rows, list(rows[0]))
    counts = {name: v[1] for name, v in infrequent.items()}
    print(f"identical categories_ and outputs: {agree}; infrequent categories found: {counts}")


if __name__ == "__main__":
    main()
