"""The one trust boundary for reading: which files a build may open.

A file is read only when, with every symbolic link resolved, it lies inside the
folder the build was given (the repository root or the Hugo site, which is found
inside it) or inside the folder holding book.toml. A pull request can change
anything in those folders and nothing outside them, so nothing else it names (by
a symbolic link, ``..`` or an absolute path) is read: not ``/proc/self/environ``,
not ``~/.ssh``, not another checkout.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable
from pathlib import Path

#: The code every refusal of this module is reported with (see diagnostics.CODES).
CODE = "refused-path"


def may_read(path: Path | str, roots: Iterable[Path | str | None]) -> bool:
    """Whether ``path``, symbolic links resolved, is inside one of ``roots`` (resolved too)."""
    try:
        real = Path(os.path.realpath(path))
        return any(real.is_relative_to(os.path.realpath(root)) for root in roots if root is not None)
    except (OSError, ValueError):  # a NUL byte, a loop the OS refuses to follow
        return False


def stays_inside(rel: str) -> bool:
    """Whether relative path ``rel`` (``/``-separated), joined to a folder, stays inside it."""
    norm = posixpath.normpath(rel)
    return bool(rel) and not (norm == ".." or norm.startswith(("../", "/")) or "\0" in rel)


def refusal(path: Path | str, what: str = "file", left_out: bool = True) -> str:
    """The message of a refused read: what was named and why it is not read."""
    message = f"{what} {path} is outside the site (after following symbolic links): not read"
    return message + ", left out of the book" if left_out else message


def file_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an output file name (empty, a path, or with a NUL); None if it can."""
    if not name.strip() or name in (".", ".."):
        return f"must be a file name, not {name or 'empty'}"
    if "/" in name or "\\" in name or "\0" in name:
        return f"must be a file name without a folder, not a path ({name.replace(chr(0), '')})"
    return None
