"""Incremental: fit a scikit-learn estimator with ``partial_fit``, block after block, where the
blocks live.

:class:`Incremental` builds one chain of tasks over the row blocks of X (in a random order fixed
by ``random_state`` with ``shuffle_blocks``), each link a pure :func:`_partial_fit_block` that
updates a copy of the model with one block on the worker holding it, so only the model moves
between workers; NumPy or pandas input gets one ``partial_fit`` call. Its post-fit methods
(``predict``, ``transform``, ``score``...) are those of its base class
:class:`dasklearn.wrappers.ParallelPostFit` (:mod:`._parallel_post_fit`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import dask
import numpy as np

from .._blockwise import aligned, share_once, with_single_blas_thread
from .._chunks import aligned_row_blocks, row_blocks
from .._validation import check_random_state_int, is_dask_input
from ._parallel_post_fit import ParallelPostFit, _to_memory

__all__ = ["Incremental"]


# --------------------------------------------------------------------------------------------
# block kernels (pure NumPy / pandas; one block each)
# --------------------------------------------------------------------------------------------


def _check_block_lengths(*blocks: Any) -> int:
    lengths = {len(b) for b in blocks if b is not None}
    if len(lengths) > 1:
        raise ValueError(
            f"Row blocks of X and y do not line up: a block pair has lengths {sorted(lengths)}. "
            "Partition X and y the same way (same chunks / npartitions and lengths)."
        )
    return lengths.pop() if lengths else 0


def _partial_fit_block(model: Any, X: Any, y: Any, kwargs: dict[str, Any]) -> Any:
    """One link of the Incremental chain: a copy of ``model`` updated with one block.

    The copy keeps every task pure (a retried task starts from the same model); empty blocks
    leave the model as it is, since scikit-learn refuses 0-row input.
    """
    n = _check_block_lengths(X, y, kwargs.get("sample_weight"))
    if n == 0:
        return model
    model = copy.deepcopy(model)
    X, y = aligned(X, c_order=False), aligned(y, c_order=False)  # blocks from other workers
    if y is None:
        model.partial_fit(X, **kwargs)
    else:
        model.partial_fit(X, y, **kwargs)
    return model


# --------------------------------------------------------------------------------------------
# estimator
# --------------------------------------------------------------------------------------------


class Incremental(ParallelPostFit):
    """Fit an estimator with ``partial_fit`` block after block, where the blocks live.

    ``fit`` builds one chain of tasks ``model_i = partial_fit(model_{i-1}, X_i, y_i)`` over the row
    blocks of X (in a shuffled order with ``shuffle_blocks``) and computes it once: each task runs
    on the worker that holds its block, so the data stay put and only the model moves. For NumPy or
    pandas input the estimator's ``partial_fit`` is called once on all of it. The post-fit methods
    are those of :class:`ParallelPostFit`.

    Parameters
    ----------
    estimator : scikit-learn estimator with ``partial_fit``, default=None
        For classifiers pass ``classes=`` to :meth:`fit` (every block may not hold every class).
    scoring : str, callable or None
        See :class:`ParallelPostFit`.
    shuffle_blocks : bool
        Visit the blocks in a random order (fixed by ``random_state``) rather than in order.
    random_state : int, RandomState, Generator or None
        Seed for the block order; the same seed gives the same model on any scheduler.
    assume_equal_chunks : bool, default=True
        Accepted for dask-ml compatibility: X and y must always have the same row blocks here
        (checked before fitting), so there is nothing to assume.
    predict_meta, predict_proba_meta, transform_meta : optional
        See :class:`ParallelPostFit`.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model (a plain scikit-learn estimator, no dask objects).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import SGDClassifier
    >>> from dasklearn.datasets import make_classification
    >>> from dasklearn.wrappers import Incremental
    >>> X, y = make_classification(n_samples=1_000, chunks=250, random_state=0)
    >>> inc = Incremental(SGDClassifier(random_state=0), random_state=0)
    >>> inc = inc.fit(X, y, classes=np.array([0, 1]))
    >>> inc.predict(X).chunks
    ((250, 250, 250, 250),)
    """

    def __init__(
        self,
        estimator: Any = None,
        scoring: str | Callable[..., float] | None = None,
        shuffle_blocks: bool = True,
        random_state: Any = None,
        assume_equal_chunks: bool = True,
        predict_meta: Any = None,
        predict_proba_meta: Any = None,
        transform_meta: Any = None,
    ) -> None:
        super().__init__(
            estimator,
            scoring=scoring,
            predict_meta=predict_meta,
            predict_proba_meta=predict_proba_meta,
            transform_meta=transform_meta,
        )
        self.shuffle_blocks = shuffle_blocks
        self.random_state = random_state
        self.assume_equal_chunks = assume_equal_chunks

    def _block_order(self, n_blocks: int) -> np.ndarray:
        if not self.shuffle_blocks:
            return np.arange(n_blocks)
        seed = check_random_state_int(self.random_state)
        return np.random.default_rng(seed).permutation(n_blocks)

    def _fit_blocks(self, model: Any, X: Any, y: Any, fit_kwargs: dict[str, Any]) -> Any:
        if not hasattr(model, "partial_fit"):
            raise TypeError(
                f"Incremental needs an estimator with partial_fit; {type(model).__name__} has "
                "none. Use ParallelPostFit to fit in memory and predict blockwise instead."
            )
        if not is_dask_input(X):
            X, y, *values = _to_memory(X, y, *fit_kwargs.values())
            kwargs = dict(zip(fit_kwargs, values, strict=True))
            model = copy.deepcopy(model)
            if y is None:
                return model.partial_fit(X, **kwargs)
            return model.partial_fit(X, y, **kwargs)
        x_blocks = row_blocks(X)
        y_blocks = aligned_row_blocks(X, y, "y")
        # Row-aligned keywords (sample_weight) are split like X; the rest enter the graph once.
        per_block: dict[str, list[Any]] = {}
        shared: dict[str, Any] = {}
        for key, value in fit_kwargs.items():
            if key == "sample_weight" or is_dask_input(value):
                per_block[key] = aligned_row_blocks(X, value, key)
            else:
                shared[key] = share_once(value)
        step = dask.delayed(with_single_blas_thread(_partial_fit_block), pure=True)
        current: Any = share_once(model)
        for i in self._block_order(len(x_blocks)):
            kwargs = dict(shared, **{key: blocks[i] for key, blocks in per_block.items()})
            current = step(current, x_blocks[i], y_blocks[i], kwargs)
        (fitted,) = dask.compute(current)
        return fitted

    def fit(self, X: Any, y: Any = None, **fit_kwargs: Any) -> Incremental:
        """Fit a clone of the estimator with one pass of ``partial_fit`` over the blocks of X.

        Parameters
        ----------
        X : array-like, pandas or dask collection
        y : array-like, pandas or dask collection, optional
            Partitioned like X (dask) or in memory.
        **fit_kwargs
            Passed to every ``partial_fit`` call, e.g. ``classes=``. A ``sample_weight`` (or any
            dask collection) is split along X's row blocks.

        Returns
        -------
        self : Incremental
            The fitted wrapper.
        """
        self.estimator_ = self._fit_blocks(self._new_model(), X, y, fit_kwargs)
        return self

    def partial_fit(self, X: Any, y: Any = None, **fit_kwargs: Any) -> Incremental:
        """Continue fitting ``estimator_`` (a clone of the estimator at first) with one pass.

        Parameters
        ----------
        X : array-like, pandas or dask collection
        y : array-like, pandas or dask collection, optional
            Partitioned like X (dask) or in memory.
        **fit_kwargs
            Passed to every ``partial_fit`` call, e.g. ``classes=``.

        Returns
        -------
        self : Incremental
            The updated wrapper.
        """
        model = self.__dict__.get("estimator_")
        if model is None:
            model = self._new_model()
        self.estimator_ = self._fit_blocks(model, X, y, fit_kwargs)
        return self
