"""Progress a person can follow: bars on a terminal, one line per step (with its time) in a log.

distributed's progress bar redraws itself with carriage returns; written to a file it leaves
thousands of frames. On a terminal (``stdout.isatty()``) the bars show; anywhere else each step
prints one line when it ends, with its wall time.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import Any, TextIO


class Progress:
    """Timed steps of a command, and ``compute`` with a progress bar where one can be seen.

    Parameters
    ----------
    client : distributed.Client
        Where collections are computed.
    enabled : bool
        False hides the bars (``--no-progress``); the one-line step summaries still print.
    stream : file, optional
        Where to write (default ``sys.stdout``); bars only when it is a terminal.
    """

    def __init__(self, client: Any, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.client = client
        self.stream = stream or sys.stdout
        self.bars = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        self.timings: list[tuple[str, float]] = []

    def say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    @contextlib.contextmanager
    def step(self, what: str) -> Iterator[None]:
        """Time a step; record it and print ``what: N.NN s`` when it ends."""
        if self.bars:
            self.say(f"{what} ...")
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        self.timings.append((what, seconds))
        self.say(f"{what}: {seconds:.2f} s")

    def compute(self, *collections: Any) -> tuple[Any, ...]:
        """Compute dask collections together on the client (one graph, so one read of shared
        inputs), with a bar on a terminal."""
        futures = self.client.compute(list(collections))
        if self.bars:
            from distributed import progress

            progress(futures)
            print(file=self.stream, flush=True)
        return tuple(self.client.gather(futures))
