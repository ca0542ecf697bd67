"""Where a build's time goes: each stage's wall time, and on which process it ran.

A build starts a recorder (``begin``); the stages mark themselves with ``stage(name)``
and the PDF's worker pool adds each part's layout with ``record``. Times are
``time.perf_counter()`` values, which on Linux and macOS are the system's monotonic
clock, the same in forked workers. With no recorder started, recording does nothing.
``build --timings`` prints the table; bench/ reads it from the JSON report.

Imports nothing from the package (like diagnostics.py), so any module can use it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Stage:
    name: str
    start: float  # perf_counter() values
    end: float
    worker: str = "main"  # "main", or "worker N" for the PDF's layout processes

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass
class Timings:
    origin: float = field(default_factory=time.perf_counter)
    stages: list[Stage] = field(default_factory=list)

    def add(self, name: str, start: float, end: float, worker: str = "main") -> None:
        self.stages.append(Stage(name, start, end, worker))

    def rows(self) -> list[tuple[str, str, float, float, float]]:
        """(stage, worker, start, end, seconds), start and end from the build's start, in
        the order the stages started."""
        return [
            (s.name, s.worker, s.start - self.origin, s.end - self.origin, s.seconds)
            for s in sorted(self.stages, key=lambda s: (s.start, s.end))
        ]

    def as_dict(self) -> list[dict]:
        return [
            {"stage": n, "worker": w, "start": round(a, 4), "end": round(b, 4), "seconds": round(s, 4)}
            for n, w, a, b, s in self.rows()
        ]


_current: Timings | None = None


def begin() -> Timings:
    """Start recording (a new build): the recorder ``stage`` and ``record`` write to."""
    global _current
    _current = Timings()
    return _current


def stop() -> None:
    """Stop recording: what runs after the build (another build's stages) is not its own."""
    global _current
    _current = None


def record(name: str, start: float, end: float, worker: str = "main") -> None:
    if _current is not None:
        _current.add(name, start, end, worker)


@contextlib.contextmanager
def recording() -> Iterator[Timings]:
    """Record the ``with`` block's stages (a build's) into the recorder it yields."""
    clock = begin()
    try:
        yield clock
    finally:
        stop()


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """Time the ``with`` block as the stage ``name`` (also when it raises)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        record(name, start, time.perf_counter())
