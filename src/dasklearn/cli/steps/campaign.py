"""Demo step: a synthetic campaign-contributions table, written to parquet and summarised."""

from __future__ import annotations

import dask.dataframe as dd
import numpy as np
import pandas as pd

from .._context import DemoContext

EMPLOYERS = np.array(
    [
        "SELF-EMPLOYED",
        "RETIRED",
        "NOT EMPLOYED",
        "ACME CORP",
        "GLOBEX",
        "INITECH",
        "UMBRELLA",
        "STARK INDUSTRIES",
        "WAYNE ENTERPRISES",
        "HOOLI",
        "VANDELAY",
        "CYBERDYNE",
        "SOYLENT",
        "TYRELL",
        "WONKA",
        "MASSIVE DYNAMIC",
        "AVIATO",
        "PIED PIPER",
        "DUNDER MIFFLIN",
        "OSCORP",
    ]
    + [f"EMPLOYER {i:04d}" for i in range(2000)]
)
OCCUPATIONS = np.array(
    [
        "RETIRED",
        "ATTORNEY",
        "PHYSICIAN",
        "ENGINEER",
        "TEACHER",
        "CONSULTANT",
        "HOMEMAKER",
        "EXECUTIVE",
        "PROFESSOR",
        "SOFTWARE DEVELOPER",
        "NURSE",
        "CEO",
        "ACCOUNTANT",
        "SALES",
        "WRITER",
        "ARTIST",
        "FARMER",
        "PILOT",
        "SCIENTIST",
        "STUDENT",
    ]
    + [f"OCCUPATION {i:03d}" for i in range(300)]
)
STATES = np.array(["CA", "NY", "TX", "FL", "IL", "PA", "OH", "GA", "NC", "MI", "WA", "MA"])


def _zipf_choice(rng: np.random.Generator, values: np.ndarray, n: int, a: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, len(values) + 1) ** a
    return values[rng.choice(len(values), size=n, p=weights / weights.sum())]


def contributions_block(block: int, n_rows: int, seed: int) -> pd.DataFrame:
    """One partition of the synthetic contributions table (runs on a worker)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, block]))
    occupation = _zipf_choice(rng, OCCUPATIONS, n_rows, 1.1)
    # Some occupations give more: a per-occupation multiplier on a log-normal amount.
    scale = 1.0 + (np.char.str_len(occupation.astype(str)) % 7) / 3.0
    amount = np.round(rng.lognormal(mean=4.0, sigma=1.2, size=n_rows) * scale, 2)
    day = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 366, n_rows), unit="D")
    return pd.DataFrame(
        {
            "cmte_id": rng.integers(10_000, 99_999, n_rows).astype(np.int64),
            "employer": pd.Series(_zipf_choice(rng, EMPLOYERS, n_rows, 1.05), dtype="string"),
            "occupation": pd.Series(occupation, dtype="string"),
            "state": pd.Series(STATES[rng.integers(0, len(STATES), n_rows)], dtype="string"),
            "transaction_dt": day,
            "transaction_amt": amount,
        }
    )


def contributions(n_rows: int, rows_per_partition: int = 250_000, seed: int = 0) -> dd.DataFrame:
    """The table as a lazy dask dataframe: every partition is generated on a worker."""
    sizes = [rows_per_partition] * (n_rows // rows_per_partition)
    if n_rows % rows_per_partition:
        sizes.append(n_rows % rows_per_partition)
    return dd.from_map(
        contributions_block,
        list(range(len(sizes))),
        sizes,
        seed=seed,
        meta=contributions_block(0, 0, seed),
        enforce_metadata=False,
    )


def run(ctx: DemoContext) -> None:
    path = ctx.workdir / "contributions.parquet"
    with ctx.step(
        "Write a contributions table to parquet",
        f"{ctx.n_rows:,} synthetic rows, generated and written by the workers",
    ):
        frame = contributions(ctx.n_rows, seed=ctx.random_state)
        ctx.compute(frame.to_parquet(str(path), compute=False, write_index=False))
    with ctx.step(
        "Top employers and occupations",
        "read the parquet dataset; top-10 total by employer and top-10 average by occupation, "
        "both in one dask.compute (one read of the data)",
    ):
        table = dd.read_parquet(str(path), columns=["employer", "occupation", "transaction_amt"])
        by_employer = table.groupby("employer").transaction_amt.sum().nlargest(10)
        by_occupation = table.groupby("occupation").transaction_amt.mean().nlargest(10)
        employers, occupations = ctx.compute(by_employer, by_occupation)
        ctx.say(_two_columns(employers, "total by employer", occupations, "average by occupation"))


def _two_columns(left: pd.Series, left_title: str, right: pd.Series, right_title: str) -> str:
    rows = [f"   {left_title:<40} {right_title}"]
    for (name_l, val_l), (name_r, val_r) in zip(left.items(), right.items(), strict=False):
        rows.append(
            f"   {str(name_l)[:24]:<24} {val_l:>15,.0f} {str(name_r)[:24]:<24} {val_r:>9,.2f}"
        )
    return "\n".join(rows)
