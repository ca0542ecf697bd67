"""Errors that aixbook raises on purpose.

An expected failure prints as ``category: message`` (or ``file:line: message``
for a content problem) with no traceback; anything else is a bug.
"""
from __future__ import annotations

from pathlib import Path


class AixbookError(Exception):
    """Base class of every expected failure. ``exit_code`` is what the CLI returns."""

    category = "error"
    exit_code = 1



class LocatedError(AixbookError):
    """An error about a place in a file: prints as ``path:line: message``."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        self.path = Path(path) if path is not None else None
        self.line = line
        self.message = message
        super().__init__(_located(message, self.path, line))


class ConfigError(LocatedError):
    """The site or book configuration cannot be used (exit status 2)."""

    category = "config error"
    exit_code = 2


class SourceError(LocatedError):
    """A content file cannot be read or parsed (exit status 1)."""

    category = "source error"
    exit_code = 1


class BuildError(AixbookError):
    """Rendering or writing an output failed, or a strict build found problems."""

    category = "build error"
    exit_code = 1


def _located(message: str, path: Path | None, line: int | None) -> str:
    if path is None:
        return message
    return f"{path}:{line}: {message}" if line else f"{path}: {message}"
