"""What a :class:`~dasklearn.compose.ColumnTransformer` fits and gives, piece by piece.

* :class:`Entry`: one transformer to fit, its columns and its row of ``transformers_``;
* :class:`Piece`: what a fitted transformer outputs (width, sparse, dtypes, names), learned
  from a few rows (:class:`Samples`: made up from the metadata first, real ones if refused);
* which transformers read dask columns (:func:`reads_dask`), the checks of the transformer
  list (:func:`check_transformers`), and the output names (:func:`prefixed`, scikit-learn's
  ``verbose_feature_names_out`` rules).
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from .._chunks import is_dask_input, row_blocks
from . import _blocks as B


@dataclass
class Entry:
    """One transformer to fit: its columns (positions in X), and its row of ``transformers_``."""

    name: str
    trans: Any
    indices: list[int]
    scalar: bool
    weight: float | None
    row: list
    passthrough: bool = False

    def plan_row(self) -> tuple:
        """(name, transformer, positions, scalar, weight): a piece of a block's transform."""
        return self.name, self.trans, self.indices, self.scalar, self.weight


@dataclass
class Piece:
    """What a fitted transformer outputs: width, sparse or not, column dtypes and names."""

    width: int
    sparse: bool
    dtypes: list
    names: list | None


def piece_of(out: Any) -> Piece:
    if sp.issparse(out):
        return Piece(out.shape[1], True, [out.dtype] * out.shape[1], None)
    if isinstance(out, pd.DataFrame):
        return Piece(out.shape[1], False, list(out.dtypes), list(out.columns))
    values = np.asarray(out)
    return Piece(values.shape[1], False, [values.dtype] * values.shape[1], None)


def numpy_dtype(dtype: Any) -> np.dtype:
    return dtype if isinstance(dtype, np.dtype) else np.dtype(object)


def as_input(X: Any) -> Any:
    """X as scikit-learn's ColumnTransformer reads it: arrays, frames (pandas or dask) and
    sparse matrices as they are, anything else (lists) as an object array."""
    if isinstance(X, pd.DataFrame | dd.DataFrame) or is_dask_input(X) or sp.issparse(X):
        return X
    if hasattr(X, "__array__") and hasattr(X, "shape"):
        return X
    return np.asarray(X, dtype=object)


def reads_dask(trans: Any) -> bool:
    """A transformer fitted on dask columns: dasklearn's, or a Pipeline of them."""
    if isinstance(trans, Pipeline):
        steps = [s for _, s in trans.steps if s not in (None, "passthrough")]
        return bool(steps) and all(reads_dask(s) for s in steps)
    return type(trans).__module__.split(".")[0] == "dasklearn"


def passthrough(config: str) -> FunctionTransformer:
    return FunctionTransformer(
        accept_sparse=True, check_inverse=False, feature_names_out="one-to-one"
    ).set_output(transform=config)


def compute(*values: Any) -> tuple:
    """The dask collections among ``values`` computed together (one pass), the rest as they are."""
    lazy = [i for i, v in enumerate(values) if is_dask_input(v)]
    out = list(values)
    for i, v in zip(lazy, dask.compute(*[values[i] for i in lazy]), strict=True):
        out[i] = v
    return tuple(out)


class Samples:
    """Rows of dask X to learn the transformers' outputs from: made up from the metadata first
    (no read), the first rows of the first non-empty block if a transformer refuses those."""

    def __init__(self, X: Any) -> None:
        self.X = X
        self._real: Any = None

    def empty(self) -> Any:
        if isinstance(self.X, dd.DataFrame):
            return self.X._meta
        return np.empty((0, self.X.shape[1]), dtype=self.X.dtype)

    def fake(self) -> Any:
        if isinstance(self.X, dd.DataFrame):
            from dask.dataframe.utils import meta_nonempty

            return meta_nonempty(self.X._meta)
        if np.dtype(self.X.dtype).kind in "biuf":
            return np.zeros((2, self.X.shape[1]), dtype=self.X.dtype)
        return None

    def real(self) -> Any:
        if self._real is None:
            for block in row_blocks(self.X)[:16]:
                (values,) = dask.compute(block)
                if len(values):
                    self._real = values[:2]
                    break
        return self._real


def names_in(estimator: Any, input_features: Any) -> np.ndarray:
    fitted = getattr(estimator, "feature_names_in_", None)
    if input_features is None:
        if fitted is not None:
            return np.asarray(fitted, dtype=object)
        return np.asarray([f"x{i}" for i in range(estimator.n_features_in_)], dtype=object)
    names = np.asarray(input_features, dtype=object)
    if len(names) != estimator.n_features_in_:
        raise ValueError(
            f"input_features should have length equal to number of features "
            f"({estimator.n_features_in_}), got {len(names)}"
        )
    if fitted is not None and list(fitted) != list(names):
        raise ValueError("input_features is not equal to feature_names_in_")
    return names


def prefixed(pairs: list[tuple[str, list]], verbose: Any) -> np.ndarray:
    """scikit-learn's output names: prefixed by the transformer's name, or checked unique."""
    if not pairs:
        return np.array([], dtype=object)
    if verbose is True or isinstance(verbose, str) or callable(verbose):
        if callable(verbose):
            fmt = verbose
        else:
            pattern = verbose if isinstance(verbose, str) else "{transformer_name}__{feature_name}"

            def fmt(t: str, f: str) -> str:
                return pattern.format(transformer_name=t, feature_name=f)

        return np.asarray([fmt(t, f) for t, names in pairs for f in names], dtype=object)
    counts = Counter(chain.from_iterable(names for _, names in pairs))
    overlap = sorted(n for n, c in counts.most_common(6) if c > 1)
    if overlap:
        shown = str(overlap[:5])[:-1] + ", ...]" if len(overlap) == 6 else str(overlap)
        raise ValueError(
            f"Output feature names: {shown} are not unique. Please set "
            "verbose_feature_names_out=True to add prefixes to feature names"
        )
    return np.asarray(list(chain.from_iterable(names for _, names in pairs)), dtype=object)


def name_estimators(estimators: list[Any]) -> list[str]:
    """scikit-learn's generated names: the lowercased class name, numbered when repeated."""
    names = [e if isinstance(e, str) else type(e).__name__.lower() for e in estimators]
    counts = Counter(names)
    seen: Counter = Counter()
    out = []
    for name in names:
        if counts[name] > 1:
            seen[name] += 1
            name = f"{name}-{seen[name]}"
        out.append(name)
    return out


def describe(entry: Entry, makers: tuple) -> Piece:
    """The output of a fitted transformer, from the first rows that one of ``makers`` gives
    and the transformer accepts (see :class:`Samples`)."""
    error: Exception | None = None
    for make in makers:
        rows = make()
        if rows is None:
            continue
        try:
            (out,) = B.transform_pieces(rows, [entry.plan_row()])
            return piece_of(out)
        except Exception as err:  # made-up values may be refused (unknown categories)
            error = err
    raise ValueError(
        f"Could not learn the output of transformer {entry.name!r} from the first rows of X: "
        f"{type(error).__name__}: {error}"
    ) from error


@contextlib.contextmanager
def timed(verbose: bool, name: str, i: int, total: int) -> Iterator[None]:
    """Print how long fitting one transformer took (scikit-learn's verbose line)."""
    start = time.time()
    yield
    if verbose:
        head = "[ColumnTransformer] "
        tail = f" ({i} of {total}) Processing {name}, total={time.time() - start:5.1f}s"
        print(head + "." * max(0, 70 - len(head) - len(tail)) + tail, flush=True)


def check_transformers(transformers: Any, params: dict) -> None:
    """scikit-learn's checks of the (name, transformer, columns) list, before any work."""
    names = []
    for item in transformers:
        if not (isinstance(item, tuple | list) and len(item) == 3):
            raise ValueError(
                f"transformers must be (name, transformer, columns) tuples; got {item!r}."
            )
        name, trans, _ = item
        names.append(name)
        if isinstance(trans, str) and trans in ("drop", "passthrough"):
            continue
        if not hasattr(trans, "transform") or not (
            hasattr(trans, "fit") or hasattr(trans, "fit_transform")
        ):
            raise TypeError(
                "All estimators should implement fit and transform, or can be 'drop' or "
                f"'passthrough' specifiers. '{trans}' (type {type(trans)}) doesn't."
            )
    dupes = sorted(n for n, c in Counter(names).items() if c > 1)
    if dupes:
        raise ValueError(f"Names provided are not unique: {dupes}")
    clash = sorted(set(names) & set(params))
    if clash:
        raise ValueError(f"Estimator names conflict with constructor arguments: {clash}")
    bad = [n for n in names if "__" in str(n)]
    if bad:
        raise ValueError(f"Estimator names must not contain __: got {bad}")


def frame_meta(pieces: list[Piece], names: list) -> pd.DataFrame:
    """The empty DataFrame a dask DataFrame output is made of: one column per output, with
    the dtype its transformer gives it."""
    dtypes = list(chain.from_iterable(p.dtypes for p in pieces))
    columns = {i: pd.Series(dtype=d) for i, d in enumerate(dtypes)}
    return pd.DataFrame(columns).set_axis(names, axis=1)
