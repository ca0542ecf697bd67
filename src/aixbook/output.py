"""The only code that writes into the output folder.

Every file is written to a temporary file beside its final name and renamed
into place only when complete, so a failed or interrupted build leaves the
previous output untouched. The temporary file is named
``.NAME.PID.XXXXXXXX.part``: a build killed with ``kill -9`` cannot remove its
own, so the next build removes those whose process is gone (``prepare``).

A write that fails for a reason the user can fix is one line naming the path:
a full disk (``BuildError``, exit 1), an output folder that is a file, read-only
or not ours to write (``ConfigError``, exit 2).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from .errors import AixbookError, BuildError, ConfigError
from .trust import stays_inside

# Set by the CLI's SIGINT/SIGTERM handler. The KeyboardInterrupt it raises can be
# swallowed when the signal lands inside a C callback of the renderer; the flag still
# stops the half-made file from replacing the previous output. ``reset_interrupt``
# clears it when a new build starts, so one interrupted build does not poison the next.
INTERRUPTED = threading.Event()

#: Our temporary files: ``.NAME.PID.XXXXXXXX.part`` (XXXXXXXX is ``mkstemp``'s).
_TEMP = re.compile(r"^\..+\.(?P<pid>[0-9]+)\.[a-z0-9_]{8}\.part$")
#: Written by earlier versions, without a PID (ours, and pikepdf's beside them):
#: removed when they have not changed for ``_LEGACY_AGE`` seconds (no build takes that long).
_LEGACY = re.compile(r"^(\.pikepdf\.)?\..+\.[a-z0-9_]{8}\.part([a-z0-9_]{8})?$")
_LEGACY_AGE = 3600.0

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_REFUSED = {
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


def reset_interrupt() -> None:
    INTERRUPTED.clear()


def failure(exc: OSError, path: Path) -> AixbookError | None:
    """The one-line error for ``exc``, raised while writing ``path``; None when it is not
    about writing (a bug, or a file that vanished while it was read)."""
    if exc.errno in _FULL:
        return BuildError(f"disk full writing {path}")
    if not _while_writing(exc, path):
        return None  # e.g. a source file the user may not read: not about the output
    if exc.errno in _REFUSED:
        return ConfigError(f"cannot write {path}: {_REFUSED[exc.errno]}")
    if exc.errno in (errno.EEXIST, errno.ENOTDIR):
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
        if blocker is not None and blocker != path:
            return ConfigError(f"cannot write {path}: {blocker} is a file, not a folder")
    if exc.errno == errno.EISDIR:
        return ConfigError(f"cannot write {path}: it is a folder")
    if exc.filename is not None:
        return BuildError(f"cannot write {path}: {exc.strerror}")
    return None


def _while_writing(exc: OSError, path: Path) -> bool:
    """Whether ``exc`` names no file, or a file or folder on the way to ``path`` (its
    temporary file, its folder or a folder above it, what is written beside it)."""
    if exc.filename is None:
        return True
    named, path = Path(os.path.abspath(os.fsdecode(exc.filename))), Path(os.path.abspath(path))
    return named == path or named in path.parents or path.parent in named.parents


@contextlib.contextmanager
def explained(path: Path) -> Iterator[None]:
    """OSErrors of writing ``path`` as one-line errors naming it (``failure``)."""
    try:
        yield
    except OSError as exc:
        error = failure(exc, path)
        if error is None:
            raise
        raise error from exc


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """A temporary path in ``final``'s folder, renamed to ``final`` only on success.

    Raises OSError as it comes (the caches ignore theirs); ``explained`` words it."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.{os.getpid()}.", suffix=".part", dir=final.parent)
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
            with explained(dest):
                write_bytes(dest, src.read_bytes())


def prepare(folder: Path) -> None:
    """Make sure the build can write into ``folder`` (created when missing), before any
    work is done, and remove the temporary files builds that were killed left there.

    Raises:
        ConfigError: ``folder`` is a file, read-only or not writable (one line naming it).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"cannot write into {folder}: it is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".probe.{os.getpid()}.", suffix=".part", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        error = failure(exc, folder)
        raise error or ConfigError(f"cannot write into {folder}: {exc.strerror}") from exc
    remove_stale(folder)


def remove_stale(folder: Path, depth: int = 4) -> list[Path]:
    """Remove the temporary files of builds that no longer run in ``folder`` and the folders
    a build writes below it (``images/…``, ``.cache/pdf/parts``: ``depth`` levels; never into
    a repository's ``.git``), only files of our own naming and never one a running build is
    writing. Returns them."""
    removed = []
    now = time.time()
    top = len(Path(folder).parts)
    for dirpath, dirs, files in os.walk(folder):
        if len(Path(dirpath).parts) - top >= depth:
            dirs.clear()
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            path = Path(dirpath, name)
            if not _stale(path, name, now):
                continue
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def _stale(path: Path, name: str, now: float) -> bool:
    if m := _TEMP.match(name):
        return not _running(int(m["pid"]))
    if _LEGACY.match(name):
        try:
            return now - path.lstat().st_mtime > _LEGACY_AGE
        except OSError:
            return False
    return False


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists (ours or another user's)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    except OverflowError:
        return False  # no process has such a number
    return pid > 0
