"""The release PDF from parts: cut, lay out (in parallel, from the cache where unchanged),
settle the numbers, draw the footers, combine.

Numbers and strings settle by repetition, as WeasyPrint's own repagination does in one
document: every part is laid out with the numbers and strings it is expected to need
(the last build's, or a guess); then the real ones are read from the layouts, and each
part that was given something else is laid out again, until nothing changes. A cold
build lays out the contents and the index twice (their numbers were unknown); after a
one-line edit, only the edited chapter is laid out, plus the parts whose printed numbers
the edit moved.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ... import pool, timings
from ...assemble import Parts, assemble_parts
from ...errors import BuildError
from ...hyphenate import Memo
from ...model import Book
from .. import RenderOptions, RenderResult, RenderWarning
from . import book_css, pdf_meta, ready, weasy
from .footers import FooterJob, FooterLayout, footer_jobs, lay_out_footers
from .layout import PartLayout, lay_out
from .outputs import Outputs, inputs_key
from .partcache import PartCache, salt
from .parts import PartSource, cut, guess_strings, job_for

log = logging.getLogger(__name__)

#: Layouts before giving up on numbers that keep moving (a number that wraps a line
#: that moves a page that changes the number…).
MAX_ROUNDS = 6


@dataclass
class Settled:
    """What the parts' layouts say the parts need."""

    numbers: dict[str, str | None]  # target id → printed page number (None: no part has it)
    strings: list[dict[str, str]]  # per part: named strings it inherits
    complete: bool = True  # every part was laid out


def settle(sources: list[PartSource], layouts: list[PartLayout | None], guessed: list[dict[str, str]]) -> Settled:
    """Page numbers and inherited strings from the layouts. A part not laid out yet (None)
    starts where the parts before it end; its own id is then taken to be on its first
    page, and nothing after it is known."""
    numbers: dict[str, str | None] = {}
    page: int | None = 0
    for src, layout in zip(sources, layouts, strict=True):
        if page is None:
            break
        if layout is None:
            numbers[src.key] = str(page + 1)
            page = None
            continue
        for anchor, index in layout.anchors.items():
            numbers.setdefault(anchor, str(page + index + 1))
        page += layout.pages
    complete = all(layout is not None for layout in layouts)
    if complete:
        for src in sources:
            for target in src.numbered:
                numbers.setdefault(target, None)
    strings: list[dict[str, str]] = []
    carried: dict[str, str] | None = {}
    for src, layout in zip(sources, layouts, strict=True):
        if carried is None or layout is None:
            strings.append(guessed[src.index])
            carried = None
            continue
        inherit = {k: v for k, v in carried.items() if k not in layout.assigned}
        strings.append(inherit)
        carried = {**inherit, **layout.assigned}
    return Settled(numbers, strings, complete)


def deferrable(sources: list[PartSource], owner: dict[str, int]) -> set[int]:
    """Parts that can wait for their numbers: no page number printed anywhere lies after
    them, so no one needs their page count (the Index)."""
    last = max((owner[t] for src in sources for t in src.numbered if t in owner), default=-1)
    return {src.index for src in sources if src.index >= last and src.numbered}


def _work(job):
    with weasy.collector_paused():
        return lay_out_footers(job) if isinstance(job, FooterJob) else lay_out(job)


class Layouts:
    """Layouts by key: from this build, else from the cache, else laid out (and kept)."""

    def __init__(self, cache: PartCache | None, workers: int, paper: str = "A4"):
        self.cache = cache
        self.workers = workers
        self.paper = paper
        self.done: dict[str, Any] = {}
        self.laid_out: list[str] = []
        self.rounds: list[dict] = []

    def get(self, job, key: str):
        if key not in self.done and self.cache is not None:
            footers = isinstance(job, FooterJob)
            hit = self.cache.get(key, FooterLayout if footers else PartLayout)
            # an entry made for another job (its name is a hash, but the folder is not ours)
            if hit is not None and hit.key == job.key and (not footers or hit.pages == len(job.names)):
                self.done[key] = hit
            elif hit is not None:
                log.debug("PDF part cache: %s.part was made for another part, ignored", key)
        return self.done.get(key)

    def run(self, batch: list, stage: str, warm: bool = False) -> None:
        """Lay out each (job, key) of ``batch`` not known yet, in parallel. The cache's
        entries are read and checked while the parts it lacks are laid out (after an edit:
        while the edited chapter is); an entry found wrong is laid out after."""
        todo: list[tuple[Any, str]] = []
        kept: list[tuple[Any, str]] = []
        for job, key in batch:
            if key in self.done or any(key == k for _, k in todo + kept):
                continue
            (kept if self.cache is not None and self.cache.has(key) else todo).append((job, key))

        def read_kept() -> None:
            for job, key in kept:
                self.get(job, key)

        self._lay_out(todo, stage, warm, read_kept)
        self._lay_out([(job, key) for job, key in kept if key not in self.done], stage, False, None)

    def _lay_out(self, todo: list, stage: str, warm: bool, meanwhile) -> None:
        if not todo:
            if meanwhile:
                meanwhile()
            return
        started = time.perf_counter()
        weasy.stylesheets(self.paper)  # parsed once (per process) here, before the workers are forked
        laid = pool.run([j for j, _ in todo], _work, self.workers, warm, meanwhile=meanwhile)
        for (job, key), layout in zip(todo, laid, strict=True):
            self.done[key] = layout
            self.laid_out.append(job.key)
            log.info("laid out %s: %d pages in %.2f s", job.label, layout.pages, layout.seconds)
            if self.cache:
                self.cache.put(key, layout)
        self.rounds.append(
            {"wall": time.perf_counter() - started, "parts": [[job.key, self.done[key].seconds] for job, key in todo]}
        )
        if todo:
            timings.record(stage, started, time.perf_counter())


@dataclass
class Plan:
    """The book cut into parts, with what the last build (the cache's hints) says they need."""

    parts: Parts
    sources: list[PartSource]
    owner: dict[str, int]  # id → the index of the part that has it
    foreign: list[frozenset[str]]  # per part: the ids it links to in other parts
    css: str
    variant: str | None
    cache: PartCache | None
    hints: dict
    numbers: dict[str, str | None]
    guessed: list[dict[str, str]]
    strings: list[dict[str, str]]
    workers: int
    salt: str
    paper: str = "A4"
    memo: Memo | None = None  # the hyphenated chapters kept

    def job(self, src: PartSource, numbers: dict[str, str | None], strings: dict[str, str]):
        return job_for(
            self.parts,
            src,
            numbers=numbers,
            strings=strings,
            foreign=self.foreign[src.index],
            paper=self.paper,
            pdf_variant=self.variant,
            book_css=self.css,
            salt=self.salt,
        )


def plan(book: Book, options: RenderOptions) -> Plan:
    cfg = book.config
    memo = Memo(options.cache_dir / "hyphens") if options.cache_dir else None
    with timings.stage("assemble"):
        css = book_css(book)
        parts = assemble_parts(book, hyphenate=True, colophon="pdf", memo=memo)
        sources = cut(parts)
    owner: dict[str, int] = {}
    for src in sources:
        for anchor in src.ids:
            owner.setdefault(anchor, src.index)
    foreign = [frozenset(t for t in src.links if owner.get(t, src.index) != src.index) for src in sources]
    cache = PartCache(options.cache_dir / "pdf") if options.cache_dir else None
    hints = cache.hints() if cache else {}
    numbers: dict[str, str | None] = {k: v for k, v in hints.get("numbers", {}).items() if isinstance(v, str)}
    hinted = hints.get("strings", {})
    guessed = guess_strings(sources)
    # The fonts' configuration is part of every key (salt): set it before the keys are
    # made, as every layout does, or the chapter PDFs made after the release PDF in the
    # same process miss every part it just laid out.
    weasy.isolate_fontconfig()
    return Plan(
        parts=parts,
        sources=sources,
        owner=owner,
        foreign=foreign,
        css=css,
        variant=None if cfg.pdf_variant == "none" else cfg.pdf_variant,
        cache=cache,
        hints=hints,
        numbers=numbers,
        guessed=guessed,
        strings=[hinted.get(src.key, guessed[src.index]) for src in sources],
        workers=options.jobs or pool.default_jobs(),
        salt=salt(),
        paper=cfg.paper,
        memo=memo,
    )


def render_parts(book: Book, target: Path, options: RenderOptions) -> RenderResult:
    """Write the release PDF of ``book`` to ``target`` from separately laid-out parts."""
    begin = time.perf_counter()
    cfg = book.config
    p = plan(book, options)
    sources, owner, guessed, cache, workers, css = p.sources, p.owner, p.guessed, p.cache, p.workers, p.css
    numbers, strings, key_salt = p.numbers, p.strings, p.salt
    store = Layouts(cache, workers, p.paper)
    prepared = time.perf_counter() - begin

    jobs = [p.job(src, numbers, strings[src.index]) for src in sources]
    keys = [job.digest(key_salt) for job in jobs]
    outputs = Outputs(cache.folder / "outputs") if cache else None
    lang = cfg.language or "en"

    def output_key(keys: list[str]) -> str:
        """The PDF's inputs, when its parts are laid out by the jobs of these keys (the
        last round's: what the next build, given the numbers it settled on, starts from)."""
        settings = (workers, cfg.paper, lang, css, book.edition.name, book.short_names, pdf_meta(book))
        return inputs_key("release", key_salt, keys, *settings)

    if outputs is not None and (same := outputs.reuse(output_key(keys), options.previous, target)) is not None:
        return same
    ready()
    # A part whose numbers are unknown and whose page count no one needs (the Index)
    # waits for the numbers instead of being laid out twice.
    waits = deferrable(sources, owner)
    layouts: list[PartLayout] = []
    for round_no in range(1, MAX_ROUNDS + 1):
        if round_no > 1:
            jobs = [p.job(src, numbers, strings[src.index]) for src in sources]
            keys = [job.digest(key_salt) for job in jobs]
        waiting = {i for i in waits if any(t not in numbers for t in sources[i].numbered)}
        store.run(
            [(job, key) for i, (job, key) in enumerate(zip(jobs, keys, strict=True)) if i not in waiting],
            f"layouts, round {round_no}",
            warm=round_no == 1,
        )
        found = [store.done.get(key) for key in keys]
        settled = settle(sources, found, guessed)
        wanted = [{t: settled.numbers.get(t) for t in src.numbered} for src in sources]
        given = [dict(job.numbers) for job in jobs]
        if settled.complete:
            layouts = [layout for layout in found if layout is not None]
            if wanted == given and settled.strings == [dict(job.strings) for job in jobs]:
                break
        log.info("round %d: numbers or strings moved, laying out again where they did", round_no)
        numbers, strings = settled.numbers, settled.strings
    else:
        raise BuildError(f"the PDF's page numbers did not settle after {MAX_ROUNDS} layouts")
    names = tuple(name for layout in layouts for name in layout.names)
    footer_list = footer_jobs(names, cfg.paper, lang, workers, css, book.edition.name)
    footer_batch = [(job, job.digest(key_salt)) for job in footer_list]
    store.run(footer_batch, "footers")
    footers = [store.done[key] for _, key in footer_batch]
    warnings = [RenderWarning("pdf", w) for layout in layouts for w in layout.warnings]
    warnings += [RenderWarning("pdf", w) for footer in footers for w in footer.warnings]
    started = time.perf_counter()
    from .combine import combine  # (pikepdf: loaded only when a PDF is made)

    with timings.stage("combine"):
        warnings += [
            RenderWarning("pdf", w)
            for w in combine(layouts, footers, target, aliases=book.short_names, meta=pdf_meta(book))
        ]
    if cache:
        cache.save_timings(
            {
                "jobs": workers,
                "prepare": prepared,
                "rounds": store.rounds,
                "combine": time.perf_counter() - started,
                "render": time.perf_counter() - begin,
                "pages": {layout.key: layout.pages for layout in layouts},
            }
        )
        cache.save_hints(
            {
                "numbers": {k: v for k, v in settled.numbers.items() if v is not None},
                "strings": {src.key: settled.strings[src.index] for src in sources},
                "pages": {layout.key: layout.pages for layout in layouts},
                "latest": {src.key: key for src, key in zip(sources, keys, strict=True)},
            }
        )
        cache.prune(set(keys) | {key for _, key in footer_batch})
    if p.memo is not None:
        p.memo.entries.prune()
    result = RenderResult(pages=sum(layout.pages for layout in layouts), warnings=warnings, laid_out=store.laid_out)
    if outputs is not None:
        outputs.keep(output_key(keys), target, result)
    return result
