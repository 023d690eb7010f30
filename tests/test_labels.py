"""The labels of a block (``_labels``): codes and counts against pandas and NumPy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dasklearn._labels import encode_labels, label_codes, label_counts

BLOCKS = [
    np.array([3, 1, 3, 7, 1], dtype=np.int64),
    np.array([-128, 127, 0, -128], dtype=np.int8),
    np.array([2**64 - 1, 2**64 - 3, 2**64 - 1], dtype=np.uint64),
    np.array([True, False, True]),
    np.array([0, 10**9], dtype=np.int64),  # a range too wide for a table
    np.array([0.5, 2.0, 0.5]),
    np.array(["b", "a", "b"], dtype=object),
]


@pytest.mark.parametrize("y", BLOCKS, ids=lambda y: str(y.dtype))
def test_label_codes_are_pandas_sorted_factorize(y):
    codes, labels = label_codes(y)
    want_codes, want_labels = pd.factorize(y, sort=True)
    np.testing.assert_array_equal(codes, want_codes)
    np.testing.assert_array_equal(labels, want_labels)
    assert labels.dtype == y.dtype
    np.testing.assert_array_equal(encode_labels(y, labels), want_codes)
    counted, counts, _ = label_counts(y)
    np.testing.assert_array_equal(counted, want_labels)
    np.testing.assert_array_equal(counts, np.bincount(want_codes))
