"""The adaptive search loop: models trained block by block where the blocks live, culled by score.

Layers (see ARCHITECTURE.md): the search classes (``_incremental.py``, ``_successive_halving.py``,
``_hyperband.py``) decide *how many* models and *which policy*; this module runs them; the
rounds run on a cluster or in this process through :mod:`._adaptive_work`, and the work on the
workers is :mod:`._adaptive_kernels`.

* **data** (:func:`prepare`): X and y as dask arrays with all columns in one block (NumPy cut into
  row blocks, dask dataframes converted as dask-ml does), split blockwise into training blocks and
  a held-out set with :func:`~._split.train_test_split`. The training blocks are persisted when
  they fit in half of the cluster's memory and otherwise re-read from their source for every
  ``partial_fit`` call (:func:`dasklearn._placement.persist_if_fits`); the held-out set must fit in
  one worker's memory.
* **rounds** (:func:`run`): every model of every search gets one ``partial_fit`` call and a score;
  when all the models of a search have reported, its policy (:class:`Policy`) names the models
  to keep and how many calls each gets before the next score; the others are dropped. Searches
  (the brackets of Hyperband) run side by side: a search's next round starts as soon as its own
  round ends. Decisions depend on scores only, so a fixed ``random_state`` gives the same search
  on any scheduler and any number of workers.
* **where the work runs** (:mod:`._adaptive_work`): on a ``distributed`` client a model's
  consecutive ``partial_fit`` calls are a task (one per call on large blocks, several on small
  ones: :data:`._adaptive_work.TASK_BYTES`) on the worker that holds its blocks, with the model
  as a future (:class:`._adaptive_work.ClusterWork`); only scores reach the client, and the best
  model once at the end. A worker lost mid-search loses nothing: the scheduler recomputes lost
  blocks and models from their tasks (every task is pure). Without a client, a thread pool runs
  each model's round in this process (:class:`._adaptive_work.LocalWork`).
* **failures**: a model whose ``partial_fit`` or score raises is dropped from its search (its
  ``test_score`` is NaN, with a warning); the others go on.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dask.array as da
import numpy as np
import pandas as pd
import scipy.stats
from sklearn.exceptions import FitFailedWarning

from .._chunks import as_dask_array, frames_to_arrays, is_frame, n_blocks, rows_only
from .._placement import in_memory_row_chunks, persist_if_fits
from ._adaptive_kernels import block_index, create_model
from ._runner import _Progress
from ._split import train_test_split

__all__ = ["Candidate", "Policy", "Search", "cv_results", "prepare", "run", "simulate"]

logger = logging.getLogger("dasklearn.model_selection")

Info = dict[Any, list[dict[str, Any]]]


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


@dataclass
class Data:
    """Training blocks (dask arrays, persisted or lazy) and the held-out set (dask arrays)."""

    X_train: da.Array
    y_train: da.Array | None
    X_test: da.Array
    y_test: da.Array | None
    persisted: bool

    @property
    def n_blocks(self) -> int:
        return int(self.X_train.numblocks[0])


def _as_dask(X: Any, y: Any) -> tuple[da.Array, da.Array | Any]:
    """X as a dask array with all columns in one block, and y beside it (cut like X)."""
    if is_frame(X):
        if is_frame(y):
            return tuple(frames_to_arrays(X, y))  # type: ignore[return-value]
        return frames_to_arrays(X)[0], y
    if is_frame(y):
        y = frames_to_arrays(y)[0]
    if isinstance(X, da.Array):
        return rows_only(X), y
    X = X.to_numpy() if isinstance(X, pd.DataFrame | pd.Series) else np.asarray(X)
    row_bytes = X.itemsize * int(np.prod(X.shape[1:], dtype=np.int64))
    Xd = as_dask_array(X, chunks=in_memory_row_chunks(len(X), row_bytes))
    if y is not None and not isinstance(y, da.Array):
        y = y.to_numpy() if isinstance(y, pd.Series | pd.DataFrame) else np.asarray(y)
        y = as_dask_array(y, chunks=Xd.chunks[0])
    return Xd, y


def prepare(X: Any, y: Any, test_size: float | None, random_state: Any) -> Data:
    """Split X and y blockwise into training blocks and a held-out set; place the training set.

    ``test_size=None`` holds out ``min(0.2, 1 / n_blocks)`` of the rows (about one block).
    """
    X, y = _as_dask(X, y)
    if test_size is None:
        test_size = min(0.2, 1 / n_blocks(X))
    arrays = (X,) if y is None else (X, y)
    parts = train_test_split(*arrays, test_size=test_size, random_state=random_state, shuffle=True)
    X_train, X_test = parts[0], parts[1]
    y_train, y_test = (parts[2], parts[3]) if y is not None else (None, None)
    (X_train, y_train), persisted = persist_if_fits(X_train, y_train)
    return Data(X_train, y_train, X_test, y_test, persisted)


# --------------------------------------------------------------------------------------------
# policies
# --------------------------------------------------------------------------------------------


class Policy:
    """After a round: the models to keep and the ``partial_fit`` calls each gets before its next
    score (absent models are dropped), from an adaptive rule with a stop on plateau.

    ``adapt(info)`` is the search's rule (``{model_id: more calls}``); this class adds, as
    dask-ml does, ``max_iter`` (no model gets more calls in all) and ``patience``/``tol`` (a
    model stops training when its score rose by at most ``tol`` over its last ``patience``
    calls; at most ``patience`` calls between two scores, the rule's target being reached over
    several rounds when it asks for more).
    """

    def __init__(
        self,
        adapt: Callable[[Info], dict[Any, int]],
        max_iter: int | None = None,
        patience: int | bool = False,
        tol: float | None = None,
    ) -> None:
        self.adapt, self.max_iter, self.tol = adapt, max_iter, tol
        self.patience = int(patience)
        self.targets: dict[Any, int] = {}

    def plateau(self, records: list[dict[str, Any]]) -> bool:
        """Whether a model's score rose by at most ``tol`` over its last ``patience`` calls."""
        calls = records[-1]["partial_fit_calls"]
        if not self.patience or calls < self.patience or self.tol is None or np.isnan(self.tol):
            return False
        window = [h["score"] for h in records if calls - h["partial_fit_calls"] <= self.patience]
        return len(window) > 1 and max(window[1:]) - window[0] <= self.tol

    def __call__(self, info: Info) -> dict[Any, int]:
        calls = {k: v[-1]["partial_fit_calls"] for k, v in info.items()}
        if self.patience:
            outstanding = {
                k: self.targets[k] - calls[k]
                for k in info
                if self.targets.get(k, 0) > calls[k] and not self.plateau(info[k])
            }
            if outstanding:
                return {k: min(outstanding.get(k, 0), self.patience) for k in info}
        out = {}
        for k, n in self.adapt(info).items():
            n = max(0, int(n))
            if self.max_iter:
                n = min(n, max(0, self.max_iter - calls[k]))
            self.targets[k] = calls[k] + n
            if self.patience:
                n = 0 if self.plateau(info[k]) else min(n, self.patience)
            out[k] = n
        return out


def top(n: int, info: Info) -> list[Any]:
    """The ``n`` models with the highest last score (ties: the earlier model; NaN last)."""
    order = sorted(info, key=lambda k: -_finite(info[k][-1]["score"]))
    return order[: max(0, n)]


def _finite(score: float) -> float:
    return -math.inf if score is None or np.isnan(score) else float(score)


def simulate(policy: Policy, n_models: int) -> tuple[list[int], set[int]]:
    """The ``partial_fit`` calls a policy gives each of ``n_models`` models (constant scores:
    for rules that count by time, not by score, exactly the work of a search), and the call
    counts at which models are scored."""
    info: Info = {i: [{"partial_fit_calls": 1, "score": -i}] for i in range(n_models)}
    calls, decisions = dict.fromkeys(range(n_models), 1), {1} if n_models else set()
    while info:
        instructions = policy(info)
        info = {k: v for k, v in info.items() if k in instructions}
        if not any(instructions.values()):
            break
        for k, n in instructions.items():
            if n:
                calls[k] += n
                decisions.add(calls[k])
                info[k].append({"partial_fit_calls": calls[k], "score": -k})
    return [calls[i] for i in range(n_models)], decisions


# --------------------------------------------------------------------------------------------
# the loop
# --------------------------------------------------------------------------------------------


@dataclass
class Candidate:
    """One model of a search: its parameters, its state (a future on a cluster) and records."""

    model_id: Any
    params: dict[str, Any]
    offset: int
    state: Any = None
    records: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    alive: bool = True

    @property
    def calls(self) -> int:
        return self.records[-1]["partial_fit_calls"] if self.records else 0

    def fail(self, error: BaseException | str) -> None:
        self.error = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self.alive, self.state = False, None


class Search:
    """One adaptive search (one bracket of Hyperband): its candidates, rule and block order."""

    def __init__(
        self,
        estimator: Any,
        params: list[dict[str, Any]],
        policy: Policy,
        seed: int,
        prefix: str = "",
        ids: Callable[[int], Any] = int,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.policy, self.seed, self.prefix, self.extra = policy, seed, prefix, extra or {}
        self.candidates = []
        for i, p in enumerate(params):
            candidate = Candidate(ids(i), dict(p), i)
            try:
                candidate.state = create_model(estimator, candidate.params)
            except Exception as err:  # an invalid parameter: this candidate only
                candidate.fail(err)
            self.candidates.append(candidate)
        self.waiting: set[Any] = set()
        self.rounds = 0

    def info(self) -> Info:
        return {c.model_id: c.records for c in self.candidates if c.alive and c.records}

    def best(self) -> Candidate | None:
        """The surviving model with the highest last score (the first on ties), as dask-ml."""
        alive = [c for c in self.candidates if c.alive and c.records]
        if not alive:
            return None
        return max(alive, key=lambda c: _finite(c.records[-1]["score"]))


def _is_cancelled(error: BaseException) -> bool:
    return isinstance(error, cf.CancelledError) or type(error).__name__ in (
        "CancelledError",
        "FutureCancelledError",
    )


def run(searches: list[Search], work: Any, verbose: float, total_calls: int) -> list[dict]:
    """Run the searches side by side until every policy stops; returns the history (records in
    the order they arrived). Candidates keep their records, errors and final states."""
    history: list[dict[str, Any]] = []
    pending: dict[Any, tuple[Search, Candidate]] = {}
    by_id = {id(s): {c.model_id: c for c in s.candidates} for s in searches}
    log_every = int(1 / verbose) if verbose else 0
    progress = _Progress(total_calls, "partial_fit calls")
    start = time.time()

    def submit(search: Search, instructions: dict[Any, int]) -> None:
        for model_id, n in instructions.items():
            candidate = by_id[id(search)][model_id]
            if n <= 0 or not candidate.alive:
                continue
            calls = candidate.calls
            blocks = [
                block_index(search.seed, candidate.offset, calls + i, work.n_blocks)
                for i in range(n)
            ]
            candidate.state, handle = work.submit_round(candidate.state, blocks)
            pending[handle] = (search, candidate)
            search.waiting.add(model_id)
        work.end_burst()

    def next_round(search: Search) -> None:
        info = search.info()
        if not info:
            return
        search.rounds += 1
        if log_every and search.rounds % log_every == 0:
            best = max(info.values(), key=lambda v: _finite(v[-1]["score"]))[-1]
            logger.info(
                "[CV%s] validation score of %0.4f received after %d partial_fit calls",
                search.prefix,
                best["score"],
                best["partial_fit_calls"],
            )
        instructions = search.policy(info)
        for candidate in search.candidates:
            if candidate.alive and candidate.model_id not in instructions:
                candidate.alive = False
                work.release(candidate.state)
                candidate.state = None
        if any(instructions.values()):
            submit(search, instructions)

    for search in searches:
        alive = [c for c in search.candidates if c.alive]
        logger.info("[CV%s] creating %d models", search.prefix, len(alive))
        submit(search, {c.model_id: 1 for c in alive})
    while pending:
        for handle in work.wait():
            search, candidate = pending.pop(handle)
            search.waiting.discard(candidate.model_id)
            meta, error = work.outcome(handle)
            if error is not None:
                if _is_cancelled(error):
                    raise error
                candidate.fail(error)
            else:
                progress.update(meta["partial_fit_calls"] - candidate.calls)
                record = {
                    "model_id": candidate.model_id,
                    "params": candidate.params,
                    **meta,
                    "elapsed_wall_time": time.time() - start,
                    **search.extra,
                }
                candidate.records.append(record)
                history.append(record)
            if not search.waiting:
                next_round(search)
    progress.update(max(0, progress.total - progress.done))
    return history


def fail_warnings(candidates: list[Candidate]) -> None:
    """One warning naming the candidates that failed (an error if all of them did)."""
    failed = [c for c in candidates if c.error is not None]
    if not failed:
        return
    first = failed[0]
    if len(failed) == len(candidates):
        raise ValueError(
            f"All the {len(candidates)} candidates failed; the first, with parameters "
            f"{first.params}, raised {first.error}"
        )
    warnings.warn(
        f"{len(failed)} of the {len(candidates)} candidates failed and were dropped (their "
        f"test_score is NaN). The first, with parameters {first.params}, raised {first.error}",
        FitFailedWarning,
        stacklevel=3,
    )


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------


def _column(values: list[Any]) -> np.ndarray:
    if all(isinstance(v, int | float | str | np.number | np.str_) for v in values):
        return np.array(values)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def cv_results(candidates: list[Candidate]) -> dict[str, np.ndarray]:
    """dask-ml's ``cv_results_`` of an adaptive search: one row per candidate, in order."""
    rows: dict[str, list[Any]] = {
        k: []
        for k in (
            "mean_partial_fit_time",
            "mean_score_time",
            "std_partial_fit_time",
            "std_score_time",
            "test_score",
            "model_id",
            "params",
            "partial_fit_calls",
        )
    }
    for c in candidates:
        fit_times = np.array([h["partial_fit_time"] for h in c.records], dtype=float)
        score_times = np.array([h["score_time"] for h in c.records], dtype=float)
        for name, times in (("partial_fit", fit_times), ("score", score_times)):
            rows[f"mean_{name}_time"].append(times.mean() if times.size else np.nan)
            rows[f"std_{name}_time"].append(times.std() if times.size else np.nan)
        failed = c.error is not None or not c.records
        rows["test_score"].append(np.nan if failed else c.records[-1]["score"])
        rows["model_id"].append(c.model_id)
        rows["params"].append(c.params)
        rows["partial_fit_calls"].append(c.calls)
    results = {k: _column(v) for k, v in rows.items()}
    results["test_score"] = results["test_score"].astype(float)
    results["partial_fit_calls"] = results["partial_fit_calls"].astype(int)
    names = sorted({k for c in candidates for k in c.params})
    for name in names:
        results[f"param_{name}"] = _column([c.params.get(name) for c in candidates])
    ranked = np.where(np.isnan(results["test_score"]), -np.inf, results["test_score"])
    results["rank_test_score"] = scipy.stats.rankdata(-ranked, method="min").astype(int)
    return results


class LoggingContext:
    """Logs of the search printed to stdout while ``verbose`` (dask-ml's behaviour)."""

    def __init__(self, verbose: Any) -> None:
        self.verbose = verbose
        self._handler: logging.Handler | None = None
        self._level = logger.level

    def __enter__(self) -> LoggingContext:
        if self.verbose:
            import sys

            self._handler = logging.StreamHandler(sys.stdout)
            logger.addHandler(self._handler)
            logger.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._handler is not None:
            logger.removeHandler(self._handler)
            logger.setLevel(self._level)
