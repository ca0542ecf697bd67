"""How a PDF is set, as a book designer reads it, measured with pymupdf: automatic hyphens
at line ends, runs of hyphenated lines, breaks leaving fewer than 3 letters, lines that
hold only a word fragment, words split across a page turn, pages that end with a bold
label (or a heading's Category/Permalink line) and one line of its text, pages whose
text stops high up that are not a chapter's end.

A hyphen at a line end is automatic when the word it splits is written without that
hyphen in the book's text (``source``: the one-page HTML's text): "decision-/making" is
the author's hyphen, "Mitiga-/tion" is the typesetter's.

Run as a script to print the measurements of a PDF:
``python tests/typeset_facts.py book.pdf book.html``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

import pymupdf

HYPHENS = "-\u2010"
_LETTERS = re.compile(r"[^\W\d_]+")
_HEAD = 62.0  # the running head sits above this (points from the top of an A4 page)
_FOOT = 785.0  # the page number below this
_FRAME = (62.0, 780.0)  # the text frame, top and bottom


@dataclass(frozen=True)
class Line:
    page: int  # 0-based
    block: int
    text: str
    y0: float
    y1: float
    bold: bool  # every span bold
    italic: bool  # every span italic


@dataclass
class Break:
    """An automatic hyphen: the line that ends with it and the one that continues it."""

    page: int
    before: str  # the word's part before the hyphen (letters of its last segment)
    after: str  # the part after it, on the next line
    line: Line
    next: Line

    @property
    def word(self) -> str:
        return self.before + self.after


@dataclass
class Facts:
    breaks: list[Break] = field(default_factory=list)
    runs3: list[tuple[int, list[str]]] = field(default_factory=list)  # (page, the words)
    short: list[Break] = field(default_factory=list)  # fewer than 3 letters on a side
    fragment_lines: list[tuple[int, str]] = field(default_factory=list)
    page_turns: list[Break] = field(default_factory=list)
    label_ends: list[tuple[int, str]] = field(default_factory=list)  # (page, the label)
    empty_pages: list[tuple[int, float]] = field(default_factory=list)  # (page, share filled)
    pages: int = 0

    def summary(self) -> dict[str, int]:
        return {
            "pages": self.pages,
            "automatic hyphens": len(self.breaks),
            "pages with hyphens": len({b.page for b in self.breaks}),
            "runs of 3": len(self.runs3),
            "short breaks": len(self.short),
            "fragment lines": len(self.fragment_lines),
            "page-turn breaks": len(self.page_turns),
            "label + one line page ends": len(self.label_ends),
            "pages filled < 75% (not chapter ends)": len(self.empty_pages),
        }


def body_lines(page: pymupdf.Page, number: int) -> list[Line]:
    """The page's text lines inside the frame (no running head, no page number), in each
    block's order, blocks top to bottom."""
    out = []
    for b in page.get_text("dict")["blocks"]:
        for ln in b.get("lines", []):
            spans = [s for s in ln["spans"] if s["text"].strip()]
            if not spans:
                continue
            _, y0, _, y1 = ln["bbox"]
            if y1 <= _HEAD or y0 >= _FOOT:
                continue
            text = "".join(s["text"] for s in ln["spans"]).strip()
            bold = all(s["flags"] & 16 or "Bold" in s["font"] for s in spans)
            italic = all(s["flags"] & 2 or "Italic" in s["font"] for s in spans)
            out.append(Line(number, b["number"], text, y0, y1, bold, italic))
    # pymupdf lists list bullets after the text: order blocks by where they start.
    first: dict[int, tuple[float, float]] = {}
    for ln in out:
        first.setdefault(ln.block, (ln.y0, ln.y1))
    return sorted(out, key=lambda ln: first[ln.block])


def _hyphen_break(line: Line, nxt: Line, source: str) -> Break | None:
    text = line.text
    if len(text) < 2 or text[-1] not in HYPHENS or not text[-2].isalpha():
        return None
    head = re.split(r"[\s/\-\u2010]", text[:-1])[-1]
    before = "".join(_LETTERS.findall(head))
    m = re.match(r"[^\W\d_][\w]*", nxt.text)
    if not before or not m:
        return None
    after = m.group(0)
    # The author's hyphen ("decision-/making"): the words are written with it.
    if f"{head}-{after}" in source or f"{head}\u2010{after}" in source:
        return None
    return Break(line.page, before, after, line, nxt)


def measure(doc: pymupdf.Document, source: str, chapter_starts: set[int] | None = None) -> Facts:
    """Every fact above for ``doc``; ``source`` is the book's text with its own hyphens.
    ``chapter_starts``: pages (0-based) that open a chapter; default: those without a
    running head."""
    source = source.replace("\u00ad", "")
    facts = Facts(pages=len(doc))
    pages = [body_lines(page, i) for i, page in enumerate(doc)]
    if chapter_starts is None:
        chapter_starts = {
            i
            for i, page in enumerate(doc)
            if not [b for b in page.get_text("blocks") if b[3] <= _HEAD and b[4].strip()]
        }
    for i, lines in enumerate(pages):
        run: list[Break] = []
        for j, line in enumerate(lines):
            nxt = lines[j + 1] if j + 1 < len(lines) else None
            same_block = nxt is not None and nxt.block == line.block
            if nxt is None and i + 1 < len(pages) and pages[i + 1]:
                nxt = pages[i + 1][0]
            brk = _hyphen_break(line, nxt, source) if nxt is not None else None
            if brk is None or not (same_block or nxt.page != line.page):
                if len(run) >= 3:
                    facts.runs3.append((i, [b.word for b in run]))
                run = []
                continue
            facts.breaks.append(brk)
            run.append(brk)
            if len(brk.before) < 3 or len(brk.after) < 3:
                facts.short.append(brk)
            if nxt.page != line.page:
                facts.page_turns.append(brk)
            if " " not in line.text.strip():
                facts.fragment_lines.append((i, line.text))
            last_of_block = j + 2 >= len(lines) or lines[j + 2].block != nxt.block
            if same_block and last_of_block and " " not in nxt.text.strip():
                facts.fragment_lines.append((i, nxt.text))
        if len(run) >= 3:
            facts.runs3.append((i, [b.word for b in run]))
        # A label whose one line of text is all there is (the next page opens another
        # label or a heading) is a complete section, not one cut after its first line.
        following = pages[i + 1][0] if i + 1 < len(pages) and pages[i + 1] else None
        if following is None or not following.bold:
            facts.label_ends.extend((i, label) for label in _label_end(lines))
        if lines and i + 1 < len(pages) and (i + 1) not in chapter_starts and i not in chapter_starts:
            # What a reader sees ends with the lowest line, image (a figure at the foot) or
            # drawn box (a callout's border, a table's rules) inside the frame.
            images = [info["bbox"][3] for info in doc[i].get_image_info()]
            boxes = [d["rect"].y1 for d in doc[i].get_drawings() if d["rect"].y0 > _HEAD]
            bottom = max([ln.y1 for ln in lines] + [y for y in images + boxes if y < _FOOT])
            filled = (bottom - _FRAME[0]) / (_FRAME[1] - _FRAME[0])
            if filled < 0.75:
                facts.empty_pages.append((i, round(filled, 2)))
    return facts


def _label_end(lines: list[Line]) -> list[str]:
    """The label when the page ends with a label (a short all-bold line: "Description",
    or a heading's italic Category/Permalink line) and one line of what follows."""
    if len(lines) < 3:
        return []
    bottom = sorted(lines, key=lambda ln: (ln.y1, ln.y0))
    last, label = bottom[-1], bottom[-2]
    if last.bold or last.italic or label.y1 > last.y0 + 2:
        return []  # the last line is a label itself, or the label sits beside it (a table row)
    opens_block = next(ln for ln in lines if ln.block == label.block) is label
    if label.bold and len(label.text) < 60 and opens_block:
        return [label.text]
    if label.italic and (label.text.startswith(("Category", "Permalink")) or "/go/" in label.text):
        return [label.text]
    return []


def main(argv: list[str]) -> None:
    from lxml import html

    pdf, source_html = argv[1], argv[2]
    source = html.parse(source_html).getroot().text_content()
    facts = measure(pymupdf.open(pdf), source)
    for key, value in facts.summary().items():
        print(f"{key:40} {value}")
    print("runs of 3:", facts.runs3[:8])
    print("short:", [(b.page + 1, b.before, b.after) for b in facts.short[:12]])
    print("fragments:", [(p + 1, t) for p, t in facts.fragment_lines[:12]])
    print("page turns:", [(b.page + 1, b.word) for b in facts.page_turns[:12]])
    print("label ends:", [(p + 1, t) for p, t in facts.label_ends])
    print("empty pages:", [(p + 1, f) for p, f in facts.empty_pages])


if __name__ == "__main__":
    main(sys.argv)
