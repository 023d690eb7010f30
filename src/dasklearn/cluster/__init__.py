"""Clustering on dask: :class:`KMeans` (k-means|| initialisation, one pass per Lloyd iteration)
and :class:`SpectralClustering` (Nystrom approximation, memory O(n * n_components))."""

from ._kmeans import KMeans
from ._spectral import SpectralClustering

__all__ = ["KMeans", "SpectralClustering"]
