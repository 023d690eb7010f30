"""Feature extraction from text documents, blockwise on dask collections (dask-ml's layout)."""

from . import text

__all__ = ["text"]
