"""Column-wise composition of transformers on dask DataFrames and arrays, as in
``dask_ml.compose``.

:class:`ColumnTransformer` fits transformers on column subsets (names, positions, masks,
callables such as :class:`make_column_selector`) and stacks their outputs block by block: a dask
DataFrame in gives a dask DataFrame out, with the same index and divisions.
"""

from sklearn.compose import make_column_selector

from ._column_transformer import ColumnTransformer, make_column_transformer

__all__ = ["ColumnTransformer", "make_column_selector", "make_column_transformer"]
