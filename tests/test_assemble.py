"""The assemble stage, table-driven: a small book in, the parts of the HTML document out."""

from __future__ import annotations

import lxml.html
import pytest

from aixbook.assemble import assemble
from aixbook.book import load_book
from helpers import PNG, write_site


def document(tmp_path, body: str, *, index: str | None = None, **overrides):
    pages = {"docs/a.md": "---\ntitle: 1. Alpha\n---\n" + body}
    if index is not None:
        pages["docs/ai_security_index.md"] = "---\ntitle: Index\n---\n" + index
    root = write_site(tmp_path / "site", pages, files={"static/images/p.png": PNG})
    book = load_book(root, **overrides)
    doc = assemble(book)
    return doc, lxml.html.document_fromstring(doc.html)


def one(tree, xpath: str):
    found = tree.xpath(xpath)
    assert len(found) == 1, (xpath, [lxml.html.tostring(f) for f in found])
    return found[0]


@pytest.mark.parametrize(
    "markdown, xpath, expect",
    [
        # An image alone in its paragraph becomes a captioned figure; its file is a resource.
        ("![A cat](/images/p.png)\n", "string(//figure[@class='figure']/figcaption)", "A cat"),
        ("![A cat](/images/p.png)\n", "string(//figure/img/@src)", "images/p.png"),
        # …also when it is wrapped in a link to itself (the link is unwrapped).
        ("[![A cat](/images/p.png)](/images/p.png)\n", "count(//figure/img)", 1.0),
        # An image inside text stays inline.
        ("See ![icon](/images/p.png) here.\n", "count(//figure)", 0.0),
        # Images without alt text get one: their title, else the section they illustrate.
        ("## Setup\n\n![](/images/p.png)\n", "string(//img/@alt)", "Figure in “Setup”"),
        ('![](/images/p.png "The title")\n', "string(//img/@alt)", "The title"),
        ("## Setup\n\n![](/images/p.png)\n", "string(//img/@data-alt-generated)", "1"),
        ("![Written](/images/p.png)\n", "count(//img[@data-alt-generated])", 0.0),
        # Tables: wide ones (6+ columns) and short ones (at most a third of a page high, kept
        # whole in print: tablefit.py) are marked for print.
        ("|a|b|c|d|e|f|\n|-|-|-|-|-|-|\n|1|2|3|4|5|6|\n", "string(//table/@class)", "wide short"),
        ("|a|b|\n|-|-|\n" + "|name|value|\n" * 12, "string(//table/@class)", "short"),
        # …nine rows of paragraphs are most of a page: that table may break between rows
        ("|a|b|\n|-|-|\n" + f"|name|{'words ' * 60}|\n" * 9, "count(//table[@class])", 0.0),
        ("|a|b|\n|-|-|\n" + "|1|2|\n" * 30, "string(//table/@class)", "long"),
        # No page break inside the rows a cell spans (print.css: tr.span-open).
        (
            "<table><tr><td rowspan='3'>A</td><td>1</td></tr><tr><td>2</td></tr><tr><td>3</td></tr>"
            "<tr><td>B</td><td>4</td></tr></table>\n",
            "count(//tr[@class='span-open'])",
            2.0,
        ),
        # A bold label alone on its line stays with what follows.
        ("**Description**\n\nText.\n", "string(//p[@class='label'])", "Description"),
        ("**Bold** in a sentence.\n", "count(//p[@class='label'])", 0.0),
        # …and a one-line paragraph after it is kept with what follows that.
        ("**Description**\n\nText.\n\n- item\n", "count(//p[@class='keep-next'])", 1.0),
        # …unless that line is all of it: another label (or a heading, or the end) follows
        ("**Description**\n\nText.\n\n**Objective**\n\nMore.\n", "count(//p[@class='keep-next'])", 0.0),
        ("**Description**\n\n" + "Text " * 40 + "\n", "count(//p[@class='keep-next'])", 0.0),
        # A label opening its paragraph ("**Description**<br>text") keeps 3 lines (print.css).
        ("**Description**<br>\n" + "Text " * 40 + "\n", "count(//p[@class='label-lead'])", 1.0),
        (
            "**Description**<br>\nOne line.\n\n- item\n",
            "string(//p[contains(@class,'label-lead')]/@class)",
            "label-lead keep-next",
        ),
        ("**Description**<br>\nOne line.\n\n## Next\n", "string(//p[contains(@class,'label')]/@class)", "label-lead"),
        ("**Bold** and<br>\nmore.\n", "count(//p[contains(@class,'label')])", 0.0),
        # Runs of 120+ characters without a space get break opportunities.
        ("x" * 130 + "\n", "contains(string(//section[@class='chapter']//p), '\u200b')", True),
        # Each chapter is a section with its title as h1, and appears in the contents.
        ("## Part\n", "string(//section[@id='a']/h1[@class='chapter-title'])", "1. Alpha"),
        ("## Part\n", "string(//nav[@id='Contents']//a[@href='#a--part'])", "Part"),
        ("## Part\n", "string(//nav[@id='Contents']//li[@class='toc-chapter']/a/@href)", "#a"),
    ],
)
def test_chapter_parts(tmp_path, markdown, xpath, expect):
    _, tree = document(tmp_path, markdown)
    assert tree.xpath(xpath) == expect


def test_resources_are_exactly_the_images_shown(tmp_path):
    doc, _ = document(tmp_path, "![A](/images/p.png)\n\n![B](/images/p.png?v=2)\n")
    assert list(doc.resources) == ["images/p.png"]
    assert doc.resources["images/p.png"].read_bytes() == PNG


def test_index_paragraphs_become_lists_and_stay_out_of_the_contents(tmp_path):
    index = "### A\n\n[Alpha](/docs/a/)<br>\n[Part](/docs/a/#part)\n"
    _, tree = document(tmp_path, "## Part\n", index=index)
    entries = tree.xpath("//section[contains(@class,'index-chapter')]//ul[@class='index-entries']/li/a")
    assert [(a.text, a.get("href"), a.get("class")) for a in entries] == [
        ("Alpha", "#a", "index-ref"),
        ("Part", "#a--part", "index-ref"),
    ]
    assert not tree.xpath("//nav[@id='Contents']//a[starts-with(@href,'#ai_security_index--')]")


@pytest.mark.parametrize(
    ("front", "where"),
    [
        # {{EDITION}}: the page places the edition itself, once, as text
        (
            '<h1>Guide</h1><p class="mine">Release {{EDITION}}, {{DATE}}</p>',
            [("p", "mine", "Release v3 <b> & co, 24 November 2025")],
        ),
        ('<h1>Guide</h1><h2 title="{{EDITION}}">Sub</h2>', [("h2", None, "Sub")]),
        # without it, the line goes under the first h1, as before
        (
            '<h1>Guide</h1><p class="mine">Made {{DATE}}</p>',
            [("p", "edition", "Edition: v3 <b> & co"), ("p", "mine", "Made 24 November 2025")],
        ),
    ],
)
def test_a_front_page_places_the_edition_where_edition_stands(tmp_path, monkeypatch, front, where):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    root = write_site(tmp_path / "site", {"docs/a.md": "Text.\n"}, files={"scripts/pdf_frontpage.html": front})
    doc = assemble(load_book(root, edition="v3 <b> & co"))
    page = one(lxml.html.document_fromstring(doc.html), "//section[@class='front-page']")
    placed = [(el.tag, el.get("class"), el.text_content()) for el in page.iterdescendants() if el.tag != "h1"]
    assert placed == where
    assert "{{" not in doc.html
    if "title=" in front:  # in an attribute too, and nothing else added
        assert one(page, ".//h2").get("title") == "v3 <b> & co"


def test_the_books_own_ids_are_never_a_short_name_or_a_chapters_key(tmp_path):
    """/go/toc/ and /go/colophon/ name the site's headings, and pages called Contents and
    Colophon are chapters: the contents, colophon and front page keep ids of their own."""
    from aixbook.assemble import assemble_parts
    from aixbook.links import OWN_IDS

    pages = {
        "docs/toc.md": "## Table of contents\n\nThe site's own list.\n",
        "docs/Contents.md": "Text.\n",
        "docs/Colophon.md": "## Colophon\n\nText.\n",
    }
    redirects = {"/go/toc/": "/docs/toc/#table-of-contents", "/go/colophon/": "/docs/colophon/#colophon"}
    book = load_book(write_site(tmp_path / "site", pages, redirects=redirects))
    assert book.short_names == {"toc": "toc--table-of-contents", "colophon": "Colophon-2--colophon"}
    keys = [rc.chapter.key for rc in book.chapters]
    assert keys == ["toc", "Contents-2", "Colophon-2"] and not OWN_IDS & set(keys)
    html = assemble_parts(book, colophon="pdf").document().html
    tree = lxml.html.document_fromstring(html)
    ids = tree.xpath("//@id")
    assert len(ids) == len(set(ids)) and set(ids) >= OWN_IDS
    assert not OWN_IDS & set(book.short_names) and not OWN_IDS & set(book.anchors)
    assert one(tree, "//nav[@role='doc-toc']").get("id") == "Contents"


def test_xref_pages_marks_internal_links_only(tmp_path):
    body = "## Part\n\nSee [part](#part) and [site](https://owasp.org/).\n"
    _, tree = document(tmp_path, body, xref_pages=True)
    assert tree.xpath("string(//a[@href='#a--part']/@class)") == "xref"
    assert tree.xpath("string(//a[@href='https://owasp.org/']/@class)") == ""


def test_head_carries_title_language_and_dates(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    _, tree = document(tmp_path, "Text.\n")
    assert tree.get("lang") == "en"
    assert tree.xpath("string(//title)") == "Test Site"
    assert tree.xpath("string(//meta[@name='dcterms.created']/@content)") == "2025-11-24T16:00:00Z"


def test_front_page_ids_do_not_clash_with_chapters(tmp_path):
    front = '<div id="a"><p>Front</p><img src="assets/x.png"></div>'
    root = write_site(
        tmp_path / "site", {"docs/a.md": "Text.\n"}, files={"scripts/pdf_frontpage.html": front, "assets/x.png": PNG}
    )
    doc = assemble(load_book(root))
    tree = lxml.html.document_fromstring(doc.html)
    assert one(tree, "//section[@id='Front-page']/div").get("id") == "front-a"
    assert one(tree, "//section[@id='a']").tag == "section"
    assert one(tree, "//section[@id='Front-page']//img").get("alt") == "Cover artwork of Test Site"
    assert doc.resources["assets/x.png"].read_bytes() == PNG
