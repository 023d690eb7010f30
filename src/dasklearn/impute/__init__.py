"""Imputation of missing values on dask arrays and dataframes, as in ``dask_ml.impute``.

:class:`SimpleImputer` learns a fill value per column in one pass over the data (two for an
exact median) and fills row blocks where they live; DataFrames keep their columns and dtypes.
"""

from ._simple import SimpleImputer

__all__ = ["SimpleImputer"]
