"""Which edition of the book a build makes: what a reader cites.

``--edition TEXT`` (book.toml ``edition``) names it; by default it comes from the content
repository, read with the git command line as ``revisions.git`` runs it (no hooks, no
fsmonitor, no pager, no prompt): ``git describe --tags`` where a tag is reachable, else the
commit's date and short id (``2026-08-22 · 5413fde``), and "unversioned" outside git or
without git, with one info line saying why. The commit (and its page on GitHub, when the
repository's remote is there) is known whatever names the edition.

The edition's date is the commit's (committer date, UTC): the same commit gives the same
edition on every machine. The build's own date is ``assemble.build_date`` (SOURCE_DATE_EPOCH).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path

from .errors import ConfigError
from .model import UNVERSIONED, Edition, file_name_part
from .revisions import git

__all__ = ["UNVERSIONED", "Edition", "file_name_part", "find_edition", "github_page", "with_edition"]

log = logging.getLogger(__name__)


def with_edition(name: str, edition: Edition) -> str:
    """An output name with ``{edition}`` filled in (``--name OWASP-AI-Exchange-{edition}``)."""
    return name.replace("{edition}", edition.file_name)


def _run(args: list[str], folder: Path) -> str | None:
    """git's output, stripped; None when git says no."""
    proc = git(args, folder)
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", "replace").strip()


def github_page(remote: str) -> str:
    """The web address of a github.com remote ("https://github.com/OWNER/REPO"); "" for any other."""
    remote = remote.strip()
    m = re.fullmatch(
        r"(?:https://(?:[^@/]+@)?github\.com/|ssh://git@github\.com/|git@github\.com:)"
        r"([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?",
        remote,
    )
    return f"https://github.com/{m.group(1)}/{m.group(2)}" if m else ""


def find_edition(folder: Path, given: str | None = None) -> Edition:
    """The edition of the content in ``folder``: ``given`` (``--edition``) or derived from git.

    Never raises: what cannot be known is left empty, and said in one info line.
    """
    given = " ".join(given.split()) if given else ""
    try:
        found = _from_git(Path(folder))
    except ConfigError as exc:  # no git binary, or one that hangs
        log.info("edition: %s; the book is %s", exc.message, given or UNVERSIONED)
        return Edition(name=given or UNVERSIONED)
    if isinstance(found, str):
        log.info("edition: %s; the book is %s", found, given or UNVERSIONED)
        return Edition(name=given or UNVERSIONED)
    if given:
        return Edition(given, found.commit, found.date, found.tag, found.repository, found.dirty)
    return found


def _from_git(folder: Path) -> Edition | str:
    """The edition git gives, or why there is none."""
    if not folder.is_dir():
        return f"{folder} is not a folder"
    top = git(["rev-parse", "--show-toplevel"], folder)
    if top.returncode != 0:
        why = top.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = why[0].removeprefix("fatal: ") if why else ""
        # "not a git repository" says it all; another reason (dubious ownership …) is git's own
        detail = f" ({reason})" if reason and "not a git repository" not in reason else ""
        return f"{folder} is not in a git repository{detail}"
    head = _run(["log", "-1", "--no-show-signature", "--format=%H %ct"], folder)
    if not head:
        return "the git repository has no commit yet"
    commit, _, stamp = head.partition(" ")
    date = datetime.fromtimestamp(int(stamp), tz=UTC).strftime("%Y-%m-%d") if stamp.isdigit() else ""
    dirty = _run(["status", "--porcelain", "--untracked-files=no"], folder)
    described = _run(["describe", "--tags", "--abbrev=7"], folder)
    if described is None and _run(["rev-parse", "--is-shallow-repository"], folder) == "true":
        log.info("edition: a shallow clone, so tags may be missing; the edition is the commit's")
    remote = _remote(folder)
    tag = ""
    if described:
        name = described
        tag = re.sub(r"-\d+-g[0-9a-f]+$", "", described)
    else:
        name = f"{date} · {commit[:7]}" if date else commit[:7]
    if dirty:
        name += " (modified)"
    return Edition(name, commit, date, tag, remote, bool(dirty))


def _remote(folder: Path) -> str:
    """The github.com page of the branch's remote, else of "origin" ("" when neither)."""
    branch = _run(["rev-parse", "--abbrev-ref", "HEAD"], folder)
    names = []
    if branch and branch != "HEAD":
        remote = _run(["config", "--get", f"branch.{branch}.remote"], folder)
        if remote:
            names.append(remote)
    names.append("origin")
    for name in names:
        url = _run(["config", "--get", f"remote.{name}.url"], folder)
        if url and (page := github_page(url)):
            return page
    return ""
