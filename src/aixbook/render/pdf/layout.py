"""Laying out one part: WeasyPrint from the part's HTML to a tagged PDF, plus what the
combining step needs to know about it (pages, anchors, bookmarks, strings, fonts).

Runs in a worker process (or in the build's own process with ``-j 1``); takes and returns
plain data, since WeasyPrint's pages cannot be pickled.
"""

from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass, field

from .. import capture_warnings
from . import internals, patches, resume, weasy
from .parts import SENTINEL, PartJob
from .tagging import Tagging
from .weasy import BASE_URL, make_fetcher, weasyprint_html, write_options


@dataclass
class PartLayout:
    """A laid-out part: its PDF and the facts about it the combined PDF needs."""

    key: str
    pdf: bytes
    pages: int
    heights: list[float]  # CSS px, for bookmark positions
    names: list[str]  # each page's named page type ("" for the default)
    anchors: dict[str, int]  # id → page index within the part
    bookmarks: list[list[tuple]]  # per page: (level, label, (x, y), state) as WeasyPrint gives them
    assigned: dict[str, str]  # named strings it sets: the last value of each
    fonts: dict[str, tuple[str, int]]  # font resource name → (sha256 of the font file, face index)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: How to lay it out again from one of its pages (resume.Record as JSON; "" when it was
    #: not recorded), the HTML it was laid out from, and everything else its pages depend on
    #: (PartJob.settings): what a preview after an edit needs to lay out only a few pages.
    record: str = ""
    source: str = ""
    settings: str = ""


def lay_out(job: PartJob) -> PartLayout:
    """Lay out ``job`` and write its PDF (in memory)."""
    start = time.perf_counter()
    HTML = weasyprint_html()
    with capture_warnings("weasyprint", "pdf") as warnings:
        html = HTML(string=job.html, base_url=BASE_URL, url_fetcher=make_fetcher(job.resources))
        opts = write_options(job.pdf_variant)
        sheets = weasy.stylesheets(job.paper, job.extra_css)
        record = ""
        if job.record and resume.usable():
            document, recorded = resume.render_recorded(html, sheets, opts)
            record = recorded.to_json()
        else:
            document = html.render(stylesheets=sheets, **opts)
        anchors: dict[str, int] = {}
        for number, page in enumerate(document.pages):
            for name in page.anchors:
                anchors.setdefault(name, number)
        for page in document.pages:
            page.links = [_to_other_part(link, anchors, job.foreign) for link in page.links]
        fonts = FontFiles()
        finish = Finish(Tagging(prefix=f"{job.key}-"), fonts) if job.pdf_variant else fonts
        out = io.BytesIO()
        # fonts and object streams are rebuilt when combined; the drawing is kept as written
        with patches.zlib_level(1, drawing=6):
            document.write_pdf(out, finisher=finish, **opts)
    return PartLayout(
        key=job.key,
        pdf=out.getvalue(),
        pages=len(document.pages),
        heights=[page.height for page in document.pages],
        names=[_page_name(page) for page in document.pages],
        anchors=anchors,
        bookmarks=[list(page.bookmarks) for page in document.pages],
        assigned=_assigned_strings(document),
        fonts=fonts.found,
        warnings=[str(w.message) for w in warnings],
        seconds=time.perf_counter() - start,
        record=record,
        source=job.html if record else "",
        settings=job.settings if record else "",
    )


def _to_other_part(link, anchors: dict[str, int], foreign: frozenset[str]):
    """An internal link whose target is in another part becomes a link to the sentinel
    (WeasyPrint would drop it, as it has no such anchor)."""
    kind, target, rect, box = link
    if kind == "internal" and target not in anchors and target in foreign:
        return ("external", SENTINEL + target, rect, box)
    return link


class Finish:
    """Several ``write_pdf`` finishers in a row."""

    def __init__(self, *steps) -> None:
        self.steps = steps

    def __call__(self, document, pdf) -> None:
        for step in self.steps:
            step(document, pdf)


class FontFiles:
    """A finisher noting, for each embedded font, which font file it was subset from, so
    the combined PDF can embed one subset per font instead of one per part."""

    def __init__(self) -> None:
        self.found: dict[str, tuple[str, int]] = {}

    def __call__(self, document, pdf) -> None:
        from weasyprint.text.ffi import ffi, harfbuzz

        for name, face, index in internals.font_faces(document):
            if name in self.found:
                continue
            blob = harfbuzz.hb_face_reference_blob(face)
            try:
                length = ffi.new("unsigned int *")
                data = ffi.buffer(harfbuzz.hb_blob_get_data(blob, length), length[0])
                self.found[name] = (font_fingerprint(data, length[0]), index)
            finally:
                harfbuzz.hb_blob_destroy(blob)


def font_fingerprint(data, size: int) -> str:
    """A font file told apart by its size and its first and last 64 KiB (not all 4 MB of
    the CJK font, once per part)."""
    h = hashlib.sha256(str(size).encode())
    h.update(bytes(data[:65536]))
    h.update(bytes(data[max(0, size - 65536) : size]))
    return h.hexdigest()


def _page_name(page) -> str:
    page_type = getattr(internals.page_box(page), "page_type", None)
    return (getattr(page_type, "name", "") or "") if page_type is not None else ""


def _assigned_strings(document) -> dict[str, str]:
    """The last value the part itself gives each named string (``string-set``)."""
    found: dict[str, str] = {}
    for page in document.pages:
        stack = [internals.page_box(page)]
        while stack:
            box = stack.pop()
            sets = getattr(box, "string_set", None)
            # The root element carries what the part inherits (parts.strings_css).
            if sets and sets != "none" and box.element_tag != "html":
                for name, text in sets:
                    found[name] = text
            children = getattr(box, "children", None)
            if children:
                stack.extend(reversed(children))
    return found
