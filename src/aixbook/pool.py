"""Running jobs (the PDF's part layouts, the chapters' parsing): in this process (``-j 1``),
or each in a worker process of its own, at most N at a time, the longest first.

A process per job (forked from this one, which has WeasyPrint imported and the print
stylesheets parsed) means a crash, a kill or a Python error is always pinned on the one
part it happened in. Workers ignore Ctrl-C (the terminal sends it to the whole process
group): this process stops them, on any failure or interruption, and waits for them,
so none is left behind; on Linux they are also killed if this process dies.

A worker hands its result back as a pickle in a folder of this build's own: made by
``tempfile.TemporaryDirectory`` (mode 0700, a random name), written by the worker this
process forked and read once it has exited, then removed. Unlike the cache, nothing in it
comes from outside: only this user (who can run code anyway) could plant a file there.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import wait
from pathlib import Path

from . import timings
from .errors import AixbookError, BuildError

log = logging.getLogger(__name__)


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def run(
    jobs: Sequence,
    work: Callable,
    workers: int,
    warm: bool = False,
    done: Callable[[int], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> list:
    """``[work(job) for job in jobs]``, in ``workers`` processes (this one when 1).

    ``warm``: with several workers forked from this process, what the layouts would each
    load lazily for themselves (fonts, C type declarations, WeasyPrint's caches: a tenth
    of a second or more per worker) is loaded once: when the longest job has started in a
    worker, the shortest job is done here, and the workers forked after that inherit what
    it loaded. Costs nothing on the critical path: this process does it while the first
    worker has a core to itself. ``done(i)``: called as each job ends.
    ``meanwhile``: run here once the first workers have started (what this process needs
    next, and the workers do not: the PDF renderer's imports while chapters are parsed);
    before the jobs when they run here.

    Raises:
        BuildError: one line naming the part whose layout failed, and why.
    """
    if not jobs:
        return []
    if workers <= 1:
        if meanwhile:
            meanwhile()
        results = []
        for i, job in enumerate(jobs):
            results.append(_in_process(work, job))
            if done:
                done(i)
        return results
    warm = warm and _context().get_start_method() == "fork"
    return _in_workers(jobs, work, workers, warm, done, meanwhile)


def _in_process(work: Callable, job):
    start = time.perf_counter()
    try:
        return work(job)
    except (AixbookError, KeyboardInterrupt):
        raise
    except Exception as exc:
        log.debug("%s %s failed", _task(job), job.label, exc_info=True)
        raise BuildError(f"{_task(job)} {job.label} failed: {type(exc).__name__}: {exc}") from exc
    finally:
        timings.record(_name(job), start, time.perf_counter())


def _name(job) -> str:
    return getattr(job, "stage", None) or f"layout {getattr(job, 'key', job.label)}"


def _task(job) -> str:
    """What the job does, for its error: "laying out" (a PDF part) unless it says."""
    return getattr(job, "task", "laying out")


def _context():
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def _in_workers(jobs: Sequence, work: Callable, workers: int, warm, done, meanwhile) -> list:
    results: list = [None] * len(jobs)
    pending = sorted(range(len(jobs)), key=lambda i: -getattr(jobs[i], "weight", 0))
    running: dict = {}
    free = list(range(workers, 0, -1))  # worker slots, for the timings: "worker 1", "worker 2"…
    ctx = _context()
    with tempfile.TemporaryDirectory(prefix="aixbook-pdf-") as tmp:
        try:
            while pending or running:
                while pending and len(running) < workers:
                    i = pending.pop(0)
                    path = Path(tmp) / f"{i}.pickle"
                    proc = ctx.Process(target=_worker, args=(work, jobs[i], str(path), os.getpid()), daemon=True)
                    proc.start()
                    running[proc.sentinel] = (proc, i, path, free.pop())
                    if warm and pending:
                        last = pending.pop()
                        results[last] = _in_process(work, jobs[last])
                        warm = False
                        if done:
                            done(last)
                if meanwhile is not None:
                    meanwhile()
                    meanwhile = None
                for sentinel in wait(list(running)):
                    proc, i, path, slot = running.pop(sentinel)
                    free.append(slot)
                    proc.join()
                    results[i] = _outcome(jobs[i], proc.exitcode, path, slot)
                    if done:
                        done(i)
        finally:
            _stop([proc for proc, _, _, _ in running.values()])
    return results


def _outcome(job, exitcode: int | None, path: Path, slot: int):
    try:
        with path.open("rb") as fh:
            status, value, detail, start, end = pickle.load(fh)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError):
        raise BuildError(f"{_task(job)} {job.label} failed: its worker process {_died(exitcode)}") from None
    timings.record(_name(job), start, end, f"worker {slot}")
    if status == "ok":
        return value
    if status == "raise":  # an expected failure (a content file's line): as it was raised
        raise value
    log.debug("%s %s failed in a worker process:\n%s", _task(job), job.label, detail)
    raise BuildError(f"{_task(job)} {job.label} failed: {value}")


def _died(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"was killed by {name}"
    return f"exited with status {exitcode} without a result"


def _stop(procs: list) -> None:
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.terminate()
    for proc in procs:
        proc.join(5)
        if proc.is_alive():
            with contextlib.suppress(Exception):
                proc.kill()
            proc.join()


def _worker(work: Callable, job, path: str, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)
    gc.disable()  # one job, then os._exit: its garbage goes with the process
    start = time.perf_counter()
    try:
        outcome = ("ok", work(job), "", start, time.perf_counter())
    except AixbookError as exc:  # raised again in the parent, as it is
        outcome = ("raise", exc, traceback.format_exc(), start, time.perf_counter())
    except BaseException as exc:  # reported to the parent, which decides
        outcome = ("error", f"{type(exc).__name__}: {exc}", traceback.format_exc(), start, time.perf_counter())
    try:
        data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an error that cannot travel: its words do
        data = pickle.dumps(("error", str(outcome[1]), outcome[2], start, time.perf_counter()))
    tmp = path + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _die_with_parent(parent: int) -> None:
    """Linux: be killed when the build process dies, however it dies."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before prctl took effect
        os._exit(1)
