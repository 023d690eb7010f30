"""The one error a command reports as a single line (no traceback), and the optional imports."""

from __future__ import annotations

import importlib
from typing import Any


class CLIError(Exception):
    """Bad input or a failed step, reported as one line ``dasklearn CMD: error: ...``, exit 1."""


def need(module: str, purpose: str) -> Any:
    """Import an optional dependency of the command line, or a CLIError saying how to get it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        package = module.split(".")[0]
        raise CLIError(
            f"{purpose} needs {package}, which is not installed: pip install 'dasklearn[demo]'"
        ) from None
