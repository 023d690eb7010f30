"""The work of an adaptive search where it runs: pure functions of one model and one block.

A model's *state* is ``(model, partial_fit_calls, last_partial_fit_time)``. A round of a model is
a chain ``state -> partial_fit_steps(state, X_j, y_j, X_k, y_k, ...) -> ... -> score_step(state,
X_test, y_test)``: on a cluster every link is a task (consecutive calls on small blocks share
one) and only the small dict of :func:`score_step` travels to the client. Every link copies
the model before its first ``partial_fit``, so a link that is run again (a worker lost) starts
from the same model and gives the same result.

:func:`block_index` says which training block the ``i``-th ``partial_fit`` call of a model
reads: a fresh permutation of the blocks every epoch (seeded), which every model walks from its
own offset, so that every model sees every block once per epoch and, at any moment, the models
of a search read different blocks (different workers) rather than all queueing on one.
"""

from __future__ import annotations

import copy
import functools
from time import perf_counter
from typing import Any

import numpy as np
from sklearn.base import clone

from .._blockwise import aligned

__all__ = ["block_index", "create_model", "partial_fit_step", "partial_fit_steps", "score_step"]

State = tuple[Any, int, float]


def create_model(estimator: Any, params: dict[str, Any]) -> State:
    """A fresh state: a clone of ``estimator`` with ``params`` set, no ``partial_fit`` call yet."""
    return clone(estimator).set_params(**params), 0, 0.0


def partial_fit_step(state: State, X: Any, y: Any, fit_params: dict[str, Any]) -> State:
    """One ``partial_fit`` call on one block, on a copy of the model (the input stays as it is).

    An empty block counts as a call but leaves the model as it is (scikit-learn refuses 0 rows).
    """
    return partial_fit_steps(state, fit_params, X, y)


def partial_fit_steps(state: State, fit_params: dict[str, Any], *blocks: Any) -> State:
    """``partial_fit`` calls on the blocks ``X_1, y_1, X_2, y_2, ...`` in that order, in one
    task: the model is copied once, before the first call (the input stays as it is). The
    state's time is that of the last call."""
    model, calls, elapsed = state
    copied = False
    for X, y in zip(blocks[::2], blocks[1::2], strict=True):
        start = perf_counter()
        X, y = aligned(X, c_order=False), aligned(y, c_order=False)  # blocks from other workers
        if len(X):
            if not copied:
                model, copied = copy.deepcopy(model), True
            if y is None:
                model.partial_fit(X, **fit_params)
            else:
                model.partial_fit(X, y, **fit_params)
        calls, elapsed = calls + 1, perf_counter() - start
    return model, calls, elapsed


def score_step(state: State, X: Any, y: Any, scorer: Any) -> dict[str, Any]:
    """The model's score on the held-out data, with its call count and times (what travels)."""
    model, calls, fit_time = state
    start = perf_counter()
    X, y = aligned(X, c_order=False), aligned(y, c_order=False)
    score = model.score(X, y) if scorer is None else scorer(model, X, y)
    return {
        "partial_fit_calls": calls,
        "partial_fit_time": fit_time,
        "score": float(score),
        "score_time": perf_counter() - start,
    }


@functools.lru_cache(maxsize=256)
def _epoch_order(seed: int, epoch: int, n_blocks: int) -> np.ndarray:
    return np.random.default_rng([seed, epoch]).permutation(n_blocks)


def block_index(seed: int, offset: int, call: int, n_blocks: int) -> int:
    """The training block that call number ``call`` (from 0) of a model reads.

    Parameters
    ----------
    seed : int
        The search's seed: one permutation of the blocks per epoch.
    offset : int
        The model's position in its search: where it starts in each epoch's permutation.
    call : int
        How many ``partial_fit`` calls the model has had before this one.
    n_blocks : int
        Training blocks.

    Returns
    -------
    index : int
        Within an epoch (``n_blocks`` calls) a model reads every block once.
    """
    epoch, position = divmod(call, n_blocks)
    return int(_epoch_order(seed, epoch, n_blocks)[(position + offset) % n_blocks])
