"""Model selection at scale, as in ``dask_ml.model_selection``.

* Splitters (:mod:`._split`): :func:`train_test_split`, :class:`KFold` and
  :class:`ShuffleSplit` split dask arrays and dataframes block by block, with scikit-learn's
  exact sizes; :func:`check_cv` and :func:`compute_n_splits` take dask targets.
* Searches (:mod:`._search`): :class:`GridSearchCV` and :class:`RandomizedSearchCV` share
  work between candidates (each pipeline step is fitted once per fold for each distinct setting
  of its own and earlier parameters) and submit it to the cluster in bounded batches.
* Adaptive searches for estimators with ``partial_fit`` on data larger than memory
  (:mod:`._incremental`, :mod:`._successive_halving`, :mod:`._hyperband`):
  :class:`IncrementalSearchCV`, :class:`InverseDecaySearchCV`,
  :class:`SuccessiveHalvingSearchCV`, :class:`HyperbandSearchCV`; models stay on the workers,
  each ``partial_fit`` call reads one block where it lives, only scores travel.

Layout: ``_split.py`` (the splitters) on ``_blocks.py`` (exact sizes, a split spec per row
block, the block task); ``_search.py`` (the two searches) on ``_base.py`` (fit, the best
estimator's methods), ``_plan.py`` (the distinct work of a search and the functions that do
it), ``_runner.py`` (submitting that work to a distributed client or local threads in bounded
batches), ``_cv_results.py`` (``cv_results_`` as scikit-learn builds it) and
``_blockwise_search.py`` (dask input larger than memory: folds made of row blocks).
"""

from ._hyperband import HyperbandSearchCV
from ._incremental import IncrementalSearchCV, InverseDecaySearchCV
from ._search import GridSearchCV, RandomizedSearchCV
from ._split import KFold, ShuffleSplit, check_cv, compute_n_splits, train_test_split
from ._successive_halving import SuccessiveHalvingSearchCV

__all__ = [
    "GridSearchCV",
    "HyperbandSearchCV",
    "IncrementalSearchCV",
    "InverseDecaySearchCV",
    "KFold",
    "RandomizedSearchCV",
    "ShuffleSplit",
    "SuccessiveHalvingSearchCV",
    "check_cv",
    "compute_n_splits",
    "train_test_split",
]
