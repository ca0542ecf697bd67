#!/usr/bin/env python3
"""Chapter 2 of the real book laid out whole vs from the page before a one-line edit
(render/pdf/resume.py), in CPU seconds (``time.process_time``) in one process, the steps
interleaved over a few rounds (median).

    python bench/bench_resume.py [REPO] [--runs N] [--part KEY]

Each edit appends a sentence to a paragraph that starts on the page named (and one at
the part's end); "resumed" is finding the edit, laying out from the page before it to
where the pages meet the old ones again, cutting the old part's PDF around them and
combining the pieces; "whole" is laying the edited part out and combining it.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

ADDED = " This sentence was added to change one line of the paragraph."


def appended_on(document, page: int, html: str) -> str:
    """``html`` with a sentence added to a paragraph that starts on ``page``."""
    from aixbook.render.pdf import internals

    before = {box.element for i in range(page) for box in internals.page_box(document.pages[i]).descendants()}
    for box in internals.page_box(document.pages[page]).descendants():
        if box.element_tag != "p" or box.element in before:
            continue
        pieces = [t for t in box.element.itertext() if t.strip()]
        tail = pieces[-1][-25:] if pieces else ""
        if tail and not any(c in tail for c in "&<>\"'") and html.count(tail + "</p>") == 1:
            at = html.index(tail + "</p>") + len(tail)
            return html[:at] + ADDED + html[at:]
    raise LookupError(f"no paragraph to edit starts on page {page}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repo", nargs="?", default=str(ROOT.parent / "shared" / "corpus" / "ai-exchange"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--part", default="ch-2_threats_through_use")
    args = parser.parse_args()

    from aixbook.book import load_book
    from aixbook.render import RenderOptions
    from aixbook.render.pdf import resume
    from aixbook.render.pdf.combine import combine
    from aixbook.render.pdf.layout import lay_out
    from aixbook.render.pdf.pipeline import plan

    p = plan(load_book(Path(args.repo)), RenderOptions(jobs=1))
    src = next(s for s in p.sources if s.key == args.part)
    job = p.job(src, p.numbers, p.strings[src.index])
    gc.disable()
    old = lay_out(job)
    _, record, document = resume.lay_out_recorded(job)
    css = resume.part_css(job)
    edits = {f"edit on page {n}": appended_on(document, n, job.html) for n in (7, 22, 42) if n < record.pages}
    at = job.html.rindex("</p>")
    edits["edit at the end"] = job.html[:at] + ADDED + job.html[at:]
    out = Path(tempfile.mkdtemp(prefix="bench-resume-"))
    found: dict[str, tuple] = {}

    def whole(new):
        combine([lay_out(new)], [], out / "whole.pdf")

    def resumed(name, new):
        edit = resume.find_edit(resume._html(job).etree_element, resume._html(new).etree_element, css)
        piece, done = resume.lay_out_segment(new, record, resume.choose_k(record, edit), edit)
        pieces = [resume.trim(old, range(0, done.k)), piece]
        if done.sync is not None:
            pieces.append(resume.trim(old, range(done.sync, old.pages)))
        combine(pieces, [], out / "resumed.pdf")
        found[name] = (done.k, done.sync)

    steps = {}
    for name, html in edits.items():
        new = dataclasses.replace(job, html=html)
        steps[f"{name}: whole"] = lambda new=new: whole(new)
        steps[f"{name}: resumed"] = lambda name=name, new=new: resumed(name, new)
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(args.runs):
        for name, step in steps.items():
            gc.collect()
            start = time.process_time()
            step()
            times[name].append(time.process_time() - start)
    print(f"{args.part}: {record.pages} pages; CPU seconds, median of {args.runs}")
    for name in steps:
        edit = name.rsplit(":", 1)[0]
        k, sync = found.get(edit, (0, None))
        where = f"  pages {k}..{sync - 1 if sync else 'the end'} laid out" if name.endswith("resumed") else ""
        print(f"{name:<34}{statistics.median(times[name]):>7.2f}{where}")


if __name__ == "__main__":
    main()
