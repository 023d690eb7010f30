"""check_random_state: any seed or generator as a dask ``RandomState``, as dask-ml returns."""

from __future__ import annotations

import numbers
from typing import Any

import dask.array as da
import numpy as np

__all__ = ["check_random_state"]


def check_random_state(random_state: Any) -> da.random.RandomState:
    """Turn ``random_state`` into a :class:`dask.array.random.RandomState`.

    A dask ``RandomState`` (what dask-ml returns) draws chunked dask arrays with NumPy's
    ``RandomState`` methods (``normal``, ``random_sample``, ``randint``, ``choice``, ...), so
    code written for dask-ml keeps working; each block draws from its own seed, taken from
    this generator when the array is built.

    Parameters
    ----------
    random_state : None, int, numpy.random.RandomState, numpy.random.Generator or \
dask.array.random.RandomState
        ``None``: fresh entropy. An int: the seed (``0 <= seed < 2**32``). A NumPy
        ``RandomState`` or ``Generator``: one seed is drawn from it (advancing it), so the
        result is reproducible from the NumPy generator's state. A dask ``RandomState`` is
        returned as it is.

    Returns
    -------
    dask.array.random.RandomState
        The generator to draw dask arrays from.

    Raises
    ------
    TypeError
        For any other type (a dask ``Generator`` included: its NumPy-``Generator`` methods
        differ from the ``RandomState`` ones dask-ml code calls).
    ValueError
        For an int outside ``[0, 2**32)``.

    Notes
    -----
    Why not a ``Generator``: dask-ml's callers use ``RandomState`` method names
    (``random_sample``, ``randint``) that a ``Generator`` lacks. Estimators inside dasklearn
    seed their block kernels from one integer instead (per-block NumPy generators), which does
    not depend on this function. dask-ml's version failed on a NumPy ``RandomState``
    (``randint()`` without bounds) and did not accept a NumPy ``Generator``.

    Examples
    --------
    >>> import numpy as np
    >>> from dasklearn.utils import check_random_state
    >>> rs = check_random_state(0)
    >>> x = rs.random_sample(6, chunks=3)
    >>> bool((x.compute() == check_random_state(0).random_sample(6, chunks=3).compute()).all())
    True
    >>> type(check_random_state(np.random.default_rng(0))).__name__
    'RandomState'
    """
    if random_state is None:
        return da.random.RandomState()
    if isinstance(random_state, da.random.RandomState):
        return random_state
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        seed = int(random_state)
        if not 0 <= seed < 2**32:
            raise ValueError(f"random_state must be between 0 and 2**32 - 1, got {seed}.")
        return da.random.RandomState(seed)
    if isinstance(random_state, np.random.RandomState):
        return da.random.RandomState(int(random_state.randint(0, 2**32, dtype=np.uint64)))
    if isinstance(random_state, np.random.Generator):
        return da.random.RandomState(int(random_state.integers(0, 2**32)))
    raise TypeError(
        f"random_state must be None, an int, a numpy.random.RandomState or Generator, or a "
        f"dask.array.random.RandomState; got {type(random_state).__module__}."
        f"{type(random_state).__qualname__}."
    )
