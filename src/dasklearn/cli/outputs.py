"""Outputs written under a temporary name and renamed when complete.

An interrupted run (Ctrl-C, a killed worker, a full disk) leaves at most a hidden
``.NAME.partial-PID`` beside the destination, never a file or dataset that looks finished.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from .errors import CLIError


def output_path(path: str | os.PathLike, what: str = "output") -> Path:
    """``path`` as a Path whose folder exists (checked before any work starts)."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise CLIError(f"the folder of the {what} {str(target)!r} does not exist: {folder}")
    if target.is_dir() and what == "model file":
        raise CLIError(f"the {what} {str(target)!r} is a folder")
    return target


def report_dir(path: str | os.PathLike, create: bool = True) -> Path:
    """A report folder whose parent exists; created now when missing (``create``), or later by
    the step that writes it."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise CLIError(f"--report {str(folder)!r} is a file, not a folder")
    parent = folder.parent if str(folder.parent) else Path(".")
    if not parent.is_dir():
        raise CLIError(f"the folder of --report {str(folder)!r} does not exist: {parent}")
    if create:
        folder.mkdir(exist_ok=True)
    return folder


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


@contextlib.contextmanager
def atomic(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; on success it replaces ``final`` (a file or a
    folder), on failure it is removed and ``final`` is left as it was."""
    temporary = final.with_name(f".{final.name}.partial-{os.getpid()}")
    _remove(temporary)
    try:
        yield temporary
    except BaseException:
        _remove(temporary)
        raise
    if final.is_dir() and not final.is_symlink():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.replace(final, old)
        os.replace(temporary, final)
        _remove(old)
    else:
        os.replace(temporary, final)


def write_text(final: Path, text: str) -> None:
    """Write a text file atomically."""
    with atomic(final) as temporary:
        temporary.write_text(text, encoding="utf-8")
