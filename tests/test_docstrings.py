"""Docstrings: every module's doctests run, and the public API has its numpydoc sections.

* ``test_doctests``: the ``>>>`` examples of every module under ``src/dasklearn`` (found with
  ``pkgutil.walk_packages``, so a new module or a new example is picked up without editing this
  file) run as doctests, with ``ELLIPSIS`` and ``NORMALIZE_WHITESPACE``. An example that needs
  a cluster starts one itself (``dasklearn._client.connect()``) or is marked
  ``# doctest: +SKIP``. Modules of an optional framework that is not installed are skipped.
* ``test_numpydoc_sections``: in the public modules, every public class (``__all__``) has an
  ``Examples`` section, and every public function and every public method that dasklearn
  defines (methods inherited from scikit-learn, XGBoost or LightGBM are theirs) has a
  ``Parameters`` section when it takes an argument besides ``self``, and a ``Returns`` (or
  ``Yields``) section unless it is annotated ``-> None``. Sections are read from the lines
  that a line of dashes underlines, as numpydoc writes them (numpydoc is not a dependency).

``MISSING_EXAMPLES`` and ``MISSING_SECTIONS`` list what was missing when this test was written.
A public name that is not listed must have its sections; when you add a listed section, delete
its entry (the test fails on an entry that is no longer missing, so the lists only shrink).
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import inspect
import pkgutil

import pytest

import dasklearn

#: modules that need an optional framework (the framework's import name)
FRAMEWORK_OF = {
    "dasklearn.xgboost": "xgboost",
    "dasklearn.lightgbm": "lightgbm",
    "dasklearn.torch": "torch",
    "dasklearn.tensorflow": "tensorflow",
}

#: the public modules whose ``__all__`` names are checked, when they exist
PUBLIC_MODULES = (
    "dasklearn.wrappers",
    "dasklearn.cluster",
    "dasklearn.linear_model",
    "dasklearn.datasets",
    "dasklearn.metrics",
    "dasklearn.utils",
    "dasklearn.parallel",
    "dasklearn.preprocessing",
    "dasklearn.decomposition",
    "dasklearn.impute",
    "dasklearn.compose",
    "dasklearn.feature_extraction.text",
    "dasklearn.naive_bayes",
    "dasklearn.ensemble",
    "dasklearn.xgboost",
    "dasklearn.lightgbm",
    "dasklearn.torch",
    "dasklearn.tensorflow",
)

# ---------------------------------------------------------------------------------------------
# What is missing today: shrink these lists, never grow them.
# ---------------------------------------------------------------------------------------------

#: public classes without an "Examples" section
MISSING_EXAMPLES: set[str] = set()

#: public functions/methods -> the sections they lack
MISSING_SECTIONS: dict[str, tuple[str, ...]] = {}


# ---------------------------------------------------------------------------------------------
# finding modules and names
# ---------------------------------------------------------------------------------------------


def _framework_missing(module_name: str) -> str | None:
    """The optional framework ``module_name`` needs when it is not installed, else None."""
    for prefix, framework in FRAMEWORK_OF.items():
        if module_name == prefix or module_name.startswith(prefix + "."):
            if importlib.util.find_spec(framework) is None:
                return framework
    return None


def _all_modules() -> list[str]:
    names = ["dasklearn"]
    for info in pkgutil.walk_packages(dasklearn.__path__, prefix="dasklearn."):
        names.append(info.name)
    return sorted(names)


def _import(module_name: str):
    framework = _framework_missing(module_name)
    if framework is not None:
        pytest.skip(f"{module_name} needs {framework}, which is not installed")
    return importlib.import_module(module_name)


def _sections(doc: str | None) -> set[str]:
    """The numpydoc section titles of ``doc``: lines underlined by a line of dashes."""
    lines = inspect.cleandoc(doc or "").splitlines()
    return {
        title.strip()
        for title, underline in zip(lines, lines[1:], strict=False)
        if title.strip() and underline.strip() and set(underline.strip()) == {"-"}
    }


def _is_ours(obj) -> bool:
    return getattr(obj, "__module__", "").split(".")[0] == "dasklearn"


def _public_methods(cls):
    """``(name, function)`` for the public methods that a dasklearn class of ``cls``'s MRO
    defines (the first definition in MRO order, as attribute lookup finds it)."""
    seen: set[str] = set()
    for klass in cls.__mro__:
        for name, attr in vars(klass).items():
            if name in seen:
                continue
            seen.add(name)
            if name.startswith("_") or not _is_ours(klass):
                continue
            if isinstance(attr, staticmethod | classmethod):
                attr = attr.__func__
            attr = getattr(attr, "fn", attr)  # scikit-learn's available_if descriptor
            if inspect.isfunction(attr):
                yield name, attr


def _missing_sections(func) -> tuple[str, ...]:
    sections = _sections(inspect.getdoc(func))
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):  # pragma: no cover - builtins
        signature = None
    missing = []
    if signature is not None:
        params = [p for p in signature.parameters.values() if p.name not in ("self", "cls")]
        if params and "Parameters" not in sections:
            missing.append("Parameters")
    returns_none = signature is not None and signature.return_annotation in (None, "None")
    if not returns_none and not sections & {"Returns", "Yields"}:
        missing.append("Returns")
    return tuple(missing)


def _check_module(module_name: str) -> tuple[set[str], dict[str, tuple[str, ...]]]:
    """The classes without Examples and the functions/methods without sections of a module."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items() if not n.startswith("_") and _is_ours(v)]
    no_examples: set[str] = set()
    no_sections: dict[str, tuple[str, ...]] = {}
    for name in names:
        obj = getattr(module, name)
        qualified = f"{module_name}.{name}"
        if inspect.isclass(obj):
            if "Examples" not in _sections(inspect.getdoc(obj)):
                no_examples.add(qualified)
            for method_name, method in _public_methods(obj):
                missing = _missing_sections(method)
                if missing:
                    no_sections[f"{qualified}.{method_name}"] = missing
        elif callable(obj):
            missing = _missing_sections(obj)
            if missing:
                no_sections[qualified] = missing
    return no_examples, no_sections


# ---------------------------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("module_name", _all_modules())
def test_doctests(module_name):
    module = _import(module_name)
    tests = doctest.DocTestFinder().find(module, module_name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    runner = doctest.DocTestRunner(optionflags=flags)
    report: list[str] = []
    for test in tests:
        runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)


EXISTING_PUBLIC = [m for m in PUBLIC_MODULES if importlib.util.find_spec(m) is not None]


@pytest.mark.parametrize("module_name", EXISTING_PUBLIC)
def test_numpydoc_sections(module_name):
    _import(module_name)
    no_examples, no_sections = _check_module(module_name)

    def here(name: str) -> bool:
        return name.startswith(module_name + ".")

    allowed_examples = {n for n in MISSING_EXAMPLES if here(n)}
    allowed_sections = {n: s for n, s in MISSING_SECTIONS.items() if here(n)}
    problems = []
    for name in sorted(no_examples - allowed_examples):
        problems.append(f"{name}: the class docstring needs an 'Examples' section")
    for name, missing in sorted(no_sections.items()):
        extra = set(missing) - set(allowed_sections.get(name, ()))
        if extra:
            problems.append(f"{name}: the docstring needs {', '.join(sorted(extra))} section(s)")
    for name in sorted(allowed_examples - no_examples):
        problems.append(f"{name} has its Examples now: delete it from MISSING_EXAMPLES")
    for name, allowed in sorted(allowed_sections.items()):
        done = set(allowed) - set(no_sections.get(name, ()))
        if done:
            problems.append(
                f"{name} has its {', '.join(sorted(done))} section(s) now: "
                "shrink its MISSING_SECTIONS entry"
            )
    assert not problems, "\n".join(problems)
