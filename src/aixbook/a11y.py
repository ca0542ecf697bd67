"""Accessibility: the alt texts the book makes up, and what authors should fix.

``fill_alt_texts`` gives images without alt text a short one in the outputs.
``author_checks`` reports, with file and line, what makes the content harder
to use with a screen reader: skipped heading levels, empty table headers,
images without alt text (naming the alt the book will use), and links whose
text is only a URL or "here". They are warnings: ``check --strict`` counts them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from .diagnostics import Diagnostic
from .htmlfrag import add_class, is_permalink_line, remove_keep_tail, text_of
from .locate import Locator
from .model import Heading, Source

_HEADINGS = ("h2", "h3", "h4", "h5", "h6")
# Link texts that say nothing about where the link goes.
_VAGUE = {"here", "click here", "this", "this link", "link", "read more", "more", "see here", "this page"}
_URL_TEXT = re.compile(r"^(?:https?://|www\.)\S+$", re.I)


def _squash(text: str) -> str:
    return " ".join(text.split())


def alt_for(img: etree._Element, heading: str) -> str:
    """The alt text the book gives an image that has none: its title, its figure's caption,
    else the section it illustrates."""
    caption = (img.get("title") or "").strip()
    fig = next((a for a in img.iterancestors() if a.tag == "figure"), None)
    cap = fig.find("figcaption") if fig is not None else None
    if not caption and cap is not None:
        caption = _squash(text_of(cap))
    return caption or f"Figure in “{heading}”"


def _images_without_alt(root: etree._Element, title: str):
    """(image, the section heading it is under) for each image without alt text."""
    heading = title
    for el in root.iter(etree.Element):
        if el.tag in _HEADINGS:
            heading = _squash(text_of(el)) or heading
        elif el.tag == "img" and not (el.get("alt") or "").strip():
            yield el, heading


def fill_alt_texts(root: etree._Element, title: str) -> None:
    """Give images without alt text one (screen readers, PDF/UA, EPUB), marked
    ``data-alt-generated`` so no renderer claims an author wrote it; decorative images
    (``role="presentation"``) get an empty alt."""
    for img, heading in list(_images_without_alt(root, title)):
        if img.get("role") == "presentation":
            img.set("alt", "")
            continue
        img.set("alt", alt_for(img, heading))
        img.set("data-alt-generated", "1")


def skipped_levels(headings: tuple[Heading, ...]) -> list[tuple[Heading, int]]:
    """Each heading that skips a level, with the level it should have. The page's title is
    the level-1 heading every chapter starts with."""
    out = []
    prev = 1
    for h in headings:
        if h.level > prev + 1:
            out.append((h, prev + 1))
        prev = h.level
    return out


def author_checks(root: etree._Element, source: Source, headings: tuple[Heading, ...]) -> list[Diagnostic]:
    """Accessibility warnings for one chapter (its sanitized tree, before links are resolved)."""
    path = source.path
    diags = [
        Diagnostic(
            "warning",
            f"heading '{h.text}' is level {h.level} right under a level-{want - 1} heading: "
            f"it skips level {want} (screen readers navigate by level)",
            path,
            h.line,
            "heading-skip",
        )
        for h, want in skipped_levels(headings)
    ]
    locator = Locator(source)
    for row in root.iter("tr"):
        cells = [c for c in row if c.tag == "th"]
        empty = [i for i, c in enumerate(row) if c.tag == "th" and not text_of(c).strip()]
        if cells and empty:
            texts = [_squash(text_of(c)) for c in cells if text_of(c).strip()]
            diags.append(
                Diagnostic(
                    "warning",
                    f"table header cell {empty[0] + 1} is empty"
                    + (f" (the row: {' | '.join(texts)})" if texts else "")
                    + "; a screen reader announces nothing for its column",
                    path,
                    locator.line_of_row(texts),
                    "empty-table-header",
                )
            )
    for table in root.iter("table"):
        for row, missing, width in short_rows(table):
            texts = [_squash(text_of(c)) for c in row if c.tag in ("td", "th") and text_of(c).strip()]
            diags.append(
                Diagnostic(
                    "warning",
                    f"table row has {width - missing} of the table's {width} columns"
                    + (f" (the row: {' | '.join(texts)})" if texts else "")
                    + "; the book pads it with empty cells",
                    path,
                    locator.line_of_text(texts[0][:40]) if texts else locator.first,
                    "short-table-row",
                )
            )
    for img, heading in _images_without_alt(root, source.title):
        if img.get("role") == "presentation":
            continue
        src = img.get("src") or ""
        diags.append(
            Diagnostic(
                "warning",
                f"image {src} has no alt text; the book uses '{alt_for(img, heading)}'",
                path,
                locator.line(src),
                "missing-alt",
            )
        )
    for a in root.iter("a"):
        text = _squash(text_of(a))
        href = a.get("href") or ""
        if not href or (not text and len(a)) or is_permalink_line(a):
            continue  # a section's "Permalink:" line shows its address on purpose
        if _URL_TEXT.match(text) or text.lower().strip(".:!") in _VAGUE:
            what = "a URL" if _URL_TEXT.match(text) else f"“{text}”"
            diags.append(
                Diagnostic(
                    "warning",
                    f"link text is only {what}; say where it goes (listed out of context, it means nothing)",
                    path,
                    locator.line(href),
                    "vague-link-text",
                )
            )
    return diags


def lift_headings(root: etree._Element) -> None:
    """Renumber headings that skip a level (``####`` right under ``##``) so the outline has
    no gaps for screen readers, PDF/UA and EPUB checkers. The author's level stays as the
    class ``level-N``, which the stylesheets use to keep the heading's look. The chapter's
    own title is the level-1 heading above them all."""
    stack: list[tuple[int, int]] = []  # (author's level, output level)
    for el in root.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        author = int(el.tag[1])
        while stack and stack[-1][0] >= author:
            stack.pop()
        out = min(author, (stack[-1][1] if stack else 1) + 1)
        stack.append((author, out))
        if out != author:
            el.tag = f"h{out}"
            add_class(el, f"level-{author}")


def label_checkboxes(root: etree._Element) -> None:
    """Task-list checkboxes get their item's text as accessible name (a bare checkbox is
    announced as "checkbox, not checked" and nothing else)."""
    for box in root.iter("input"):
        if box.get("type") != "checkbox" or box.get("aria-label"):
            continue
        item = next((a for a in box.iterancestors() if a.tag == "li"), None)
        if item is None:
            continue
        parts = [item.text or ""]
        for child in item:
            if child.tag in ("ul", "ol"):
                break
            parts.append(text_of(child) if child is not box else "")
            parts.append(child.tail or "")
        box.set("aria-label", _squash("".join(parts)) or "task")


def fill_empty_headers(root: etree._Element) -> None:
    """An empty header cell names no column. Right after another header cell (a title row
    such as "| **Tool: X** | |") it is merged into that cell, which then spans both columns;
    anywhere else it becomes an ordinary cell."""
    for th in list(root.iter("th")):
        if text_of(th).strip() or any(img.get("alt") for img in th.iter("img")):
            continue
        prev = th.getprevious()
        if prev is not None and prev.tag == "th" and text_of(prev).strip():
            span = int(prev.get("colspan", "1")) if (prev.get("colspan") or "1").isdigit() else 1
            prev.set("colspan", str(span + 1))
            remove_keep_tail(th)
        else:
            th.tag = "td"


def cell_span(cell, name: str) -> int:
    """A table cell's ``colspan`` or ``rowspan`` as a browser reads it (1 unless a number,
    at most 1000); ``cell`` is any element with ``get`` (lxml or ElementTree)."""
    value = (cell.get(name) or "1").strip()
    return max(1, min(int(value), 1000)) if value.isdigit() else 1


def short_rows(table: etree._Element) -> list[tuple[etree._Element, int, int]]:
    """Rows of ``table`` (not of tables inside it) that fill fewer columns than its widest
    row, counting column and row spans: (row, columns missing, table width). PDF/UA wants
    every row as wide as the table; HTML leaves the rest of a short row empty."""
    rows = [r for r in table.iter("tr") if next(r.iterancestors("table")) is table]
    filled: list[int] = [0] * len(rows)
    for i, row in enumerate(rows):
        for cell in row:
            if cell.tag not in ("td", "th"):
                continue
            cols, down = cell_span(cell, "colspan"), cell_span(cell, "rowspan")
            for r in range(i, min(i + down, len(rows))):
                filled[r] += cols
    width = max(filled, default=0)
    return [(row, width - n, width) for row, n in zip(rows, filled, strict=True) if n < width]


def pad_short_rows(root: etree._Element) -> None:
    """Give every short table row empty cells up to the table's width."""
    for table in list(root.iter("table")):
        for row, missing, _ in short_rows(table):
            for _ in range(missing):
                etree.SubElement(row, "td")


@dataclass(frozen=True)
class Facts:
    """What a book's output makes true, measured on it: the accessibility metadata may
    claim only these."""

    headings_in_order: bool  # no heading skips a level, in any chapter
    tables_headed: bool  # every table has header cells, and none is empty
    images_described: bool  # every image has alt text (or is marked decorative)
    inputs_labelled: bool  # every form control has an accessible name

    @property
    def all_true(self) -> bool:
        return self.headings_in_order and self.tables_headed and self.images_described and self.inputs_labelled


def measure(chapters: list[list[etree._Element]]) -> Facts:
    """Facts about the output, each chapter given as the trees it was written in (in order)."""
    ordered = headed = described = labelled = True
    for trees in chapters:
        prev = 0
        for tree in trees:
            for el in tree.iter(etree.Element):
                tag = el.tag if isinstance(el.tag, str) else ""
                if re.fullmatch(r"h[1-6]", tag):
                    level = int(tag[1])
                    ordered &= level <= prev + 1
                    prev = level
                elif tag == "table":
                    ths = list(el.iter("th"))
                    headed &= bool(ths) and all(text_of(th).strip() for th in ths)
                elif tag == "img":
                    described &= bool((el.get("alt") or "").strip()) or el.get("role") == "presentation"
                elif tag == "input":
                    labelled &= bool(el.get("aria-label") or el.get("title"))
    return Facts(ordered, headed, described, labelled)
