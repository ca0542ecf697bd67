"""Reading a Hugo site: where it is, its configuration, its pages in book order, its redirects.

Only reading: what the redirects and URLs mean is the link stage's business (links.py).
"""

from __future__ import annotations

import json
import logging
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ConfigError, SourceError
from .model import Source

log = logging.getLogger(__name__)

CONFIG_NAMES = (
    "hugo.yaml",
    "hugo.yml",
    "hugo.toml",
    "hugo.json",
    "config.yaml",
    "config.yml",
    "config.toml",
    "config.json",
)
_SKIP_DIRS = {".git", "node_modules", "themes", "public", "resources", "output", ".venv"}


@dataclass(frozen=True)
class Redirect:
    source: str  # "/go/name/"
    destination: str  # "/docs/page/#anchor" or a URL
    line: int  # line in firebase.json


@dataclass(frozen=True)
class Site:
    """A Hugo site on disk: its config, pages and redirects."""

    root: Path  # folder holding the Hugo config
    project_root: Path  # the folder the user named (a repository root or the site)
    config_path: Path
    config: dict
    base_url: str  # always ends with "/"
    redirects: tuple[Redirect, ...] = ()  # hosting.redirects of firebase.json, in order
    firebase_path: Path | None = None

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def static_dir(self) -> Path:
        return self.root / "static"

    @property
    def title(self) -> str:
        return str(self.config.get("title") or self.root.name)

    @property
    def language(self) -> str:
        code = str(self.config.get("languageCode") or self.config.get("defaultContentLanguage") or "en")
        return code.split("-")[0] if code.lower().startswith("en") else code

    def web_url(self, path: str) -> str:
        """The website address of a site path such as ``/docs/x/#a``."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def page_file(self, path: str) -> Path | None:
        """The content file serving site path ``path`` ("/contribute", "/docs/x/"), if any."""
        rel = path.strip("/")
        base = self.content_dir / rel if rel else self.content_dir
        for cand in (base.with_suffix(".md") if rel else None, base / "_index.md", base / "index.md"):
            if cand is not None and cand.is_file():
                return cand
        return None


def find_site(start: Path) -> Path:
    """The folder holding the Hugo configuration: ``start`` itself or one below it."""
    start = Path(start)
    if not start.exists():
        raise ConfigError(f"site folder {start} does not exist")
    if not start.is_dir():
        raise ConfigError(f"{start} is not a folder (give the Hugo site or repository root)")
    if _config_file(start):
        return start
    found: list[Path] = []
    for depth_dirs in _walk_dirs(start, max_depth=4):
        for d in depth_dirs:
            if _config_file(d) and (d / "content").is_dir():
                found.append(d)
        if found:
            break
    if not found:
        raise ConfigError(f"no Hugo configuration ({', '.join(CONFIG_NAMES[:4])}) found in {start} or its sub-folders")
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


def _config_file(folder: Path) -> Path | None:
    for name in CONFIG_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


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
            data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            f"invalid YAML: {getattr(exc, 'problem', exc)}", path, mark.line + 1 if mark else None
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path, _toml_line(exc)) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON: {exc.msg}", path, exc.lineno) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("the configuration must be a mapping", path, 1)
    return data


def _toml_line(exc: tomllib.TOMLDecodeError) -> int | None:
    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else None


def load_site(project_root: Path) -> Site:
    """Find and read the Hugo site under ``project_root`` (config and short links)."""
    project_root = Path(project_root).resolve()
    root = find_site(project_root)
    config_path = _config_file(root)
    assert config_path is not None  # find_site found it
    config = load_config_file(config_path)
    base_url = str(config.get("baseURL") or config.get("baseurl") or "https://example.org/")
    if not base_url.endswith("/"):
        base_url += "/"
    redirects, fb_path = _load_redirects(root)
    return Site(
        root=root,
        project_root=project_root,
        config_path=config_path,
        config=config,
        base_url=base_url,
        redirects=redirects,
        firebase_path=fb_path,
    )


def _load_redirects(root: Path) -> tuple[tuple[Redirect, ...], Path | None]:
    path = root / "firebase.json"
    if not path.is_file():
        return (), None
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON: {exc.msg}", path, exc.lineno) from None
    hosting = data.get("hosting") if isinstance(data, dict) else None
    if isinstance(hosting, list):
        hosting = hosting[0] if hosting else {}
    entries = (hosting or {}).get("redirects") or []
    if not isinstance(entries, list):
        raise ConfigError("hosting.redirects must be a list", path, 1)
    lines = _source_lines(text)
    redirects: list[Redirect] = []
    for entry in entries:
        if not isinstance(entry, dict) or "source" not in entry or "destination" not in entry:
            raise ConfigError(f"redirect entry without source/destination: {entry!r}", path)
        src, dest = str(entry["source"]), str(entry["destination"])
        redirects.append(Redirect(src, dest, lines.get(src) or 0))
    return tuple(redirects), path


def _source_lines(text: str) -> dict[str, int]:
    """First line number of each ``"source": "..."`` value in firebase.json."""
    out: dict[str, int] = {}
    for no, line in enumerate(text.splitlines(), 1):
        m = re.search(r'"source"\s*:\s*"([^"]*)"', line)
        if m:
            out.setdefault(m.group(1), no)
    return out


# ---------------------------------------------------------------- pages

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
            data = yaml.safe_load(raw) if kind == "YAML" else tomllib.loads(raw)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 2 if mark else 1
            raise SourceError(
                f"invalid YAML front matter: {getattr(exc, 'problem', None) or exc}", path, line
            ) from None
        except tomllib.TOMLDecodeError as exc:
            line = (_toml_line(exc) or 0) + 1
            raise SourceError(f"invalid TOML front matter: {exc}", path, line) from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise SourceError(f"front matter must be a mapping, not {type(data).__name__}", path, 2)
        return data, text[m.end() :], text[: m.end()].count("\n") + 1
    if text.startswith(("---", "+++")):
        raise SourceError("front matter is not closed", path, 1)
    return {}, text, 1


def read_source(site: Site, path: Path, title: str | None = None, weight: int | None = None) -> Source:
    """Read one page file; ``title`` (e.g. the menu name) overrides none of its own."""
    text = read_text(path)
    fm, body, body_line = split_front_matter(text, path)
    rel = path.relative_to(site.content_dir).with_suffix("")
    parts = list(rel.parts)
    if parts and parts[-1] in ("_index", "index"):
        parts = parts[:-1]
    url = "/" + "/".join(parts) + "/" if parts else "/"
    own_title = fm.get("title")
    return Source(
        path=path,
        stem=path.stem,
        url=url.lower(),
        title=str(own_title or title or path.stem),
        weight=fm.get("weight", weight) if isinstance(fm.get("weight", weight), int) else None,
        front_matter=fm,
        body=body,
        body_line=body_line,
    )


def menu_entries(site: Site) -> list[tuple[str, str, int]]:
    """``menu.docs`` as (name, pageRef, line-less weight), ordered by weight."""
    menu = (site.config.get("menu") or {}).get("docs") or []
    if not isinstance(menu, list):
        raise ConfigError("menu.docs must be a list", site.config_path)
    out = []
    for i, entry in enumerate(menu):
        if not isinstance(entry, dict):
            continue
        ref = entry.get("pageRef") or entry.get("pageref") or entry.get("url")
        if not ref:
            continue
        out.append((str(entry.get("name") or ""), str(ref), entry.get("weight", 0) or 0, i))
    out.sort(key=lambda e: (e[2], e[3]))
    return [(n, r, w) for n, r, w, _ in out]


def chapter_files(site: Site, stems: list[str] | None = None) -> list[tuple[Path, str | None]]:
    """The chapter files in book order, each with its menu name (if any).

    ``stems`` (from book.toml) wins; then ``menu.docs``; then the pages of
    content/docs by front-matter weight, then by name (Hugo's default order).
    """
    docs = site.content_dir / "docs"
    out: list[tuple[Path, str | None]] = []
    if stems:
        for s in stems:
            p = _resolve_ref(site, s)
            if p is None:
                raise ConfigError(
                    f"chapter '{s}' in the book's chapter list does not exist (looked for {docs / (s + '.md')})"
                )
            out.append((p, None))
        return out
    entries = menu_entries(site)
    if entries:
        for name, ref, _ in entries:
            p = _resolve_ref(site, ref)
            if p is None:
                raise ConfigError(
                    f"menu.docs entry '{name}' names page {ref}, which does not exist in {site.content_dir}",
                    site.config_path,
                    _line_of(site.config_path, ref),
                )
            out.append((p, name))
        return out
    if not docs.is_dir():
        raise ConfigError(f"no menu.docs in the site configuration and no {docs} folder", site.config_path)
    pages = [p for p in sorted(docs.glob("*.md")) if p.name not in ("_index.md", "index.md")]
    keyed = []
    for p in pages:
        fm, _, _ = split_front_matter(read_text(p), p)
        w = fm.get("weight")
        keyed.append(
            (
                0 if isinstance(w, int) and w != 0 else 1,
                w if isinstance(w, int) else 0,
                str(fm.get("title") or p.stem).lower(),
                p,
            )
        )
    keyed.sort(key=lambda k: k[:3])
    return [(k[3], None) for k in keyed]


def _resolve_ref(site: Site, ref: str) -> Path | None:
    ref = ref.strip()
    if ref.endswith(".md"):
        for cand in (site.content_dir / ref.lstrip("/"), site.content_dir / "docs" / ref):
            if cand.is_file():
                return cand
        return None
    p = site.page_file(ref if ref.startswith("/") else "/docs/" + ref)
    if p is None and not ref.startswith("/"):
        p = site.page_file("/" + ref)
    return p


def _line_of(path: Path, needle: str) -> int | None:
    try:
        for no, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if needle in line:
                return no
    except OSError:
        return None
    return None
