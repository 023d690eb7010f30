"""``dasklearn info``: versions, optional frameworks, and the cluster in use or the one a command
would start."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from typing import Any

from .. import __version__

#: the stack dasklearn stands on, by distribution name
STACK = (
    "dask",
    "distributed",
    "scikit-learn",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "numba",
    "skops",
    "matplotlib",
)
#: optional frameworks dasklearn drives on a cluster (distribution name, what it brings)
FRAMEWORKS = (
    ("xgboost", "dasklearn.xgboost"),
    ("lightgbm", "dasklearn.lightgbm"),
    ("torch", "dasklearn.torch"),
    ("tensorflow-cpu", "dasklearn.tensorflow"),
    ("tensorflow", "dasklearn.tensorflow"),
)


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def versions() -> dict[str, Any]:
    """Versions of Python, dasklearn, its stack and the optional frameworks (None: missing),
    read from the installed distributions' metadata (nothing is imported)."""
    frameworks: dict[str, str | None] = {}
    for distribution, module in FRAMEWORKS:
        found = _version(distribution)
        if found or module not in frameworks:
            frameworks[module] = found and f"{distribution} {found}"
    return {
        "python": platform.python_version(),
        "dasklearn": __version__,
        "stack": {name: _version(name) for name in STACK},
        "frameworks": frameworks,
    }


def describe_cluster(client: Any) -> dict[str, Any]:
    """Address, workers, threads and memory of the cluster ``client`` is connected to."""
    info = client.scheduler_info(n_workers=-1)
    workers = info.get("workers", {})
    return {
        "scheduler": info.get("address", str(client.scheduler.address)),
        "dashboard": client.dashboard_link,
        "workers": len(workers),
        "threads": sum(int(w.get("nthreads", 0)) for w in workers.values()),
        "memory_bytes": sum(int(w.get("memory_limit") or 0) for w in workers.values()),
        "hosts": sorted({str(w.get("host", "")) for w in workers.values()}),
    }


def describe_local(n_workers: int, threads_per_worker: int = 1) -> dict[str, Any]:
    """The local cluster a command would start (nothing is started)."""
    import psutil
    from dask.system import CPU_COUNT

    total = psutil.virtual_memory().total
    return {
        "scheduler": "a new local cluster on 127.0.0.1 (none given: --scheduler ADDRESS)",
        "workers": n_workers,
        "threads": n_workers * threads_per_worker,
        "memory_bytes": total,
        "cpus": CPU_COUNT or os.cpu_count(),
    }


def _bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    return str(n)


def format_info(found: dict[str, Any], cluster: dict[str, Any]) -> str:
    lines = [f"dasklearn {found['dasklearn']} (Python {found['python']})", "stack:"]
    for name, version in found["stack"].items():
        lines.append(f"  {name:<14} {version or 'not installed'}")
    lines.append("optional frameworks:")
    for module, version in found["frameworks"].items():
        lines.append(f"  {module:<22} {version or 'not installed'}")
    lines.append("cluster:")
    lines.append(f"  scheduler      {cluster['scheduler']}")
    if cluster.get("dashboard"):
        lines.append(f"  dashboard      {cluster['dashboard']}")
    lines.append(f"  workers        {cluster['workers']}")
    lines.append(f"  threads        {cluster['threads']}")
    memory = _bytes(cluster["memory_bytes"])
    lines.append(f"  memory         {memory}" + " (this machine's)" * ("cpus" in cluster))
    if "cpus" in cluster:
        lines.append(f"  cpus           {cluster['cpus']}")
    return "\n".join(lines)
