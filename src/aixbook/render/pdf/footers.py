"""The footers ("n / N"), laid out as a document of their own once the page count is known:
one empty page for each page of the book, with the same named pages, drawing nothing but
the stylesheet's ``@bottom-center`` box. The combining step draws each of its pages over
the book's page as a pagination artifact.

With workers free, the footers are laid out in chunks, side by side: a chunk starts its
page counter where it starts in the book, and ``counter(pages)``, which would count the
chunk's pages, is written as the book's page count. Only when the stylesheets cannot
tell a chunk from the book otherwise: no ``:first``, ``:left``, ``:right``, ``:blank``
or ``:nth()`` page (but one that styles only the other margin boxes, drawn empty here),
no ``counter(pages)`` in another style than decimal.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import io
from dataclasses import dataclass, field

from .. import capture_warnings
from . import patches, weasy
from .layout import FontFiles
from .parts import css_string
from .weasy import BASE_URL, make_fetcher, weasyprint_html

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
    first: int = 1  # the book's number of the first page (a chunk)
    total: int = 0  # the book's page count, when a chunk
    extra_css: str = ""  # the book's own additions to print.css (right to left)
    edition: str = ""  # printed small in the corner of every page

    @property
    def css(self) -> str:
        return self.extra_css + FOOTERS_ONLY + edition_css(self.edition)

    @property
    def key(self) -> str:
        return "footers" if not self.total else f"footers {self.first}-{self.first + len(self.names) - 1}"

    @property
    def label(self) -> str:
        return "the page footers"

    @property
    def weight(self) -> int:
        return 2_000 * len(self.names)

    def digest(self, salt: str) -> str:
        h = hashlib.sha256(salt.encode())
        fields = (self.paper, self.lang, str(self.first), str(self.total), self.css, *self.names)
        h.update("\0".join(fields).encode())
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
    HTML = weasyprint_html()
    with capture_warnings("weasyprint", "pdf") as warnings:
        sheets = chunk_stylesheets(job) if job.total else weasy.stylesheets(job.paper, job.css)
        document = HTML(string=job.html, base_url=BASE_URL, url_fetcher=make_fetcher({})).render(stylesheets=sheets)
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


def footer_jobs(
    names: tuple[str, ...], paper: str, lang: str, workers: int, extra_css: str = "", edition: str = ""
) -> list[FooterJob]:
    """The footers as one job, or as ``workers`` chunks when the stylesheets allow it."""
    chunks = min(workers, max(1, len(names) // 40))
    if chunks < 2 or print_css_with_total(len(names)) is None:
        return [FooterJob(names, paper, lang, extra_css=extra_css, edition=edition)]
    size = -(-len(names) // chunks)
    return [
        FooterJob(
            names[start : start + size],
            paper,
            lang,
            first=start + 1,
            total=len(names),
            extra_css=extra_css,
            edition=edition,
        )
        for start in range(0, len(names), size)
    ]


def edition_css(edition: str) -> str:
    """The edition in the bottom right corner of every page but the front page, small (after FOOTERS_ONLY, which it
    overrides); "" for none. Only the footers draw it: no chapter's layout depends on it."""
    if not edition:
        return ""
    return (
        f"@page {{ @bottom-right {{ content: {css_string(edition)} !important; font-family: aix-heading, sans-serif; "
        "font-size: 6.5pt; color: #5b6570; vertical-align: top; padding-top: 5.6mm; text-align: right; } }"
        # the front page shows it under the title, and has no footer
        "@page front { @bottom-right { content: none !important; } }"
    )


def chunk_stylesheets(job: FooterJob) -> list:
    from weasyprint import CSS

    text = print_css_with_total(job.total)
    assert text is not None
    tail = "" if job.paper == "A4" else f"@page {{ size: {job.paper}; }}"
    start = f"@page :first {{ counter-reset: page {job.first}; }}"
    return [
        CSS(string=text, base_url=weasy.STYLES_URL, url_fetcher=make_fetcher({})),
        CSS(
            string=tail + job.css + start,
            base_url=weasy.STYLES_URL,
            url_fetcher=make_fetcher({}),
        ),
    ]


_PSEUDO_PAGES = {"first", "left", "right", "blank", "nth"}


def print_css_with_total(total: int) -> str | None:
    """print.css with ``counter(pages)`` written as ``total``; None when a chunk of the
    footers could not look like the book's (see the module's docstring)."""
    import tinycss2

    text = (weasy.STYLES_DIR / "print.css").read_text(encoding="utf-8")
    rules = tinycss2.parse_stylesheet(text)
    for rule in rules:
        if rule.type == "at-rule" and rule.lower_at_keyword == "page":
            prelude = tinycss2.serialize(rule.prelude).lower()
            if any(f":{pseudo}" in prelude for pseudo in _PSEUDO_PAGES) and not _other_boxes_only(rule):
                return None
            if rule.content is not None and not _replace_pages(rule.content, str(total)):
                return None
    return tinycss2.serialize(rules)


def _other_boxes_only(rule) -> bool:
    """A @page rule that only styles margin boxes the footer document draws empty (the
    contents' first page without its running head): a chunk looks like the book anyway."""
    import tinycss2

    items = tinycss2.parse_blocks_contents(rule.content or [], skip_comments=True, skip_whitespace=True)
    return all(item.type == "at-rule" and item.lower_at_keyword in OTHER_BOXES for item in items)


def _replace_pages(tokens: list, total: str) -> bool:
    """Replace each ``counter(pages)`` by the string ``total`` in place; False where the
    page count is asked for in another form."""
    import tinycss2.ast as ast

    for i, token in enumerate(tokens):
        if isinstance(token, ast.FunctionBlock):
            args = [a for a in token.arguments if a.type not in ("whitespace", "comment")]
            names = [a.lower_value for a in args if a.type == "ident"]
            if token.lower_name in ("counter", "counters") and "pages" in names:
                if token.lower_name != "counter" or len(args) != 1:
                    return False  # counters(), or a counter style
                tokens[i] = ast.StringToken(token.source_line, token.source_column, total, f'"{total}"')
                continue
            if not _replace_pages(token.arguments, total):
                return False
        elif isinstance(getattr(token, "content", None), list) and not _replace_pages(token.content, total):
            return False
    return True
