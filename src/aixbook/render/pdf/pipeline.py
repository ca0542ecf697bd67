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
from dataclasses import dataclass, field
from pathlib import Path

from ...assemble import assemble_parts
from ...errors import BuildError
from ...model import Book
from .. import RenderOptions, RenderResult, RenderWarning
from . import pool, weasy
from .combine import combine
from .footers import FooterJob, lay_out_footers
from .layout import PartLayout, lay_out
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
    starts: list[int] = field(default_factory=list)


def settle(sources: list[PartSource], layouts: list[PartLayout]) -> Settled:
    starts, page = [], 0
    for layout in layouts:
        starts.append(page)
        page += layout.pages
    numbers: dict[str, str | None] = {}
    for start, layout in zip(starts, layouts, strict=True):
        for anchor, index in layout.anchors.items():
            numbers.setdefault(anchor, str(start + index + 1))
    for src in sources:
        for target in src.numbered:
            numbers.setdefault(target, None)
    strings: list[dict[str, str]] = []
    carried: dict[str, str] = {}
    for layout in layouts:
        inherit = {k: v for k, v in carried.items() if k not in layout.assigned}
        strings.append(inherit)
        carried = {**inherit, **layout.assigned}
    return Settled(numbers, strings, starts)


def render_parts(book: Book, target: Path, options: RenderOptions) -> RenderResult:
    """Write the release PDF of ``book`` to ``target`` from separately laid-out parts."""
    cfg = book.config
    variant = None if cfg.pdf_variant == "none" else cfg.pdf_variant
    workers = options.jobs or pool.default_jobs()
    parts = assemble_parts(book)
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
    strings = [hinted.get(src.key, guessed[src.index]) for src in sources]
    weasy.stylesheets(cfg.paper)  # parsed once here, before the workers are forked
    key_salt = salt()
    done: dict[str, PartLayout] = {}
    laid_out: list[str] = []
    layouts: list[PartLayout] = []
    timings: dict = {"jobs": workers, "rounds": []}
    clock = time.perf_counter()
    for round_no in range(1, MAX_ROUNDS + 1):
        jobs = [
            job_for(
                parts,
                src,
                numbers=numbers,
                strings=strings[src.index],
                foreign=foreign[src.index],
                paper=cfg.paper,
                pdf_variant=variant,
            )
            for src in sources
        ]
        keys = [job.digest(key_salt) for job in jobs]
        todo: list = []
        for job, key in zip(jobs, keys, strict=True):
            if key in done:
                continue
            hit = cache.get(key) if cache else None
            if hit is not None:
                done[key] = hit
            elif key not in {k for _, k in todo}:
                todo.append((job, key))
        started = time.perf_counter()
        for (job, key), layout in zip(todo, pool.run([j for j, _ in todo], lay_out, workers), strict=True):
            done[key] = layout
            laid_out.append(job.key)
            log.info("laid out %s: %d pages in %.2f s", job.label, layout.pages, layout.seconds)
            if cache:
                cache.put(key, layout)
        timings["rounds"].append(
            {"wall": time.perf_counter() - started, "parts": [[job.key, done[key].seconds] for job, key in todo]}
        )
        layouts = [done[key] for key in keys]
        settled = settle(sources, layouts)
        wanted = [{t: settled.numbers.get(t) for t in src.numbered} for src in sources]
        given = [dict(job.numbers) for job in jobs]
        if wanted == given and settled.strings == [dict(job.strings) for job in jobs]:
            break
        log.info("round %d: numbers or strings moved, laying out again where they did", round_no)
        numbers, strings = settled.numbers, settled.strings
    else:
        raise BuildError(f"the PDF's page numbers did not settle after {MAX_ROUNDS} layouts")
    names = tuple(name for layout in layouts for name in layout.names)
    footer_job = FooterJob(names, cfg.paper, cfg.language or "en")
    footer_key = footer_job.digest(key_salt)
    footers = cache.get(footer_key) if cache else None
    if footers is None:
        footers = pool.run([footer_job], lay_out_footers, 1)[0]
        laid_out.append("footers")
        timings["footers"] = footers.seconds
        if cache:
            cache.put(footer_key, footers)
    warnings = [RenderWarning("pdf", w) for layout in layouts for w in layout.warnings]
    warnings += [RenderWarning("pdf", w) for w in footers.warnings]
    started = time.perf_counter()
    warnings += [RenderWarning("pdf", w) for w in combine(layouts, footers, target)]
    timings["combine"] = time.perf_counter() - started
    timings["render"] = time.perf_counter() - clock
    timings["pages"] = {layout.key: layout.pages for layout in layouts}
    if cache:
        cache.save_timings(timings)
        cache.save_hints(
            {
                "numbers": {k: v for k, v in settled.numbers.items() if v is not None},
                "strings": {src.key: settled.strings[src.index] for src in sources},
            }
        )
        cache.prune(set(keys) | {footer_key})
    return RenderResult(pages=sum(layout.pages for layout in layouts), warnings=warnings, laid_out=laid_out)
