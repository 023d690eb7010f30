"""``dasklearn demo``: the seed workflow end to end on a Dask cluster, ending with its report."""

from __future__ import annotations

import importlib
import tempfile
import time
from pathlib import Path

from .._client import connect
from ._context import DemoContext
from .errors import CLIError

#: (name, module) of each step, in order; a step whose module is absent is skipped.
STEPS: list[tuple[str, str]] = [
    ("campaign", "dasklearn.cli.steps.campaign"),
    ("wrappers", "dasklearn.cli.steps.wrappers"),
    ("cluster", "dasklearn.cli.steps.cluster"),
    ("preprocessing", "dasklearn.cli.steps.preprocessing"),
    ("linear_model", "dasklearn.cli.steps.linear_model"),
    ("xgboost", "dasklearn.cli.steps.xgboost"),
    ("search", "dasklearn.cli.steps.search"),
    ("report", "dasklearn.cli.steps.report"),
]


def run_demo(
    n_rows: int = 3_000_000,
    scheduler: str | None = None,
    n_workers: int = 2,
    threads_per_worker: int = 1,
    memory_limit: str = "auto",
    steps: list[str] | None = None,
    workdir: str | None = None,
    progress: bool = True,
    random_state: int = 0,
    report: Path | None = None,
    connect_timeout: float = 10.0,
) -> DemoContext:
    """Run the demo steps on a local 127.0.0.1 cluster, or on ``scheduler`` when given.

    The last step fits a model with ``dasklearn fit``'s code on a table of mixed column types
    and writes its evaluation report (with every step's timing) to ``report``.
    """
    unknown = set(steps or ()) - {name for name, _ in STEPS}
    if unknown:
        raise CLIError(f"unknown demo steps {sorted(unknown)}; choose from {[n for n, _ in STEPS]}")
    start = time.perf_counter()
    where = scheduler or f"a local cluster of {n_workers} workers x {threads_per_worker} thread(s)"
    print(f"dasklearn demo: starting {where} ...", flush=True)
    if scheduler is not None:
        try:
            client = connect(scheduler, timeout=f"{connect_timeout}s")
        except (OSError, TimeoutError) as err:
            raise CLIError(f"cannot reach the scheduler at {scheduler}: {err}") from None
    else:
        client = connect(
            None,
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            memory_limit=memory_limit,
        )
    with client, tempfile.TemporaryDirectory(prefix="dasklearn-demo-", dir=workdir) as tmp:
        print(f"scheduler: {client.scheduler.address}", flush=True)
        print(f"dashboard: {client.dashboard_link}", flush=True)
        ctx = DemoContext(
            client=client,
            n_rows=n_rows,
            workdir=Path(tmp),
            random_state=random_state,
            progress=progress,
            report=report,
        )
        for name, module_name in STEPS:
            if steps and name not in steps:
                continue
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as err:
                if err.name != module_name:
                    raise
                continue
            with client.as_current():
                module.run(ctx)
    total = time.perf_counter() - start
    print("\nSummary")
    for title, seconds in ctx.timings:
        print(f"  {seconds:8.2f} s  {title}")
    print(f"  {total:8.2f} s  total (cluster start and stop included)")
    if ctx.report_written is not None:
        print(f"\nreport: {ctx.report_written}")
    return ctx
