"""Book settings: book.toml (optional) over what the Hugo site says."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .diagnostics import CODES, REFUSALS
from .errors import ConfigError
from .trust import file_name_problem, may_read, refusal

BOOK_TOML = "book.toml"
PAPER_SIZES = ("A4", "Letter")


@dataclass(frozen=True)
class BookConfig:
    """Every setting of a book. Unset values are filled from the site in ``resolve``."""

    title: str | None = None
    subtitle: str | None = None
    authors: tuple[str, ...] = ()
    language: str | None = None
    publisher: str | None = None
    identifier: str | None = None  # EPUB identifier; derived from the site when unset
    chapters: tuple[str, ...] = ()  # chapter stems/pageRefs; empty → menu.docs
    section: str | None = None  # the Hugo section that becomes the book (without a menu); default "docs"
    content_language: str | None = None  # the Hugo language to build (--lang); default: the site's default
    environment: str | None = None  # Hugo's config/ENVIRONMENT folder (--environment); default: production
    direction: str | None = None  # "ltr" or "rtl"; default: the language's languageDirection
    front_page: str | None = None  # HTML fragment file; relative to book.toml's folder
    cover_image: str | None = None  # EPUB cover image; default: front page artwork
    output_name: str | None = None  # may hold {edition}
    edition: str | None = None  # what the book is cited as; default: from git (edition.py)
    toc_depth: int = 3  # 2 → chapters + h2, 3 → + h3
    paper: str = "A4"
    xref_pages: bool = False
    allow_remote: bool = False  # fetch http(s) images (with a timeout and size cap)
    remote_hosts: tuple[str, ...] = ()  # hosts fetched even on a loopback or private address
    pdf_variant: str = "pdf/a-2u+ua-1"  # tagged, accessible and archivable; "pdf/ua-1"; "none": plain
    keywords: tuple[str, ...] = ()
    jobs: int | None = None  # processes laying out the PDF's parts; None: every usable CPU
    # [diagnostics]: code → "error" | "warning" | "ignore" (a linter's rule table)
    diagnostics: tuple[tuple[str, str], ...] = ()
    base_dir: Path | None = None  # folder of book.toml, for relative paths
    path: Path | None = None  # the book.toml read (None: none), where its settings are reported

    def with_overrides(self, **values) -> BookConfig:
        """A copy with every non-None value of ``values`` applied (CLI flags)."""
        given = {k: v for k, v in values.items() if v is not None}
        if "output_name" in given and (problem := file_name_problem(given["output_name"])):
            raise ConfigError(f"--name {problem}")
        if "remote_hosts" in given:  # --allow-host adds to book.toml's list
            given["remote_hosts"] = tuple(dict.fromkeys((*self.remote_hosts, *given["remote_hosts"])))
        return replace(self, **given) if given else self


_KNOWN = {f.name for f in fields(BookConfig)} - {"base_dir", "path"}
_ALIASES = {
    "author": "authors",
    "lang": "language",
    "frontpage": "front_page",
    "output": "output_name",
    "name": "output_name",
    "cover": "cover_image",
}


def load_config(path: Path | None, site_root: Path | None = None, project_root: Path | None = None) -> BookConfig:
    """Read ``path`` (or book.toml in the site or project root when ``path`` is None).

    Every problem is collected and raised as one ConfigError.
    """
    if path is None:
        for folder in (site_root, project_root):
            if folder is not None and (Path(folder) / BOOK_TOML).is_file():
                path = Path(folder) / BOOK_TOML
                break
        if path is None:
            return BookConfig()
        # Found, not named: a book.toml that is a symbolic link out of the site is not read.
        if not may_read(path, (project_root or site_root,)):
            raise ConfigError(refusal(path, "book configuration", left_out=False), path)
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"book configuration {path} does not exist")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", path, line) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ConfigError(f"invalid TOML: {exc}", path, int(m.group(1)) if m else None) from None
    lines = text.splitlines()
    items = [(k, v) for k, v in data.items() if k != "book" or not isinstance(v, dict)]
    if isinstance(data.get("book"), dict):
        items += list(data["book"].items())
    problems: list[tuple[int, str]] = []
    values: dict = {}
    spelled: dict[str, str] = {}
    for key, value in items:
        name = _ALIASES.get(key, key).replace("-", "_")
        if name not in _KNOWN:
            problems.append((_line_of(lines, key), f"unknown setting '{key}' (known: {', '.join(sorted(_KNOWN))})"))
            continue
        if name in spelled:
            first = spelled[name]
            problems.append(
                (
                    _line_of(lines, key),
                    f"'{key}' sets {name} again (it is set as '{first}' on line {_line_of(lines, first)})",
                )
            )
            continue
        spelled[name] = key
        try:
            values[name] = _coerce(name, value)
        except ValueError as exc:
            quoted = re.search(r"'([^']+)'", str(exc))
            at = _line_of(lines, quoted.group(1)) if quoted and name == "diagnostics" else _line_of(lines, key)
            problems.append((at, f"{key}: {exc}"))
    if problems:
        problems.sort(key=lambda p: (p[0] == 0, p[0]))
        (line, first), rest = problems[0], problems[1:]
        message = "; ".join([first] + [f"line {n}: {msg}" if n else msg for n, msg in rest])
        raise ConfigError(message, path, line or None)
    return BookConfig(base_dir=path.parent.resolve(), path=path, **values)


SEVERITIES = ("error", "warning", "ignore")


def _severities(value) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise ValueError('must be a table: [diagnostics] with code = "error" | "warning" | "ignore"')
    out = []
    for code, severity in value.items():
        if code not in CODES:
            raise ValueError(f"unknown diagnostic code '{code}' (known: {', '.join(sorted(CODES))})")
        if severity not in SEVERITIES:
            raise ValueError(f"'{code}' must be one of {', '.join(SEVERITIES)}, not {severity!r}")
        if code in REFUSALS and severity != "error":
            raise ValueError(f"'{code}' stops the build; it cannot be a warning or ignored")
        out.append((code, severity))
    return tuple(out)


def _toml(value) -> str:
    """``value`` as book.toml writes it: true, "3", 9."""
    return str(value).lower() if isinstance(value, bool) else json.dumps(value, default=str)


def _coerce(name: str, value):
    if name == "diagnostics":
        return _severities(value)
    if name in ("authors", "chapters", "keywords", "remote_hosts"):
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of strings")
        return tuple(value)
    if name == "jobs":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("must be a whole number of processes, 1 or more")
        return value
    if name == "toc_depth":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
            raise ValueError(f"must be a whole number from 1 to 4, not {_toml(value)}")
        return value
    if name in ("xref_pages", "allow_remote"):
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if name == "pdf_variant":
        allowed = ("none", "pdf/ua-1", "pdf/ua-2", "pdf/a-2b", "pdf/a-3b", "pdf/a-2u", "pdf/a-3u", "pdf/a-2u+ua-1")
        if str(value).lower() not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return str(value).lower()
    if name == "direction":
        if value not in ("ltr", "rtl"):
            raise ValueError('must be "ltr" or "rtl"')
        return value
    if name == "paper":
        norm = {p.lower(): p for p in PAPER_SIZES}.get(str(value).lower())
        if norm is None:
            raise ValueError(f"must be one of {', '.join(PAPER_SIZES)}")
        return norm
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if name == "output_name" and (problem := file_name_problem(value)):
        raise ValueError(f"{problem}; the outputs go in the output folder (-o)")
    return value


def _line_of(lines: list[str], key: str) -> int:
    """The line that sets ``key`` (0 when it cannot be found, e.g. a dotted key)."""
    rx = re.compile(rf"""\s*(["']?){re.escape(key)}\1\s*=""")
    return next((no for no, line in enumerate(lines, 1) if rx.match(line)), 0)


def line_of_key(path: Path, name: str) -> int | None:
    """The line of book.toml ``path`` that sets ``name`` (a setting or one of its aliases)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for no, line in enumerate(text.splitlines(), 1):
        m = re.match(r"\s*([A-Za-z0-9_-]+)\s*=", line)
        if m and (m.group(1) == name or _ALIASES.get(m.group(1), m.group(1)).replace("-", "_") == name):
            return no
    return None


def slugify(text: str) -> str:
    """A file-name-safe lower-case slug: "AI Exchange" → "ai-exchange"."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return slug or "book"
