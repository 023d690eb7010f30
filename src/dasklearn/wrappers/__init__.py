"""Meta-estimators that run any scikit-learn estimator over dask collections.

* :class:`ParallelPostFit` fits the wrapped estimator in memory (usually on a sample) and runs its
  post-fit methods (``predict``, ``predict_proba``, ``predict_log_proba``, ``decision_function``,
  ``transform``, ``score``) block by block where the blocks live.
* :class:`Incremental` fits with ``partial_fit``, block after block, as one chain of tasks in which
  only the model moves between workers.

Per-row outputs go through the shared output layer (:mod:`dasklearn._output`) and scores through
:mod:`dasklearn.metrics`; the fitted model enters the graph once per call (one key every block
task depends on, :func:`dasklearn._blockwise.share_once`), not a copy inside every task.
"""

from ._incremental import Incremental
from ._parallel_post_fit import BLOCKWISE_SCORERS, ParallelPostFit

__all__ = ["BLOCKWISE_SCORERS", "Incremental", "ParallelPostFit"]
