"""Gather, then resolve: a Hugo site → a Book with every link resolved."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from . import a11y, diagrams, htmlfrag, markdown, sanitize, shortcodes, timings, trust
from .config import BookConfig, line_of_key, load_config, slugify
from .diagnostics import Diagnostic, with_severities
from .errors import SourceError
from .frontpage import checked_files, front_page_diagnostics
from .links import LinkTable, build_table, chapter_key, make_uid, resolve_chapters
from .locate import Locator
from .model import Book, Chapter, LinkStats, Source
from .site import Site, book_sources, line_of, load_site, missing_translations

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


def load_sources(site: Site, config: BookConfig, refused: list[Diagnostic] | None = None) -> list[Source]:
    """The chapters' sources in book order (a nested section's pages follow its own page).

    A page outside the site (``Site.may_read``) is left out, with a ``refused-path``
    diagnostic in ``refused`` at the menu entry or book.toml line that names it.
    """
    pages: list[tuple[Path, str]] = []
    sources = book_sources(site, list(config.chapters) or None, config.section, pages)
    for path, ref in pages:
        where: Path | None = path
        line = None
        if ref and config.chapters:
            where, line = config.path, line_of_key(config.path, "chapters") if config.path else None
        elif ref:
            where, line = site.config_path, line_of(site.config_path, ref)
        if refused is not None:
            named = path if ref else path.name  # reported at the page itself: its name is enough
            refused.append(Diagnostic("warning", trust.refusal(named, "page"), where, line, code=trust.CODE))
    return sources


def trusted_site(site: Site, config: BookConfig) -> Site:
    """``site`` allowed to read book.toml's folder too (the other trusted folder)."""
    return replace(site, config_dir=config.base_dir) if config.base_dir else site


def site_languages(site_dir: Path | str = "book") -> list[str]:
    """The keys of the site's languages in Hugo's order (the default one alone for a one-language site)."""
    site = load_site(Path(site_dir))
    return [lang.key for lang in site.languages] or [site.default_lang]


def list_chapters(
    site_dir: Path | str = "book", config_path: Path | None = None, content_language: str | None = None
) -> list[Source]:
    """The chapters of the site at ``site_dir`` in book order, read but not parsed.

    Raises:
        ConfigError: the site or book configuration cannot be used.
        SourceError: a chapter cannot be read.
    """
    site = load_site(Path(site_dir))
    config = load_config(config_path, site.root, site.project_root).with_overrides(content_language=content_language)
    return load_sources(trusted_site(site, config).for_language(config.content_language), config)


def shortcode_context(site: Site) -> shortcodes.Context:
    """What the shortcodes of the site's pages read: its folder, params and theme."""
    params = site.config.get("params") or {}
    languages = site.config.get("languages")
    want = (site.lang or site.default_lang).lower()
    if isinstance(languages, dict) and isinstance(params, dict):
        lang = next((v for k, v in languages.items() if str(k).lower() == want), None)
        if isinstance(lang, dict) and isinstance(lang.get("params"), dict):
            params = {**params, **lang["params"]}  # a language's params override the site's
    return shortcodes.Context(
        site_root=site.root,
        site_params=params if isinstance(params, dict) else {},
        themes=shortcodes.detect_themes(site.config),
        passthrough=_passthrough(site.config),
    )


def _passthrough(config: dict) -> tuple[tuple[str, str, bool], ...]:
    """markup.goldmark.extensions.passthrough's delimiters, when enabled (keys in any case)."""

    def get(d, *keys):
        for key in keys:
            if not isinstance(d, dict):
                return None
            d = next((v for k, v in d.items() if str(k).lower() == key), None)
        return d

    ext = get(config, "markup", "goldmark", "extensions", "passthrough")
    if not isinstance(ext, dict) or get(ext, "enable") is not True:
        return ()
    out: list[tuple[str, str, bool]] = []
    for kind, block in (("block", True), ("inline", False)):
        for pair in get(ext, "delimiters", kind) or []:
            if isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) and x for x in pair):
                out.append((pair[0], pair[1], block))
    return tuple(out)


def parse_source(source: Source, key: str, context: shortcodes.Context | None = None) -> Chapter:
    """Markdown → Chapter: HTML with Hugo's ids, sanitized, links still as written."""
    if not source.body.strip() and not source.is_section:
        raise SourceError("chapter is empty (no text after the front matter)", source.path, source.body_line)
    ctx = replace(context, page_params=source.front_matter) if context is not None else None
    r = markdown.render(source.body, source.path, source.body_line, ctx)
    cleaned = sanitize.clean(r.html, source)
    if diagrams.has_figures(cleaned.html):  # math and diagrams: our SVG, put in after sanitizing
        drawn = diagrams.draw(cleaned.tree, source.path, Locator(source).line_of_text)
        cleaned = replace(cleaned, html=htmlfrag.serialize(cleaned.tree), diagnostics=(*cleaned.diagnostics, *drawn))
    access = a11y.author_checks(cleaned.tree, source, r.headings)
    return Chapter(
        source=source,
        key=key,
        html=cleaned.html,
        headings=r.headings,
        ids=cleaned.ids,
        permalinks=r.permalinks,
        diagnostics=(*r.diagnostics, *cleaned.diagnostics, *access),
    )


@dataclass(frozen=True)
class Gathered:
    """Every chapter parsed and the link table built: what resolving needs."""

    site: Site
    config: BookConfig
    chapters: tuple[Chapter, ...]
    table: LinkTable
    diagnostics: tuple[Diagnostic, ...]

    def web_url(self, uid: str) -> str:
        """The website address of a book id (a chapter key or a uid inside one)."""
        return self.web_urls().get(uid, self.site.base_url)

    def web_urls(self) -> dict[str, str]:
        """Every book id's website address."""
        cached = self.__dict__.get("_web")
        if cached is None:
            cached = {}
            for ch in self.chapters:
                page = self.site.web_url(ch.source.url)
                cached[ch.key] = page
                for local in ch.ids:
                    cached[make_uid(ch.key, local)] = f"{page}#{local}"
            object.__setattr__(self, "_web", cached)
        return cached


def gather(
    site_dir: Path | str = "book",
    config_path: Path | None = None,
    progress: Progress | None = None,
    cache=None,
    **overrides,
) -> Gathered:
    """Read the site and parse every chapter (from ``cache`` where unchanged)."""
    with timings.stage("read site"):
        site = load_site(Path(site_dir))
        config = load_config(config_path, site.root, site.project_root).with_overrides(**overrides)
        default_title = site.title
        site = trusted_site(site, config).for_language(config.content_language)
        config, refused = checked_files(site, _fill_defaults(config, site, default_title))
        sources = load_sources(site, config, refused)
    keys: set[str] = set()
    chapters: list[Chapter] = []
    context = shortcode_context(site)
    with timings.stage("parse"):
        for i, src in enumerate(sources):
            key = chapter_key(src.stem, keys)
            ch = cache.get_chapter(src, key, context.fingerprint()) if cache is not None else None
            if ch is None:
                ch = parse_source(src, key, context)
                if cache is not None:
                    cache.put_chapter(src, ch, context.fingerprint())
            chapters.append(ch)
            if progress:
                progress("parse", i + 1, len(sources))
    with timings.stage("link table"):
        table, table_diags = build_table(site, chapters, config.allow_remote)
        table_diags.extend(missing_translations(site, config.section))
        table_diags.extend(refused)
    return Gathered(site, config, tuple(chapters), table, tuple(table_diags))


def load_book(site_dir: Path | str = "book", config_path: Path | None = None, **options) -> Book:
    """Read the site at ``site_dir`` and return the Book with every link resolved.

    Args:
        site_dir: a Hugo site folder, or a repository root that holds one.
        config_path: a book.toml; default: book.toml in the site or project root.
        options: as ``gather`` takes them: ``progress`` (called as ``progress(step, done,
            total)`` while chapters are parsed), ``cache`` (an ``aixbook.cache.ChapterCache``,
            parsed chapters kept between runs) and BookConfig fields given on the command
            line (None = not given).

    Raises:
        ConfigError: the site or book configuration cannot be used.
        SourceError: a chapter cannot be read or parsed.
    """
    g = gather(site_dir, config_path, **options)
    with timings.stage("resolve"):
        resolved, stats, link_diags = resolve_chapters(g.table, list(g.chapters))
        return book_from(g, resolved, stats, link_diags)


def book_from(g: Gathered, resolved, stats: LinkStats, link_diags, all_diagnostics: bool = True) -> Book:
    """A Book of ``resolved`` chapters; diagnostics of the site and of those chapters."""
    anchors = {}
    for rc in resolved:
        anchors[rc.chapter.key] = rc.chapter.key
        for h in rc.headings:
            anchors[h.uid] = rc.chapter.key
    diags: list[Diagnostic] = list(g.diagnostics) if all_diagnostics else []
    for rc in resolved:
        diags.extend(rc.chapter.diagnostics)
    diags.extend(link_diags)
    book = Book(config=g.config, site=g.site, chapters=tuple(resolved), anchors=anchors, stats=stats)
    if all_diagnostics:
        diags.extend(front_page_diagnostics(g.site, g.config))
    return replace(book, diagnostics=with_severities(diags, g.config.diagnostics))


def _fill_defaults(config: BookConfig, site: Site, default_title: str) -> BookConfig:
    params = site.config.get("params") or {}
    author = params.get("author") if isinstance(params, dict) else None
    author_name = author.get("name") if isinstance(author, dict) else author
    title = config.title or site.title
    translated = bool(site.lang) and site.lang != site.default_lang
    # Another language's book is named after the default one's, with its language key:
    # hextra.pdf, hextra.fa.pdf.
    name = config.output_name or slugify(config.title or default_title)
    return replace(
        config,
        title=site.title if translated and site.current and site.current.title else title,
        language=site.language if translated else (config.language or site.language),
        direction=config.direction or site.direction,
        authors=config.authors or ((str(author_name),) if author_name else (title,)),
        publisher=config.publisher or (str(author_name) if author_name else None),
        identifier=config.identifier or f"urn:aixbook:{site.base_url}",
        output_name=f"{name}.{site.lang}" if translated else name,
        base_dir=config.base_dir or site.root,
    )
