"""A search over dask input larger than memory: folds made of row blocks, fitted from the client.

When X does not fit in one worker's memory, no task can hold a fold. The folds are then dask
collections cut block by block (:class:`~._split.KFold` over the row blocks: each block gives
its test rows and keeps the rest for training, a task per block where it lives), and every
distinct stage and leaf of the :class:`~._plan.Plan` is fitted from the client, one after the
other, by an estimator that takes dask input (dasklearn's estimators and pipelines of them):
each fit spreads its own passes over the cluster. Transformed data stay lazy (a leaf's passes
read the fold through its fitted steps); scores are dasklearn's one-pass scorers, every metric
of a fold in one pass.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._chunks import is_dask_input
from ._blocks import aligned_dask, side_sizes, take
from ._plan import Plan, Stream, fit_leaves, fit_stage
from ._split import KFold, ShuffleSplit

__all__ = ["blockwise_records", "blockwise_splitter"]


def blockwise_splitter(cv: Any) -> KFold | ShuffleSplit:
    """The blockwise splitter for ``cv`` (None or an int: a :class:`KFold`)."""
    if cv is None:
        return KFold(3)
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        return KFold(int(cv))
    if isinstance(cv, KFold | ShuffleSplit):
        return cv
    raise ValueError(
        f"X does not fit in a worker's memory, so the folds are made of its row blocks: cv "
        f"must be None, an int, or dasklearn.model_selection.KFold / ShuffleSplit; got {cv!r}. "
        "(Or sample X to a size that fits in memory.)"
    )


def _fold_params(fit_params: dict[str, Any], lengths: tuple, specs: list) -> dict[str, Any]:
    return {k: take(v, lengths, specs, 0) if is_dask_input(v) else v for k, v in fit_params.items()}


def blockwise_records(
    plan: Plan,
    X: Any,
    y: Any,
    cv: Any,
    fit_params: dict[str, Any],
    *,
    scorer: Any,
    metric_names: list[str] | None,
    step_safe: bool,
    train_scores: bool,
    error_score: Any,
    weighted: bool = False,
    progress: Any = None,
) -> tuple[list[list[Any]], np.ndarray]:
    """One record per leaf and fold (as :class:`~._runner.Runner` returns them) and the number of
    test rows of each fold."""
    splitter = blockwise_splitter(cv)
    aligned = [X] + ([] if y is None else [y])
    per_row = [k for k, v in fit_params.items() if is_dask_input(v)]
    (X, *rest), lengths = aligned_dask(tuple(aligned) + tuple(fit_params[k] for k in per_row))
    y = rest.pop(0) if y is not None else None
    fit_params = {**fit_params, **dict(zip(per_row, rest, strict=True))}
    weights = fit_params.get("sample_weight") if weighted else None
    options = (scorer, metric_names, step_safe, train_scores, error_score, weighted)
    records: list[list[Any]] = [[] for _ in plan.leaves]
    n_test = []
    for _, specs in splitter._block_specs(X, lengths):
        X_train, X_test = take(X, lengths, specs, 0), take(X, lengths, specs, 1)
        y_train, y_test = (
            (None, None) if y is None else (take(y, lengths, specs, 0), take(y, lengths, specs, 1))
        )
        n_test.append(sum(side_sizes(s, n)[1] for s, n in zip(specs, lengths, strict=True)))
        stream = Stream(
            X_train,
            X_test,
            X_train,
            y_train,
            y_test,
            _fold_params(fit_params, lengths, specs),
            [],
            raw=(X_train, X_test),
        )
        if is_dask_input(weights):
            stream.weights = (take(weights, lengths, specs, 0), take(weights, lengths, specs, 1))
        _visit(plan, stream, plan.top_stages, plan.top_leaves, records, options, progress)
    return records, np.asarray(n_test)


def _visit(plan, stream, stages, leaves, records, options, progress) -> None:
    """Fit the leaves under a stream, then each child stage and what is under it (depth
    first: one fold's transformed data at a time)."""
    scorer, names, safe, train, error, weighted = options
    if leaves:
        specs = [
            (i, plan.leaves[i].name, plan.leaves[i].step, plan.leaves[i].params) for i in leaves
        ]
        for record in fit_leaves(stream, None, specs, scorer, names, safe, train, error, weighted):
            records[record[0]].append(record)
        if progress is not None:
            progress.update(len(leaves))
    for s in stages:
        stage = plan.stages[s]
        child = fit_stage(stream, None, (stage.name, stage.step, stage.params), train, error)
        _visit(plan, child, stage.stages, stage.leaves, records, options, progress)
