"""The book's pages in order: book.toml's list, else ``menu.docs``, else the book's section
as Hugo's sidebar shows it (nested sections become parts with their pages beneath)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .. import trust
from ..diagnostics import Diagnostic
from ..errors import ConfigError, NoPagesError
from ..model import Source
from .core import Site, line_of
from .files import read_text, split_front_matter
from .languages import split_language
from .titles import humanized, leading_h1
from .tree import Page, content_files, flatten, join_rel, page_of, refused_files, section_tree

DEFAULT_SECTION = "docs"
#: A page the book leaves out because it is outside the site: (file, the menu or
#: book.toml reference that named it; "" for a file of the section's tree).
Refused = tuple[Path, str]


def book_sources(
    site: Site, stems: list[str] | None = None, section: str | None = None, refused: list[Refused] | None = None
) -> list[Source]:
    """Every page of the book in reading order, read.

    ``stems`` (book.toml's ``chapters``) wins, then ``menu.docs``: both give a flat book.
    Otherwise the pages of ``section`` (default "docs") in the site's current language,
    nested as Hugo nests them: each Source carries its ``level`` and ``number``.
    Pages outside the site (``Site.may_read``) are left out and added to ``refused``.
    """
    refused = refused if refused is not None else []
    folder = site.content_dir
    if folder.is_dir() and not site.may_read(folder):  # contentDir: /, or a link out of the site
        raise ConfigError(
            trust.refusal(folder, "content folder", left_out=False),
            site.config_path,
            line_of(site.config_path, "contentDir"),
        )
    if stems or menu_entries(site):
        files = chapter_files(site, stems)
        refused.extend((path, ref) for path, _, ref in files if not site.may_read(path))
        return [read_source(site, path, title=name) for path, name, _ in files if site.may_read(path)]
    sec = book_section(site, section)
    refused.extend((path, "") for path in refused_files(site, site.lang or site.default_lang, sec))
    root = section_tree(site, sec)
    if root is None:
        where = site.content_dir / sec
        raise NoPagesError(f"no menu.docs in the site configuration and no {where} folder", site.config_path)
    out = []
    for page, level, number in flatten(root):
        assert page.path is not None  # flatten keeps only pages with a file
        out.append(
            read_source(
                site,
                page.path,
                url=page.url,
                stem=page.name if page.rel != join_rel(sec, "_index") else (sec or "home"),
                level=level,
                number=number,
                is_section=page.is_section,
                lang=site.lang or site.default_lang,
            )
        )
    if not out:
        raise NoPagesError(f"section {sec} of {site.content_dir} has no pages", site.config_path)
    return out


def book_section(site: Site, section: str | None = None) -> str:
    """The section that is the book, "" for the whole site: ``section`` (book.toml) when given,
    else the theme's (hugo-book's ``params.BookSection``; its "*" and "/" are the root), else
    "docs" when the site has it (in its default language: every language's book is the same
    section), else the whole site."""
    if section is None:
        params = site.config.get("params")
        theirs = params.get("BookSection") if isinstance(params, dict) else None
        section = str(theirs) if isinstance(theirs, str) and theirs.strip() else None
    if section is not None:
        return "" if section.strip() in ("*", "/") else section.strip().strip("/")
    return DEFAULT_SECTION if section_tree(replace(site, lang=""), DEFAULT_SECTION) is not None else ""


def ref_url(site: Site, ref: str, from_file: Path, files: dict[str, Path] | None = None) -> str | None:
    """The site path of the page ``{{< relref "ref" >}}`` names, written in ``from_file``, as Hugo
    finds it: relative to that page's folder first, then to the content folder; None if no page.

    ``files`` is ``content_files`` of the site's language (pass it when resolving many refs).
    """
    key = site.lang or site.default_lang
    files = files if files is not None else content_files(site, key)
    ref = ref.strip()
    ref = ref[:-3] if ref.endswith(".md") else ref
    tried = [ref.strip("/")]
    if not ref.startswith("/"):
        logical = site.logical_path(from_file, key)
        here = logical.rpartition("/")[0] if logical else ""
        if here:
            tried.insert(0, f"{here}/{ref}".strip("/"))
    for base in tried:
        for rel in (base, f"{base}/_index", f"{base}/index"):
            if rel in files:
                page = page_of(site, rel, files[rel], key)
                return page.url if page is not None else None
    return None


def missing_translations(site: Site, section: str | None = None) -> list[Diagnostic]:
    """A warning for each page of the book's section that the default language has and the
    current language lacks: Hugo publishes no stand-in, so that language's book leaves it out."""
    key = site.lang or site.default_lang
    if not site.languages or key == site.default_lang:
        return []
    sec = book_section(site, section)
    ours = {page.rel for page, _, _ in flatten(section_tree(site, sec) or _empty(sec))}
    theirs = section_tree(site.for_language(site.default_lang), sec)
    out = []
    for page, _, _ in flatten(theirs) if theirs is not None else []:
        if page.rel not in ours and page.path is not None:
            out.append(
                Diagnostic(
                    "warning",
                    f"page {page.rel} has no '{key}' translation; Hugo publishes no '{key}' page for it "
                    f"(no fallback to '{site.default_lang}'), so the '{key}' book leaves it out",
                    page.path,
                    None,
                    code="missing-translation",
                )
            )
    return out


def _empty(sec: str) -> Page:
    return Page(None, join_rel(sec, "_index"), "/", True, "", "", 0, 0, {})


def read_source(
    site: Site,
    path: Path,
    title: str | None = None,
    weight: int | None = None,
    *,
    url: str | None = None,
    stem: str | None = None,
    level: int = 1,
    number: str = "",
    is_section: bool = False,
    lang: str = "",
) -> Source:
    """Read one page file; ``title`` (e.g. the menu name) overrides none of its own.

    ``url`` is the page's site path when the caller knows it (the content tree does);
    otherwise it is made from the file's place, without its language suffix.
    """
    text = read_text(path)
    fm, body, body_line = split_front_matter(text, path)
    if url is None:
        url = _url_of(site, path)
    own_title = fm.get("title")
    if not own_title and (h1 := leading_h1(body)) is not None:
        own_title, body = h1  # the page's first heading is its title, not a heading under it
    if not own_title:
        own_title = title or fm.get("linkTitle") or humanized(_title_name(path))
    return Source(
        path=path,
        stem=stem or path.stem,
        url=url.lower(),
        title=str(own_title),
        weight=fm.get("weight", weight) if isinstance(fm.get("weight", weight), int) else None,
        front_matter=fm,
        body=body,
        body_line=body_line,
        level=level,
        number=number,
        is_section=is_section,
        lang=lang,
        markup=site.markup,
    )


def _title_name(path: Path) -> str:
    """The name a page without a title is called by: its folder for a section or bundle,
    else its file's base name (without a language suffix)."""
    name = path.stem.split(".", 1)[0]
    return path.parent.name if name in ("_index", "index") else name


def _url_of(site: Site, path: Path) -> str:
    logical = site.logical_path(path)
    rel = Path(logical).with_suffix("") if logical else Path(path.name).with_suffix("")  # another language's
    parts = list(rel.parts)
    prefix = ""
    if parts and site.languages:
        parts[-1], lang = split_language(parts[-1], site.language_keys)
        prefix = site.url_prefix(lang or None)
    if parts and parts[-1] in ("_index", "index"):
        parts = parts[:-1]
    return prefix + ("/" + "/".join(parts) + "/" if parts else "/")


def menu_entries(site: Site) -> list[tuple[str, str, int]]:
    """``menu.docs`` as (name, pageRef, line-less weight), ordered by weight: the language's own
    (``languages.LANG.menus``, e.g. from ``config/_default/menus.en.toml``), else the site's
    (``menus`` or ``menu``, Hugo's older spelling)."""
    lang = (site.config.get("languages") or {}).get(site.lang or site.default_lang)
    tables = [lang.get("menus"), lang.get("menu")] if isinstance(lang, dict) else []
    tables += [site.config.get("menus"), site.config.get("menu")]
    menu = next((t["docs"] for t in tables if isinstance(t, dict) and t.get("docs")), None) or []
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


def chapter_files(site: Site, stems: list[str] | None = None) -> list[tuple[Path, str | None, str]]:
    """The chapter files in book order, each with its menu name (if any) and the reference naming it.

    ``stems`` (from book.toml) wins; then ``menu.docs``; [] when neither is given
    (``book_sources`` then reads the section's tree).
    """
    docs = site.content_dir / "docs"
    out: list[tuple[Path, str | None, str]] = []
    if stems:
        for s in stems:
            p = _resolve_ref(site, s)
            if p is None:
                raise ConfigError(
                    f"chapter '{s}' in the book's chapter list does not exist (looked for {docs / (s + '.md')})"
                )
            out.append((p, None, s))
        return out
    entries = menu_entries(site)
    if entries:
        for name, ref, _ in entries:
            p = _resolve_ref(site, ref)
            if p is None:
                raise ConfigError(
                    f"menu.docs entry '{name}' names page {ref}, which does not exist in {site.content_dir}",
                    *site.config_line(ref),
                )
            out.append((p, name, ref))
        return out
    return out


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
