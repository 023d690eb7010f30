"""What every ``dasklearn demo`` step receives: the client, sizes, and a way to report timings."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distributed import Client


@dataclass
class DemoContext:
    """State shared by the demo steps.

    Attributes
    ----------
    client : distributed.Client
        The cluster the demo runs on (a local 127.0.0.1 cluster unless ``--scheduler`` was given).
    n_rows : int
        Size of the main synthetic table; steps scale their own data from it.
    workdir : pathlib.Path
        A temporary folder for files the demo writes (parquet datasets).
    random_state : int
        Seed for every synthetic dataset.
    progress : bool
        Show progress bars on long steps.
    timings : list of (str, float)
        Each step's name and wall time, printed at the end.
    report : pathlib.Path or None
        The folder the last step writes the demo's report to (None: no report).
    report_written : pathlib.Path or None
        The report's HTML page, once written.
    """

    client: Client
    n_rows: int
    workdir: Path
    random_state: int = 0
    progress: bool = True
    timings: list[tuple[str, float]] = field(default_factory=list)
    report: Path | None = None
    report_written: Path | None = None

    def say(self, text: str) -> None:
        print(text, flush=True)

    @contextlib.contextmanager
    def step(self, title: str, what: str) -> Iterator[None]:
        """Announce a step, time it, and record the time."""
        self.say(f"\n== {title}\n   {what}")
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        self.timings.append((title, seconds))
        self.say(f"   done in {seconds:.2f} s")

    def compute(self, *collections: Any) -> tuple[Any, ...]:
        """``dask.compute`` on the cluster, with a progress bar when enabled."""
        import dask

        if not self.progress:
            return dask.compute(*collections)
        from distributed import progress

        futures = self.client.compute(list(collections))
        progress(futures)
        print(flush=True)
        return tuple(self.client.gather(futures))
