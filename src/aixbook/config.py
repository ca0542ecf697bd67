"""Book settings: book.toml (optional) over what the Hugo site says."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .errors import ConfigError

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
    direction: str | None = None  # "ltr" or "rtl"; default: the language's languageDirection
    front_page: str | None = None  # HTML fragment file; relative to book.toml's folder
    cover_image: str | None = None  # EPUB cover image; default: front page artwork
    output_name: str | None = None
    toc_depth: int = 3  # 2 → chapters + h2, 3 → + h3
    paper: str = "A4"
    xref_pages: bool = False
    allow_remote: bool = False  # fetch http(s) images (with a timeout and size cap)
    remote_hosts: tuple[str, ...] = ()  # hosts fetched even on a loopback or private address
    pdf_variant: str = "pdf/ua-1"  # tagged, accessible PDF; "none" for a plain PDF
    keywords: tuple[str, ...] = ()
    jobs: int | None = None  # processes laying out the PDF's parts; None: every usable CPU
    # [diagnostics]: code → "error" | "warning" | "ignore" (a linter's rule table)
    diagnostics: tuple[tuple[str, str], ...] = ()
    base_dir: Path | None = None  # folder of book.toml, for relative paths

    def with_overrides(self, **values) -> BookConfig:
        """A copy with every non-None value of ``values`` applied (CLI flags)."""
        given = {k: v for k, v in values.items() if v is not None}
        if "remote_hosts" in given:  # --allow-host adds to book.toml's list
            given["remote_hosts"] = tuple(dict.fromkeys((*self.remote_hosts, *given["remote_hosts"])))
        return replace(self, **given) if given else self


_KNOWN = {f.name for f in fields(BookConfig)} - {"base_dir"}
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
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"book configuration {path} does not exist")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError("not valid UTF-8", path, 1) from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ConfigError(f"invalid TOML: {exc}", path, int(m.group(1)) if m else None) from None
    if isinstance(data.get("book"), dict):
        data = {**{k: v for k, v in data.items() if k != "book"}, **data["book"]}
    problems: list[str] = []
    values: dict = {}
    for key, value in data.items():
        name = _ALIASES.get(key, key).replace("-", "_")
        if name not in _KNOWN:
            problems.append(f"unknown setting '{key}' (known: {', '.join(sorted(_KNOWN))})")
            continue
        values[name] = value
    out: dict = {}
    for name, value in values.items():
        try:
            out[name] = _coerce(name, value)
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
    if problems:
        raise ConfigError("; ".join(problems), path, _line_of_key(path, problems))
    return BookConfig(base_dir=path.parent.resolve(), **out)


SEVERITIES = ("error", "warning", "ignore")


def _severities(value) -> tuple[tuple[str, str], ...]:
    from .model import CODES

    if not isinstance(value, dict):
        raise ValueError('must be a table: [diagnostics] with code = "error" | "warning" | "ignore"')
    out = []
    for code, severity in value.items():
        if code not in CODES:
            raise ValueError(f"unknown diagnostic code '{code}' (known: {', '.join(sorted(CODES))})")
        if severity not in SEVERITIES:
            raise ValueError(f"'{code}' must be one of {', '.join(SEVERITIES)}, not {severity!r}")
        out.append((code, severity))
    return tuple(out)


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
        if not isinstance(value, int) or not 1 <= value <= 4:
            raise ValueError("must be an integer from 1 to 4")
        return value
    if name in ("xref_pages", "allow_remote"):
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if name == "pdf_variant":
        allowed = ("none", "pdf/ua-1", "pdf/ua-2", "pdf/a-2b", "pdf/a-3b", "pdf/a-2u", "pdf/a-3u")
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
    return value


def _line_of_key(path: Path, problems: list[str]) -> int | None:
    m = re.search(r"'([^']+)'", problems[0])
    key = m.group(1) if m else problems[0].split(":")[0]
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return no
    return None


def slugify(text: str) -> str:
    """A file-name-safe lower-case slug: "AI Exchange" → "ai-exchange"."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return slug or "book"
