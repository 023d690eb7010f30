"""Linear models that scale: logistic, linear and Poisson regression over dask row blocks.

Estimators (scikit-learn API, dask-ml's constructor): :class:`LogisticRegression`,
:class:`LinearRegression`, :class:`PoissonRegression`. Solvers: ``newton`` (the default for a
modest number of features), ``lbfgs``, ``admm``, ``gradient_descent``, ``proximal_grad``.
Penalties: ``l2``, ``l1``, ``elastic_net`` (with ``l1_ratio``), None.

Layout: ``_logistic.py``, ``_regression.py`` (estimators) on ``_glm.py`` (their shared fit) →
``_solvers.py`` (algorithms) → ``_objective.py`` (one pass =
one method) → ``_kernels.py`` (block kernels) → ``_sweeps.py`` (their compiled loops: loss,
gradient and Hessian rows from one read of a block), with ``_families.py`` (losses) and
``_penalties.py`` kept apart.
"""

from ._logistic import LogisticRegression
from ._regression import LinearRegression, PoissonRegression

__all__ = ["LinearRegression", "LogisticRegression", "PoissonRegression"]
