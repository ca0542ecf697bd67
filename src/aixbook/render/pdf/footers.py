"""The footers ("n / N"), laid out as a document of their own once the page count is known:
one empty page for each page of the book, with the same named pages, drawing nothing but
the stylesheet's ``@bottom-center`` box. The combining step draws each of its pages over
the book's page as a pagination artifact.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import io
from dataclasses import dataclass, field

from .. import capture_warnings
from . import patches, weasy
from .layout import FontFiles
from .weasy import BASE_URL, isolate_fontconfig, make_fetcher

#: Every page-margin box but the footer's.
OTHER_BOXES = (
    "top-left-corner top-left top-center top-right top-right-corner bottom-left-corner bottom-left "
    "bottom-right bottom-right-corner left-top left-middle left-bottom right-top right-middle right-bottom"
).split()

#: The footer document shows the footer box and nothing else: no other margin box, no
#: page or canvas background (it is drawn over finished pages).
FOOTERS_ONLY = (
    "@page { background: none !important; border: none !important; "
    + " ".join(f"@{box} {{ content: none !important; }}" for box in OTHER_BOXES)
    + " } html, body { background: none !important; } "
    "div.aixbook-page { break-before: page; height: 0; margin: 0; padding: 0; border: 0; }"
)


@dataclass(frozen=True)
class FooterJob:
    names: tuple[str, ...]  # each page's named page type
    paper: str
    lang: str = "en"

    @property
    def key(self) -> str:
        return "footers"

    @property
    def label(self) -> str:
        return "the page footers"

    @property
    def weight(self) -> int:
        return 2_000 * len(self.names)

    def digest(self, salt: str) -> str:
        h = hashlib.sha256(salt.encode())
        h.update("\0".join((self.paper, self.lang, *self.names)).encode())
        return h.hexdigest()

    @property
    def html(self) -> str:
        pages = "".join(
            f'<div class="aixbook-page" style="page: {htmllib.escape(name)}"></div>'
            if name
            else '<div class="aixbook-page"></div>'
            for name in self.names
        )
        return (
            f'<!DOCTYPE html><html lang="{htmllib.escape(self.lang)}"><head><meta charset="utf-8"/>'
            f"<title>footers</title></head><body>{pages}</body></html>"
        )


@dataclass
class FooterLayout:
    key: str
    pdf: bytes
    pages: int
    warnings: list[str]
    fonts: dict[str, tuple[str, int]] = field(default_factory=dict)
    seconds: float = 0.0


def lay_out_footers(job: FooterJob) -> FooterLayout:
    import time

    start = time.perf_counter()
    isolate_fontconfig()
    patches.apply()
    from weasyprint import HTML

    with capture_warnings("weasyprint", "pdf") as warnings:
        document = HTML(string=job.html, base_url=BASE_URL, url_fetcher=make_fetcher({})).render(
            stylesheets=weasy.stylesheets(job.paper, FOOTERS_ONLY)
        )
        out = io.BytesIO()
        fonts = FontFiles()
        with patches.zlib_level(1):  # drawn into the pages, compressed again
            document.write_pdf(out, finisher=fonts)
    return FooterLayout(
        job.key,
        out.getvalue(),
        len(document.pages),
        [str(w.message) for w in warnings],
        fonts.found,
        time.perf_counter() - start,
    )
