"""The README's Python code blocks run, each on its own.

Every ```` ```python ```` block of README.md runs as a fresh ``python -c`` process in a temporary
directory (the test id is the block's line in README.md): a block must import and define
everything it uses (blocks that need a cluster start one, e.g. with
``dasklearn._client.connect()``, which listens on 127.0.0.1), and a block that needs an optional
framework that is not installed is skipped. ``-c`` rather than a script file: the worker
processes of a LocalCluster would re-run a script's top level when they start.

Sizes, the one change made to a block before it runs: the README shows realistic sizes, so
every literal ``n_samples=N`` is lowered to at most ``n_samples=4_000`` and every literal
``chunks=N`` to at most ``chunks=1_000`` (dask input keeps several blocks). The rest of the
block's code runs as written.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

#: the most each size literal may be when a block runs in the tests
SIZE_CAPS = {"n_samples": 4_000, "chunks": 1_000}

#: optional frameworks a block may import, by the import name the block uses
FRAMEWORKS = {
    "dasklearn.xgboost": "xgboost",
    "dasklearn.lightgbm": "lightgbm",
    "dasklearn.torch": "torch",
    "dasklearn.tensorflow": "tensorflow",
}


def python_blocks(text: str) -> list[tuple[int, str]]:
    """``(line number, source)`` of every ```python fenced block of a Markdown text."""
    pattern = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in pattern.finditer(text)]


def small(source: str) -> str:
    """``source`` with its size literals lowered to :data:`SIZE_CAPS`."""

    def cap(match: re.Match) -> str:
        name, value = match.group(1), int(match.group(2).replace("_", ""))
        return f"{name}={min(value, SIZE_CAPS[name])}"

    names = "|".join(SIZE_CAPS)
    return re.sub(rf"\b({names})=([0-9][0-9_]*)\b", cap, source)


def _params():
    return [
        pytest.param(source, id=f"README.md:{line}")
        for line, source in python_blocks(README.read_text())
    ]


def test_small_lowers_only_the_size_literals():
    source = "make_blobs(n_samples=2_000_000, chunks=200_000, n_features=20)\nX[:3000]"
    assert small(source) == "make_blobs(n_samples=4000, chunks=1000, n_features=20)\nX[:3000]"
    assert small("f(n_samples=100, chunks=10)") == "f(n_samples=100, chunks=10)"


def test_readme_has_python_blocks():
    assert len(python_blocks(README.read_text())) >= 5


@pytest.mark.slow  # a fresh Python process per block: imports alone take 2-3 s
@pytest.mark.timeout(600)
@pytest.mark.parametrize("source", _params())
def test_readme_block_runs(source, tmp_path):
    for module, framework in FRAMEWORKS.items():
        if module in source and importlib.util.find_spec(framework) is None:
            pytest.skip(f"the block uses {module}, and {framework} is not installed")
    result = subprocess.run(
        [sys.executable, "-c", small(source)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert result.returncode == 0, f"{small(source)}\n--- stderr ---\n{result.stderr[-4000:]}"
