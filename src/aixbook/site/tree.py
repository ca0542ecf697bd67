"""Hugo's content model: a section's pages as a tree, in the order Hugo's sidebar shows them.

- A folder with ``_index.md`` is a section; its ``_index.md`` is the section's own page.
  Pages in a sub-folder without one belong to the nearest section above.
- A folder with ``index.md`` is a leaf bundle: one page, the folder's other files
  are its resources.
- A page is in a language by its name (``x.fa.md``) or its language's content
  folder; Hugo publishes a language's pages only (no stand-in from another language).
- Order (Hugo's ``ByWeight``, which Hextra's sidebar uses): weight (0 = last), then
  date (newest first), then link title, then path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from .core import Site
from .files import read_text, split_front_matter
from .languages import split_language

_SKIP = {".git", "node_modules"}


@dataclass(frozen=True)
class Page:
    """One page of the tree: a section (with ``children``) or a regular page or bundle."""

    path: Path | None  # the content file; None for a section without _index.md
    rel: str  # logical path under the content folder: "docs/guide/_index", "docs/x"
    url: str  # the page's site path as Hugo builds it: "/fa/docs/guide/"
    is_section: bool
    title: str
    link_title: str
    weight: int
    date: float  # POSIX time; 0 without a date
    front_matter: dict
    children: tuple[Page, ...] = ()

    @property
    def name(self) -> str:
        """The last segment of the URL ("guide", "getting-started")."""
        return self.url.rstrip("/").rsplit("/", 1)[-1] or "home"


def content_files(site: Site, key: str) -> dict[str, Path]:
    """Every Markdown file of language ``key`` that may be read (``Site.may_read``):
    logical path (no language, no ``.md``) → file."""
    out: dict[str, Path] = {}
    for base, path in _markdown_files(site, key):
        if site.may_read(path):
            out.setdefault(base, path)
    return out


def refused_files(site: Site, key: str, section: str | None = None) -> list[Path]:
    """The Markdown files ``content_files`` leaves out: links to files outside the site (only
    those of ``section`` when given; "" is the whole site)."""
    prefix = section.strip("/") + "/" if section and section.strip("/") else ""
    return [path for base, path in _markdown_files(site, key) if base.startswith(prefix) and not site.may_read(path)]


def _markdown_files(site: Site, key: str) -> list[tuple[str, Path]]:
    if site.mounts:
        return _mounted_files(site, key)
    folder = site.content_dir_of(key)
    keys = site.language_keys
    owners = [lang.key for lang in site.languages if lang.content_dir and site.content_dir_of(lang.key) == folder]
    owner = owners[0] if owners else site.default_lang
    out: list[tuple[str, Path]] = []
    if not folder.is_dir() or not site.may_read(folder):  # contentDir: / would walk the whole disk
        return out
    for path in sorted(folder.rglob("*.md")):
        if any(part in _SKIP or part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        rel = path.relative_to(folder).with_suffix("").as_posix()
        base, lang = split_language(rel, keys)
        if (lang or owner) == key:
            out.append((base, path))
    return out


def _mounted_files(site: Site, key: str) -> list[tuple[str, Path]]:
    """Language ``key``'s Markdown files from the site's content mounts, in mount order (a file
    without a language in its name is in the mount's languages, else the default one)."""
    keys = site.language_keys
    out: list[tuple[str, Path]] = []
    for m in site.content_mounts(key):
        if m.source.is_file():
            found = [(m.source, m.target)] if m.source.suffix == ".md" else []
        elif m.source.is_dir() and site.may_read(m.source):
            found = []
            for path in sorted(m.source.rglob("*.md")):
                parts = path.relative_to(m.source).parts
                if not any(part in _SKIP or part.startswith(".") for part in parts):
                    found.append((path, "/".join((m.target, *parts)).strip("/")))
        else:
            continue
        for path, logical in found:
            base, lang = split_language(logical.removesuffix(".md"), keys)
            if (lang == key) if lang else (bool(m.langs) or key == site.default_lang):
                out.append((base, path))
    return out


def section_tree(site: Site, section: str = "docs") -> Page | None:
    """The section ``section`` of the site in its current language, as a tree; None if absent.
    ``section`` "" (or "/") is the whole site: the home page and every section below it."""
    key = site.lang or site.default_lang
    files = content_files(site, key)
    root = section.strip("/")
    inside = (lambda rel: True) if not root else (lambda rel: rel.startswith(root + "/"))
    if join_rel(root, "_index") not in files and not any(inside(rel) for rel in files):
        return None
    sections = {rel.rpartition("/")[0] for rel in files if rel.rpartition("/")[2] == "_index"} | {root}
    if not root:  # Hugo makes every top-level folder a section, with or without _index.md
        sections |= {rel.split("/", 1)[0] for rel in files if "/" in rel}
    bundles = {rel.rpartition("/")[0] for rel in files if rel.rpartition("/")[2] == "index"}
    children: dict[str, list[Page]] = {}
    for rel, path in files.items():
        if not inside(rel):
            continue
        folder, _, name = rel.rpartition("/")
        if name == "_index":
            if folder == root:
                continue
            owner = _owner(folder, sections, root)
        elif name == "index":
            owner = _owner(folder, sections, root)
        else:
            if _in_bundle(folder, bundles, root):
                continue  # a bundle's resource, not a page
            owner = folder if folder in sections else _owner(folder, sections, root)
        page = _page(site, rel, path, key, is_section=name == "_index")
        if page is not None:
            children.setdefault(owner, []).append(page)
    titled = {p.rel.rpartition("/")[0] for ps in children.values() for p in ps if p.is_section}
    for folder in sorted(sections - {root} - titled):
        if folder in children:  # a top-level folder without _index.md: a section all the same
            children.setdefault(_owner(folder, sections, root), []).append(_untitled_section(site, folder, key))
    return _build(site, root, files.get(join_rel(root, "_index")), key, children)


def join_rel(folder: str, name: str) -> str:
    """``folder/name``; ``name`` alone under the content root ("")."""
    return f"{folder}/{name}" if folder else name


def _owner(folder: str, sections: set[str], root: str) -> str:
    """The nearest section strictly above ``folder`` (``root`` when none is)."""
    while folder:
        folder = folder.rpartition("/")[0]
        if folder in sections:
            return folder
    return root


def _in_bundle(folder: str, bundles: set[str], root: str) -> bool:
    while folder and folder != root:
        if folder in bundles:
            return True
        folder = folder.rpartition("/")[0]
    return False


def _untitled_section(site: Site, folder: str, key: str) -> Page:
    name = folder.rsplit("/", 1)[-1]
    return Page(None, f"{folder}/_index", _url(site, folder, {}, key), True, name.title(), name.title(), 0, 0, {})


def _build(site: Site, rel_dir: str, index: Path | None, key: str, children: dict[str, list[Page]]) -> Page:
    own = _page(site, join_rel(rel_dir, "_index"), index, key, is_section=True) if index is not None else None
    if own is None:
        own = _untitled_section(site, rel_dir, key)
    kids = []
    for child in children.get(rel_dir, []):
        if child.is_section:
            child = _build(site, child.rel.rsplit("/", 1)[0], child.path, key, children)
        kids.append(child)
    kids.sort(key=lambda p: sort_key(p, key))
    return Page(
        own.path, own.rel, own.url, True, own.title, own.link_title, own.weight, own.date, own.front_matter, tuple(kids)
    )


def _page(site: Site, rel: str, path: Path | None, key: str, *, is_section: bool) -> Page | None:
    if path is None:
        return None
    fm, _, _ = split_front_matter(read_text(path), path)
    if fm.get("draft") is True or fm.get("headless") is True:
        return None  # Hugo publishes neither
    folder, _, name = rel.rpartition("/")
    url_rel = folder if name in ("_index", "index") else rel
    # Hugo's .Title and .LinkTitle of a page without either are "": it sorts first among equals.
    title = str(fm.get("title") or fm.get("linkTitle") or fm.get("linktitle") or "")
    link_title = str(fm.get("linkTitle") or fm.get("linktitle") or title)
    weight = fm.get("weight")
    return Page(
        path,
        rel,
        _url(site, url_rel, fm, key),
        is_section,
        title,
        link_title,
        weight if isinstance(weight, int) and not isinstance(weight, bool) else 0,
        _timestamp(fm.get("date")),
        fm,
    )


def page_of(site: Site, rel: str, path: Path, key: str) -> Page | None:
    """The page of content file ``path`` (logical path ``rel``) in language ``key``; None if unpublished."""
    return _page(site, rel, path, key, is_section=rel.endswith("/_index"))


def _url(site: Site, url_rel: str, fm: dict, key: str) -> str:
    if isinstance(fm.get("url"), str) and fm["url"].strip():
        path = "/" + fm["url"].strip().strip("/") + "/"
        return (site.url_prefix(key) + path).lower()
    parts = [p for p in url_rel.split("/") if p]
    if parts and isinstance(fm.get("slug"), str) and fm["slug"].strip():
        parts[-1] = fm["slug"].strip()
    path = "/" + "/".join(parts) + "/" if parts else "/"
    return (site.url_prefix(key) + path).lower().replace(" ", "-")


def _timestamp(value) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day).timestamp()
    if isinstance(value, str) and value.strip():
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).timestamp()
        except ValueError:
            return 0.0
    return 0.0


def sort_key(page: Page, lang: str = "en") -> tuple:
    """Hugo's default page order: weight (0 last), date (newest first), link title, path."""
    w = page.weight
    return (w == 0, w, -page.date, collation_key(page.link_title, lang), page.rel)


def collation_key(text: str, lang: str = "en"):
    """How Hugo compares titles: by the language's collation (ICU's, when PyICU is installed);
    otherwise case-insensitively by code point, which agrees for Latin titles."""
    collator = _collator(lang)
    if collator is not None:
        return (collator.getSortKey(text),)
    return (text.casefold(), text)


@lru_cache(maxsize=8)
def _collator(lang: str):
    try:
        import icu  # type: ignore[import-not-found,import-untyped,unused-ignore]  # optional: PyICU
    except ImportError:
        return None
    collator = icu.Collator.createInstance(icu.Locale(lang.replace("-", "_")))
    # Go's collation (Hugo's) keeps the root order of scripts: Latin titles before
    # Arabic or Han ones, where ICU's fa and zh tailorings put their own script first.
    rules = collator.getRules()
    if "[reorder" in rules:
        collator = icu.RuleBasedCollator(re.sub(r"\[reorder[^\]]*\]", "", rules))
    return collator


def flatten(root: Page) -> list[tuple[Page, int, str]]:
    """The tree in reading order as (page, level, number): the section's own text first
    (when it has any), then each child; a sub-section's pages one level below it."""
    out: list[tuple[Page, int, str]] = []
    top = []
    if root.path is not None and has_text(root.path):
        top.append(Page(root.path, root.rel, root.url, True, root.title, root.link_title, 0, 0, root.front_matter))
    top.extend(root.children)
    _walk(top, 1, "", out)
    return out


def _walk(pages, level: int, prefix: str, out: list) -> None:
    # A section without a page of its own (a top-level folder without _index.md) gives its
    # pages to the level it is on: the book has no text to put under its title.
    while any(page.path is None for page in pages):
        pages = [kid for page in pages for kid in (page.children if page.path is None else (page,))]
    for i, page in enumerate(pages, 1):
        number = f"{prefix}{i}"
        out.append((page, level, number))
        if page.children:
            _walk(page.children, level + 1, number + ".", out)


def has_text(path: Path) -> bool:
    _, body, _ = split_front_matter(read_text(path), path)
    return bool(body.strip())
