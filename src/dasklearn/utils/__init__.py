"""Public helpers with the names and signatures of ``dask_ml.utils``.

Code written for dask-ml switches with one import (``from dasklearn.utils import ...``). Every
helper takes NumPy arrays, pandas objects, dask arrays and dask dataframes/series, and stays lazy
on dask input: a dask collection in gives a dask collection out, and nothing is computed unless
the docstring says so (only :func:`check_consistent_length` on collections of unknown length, and
:func:`assert_estimator_equal`, which compares values).

Where dasklearn differs from dask-ml on purpose, the function's docstring says so under
"Notes"; in short:

* :func:`check_chunks` raises ``ValueError`` for every bad argument (dask-ml raised
  ``AssertionError`` for a chunks tuple of the wrong length).
* :func:`check_matching_blocks`: blocks match when their *rows* line up (dask-ml compared the
  chunks of every axis, so a 2-D ``X`` and a 1-D ``y`` never matched).
* :func:`check_consistent_length` checks lengths (dask-ml's version did nothing).
* :func:`svd_flip` keeps the row blocks of dask input (dask-ml gathered ``u`` into one block)
  and does not modify NumPy input in place.
* :func:`check_array` checks dask arrays' dtype conversion and minimum sizes for real (dask-ml
  validated a sample of ones and returned the array unconverted).

Modules, one concept each:

=================== =======================================================================
``_check_array``    :func:`check_array`
``_checks``         :func:`check_chunks`, :func:`check_matching_blocks`,
                    :func:`check_consistent_length`
``_random``         :func:`check_random_state`
``_math``           :func:`handle_zeros_in_scale`, :func:`svd_flip`, :func:`row_norms`
``_testing``        :func:`assert_estimator_equal`
``_dask``           what they share (recognising dask frames, computing collections)
=================== =======================================================================
"""

from __future__ import annotations

from ._check_array import check_array
from ._checks import check_chunks, check_consistent_length, check_matching_blocks
from ._math import handle_zeros_in_scale, row_norms, svd_flip
from ._random import check_random_state
from ._testing import assert_estimator_equal

__all__ = [
    "assert_estimator_equal",
    "check_array",
    "check_chunks",
    "check_consistent_length",
    "check_matching_blocks",
    "check_random_state",
    "handle_zeros_in_scale",
    "row_norms",
    "svd_flip",
]
