"""Whether a table is small enough to be kept whole on one page of the print edition.

A table kept whole that does not fit where it stands moves to the next page and leaves
the rest of this one empty, up to its own height. So a table may be kept whole only when
it is at most a third of the text frame high: the gap it can leave is then at most a
third of a page. A taller one may break between rows (print.css keeps two body rows on
each side of a break and repeats the header row), but never inside the rows a cell
spans: the continuation page would show that cell blank (``hold_spans``).

The height is estimated from the text, as print.css sets tables (8.8 pt type on 11.5 pt
lines, about 4.2 pt a character, the text frame of an A4 page shared out equally among
the columns): good enough to tell a nine-row table of paragraphs from a list of names.
"""

from __future__ import annotations

import math

FRAME_WIDTH = 476.0  # points: A4 less print.css's margins
FRAME_HEIGHT = 717.0
LINE = 11.5  # a table line, points
ROW_EXTRA = 5.5  # a row's padding and rule
CHAR = 4.2  # an average character of the tables' sans at 8.8 pt
CELL_PADDING = 8.0


def estimated_height(table, columns: int) -> float:
    """The table's height in points, roughly, as print.css sets it."""
    per_line = max(8.0, (FRAME_WIDTH / max(columns, 1) - CELL_PADDING) / CHAR)
    height = 0.0
    for row in table.iter("tr"):
        lines = 1
        for cell in row:
            if cell.tag not in ("td", "th"):
                continue
            text = " ".join("".join(cell.itertext()).split())
            span = cell.get("colspan") or "1"
            width = per_line * (int(span) if span.isdigit() else 1)
            paragraphs = sum(1 for _ in cell.iter("p"))
            breaks = sum(1 for _ in cell.iter("br", "li")) + max(0, paragraphs - 1)
            lines = max(lines, math.ceil(len(text) / width) + breaks)
        height += lines * LINE + ROW_EXTRA
    return height


def keep_whole(table, columns: int) -> bool:
    """A table at most a third of a page high: kept on one page."""
    return estimated_height(table, columns) <= FRAME_HEIGHT / 3


def hold_spans(table) -> None:
    """Mark each row that a cell spanning rows goes on past (``tr.span-open``): print.css
    breaks no page after it, so a row-spanning cell and its text stay on one page."""
    rows = list(table.iter("tr"))
    open_until = -1
    for i, row in enumerate(rows):
        for cell in row:
            span = cell.get("rowspan") or "1"
            if cell.tag in ("td", "th") and span.isdigit() and int(span) > 1:
                open_until = max(open_until, i + int(span) - 1)
        if i < open_until:
            classes = (row.get("class") or "").split()
            row.set("class", " ".join([*classes, "span-open"]))
