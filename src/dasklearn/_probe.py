"""What an estimator's method returns, learned from a tiny sample of X.

The output layer (:mod:`dasklearn._output`) needs a method's result type, dtype and width
before any block is computed (a dask collection's ``meta``). :func:`probe` runs the method on
two made-up rows shaped like X (reading no data), or on X's first rows where the estimator
refuses made-up values; :func:`output_of` turns that example into an
:class:`~dasklearn._output.Output`.
"""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import sklearn
from dask.base import tokenize

from ._chunks import row_blocks, row_shape
from ._output import Output

__all__ = ["output_of", "probe"]


def _fake_rows(X: Any) -> Any:
    """Two made-up rows shaped and typed like X, without reading any data (or None)."""
    if isinstance(X, dd.DataFrame | dd.Series):
        from dask.dataframe.utils import meta_nonempty

        return meta_nonempty(X._meta)
    dtype = np.dtype(X.dtype)
    if dtype.kind not in "biufc":
        return None
    return np.zeros((2,) + X.shape[1:], dtype=dtype)


def _first_rows(X: Any) -> Any:
    """The first rows of the first non-empty block (computes blocks one at a time)."""
    for block in row_blocks(X)[:16]:
        (values,) = dask.compute(block)
        if len(values):
            return values[:2]
    return None


#: Outputs of earlier probes, by (model token, method, X's columns and dtypes, scikit-learn's
#: configuration, whose ``transform_output`` changes what a transform returns): a model's
#: ``predict`` on a sample costs a call (18 ms for a 100-tree forest), and the first-rows
#: fallback computes blocks of X; repeated calls with the same model and columns skip both.
_PROBED: dict[tuple, Any] = {}
_MOST_PROBED = 256


def _probe_key(token: str, method: str, X: Any) -> tuple:
    meta = getattr(X, "_meta", None)
    settings = sorted(sklearn.get_config().items())
    return (token, method, type(X).__name__, tokenize(meta, row_shape(X), settings))


def probe(model: Any, method: str, X: Any, token: str | None = None) -> Any:
    """Run ``method`` on a tiny sample to learn the output's type, dtype and width.

    With ``token`` (the model's :func:`~dasklearn._blockwise.value_token`) the result is kept
    for the next call with the same model, method and columns of X.
    """
    key = _probe_key(token, method, X) if token is not None else None
    if key in _PROBED:
        return copy.deepcopy(_PROBED[key])
    error: Exception | None = None
    for make in (_fake_rows, _first_rows):
        sample = make(X)
        if sample is None:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = getattr(model, method)(sample)
        except Exception as err:  # the estimator may reject made-up values; try real rows
            error = err
            continue
        if key is not None:
            if len(_PROBED) >= _MOST_PROBED:
                _PROBED.pop(next(iter(_PROBED)))
            _PROBED[key] = copy.deepcopy(out)
        return out
    raise ValueError(
        f"Could not infer the output of {type(model).__name__}.{method} from a sample of X "
        f"({type(error).__name__}: {error}). Pass the wrapper's "
        f"{'predict_proba' if 'proba' in method else method}_meta= (an empty array or pandas "
        "object with the output's dtype and columns)."
    ) from error


def output_of(sample: Any) -> Output:
    """The :class:`~dasklearn._output.Output` of a method, from an example of its result."""
    if isinstance(sample, list):
        raise ValueError(
            "The estimator's method returns a list (one array per output); ParallelPostFit "
            "supports array and pandas outputs only."
        )
    if sp.issparse(sample):
        return Output(sample.dtype, width=sample.shape[1], sparse=True)
    if isinstance(sample, pd.Series):
        return Output(sample.dtype, name=sample.name)
    if isinstance(sample, pd.DataFrame):
        return Output(
            np.result_type(*sample.dtypes) if len(sample.columns) else np.float64,
            width=sample.shape[1],
            columns=list(sample.columns),
            meta=sample.iloc[:0],
        )
    sample = np.asarray(sample)
    if sample.ndim == 1:
        return Output(sample.dtype)
    width = sample.shape[1] if sample.shape[1] else math.nan  # a meta without columns
    return Output(sample.dtype, width=width)
