"""Running the work of a search: a bounded window of tasks, submitted as workers free up.

:class:`Runner` walks a :class:`~._plan.Plan` fold by fold. A task is submitted only when its
parent's output exists, and at most ``2 x threads`` tasks are in flight: a search of 10,000
candidates never builds more than a few dozen tasks at a time, and the client holds small
records (scores and times), not a graph. Stage outputs (the fold's data through the fitted
steps) stay on the workers and are released as soon as every child of the stage is done.

Ready stages go first (each one unlocks many leaves) while few stage outputs are held; leaves
are submitted in batches of the same parent and fold whose size grows once the first results
tell how long a leaf takes (about 0.25 s of work a task on a cluster), and shrinks near the end
so that no worker idles while another finishes a long batch.

Executors: :class:`DistributedExecutor` (``client.submit`` and ``distributed.as_completed``,
the data scattered to the workers once), :class:`LocalExecutor` (a thread pool, or inline when
``n_jobs=1`` or the scheduler is synchronous). Inside a task, dask computations run inline (a
dasklearn estimator fitted on an in-memory fold makes no nested graph), and local threads hold
BLAS to one thread each.

A worker lost mid-search: the scheduler reruns its running tasks and recomputes the stage
outputs it held. Scattered data cannot be recomputed, and the scheduler's active memory manager
keeps one replica of them, so the data may go with the worker: the tasks that needed them are
then cancelled, and the runner scatters the data again and restarts the unfinished work. Every
record already gathered is kept: nothing finished runs twice, and the results are the same.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import heapq
import os
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import dask
from dask.sizeof import sizeof

from .._blockwise import single_blas_thread
from .._client import active_client, current_client
from .._heap import roomy_heap
from ._plan import Batch, Plan, fit_leaves, fit_stage, root

__all__ = ["DistributedExecutor", "LocalExecutor", "Runner", "make_executor", "n_local_threads"]

#: Scattered data larger than this are copied to every worker up front (see ``put``).
REPLICATE_BYTES = 2**20

_INLINE_LOCK = threading.Lock()
_INLINE: dict[str, Any] = {"depth": 0, "config": None}


@contextlib.contextmanager
def inline_dask() -> Iterator[None]:
    """Run dask computations inline (synchronous scheduler) while any task is inside."""
    with _INLINE_LOCK:
        if _INLINE["depth"] == 0:
            _INLINE["config"] = dask.config.set(scheduler="synchronous")
        _INLINE["depth"] += 1
    try:
        yield
    finally:
        with _INLINE_LOCK:
            _INLINE["depth"] -= 1
            if _INLINE["depth"] == 0:
                _INLINE["config"].__exit__(None, None, None)


class _Inline:
    """A task function run with nested dask computations inline (picklable)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def __call__(self, *args: Any) -> Any:
        with inline_dask(), roomy_heap():
            return self.fn(*args)


# --------------------------------------------------------------------------------------------
# executors
# --------------------------------------------------------------------------------------------


def _ready(stream: Any) -> None:
    """A marker that completes when a stage's output exists (its result is nothing to fetch)."""


class DistributedExecutor:
    """Tasks on a ``distributed`` cluster, results fetched in the background as they complete.

    Leaf tasks return small records, which ``as_completed(with_results=True)`` gathers on the
    client's event loop while the next tasks run. A stage's output stays on its worker: a tiny
    marker task that depends on it reports its completion instead.
    """

    #: Seconds of work a batch of leaves should take: per-task overhead is a few milliseconds.
    batch_seconds = 0.25

    def __init__(self, client: Any) -> None:
        from distributed import as_completed

        self.client = client
        self.slots = max(1, sum(client.nthreads().values()))
        self._ac = as_completed(with_results=True, raise_errors=False)
        self._markers: dict[Any, Any] = {}

    def put(self, value: Any) -> Any:
        """``value`` scattered, then copied from worker to worker when large, so that the first
        tasks start on every worker at once (the scheduler would otherwise queue them where the
        data are). Not ``broadcast=True``: through the scheduler's legacy replication, the
        320 MB X of ``model_selection.py`` (a) took 1-3 s to reach 2 workers, against 0.6 s
        this way. The active memory manager drops the extra copies once no task waits on them.
        """
        for attempt in range(3):  # a worker that just died can fail a scatter
            try:
                future = self.client.scatter([value], hash=False)[0]
                if sizeof(value) > REPLICATE_BYTES:  # a no-op on one worker
                    self.client.replicate([future])
                return future
            except OSError:  # distributed's CommClosedError
                if attempt == 2:
                    raise
                time.sleep(0.5)

    def submit(self, key: str, fn: Callable[..., Any], *args: Any, small: bool = True) -> Any:
        future = self.client.submit(_Inline(fn), *args, key=key, pure=False)
        self._watch(future, small)
        return future

    def _watch(self, future: Any, small: bool) -> None:
        if small:
            self._ac.add(future)
        else:
            marker = self.client.submit(_ready, future, key=f"ready-{future.key}", pure=False)
            self._markers[marker] = future
            self._ac.add(marker)

    def wait(self) -> list[tuple[Any, Any, BaseException | None]]:
        """Finished tasks: (handle, result or None, error or None)."""
        out = []
        for future, result in self._ac.next_batch(block=True):
            handle = self._markers.pop(future, future)
            if future.status == "finished":
                out.append((handle, None if handle is not future else result, None))
            else:
                out.append((handle, None, _error_of(future, result)))
        return out

    def retryable(self, error: BaseException) -> bool:
        from distributed import KilledWorker

        return isinstance(error, KilledWorker)

    def lost(self, error: BaseException) -> bool:
        """Whether the error means data were lost with a worker (scattered data or results
        that the scheduler forgot), rather than an error of the task itself."""
        from distributed import KilledWorker
        from distributed.client import FutureCancelledError

        return isinstance(error, KilledWorker | FutureCancelledError | cf.CancelledError)

    def retry(self, handle: Any, small: bool) -> Any:
        handle.retry()
        self._watch(handle, small)
        return handle

    def release(self, handle: Any) -> None:
        handle.release()

    def cancel(self, handles: list[Any]) -> None:
        self.client.cancel(handles + list(self._markers))

    def close(self) -> None:
        self._ac.clear()
        self._markers.clear()


def _error_of(future: Any, result: Any) -> BaseException:
    if isinstance(result, BaseException):
        return result
    try:
        return future.exception()
    except BaseException as err:  # a cancelled future raises when asked
        return err


class LocalExecutor:
    """Tasks on a pool of ``n_threads`` threads in this process (inline for one)."""

    batch_seconds = 0.02

    def __init__(self, n_threads: int) -> None:
        self.slots = max(1, n_threads)
        self._pool: cf.ThreadPoolExecutor | None = None  # started by the first task
        self._pending: set[cf.Future] = set()
        self._blas = contextlib.ExitStack()

    def put(self, value: Any) -> cf.Future:
        done: cf.Future = cf.Future()
        done.set_result(value)
        return done

    @staticmethod
    def _resolve(arg: Any) -> Any:
        if isinstance(arg, cf.Future):
            return arg.result()
        if isinstance(arg, tuple):
            return tuple(a.result() if isinstance(a, cf.Future) else a for a in arg)
        return arg

    def submit(self, key: str, fn: Callable[..., Any], *args: Any, small: bool = True) -> Any:
        call, values = _Inline(fn), [self._resolve(a) for a in args]
        if self._pool is None and self.slots > 1:
            self._pool = cf.ThreadPoolExecutor(self.slots, thread_name_prefix="dasklearn-search")
            self._blas.enter_context(single_blas_thread())
        if self._pool is not None:
            future = self._pool.submit(call, *values)
        else:
            future = cf.Future()
            try:
                future.set_result(call(*values))
            except Exception as err:
                future.set_exception(err)
        self._pending.add(future)
        return future

    def wait(self) -> list[tuple[Any, Any, BaseException | None]]:
        done, _ = cf.wait(self._pending, return_when=cf.FIRST_COMPLETED)
        self._pending -= done
        return [(f, None if f.exception() else f.result(), f.exception()) for f in done]

    def retryable(self, error: BaseException) -> bool:
        return False

    def lost(self, error: BaseException) -> bool:
        return False

    def release(self, handle: cf.Future) -> None:
        pass

    def cancel(self, handles: list[cf.Future]) -> None:
        for h in handles:
            h.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._blas.close()


# --------------------------------------------------------------------------------------------
# the runner
# --------------------------------------------------------------------------------------------

_ROOT = -1


class _Progress:
    """A one-line progress bar on a terminal's stderr (nothing elsewhere)."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label, self.done = total, label, 0
        self.enabled = total > 0 and getattr(sys.stderr, "isatty", lambda: False)()
        self._last = 0.0

    def update(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.2 or self.done >= self.total):
            self._last = now
            filled = int(30 * self.done / self.total)
            sys.stderr.write(
                f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}"
            )
            if self.done >= self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


class Runner:
    """Runs a plan over ``n_splits`` folds on an executor; returns one record per leaf and fold.

    ``values`` are X, y, the splits and the fit parameters (put on the executor here).
    """

    def __init__(
        self,
        plan: Plan,
        executor: Any,
        values: tuple,
        n_splits: int,
        *,
        cache_cv: bool,
        scorer: Any,
        metric_names: list[str] | None,
        step_safe: bool,
        train_scores: bool,
        error_score: Any,
        keep_raw: bool,
        weighted: bool = False,
        verbose: int = 0,
    ) -> None:
        self.plan, self.ex, self.values, self.n_splits = plan, executor, values, n_splits
        self.cache_cv, self.train_scores, self.error_score = cache_cv, train_scores, error_score
        self.keep_raw, self.weighted, self.verbose = keep_raw, weighted, verbose
        self.scorer, self.metric_names, self.step_safe = scorer, metric_names, step_safe
        self.window = 2 * executor.slots
        self.stage_limit = 2 * executor.slots + n_splits
        self.token = uuid.uuid4().hex[:8]
        self.records: list[list[Any]] = [[None] * n_splits for _ in plan.leaves]
        self.below = _leaves_below(plan)
        self.timed, self.time_sum, self.count, self.restarts = 0, 0.0, 0, 0
        self.stats = {"tasks": 0, "max_in_flight": 0, "max_streams": 0, "restarts": 0}
        self.progress = _Progress(len(plan.leaves) * n_splits, "fits")
        self.tasks: dict[Any, tuple] = {}
        self.streams: dict[tuple[int, int], Any] = {}

    # ---- submission ---------------------------------------------------------------------------

    def _start(self) -> None:
        """Put the data on the executor and make the folds with work left ready."""
        self.tasks, self.streams = {}, {}
        self.children_left: dict[tuple[int, int], int] = {}
        self.ready_stages: list[tuple] = []
        self.ready_leaves: deque = deque()
        self.leaves_left = sum(r is None for per in self.records for r in per)
        self.data = tuple(self.ex.put(v) for v in self.values)
        self.score_args = (self.ex.put(self.scorer), self.metric_names, self.step_safe)
        for fold in range(self.n_splits):
            if all(per[fold] is not None for per in self.records):
                continue
            if self.cache_cv:
                X, y, splits, fit_params = self.data
                self._submit(
                    "fold", ("fold", fold), root, X, y, splits, fold, fit_params, self.keep_raw
                )
            else:
                self._expand(_ROOT, fold)
        self._fill()

    def _submit(self, label: str, task: tuple, fn: Callable[..., Any], *args: Any) -> None:
        self.count += 1
        small = task[0] == "leaves"
        handle = self.ex.submit(f"{label}-{self.token}-{self.count}", fn, *args, small=small)
        self.tasks[handle] = (*task, 0)
        self.stats["tasks"] += 1
        self.stats["max_in_flight"] = max(self.stats["max_in_flight"], len(self.tasks))

    def _parent_args(self, parent: int, fold: int) -> tuple[Any, Any]:
        if parent == _ROOT and not self.cache_cv:
            X, y, splits, fit_params = self.data
            return None, (X, y, splits, fold, fit_params, self.keep_raw)
        return self.streams[(parent, fold)], None

    def _expand(self, parent: int, fold: int) -> None:
        """The children of a finished stream with work left become ready."""
        if parent == _ROOT:
            stages, leaves = self.plan.top_stages, self.plan.top_leaves
        else:
            stages, leaves = self.plan.stages[parent].stages, self.plan.stages[parent].leaves
        stages = [s for s in stages if any(self.records[i][fold] is None for i in self.below[s])]
        leaves = [i for i in leaves if self.records[i][fold] is None]
        self.children_left[(parent, fold)] = len(stages) + len(leaves)
        for s in stages:
            heapq.heappush(self.ready_stages, (-self.plan.stages[s].depth, fold, s))
        if leaves:
            self.ready_leaves.append([parent, fold, deque(leaves)])

    def _batch_size(self) -> int:
        if self.timed < self.ex.slots:
            return 1
        mean = max(self.time_sum / self.timed, 1e-6)
        wanted = int(self.ex.batch_seconds / mean)
        tail = self.leaves_left // (2 * self.ex.slots)
        return max(1, min(wanted, tail, 1000))

    def _submit_stage(self) -> None:
        _, fold, s = heapq.heappop(self.ready_stages)
        stage = self.plan.stages[s]
        parent = _ROOT if stage.parent is None else stage.parent
        stream, data = self._parent_args(parent, fold)
        spec = (stage.name, stage.step, stage.params)
        label = f"fit-{type(stage.step).__name__}"
        self._submit(
            label,
            ("stage", s, fold),
            fit_stage,
            stream,
            data,
            spec,
            self.train_scores,
            self.error_score,
        )

    def _submit_leaves(self) -> None:
        group = self.ready_leaves[0]
        parent, fold, waiting = group
        size = self._batch_size()
        batch = [waiting.popleft() for _ in range(min(size, len(waiting)))]
        if not waiting:
            self.ready_leaves.popleft()
        self.leaves_left -= len(batch)
        specs = [
            (i, self.plan.leaves[i].name, self.plan.leaves[i].step, self.plan.leaves[i].params)
            for i in batch
        ]
        stream, data = self._parent_args(parent, fold)
        label = f"fit-score-{type(self.plan.leaves[batch[0]].step).__name__}"
        self._submit(
            label,
            ("leaves", parent, fold, len(batch)),
            fit_leaves,
            stream,
            data,
            Batch(specs),
            *self.score_args,
            self.train_scores,
            self.error_score,
            self.weighted,
        )

    def _fill(self) -> None:
        while len(self.tasks) < self.window:
            if self.ready_stages and (
                len(self.streams) < self.stage_limit or not self.ready_leaves
            ):
                self._submit_stage()
            elif self.ready_leaves:
                self._submit_leaves()
            else:
                return

    # ---- completion ---------------------------------------------------------------------------

    def _child_done(self, parent: int, fold: int, n: int) -> None:
        key = (parent, fold)
        if key not in self.children_left:
            return
        self.children_left[key] -= n
        if self.children_left[key] == 0:
            del self.children_left[key]
            handle = self.streams.pop(key, None)
            if handle is not None:
                self.ex.release(handle)

    def _finished(self, handle: Any, task: tuple, result: Any) -> None:
        kind = task[0]
        if kind == "fold":
            fold = task[1]
            self.streams[(_ROOT, fold)] = handle
            self._expand(_ROOT, fold)
        elif kind == "stage":
            s, fold = task[1], task[2]
            self.streams[(s, fold)] = handle
            self.stats["max_streams"] = max(self.stats["max_streams"], len(self.streams))
            parent = self.plan.stages[s].parent
            self._expand(s, fold)
            self._child_done(_ROOT if parent is None else parent, fold, 1)
        else:
            parent, fold, n = task[1], task[2], task[3]
            for record in result:
                self.records[record[0]][fold] = record
                self.time_sum += record[7]
                self.timed += 1
            self.progress.update(n)
            self.ex.release(handle)
            self._child_done(parent, fold, n)

    def run(self) -> list[list[Any]]:
        """Run every task; a lost worker's tasks are rerun, other errors raised."""
        try:
            self._start()
            while self.tasks:
                for handle, result, error in self.ex.wait():
                    task = self.tasks.pop(handle, None)
                    if task is None:  # from before a restart
                        continue
                    if error is None:
                        self._finished(handle, task, result)
                    elif not self._failed(handle, task, error):
                        break
                self._fill()
        except BaseException:
            self.ex.cancel(list(self.tasks) + list(self.streams.values()))
            raise
        return self.records

    def _failed(self, handle: Any, task: tuple, error: BaseException) -> bool:
        """Retry a task whose worker died; restart the unfinished work when data it needs were
        lost with a worker (False: the state was reset). Other errors are raised."""
        if self.ex.retryable(error) and task[-1] < 3:
            if self.verbose:
                print(f"[dasklearn] a worker died running {handle!r}; retrying")
            self.tasks[self.ex.retry(handle, small=task[0] == "leaves")] = (
                *task[:-1],
                task[-1] + 1,
            )
            return True
        if self.ex.lost(error) and self.restarts < 3:
            if self.verbose:
                print("[dasklearn] data were lost with a worker; restarting the unfinished work")
            self.restarts += 1
            self.stats["restarts"] = self.restarts
            self.ex.cancel(list(self.tasks) + list(self.streams.values()))
            self._start()
            return False
        raise error


def _leaves_below(plan: Plan) -> list[list[int]]:
    """The leaves under each stage (to skip stages whose work is all done)."""
    below: list[list[int]] = [[] for _ in plan.stages]
    for stage in reversed(plan.stages):  # children come after their parents
        below[stage.index].extend(stage.leaves)
        for child in stage.stages:
            below[stage.index].extend(below[child])
    return below


def n_local_threads(n_jobs: int | None) -> int:
    """Threads for ``n_jobs`` (dask-ml's rule: -1 all cores, -2 all but one, ...)."""
    cores = int(dask.config.get("num_workers", None) or os.cpu_count() or 1)
    if n_jobs is None or n_jobs == -1:
        return cores
    if n_jobs < -1:
        return max(1, cores + 1 + n_jobs)
    return max(1, int(n_jobs))


def make_executor(scheduler: Any, n_jobs: int | None) -> Any:
    """Where the tasks run: a distributed client, or local threads (dask-ml's ``scheduler``)."""
    from distributed import Client

    if scheduler is None:
        client = active_client()
        if client is not None:
            return DistributedExecutor(client)
        scheduler = dask.config.get("scheduler", None) or "threads"
    if isinstance(scheduler, Client):
        return DistributedExecutor(scheduler)
    if callable(scheduler):
        owner = getattr(scheduler, "__self__", None)
        if isinstance(owner, Client):
            return DistributedExecutor(owner)
        if scheduler is dask.threaded.get:
            scheduler = "threads"
        elif scheduler is dask.local.get_sync:
            scheduler = "sync"
    if scheduler in ("threads", "threading"):
        threads = n_local_threads(n_jobs)
        return LocalExecutor(threads)
    if scheduler in ("sync", "synchronous", "single-threaded"):
        return LocalExecutor(1)
    if scheduler in ("distributed", "dask.distributed"):
        client = current_client()
        if client is None:
            raise ValueError("scheduler='distributed' needs an active distributed.Client.")
        return DistributedExecutor(client)
    raise ValueError(
        f"scheduler={scheduler!r} is not supported: use None (the active distributed client, "
        "else local threads), 'threads', 'synchronous' or a distributed.Client (a LocalCluster "
        "for several processes)."
    )
