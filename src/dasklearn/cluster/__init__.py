"""Clustering: :class:`KMeans` (k-means|| and Lloyd over row blocks) and
:class:`SpectralClustering` (Nystrom approximation, memory O(n * n_components))."""

from ._kmeans import KMeans

__all__ = ["KMeans"]
