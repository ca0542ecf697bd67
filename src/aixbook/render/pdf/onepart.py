"""Chapters of the release PDF on their own, as they print there: the preview of a chapter,
and the chapter PDFs of ``build --split chapters``.

A chapter is laid out by the same job the release build gives it (the page numbers and
running-head strings the last build settled on, from the part cache's hints), so when
neither the chapter nor those changed, its layout comes from the part cache and nothing
is laid out; and a preview's layout serves the next build. Its pages carry the running
heads and page numbers they have in the book, numbered from where the chapter starts in
the last build (from 1 before any build). Links into other chapters go to the website.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ... import timings
from ...errors import BuildError
from ...model import Book
from .. import RenderOptions, RenderResult, RenderWarning
from . import pdf_meta, ready
from .footers import FooterJob, print_css_with_total
from .outputs import Outputs, inputs_key
from .pipeline import Layouts, plan

log = logging.getLogger(__name__)


def render_part(book: Book, key: str, target: Path, options: RenderOptions) -> RenderResult:
    """Write the chapter ``key`` of ``book``'s release PDF to ``target``."""
    return render_chapters(book, {key: target}, options)[key]


def render_chapters(book: Book, targets: dict[str, Path], options: RenderOptions) -> dict[str, RenderResult]:
    """Write each chapter ``key`` of ``targets`` to its path: the layouts (from the cache
    where the build made them) and then all their footers, in parallel."""
    p = plan(book, options)
    by_key = {s.key: s for s in p.sources}
    if missing := [k for k in targets if k not in by_key]:
        raise BuildError(f"the book has no chapter {missing[0]!r}")
    store = Layouts(p.cache, p.workers, p.paper)
    jobs = {k: p.job(by_key[k], p.numbers, p.strings[by_key[k].index]) for k in targets}
    keys = {k: job.digest(p.salt) for k, job in jobs.items()}
    pages: dict[str, int] = p.hints.get("pages", {})
    lang = book.config.language or "en"
    outputs = Outputs(p.cache.folder / "outputs") if p.cache and options.previous and len(targets) == 1 else None
    if outputs is not None:  # a preview: the file it replaces may be what these inputs make
        (k,) = targets
        settings = (pages, p.paper, lang, p.css, book.edition.name, options.elsewhere, book.short_names, pdf_meta(book))
        output_key = inputs_key("chapter", k, p.salt, keys[k], *settings)
        if (same := outputs.reuse(output_key, options.previous, targets[k])) is not None:
            return {k: same}
    ready()
    store.run([(jobs[k], keys[k]) for k in targets], "layouts, round 1")
    layouts = {k: store.done[keys[k]] for k in targets}
    numbered = all(s.key in pages for s in p.sources)
    if not numbered:
        log.info("chapters numbered from 1 (no build has numbered the book's pages yet)")
    footer_jobs: dict[str, FooterJob] = {}
    for k, layout in layouts.items():
        names = tuple(layout.names)
        first, total = 1, layout.pages
        if numbered:
            first = 1 + sum(pages[s.key] for s in p.sources[: by_key[k].index])
            total = sum(pages[s.key] for s in p.sources) - pages[k] + layout.pages
        if print_css_with_total(total) is not None:
            footer_jobs[k] = FooterJob(
                names, p.paper, lang, first=first, total=total, extra_css=p.css, edition=book.edition.name
            )
        else:  # the stylesheet's footers cannot start at another page: numbered from 1
            footer_jobs[k] = FooterJob(names, p.paper, lang, extra_css=p.css, edition=book.edition.name)
    footer_keys = {k: job.digest(p.salt) for k, job in footer_jobs.items()}
    store.run([(footer_jobs[k], footer_keys[k]) for k in targets], "footers")
    from .combine import combine  # (pikepdf: loaded only when a PDF is made)

    results: dict[str, RenderResult] = {}
    for k, target in targets.items():
        layout, footer = layouts[k], store.done[footer_keys[k]]
        with timings.stage(f"combine {k}"):
            found = combine([layout], [footer], target, options.elsewhere, book.short_names, pdf_meta(book))
        warnings = [RenderWarning("pdf", w) for w in (*layout.warnings, *footer.warnings, *found)]
        results[k] = RenderResult(pages=layout.pages, warnings=warnings, laid_out=list(store.laid_out))
        if outputs is not None:
            outputs.keep(output_key, target, results[k])
    return results
