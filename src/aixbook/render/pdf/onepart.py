"""One chapter of the release PDF, as it prints there: the preview of a chapter.

The chapter is laid out by the same job the release build gives it (the page numbers and
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
from .combine import combine
from .footers import FooterJob, print_css_with_total
from .pipeline import _Layouts, plan

log = logging.getLogger(__name__)


def render_part(book: Book, key: str, target: Path, options: RenderOptions) -> RenderResult:
    """Write the chapter ``key`` of ``book``'s release PDF to ``target``."""
    p = plan(book, options)
    src = next((s for s in p.sources if s.key == key), None)
    if src is None:
        raise BuildError(f"the book has no chapter {key!r}")
    job = p.job(src, p.numbers, p.strings[src.index])
    store = _Layouts(p.cache, p.workers)
    layout_key = job.digest(p.salt)
    store.run([(job, layout_key)], "layouts, round 1")
    layout = store.done[layout_key]
    pages: dict[str, int] = p.hints.get("pages", {})
    if all(s.key in pages for s in p.sources):
        first = 1 + sum(pages[s.key] for s in p.sources[: src.index])
        total = sum(pages[s.key] for s in p.sources) - pages[key] + layout.pages
    else:
        log.info("%s: numbered from 1 (no build has numbered the book's pages yet)", key)
        first, total = 1, layout.pages
    lang = book.config.language or "en"
    if print_css_with_total(total) is not None:
        footer_job = FooterJob(tuple(layout.names), p.paper, lang, first=first, total=total, extra_css=p.css)
    else:  # the stylesheet's footers cannot start at another page: numbered from 1
        footer_job = FooterJob(tuple(layout.names), p.paper, lang, extra_css=p.css)
    footer_key = footer_job.digest(p.salt)
    store.run([(footer_job, footer_key)], "footers")
    footer = store.done[footer_key]
    with timings.stage("combine"):
        found = combine([layout], [footer], target, options.elsewhere)
    warnings = [RenderWarning("pdf", w) for w in (*layout.warnings, *footer.warnings, *found)]
    return RenderResult(pages=layout.pages, warnings=warnings, laid_out=store.laid_out)
