"""LightGBM on a Dask cluster: every worker trains on the partitions it already holds.

A thin layer over LightGBM's own Dask estimators (``lightgbm.DaskLGBMClassifier`` and friends),
which do the boosting over LightGBM's socket network between the workers:
:class:`LGBMClassifier`, :class:`LGBMRegressor` and :class:`LGBMRanker` (every LightGBM
parameter), and :func:`predict`.

What this layer adds: NumPy, pandas, dask array and dask dataframe input alike; the inputs
persisted once and checked before training (partitions of X, y, weights and eval sets must line
up, unknown chunk sizes are found from the persisted partitions, categorical columns get the
same categories on every worker); class labels encoded once for the whole cluster (LightGBM
encodes them per worker, which silently breaks when a worker lacks a class: that case is now an
error); predictions computed block by block and aligned with the input (dask array with X's row
chunks, dask Series/DataFrame with X's index, NumPy for in-memory input).

LightGBM listens on one port per worker (random free ports unless ``local_listen_port`` or
``machines`` is given); workers must reach each other on those ports. Needs the ``lightgbm``
extra (``pip install 'dasklearn[lightgbm]'``) and a ``distributed.Client``.
"""

# both modules import LightGBM first thing: a clear ImportError when it is missing
from ._base import predict
from ._estimators import LGBMClassifier, LGBMRanker, LGBMRegressor

__all__ = ["LGBMClassifier", "LGBMRanker", "LGBMRegressor", "predict"]
