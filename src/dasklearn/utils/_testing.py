"""assert_estimator_equal: comparing the fitted attributes of two estimators.

Dask values are computed together, numbers compared with tolerances, nested estimators by
their own fitted attributes; the first difference is named.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import dask
import numpy as np
import pandas as pd

from ._dask import compute_collections

__all__ = ["assert_estimator_equal"]

#: dask assert_eq keywords about graphs and chunks: meaningless once values are computed
_IGNORED_ASSERT_EQ = frozenset({"check_graph", "check_meta", "check_chunks", "scheduler"})


def _fitted_attributes(estimator: Any) -> dict[str, Any]:
    """Public attributes ending in ``_`` that can be read (properties may raise)."""
    found = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        for name in dir(estimator):
            if name.endswith("_") and not name.startswith("_"):
                try:
                    found[name] = getattr(estimator, name)
                except AttributeError:
                    continue
    return found


def _is_estimator(obj: Any) -> bool:
    return hasattr(obj, "get_params") and hasattr(obj, "fit") and not isinstance(obj, type)


def _is_numeric_value(x: Any) -> bool:
    if isinstance(x, np.ndarray | np.generic):
        return x.dtype.kind in "biufc"
    return isinstance(x, numbers.Number)


def _assert_value_equal(left: Any, right: Any, name: str, options: dict) -> None:
    if _is_estimator(left) or _is_estimator(right):
        if type(left) is not type(right):
            raise AssertionError(
                f"{name}: {type(left).__name__} on the left, {type(right).__name__} on the right."
            )
        _assert_estimators(left, right, set(), options, prefix=f"{name}.")
        return
    if isinstance(left, pd.DataFrame | pd.Series) and isinstance(right, pd.DataFrame | pd.Series):
        check = (
            pd.testing.assert_frame_equal
            if isinstance(left, pd.DataFrame)
            else pd.testing.assert_series_equal
        )
        try:
            check(
                left,
                right,
                check_dtype=options["check_dtype"],
                check_exact=False,
                rtol=options["rtol"],
                atol=options["atol"],
            )
        except AssertionError as err:
            raise AssertionError(f"{name}: {err}") from None
        return
    if isinstance(left, dict) and isinstance(right, dict):
        if set(left) != set(right):
            raise AssertionError(
                f"{name}: keys differ; only on the left {sorted(map(str, set(left) - set(right)))}"
                f", only on the right {sorted(map(str, set(right) - set(left)))}."
            )
        for key in left:
            _assert_value_equal(left[key], right[key], f"{name}[{key!r}]", options)
        return
    array_like = (np.ndarray, np.generic, pd.DataFrame, pd.Series)
    if isinstance(left, array_like) or isinstance(right, array_like):
        a, b = np.asarray(left), np.asarray(right)
        both_arrays = isinstance(left, np.ndarray) and isinstance(right, np.ndarray)
        if options["check_dtype"] and both_arrays and a.dtype != b.dtype:
            raise AssertionError(f"{name}: dtype {a.dtype} on the left, {b.dtype} on the right.")
        if a.shape != b.shape:
            raise AssertionError(f"{name}: shape {a.shape} on the left, {b.shape} on the right.")
        if a.dtype.kind in "iufc" and b.dtype.kind in "iufc":
            np.testing.assert_allclose(
                a,
                b,
                rtol=options["rtol"],
                atol=options["atol"],
                equal_nan=options["equal_nan"],
                err_msg=name,
            )
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)
        return
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        if len(left) != len(right):
            raise AssertionError(
                f"{name}: {len(left)} items on the left, {len(right)} on the right."
            )
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            _assert_value_equal(a, b, f"{name}[{i}]", options)
        return
    if _is_numeric_value(left) and _is_numeric_value(right):
        np.testing.assert_allclose(
            left,
            right,
            rtol=options["rtol"],
            atol=options["atol"],
            equal_nan=options["equal_nan"],
            err_msg=name,
        )
        return
    try:
        equal = left is right or bool(left == right)
    except Exception:  # an == that does not give one bool
        equal = False
    if not equal:
        raise AssertionError(
            f"{name}: {left!r} on the left, {right!r} on the right (pass exclude={name!r} to "
            "skip an attribute that cannot be compared)."
        )


def _dask_values(value: Any, found: list[Any]) -> None:
    if dask.is_dask_collection(value):
        found.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _dask_values(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _dask_values(item, found)


def _replaced(value: Any, computed: dict[int, Any]) -> Any:
    if dask.is_dask_collection(value):
        return computed[id(value)]
    if isinstance(value, dict):
        return {key: _replaced(item, computed) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_replaced(item, computed) for item in value)
    return value


def _computed(value: Any) -> Any:
    """``value`` with the dask collections in its dicts, lists and tuples computed."""
    found: list[Any] = []
    _dask_values(value, found)
    if not found:
        return value
    return _replaced(
        value, {id(c): r for c, r in zip(found, compute_collections(found), strict=True)}
    )


def _assert_estimators(
    left: Any, right: Any, exclude: set[str], options: dict, prefix: str = ""
) -> None:
    left_attrs = {k: v for k, v in _fitted_attributes(left).items() if k not in exclude}
    right_attrs = {k: v for k, v in _fitted_attributes(right).items() if k not in exclude}
    if set(left_attrs) != set(right_attrs):
        raise AssertionError(
            f"{prefix or 'The estimators'} fitted attributes differ: only on the left "
            f"{sorted(set(left_attrs) - set(right_attrs))}, only on the right "
            f"{sorted(set(right_attrs) - set(left_attrs))}."
        )
    left_attrs, right_attrs = _computed((left_attrs, right_attrs))
    for attr in sorted(left_attrs):
        _assert_value_equal(left_attrs[attr], right_attrs[attr], prefix + attr, options)


def assert_estimator_equal(
    left: Any, right: Any, exclude: str | Sequence[str] | None = None, **kwargs: Any
) -> None:
    """Assert that two fitted estimators have equal fitted attributes.

    The fitted attributes are the public ones whose names end in ``_`` (``coef_``,
    ``cluster_centers_``, ``n_iter_``, ...). Both estimators must have the same set of them,
    apart from ``exclude``; then each pair is compared: dask collections are computed
    (together, also inside dicts, lists and tuples), numeric arrays and numbers with
    :func:`numpy.testing.assert_allclose`, other arrays exactly, pandas objects with pandas'
    testing functions, dicts/lists/tuples item by item, nested estimators (``best_estimator_``,
    ``estimators_``) by their own fitted attributes, anything else with ``==``.

    Parameters
    ----------
    left, right : estimators
        The fitted estimators to compare, for example a dasklearn one and a scikit-learn one.
    exclude : str or sequence of str, optional
        Names of attributes to skip (on both sides).
    **kwargs
        ``rtol`` (default 1e-5), ``atol`` (default 1e-8) and ``equal_nan`` (default True) for
        numeric values, the tolerances of dask's ``assert_eq`` that dask-ml passed these to;
        ``check_dtype`` (default True): NumPy arrays must have the same dtype. dask's
        ``check_graph``, ``check_meta``, ``check_chunks`` and ``scheduler`` are accepted and
        ignored (values are compared after computing).

    Returns
    -------
    None

    Raises
    ------
    AssertionError
        Naming the first attribute that differs (``"best_estimator_.coef_"`` for nested ones).
    TypeError
        For a keyword not listed above.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from dasklearn.utils import assert_estimator_equal
    >>> X, y = np.arange(20.0).reshape(10, 2), np.arange(10.0)
    >>> a, b = LinearRegression().fit(X, y), LinearRegression().fit(X, y)
    >>> assert_estimator_equal(a, b)
    >>> b.intercept_ += 1.0
    >>> assert_estimator_equal(a, b, exclude="intercept_")
    >>> assert_estimator_equal(a, b)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: ...intercept_...
    """
    options = {"rtol": 1e-5, "atol": 1e-8, "equal_nan": True, "check_dtype": True}
    unknown = set(kwargs) - set(options) - _IGNORED_ASSERT_EQ
    if unknown:
        raise TypeError(
            f"assert_estimator_equal got unexpected keyword(s) {sorted(unknown)}; it takes "
            f"exclude and {sorted(set(options) | _IGNORED_ASSERT_EQ)}."
        )
    options.update({k: v for k, v in kwargs.items() if k in options})
    if exclude is None:
        excluded: set[str] = set()
    elif isinstance(exclude, str):
        excluded = {exclude}
    else:
        excluded = set(exclude)
    _assert_estimators(left, right, excluded, options)
