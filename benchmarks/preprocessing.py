"""StandardScaler fit + transform: dasklearn vs scikit-learn on (2e6, 20) float64 in memory.

One run times both on the same NumPy array, interleaved (dasklearn fit, scikit-learn fit,
dasklearn transform, scikit-learn transform, ``--repeat`` rounds; medians), on dask's threaded
scheduler (dasklearn cuts in-memory X into row blocks, one per task; its kernels hold BLAS to
one thread). The floor beside them is the machine's read bandwidth (``_common``): a fit must
read X once (``bytes / bandwidth``), a transform must read X and write a result as large
(``2 bytes / bandwidth``, writes counted at read speed, so the floor is optimistic).
Agreement is checked too (largest relative difference of ``mean_``, ``var_`` and of the
transformed values).

Run: ``.venv/bin/python benchmarks/preprocessing.py [--quick] [--repeat 5] [--rows 2000000]``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import memory_bandwidth_gbs, parse_args, print_table  # noqa: E402

D = 20


def _seconds(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], rows=2_000_000)
    import dask
    import sklearn.preprocessing as skp

    from dasklearn.preprocessing import StandardScaler

    n = 200_000 if args.quick else args.rows
    repeat = 2 if args.quick else max(args.repeat, 1)
    X = np.random.default_rng(0).standard_normal((n, D)) * np.arange(1, D + 1) + np.arange(D)
    bandwidth = memory_bandwidth_gbs(n_bytes=min(400 * 2**20, X.nbytes))
    floor_fit = X.nbytes / (bandwidth * 1e9)

    times: dict[str, list[float]] = {k: [] for k in ("dl_fit", "sk_fit", "dl_tr", "sk_tr")}
    with dask.config.set(scheduler="threads"):
        StandardScaler().fit(X[:1000]).transform(X[:1000])  # compile / load the kernels
        for _ in range(repeat):
            t, ours = _seconds(lambda: StandardScaler().fit(X))
            times["dl_fit"].append(t)
            t, theirs = _seconds(lambda: skp.StandardScaler().fit(X))
            times["sk_fit"].append(t)
            t, out_ours = _seconds(ours.transform, X)
            times["dl_tr"].append(t)
            t, out_theirs = _seconds(theirs.transform, X)
            times["sk_tr"].append(t)
            del out_ours, out_theirs

    agreement = max(
        float(np.max(np.abs(ours.mean_ / theirs.mean_ - 1))),
        float(np.max(np.abs(ours.var_ / theirs.var_ - 1))),
        float(np.max(np.abs(ours.transform(X[:100_000]) - theirs.transform(X[:100_000])))),
    )
    med = {k: statistics.median(v) for k, v in times.items()}
    rows = []
    for label, fit, tr in (
        ("dasklearn", med["dl_fit"], med["dl_tr"]),
        ("scikit-learn", med["sk_fit"], med["sk_tr"]),
        ("floor (read bandwidth)", floor_fit, 2 * floor_fit),
    ):
        rows.append(
            {
                "contender": label,
                "fit_s": fit,
                "transform_s": tr,
                "fit+transform_s": fit + tr,
                "x_floor": (fit + tr) / (3 * floor_fit),
                "x_sklearn": (fit + tr) / (med["sk_fit"] + med["sk_tr"]),
            }
        )
    print(
        f"StandardScaler on ({n}, {D}) float64 ({X.nbytes / 1e6:.0f} MB) in memory, "
        f"{repeat} interleaved rounds (medians); read bandwidth {bandwidth:.1f} GB/s (1 core)"
    )
    print_table(
        rows, ["contender", "fit_s", "transform_s", "fit+transform_s", "x_floor", "x_sklearn"]
    )
    print(
        f"largest difference from scikit-learn (relative moments, transformed values): "
        f"{agreement:.2e}"
    )


if __name__ == "__main__":
    main()
