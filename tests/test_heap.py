"""glibc's heap thresholds while kernels run in worker processes that distributed started
(``dasklearn._heap``): checked by where an array of some MiB comes from (a mapping of its own,
or the heap), in processes started as distributed starts its workers and on a worker of
distributed's own ``LocalCluster`` (dasklearn's kernels, a search's tasks, scikit-learn's
``n_jobs`` batches inside ``on_cluster``)."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

import joblib
import numpy as np
import pytest
from distributed import Client, LocalCluster

from dasklearn._blockwise import with_single_blas_thread
from dasklearn.model_selection._runner import _Inline
from dasklearn.parallel import on_cluster

try:
    _LIBC = ctypes.CDLL("libc.so.6")
    _GLIBC = sys.platform.startswith("linux") and hasattr(_LIBC, "mallinfo2")
except OSError:
    _GLIBC = False

pytestmark = pytest.mark.skipif(not _GLIBC, reason="glibc's allocator only (Linux)")

MIB = 2**20


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _mapped(nbytes: int) -> int:
    """How many mappings of its own an array of ``nbytes`` took (0: it came from the heap)."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _Mallinfo2
    before = libc.mallinfo2().hblks
    block = np.empty(nbytes, dtype=np.uint8)
    taken = libc.mallinfo2().hblks - before
    del block
    return int(taken)


def _outside_inside_after(kernel: bool = True) -> tuple[int, int, int]:
    """Mappings taken by 1 MiB before a kernel, 1 MiB inside it, 8 MiB after it (more than the
    heap kept from the kernel: what is left free there serves smaller arrays)."""
    inside = with_single_blas_thread(_mapped) if kernel else _mapped
    return _mapped(MIB), inside(MIB), _mapped(8 * MIB)


CHECK = (
    "import sys; from dasklearn._heap import _pinned_libc; "
    "from test_heap import _outside_inside_after; "
    "print(_pinned_libc() is not None, *_outside_inside_after(sys.argv[1] == 'kernel'))"
)


def _in_process_started_with(kernel: bool = True, **settings: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.update(settings)
    here = os.path.dirname(os.path.abspath(__file__))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [here, env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", CHECK, "kernel" if kernel else "plain"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def test_kernels_get_the_heap_where_distributed_fixed_the_threshold():
    # outside a kernel a 1 MiB array is a mapping of its own (distributed's setting), inside
    # one it comes from the heap, and after it distributed's setting is back
    assert _in_process_started_with(MALLOC_TRIM_THRESHOLD_="65536") == ["True", "1", "0", "1"]


@pytest.mark.parametrize(
    "settings",
    [
        {},  # glibc's own rule
        {"MALLOC_TRIM_THRESHOLD_": "0"},  # the user's choice
        {"MALLOC_TRIM_THRESHOLD_": "65536", "MALLOC_MMAP_THRESHOLD_": str(64 * 1024)},
    ],
)
def test_other_allocator_settings_are_left_alone(settings):
    with_kernel = _in_process_started_with(**settings)
    assert with_kernel[0] == "False"
    assert with_kernel == _in_process_started_with(kernel=False, **settings)


def _in_search_task() -> int:
    # how a search's fits and scores run on the workers; more than the earlier tasks left free
    return _Inline(_mapped)(16 * MIB)


@pytest.fixture
def plain_cluster(monkeypatch):
    """distributed's ``LocalCluster`` as a user starts it: its workers get distributed's
    allocator setting and nothing else (a nanny of dasklearn's clusters, restarted in an earlier
    test, may have copied dasklearn's settings into this process's environment)."""
    for name in [k for k in os.environ if k.startswith("MALLOC_")]:
        monkeypatch.delenv(name)

    def start(n_workers: int) -> LocalCluster:
        return LocalCluster(
            n_workers=n_workers, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        )

    return start


def test_a_kernel_on_a_worker_of_distributeds_own_cluster_gets_the_heap(plain_cluster):
    with plain_cluster(1) as cluster, Client(cluster) as client:
        outside, inside, after = client.submit(_outside_inside_after, pure=False).result()
        plain = client.submit(_mapped, 8 * MIB, pure=False).result()
        in_search = client.submit(_in_search_task, pure=False).result()
    assert (outside, inside, after) == (1, 0, 1)
    assert in_search == 0
    assert plain == 1  # a task of the user's: distributed's setting


def _on_cluster_batch() -> tuple[int, int]:
    return os.getpid(), _mapped(16 * MIB)


def _on_each_worker(client: Client, nbytes: int) -> list[int]:
    workers = list(client.scheduler_info()["workers"])
    return [client.submit(_mapped, nbytes, workers=[w], pure=False).result() for w in workers]


def test_scikit_learns_batches_inside_on_cluster_get_the_heap(plain_cluster):
    # two threads in all: joblib runs the batches for one thread in this process
    with plain_cluster(2) as cluster, Client(cluster) as client:
        before = _on_each_worker(client, 8 * MIB)
        with on_cluster(client):
            batches = joblib.Parallel(n_jobs=-1)(
                joblib.delayed(_on_cluster_batch)() for _ in range(8)
            )
        # more than the heap kept from the batches: distributed's setting is back
        after = _on_each_worker(client, 24 * MIB)
        worker_pids = set(client.run(os.getpid).values())
    assert {pid for pid, _ in batches} <= worker_pids
    assert before == after == [1, 1]
    assert [taken for _, taken in batches] == [0] * 8
