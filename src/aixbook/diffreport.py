"""``aixbook diff`` reports, in report.py's three dialects.

- ``text``: one line per changed section, short link and new diagnostic;
- ``github``: one ``::notice`` per added, changed or moved section at its heading's line
  (and the new diagnostics as check writes them), and a Markdown step summary;
- ``json``: one document, ``DIFF_VERSION``, described by ``schemas/diff.schema.json``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic
from .diff import BookDiff, Section, SectionChange, ShortChange, Side
from .report import github_line, one_line, relative, repository_root

DIFF_VERSION = 1
SCHEMA = Path(__file__).parent / "schemas" / "diff.schema.json"
STATUSES = ("added", "changed", "moved", "removed")
CITATIONS = "citations of this link now land elsewhere"


def _name(s: Section) -> str:
    return s.chapter_title if s.level == 0 else f"{s.chapter_title} › {s.title}"


def _words(c: SectionChange) -> str:
    return f"+{c.words_added} −{c.words_removed} words"


def describe(c: SectionChange) -> str:
    """One change, as a sentence without its place."""
    s = c.section
    if c.status == "added":
        return f"added: {_name(s)} ({c.words_added} words)"
    if c.status == "removed":
        return f"removed: {_name(s)} ({c.words_removed} words)"
    assert c.old is not None and c.new is not None
    retitled = f", title was “{c.old.title}”" if c.title_changed else ""
    if c.status == "changed":
        return f"changed: {_name(s)} ({_words(c)}{retitled})"
    also = f"; {_words(c)}" if c.words_added or c.words_removed else ""
    return f"moved: {_name(s)} (from {c.old.where} to {c.new.where}{also}{retitled})"


def describe_short(s: ShortChange) -> str:
    if s.status == "added":
        return f"short link /go/{s.name}/ added: {s.new}"
    if s.status == "removed":
        broken = " (it no longer resolves: citations of it break)" if s.broken else ""
        return f"short link /go/{s.name}/ removed: was {s.old}{broken}"
    if s.broken:
        return f"short link /go/{s.name}/ broken: was {s.old}, now {s.new} (citations of it break)"
    return f"short link /go/{s.name}/ retargeted: {s.old} → {s.new} ({CITATIONS})"


def _side_name(side: Side) -> str:
    return side.label + (f" ({side.revision[:12]})" if side.revision else "")


def headline(d: BookDiff) -> str:
    counts = ", ".join(f"{d.count(s)} {s}" for s in STATUSES)
    return f"{_side_name(d.old)} → {_side_name(d.new)}: sections {counts}, {d.unchanged} unchanged"


def as_text(d: BookDiff) -> str:
    lines = [headline(d)]
    for c in d.sections:
        place = c.new or c.old
        assert place is not None
        side = d.new if c.new is not None else d.old
        lines.append(f"  {one_line(describe(c))}  [{side.rel(place.path)}:{place.line}]")
    lines.append(f"short links: {_short_counts(d)}")
    lines += [f"  {one_line(describe_short(s))}" for s in d.shorts]
    lines.append(f"new diagnostics: {len(d.diagnostics)}")
    lines += [f"  {one_line(_located(d.new, x))}" for x in d.diagnostics]
    if d.pdfs is not None:
        lines.append(pdf_sentence(d))
    return "\n".join(lines)


def pdf_sentence(d: BookDiff) -> str:
    assert d.pdfs is not None
    a, b = d.pdfs
    where = f"{relative(a.path, None)}, {relative(b.path, None)}"
    return f"release PDF: {a.pages} pages → {b.pages} pages ({b.pages - a.pages:+d}); {where}"


def _located(side: Side, x: Diagnostic) -> str:
    place = side.rel(x.path) if x.path is not None else ""
    at = f"{place}:{x.line}: " if place and x.line else (f"{place}: " if place else "")
    return f"{at}{x.severity}: {x.message}"


def _short_counts(d: BookDiff) -> str:
    n = {s: sum(1 for x in d.shorts if x.status == s) for s in ("added", "removed", "retargeted")}
    broken = len(d.broken_permalinks)
    return f"{n['added']} added, {n['removed']} removed, {n['retargeted']} retargeted, {broken} broken"


# ------------------------------------------------------------ GitHub


def github_lines(d: BookDiff) -> list[str]:
    """Workflow commands: a notice per added, changed or moved section at its heading's
    line in NEW, and each new diagnostic as ``aixbook check`` writes it."""
    root = repository_root(d.new.root)
    out = []
    for c in d.sections:
        if c.new is None:
            continue
        note = Diagnostic("info", describe(c), c.new.path, c.new.line, code=f"section-{c.status}")
        out.append(github_line(note, root))
    out += [github_line(x, root) for x in d.diagnostics]
    return out


def _cell(text: str) -> str:
    return one_line(text).replace("|", "\\|")


def step_summary(d: BookDiff) -> str:
    """The Markdown summary: counts, a table of the changed sections, the short links."""
    out = [f"### aixbook diff: {_cell(_side_name(d.old))} → {_cell(_side_name(d.new))}", ""]
    out += ["| sections | short links | new diagnostics |", "|---|---|---:|"]
    counts = ", ".join(f"{d.count(s)} {s}" for s in STATUSES) + f", {d.unchanged} unchanged"
    out += [f"| {counts} | {_short_counts(d)} | {len(d.diagnostics)} |", ""]
    if d.sections:
        out += ["| change | section | where | words |", "|---|---|---|---:|"]
        for c in d.sections:
            s = c.section
            where = c.new.where if c.new is not None else c.section.where
            if c.status == "moved" and c.old is not None:
                where = f"{c.old.where} → {where}"
            out.append(f"| {c.status} | {_cell(_name(s))} | `{_cell(where)}` | +{c.words_added} −{c.words_removed} |")
        out.append("")
    if d.shorts:
        out += ["| short link | change | before | after |", "|---|---|---|---|"]
        for x in d.shorts:
            status = x.status + (" (breaks citations)" if x.status == "retargeted" or x.broken else "")
            out.append(f"| `/go/{_cell(x.name)}/` | {status} | {_cell(x.old) or '–'} | {_cell(x.new) or '–'} |")
        out.append("")
    if d.pdfs is not None:
        out += [_cell(pdf_sentence(d)), ""]
    if d.diagnostics:
        out += ["New diagnostics:", ""] + [f"- {_cell(_located(d.new, x))}" for x in d.diagnostics] + [""]
    return "\n".join(out)


def write_step_summary(d: BookDiff) -> str | None:
    """Append the summary to ``$GITHUB_STEP_SUMMARY``; without it, return it (to print)."""
    text = step_summary(d)
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return text
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(text)
    return None


# ------------------------------------------------------------ JSON


def _place(side: Side, s: Section | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "chapter": s.chapter,
        "chapter_title": s.chapter_title,
        "id": s.id,
        "title": s.title,
        "level": s.level,
        "path": side.rel(s.path),
        "line": s.line,
    }


def as_data(d: BookDiff) -> dict[str, Any]:
    def side(s: Side) -> dict[str, Any]:
        return {
            "label": s.label,
            "revision": s.revision,
            "chapters": len(s.book.chapters),
            "sections": len(s.sections),
            "short_links": len(s.shorts),
        }

    return {
        "version": DIFF_VERSION,
        "old": side(d.old),
        "new": side(d.new),
        "summary": {
            **{s: d.count(s) for s in STATUSES},
            "unchanged": d.unchanged,
            "short_links": {s: sum(1 for x in d.shorts if x.status == s) for s in ("added", "removed", "retargeted")}
            | {"broken": len(d.broken_permalinks)},
            "new_diagnostics": len(d.diagnostics),
        },
        "sections": [
            {
                "status": c.status,
                "title": c.section.title,
                "old": _place(d.old, c.old),
                "new": _place(d.new, c.new),
                "words_added": c.words_added,
                "words_removed": c.words_removed,
                "title_changed": c.title_changed,
            }
            for c in d.sections
        ],
        "short_links": [
            {"name": x.name, "status": x.status, "old": x.old or None, "new": x.new or None, "broken": x.broken}
            for x in d.shorts
        ],
        "pdf": None
        if d.pdfs is None
        else {
            "old": {"pages": d.pdfs[0].pages, "path": str(d.pdfs[0].path)},
            "new": {"pages": d.pdfs[1].pages, "path": str(d.pdfs[1].path)},
        },
        "diagnostics": [
            {
                "severity": x.severity,
                "code": x.code,
                "path": d.new.rel(x.path) if x.path is not None else None,
                "line": x.line,
                "message": x.message,
            }
            for x in d.diagnostics
        ],
    }


def as_json(d: BookDiff) -> str:
    return json.dumps(as_data(d), indent=2, ensure_ascii=False)
