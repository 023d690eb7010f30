"""Dataframes: dask-ml's ``make_classification_df`` and ``random_date``, and our mixed table."""

from __future__ import annotations

import datetime
import inspect
import random
from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd

from .._validation import check_random_state_int
from . import _kernels
from ._classification import classification_plan, make_classification
from ._common import block_frame, check_int, check_real, row_chunks, timestamps

#: what ``make_classification_df`` passes on to ``make_classification`` (it sets the others)
_CLASSIFICATION_KWARGS = frozenset(inspect.signature(make_classification).parameters) - {
    "n_samples",
    "weights",
    "flip_y",
    "random_state",
    "chunks",
}


def _date_span(dates: Any) -> tuple:
    if not isinstance(dates, tuple | list) or len(dates) != 2:
        raise ValueError(f"dates must be a pair (start, end), got {dates!r}.")
    span = timestamps("dates", *dates)
    try:  # the column is datetime64[ns]
        span[0].as_unit("ns"), span[1].as_unit("ns")
    except (OverflowError, ValueError) as err:
        raise ValueError(
            f"dates must lie within {pd.Timestamp.min} .. {pd.Timestamp.max}."
        ) from err
    return span


def make_classification_df(
    n_samples: int = 10000,
    response_rate: float = 0.5,
    predictability: float = 0.1,
    random_state: Any = None,
    chunks: Any = None,
    dates: tuple | None = None,
    **kwargs: Any,
) -> tuple[dd.DataFrame, dd.Series]:
    """A classification problem as a dask DataFrame and Series, as dask-ml's.

    As in dask-ml, the data are :func:`make_classification`'s with
    ``flip_y=1 - predictability`` and ``weights=[1 - response_rate, response_rate]``, the other
    parameters (``n_features``, ``n_informative``, ...) passed in ``kwargs``. X holds the
    features as float64 columns ``var0, var1, ...`` (and a ``date`` column when ``dates`` is
    given), y is the Series ``target``; both are indexed by the row number, with known
    divisions, one partition per row block.

    Parameters
    ----------
    n_samples : int, default=10000
        Number of rows.
    response_rate : float in [0, 1], default=0.5
        Share of rows in class 1 before the label noise.
    predictability : float in [0, 1], default=0.1
        How easy the target is to predict (1.0 is the easiest): a fraction
        ``1 - predictability`` of the rows get a label drawn at random.
    random_state : int, RandomState instance or None, default=None
        Seed. The same seed and chunks give the same values on any scheduler and any number
        of workers; X equals ``make_classification``'s X for the same arguments.
    chunks : int, str, tuple or None, default=None
        Rows per partition, as in :func:`make_classification`.
    dates : tuple (start, end) or None, default=None
        Add a ``date`` column of random datetimes in ``[start, end)``, whole seconds as
        :func:`random_date` draws them (whole days when both are ``datetime.date``).
    **kwargs
        Other parameters of :func:`make_classification` (``n_features=20``,
        ``n_informative=2``, ...).

    Returns
    -------
    X : dask.dataframe.DataFrame of shape (n_samples, n_features) or (n_samples, n_features + 1)
        The features, and the ``date`` column when ``dates`` is given.
    y : dask.dataframe.Series of shape (n_samples,), int64
        The target, named ``target``.

    Examples
    --------
    >>> from datetime import date
    >>> from dasklearn.datasets import make_classification_df
    >>> X, y = make_classification_df(1000, 0.3, 0.9, 0, 250, (date(2024, 1, 1), date(2025, 1, 1)),
    ...                               n_features=4)
    >>> list(X.columns), X.npartitions, y.name
    (['var0', 'var1', 'var2', 'var3', 'date'], 4, 'target')
    >>> 0.2 < float(y.mean().compute()) < 0.4
    True
    """
    for name, source in (("weights", "response_rate"), ("flip_y", "predictability")):
        if name in kwargs:
            raise TypeError(
                f"make_classification_df() sets make_classification's {name} from {source}; "
                f"pass {source} instead."
            )
    for name in kwargs:
        if name not in _CLASSIFICATION_KWARGS:
            raise TypeError(
                f"make_classification_df() got an unexpected keyword argument {name!r}; it "
                f"passes on make_classification's {sorted(_CLASSIFICATION_KWARGS)}."
            )
    response_rate = check_real("response_rate", response_rate, 0.0, 1.0)
    predictability = check_real("predictability", predictability, 0.0, 1.0)
    seed = check_random_state_int(random_state)
    plan = classification_plan(
        n_samples=n_samples,
        flip_y=1.0 - predictability,
        weights=[1.0 - response_rate, response_rate],
        seed=seed,
        **kwargs,
    )
    span = None if dates is None else _date_span(dates)
    n_features = plan.n_features
    rows = row_chunks(chunks, n_samples, n_features + (span is not None))
    columns = [f"var{i}" for i in range(n_features)]
    meta = pd.DataFrame({c: pd.Series(dtype=np.float64) for c in columns})
    if span is not None:
        meta["date"] = pd.Series(dtype="datetime64[ns]")
    meta.index = pd.RangeIndex(0)
    X = block_frame(
        _kernels.classification_frame,
        seed,
        plan,
        columns,
        span,
        rows=rows,
        meta=meta,
        label="make_classification_df-X",
    )
    y = block_frame(
        _kernels.classification_series,
        seed,
        plan,
        rows=rows,
        meta=pd.Series(dtype=np.int64, name="target", index=pd.RangeIndex(0)),
        label="make_classification_df-y",
    )
    return X, y


def random_date(start: Any, end: Any, random_state: Any = None) -> Any:
    """A random date or datetime between ``start`` and ``end``, as dask-ml's.

    A whole number of seconds, uniform in ``[0, end - start)``, is added to ``start`` (for
    ``datetime.date`` bounds the result is a date, as in dask-ml).

    Parameters
    ----------
    start, end : datetime.date, datetime.datetime, pandas.Timestamp, numpy.datetime64 or str
        The bounds; ``end`` must come at least a second after ``start``. Strings and NumPy
        datetimes are read by :class:`pandas.Timestamp`.
    random_state : int, RandomState instance or None, default=None
        Seed (an addition to dask-ml's signature). None uses Python's :mod:`random` module,
        as dask-ml does.

    Returns
    -------
    datetime.date, datetime.datetime or pandas.Timestamp
        Of the type of ``start`` (a Timestamp for strings and NumPy datetimes).

    Examples
    --------
    >>> from datetime import date, datetime
    >>> from dasklearn.datasets import random_date
    >>> day = random_date(date(2024, 1, 1), date(2024, 12, 31), random_state=0)
    >>> isinstance(day, date) and date(2024, 1, 1) <= day < date(2024, 12, 31)
    True
    >>> moment = random_date(datetime(2024, 1, 1), datetime(2024, 1, 2))
    >>> datetime(2024, 1, 1) <= moment < datetime(2024, 1, 2)
    True
    """
    timestamps("start and end", start, end)  # checks the types and the order
    if not (isinstance(start, datetime.date) and type(start) is type(end)):
        start, end = pd.Timestamp(start), pd.Timestamp(end)
    delta = end - start
    int_delta = delta.days * 24 * 60 * 60 + delta.seconds
    if random_state is None:
        seconds = random.randrange(int_delta)
    else:
        gen = np.random.default_rng(check_random_state_int(random_state))
        seconds = int(gen.integers(int_delta))
    return start + datetime.timedelta(seconds=seconds)


def make_mixed_df(
    n_samples: int = 10_000,
    n_features: int = 5,
    response_rate: float = 0.5,
    predictability: float = 1.0,
    random_state: Any = None,
    chunks: Any = None,
    dates: tuple = ("2024-01-01", "2025-01-01"),
) -> tuple[dd.DataFrame, dd.Series]:
    """A dask DataFrame of mixed dtypes for classification, and its binary target.

    The table ``make_classification_df`` gave before it took dask-ml's signature. Columns:
    ``n_features`` float features ``x0, x1, ...``, an integer count ``visits``, a categorical
    ``region``, a string ``plan`` and a datetime ``signup``. The target is drawn from a logistic
    model of the numeric features, the region and the plan.

    Parameters
    ----------
    n_samples : int, default=10000
        Number of rows.
    n_features : int, default=5
        Number of float features.
    response_rate : float in (0, 1), default=0.5
        Base rate of positives (the intercept of the logistic model).
    predictability : float, default=1.0
        Scales the model's coefficients: larger is easier to predict.
    random_state : int, RandomState instance or None, default=None
        Seed. The same seed and chunks give the same values on any scheduler.
    chunks : int, str, tuple or None, default=None
        Rows per partition, as in :func:`make_classification`.
    dates : tuple (start, end), default=("2024-01-01", "2025-01-01")
        Range of the ``signup`` datetimes.

    Returns
    -------
    X : dask.dataframe.DataFrame of shape (n_samples, n_features + 4)
        The features.
    y : dask.dataframe.Series of shape (n_samples,), int64
        The binary target, named ``target``.

    Examples
    --------
    >>> from dasklearn.datasets import make_mixed_df
    >>> X, y = make_mixed_df(1000, n_features=2, chunks=500, random_state=0)
    >>> list(X.columns), y.name
    (['x0', 'x1', 'visits', 'region', 'plan', 'signup'], 'target')
    """
    n_samples = check_int("n_samples", n_samples, 1)
    n_features = check_int("n_features", n_features, 1)
    if not 0 < response_rate < 1:
        raise ValueError(f"response_rate must be in (0, 1), got {response_rate}.")
    predictability = check_real("predictability", predictability)
    span = _date_span(dates)[:2]
    seed = check_random_state_int(random_state)
    rng = np.random.default_rng(seed)
    beta = predictability * rng.normal(size=n_features + len(_kernels.CATEGORIES))
    rows = row_chunks(chunks, n_samples, n_features + 5)
    args = (seed, n_features, beta, response_rate, span)
    meta = _kernels.mixed_frame(0, 0, 0, *args)
    frame = block_frame(_kernels.mixed_frame, *args, rows=rows, meta=meta, label="make_mixed_df")
    return frame.drop(columns="target"), frame["target"]
