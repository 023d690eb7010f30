"""Chunked synthetic datasets, generated block by block on the workers, with dask-ml's API.

Every generator takes dask-ml's parameters, in dask-ml's order and meaning (scikit-learn's, then
``chunks``), and returns lazy dask collections. Small parameters (centroids, coefficients) are
drawn on the client from ``random_state``; each block then draws its own values from generators
seeded by ``(random_state, block index, stream)``. The same ``random_state`` and ``chunks``
therefore give the same values under any scheduler and any number of workers, and building the
graph of a billion rows takes a fraction of a second.

Layout: the public functions live in ``_classification``, ``_regression``, ``_blobs`` and
``_frames``; what they share (parameter checks, row chunks, the blockwise builders) in
``_common``; the per-block NumPy kernels in ``_kernels``.
"""

from ._blobs import make_blobs
from ._classification import make_classification
from ._frames import make_classification_df, make_mixed_df, random_date
from ._regression import make_counts, make_regression

__all__ = [
    "make_blobs",
    "make_classification",
    "make_classification_df",
    "make_counts",
    "make_mixed_df",
    "make_regression",
    "random_date",
]
