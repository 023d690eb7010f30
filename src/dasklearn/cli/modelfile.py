"""Model files: skops by default, loaded only with an explicit list of trusted types.

A pickle (joblib) file runs whatever code it names while it is loaded, before anything can
check what it holds. ``dasklearn fit`` therefore writes skops files (``.skops``): a zip of a
JSON schema and NumPy arrays, from which objects are rebuilt by type name. :func:`load_model`
first lists every type the file names and refuses the file, naming them, if any is outside
:func:`trusted_types` (dasklearn's and scikit-learn's estimators, XGBoost/LightGBM boosters);
nothing in the file is imported or called before that check passes. A pickle or joblib file is
loaded only with ``trust_pickle=True`` (``--trust-pickle``); without it the file is refused
after a read-only scan of the modules and functions it would import, which the message names.

skops cannot write pandas dtypes (fitted encoders and column transformers keep the dtypes of
their input columns), so they are written as small tagged dicts of plain values and rebuilt by
:func:`_thaw` with pandas' own constructors.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import json
import pickletools
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
from dask.base import is_dask_collection

from .. import __version__
from .errors import CLIError, need
from .outputs import atomic

FORMAT = "dasklearn-model/2"
#: what ``dasklearn fit`` wrote before skops files (a joblib pickle of the same dict)
OLD_FORMATS = ("dasklearn-model/1",)

#: dasklearn packages whose public estimator classes a model file may hold
DASKLEARN_PACKAGES = (
    "dasklearn.cluster",
    "dasklearn.compose",
    "dasklearn.decomposition",
    "dasklearn.ensemble",
    "dasklearn.feature_extraction.text",
    "dasklearn.impute",
    "dasklearn.lightgbm",
    "dasklearn.linear_model",
    "dasklearn.model_selection",
    "dasklearn.naive_bayes",
    "dasklearn.preprocessing",
    "dasklearn.wrappers",
    "dasklearn.xgboost",
)
#: types held by fitted estimators that are not estimators themselves, each rebuilt from data
#: only (``__new__`` and ``__setstate__``), never by calling a function named in the file
VALUE_TYPES = (
    "numpy.dtype",
    "xgboost.core.Booster",
    "lightgbm.basic.Booster",
    "sklearn.utils._bunch.Bunch",
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
)
_TAG = "__dasklearn_pandas__"
_ZIP_MAGIC = b"PK\x03\x04"
#: first bytes of pickles (protocol 2+) and of joblib's compressed files
_PICKLE_MAGIC = (b"\x80", b"\x78", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"\x5d\x00\x00")


# --------------------------------------------------------------------------------------------
# trusted types
# --------------------------------------------------------------------------------------------


def _estimator_names(package: str) -> set[str]:
    from sklearn.base import BaseEstimator

    try:
        module = importlib.import_module(package)
    except ImportError:  # an optional framework that is not installed
        return set()
    names = set()
    for public in getattr(module, "__all__", ()):
        value = getattr(module, public, None)
        if isinstance(value, type) and issubclass(value, BaseEstimator):
            names.add(f"{value.__module__}.{value.__qualname__}")
            # the public path resolves to the same class: files written before the class's
            # module became a package (dasklearn.wrappers.ParallelPostFit) name it
            names.add(f"{package}.{public}")
    return names


def _dasklearn_records(named: list[str]) -> set[str]:
    """The dataclasses of dasklearn's own modules among ``named`` (records such as a column
    transformer's per-transformer output description): rebuilt by setting their fields."""
    found = set()
    for name in named:
        module_name, _, class_name = name.rpartition(".")
        if not module_name.startswith("dasklearn.") or module_name.startswith("dasklearn.cli"):
            continue
        try:
            value = getattr(importlib.import_module(module_name), class_name, None)
        except ImportError:
            continue
        if isinstance(value, type) and dataclasses.is_dataclass(value):
            found.add(name)
    return found


def trusted_types(named: list[str] | None = None) -> list[str]:
    """The types a model file may hold beyond skops' defaults (plain values, NumPy, SciPy
    sparse matrices and scikit-learn's public estimators).

    Parameters
    ----------
    named : list of str, optional
        Type names found in a file: only the dasklearn packages they come from are imported
        (dasklearn.xgboost imports XGBoost). None: every package.

    Returns
    -------
    list of str
        Fully qualified type names: dasklearn's public estimator classes (under their defining
        module and their public package path), the dataclasses of dasklearn's modules among
        ``named``, and :data:`VALUE_TYPES`.
    """
    packages = [
        p
        for p in DASKLEARN_PACKAGES
        if named is None or any(n.startswith(p + ".") or n.startswith(p + "._") for n in named)
    ]
    names: set[str] = set(VALUE_TYPES)
    for package in packages:
        names |= _estimator_names(package)
    return sorted(names | _dasklearn_records(named or []))


# --------------------------------------------------------------------------------------------
# pandas values as plain data
# --------------------------------------------------------------------------------------------

_OWNERS = ("dasklearn.", "sklearn.", "xgboost.", "lightgbm.")


def _freeze(value: Any) -> Any:
    if isinstance(value, pd.CategoricalDtype):
        categories = value.categories
        return {
            _TAG: "categorical",
            "categories": [] if categories is None else categories.to_numpy().tolist(),
            "categories_dtype": "" if categories is None else str(categories.dtype),
            "ordered": bool(value.ordered),
        }
    if isinstance(value, pd.api.extensions.ExtensionDtype):
        return {_TAG: "dtype", "name": str(value)}
    if isinstance(value, pd.Index):
        return {_TAG: "index", "values": value.to_numpy().tolist(), "dtype": str(value.dtype)}
    if isinstance(value, dict):
        return {k: _freeze(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_freeze(v) for v in value)
    if type(value).__module__.startswith(_OWNERS) and hasattr(value, "__dict__"):
        for name, attr in list(vars(value).items()):
            if is_dask_collection(attr):  # KMeans.labels_ of the training data: lazy, not kept
                delattr(value, name)
            else:
                setattr(value, name, _freeze(attr))
    return value


def _dtype(name: str) -> Any:
    return pd.api.types.pandas_dtype(name) if name else None


def _thaw(value: Any) -> Any:
    if isinstance(value, dict) and _TAG in value:
        kind = value[_TAG]
        if kind == "categorical":
            dtype = _dtype(value["categories_dtype"])
            categories = pd.Index(value["categories"], dtype=dtype) if dtype is not None else None
            return pd.CategoricalDtype(categories, ordered=value["ordered"])
        if kind == "dtype":
            return _dtype(value["name"])
        if kind == "index":
            return pd.Index(value["values"], dtype=_dtype(value["dtype"]))
        raise CLIError(f"unknown tagged value {kind!r} in the model file")
    if isinstance(value, dict):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_thaw(v) for v in value)
    if type(value).__module__.startswith(_OWNERS) and hasattr(value, "__dict__"):
        for name, attr in vars(value).items():
            setattr(value, name, _thaw(attr))
    return value


# --------------------------------------------------------------------------------------------
# saving
# --------------------------------------------------------------------------------------------


def save_model(path: Path, bundle: dict[str, Any], file_format: str = "skops") -> None:
    """Write ``bundle`` (the model and what ``predict``/``evaluate`` need to know) to ``path``,
    under a temporary name renamed when complete."""
    bundle = {"format": FORMAT, "dasklearn_version": __version__, **bundle}
    with atomic(path) as temporary:
        if file_format == "joblib":
            import joblib

            joblib.dump(bundle, temporary)
            return
        sio = need("skops.io", "writing a safe model file")
        try:
            sio.dump(_freeze(copy.deepcopy(bundle)), temporary)
        except Exception as err:
            raise CLIError(
                f"cannot write {type(bundle['model']).__name__} as a skops file ({err}); "
                "pass --format joblib for a pickle (loading it will need --trust-pickle)"
            ) from None


# --------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------


def _pickle_imports(path: Path) -> list[str]:
    """Modules and names a pickle would import, read with pickletools (nothing is executed);
    empty when the file is compressed or cannot be scanned."""
    found: list[str] = []
    strings: list[str] = []
    try:
        with path.open("rb") as f:
            for opcode, arg, _ in pickletools.genops(f):
                if opcode.name == "GLOBAL":
                    found.append(str(arg).replace(" ", "."))
                elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                    found.append(f"{strings[-2]}.{strings[-1]}")
                elif isinstance(arg, str):
                    strings.append(arg)
                if opcode.name == "STOP":
                    break
    except Exception:  # a compressed or truncated file: report what was seen
        pass
    return sorted(set(found))


def _refuse_pickle(path: Path) -> CLIError:
    imports = _pickle_imports(path)
    safe = set(trusted_types(imports))
    risky = [
        name
        for name in imports
        if name not in safe and not name.startswith(("numpy.", "sklearn.", "joblib."))
    ]
    named = f" (it would import {', '.join(risky)})" if risky else ""
    return CLIError(
        f"refused {path}: it is a pickle/joblib file, and loading a pickle runs the code it "
        f"names{named}. Pass --trust-pickle only if you wrote it or trust its source; "
        "'dasklearn fit' writes safe .skops files"
    )


def _corrupt(path: Path, err: BaseException) -> CLIError:
    detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return CLIError(f"{path} is not a readable model file (truncated or corrupted? {detail})")


def _load_skops(path: Path) -> Any:
    sio = need("skops.io", "reading a model file")
    try:
        named = sio.get_untrusted_types(file=path)
    except (zipfile.BadZipFile, json.JSONDecodeError, KeyError, EOFError, OSError) as err:
        raise _corrupt(path, err) from None
    except Exception as err:  # skops rejects malformed schemas with several kinds of error
        raise _corrupt(path, err) from None
    allowed = set(trusted_types(named))
    untrusted = [name for name in named if name not in allowed]
    if untrusted:
        raise CLIError(
            f"refused {path}: it holds type(s) that are not trusted: {', '.join(untrusted)} "
            "(loading them could run code); only files written by 'dasklearn fit' load"
        )
    try:
        return sio.load(path, trusted=named)
    except Exception as err:
        raise _corrupt(path, err) from None


def load_model(path: str | Path, trust_pickle: bool = False) -> dict[str, Any]:
    """The bundle saved by ``dasklearn fit`` at ``path``.

    Parameters
    ----------
    path : str or Path
        A ``.skops`` file (or, with ``trust_pickle``, a joblib/pickle file).
    trust_pickle : bool, default=False
        Load pickle/joblib files (which can run any code they hold).

    Returns
    -------
    dict
        ``model``, ``features``, ``target``, ``task`` and the fit's metadata.
    """
    path = Path(path)
    if not path.is_file():
        raise CLIError(f"model file {path} does not exist" + " (it is a folder)" * path.is_dir())
    with path.open("rb") as f:
        head = f.read(6)
    if head.startswith(_ZIP_MAGIC):
        bundle = _thaw(_load_skops(path))
    elif head.startswith(_PICKLE_MAGIC):
        if not trust_pickle:
            raise _refuse_pickle(path)
        import joblib

        try:
            bundle = joblib.load(path)
        except Exception as err:
            raise _corrupt(path, err) from None
    elif not head:
        raise CLIError(f"{path} is empty: not a model file")
    else:
        raise CLIError(f"{path} is not a model file written by 'dasklearn fit'")
    if not isinstance(bundle, dict) or bundle.get("format") not in (FORMAT, *OLD_FORMATS):
        raise CLIError(f"{path} is not a model file written by 'dasklearn fit'")
    bundle.setdefault("task", _task(bundle["model"]))
    bundle.setdefault("fit", {})
    return bundle


def _task(model: Any) -> str:
    from .evaluate import unwrap
    from .fit import task_of

    return task_of(unwrap(model)[1])
