"""The distinct work of a search, and the functions that do it (on the workers).

A search over a :class:`~sklearn.pipeline.Pipeline` repeats work: candidates that agree on the
parameters of the first steps fit those steps identically. :func:`build_plan` finds the work
once per distinct setting, as a tree per fold:

* a :class:`Stage` is a transformer step fitted on the output of its parent stage (or on the
  fold's training data): one per distinct setting of its own *and every earlier* step's
  parameters. Pipeline ``[scaler, pca, clf]`` over 3 PCA x 30 classifier settings has 1 scaler
  stage and 3 PCA stages;
* a :class:`Leaf` is the final estimator fitted on its parent stage's output and scored: one per
  distinct candidate (90 there). Any other estimator is a single leaf per candidate.

A stage's task returns a :class:`Stream`: the fitted steps so far and the fold's data through
them (the training data as ``fit_transform`` gave it, to fit the next step; the test data, and
with ``return_train_score`` the training data, through ``transform``, as a Pipeline's
``predict`` would see them). A leaf's task fits the final step and scores it on the transformed
test data: the same numbers as scoring the whole pipeline on the raw data (the same fitted
transforms of the same rows), for every scorer that only looks at the final estimator's
predictions (all of scikit-learn's and dasklearn's). A callable scorer of your own sees the
assembled Pipeline and the raw data instead.

Task functions here are plain functions of plain values (no dask): :mod:`._runner` runs them on
workers or local threads, :mod:`._search` on dask folds from the client.
"""

from __future__ import annotations

import numbers
import time
import traceback
import warnings
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing

from .._blockwise import aligned

__all__ = [
    "Batch",
    "Leaf",
    "Plan",
    "Stage",
    "Stream",
    "build_plan",
    "fit_leaves",
    "fit_stage",
    "root",
]

_PASSTHROUGH = (None, "passthrough")


@dataclass
class Stage:
    """A transformer step to fit on its parent's output (``parent`` None: the fold's data)."""

    index: int
    parent: int | None
    name: str
    step: Any
    params: dict[str, Any]
    depth: int
    stages: list[int] = field(default_factory=list)
    leaves: list[int] = field(default_factory=list)


@dataclass
class Leaf:
    """The final estimator of one distinct candidate, fitted on its parent's output and scored."""

    index: int
    parent: int | None
    name: str | None
    step: Any
    params: dict[str, Any]
    candidates: list[int] = field(default_factory=list)


@dataclass
class Plan:
    """The distinct work of a search: stages and leaves, and each candidate's leaf."""

    stages: list[Stage]
    leaves: list[Leaf]
    candidate_leaf: list[int]
    top_stages: list[int]
    top_leaves: list[int]

    def n_fits(self, n_splits: int) -> dict[str, int]:
        """Fits per step name (or estimator class), over all folds."""
        counts: dict[str, int] = {}
        for s in self.stages:
            if s.step not in _PASSTHROUGH:
                counts[s.name] = counts.get(s.name, 0) + n_splits
        for leaf in self.leaves:
            name = leaf.name or type(leaf.step).__name__
            counts[name] = counts.get(name, 0) + n_splits
        return counts


def _token(value: Any) -> Any:
    """A hashable stand-in for a parameter value: basic values by value, others by identity
    (the candidates hold them for the whole search)."""
    if value is None or isinstance(value, bool | numbers.Number | str | np.generic):
        return (type(value).__name__, value)
    if isinstance(value, tuple):
        return ("tuple", *(_token(v) for v in value))
    return ("id", id(value))


def _shareable(estimator: Any, candidates: list[dict[str, Any]]) -> bool:
    """Whether the steps of ``estimator`` can be fitted separately for these candidates."""
    if type(estimator) is not Pipeline or len(estimator.steps) < 2:
        return False
    if getattr(estimator, "transform_input", None) is not None:
        return False
    names = {name for name, _ in estimator.steps}
    final = estimator.steps[-1][0]
    for params in candidates:
        for key in params:
            if key.split("__", 1)[0] not in names:
                return False  # a Pipeline parameter (steps, memory, ...): fit it whole
        if params.get(final, estimator.steps[-1][1]) in _PASSTHROUGH:
            return False
    return True


def _step_params(params: dict[str, Any], name: str) -> dict[str, Any]:
    prefix = name + "__"
    return {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}


def build_plan(estimator: Any, candidates: list[dict[str, Any]]) -> Plan:
    """The stages and leaves of a search of ``estimator`` over ``candidates``."""
    stages: list[Stage] = []
    leaves: list[Leaf] = []
    candidate_leaf: list[int] = []
    stage_ids: dict[Any, int] = {}
    leaf_ids: dict[Any, int] = {}
    top_stages: list[int] = []
    top_leaves: list[int] = []
    steps = estimator.steps if _shareable(estimator, candidates) else None
    for c, params in enumerate(candidates):
        parent: int | None = None
        if steps is None:
            final_name, final, final_params = None, estimator, params
        else:
            for depth, (name, default) in enumerate(steps[:-1]):
                step = params.get(name, default)
                own = _step_params(params, name)
                if step in _PASSTHROUGH and own:
                    raise ValueError(f"Step {name!r} is {step!r}: it takes no parameters {own}.")
                key = (
                    parent,
                    name,
                    _token(step),
                    tuple(sorted((k, _token(v)) for k, v in own.items())),
                )
                if key not in stage_ids:
                    stage_ids[key] = len(stages)
                    stages.append(Stage(len(stages), parent, name, step, own, depth))
                    (top_stages if parent is None else stages[parent].stages).append(
                        len(stages) - 1
                    )
                parent = stage_ids[key]
            final_name, default = steps[-1]
            final = params.get(final_name, default)
            final_params = _step_params(params, final_name)
        key = (
            parent,
            _token(final),
            tuple(sorted((k, _token(v)) for k, v in final_params.items())),
        )
        if key not in leaf_ids:
            leaf_ids[key] = len(leaves)
            leaves.append(Leaf(len(leaves), parent, final_name, final, final_params))
            (top_leaves if parent is None else stages[parent].leaves).append(len(leaves) - 1)
        leaves[leaf_ids[key]].candidates.append(c)
        candidate_leaf.append(leaf_ids[key])
    return Plan(stages, leaves, candidate_leaf, top_stages, top_leaves)


# --------------------------------------------------------------------------------------------
# what runs in the tasks
# --------------------------------------------------------------------------------------------


@dataclass
class Stream:
    """A fold's data through the fitted steps so far (what a stage hands its children)."""

    X_fit: Any
    X_test: Any
    X_train: Any
    y_train: Any
    y_test: Any
    fit_params: dict[str, Any]
    steps: list[tuple[str, Any]]
    fit_time: float = 0.0
    score_time: float = 0.0
    error: str | None = None
    raw: tuple[Any, Any] | None = None
    weights: tuple[Any, Any] = (None, None)


def _index_params(fit_params: dict[str, Any], n_samples: int, rows: np.ndarray) -> dict[str, Any]:
    """Fit parameters with one value per sample cut to ``rows`` (scikit-learn's rule)."""
    out = {}
    for k, v in fit_params.items():
        if _is_per_sample(v, n_samples):
            out[k] = _safe_indexing(v, rows)
        else:
            out[k] = v
    return out


def _length(value: Any) -> int | None:
    """Rows of an array-like (None for anything else)."""
    shape = getattr(value, "shape", None)
    if shape is not None:
        return int(shape[0]) if len(shape) else None
    return len(value) if isinstance(value, list | tuple) else None


def _is_per_sample(value: Any, n_samples: int) -> bool:
    return _length(value) == n_samples


def root(X: Any, y: Any, splits: Any, fold: int, fit_params: dict, keep_raw: bool) -> Stream:
    """The fold's training and test data (in-memory input: rows taken by index)."""
    train, test = splits[fold]
    X_train, X_test = _safe_indexing(X, train), _safe_indexing(X, test)
    y_train = None if y is None else _safe_indexing(y, train)
    y_test = None if y is None else _safe_indexing(y, test)
    params = _index_params(fit_params or {}, _length(X), train)
    raw = (X_train, X_test) if keep_raw else None
    weights = (params.get("sample_weight"), None)
    if weights[0] is not None and _is_per_sample(fit_params["sample_weight"], _length(X)):
        weights = (weights[0], _safe_indexing(fit_params["sample_weight"], test))
    return Stream(X_train, X_test, X_train, y_train, y_test, params, [], raw=raw, weights=weights)


def _parent_stream(parent: Any, data: tuple | None) -> Stream:
    """The stream a task reads: the fold cut from the scattered data, or its parent's output.
    A parent made on another worker arrives misaligned (see ``aligned``); its arrays are then
    copied once more, for this task, rather than read 3-4x slower by every fit."""
    return _aligned_stream(parent) if data is None else root(*data)


def _aligned_stream(stream: Stream) -> Stream:
    copies: dict[int, Any] = {}

    def one(value: Any) -> Any:  # X_fit and X_train are often one array: copied once
        if id(value) not in copies:
            copies[id(value)] = aligned(value, c_order=False)
        return copies[id(value)]

    return replace(
        stream,
        X_fit=one(stream.X_fit),
        X_test=one(stream.X_test),
        X_train=one(stream.X_train),
        y_train=one(stream.y_train),
        y_test=one(stream.y_test),
        fit_params={k: one(v) for k, v in stream.fit_params.items()},
        raw=None if stream.raw is None else (one(stream.raw[0]), one(stream.raw[1])),
        weights=(one(stream.weights[0]), one(stream.weights[1])),
    )


def _fit(est: Any, X: Any, y: Any, params: dict[str, Any], transform: bool) -> Any:
    if transform:
        if hasattr(est, "fit_transform"):
            return est.fit_transform(X, y, **params)
        return est.fit(X, y, **params).transform(X)
    return est.fit(X, **params) if y is None else est.fit(X, y, **params)


def _own_params(stream: Stream, name: str | None) -> dict[str, Any]:
    return stream.fit_params if name is None else _step_params(stream.fit_params, name)


def fit_stage(
    parent: Any, data: tuple | None, stage: tuple, train_scores: bool, error_score: Any
) -> Stream:
    """Fit one transformer step (``stage`` = (name, step, params)) on the parent's output."""
    stream = _parent_stream(parent, data)
    name, step, params = stage
    if stream.error is not None or step in _PASSTHROUGH:
        return replace(stream, steps=[*stream.steps, (name, step)])
    start = time.perf_counter()
    try:
        est = clone(step).set_params(**params)
        X_fit = _fit(est, stream.X_fit, stream.y_train, _own_params(stream, name), True)
    except Exception:
        if error_score == "raise":
            raise
        fit_time = stream.fit_time + time.perf_counter() - start
        return replace(stream, error=traceback.format_exc(), fit_time=fit_time)
    fit_time = time.perf_counter() - start
    start = time.perf_counter()
    X_test = _transform(est, stream.X_test, error_score)
    score_time = time.perf_counter() - start
    X_train = _transform(est, stream.X_train, error_score) if train_scores else None
    return replace(
        stream,
        X_fit=X_fit,
        X_test=X_test,
        X_train=X_train,
        steps=[*stream.steps, (name, est)],
        fit_time=stream.fit_time + fit_time,
        score_time=stream.score_time + score_time,
    )


class Untransformed:
    """Data a fitted step failed to transform: scoring on it fails, and the candidate gets
    ``error_score`` for that score, as when a Pipeline's ``predict`` raises while scored."""

    def __init__(self, error: str) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # pickling and copying look these up
            raise AttributeError(name)
        raise ValueError(f"A step of the pipeline failed to transform this data:\n{self.error}")


def _transform(est: Any, X: Any, error_score: Any) -> Any:
    if isinstance(X, Untransformed):
        return X
    try:
        return est.transform(X)
    except Exception:
        if error_score == "raise":
            raise
        return Untransformed(traceback.format_exc())


def _error_scores(names: list[str] | None, error_score: Any) -> Any:
    return error_score if names is None else dict.fromkeys(names, error_score)


def _score(
    scorer: Any, est: Any, X: Any, y: Any, w: Any, error_score: Any, notes: list[str]
) -> Any:
    """``scorer(est, X, y[, sample_weight=w])``; a failing scorer gives ``error_score``
    (scikit-learn's rule)."""
    try:
        scores = scorer(est, X, y) if w is None else scorer(est, X, y, sample_weight=w)
    except Exception:
        if error_score == "raise" or hasattr(scorer, "_scorers"):
            raise
        notes.append(
            f"Scoring failed. The score on this train-test partition for these "
            f"parameters will be set to {error_score}. Details: \n"
            f"{traceback.format_exc()}"
        )
        return error_score
    if isinstance(scores, dict):
        for key, value in scores.items():
            if isinstance(value, str):
                notes.append(
                    f"Scoring failed. The score on this train-test partition for "
                    f"these parameters will be set to {error_score}. Details: \n"
                    f"{value}"
                )
                scores[key] = error_score
    return scores


class Batch:
    """Leaf specs handed to a task as one opaque object (dask does not walk into it: a list of
    thousands of tuples cost the client seconds of graph parsing per submit)."""

    def __init__(self, specs: list[tuple]) -> None:
        self.specs = specs


def fit_leaves(
    parent: Any,
    data: tuple | None,
    leaves: Batch | list[tuple],
    scorer: Any,
    metric_names: list[str] | None,
    step_safe: bool,
    train_scores: bool,
    error_score: Any,
    weighted: bool = False,
) -> list[tuple]:
    """Fit and score final estimators (each ``(index, name, step, params)``) on one stream;
    ``weighted``: the scores weighted by the fold's ``sample_weight`` (scikit-learn's rule).

    Returns one record per leaf: ``(index, fit_time, score_time, test_scores, train_scores,
    fit_error, notes, own_time)``; ``own_time`` is this leaf's own work (for batch sizing).
    """
    stream = _parent_stream(parent, data)
    out = []
    for index, name, step, params in leaves.specs if isinstance(leaves, Batch) else leaves:
        start = time.perf_counter()
        notes: list[str] = []
        if stream.error is not None:
            err = _error_scores(metric_names, error_score)
            out.append(
                (
                    index,
                    stream.fit_time,
                    0.0,
                    err,
                    err if train_scores else None,
                    stream.error,
                    notes,
                    0.0,
                )
            )
            continue
        try:
            est = clone(step).set_params(**params)
            _fit(est, stream.X_fit, stream.y_train, _own_params(stream, name), False)
        except Exception:
            if error_score == "raise":
                raise
            fit_time = time.perf_counter() - start
            err = _error_scores(metric_names, error_score)
            out.append(
                (
                    index,
                    stream.fit_time + fit_time,
                    0.0,
                    err,
                    err if train_scores else None,
                    traceback.format_exc(),
                    notes,
                    fit_time,
                )
            )
            continue
        fit_time = time.perf_counter() - start
        if step_safe or not stream.steps:
            model, X_test, X_train = est, stream.X_test, stream.X_train
        else:  # a scorer of your own sees the whole pipeline and the raw data
            model = Pipeline([*stream.steps, (name, est)])
            X_test, X_train = stream.raw[1], stream.raw[0]
        mid = time.perf_counter()
        w_train, w_test = stream.weights if weighted else (None, None)
        test = _score(scorer, model, X_test, stream.y_test, w_test, error_score, notes)
        score_time = time.perf_counter() - mid
        train = None
        if train_scores:
            train = _score(scorer, model, X_train, stream.y_train, w_train, error_score, notes)
        own = time.perf_counter() - start
        out.append(
            (
                index,
                stream.fit_time + fit_time,
                stream.score_time + score_time,
                test,
                train,
                None,
                notes,
                own,
            )
        )
    return out


def refit(estimator: Any, params: dict[str, Any], X: Any, y: Any, fit_params: dict) -> tuple:
    """The estimator with the best parameters fitted on all the data, and the time it took."""
    est = clone(estimator).set_params(**clone(params, safe=False))
    start = time.perf_counter()
    X, y = aligned(X, c_order=False), aligned(y, c_order=False)  # scattered: misaligned
    _fit(est, X, y, fit_params or {}, False)
    return est, time.perf_counter() - start


def warn_about_failures(records: list[tuple], error_score: Any) -> None:
    """scikit-learn's warnings: fit failures counted in one warning, scoring failures each."""
    from sklearn.exceptions import FitFailedWarning

    notes = [n for r in records for n in r[6]]
    for note in dict.fromkeys(notes):
        warnings.warn(note, UserWarning, stacklevel=3)
    failed = [r[5] for r in records if r[5] is not None]
    if not failed:
        return
    summary = "\n".join(
        f"{n} fits failed with the following error:\n{err}" for err, n in _counts(failed).items()
    )
    if len(failed) == len(records):
        raise ValueError(
            f"\nAll the {len(records)} fits failed.\nIt is very likely that your model is "
            "misconfigured.\nYou can try to debug the error by setting error_score='raise'.\n\n"
            f"Below are more details about the failures:\n{summary}"
        )
    warnings.warn(
        f"\n{len(failed)} fits failed out of a total of {len(records)}.\nThe score on these "
        f"train-test partitions for these parameters will be set to {error_score}.\nIf these "
        "failures are not expected, you can try to debug them by setting error_score='raise'."
        f"\n\nBelow are more details about the failures:\n{summary}",
        FitFailedWarning,
        stacklevel=3,
    )


def _counts(values: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out
