"""Parameters checked in one declarative place.

Every estimator declares, once, what each constructor parameter may be::

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [Options({"k-means||", "k-means++", "random"}), "array-like"],
        "random_state": ["random_state"],
    }

and calls :func:`check_params` first thing in ``fit`` (before any pass over the data). A bad
value raises :class:`dasklearn.exceptions.InvalidParameterError` naming the parameter, the value
and what is allowed.
Checks that tie several parameters together (``l1_ratio`` against ``penalty``) or a parameter to
the data (an ``init`` array's shape) stay with the estimator, after this one.

Constraints: an :class:`Interval`, :class:`Options`, ``None``, a type (``dict``, ``str``), or one
of the names ``"boolean"``, ``"array-like"``, ``"random_state"``, ``"callable"``,
``"estimator"``, ``"no_validation"``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .exceptions import InvalidParameterError

__all__ = ["Interval", "InvalidParameterError", "Options", "check_params"]


@dataclass(frozen=True)
class Interval:
    """Numbers of ``kind`` (``numbers.Integral`` or ``numbers.Real``) between two bounds."""

    kind: type
    left: float | None
    right: float | None
    closed: Literal["left", "right", "both", "neither"] = "both"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool | np.bool_) or not isinstance(value, self.kind):
            return False
        if self.kind is numbers.Real and not np.isfinite(value) and self.right is not None:
            return False
        if self.left is not None:
            low_ok = value >= self.left if self.closed in ("left", "both") else value > self.left
            if not low_ok:
                return False
        if self.right is not None:
            high_ok = (
                value <= self.right if self.closed in ("right", "both") else value < self.right
            )
            if not high_ok:
                return False
        return True

    def __str__(self) -> str:
        what = "an int" if self.kind is numbers.Integral else "a float"
        lo = "-inf" if self.left is None else f"{self.left:g}"
        hi = "inf" if self.right is None else f"{self.right:g}"
        lb = "[" if self.closed in ("left", "both") and self.left is not None else "("
        rb = "]" if self.closed in ("right", "both") and self.right is not None else ")"
        return f"{what} in the range {lb}{lo}, {hi}{rb}"


@dataclass(frozen=True)
class Options:
    """One of a set of values (strings, usually)."""

    values: frozenset

    def __init__(self, values: Iterable[Any]) -> None:
        object.__setattr__(self, "values", frozenset(values))

    def accepts(self, value: Any) -> bool:
        try:
            return value in self.values
        except TypeError:  # unhashable
            return False

    def __str__(self) -> str:
        return "one of " + "{" + ", ".join(repr(v) for v in sorted(self.values, key=str)) + "}"


def _is_array_like(value: Any) -> bool:
    return (
        hasattr(value, "__array__")
        or hasattr(value, "__dask_graph__")
        or (isinstance(value, list | tuple) and not isinstance(value, str))
    )


def _is_random_state(value: Any) -> bool:
    return value is None or (
        isinstance(value, numbers.Integral | np.random.RandomState | np.random.Generator)
        and not isinstance(value, bool)
    )


_NAMED = {
    "boolean": (lambda v: isinstance(v, bool | np.bool_), "a bool"),
    "array-like": (_is_array_like, "an array-like"),
    "random_state": (_is_random_state, "None, an int, a RandomState or a Generator"),
    "callable": (callable, "a callable"),
    "estimator": (lambda v: hasattr(v, "fit"), "an estimator (an object with fit)"),
    "no_validation": (lambda v: True, "anything"),
}


def _accepts(constraint: Any, value: Any) -> bool:
    if constraint is None:
        return value is None
    if isinstance(constraint, str):
        return bool(_NAMED[constraint][0](value))
    if isinstance(constraint, type):
        return isinstance(value, constraint) and not (
            constraint is not bool and isinstance(value, bool)
        )
    return bool(constraint.accepts(value))


def _describe(constraint: Any) -> str:
    if constraint is None:
        return "None"
    if isinstance(constraint, str):
        return _NAMED[constraint][1]
    if isinstance(constraint, type):
        return f"an instance of {constraint.__name__}"
    return str(constraint)


def check_params(estimator: Any, constraints: dict[str, list[Any]] | None = None) -> None:
    """Check every parameter of ``estimator`` against its declared constraints.

    Parameters
    ----------
    estimator : estimator
        Its parameters are read with ``getattr``.
    constraints : dict, optional
        Parameter name -> list of accepted constraints (any one suffices). Default: the
        estimator's ``_parameter_constraints``.

    Raises
    ------
    InvalidParameterError
        Naming the first parameter whose value no constraint accepts, the value, and what is
        allowed.
    """
    constraints = constraints if constraints is not None else estimator._parameter_constraints
    for name, allowed in constraints.items():
        value = getattr(estimator, name)
        if any(_accepts(c, value) for c in allowed):
            continue
        options = [_describe(c) for c in allowed]
        described = ", ".join(options[:-1]) + " or " * (len(options) > 1) + options[-1]
        raise InvalidParameterError(
            f"{name} must be {described}; got {value!r} "
            f"(a parameter of {type(estimator).__name__})."
        )
