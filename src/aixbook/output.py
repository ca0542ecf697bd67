"""The only code that writes into the output folder.

Every file is written to a temporary file beside its final name and renamed
into place only when complete, so a failed or interrupted build leaves the
previous output untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from .trust import stays_inside

# Set by the CLI's SIGINT/SIGTERM handler. The KeyboardInterrupt it raises can be
# swallowed when the signal lands inside a C callback of the renderer; the flag still
# stops the half-made file from replacing the previous output. ``reset_interrupt``
# clears it when a new build starts, so one interrupted build does not poison the next.
INTERRUPTED = threading.Event()


def reset_interrupt() -> None:
    INTERRUPTED.clear()


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """A temporary path in ``final``'s folder, renamed to ``final`` only on success."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if INTERRUPTED.is_set():
            raise KeyboardInterrupt
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, final)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def write_bytes(final: Path, data: bytes) -> None:
    """Write ``data`` to ``final`` atomically."""
    with atomic_path(final) as tmp:
        tmp.write_bytes(data)


def write_text(final: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``final`` atomically."""
    with atomic_path(final) as tmp:
        tmp.write_text(text, encoding="utf-8")


def copy_resources(resources: Mapping[str, Path], folder: Path) -> None:
    """Copy each resource (relative URL → file) into ``folder`` under its URL, skipping
    files already there with the same size."""
    for rel, src in resources.items():
        if not stays_inside(rel):  # resources are named by the book's own code; this is a bug
            raise ValueError(f"resource {rel!r} would be written outside {folder}")
        dest = folder / rel
        if not dest.exists() or dest.stat().st_size != src.stat().st_size:
            write_bytes(dest, src.read_bytes())
