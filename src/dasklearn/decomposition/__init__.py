"""Matrix decompositions on dask: :class:`PCA` (one pass for tall data: the centred covariance
or tall-skinny QR; randomized SVD for large non-skinny data), :class:`TruncatedSVD` (no
centring) and :class:`IncrementalPCA` (scikit-learn's batch updates over the row blocks)."""

from ._incremental_pca import IncrementalPCA
from ._pca import PCA
from ._truncated_svd import TruncatedSVD

__all__ = ["PCA", "IncrementalPCA", "TruncatedSVD"]
