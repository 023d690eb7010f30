"""glibc's allocator while kernels run in a worker process that distributed started.

distributed starts every worker process with ``MALLOC_TRIM_THRESHOLD_=65536``, so that freed
memory goes back to the system at once. Setting it also fixes glibc's mmap threshold at
128 KiB, which glibc otherwise raises as large blocks are freed: every temporary array over
128 KiB is then a fresh mapping whose pages fault in again each time (8 scikit-learn
``LogisticRegression`` fits on 133,000 rows: 49,000 faults, 1.24x their time; a 100-tree
forest's ``predict_proba`` over 50,000 rows 1.23x, over 500,000 rows 1.14x:
``benchmarks/results/parallel_post_fit.md``).

Clusters that dasklearn starts get better settings from the start
(:data:`~dasklearn._client.WORKER_MALLOC`); for the workers of any other cluster (a user's
``Client()``, ``dask worker`` processes), :func:`roomy_heap` gives a kernel those thresholds
while it runs (an mmap threshold of 32 MiB, the largest glibc's own rule reaches, and a trim
threshold of twice that) and puts distributed's back afterwards, handing the memory the kernel
freed back to the system (``malloc_trim``): between kernels the worker is as distributed set it.
A process started with other allocator settings, or not on glibc, is left as it is. Entered by
every block kernel (:func:`~dasklearn._blockwise.single_blas_thread`) and every task of a search
(its scikit-learn fits and scores: a 90-candidate search on a 2x1 ``LocalCluster``, 14.6 ->
12.2 s, ``benchmarks/results/model_selection.md``).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import sys
import threading
from collections.abc import Iterator
from typing import Any

__all__ = [
    "DISTRIBUTED_TRIM_THRESHOLD",
    "KERNEL_MMAP_THRESHOLD",
    "KERNEL_TRIM_THRESHOLD",
    "hold_roomy_heap",
    "release_roomy_heap",
    "roomy_heap",
]

#: glibc's mmap threshold while kernels run: allocations up to this come from the heap.
KERNEL_MMAP_THRESHOLD = 32 * 2**20
#: glibc's trim threshold while kernels run (twice the mmap threshold, as glibc's own rule).
KERNEL_TRIM_THRESHOLD = 2 * KERNEL_MMAP_THRESHOLD

#: ``MALLOC_TRIM_THRESHOLD_`` as distributed's nannies set it for their workers.
DISTRIBUTED_TRIM_THRESHOLD = 65536

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (malloc.h)
_GLIBC_MMAP_THRESHOLD = 128 * 2**10  # glibc's default, where the trim setting fixed it
_OTHER_SETTINGS = (b"MALLOC_MMAP_THRESHOLD_", b"MALLOC_TOP_PAD_", b"MALLOC_MMAP_MAX_")

_LOCK = threading.Lock()
_DEPTH = [0]  # kernels inside roomy_heap, and holds
_HELD = [0]  # holds (hold_roomy_heap) not yet released


def _start_environment() -> dict[bytes, bytes]:
    """The environment this process started with (what glibc read), on Linux."""
    try:
        with open("/proc/self/environ", "rb") as f:
            entries = f.read().split(b"\0")
    except OSError:
        return {}
    return dict(entry.split(b"=", 1) for entry in entries if b"=" in entry)


@functools.cache
def _pinned_libc() -> Any:
    """glibc, where this process started with distributed's trim threshold and no other
    allocator setting (its mmap threshold fixed at 128 KiB); None otherwise."""
    if not sys.platform.startswith("linux"):
        return None
    environment = _start_environment()
    if environment.get(b"MALLOC_TRIM_THRESHOLD_") != str(DISTRIBUTED_TRIM_THRESHOLD).encode():
        return None
    if any(name in environment for name in _OTHER_SETTINGS):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018 - glibc, not another C library
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except (OSError, AttributeError):
        return None


def _enter(libc: Any) -> None:
    with _LOCK:
        if _DEPTH[0] == 0:
            libc.mallopt(_M_MMAP_THRESHOLD, KERNEL_MMAP_THRESHOLD)
            libc.mallopt(_M_TRIM_THRESHOLD, KERNEL_TRIM_THRESHOLD)
        _DEPTH[0] += 1


def _leave(libc: Any) -> None:
    with _LOCK:
        _DEPTH[0] -= 1
        if _DEPTH[0] == 0:
            libc.mallopt(_M_MMAP_THRESHOLD, _GLIBC_MMAP_THRESHOLD)
            libc.mallopt(_M_TRIM_THRESHOLD, DISTRIBUTED_TRIM_THRESHOLD)
            libc.malloc_trim(0)


@contextlib.contextmanager
def roomy_heap() -> Iterator[None]:
    """Kernels inside get glibc's larger thresholds in a worker process that distributed
    started (see the module); nothing changes elsewhere. Thread-safe and re-entrant: the first
    caller in raises the thresholds, the last one out puts distributed's back and trims."""
    libc = _pinned_libc()
    if libc is None:
        yield
        return
    _enter(libc)
    try:
        yield
    finally:
        _leave(libc)


def hold_roomy_heap() -> bool:
    """Raise the thresholds in this process until :func:`release_roomy_heap` (as if a kernel
    ran until then: for work that is not dasklearn's, scikit-learn's ``n_jobs`` batches on the
    workers inside :func:`dasklearn.parallel.on_cluster`); whether anything changed."""
    libc = _pinned_libc()
    if libc is None:
        return False
    _enter(libc)
    _HELD[0] += 1
    return True


def release_roomy_heap() -> None:
    """Undo one :func:`hold_roomy_heap` of this process (none to undo: nothing, as in a worker
    that restarted since)."""
    libc = _pinned_libc()
    with _LOCK:
        if libc is None or _HELD[0] == 0:
            return
        _HELD[0] -= 1
    _leave(libc)
