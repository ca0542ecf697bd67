"""The edition on the page: the line under the front page's title, and the colophon.

The colophon is the page after the front page, where a book has its imprint (the verso of
the title page): a reader who wants to cite the book, or to know which state of the
guide they hold, looks there first, before the contents. It is a part of the release PDF
of its own, so a new commit lays out the front page and the colophon again, not the
chapters.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from . import __version__, htmlfrag
from .links import COLOPHON_ID
from .model import Book

#: Licence files looked for in the repository and the site, and what their text names.
LICENSE_FILES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "LICENCE.md", "COPYING", "COPYING.md")
_KNOWN_LICENSES = (
    ("CC0 1.0 Universal", "CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    ("Attribution-ShareAlike 4.0", "CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
    ("Attribution 4.0 International", "CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    ("Apache License", "Apache License 2.0", "https://www.apache.org/licenses/LICENSE-2.0"),
    ("MIT License", "MIT License", "https://opensource.org/license/mit"),
)


@dataclass(frozen=True)
class License:
    name: str
    url: str = ""


def find_license(book: Book) -> License | None:
    """The book's licence, from the site: its params (``license``/``licence``, or Hugo's
    ``copyright``), a LICENSE file beside it, else the first ``rel="license"`` link in the
    chapters (the AI Exchange marks itself CC0 that way). None when nothing says."""
    site = book.site
    found = site.config.get("params")
    params: dict = found if isinstance(found, dict) else {}
    for value in (params.get("license"), params.get("licence"), site.config.get("copyright")):
        if isinstance(value, str) and value.strip():
            return License(" ".join(value.split()))
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            return License(value["name"], str(value.get("url") or ""))
    for folder in dict.fromkeys((site.root, site.project_root)):
        for name in LICENSE_FILES:
            file = Path(folder) / name
            if file.is_file() and site.may_read(file):
                head = file.read_text(encoding="utf-8", errors="replace")[:4000]
                for needle, label, url in _KNOWN_LICENSES:
                    if needle.lower() in head.lower():
                        return License(label, url)
                first = next((line.strip("# ") for line in head.splitlines() if line.strip()), "")
                if first:
                    return License(first[:80])
    for rc in book.chapters:
        if "license" not in rc.html and "creativecommons.org" not in rc.html:
            continue
        for a in htmlfrag.parse(rc.html).iter("a"):
            href = a.get("href", "")
            if "license" in (a.get("rel") or "").split() or _CC.match(href):
                text = " ".join(htmlfrag.text_of(a).split())
                url = _CC.sub(r"https://\1", href).split("?")[0] if _CC.match(href) else href
                return License(text or url, url)
    return None


#: A Creative Commons licence or dedication (the sanitizer keeps no ``rel`` attribute).
_CC = re.compile(r"https?://((?:www\.)?creativecommons\.org/(?:licenses|publicdomain)/)")


def human(date: str) -> str:
    """YYYY-MM-DD as "22 August 2026"."""
    from datetime import date as day

    try:
        d = day.fromisoformat(date)
    except ValueError:
        return date
    return f"{d.day} {d.strftime('%B %Y')}"


def add_edition_line(root, book: Book) -> None:
    """The edition as a line under the front page's title (its first ``h1``, else at its end)."""
    p = etree.Element("p")
    p.set("class", "edition")
    p.text = f"Edition: {book.edition.name}"
    h1 = next(root.iter("h1"), None)
    if h1 is None:
        root.append(p)
        return
    p.tail = h1.tail
    h1.tail = None
    h1.addnext(p)


#: Short names a reader would take for this PDF's own pages (/go/toc/ names a heading of
#: the site, not these contents): "how to cite" shows another as its example.
_LIKE_OWN_PAGES = frozenset({"toc", "contents", "colophon", "cover", "front-page"})


def example_name(book: Book) -> str:
    """A short name to show in "how to cite": the first, in book order, that names a
    section and is a destination of its own in the PDF."""
    by_uid: dict[str, str] = {}
    for name, uid in sorted(book.short_names.items()):
        if name not in _LIKE_OWN_PAGES and name not in book.anchors:
            by_uid.setdefault(uid, name)
    for rc in book.chapters:
        for h in rc.headings:
            if h.uid in by_uid:
                return by_uid[h.uid]
    return ""


def colophon_html(book: Book, built: str, pdf_name: str = "") -> str:
    """The colophon's section: edition, dates, commit, licence, how to cite, the tool.

    ``pdf_name``: the PDF's file name, for the PDF's colophon (a section is cited as
    ``NAME.pdf#NAME`` too, and the print styles are set); "" for the EPUB's and the
    one-page HTML's, which say the same but for that."""
    esc = htmllib.escape
    ed = book.edition
    cfg = book.config
    site = book.site.base_url
    rows = [("Edition", esc(ed.name)), ("Built", esc(built))]
    if ed.commit:
        commit = f'<a href="{esc(ed.commit_url)}">{esc(ed.commit)}</a>' if ed.commit_url else esc(ed.commit)
        when = f" of {esc(human(ed.date))}" if ed.date else ""
        rows.append(("Commit", f'<span class="commit">{commit}</span>{when}'))
    if ed.repository:
        rows.append(("Source", f'<a href="{esc(ed.repository)}">{esc(ed.repository)}</a>'))
    licence = find_license(book)
    if licence is not None:
        text = f'<a href="{esc(licence.url)}">{esc(licence.name)}</a>' if licence.url else esc(licence.name)
        rows.append(("Licence", text))
    title = esc(cfg.title or "")
    # print: a page of its own, its headings out of the outline as the front page's title
    # is (the outline lists the contents), addresses never broken across lines
    page, quiet = (' style="page: chapter-first"', f' style="{_QUIET}"') if pdf_name else ("", "")

    def code(text: str) -> str:
        return _code(text) if pdf_name else f"<code>{esc(text)}</code>"

    out = [
        f'<section class="colophon" id="{COLOPHON_ID}"{page} aria-labelledby="{COLOPHON_ID}-title">',
        f'<h1 id="{COLOPHON_ID}-title" class="colophon-title"{quiet}>{esc(TITLE)}</h1>',
    ]
    out += [f'<p class="colophon-{_slug(label)}"><strong>{label}:</strong> {value}</p>' for label, value in rows]
    out.append(f'<h2 id="{COLOPHON_ID}-cite"{quiet}>{esc(_CITE)}</h2>')
    who = esc(", ".join(cfg.authors)) if cfg.authors else ""
    out.append(
        f'<p class="colophon-citation">{who + ". " if who and who != title else ""}<em>{title}</em>, '
        f'edition {esc(ed.name)}. <a href="{esc(site)}">{esc(site)}</a></p>'
    )
    if name := example_name(book):
        # the example lands on its section here; a link to the website would leave the book
        example = f'<a href="#{esc(book.short_names[name])}">{code(site + "go/" + name + "/")}</a>'
        if pdf_name:
            out.append(
                f"<p>A section, by its permalink: {code(site + 'go/NAME/')} on the website, "
                f"{code(pdf_name + '#NAME')} in this PDF (e.g. {example} and {code(pdf_name + '#' + name)}).</p>"
            )
        else:
            out.append(f"<p>A section, by its permalink: {code(site + 'go/NAME/')} (e.g. {example}).</p>")
    out.append(f'<p class="colophon-tool">Made with aixbook {esc(__version__)}.</p>')
    out.append("</section>")
    return "\n".join(out)


#: The colophon's heading, and the title of the EPUB's document that holds it.
TITLE = "About this edition"
_QUIET = "bookmark-level: none"


def _code(text: str) -> str:
    """An address or a file name, never broken across lines (it is copied whole)."""
    return f'<code style="white-space: nowrap">{htmllib.escape(text)}</code>'


_CITE = "How to cite"


def _slug(label: str) -> str:
    return re.sub(r"[^a-z]+", "-", label.lower()).strip("-")
