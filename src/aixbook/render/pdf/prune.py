"""Laying out a part again from its page ``k`` (resume.py) without styling and boxing what
lies wholly on the pages before ``k``.

WeasyPrint computes the style and builds the box of every element of a document before
it lays out a page, also when only the pages from ``k`` on are laid out: after an edit
near the end of the real book's chapter 2 that is 0.3 s of a 0.4 s set-up, spent on
elements whose pages are the old ones. This module empties those elements (their
children and text removed; the element itself kept, with its attributes and tail), so
that they still give their parents the boxes they gave, and page ``k``'s skip stack
(child indices into the box tree) still points at the same boxes. An element is emptied
only where that provably holds:

- all of its content is on the pages before ``k``: the first element after it in
  document order that has a box in the flow (not a float, not in a table) starts on a
  page before ``k``; and no change of the edit is in it or in its tail;
- it is an element HTML lays out as a block (an emptied inline holding blocks would be
  split into fewer boxes), it holds no ``style`` or ``link``, and it is not inside an
  element laid out from all of its content at once (a table's column widths, flex, grid,
  columns, floats: ``Record.whole``);
- nothing in the stylesheets makes a style depend on what an element holds (``:has()``,
  ``:empty``), and no counter counts across elements (``counter-increment`` or
  ``counter-set``, footnotes); a list item is emptied only with its list, or on its own
  (an emptied ``li`` still counts for its list).

And it is checked: the record notes, for each page, which elements (document order
indices) its skip stack passes through (``path``); the emptied tree's boxes must give
page ``k`` the same path, or the part is laid out again from the whole tree
(``Mismatch``). The tests lay the same edits out with and without emptying and compare
the PDFs and records byte for byte.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any

#: Elements the HTML user-agent stylesheet lays out as blocks.
BLOCKS = frozenset(
    {"address", "article", "aside", "blockquote", "details", "dd", "div", "dl", "dt", "fieldset", "figure"}
    | {"footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol"}
    | {"p", "pre", "section", "table", "ul", "menu", "summary"}
)
_LISTS = frozenset({"ol", "ul", "menu"})
#: What in a stylesheet makes an element's boxes or a later element's text depend on an
#: emptied element's content.
_DEPENDS = re.compile(r":has\(|:empty|counter-increment|counter-set|float\s*:\s*(?:footnote|note)\b", re.I)


class Mismatch(Exception):
    """The emptied tree's boxes do not give page ``k`` the path the record has: lay out
    from the whole tree."""


def allowed(css: str) -> bool:
    """Whether the stylesheets ``css`` (all their text) let elements be emptied."""
    return _DEPENDS.search(css) is None


def prune(elements: list, parents: list[int], ends: list[int], record, k: int, before: int) -> list:
    """Empty, in place, each largest element of ``elements`` (the new document's, in
    document order, with ``parents`` and ``ends`` as resume._pre_order gives them) that
    lies wholly on the pages before ``k`` of ``record`` and before the element index
    ``before`` (the edit's first change: elements added or removed move the indices
    after it). Returns what was removed: the caller keeps it alive while the layout
    runs (elements are told apart by ``id()``)."""
    first = record.first_pages
    # Before the edit the old document order (the record's) and the new one agree.
    n = min(before, len(first), len(elements))
    inside = bytearray(n)  # strictly inside an element laid out from all its content
    out_of_flow = bytearray(n)  # such an element (a float, a table), or inside one
    for start, end in record.whole:
        end = min(end, n - 1)
        inside[start + 1 : end + 1] = b"\1" * max(0, end - start)
        out_of_flow[start : end + 1] = b"\1" * max(0, end + 1 - start)
    # the first page of the first element at or after each index that has a box in the
    # flow (a float may be placed on a page after its place in the text)
    starts = [10**9] * (n + 1)
    for i in range(n - 1, -1, -1):
        starts[i] = first[i] if first[i] >= 0 and not out_of_flow[i] else starts[i + 1]
    holds = sorted(i for i, el in enumerate(elements) if el.tag in ("style", "link"))
    removed: list = []

    def wholly_before(i: int) -> bool:
        end = ends[i]
        if end >= n or starts[end + 1] >= k or inside[i]:
            return False
        at = bisect_left(holds, i)
        if at < len(holds) and holds[at] <= end:
            return False
        for j in range(i + 1, end + 1):  # list items count for their own list only
            if elements[j].tag == "li" and (parents[j] < i or elements[parents[j]].tag not in _LISTS):
                return False
        return True

    body = next((i for i, el in enumerate(elements) if el.tag == "body"), None)
    todo = [body] if body is not None else []
    while todo:
        parent = todo.pop()
        j = parent + 1
        while j <= ends[parent] and j < n:  # the children of parent
            el = elements[j]
            if isinstance(el.tag, str) and el.tag in BLOCKS and wholly_before(j):
                removed.append(list(el))
                del el[:]
                el.text = None
            elif len(el) and first[j] < k:
                todo.append(j)
            j = ends[j] + 1
    return removed


def path(root_box, stack, order: dict[int, int]) -> list[Any]:
    """The boxes a skip stack passes through, as ``[[child index, element index,
    deeper], ...]`` (element index -1: a box of no element; deeper None: the stack ends
    there or goes into a text)."""
    out: list[Any] = []
    children = getattr(root_box, "children", None)
    for index, deeper in (stack or {}).items():
        if not children or not isinstance(index, int) or index >= len(children):
            out.append([index, None, None])
            continue
        box = children[index]
        out.append([index, order.get(id(box.element), -1), path(box, deeper, order) if deeper else None])
    return out
