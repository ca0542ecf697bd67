"""Laying out a part again from one of its pages: the pages before an edit are kept.

WeasyPrint makes each page from an entry of ``context.page_maker``: ``(resume_at,
next_page, right_page, page_state, remake_state)``, where ``resume_at`` is the skip stack
(child indices into the box tree, ``{index: deeper stack or None}``) at which the page
starts and ``page_state`` the page counters, quote depth and page groups it starts with.
Its own repagination re-makes single pages from these entries (``remake_page``).

After an edit that changes nothing before page ``k`` of a part, the new box tree is the
old one up to the edit: the old entry ``k`` is a valid start for the new document, and
pages ``k..`` can be laid out from it instead of from page 0 (the pages before are the
old ones). This module

- records, for a full layout, every entry in plain data (``Record``: JSON-able), plus
  what the pages after ``k`` read from the pages before (the named strings of the running
  heads, the anchors already counted) and the states that make page ``k`` not a clean
  start (a footnote or float carried over, a fixed box or running element);
- finds what an edit changed (``find_edit``: texts only, or elements) and the page to
  start from (``choose_k``: one page before the first page of the first changed element);
- lays a new HTML of the same part out from page ``k`` of a record (``resume``), up to
  the page where, after an edit of texts only, the new pages start as the old ones did
  again (then the old pages from there on are the new ones too), and writes a PDF of
  just those pages (``lay_out_segment``: a PartLayout);
- cuts an old part's PDF to a range of pages (``trim``), so that combine.py takes the old
  pages before, the new pages and the old pages after as three parts.

What lies wholly on the pages before ``k`` is not styled or boxed again (prune.py).

Everything here is WeasyPrint 70's own code, called in its own order; internals.INTERNALS
fingerprints the functions copied or relied on (feature "resume"), and ``usable()`` is
False (callers lay the part out whole) when any differs. Used by the PDF preview of one
chapter (onepart.py), a draft: a build lays its parts out whole, so that its PDF is the
bytes a fresh build writes.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from . import internals, prune, weasy

log = logging.getLogger(__name__)


class CannotResume(Exception):
    """Page ``k`` of this record is not a clean start: lay the part out whole."""


class PulledBack(CannotResume):
    """The page before the edit came out differently: the edit reached back over a page
    break, and may reach further (lay out from a page earlier)."""


def why_not() -> list[str]:
    """Why resuming is not possible with the installed WeasyPrint (empty: it is); the
    private code it copies or relies on is listed in internals.INTERNALS (feature "resume")."""
    return internals.why_not("resume")


def usable() -> bool:
    return not why_not()


# ------------------------------------------------------------------ plain data


def freeze_stack(stack) -> Any:
    """A skip stack as JSON: ``{"3": {"0": null}}`` (object keys are strings)."""
    if stack is None:
        return None
    if not isinstance(stack, dict):
        raise CannotResume(f"skip stack of a kind not known: {stack!r}")
    return {str(int(k)): freeze_stack(v) for k, v in stack.items()}


def thaw_stack(data) -> Any:
    if data is None:
        return None
    return {int(k): thaw_stack(v) for k, v in data.items()}


def freeze_entry(entry) -> dict:
    """One ``page_maker`` entry as plain data. ``remake_state['content_lookups']`` holds
    ``id()``s of lookup objects (meaningless in another process) and is dropped: the
    resumed pages are all re-made, which resets it."""
    resume_at, next_page, right_page, page_state, remake_state = entry
    quote_depth, counters, scopes, groups = page_state
    return {
        "resume_at": freeze_stack(resume_at),
        "next_page": {"break": next_page["break"], "page": next_page["page"]},
        "right_page": bool(right_page),
        "quote_depth": list(quote_depth),
        "counters": {name: list(values) for name, values in counters.items()},
        "scopes": [sorted(scope) for scope in scopes],
        "groups": [[name, count, freeze_stack(at)] for name, count, at in groups],
        "anchors": list(remake_state.get("anchors", [])),
    }


def thaw_entry(data: dict) -> tuple:
    page_state = (
        list(data["quote_depth"]),
        {name: list(values) for name, values in data["counters"].items()},
        [set(scope) for scope in data["scopes"]],
        [[name, count, thaw_stack(at)] for name, count, at in data["groups"]],
    )
    remake_state = {
        "content_changed": False,
        "pages_wanted": False,
        "anchors": list(data["anchors"]),
        "content_lookups": [],
    }
    next_page = {"break": data["next_page"]["break"], "page": data["next_page"]["page"]}
    return (thaw_stack(data["resume_at"]), next_page, data["right_page"], page_state, remake_state)


@dataclass
class Record:
    """A part's layout as plain data: ``entries[i]`` starts page ``i`` (one more entry than
    pages: the last is the state after the last page); ``strings[i]`` the named strings
    page ``i`` sets (``string-set``, in order); ``unclean[i]`` why page ``i`` cannot be a
    start (carried footnotes, broken floats, fixed boxes, running elements), empty if it can."""

    entries: list[dict]
    strings: list[dict[str, list[str]]]
    unclean: list[list[str]] = field(default_factory=list)
    #: per element of the HTML (``etree.iter()`` order): the first page it has a box on (-1: none)
    first_pages: list[int] = field(default_factory=list)
    #: id → the first page it is on (as PartLayout.anchors)
    anchors: dict[str, int] = field(default_factory=dict)
    #: (first, last element index) of each element whose layout depends on all of its
    #: content (a table's column widths, flex, grid, columns, floats, inline blocks): a
    #: change inside one can change its pages before the change
    whole: list[list[int]] = field(default_factory=list)
    #: per entry, the boxes its skip stack passes through (prune.path; empty: not noted)
    paths: list[list] = field(default_factory=list)
    #: the HTML laid out, as find_edit compares it (Shape; empty: not noted)
    parents: list[int] = field(default_factory=list)
    marks: list[list[int]] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return len(self.entries) - 1

    def to_json(self) -> str:
        return json.dumps(
            {
                "entries": self.entries,
                "strings": self.strings,
                "unclean": self.unclean,
                "first_pages": self.first_pages,
                "anchors": self.anchors,
                "whole": self.whole,
                "paths": self.paths,
                "parents": self.parents,
                "marks": self.marks,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Record:
        data = json.loads(text)
        return cls(
            data["entries"],
            data["strings"],
            data["unclean"],
            data["first_pages"],
            data["anchors"],
            data["whole"],
            data.get("paths", []),
            data.get("parents", []),
            data.get("marks", []),
        )

    @property
    def shape(self) -> Shape | None:
        """The HTML this record was laid out from, as find_edit compares it (None: not noted)."""
        if not self.marks or len(self.marks) != len(self.parents) or len(self.parents) != len(self.first_pages):
            return None
        return Shape(self.parents, self.marks)


# ------------------------------------------------------------------ layout


def _options(stylesheets: list, opts: dict) -> dict:
    from weasyprint import DEFAULT_OPTIONS
    from weasyprint.pdf import VARIANTS

    options = DEFAULT_OPTIONS.copy()
    options.update(opts, stylesheets=stylesheets)
    # Document._render: the PDF variant's defaults
    if variant := options["pdf_variant"]:
        _, properties = VARIANTS[variant]
        for key, value in tuple(options.items()):
            if value is None and key in properties:
                options[key] = properties[key]
    return options


def _context_and_root(html, options: dict):
    """WeasyPrint's layout context and box tree, as Document._render makes them."""
    from weasyprint.css.counters import CounterStyle
    from weasyprint.document import Document
    from weasyprint.formatting_structure.build import build_formatting_structure
    from weasyprint.text.fonts import FontConfiguration

    font_config, counter_style = FontConfiguration(), CounterStyle()
    color_profiles: dict = {}
    context = Document._build_layout_context(html, font_config, counter_style, color_profiles, options)
    root_box = build_formatting_structure(
        html.etree_element,
        context.style_for,
        context.get_image_from_uri,
        html.base_url,
        context.target_collector,
        counter_style,
        context.footnotes,
    )
    return context, root_box, font_config, color_profiles


def _document(html, page_boxes, font_config, color_profiles, options):
    from weasyprint.document import Document, DocumentMetadata, Page
    from weasyprint.html import get_html_metadata

    document = Document(
        [Page(box) for box in page_boxes],
        DocumentMetadata(**get_html_metadata(html)),
        html.url_fetcher,
        font_config,
        color_profiles,
        options["output_intent"],
    )
    document._html = html
    return document


@contextmanager
def _watching_pages(context, unclean: dict[int, list[str]]):
    """While a full layout runs: note, after each page is made, what it leaves to the
    next one besides its page_maker entry."""
    import weasyprint.layout.page as page_module

    make_page = page_module.make_page

    def watched(ctx, root_box, page_type, resume_at, page_number, page_state):
        page, resume_at, next_page = make_page(ctx, root_box, page_type, resume_at, page_number, page_state)
        if ctx is context:
            why = []
            if ctx.reported_footnotes:
                why.append("footnotes carried over")
            if ctx.broken_out_of_flow:
                why.append("a float or positioned box broken over the page turn")
            if any(ctx.running_elements.values()):
                why.append("running elements")
            unclean[page_number] = why  # about the start of the next page
        return page, resume_at, next_page

    watched.__aixbook_original__ = make_page  # type: ignore[attr-defined]
    page_module.make_page = watched
    try:
        yield
    finally:
        page_module.make_page = make_page


def _order(root_element) -> tuple[dict[int, int], list[int]]:
    """Each element's place in document order (``iter()``: id → index) and, per index,
    the index of its last descendant."""
    elements, _, ends = _pre_order(root_element)
    return {id(el): i for i, el in enumerate(elements)}, ends


def _note_first_pages(first: list[int], order: dict[int, int], page_boxes, start: int) -> None:
    for number, page in enumerate(page_boxes, start=start):
        for box in page.descendants():
            i = order.get(id(box.element))
            if i is not None and first[i] < 0:
                first[i] = number


def render_recorded(html, stylesheets: list, opts: dict):
    """``html.render(stylesheets=…, **opts)`` (the same pages), and the ``Record`` of it."""
    from weasyprint.layout import layout_document

    options = _options(stylesheets, opts)
    context, root_box, font_config, color_profiles = _context_and_root(html, options)
    unclean: dict[int, list[str]] = {}
    with _watching_pages(context, unclean):
        page_boxes = list(layout_document(html, root_box, context))
    document = _document(html, page_boxes, font_config, color_profiles, options)
    entries = [freeze_entry(entry) for entry in context.page_maker]
    pages = len(page_boxes)
    strings = [
        {name: list(by_page.get(i + 1, [])) for name, by_page in context.string_set.items()} for i in range(pages)
    ]
    strings = [{n: v for n, v in s.items() if v} for s in strings]
    # Drawn on every page (fixed boxes) or carried from page to page (running elements):
    # no page of this part is a clean start.
    early = ["a running element"] if any(context.running_elements.values()) else []
    if any(box.fixed_boxes for box in page_boxes):
        early.append("fixed boxes, drawn on every page")
    if _counts_pages(context):
        early.append("target-counter() of an id of this part (a page before may show a page after)")
    elements, parents, ends = _pre_order(html.etree_element)
    order = {id(el): i for i, el in enumerate(elements)}
    shape = Shape.of(elements, parents)
    first = [-1] * len(ends)
    _note_first_pages(first, order, page_boxes, 0)
    flags = [unclean.get(i, []) + early for i in range(pages + 1)]
    whole = _whole(page_boxes, order, ends)
    paths = [prune.path(root_box, entry[0], order) for entry in context.page_maker]
    anchors = _anchors(document.pages, 0)
    record = Record(entries, strings, flags, first, anchors, sorted(map(list, whole)), paths, *shape.data)
    return document, record


def _whole(page_boxes, order: dict[int, int], ends: list[int]) -> set[tuple[int, int]]:
    """The elements of ``page_boxes`` laid out from all of their content at once."""
    from weasyprint.formatting_structure import boxes

    kinds = (boxes.TableBox, boxes.FlexContainerBox, boxes.GridContainerBox, boxes.InlineBlockBox)
    found: set[tuple[int, int]] = set()
    for page in page_boxes:
        for box in page.descendants():
            style = box.style
            if (
                isinstance(box, kinds)
                or box.is_floated()
                or box.is_absolutely_positioned()
                or style["column_width"] != "auto"
                or style["column_count"] != "auto"
            ):
                i = order.get(id(box.element))
                if i is not None:
                    found.add((i, ends[i]))
    return found


def _counts_pages(context) -> bool:
    """Whether a target-counter() of the part shows a page number: then a page before an
    edit can show where something after it lands (a contents page), and the pages before
    ``k`` are not the old ones. (WeasyPrint 70 files a lookup of ``attr(href url)`` under
    the id None, so any lookup counts. The book's parts are given their numbers in the
    HTML instead: parts.py, print.css's ``[data-page]`` rules.)"""
    return any(item.missing_target_counters for item in context.target_collector.counter_lookup_items.values())


def widen(record: Record, edit: Edit) -> tuple[float, float | None]:
    """Where the changes begin and (for texts only) end, widened to every element laid
    out from all of its content that holds one: (first, last)."""
    first: float = edit.first
    last: float | None = max(edit.text) if edit.text else None
    changed = True
    while changed:
        changed = False
        for start, end in record.whole:
            holds = start <= first <= end + 0.5 or any(start <= t <= end + 0.5 for t in edit.text or ())
            if not holds:
                continue
            if start < first:
                first, changed = start, True
            if last is not None and end + 0.5 > last:
                last, changed = end + 0.5, True
    return first, last


def _anchors(pages, start: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for number, page in enumerate(pages, start=start):
        for name in page.anchors:
            found.setdefault(name, number)
    return found


# ------------------------------------------------------------------ what an edit changed

#: Selectors that make an element's style depend on the siblings after it: an element
#: added or removed changes the style of the siblings before it (as far back as ``reach``).
_LOOKS_AHEAD = re.compile(
    r":(nth-last-child|nth-last-of-type)\(\s*([^)]*)\)|:(last-child|only-child|last-of-type|only-of-type)"
)


@dataclass(frozen=True)
class Edit:
    """Where a new HTML of a part differs from the old one, in the old document order.

    ``first``: the first element (index) whose content or style may have changed; ``text``:
    the changed texts' positions (``i + 0.5``: element ``i``'s own text, before its first
    child; ``ends[i] + 0.5``: element ``i``'s tail) when only texts changed, None when the
    elements themselves did (then nothing after the edit can be taken from the old layout).
    """

    first: int
    text: tuple[float, ...] | None


def _reach(css: str) -> int | None:
    """How many siblings back an added or removed element can change a style (None: all)."""
    reach = 0
    for m in _LOOKS_AHEAD.finditer(css):
        if m.group(3):
            reach = max(reach, 1)
        elif m.group(2).strip().isdigit():
            reach = max(reach, int(m.group(2)))
        else:
            return None
    return reach


def _pre_order(root) -> tuple[list, list[int], list[int]]:
    """The elements in document order, each one's parent (index, -1 for the root) and the
    index of its last descendant."""
    els: list = []
    parents: list[int] = []
    ends: list[int] = []

    def walk(el, parent: int) -> int:
        i = len(els)
        els.append(el)
        parents.append(parent)
        ends.append(i)
        last = i
        for child in el:
            last = walk(child, i)
        ends[i] = last
        return last

    walk(root, -1)
    return els, parents, ends


@dataclass(frozen=True)
class Shape:
    """A document as find_edit compares two: per element (document order) its parent's
    index (-1: the root) and three digests: of its tag, attributes and parent index; of
    its text; of its tail. A record keeps its HTML's (``Record.shape``), so that the HTML
    of the last layout need not be parsed again to find what an edit changed."""

    parents: list[int]
    marks: list[list[int]]

    @classmethod
    def of(cls, elements: list, parents: list[int]) -> Shape:
        marks = []
        for el, parent in zip(elements, parents, strict=True):
            tag = el.tag if isinstance(el.tag, str) else "#" + getattr(el.tag, "__name__", "node")
            attrs = "\0".join(f"{k}\1{v}" for k, v in sorted(el.attrib.items()))
            marks.append([_digest(f"{tag}\0{attrs}\0{parent}"), _digest(el.text or ""), _digest(el.tail or "")])
        return cls(list(parents), marks)

    @classmethod
    def of_root(cls, root) -> Shape:
        elements, parents, _ = _pre_order(root)
        return cls.of(elements, parents)

    @property
    def data(self) -> tuple[list[int], list[list[int]]]:
        return self.parents, self.marks

    @property
    def ends(self) -> list[int]:
        """Per element, the index of its last descendant (itself when it has none)."""
        ends = list(range(len(self.parents)))
        for i in range(len(self.parents) - 1, 0, -1):
            parent = self.parents[i]
            if parent >= 0 and ends[i] > ends[parent]:
                ends[parent] = ends[i]
        return ends


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


def find_edit(old, new, css: str) -> Edit | None:
    """How ``new`` differs from ``old`` (None: not at all), each an ElementTree element
    (the document's root) or its Shape. ``css``: the text of every stylesheet the part
    uses (for selectors that look ahead)."""
    if ":has(" in css or ":empty" in css:
        return Edit(0, None)  # any text change can restyle an ancestor: no earlier page is known
    old = old if isinstance(old, Shape) else Shape.of_root(old)
    new = new if isinstance(new, Shape) else Shape.of_root(new)
    old_parents, ends = old.parents, old.ends
    texts: list[float] = []
    differs: int | None = None  # the first element whose place, tag or attributes differ
    for i, (a, b) in enumerate(zip(old.marks, new.marks, strict=False)):
        if a[0] != b[0]:
            differs = i
            break
        if a[1] != b[1]:
            texts.append(i + 0.5)
        if a[2] != b[2]:
            texts.append(ends[i] + 0.5)
    else:
        if len(old.marks) != len(new.marks):
            differs = min(len(old.marks), len(new.marks))
    if differs is None:
        return Edit(int(min(texts)), tuple(texts)) if texts else None
    # Elements added or removed: from the first place anything differs (a text, or the
    # element), and as many siblings before it as a selector looking ahead reaches.
    first = min([differs, *(int(t) for t in texts)])
    if first >= len(old.marks):
        first = len(old.marks) - 1
    parent = old_parents[first]
    if parent < 0:
        return Edit(0, None)
    siblings = [j for j in range(parent + 1, ends[parent] + 1) if old_parents[j] == parent]
    at = max(j for j, el in enumerate(siblings) if el <= first)
    reach = _reach(css)
    start = siblings[0] if reach is None else siblings[max(0, at - reach)]
    return Edit(min(first, start), None)


def choose_k(record: Record, edit: Edit) -> int:
    """The page to lay out from after ``edit``: one page before the first page the first
    changed element has a box on (a change there may pull that page's break back: a
    heading kept with the block after it, orphans). 0: lay the part out whole."""
    first = record.first_pages
    at = int(widen(record, edit)[0])
    # The first changed element, or the next element with a box, or the one before.
    later = [p for p in first[at:] if p >= 0]
    page = min(later[:1] or [0])
    earlier = [p for p in first[: at + 1] if p >= 0]
    if earlier:
        page = min(page, max(earlier))
    return max(0, page - 1)


def _resume_point(root_box, stack, order: dict[int, int]) -> int | None:
    """The document order index of the element a page starting at ``stack`` starts in
    or at: every text before this element's start is laid out on the pages before."""
    box = root_box
    while stack:
        (index, deeper), *_ = stack.items()
        children = getattr(box, "children", None)
        if not children or index >= len(children):
            break
        box = children[index]
        if deeper is None:
            break
        stack = deeper
    return order.get(id(box.element))


def _accumulated(strings: list[dict[str, list[str]]], upto: int) -> dict[str, str]:
    last: dict[str, str] = {}
    for named in strings[:upto]:
        for name, texts in named.items():
            last[name] = texts[-1]
    return last


@dataclass
class Resumed:
    """Pages ``k..sync-1`` laid out anew (the pages before ``k`` and from ``sync`` on are
    the old ones: ``sync`` None when the new layout ran to the part's end)."""

    document: Any
    record: Record
    k: int
    sync: int | None


def resume(
    html, stylesheets: list, opts: dict, record: Record, k: int, edit: Edit | None = None, empty: bool = False
) -> Resumed:
    """The pages ``k..`` of ``html`` laid out from the old entry ``k`` of ``record`` (the
    HTML must lay out pages ``0..k-1`` as the recorded one did: nothing before page ``k``
    changed). With ``edit`` a texts-only edit, it stops at the first page after the
    changed texts that starts where and as the old one did (same page_maker entry, same
    named strings so far, a clean start in both): the old pages from there on are the
    new ones too. Returns the new pages (a Document of those only) and the new Record.
    ``empty``: the stylesheets allow it (prune.allowed): the elements wholly on the pages
    before ``k`` are emptied first (raises prune.Mismatch if page ``k`` then starts
    elsewhere in the boxes; ``html`` is changed then, parse it again)."""
    from weasyprint.layout import initialize_page_maker
    from weasyprint.layout.page import remake_page

    if why := why_not():
        raise CannotResume("; ".join(why))
    if not 0 < k < record.pages:
        raise CannotResume(f"page {k} is not a page after the first of a {record.pages}-page part")
    if record.unclean[k]:
        raise CannotResume(f"page {k + 1} does not start clean: {', '.join(record.unclean[k])}")
    options = _options(stylesheets, opts)
    elements, parents, ends = _pre_order(html.etree_element)
    order = {id(el): i for i, el in enumerate(elements)}
    shape = Shape.of(elements, parents)  # before any element is emptied
    if len(ends) != len(record.first_pages) and edit is not None and edit.text is not None:
        raise CannotResume("the edit said texts only, but the elements differ")
    emptied = []  # kept alive while the layout runs: ``order`` tells elements by id()
    if empty and edit is not None and len(record.paths) == len(record.entries):
        emptied = prune.prune(elements, parents, ends, record, k, int(widen(record, edit)[0]))
        if emptied:  # (cssselect2's wrapper lists an element's children when first asked)
            wrapper = type(html.wrapper_element)
            html.wrapper_element = wrapper.from_html_root(html.etree_element, content_language=None)
    context, root_box, font_config, color_profiles = _context_and_root(html, options)
    if emptied and prune.path(root_box, thaw_stack(record.entries[k]["resume_at"]), order) != record.paths[k]:
        raise prune.Mismatch(f"page {k + 1} starts elsewhere in the boxes once the pages before are emptied")
    initialize_page_maker(context, root_box)
    # make_page reads the entries before its own only for their remake_state['anchors'].
    context.page_maker = [thaw_entry(e) for e in record.entries[: k + 1]]
    for number, named in enumerate(record.strings[:k], start=1):
        for name, texts in named.items():
            context.string_set[name][number].extend(texts)
    unclean: dict[int, list[str]] = {}
    last_text = widen(record, edit)[1] if edit is not None else None

    # make_all_pages from page k, one pass.
    context.rendered_notes = []
    pages = []
    i = k
    sync = None
    with _watching_pages(context, unclean):
        while True:
            remake_state = context.page_maker[i][-1]
            remake_state.update(content_changed=False, pages_wanted=False, anchors=[], content_lookups=[])
            page, resume_at = remake_page(i, context, root_box, html)
            if remake_state["content_changed"] or remake_state["pages_wanted"]:
                # a counter needs another pass (target-counter, counter(pages) in content)
                raise CannotResume(f"page {i + 1} asks for repagination")
            pages.append(page)
            i += 1
            if i == k + 1 and edit is not None and i < record.pages:
                _check_first_page(record, context, root_box, order, k, edit)
            if resume_at is None and not context.reported_footnotes:
                context.page_maker = context.page_maker[: i + 1]
                break
            if last_text is not None and i < record.pages and _same_start(record, context, root_box, order, i, unclean):
                point = _resume_point(root_box, context.page_maker[i][0], order)
                if point is not None and last_text < point:
                    sync = i
                    break
    if context.running_elements and any(context.running_elements.values()):
        raise CannotResume("running elements")
    if any(p.fixed_boxes for p in pages):
        raise CannotResume("fixed boxes")
    end = k + len(pages)
    # The named strings the new pages set: needed before the margin boxes are made.
    page_boxes = list(_finish(context, root_box, pages, k, record.pages if sync else end))
    document = _document(html, page_boxes, font_config, color_profiles, options)
    if _counts_pages(context):
        raise CannotResume("target-counter() of an id of this part")
    new_strings = [
        {n: list(v.get(j + 1, [])) for n, v in context.string_set.items() if v.get(j + 1)} for j in range(k, end)
    ]
    # Elements on the pages before k come before the edit: their indices did not move.
    first = [-1] * len(ends)
    for el_index, p in enumerate(record.first_pages[: len(ends)]):
        if 0 <= p < k:
            first[el_index] = p
    _note_first_pages(first, order, page_boxes, k)
    anchors = {name: p for name, p in record.anchors.items() if p < k}
    for name, p in _anchors(document.pages, k).items():
        anchors.setdefault(name, p)
    if sync is not None:
        for name, p in record.anchors.items():
            if p >= sync:
                anchors.setdefault(name, p)
    paths: list[list] = []
    if len(record.paths) == len(record.entries):
        new_paths = [prune.path(root_box, e[0], order) for e in context.page_maker[k : None if sync is None else sync]]
        paths = record.paths[:k] + new_paths + (record.paths[sync:] if sync is not None else [])
    if sync is None:
        entries = record.entries[:k] + [freeze_entry(e) for e in context.page_maker[k:]]
        strings = record.strings[:k] + new_strings
        flags = record.unclean[:k] + [unclean.get(j, []) for j in range(k, end + 1)]
    else:
        entries = record.entries[:k] + [freeze_entry(e) for e in context.page_maker[k:sync]] + record.entries[sync:]
        strings = record.strings[:k] + new_strings + record.strings[sync:]
        flags = record.unclean[:k] + [unclean.get(j, []) for j in range(k, sync)] + record.unclean[sync:]
        for el_index, p in enumerate(record.first_pages):
            if p >= sync and el_index < len(first) and first[el_index] < 0:
                first[el_index] = p
    whole = {
        (start, ends[start]) for start, _ in record.whole if start < len(ends) and 0 <= record.first_pages[start] < k
    }
    whole |= _whole(page_boxes, order, ends)
    if sync is not None:
        whole |= {(start, end) for start, end in record.whole if record.first_pages[start] >= sync}
    new = Record(entries, strings, flags, first, anchors, sorted(map(list, whole)), paths, *shape.data)
    return Resumed(document, new, k, sync)


def _check_first_page(record: Record, context, root_box, order, k: int, edit: Edit) -> None:
    """Page ``k`` holds nothing the edit changed (it is the page before): it must end where
    it did. If not, the edit pulled a page break back (a heading kept with what follows,
    orphans, a float) and pages before ``k`` may have moved too."""
    first = widen(record, edit)[0]
    old_end = _resume_point(root_box, thaw_stack(record.entries[k + 1]["resume_at"]), order)
    if old_end is None or old_end > first:
        return  # the edit is on page k: it may end elsewhere
    new, old = freeze_entry(context.page_maker[k + 1]), dict(record.entries[k + 1])
    new.pop("anchors"), old.pop("anchors")
    if new != old:
        raise PulledBack(f"page {k + 1}, before the edit, came out differently: lay out from earlier")


def _same_start(record: Record, context, root_box, order, i: int, unclean: dict[int, list[str]]) -> bool:
    """Whether the new page ``i`` starts as the old one did: the same page_maker entry, the
    same named strings so far, and nothing carried over into it in either layout."""
    if record.unclean[i] or unclean.get(i):
        return False
    new = freeze_entry(context.page_maker[i])
    old = dict(record.entries[i])
    new.pop("anchors"), old.pop("anchors")
    if new != old:
        return False
    so_far = {name: by_page for name, by_page in context.string_set.items()}
    last: dict[str, str] = {}
    for number in range(1, i + 1):
        for name, by_page in so_far.items():
            if by_page.get(number):
                last[name] = by_page[number][-1]
    return last == _accumulated(record.strings, i)


def _continued_elements(root_box, stack) -> set:
    """The elements a page starting at ``stack`` continues from the page before (those
    on the skip stack's path with a deeper stack): their bookmarks were on that page."""
    found = set()
    box = root_box
    while stack:
        (index, deeper), *_ = stack.items()
        children = getattr(box, "children", None)
        if deeper is None or not children or index >= len(children):
            break
        box = children[index]
        found.add(box.element)
        stack = deeper
    return found


def _finish(context, root_box, pages: list, k: int, total: int):
    """layout_document's last two loops (bookmarks, strings, margin boxes) for pages
    numbered from ``k + 1`` of a part of ``total`` pages."""
    from weasyprint.layout import layout_fixed_boxes
    from weasyprint.layout.background import layout_backgrounds
    from weasyprint.layout.page import make_margin_boxes

    for entry in context.page_maker:
        entry[3][1]["pages"] = [total]
    continued = _continued_elements(root_box, context.page_maker[k][0])
    watch_elements: list = list(continued)
    watch_elements_before: list = list(continued)
    watch_elements_after: list = list(continued)
    for j, page in enumerate(pages):
        i = k + j
        _, _, _, page_state, _ = context.page_maker[i + 1]
        page_counter_values = page_state[1]
        for child in page.descendants():
            if child.bookmark_label:
                if child.element_tag.endswith("::before"):
                    checklist = watch_elements_before
                elif child.element_tag.endswith("::after"):
                    checklist = watch_elements_after
                else:
                    checklist = watch_elements
                if child.element in checklist:
                    child.bookmark_label = ""
                else:
                    checklist.append(child.element)
            if child.missing_link:
                for (box, css_token), item in context.target_collector.counter_lookup_items.items():
                    if child.missing_link == box and css_token != "content":
                        if css_token == "bookmark-label" and not child.bookmark_label:
                            continue
                        item.parse_again(page_counter_values)
                        if css_token == "bookmark-label":
                            child.bookmark_label = box.bookmark_label
            string_sets = child.string_set
            if string_sets and string_sets != "none":
                for string_name, text in string_sets:
                    context.string_set[string_name][i + 1].append(text)
    for j, page in enumerate(pages):
        i = k + j
        root_children = []
        root, footnote_area, note_area = page.children
        root_children.extend(layout_fixed_boxes(context, pages[:j], page))
        root_children.extend(root.children)
        root_children.extend(layout_fixed_boxes(context, pages[j + 1 :], page))
        root.children = root_children
        context.current_page = i + 1
        state = context.page_maker[context.current_page][3]
        children = [root]
        if footnote_area.children:
            children.append(footnote_area)
        if note_area.children:
            children.append(note_area)
        children.extend(make_margin_boxes(context, page, state))
        page.children = tuple(children)
        layout_backgrounds(page, context.get_image_from_uri)
        yield page


# ------------------------------------------------------------------ a part


def _html(job):
    from .weasy import BASE_URL, make_fetcher

    HTML = weasy.weasyprint_html()
    return HTML(string=job.html, base_url=BASE_URL, url_fetcher=make_fetcher(job.resources))


def _write(document, job, elsewhere: frozenset[str] = frozenset(), prefix: str = "") -> bytes:
    """The PDF of ``document``'s pages, as layout.lay_out writes a part's. ``elsewhere``:
    ids on pages of the part not in ``document`` (the old pages): links to them go to the
    sentinel, as links to other parts do, for the combining step to resolve."""
    from . import patches
    from .layout import _to_other_part
    from .tagging import Tagging

    if elsewhere:
        here = _anchors(document.pages, 0)
        for page in document.pages:
            page.links = [_to_other_part(link, here, elsewhere) for link in page.links]
    opts = weasy.write_options(job.pdf_variant)
    out = io.BytesIO()
    with patches.zlib_level(1, drawing=6):
        finish = Tagging(prefix=prefix or f"{job.key}-") if job.pdf_variant else None
        document.write_pdf(out, finisher=finish, **opts)
    return out.getvalue()


def lay_out_recorded(job) -> tuple[bytes, Record, Any]:
    """The part's PDF (as ``layout.lay_out`` lays it out, without its link rewriting and
    font notes), its Record, and the Document."""
    opts = weasy.write_options(job.pdf_variant)
    document, record = render_recorded(_html(job), weasy.stylesheets(job.paper, job.extra_css), opts)
    return _write(document, job), record, document


def lay_out_from(job, record: Record, k: int, edit: Edit | None = None) -> tuple[bytes, Resumed]:
    """The part's pages ``k..`` (to the end, or to where they are the old ones again) as
    a PDF of their own, from page ``k`` of ``record``; from a page earlier each time the
    page before the edit comes out differently (raises CannotResume when page 0 is reached
    or page ``k`` is no clean start: lay the part out whole)."""
    opts = weasy.write_options(job.pdf_variant)
    sheets = weasy.stylesheets(job.paper, job.extra_css)
    empty = prune.allowed(part_css(job))
    while True:
        try:
            done = resume(_html(job), sheets, opts, record, k, edit, empty)
        except PulledBack:
            k -= 1
            continue
        except prune.Mismatch:
            empty = False
            continue
        # The old pages' ids are elsewhere; so are the other parts' (job.foreign).
        elsewhere = frozenset(done.record.anchors) - set(_anchors(done.document.pages, 0)) | job.foreign
        # Header cells' IDs are made of object numbers, which repeat between the old part
        # and these pages: a prefix of their own keeps them apart in the combined /IDTree.
        return _write(done.document, job, elsewhere, prefix=f"{job.key}-p{done.k}-"), done


def part_css(job) -> str:
    """The text of every stylesheet a part's layout uses (for ``find_edit``): print.css
    with what it imports, the part's own CSS (the book's, its direction's, its strings)
    and the HTML's style elements."""
    from ...resources import STYLES_DIR

    sheets, todo = [], ["print.css"]
    while todo:
        text = (STYLES_DIR / todo.pop(0)).read_text(encoding="utf-8")
        sheets.append(text)
        todo += re.findall(r"@import\s+url\(\s*['\"]?([\w.-]+\.css)", text)
    return "\n".join([*sheets, job.extra_css, *_style_elements(job.html)])


def _style_elements(html: str) -> list[str]:
    return re.findall(r"<style[^>]*>(.*?)</style>", html, flags=re.S | re.I)


def first_change(old: Record, new: Record, k: int) -> int | None:
    """The first page from ``k`` whose start differs between two records (None: none)."""
    for i in range(k, min(len(old.entries), len(new.entries))):
        if old.entries[i] != new.entries[i]:
            return i
    return None if len(old.entries) == len(new.entries) else min(len(old.entries), len(new.entries))


# ------------------------------------------------------------------ stitching


def segment(job, done: Resumed, pdf: bytes, fonts: dict[str, tuple[str, int]]):
    """The new pages as a PartLayout of their own (combine.py takes it as a part)."""
    from .layout import PartLayout, _page_name

    pages = done.document.pages
    return PartLayout(
        key=job.key,
        pdf=pdf,
        pages=len(pages),
        heights=[page.height for page in pages],
        names=[_page_name(page) for page in pages],
        anchors=_anchors(pages, 0),
        bookmarks=[list(page.bookmarks) for page in pages],
        assigned={},
        fonts=fonts,
    )


def lay_out_segment(job, record: Record, k: int, edit: Edit | None = None, html=None):
    """``lay_out_from``, with the fonts noted as ``layout.lay_out`` notes them: the new
    pages as a PartLayout, and what was done. ``html``: the job's HTML already parsed
    (``_html(job)``, which layout does not change), for the first try."""
    from .layout import Finish, FontFiles, _to_other_part
    from .tagging import Tagging

    opts = weasy.write_options(job.pdf_variant)
    sheets = weasy.stylesheets(job.paper, job.extra_css)
    empty = prune.allowed(part_css(job))
    while True:
        try:
            done = resume(html or _html(job), sheets, opts, record, k, edit, empty)
            break
        except PulledBack:
            k, html = k - 1, None
        except prune.Mismatch as why:
            log.debug("%s: %s; laid out from the whole tree", job.label, why)
            empty, html = False, None
    here = _anchors(done.document.pages, 0)
    elsewhere = frozenset(done.record.anchors) - set(here) | job.foreign
    for page in done.document.pages:
        page.links = [_to_other_part(link, here, elsewhere) for link in page.links]
    fonts = FontFiles()
    finish = Finish(Tagging(prefix=f"{job.key}-p{done.k}-"), fonts) if job.pdf_variant else fonts
    out = io.BytesIO()
    from . import patches

    with patches.zlib_level(1, drawing=6):
        done.document.write_pdf(out, finisher=finish, **opts)
    return segment(job, done, out.getvalue(), fonts.found), done


def trim(layout, keep: range):
    """The part ``layout`` (a PartLayout) cut to the pages ``keep``, as a PartLayout the
    combining step takes like any other: the other pages, their structure elements,
    destinations and ID entries removed; the kept pages' structure numbered from 0 again
    (pages, then their link annotations, as WeasyPrint numbers them); a link to an id on a
    page removed goes to the sentinel, for combine.py to resolve."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name, String

    from .layout import PartLayout
    from .parts import SENTINEL

    src = pikepdf.open(io.BytesIO(layout.pdf))
    kept_objs = {src.pages[i].obj.objgen for i in keep}
    page_of = {src.pages[i].obj.objgen: i for i in range(len(src.pages))}
    # destinations on kept pages, and links to the others
    names = src.Root.get("/Names")
    dests: dict[str, Any] = {}
    if names is not None and "/Dests" in names:
        flat = names.Dests.Names
        dests = {str(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}
    here = {name: d for name, d in dests.items() if d[0].objgen in kept_objs}
    for i in keep:
        for annot in src.pages[i].obj.get("/Annots", Array()):
            if "/Dest" in annot and str(annot.Dest) not in here:
                name = str(annot.Dest)
                del annot["/Dest"]
                if "/Contents" in annot:
                    del annot["/Contents"]
                annot.A = Dictionary(Type=Name.Action, S=Name.URI, URI=String(SENTINEL + name))
    if names is not None and "/Dests" in names:
        flat = Array()
        for name in sorted(here):
            flat.append(String(name))
            flat.append(here[name])
        names.Dests.Names = flat
    root = src.Root.get("/StructTreeRoot")
    if root is not None:
        document = root.K[0]
        document.K = Array([kid for kid in document.K if _element_page(kid, page_of) in keep])
        nums = root.ParentTree.Nums
        entries = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        new_nums = Array()
        for new, old in enumerate(keep):
            new_nums.append(new)
            new_nums.append(entries[old])
        next_key = len(keep)
        for new, old in enumerate(keep):
            page = src.pages[old].obj
            page.StructParents = new
            for annot in page.get("/Annots", Array()):
                if "/StructParent" in annot:
                    value = entries[int(annot.StructParent)]
                    annot.StructParent = next_key
                    new_nums.append(next_key)
                    new_nums.append(value)
                    next_key += 1
        root.ParentTree.Nums = new_nums
        root.ParentTreeNextKey = next_key
        if "/IDTree" in root:
            kept_ids = [
                (str(k), v) for k, v in pikepdf.NameTree(root.IDTree).items() if _element_page(v, page_of) in keep
            ]
            flat = Array()
            for name, element in sorted(kept_ids, key=lambda kv: kv[0].encode("utf-8")):
                flat.append(String(name))
                flat.append(element)
            root.IDTree = src.make_indirect(Dictionary(Names=flat))
    _only_used_images(src, keep)
    for i in sorted(set(range(len(src.pages))) - set(keep), reverse=True):
        del src.pages[i]
    out = io.BytesIO()
    src.save(out)
    src.close()
    start = keep.start
    return PartLayout(
        key=layout.key,
        pdf=out.getvalue(),
        pages=len(keep),
        heights=layout.heights[keep.start : keep.stop],
        names=layout.names[keep.start : keep.stop],
        anchors={a: p - start for a, p in layout.anchors.items() if p in keep},
        bookmarks=layout.bookmarks[keep.start : keep.stop],
        assigned=layout.assigned,
        fonts=layout.fonts,
    )


_DO = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s+Do\b")


def _only_used_images(src, keep: range) -> None:
    """The kept pages' resources without the images and forms only the others draw:
    WeasyPrint's pages share one resource dictionary naming every image of the part,
    which would bring each of them along with every piece cut from it."""
    import pikepdf

    used: set[bytes] = set()
    for i in keep:
        contents = src.pages[i].obj.get("/Contents")
        for stream in contents if isinstance(contents, pikepdf.Array) else [contents]:
            if isinstance(stream, pikepdf.Stream):
                used.update(_DO.findall(stream.read_bytes()))
    shared: dict = {}
    for i in keep:
        page = src.pages[i].obj
        res = page.get("/Resources")
        xobjects = res.get("/XObject") if isinstance(res, pikepdf.Dictionary) else None
        if not isinstance(xobjects, pikepdf.Dictionary):
            continue
        key = res.objgen if res.is_indirect else (id(res), 0)
        if key not in shared:
            kept = pikepdf.Dictionary({k: xobjects[k] for k in xobjects.keys() if k[1:].encode() in used})  # noqa: SIM118
            copy = pikepdf.Dictionary({k: res[k] for k in res.keys()})  # noqa: SIM118 (pikepdf)
            copy.XObject = kept
            shared[key] = src.make_indirect(copy)
        page.Resources = shared[key]


def _element_page(element, page_of: dict) -> int | None:
    """The page of a structure element: its /Pg (WeasyPrint gives every element one, and
    builds each page's elements apart), else the first one below it that has one."""
    import pikepdf

    stack = [element]
    while stack:
        el = stack.pop(0)
        if isinstance(el, pikepdf.Array):
            stack[:0] = list(el)
        elif isinstance(el, pikepdf.Dictionary):
            if "/Pg" in el:
                return page_of.get(el.Pg.objgen)
            if "/K" in el:
                stack.insert(0, el.K)
    return None
