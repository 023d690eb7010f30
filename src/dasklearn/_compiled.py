"""Numba compilation for block kernels, in one place.

:func:`compiled` is ``numba.njit(nogil=True, ...)`` cached on disk where possible: Numba refuses
``cache=True`` outright when it finds no writable cache directory (a read-only install and home
directory, as in some containers); the kernels then compile in each process instead (about a
second, once). ``nogil`` lets dask's threads run kernels side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba

__all__ = ["FASTMATH", "compiled", "target_cpu"]

#: Reassociation lets LLVM vectorise dot products; contraction gives FMAs. For kernels whose
#: results may change in the last bits with the summation order (distances, not statistics
#: that must merge exactly).
FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


def compiled(**options: Any) -> Callable[[Callable], Callable]:
    """A decorator: ``numba.njit(nogil=True, **options)``, cached on disk where possible."""

    def decorate(func: Callable) -> Callable:
        try:
            return numba.njit(nogil=True, cache=True, **options)(func)
        except RuntimeError:  # no writable cache directory
            return numba.njit(nogil=True, cache=False, **options)(func)

    return decorate


def target_cpu() -> str:
    """The CPU the kernels are compiled for, as LLVM names it (``znver4``, ``skylake-avx512``):
    ``NUMBA_CPU_NAME`` when set, else this machine's. Numba's disk cache is kept per this name,
    so a kernel may depend on it at compile time."""
    from llvmlite import binding

    return numba.config.CPU_NAME or binding.get_host_cpu_name()
