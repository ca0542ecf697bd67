"""Gather, then resolve: a Hugo site → a Book with every link resolved."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from . import a11y, diagrams, htmlfrag, pool, sanitize, shortcodes, timings, trust
from .config import BookConfig, line_of_key, load_config, slugify
from .diagnostics import Diagnostic, with_severities
from .edition import find_edition, with_edition
from .errors import SourceError
from .frontpage import checked_files, front_page_diagnostics
from .links import LinkTable, build_table, chapter_key, make_uid, resolve_chapters, resolve_href
from .locate import Locator
from .model import Book, Chapter, LinkStats, Source
from .site import Site, book_sources, load_site, missing_translations

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
            where, line = site.config_line(ref)
        if refused is not None:
            named = path if ref else path.name  # reported at the page itself: its name is enough
            refused.append(Diagnostic("warning", trust.refusal(named, "page"), where, line, code=trust.CODE))
    return sources


def trusted_site(site: Site, config: BookConfig) -> Site:
    """``site`` allowed to read book.toml's folder too (the other trusted folder)."""
    return replace(site, config_dir=config.base_dir) if config.base_dir else site


def site_languages(site_dir: Path | str = "book", environment: str | None = None) -> list[str]:
    """The keys of the site's languages in Hugo's order (the default one alone for a one-language site)."""
    site = load_site(Path(site_dir), environment)
    return [lang.key for lang in site.languages] or [site.default_lang]


def site_and_config(site_dir: Path | str, config_path: Path | None, **overrides) -> tuple[Site, BookConfig]:
    """The site read in the environment the book asks for (``--environment``, else book.toml's,
    else production) and the book's configuration with ``overrides`` applied."""
    site = load_site(Path(site_dir), overrides.get("environment"))
    config = load_config(config_path, site.root, site.project_root).with_overrides(**overrides)
    if config.environment and config.environment != site.environment:
        site = load_site(Path(site_dir), config.environment)
    return site, config


def list_chapters(
    site_dir: Path | str = "book",
    config_path: Path | None = None,
    content_language: str | None = None,
    environment: str | None = None,
) -> list[Source]:
    """The chapters of the site at ``site_dir`` in book order, read but not parsed.

    Raises:
        ConfigError: the site or book configuration cannot be used.
        SourceError: a chapter cannot be read.
    """
    site, config = site_and_config(site_dir, config_path, content_language=content_language, environment=environment)
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
    from . import markdown  # markdown-it is loaded only when a chapter is parsed (not from the cache)

    r = markdown.render(source.body, source.path, source.body_line, ctx, markup=source.markup)
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


#: Below this much Markdown to parse, forking costs more than it saves.
PARALLEL_PARSE_BYTES = 200_000


@dataclass(frozen=True)
class _Parse:
    """Parsing some chapters, as one job of ``pool``."""

    items: tuple[tuple[Source, str], ...]  # (source, chapter key)
    context: shortcodes.Context | None = None
    task = "parsing"

    @property
    def label(self) -> str:
        return ", ".join(str(src.path) for src, _ in self.items)

    @property
    def weight(self) -> int:
        return sum(len(src.body) for src, _ in self.items)

    @property
    def stage(self) -> str:
        if len(self.items) == 1:
            return f"parse {self.items[0][0].path.name}"
        return f"parse {len(self.items)} chapters"


def _parse(job: _Parse) -> list[Chapter]:
    return [parse_source(src, key, job.context) for src, key in job.items]


def _batches(todo: list[tuple[Source, str]], count: int, context) -> list[_Parse]:
    """``todo`` in ``count`` jobs of about the same size (largest first, onto the lightest)."""
    loads: list[list[tuple[Source, str]]] = [[] for _ in range(count)]
    sizes = [0] * count
    for item in sorted(todo, key=lambda item: -len(item[0].body)):
        k = sizes.index(min(sizes))
        loads[k].append(item)
        sizes[k] += len(item[0].body)
    return [_Parse(tuple(load), context) for load in loads if load]


def _parse_all(sources, cache, progress, jobs: int | None, meanwhile, context) -> list[Chapter]:
    """Every source's Chapter: from ``cache``, else parsed, in several processes when
    there is much to parse (the real book: 700 KB) and ``meanwhile`` done here then."""
    keys: set[str] = set()
    fingerprint = context.fingerprint() if context is not None else ""
    found: dict[str, Chapter] = {}
    order: list[str] = []
    todo: list[tuple[Source, str]] = []
    for src in sources:
        key = chapter_key(src.stem, keys)
        order.append(key)
        ch = cache.get_chapter(src, key, fingerprint) if cache is not None else None
        if ch is None:
            todo.append((src, key))
        else:
            found[key] = ch
    size = sum(len(src.body) for src, _ in todo)
    workers = (jobs or pool.default_jobs()) if len(todo) > 1 and size >= PARALLEL_PARSE_BYTES else 1
    batches = _batches(todo, workers, context) if workers > 1 else [_Parse((item,), context) for item in todo]
    done = [len(found)]

    def one_more(i: int) -> None:
        done[0] += len(batches[i].items)
        if progress:
            progress("parse", done[0], len(sources))

    parsed = pool.run(batches, _parse, workers, done=one_more, meanwhile=meanwhile if workers > 1 else None)
    for batch, chapters in zip(batches, parsed, strict=True):
        for (src, key), ch in zip(batch.items, chapters, strict=True):
            found[key] = ch
            if cache is not None:
                cache.put_chapter(src, ch, fingerprint)
    if progress and not todo:
        progress("parse", len(sources), len(sources))
    return [found[key] for key in order]


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
            cached = web_addresses(self.site, self.chapters)
            object.__setattr__(self, "_web", cached)
        return cached


def web_addresses(site: Site, chapters: Iterable[Chapter]) -> dict[str, str]:
    """Every book id of ``chapters`` → its address on the website."""
    found: dict[str, str] = {}
    for ch in chapters:
        page = site.web_url(ch.source.url)
        found[ch.key] = page
        for local in ch.ids:
            found[make_uid(ch.key, local)] = f"{page}#{local}"
    return found


def gather(
    site_dir: Path | str = "book",
    config_path: Path | None = None,
    progress: Progress | None = None,
    cache=None,
    meanwhile: Callable[[], None] | None = None,
    **overrides,
) -> Gathered:
    """Read the site and parse every chapter (from ``cache`` where unchanged).

    ``meanwhile``: what the caller will need next (the PDF renderer's imports), done in
    this process while other processes parse, when there is enough to parse for that."""
    with timings.stage("read site"):
        site, config = site_and_config(site_dir, config_path, **overrides)
        default_title = site.title
        site = trusted_site(site, config).for_language(config.content_language)
        config, refused = checked_files(site, _fill_defaults(config, site, default_title))
        sources = load_sources(site, config, refused)
    context = shortcode_context(site)
    with timings.stage("parse"):
        chapters = _parse_all(sources, cache, progress, config.jobs, meanwhile, context)
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
    edition = find_edition(g.site.root, g.config.edition)
    config = g.config
    if config.output_name and "{edition}" in config.output_name:
        config = replace(config, output_name=with_edition(config.output_name, edition))
    book = Book(
        config=config,
        site=g.site,
        chapters=tuple(resolved),
        anchors=anchors,
        stats=stats,
        short_names=short_names(g, anchors),
        edition=edition,
    )
    if all_diagnostics:
        diags.extend(front_page_diagnostics(g.site, g.config))
    return replace(book, diagnostics=with_severities(diags, g.config.diagnostics))


def short_names(g: Gathered, anchors: dict[str, str]) -> dict[str, str]:
    """Each short link name (``/go/NAME/``: a redirect or a Permalink line) whose target
    is a place in the book → that place's uid (what the PDF names a destination after)."""
    found: dict[str, str] = {}
    if not g.chapters:
        return found
    for name in sorted(g.table.shorts):
        target = resolve_href(g.table, f"/go/{name}/", g.chapters[0].key).target
        if target.kind == "internal" and target.uid in anchors:
            found[name] = target.uid
    return found


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
