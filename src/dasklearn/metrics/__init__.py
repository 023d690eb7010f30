"""Scores, losses, distances and kernels for dask collections, as in ``dask_ml.metrics``.

Every score of dask input is one pass over the row blocks of y_true, y_pred (and
sample_weight): each block becomes a few sufficient statistics where it lives, merged exactly in
block order (:func:`dasklearn._blockwise.reduction`), with scikit-learn's conventions; the
result equals scikit-learn's up to rounding. In-memory input goes to scikit-learn as it is.
``compute=False`` returns the lazy pass (a dask collection), to compute several at once.

Layout: ``_classification.py`` (accuracy, log loss), ``_regression.py`` (MSE, MAE, MAPE,
MSLE, R²) on ``_kernels.py`` (the NumPy block statistics, their merges and the final
formulas) and ``_inputs.py`` (aligning y_true, y_pred and weights); ``_pairwise.py``
(distances and kernels by row blocks of X, through the shared output layer); ``_scorer.py``
(one-pass scorers for searches).
"""

from ._classification import accuracy_score, log_loss
from ._pairwise import (
    euclidean_distances,
    linear_kernel,
    pairwise_distances,
    pairwise_distances_argmin_min,
    pairwise_kernels,
    polynomial_kernel,
    rbf_kernel,
    sigmoid_kernel,
)
from ._regression import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_log_error,
    r2_score,
)
from ._scorer import SCORERS, check_scoring, get_scorer

__all__ = [
    "SCORERS",
    "accuracy_score",
    "check_scoring",
    "euclidean_distances",
    "get_scorer",
    "linear_kernel",
    "log_loss",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_log_error",
    "pairwise_distances",
    "pairwise_distances_argmin_min",
    "pairwise_kernels",
    "polynomial_kernel",
    "r2_score",
    "rbf_kernel",
    "sigmoid_kernel",
]
