"""A git revision of the content repository, exported into a folder to be read like any site.

Git is run so that nothing from the repository executes: hooks off, no fsmonitor, no
pager, no prompt, replace refs ignored. The files are read as the raw blobs of the
revision's tree (``git ls-tree`` + ``git cat-file --batch``): unlike ``git archive``, this
applies no ``.gitattributes`` filter driver (a smudge command from the repository's
configuration) and no ``export-subst``. The user's working tree is never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path, PurePosixPath

from .errors import ConfigError

#: ``git -c`` settings that keep every command the repository could name from running.
SAFE_CONFIG = ("core.hooksPath=/dev/null", "core.fsmonitor=false", "core.pager=cat", "protocol.allow=never")
TIMEOUT = 120  # seconds for one git command


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_NO_REPLACE_OBJECTS="1", GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
    return env


def git(args: list[str], cwd: Path, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``git`` safely in ``cwd``. Raises ConfigError when git is not installed."""
    command = ["git", "--no-pager"]
    for setting in SAFE_CONFIG:
        command += ["-c", setting]
    try:
        return subprocess.run(
            command + args, cwd=cwd, input=input, capture_output=True, env=_env(), timeout=TIMEOUT, check=False
        )
    except FileNotFoundError:
        raise ConfigError("git is not installed: a revision cannot be read (give two site folders instead)") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"git {args[0]} took more than {TIMEOUT} s in {cwd}") from None


def _first_line(data: bytes) -> str:
    lines = data.decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else "no message"


def repository_top(folder: Path) -> Path:
    """The top folder of the git working tree holding ``folder``.

    Raises:
        ConfigError: git is missing, or ``folder`` is not in a git repository.
    """
    if not folder.is_dir():
        raise ConfigError(f"site folder {folder} does not exist")
    proc = git(["rev-parse", "--show-toplevel"], folder)
    if proc.returncode != 0:
        why = _first_line(proc.stderr)
        # "not a git repository" says it all; another reason (dubious ownership …) is git's own.
        detail = "" if "not a git repository" in why else f" ({why.removeprefix('fatal: ')})"
        raise ConfigError(f"{folder} is not in a git repository, so no revision can be read{detail}")
    return Path(proc.stdout.decode("utf-8", "surrogateescape").strip())


def resolve_revision(top: Path, revision: str) -> str:
    """The commit id ``revision`` names in the repository at ``top``.

    Raises:
        ConfigError: no such revision (or one that reads as an option).
    """
    if not revision or revision.startswith("-") or "\0" in revision:
        raise ConfigError(f"{revision!r} is not a revision")
    proc = git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], top)
    if proc.returncode != 0:
        raise ConfigError(f"revision {revision!r} does not exist in the git repository {top}")
    return proc.stdout.decode().strip()


def export(top: Path, commit: str, prefix: str, dest: Path) -> int:
    """Write the files of ``commit`` below ``prefix`` (a folder of the repository, "" for all)
    into ``dest``, at their paths in the repository. A symbolic link is made again when it
    is relative and points inside ``dest`` (as the site's trust boundary would follow it);
    others and submodules are left out. Returns the number of files written."""
    args = ["ls-tree", "-r", "-z", "--full-tree", commit]
    if prefix:
        args += ["--", prefix]
    listing = git(args, top)
    if listing.returncode != 0:
        raise ConfigError(f"git ls-tree {commit[:12]}: {_first_line(listing.stderr)}")
    entries: list[tuple[str, PurePosixPath, bool]] = []
    for record in listing.stdout.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, kind, oid = meta.decode().split()
        path = PurePosixPath(name.decode("utf-8", "surrogateescape"))
        if kind != "blob" or mode not in ("100644", "100755", "120000") or path.is_absolute() or ".." in path.parts:
            continue
        entries.append((oid, path, mode == "120000"))
    if not entries:
        return 0
    blobs = git(["cat-file", "--batch"], top, input="".join(f"{oid}\n" for oid, _, _ in entries).encode())
    if blobs.returncode != 0:
        raise ConfigError(f"git cat-file {commit[:12]}: {_first_line(blobs.stderr)}")
    data, at = blobs.stdout, 0
    links: list[tuple[Path, str]] = []
    for _oid, path, is_link in entries:
        end = data.index(b"\n", at)
        header = data[at:end].split()
        if len(header) != 3 or header[1] != b"blob":
            raise ConfigError(f"git cat-file {commit[:12]}: unexpected answer for {path}")
        size = int(header[2])
        body = data[end + 1 : end + 1 + size]
        at = end + 1 + size + 1
        target = dest.joinpath(*path.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        if is_link:
            links.append((target, body.decode("utf-8", "surrogateescape")))
        else:
            target.write_bytes(body)
    inside = os.path.realpath(dest)
    for link, pointing in links:  # after every file: a link may point at one written later
        where = os.path.realpath(os.path.join(link.parent, pointing))
        if not os.path.isabs(pointing) and os.path.commonpath([where, inside]) == inside:
            link.symlink_to(pointing)
    return len(entries)


def export_revision(site: Path, revision: str, dest: Path) -> tuple[Path, Path, str]:
    """Export ``revision`` of the repository holding ``site`` into the empty folder ``dest``.

    Returns:
        (the site's folder inside ``dest``, ``dest`` itself: the repository's top there,
        the commit id).

    Raises:
        ConfigError: no git, not a repository, or no such revision: one line naming it.
    """
    top = repository_top(site)
    commit = resolve_revision(top, revision)
    try:
        prefix = Path(site).resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        prefix = ""
    prefix = "" if prefix == "." else prefix
    if export(top, commit, prefix, dest) == 0:
        raise ConfigError(f"revision {revision!r} has no files in {prefix or top}")
    return (dest / prefix if prefix else dest), dest, commit


def remove(folder: Path) -> None:
    """Delete an exported folder."""
    shutil.rmtree(folder, ignore_errors=True)
