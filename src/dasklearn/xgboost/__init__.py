"""XGBoost on a Dask cluster: every worker trains on the partitions it already holds.

A thin layer over XGBoost's own Dask module (:mod:`xgboost.dask`), which does the boosting:

* :func:`train` and :func:`predict`, the functional interface;
* :class:`XGBClassifier`, :class:`XGBRegressor` and :class:`XGBRanker`, scikit-learn estimators
  (subclasses of ``xgboost.dask.DaskXGBClassifier`` and friends, with every XGBoost parameter).

What this layer adds: NumPy, pandas, dask array and dask dataframe input alike (in-memory input is
split into one partition per worker); the inputs persisted once and checked before training
(partitions of X, y, weights and eval sets must line up, unknown chunk sizes are found from the
persisted partitions, categorical columns get the same categories on every worker); any class
labels (strings, -1/1, ...); predictions computed block by block, aligned with the input: a dask
array with X's row chunks, a dask Series/DataFrame with X's index and divisions, NumPy for
in-memory input.

Needs the ``xgboost`` extra (``pip install 'dasklearn[xgboost]'``) and a ``distributed.Client``
(``client=None`` means the current one). Training runs one XGBoost process per worker that holds
data, with as many threads as the worker has.
"""

# both modules import XGBoost first thing: a clear ImportError when it is missing
from ._estimators import XGBClassifier, XGBRanker, XGBRegressor
from ._train import predict, train

__all__ = ["XGBClassifier", "XGBRanker", "XGBRegressor", "predict", "train"]
