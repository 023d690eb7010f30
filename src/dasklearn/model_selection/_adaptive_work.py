"""Where the rounds of an adaptive search run: on a ``distributed`` cluster or in this process.

The loop (:func:`._adaptive.run`) hands every model's round (its ``partial_fit`` calls on a list
of training blocks, then a score on the held-out set) to a runner and waits for the scores; the
functions the rounds call are :mod:`._adaptive_kernels`.

* :class:`ClusterWork`: on a ``distributed`` client a model's consecutive ``partial_fit`` calls
  are a task (one per call on large blocks, several on small ones: :data:`TASK_BYTES`) on the
  worker that holds its blocks, with the model as a future; only scores reach the client, and
  the best model once at the end. Every task is pure, so the scheduler recomputes what a lost
  worker held.
* :class:`LocalWork`: without a client, a thread pool runs each model's round in this process.

Both take the :class:`._adaptive.Data` of :func:`._adaptive.prepare` and offer the same methods
(``submit_round``, ``end_burst``, ``wait``, ``outcome``, ``model``, ``release``, ``close``).
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import uuid
from typing import Any

import dask
import numpy as np

from .._blockwise import single_blas_thread, with_single_blas_thread
from .._chunks import row_blocks
from ._adaptive import Data
from ._adaptive_kernels import partial_fit_step, partial_fit_steps, score_step
from ._runner import _Inline, n_local_threads

__all__ = ["TASK_BYTES", "ClusterWork", "LocalWork"]

_PARTIAL_FIT = _Inline(with_single_blas_thread(partial_fit_steps))
_SCORE = _Inline(with_single_blas_thread(score_step))

#: A model's consecutive ``partial_fit`` calls in a round share one task while their blocks
#: total at most this many bytes: a task costs a scheduler round trip (about 10 ms on a
#: 2-worker LocalCluster), more than a call on a small block (Hyperband on blocks of 9,000 x 40
#: rows ran one task per call; ``benchmarks/results/hyperband.md``). The blocks a task reads
#: from another worker are copied to it.
TASK_BYTES = 32 * 2**20


class ClusterWork:
    """Rounds as tasks on a ``distributed`` cluster: the models are futures on the workers.

    A round of one model is a chain of ``partial_fit`` tasks, each depending on the model's
    previous state and on a run of training blocks (so it runs where they are), and a score task
    on the held-out set (computed once on the cluster; copied where the scheduler needs it).
    """

    def __init__(self, client: Any, data: Data, fit_params: dict, scorer: Any) -> None:
        from distributed import as_completed, futures_of, wait

        self.client, self.n_blocks = client, data.n_blocks
        row_bytes = data.X_train.dtype.itemsize * int(np.prod(data.X_train.shape[1:]))
        self._block_bytes = [
            TASK_BYTES if math.isnan(rows) else int(rows) * row_bytes
            for rows in data.X_train.chunks[0]
        ]
        self._lazy: list[tuple[Any, Any]] = []
        self._blocks: list[tuple[Any, Any]] = []
        self._held: list[Any] = []
        xs = row_blocks(data.X_train)
        ys = row_blocks(data.y_train) if data.y_train is not None else [None] * len(xs)
        if data.persisted:
            futures = {f.key: f for f in futures_of([data.X_train, data.y_train])}
            self._blocks = [
                (futures[x.key], None if y is None else futures[y.key])
                for x, y in zip(xs, ys, strict=True)
            ]
            self._held = list(futures.values())
            wait(self._held)  # placed before the first task asks where the blocks are
        else:
            self._lazy = list(zip(xs, ys, strict=True))
        test = [data.X_test] + ([] if data.y_test is None else [data.y_test])
        test_futures = client.compute(test)
        self._test = (test_futures[0], test_futures[1] if len(test_futures) > 1 else None)
        # Embedded in every task (small: classes, a scorer), not scattered: a scattered value
        # has no task to recompute it from when the workers holding it are lost.
        self._fit_params, self._scorer = fit_params, scorer
        self._held += test_futures
        self._burst: dict[int, tuple[Any, Any]] = {}
        self._who_has: dict[Any, Any] | None = None
        self._done = as_completed(raise_errors=False)

    def _block(self, j: int) -> tuple[Any, Any]:
        if self._blocks:
            return self._blocks[j]
        if j not in self._burst:  # a streamed block: read once for the tasks of this burst
            x, y = self._lazy[j]
            self._burst[j] = (self.client.compute(x), None if y is None else self.client.compute(y))
        return self._burst[j]

    def _holders(self, X: Any) -> list[str] | None:
        """The workers holding a persisted block (asked once a burst)."""
        if not self._blocks:
            return None  # a streamed block goes where it is read; the task follows it
        if self._who_has is None:
            self._who_has = self.client.who_has([x for x, _ in self._blocks])
        return list(self._who_has.get(X.key, ())) or None

    def _tasks(self, blocks: list[int]) -> list[list[int]]:
        """The round's blocks, in order, cut into runs of at most :data:`TASK_BYTES`."""
        runs: list[list[int]] = []
        size = TASK_BYTES
        for j in blocks:
            if size + self._block_bytes[j] > TASK_BYTES:
                runs.append([])
                size = 0
            runs[-1].append(j)
            size += self._block_bytes[j]
        return runs

    def _where(self, run: list[tuple[Any, Any]]) -> list[str] | None:
        """The workers holding most of a run's blocks (a preference: a lost worker's tasks run
        elsewhere). A block held by several workers counts for each in part, and a tie names
        all of them, so that the scheduler picks the less busy one: blocks copied to both
        workers by earlier tasks made every tie go to the first worker by name, which then ran
        263 of 350 tasks of a Hyperband search (``benchmarks/results/hyperband.md``)."""
        votes: dict[str, float] = {}
        for X, _ in run:
            holders = self._holders(X) or ()
            for h in holders:
                votes[h] = votes.get(h, 0.0) + 1.0 / len(holders)
        if not votes:
            return None
        most = max(votes.values())
        return sorted(w for w, v in votes.items() if v >= most - 1e-9)

    def submit_round(self, state: Any, blocks: list[int]) -> tuple[Any, Any]:
        for run in self._tasks(blocks):
            pairs = [self._block(j) for j in run]
            holders = self._where(pairs)
            state = self.client.submit(
                _PARTIAL_FIT,
                state,
                self._fit_params,
                *(b for pair in pairs for b in pair),
                key=f"partial_fit-{uuid.uuid4().hex}",
                workers=holders,
                allow_other_workers=holders is not None,
            )
        score = self.client.submit(
            _SCORE, state, *self._test, self._scorer, key=f"score-{uuid.uuid4().hex}"
        )
        self._done.add(score)
        return state, score

    def end_burst(self) -> None:
        self._burst.clear()  # the tasks hold what they need; unused reads are released
        self._who_has = None  # blocks may move (a lost worker, replicas): ask again next burst

    def wait(self) -> list[Any]:
        return list(self._done.next_batch(block=True))

    def outcome(self, handle: Any) -> tuple[dict | None, BaseException | None]:
        # A result lost with its worker since it completed is computed again: result() waits.
        try:
            return handle.result(), None
        except Exception as error:  # without its frames, which hold futures until collected
            return None, error.with_traceback(None)

    def model(self, state: Any) -> Any:
        return state.result()[0]

    def release(self, state: Any) -> None:
        if hasattr(state, "release"):
            state.release()

    def close(self) -> None:
        self._done.clear()
        for future in self._held:
            future.release()
        self._held, self._blocks, self._lazy = [], [], []


class LocalWork:
    """Rounds on a pool of threads in this process (no ``distributed`` client)."""

    def __init__(self, data: Data, fit_params: dict, scorer: Any) -> None:
        self.n_blocks, self._fit_params, self._scorer = data.n_blocks, fit_params, scorer
        xs = row_blocks(data.X_train)
        ys = row_blocks(data.y_train) if data.y_train is not None else [None] * len(xs)
        self._lazy = list(zip(xs, ys, strict=True))
        self._blocks = list(zip(*dask.compute(xs, ys), strict=True)) if data.persisted else []
        self._test = dask.compute(data.X_test, data.y_test)
        self._pool = cf.ThreadPoolExecutor(n_local_threads(None))
        self._pending: set[cf.Future] = set()

    def _block(self, j: int) -> tuple[Any, Any]:
        if self._blocks:
            return self._blocks[j]
        return dask.compute(*self._lazy[j], scheduler="synchronous")

    def _round(self, state: Any, blocks: list[int]) -> tuple[Any, dict]:
        with single_blas_thread():
            for j in blocks:
                X, y = self._block(j)
                state = partial_fit_step(state, X, y, self._fit_params)
            return state, score_step(state, *self._test, self._scorer)

    def submit_round(self, state: Any, blocks: list[int]) -> tuple[Any, Any]:
        if isinstance(state, cf.Future):
            state = state.result()[0]
        future = self._pool.submit(_Inline(self._round), state, blocks)
        self._pending.add(future)
        return future, future

    def end_burst(self) -> None:
        pass

    def wait(self) -> list[cf.Future]:
        done, self._pending = cf.wait(self._pending, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def outcome(self, handle: cf.Future) -> tuple[dict | None, BaseException | None]:
        error = handle.exception()
        return (None, error) if error is not None else (handle.result()[1], None)

    def model(self, state: Any) -> Any:
        return (state.result()[0] if isinstance(state, cf.Future) else state)[0]

    def release(self, state: Any) -> None:
        pass

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
