"""Reading a Hugo site's files: where the site is, its configuration file, a page's front matter."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import yaml

from ..errors import ConfigError, SourceError
from . import yamlread

#: The root configuration file, in the order Hugo looks for it (the first found is read).
CONFIG_NAMES = (
    "hugo.toml",
    "hugo.yaml",
    "hugo.yml",
    "hugo.json",
    "config.toml",
    "config.yaml",
    "config.yml",
    "config.json",
)
#: A configuration folder's file suffixes.
CONFIG_SUFFIXES = (".toml", ".yaml", ".yml", ".json")
_SKIP_DIRS = {".git", "node_modules", "themes", "public", "resources", "output", ".venv"}


def find_site(start: Path) -> Path:
    """The folder holding the Hugo configuration: ``start`` itself or one below it."""
    start = Path(start)
    if not start.exists():
        raise ConfigError(f"site folder {start} does not exist")
    if not start.is_dir():
        raise ConfigError(f"{start} is not a folder (give the Hugo site or repository root)")
    if config_file(start):
        return start
    found: list[Path] = []
    for depth_dirs in _walk_dirs(start, max_depth=4):
        for d in depth_dirs:
            if config_file(d) and (d / "content").is_dir():
                found.append(d)
        if found:
            break
    if not found:
        raise ConfigError(
            f"no Hugo configuration ({', '.join(CONFIG_NAMES[:4])} or config/_default/) found in {start} "
            "or its sub-folders"
        )
    if len(found) > 1:
        with_docs = [d for d in found if (d / "content" / "docs").is_dir()]
        if len(with_docs) == 1:
            return with_docs[0]
        raise ConfigError(
            f"several Hugo sites below {start}: " + ", ".join(str(d) for d in found) + "; name one of them"
        )
    return found[0]


def _walk_dirs(start: Path, max_depth: int):
    level = [start]
    for _ in range(max_depth):
        nxt = []
        for d in level:
            try:
                nxt.extend(
                    sorted(
                        p for p in d.iterdir() if p.is_dir() and p.name not in _SKIP_DIRS and not p.name.startswith(".")
                    )
                )
            except OSError:
                continue
        if not nxt:
            return
        yield nxt
        level = nxt


def root_config_file(folder: Path) -> Path | None:
    """The site's root configuration file (``hugo.toml`` before ``hugo.yaml``, as Hugo reads them)."""
    for name in CONFIG_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def config_file(folder: Path) -> Path | None:
    """The file that stands for the site's configuration (where its problems are reported):
    the root file, else ``config/_default/hugo.*`` (or ``config.*``), else that folder's first file."""
    root = root_config_file(folder)
    if root is not None:
        return root
    default = folder / "config" / "_default"
    if not default.is_dir():
        return None
    files = sorted(p for p in default.iterdir() if p.is_file() and p.suffix in CONFIG_SUFFIXES)
    named = [p for p in files if p.stem in ("hugo", "config")]
    return (named or files)[0] if files else None


def read_text(path: Path) -> str:
    """A source file's text; a file that is not UTF-8 is a SourceError at the bad byte's line."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})", path, line) from None


def load_config_file(path: Path) -> dict:
    text = read_text(path)
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            data = yamlread.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            f"invalid YAML: {getattr(exc, 'problem', exc)}", path, mark.line + 1 if mark else None
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path, toml_line(exc)) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON: {exc.msg}", path, exc.lineno) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("the configuration must be a mapping", path, 1)
    return data


def toml_line(exc: tomllib.TOMLDecodeError) -> int | None:
    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else None


_FM_YAML = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?", re.S | re.M)
_FM_TOML = re.compile(r"\A\+\+\+[ \t]*\r?\n(.*?)^\+\+\+[ \t]*\r?$\n?", re.S | re.M)


def split_front_matter(text: str, path: Path) -> tuple[dict, str, int]:
    """(front matter, body, line where the body starts)."""
    for rx, kind in ((_FM_YAML, "YAML"), (_FM_TOML, "TOML")):
        m = rx.match(text)
        if not m:
            continue
        raw = m.group(1)
        try:
            data = yamlread.load(raw) if kind == "YAML" else tomllib.loads(raw)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 2 if mark else 1
            raise SourceError(
                f"invalid YAML front matter: {getattr(exc, 'problem', None) or exc}", path, line
            ) from None
        except tomllib.TOMLDecodeError as exc:
            line = (toml_line(exc) or 0) + 1
            raise SourceError(f"invalid TOML front matter: {exc}", path, line) from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise SourceError(f"front matter must be a mapping, not {type(data).__name__}", path, 2)
        return data, text[m.end() :], text[: m.end()].count("\n") + 1
    if text.startswith(("---", "+++")):
        raise SourceError("front matter is not closed", path, 1)
    return {}, text, 1
