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

import hashlib
import logging
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from ... import timings
from ...errors import BuildError
from ...model import Book
from .. import RenderOptions, RenderResult, RenderWarning
from . import pdf_meta, ready
from .footers import FooterJob, print_css_with_total
from .layout import PartLayout
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
    # A preview is a draft: after an edit, the chapter's last layout is laid out again only
    # from the page before the edit (resume.py), and that layout is not kept for builds.
    drafts: dict[str, PartLayout] = {}
    if outputs is not None:
        (k,) = targets
        if store.get(jobs[k], keys[k]) is None and (draft := _draft(p, jobs[k])) is not None:
            drafts[k] = draft
            store.laid_out.append(k)
    store.run([(jobs[k], keys[k]) for k in targets if k not in drafts], "layouts, round 1")
    if outputs is not None and not drafts and k in store.laid_out:  # laid out whole: the next draft's base
        _starts_from(p, k, keys[k])
    layouts = {k: drafts[k] if k in drafts else store.done[keys[k]] for k in targets}
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


def _starts_from(p, part: str, key: str) -> None:
    """The hints name ``key`` as the layout the next preview of ``part`` starts from."""
    if p.cache is not None:
        p.cache.save_hints({**p.hints, "latest": {**p.hints.get("latest", {}), part: key}})


def _draft(p, job) -> PartLayout | None:
    """The chapter of ``job`` as one part made of its last layout's pages before the edit,
    the pages laid out again from the page before it (to where they start as the old ones
    did, or to the end), and the old pages after; kept as the next draft's start. None
    when there is no last layout with the same settings (stylesheets, strings, links,
    images), or resume.py cannot start there: then the chapter is laid out whole."""
    from . import resume

    latest = p.hints.get("latest", {}).get(job.key)
    if latest is None or p.cache is None or not resume.usable():
        return None
    base = p.cache.get(latest, PartLayout)
    if not isinstance(base, PartLayout) or base.key != job.key or not base.record or base.settings != job.settings:
        log.debug("%s: no last layout with the same settings to lay out again from", job.label)
        return None
    started = time.perf_counter()
    if base.source == job.html:  # a draft of this very HTML (a whole layout would be the job's entry)
        return base
    try:
        record = resume.Record.from_json(base.record)
        new = resume._html(job)  # parsed once: for the edit, and laid out
        # the last layout's HTML as the record noted it (parsed again only for a record without)
        old = record.shape or resume._html(replace(job, html=base.source)).etree_element
        edit = resume.find_edit(old, new.etree_element, resume.part_css(job))
        k = resume.choose_k(record, edit) if edit is not None else 0
        if k == 0 or record.pages != base.pages:
            log.debug("%s: the edit is on its first pages (or none found): laid out whole", job.label)
            return None
        piece, done = resume.lay_out_segment(job, record, k, edit, html=new)
    except resume.CannotResume as why:
        log.info("%s laid out whole: %s", job.label, why)
        return None
    pieces = [resume.trim(base, range(0, done.k)), piece]
    if done.sync is not None:
        pieces.append(resume.trim(base, range(done.sync, base.pages)))
    end = done.sync if done.sync is not None else done.k + piece.pages
    draft = _as_one(job, pieces, done.record.to_json(), base)
    # The next preview lays out again from this one (the edits since, not since the build).
    key = hashlib.sha256(("draft\0" + job.digest(p.salt)).encode()).hexdigest()
    p.cache.put(key, draft)
    _starts_from(p, job.key, key)
    log.info(
        "laid out %s again from page %d to %d of %d (the pages around the edit): %.2f s",
        job.label,
        done.k + 1,
        end,
        draft.pages,
        time.perf_counter() - started,
    )
    timings.record(f"layout {job.key} (pages {done.k + 1}-{end})", started, time.perf_counter())
    return draft


def _as_one(job, pieces: list[PartLayout], record: str, base: PartLayout) -> PartLayout:
    """The pieces of a chapter as one part, as a whole layout of ``job`` would be (its
    Record, HTML and settings with it, so that the next edit is laid out from it)."""
    from .combine import combine

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "part.pdf"
        said = combine(pieces, [], path, keep_unknown=True)
        pdf = path.read_bytes()
    anchors: dict[str, int] = {}
    offset = 0
    for piece in pieces:
        for name, page in piece.anchors.items():
            anchors.setdefault(name, offset + page)
        offset += piece.pages
    fonts: dict[str, tuple[str, int]] = {}
    for piece in pieces:
        fonts.update(piece.fonts)
    return PartLayout(
        key=job.key,
        pdf=pdf,
        pages=offset,
        heights=[h for piece in pieces for h in piece.heights],
        names=[n for piece in pieces for n in piece.names],
        anchors=anchors,
        bookmarks=[b for piece in pieces for b in piece.bookmarks],
        assigned=base.assigned,
        fonts=fonts,
        warnings=[w for piece in pieces for w in piece.warnings] + said,
        record=record,
        source=job.html,
        settings=job.settings,
    )
