"""Errors that aixbook raises on purpose.

An expected failure prints as ``category: message`` (or ``file:line: message``
for a content problem) with no traceback; anything else is a bug. Only the CLI
turns them into an exit status (``exit_code``); the library just raises.
"""

from __future__ import annotations

from pathlib import Path

from .diagnostics import located


class AixbookError(Exception):
    """Base class of every expected failure. ``exit_code`` is what the CLI returns."""

    category, exit_code = "error", 1
    path: Path | None = None

    def one_line(self) -> str:
        """The error as printed: ``file:line: message`` when it has a place, else ``category: message``."""
        return str(self) if self.path is not None else f"{self.category}: {self}"


class LocatedError(AixbookError):
    """An error about a place in a file: prints as ``path:line: message``."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        self.path = Path(path) if path is not None else None
        self.line = line
        self.message = message
        super().__init__(located(message, self.path, line))

    def __reduce__(self):
        # pickled as it was made (a worker process raises it to the build's process)
        return (type(self), (self.message, self.path, self.line))


class ConfigError(LocatedError):
    """The site or book configuration cannot be used (exit status 2)."""

    category, exit_code = "config error", 2


class NoPagesError(ConfigError):
    """The book's section has no pages in the site's (or one language's) content folder."""


class SourceError(LocatedError):
    """A content file cannot be read or parsed (exit status 1)."""

    category, exit_code = "source error", 1


class BuildError(AixbookError):
    """Rendering or writing an output failed, or a strict build found problems (exit status 1)."""

    category, exit_code = "build error", 1
