"""Link resolution, table-driven: every way the content writes a link."""

from __future__ import annotations

import pytest

from aixbook.book import load_book
from helpers import PNG

PAGES = {
    "docs/alpha.md": "## Intro\n>Category: x  \n>Permalink: https://example.org/go/intro/\n\n"
    "## Dup\n\n## Dup\n\nSee [b](/docs/beta/#part-two).[^n]\n\n[^n]: note\n",
    "docs/beta.md": "## Part one\n\n## Part two\n\n![pic](/images/p.png?v=2)\n",
    "about.md": "About us.\n",
}
REDIRECTS = {
    "/go/two/": "/docs/beta/#part-two",
    "/goto/one/": "/docs/beta/#part-one",
    "/go/about/": "/about",
    "/go/broken/": "/docs/beta/#nope",
    "/go/ext/": "https://owasp.org/x",
    "/go/hop/": "/go/two/",
    "/go/loop1/": "/go/loop2/",
    "/go/loop2/": "/go/loop1/",
}


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    from aixbook.book import load_sources, parse_source
    from aixbook.config import BookConfig
    from aixbook.links import build_table
    from aixbook.site import load_site
    from helpers import write_site

    root = write_site(tmp_path_factory.mktemp("s"), PAGES, redirects=REDIRECTS, files={"static/images/p.png": PNG})
    site = load_site(root)
    chapters = [parse_source(s, s.stem) for s in load_sources(site, BookConfig())]
    return build_table(site, chapters)[0]


@pytest.mark.parametrize(
    "href, kind, where",
    [
        ("/go/two/", "internal", "beta--part-two"),
        ("/goto/two/", "internal", "beta--part-two"),  # prefixes are one namespace
        ("/go/one", "internal", "beta--part-one"),  # listed only as /goto/
        ("https://example.org/go/two/", "internal", "beta--part-two"),
        ("https://www.example.org/goto/TWO/", "internal", "beta--part-two"),
        ("/go/intro/", "internal", "alpha--intro"),  # defined by a Permalink line only
        ("/go/hop/", "internal", "beta--part-two"),  # redirect to a redirect
        ("/docs/beta/", "internal", "beta"),
        ("/docs/beta", "internal", "beta"),
        ("/docs/beta/#part-one", "internal", "beta--part-one"),
        ("https://example.org/docs/beta/#part-one", "internal", "beta--part-one"),
        ("../beta/#part-one", "internal", "beta--part-one"),  # relative to /docs/alpha/
        ("#dup-1", "internal", "alpha--dup-1"),
        ("#", "internal", "alpha"),
        ("/go/about/", "site", "https://example.org/about"),
        ("/about", "site", "https://example.org/about"),
        ("/images/p.png", "site", "https://example.org/images/p.png"),
        ("/go/ext/", "external", "https://owasp.org/x"),
        ("https://owasp.org/", "external", "https://owasp.org/"),
        ("mailto:a@b.c", "external", "mailto:a@b.c"),
        ("https://[Examples](#x", "refused", "https://[Examples](#x"),
        ("/go/nothere/", "dangling", "https://example.org/go/nothere/"),
        ("/go/broken/", "dangling", "https://example.org/go/broken/"),
        ("/go/loop1/", "dangling", "https://example.org/go/loop1/"),
        ("#nope", "dangling", "https://example.org/docs/alpha/#nope"),
        ("/docs/beta/#nope", "dangling", "https://example.org/docs/beta/#nope"),
    ],
)
def test_resolve_href(table, href, kind, where):
    from aixbook.links import resolve_href

    t = resolve_href(table, href, "alpha").target
    assert t.kind == kind
    assert (t.uid if kind == "internal" else t.url) == where


@pytest.mark.parametrize(
    "href, reason",
    [
        ("/go/nothere/", "no redirect in firebase.json"),
        ("/go/tw0/", "Did you mean 'two'?"),
        ("/go/broken/", "anchor #nope does not exist on /docs/beta/"),
        ("/go/loop1/", "loop"),
        ("#dup-3", "Did you mean '#dup-1'?"),
    ],
)
def test_dangling_reasons_and_suggestions(table, href, reason):
    from aixbook.links import resolve_href

    assert reason in resolve_href(table, href, "alpha").target.reason


def test_relative_short_link_resolves_with_warning(table):
    from aixbook.links import resolve_href

    res = resolve_href(table, "go/two/", "alpha")
    assert res.target.uid == "beta--part-two" and "write '/go/two/'" in res.warning


def test_domain_without_scheme_is_external_with_warning(table):
    from aixbook.links import resolve_href

    res = resolve_href(table, "opencre.org/chatbot", "alpha")
    assert res.target.url == "https://opencre.org/chatbot" and res.warning


@pytest.mark.parametrize(
    "src, kind, path",
    [
        ("/images/p.png?v=2", "image", "images/p.png"),
        ("https://example.org/images/p.png", "image", "images/p.png"),
        ("/images/none.png", "missing-image", "images/none.png"),
        ("/../../etc/passwd", "refused", ""),
        ("file:///etc/passwd", "refused", ""),
        ("https://elsewhere.org/x.png", "external", ""),
    ],
)
def test_resolve_src(table, src, kind, path):
    from aixbook.links import resolve_src

    t = resolve_src(table, src, "beta")
    assert (t.kind, t.path) == (kind, path)


def test_book_ids_unique_and_links_rewritten(site_factory):
    root = site_factory(PAGES, redirects=REDIRECTS, files={"static/images/p.png": PNG})
    book = load_book(root)
    import re

    html = "".join(rc.html for rc in book.chapters)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Za-z_][\w.-]*", i) for i in ids)
    assert 'href="#beta--part-two"' in html
    assert 'src="images/p.png"' in html
    assert 'href="https://example.org/go/intro/"' in html  # the Permalink line stays a web address
    assert book.stats.dangling == 0
    assert [d for d in book.errors if d.path.name != "firebase.json"] == []
    assert [h.uid for h in book.chapters[1].headings] == ["beta--part-one", "beta--part-two"]


def test_redirect_to_missing_anchor_reported_in_firebase_json(site_factory):
    root = site_factory(PAGES, redirects=REDIRECTS, files={"static/images/p.png": PNG})
    book = load_book(root)
    fb = [d for d in book.errors if d.path and d.path.name == "firebase.json"]
    assert [d.message.split(":")[0] for d in fb] == [
        "redirect /go/broken/ → /docs/beta/#nope",
        "redirect loop",
        "redirect loop",
    ]
    assert all(d.line > 1 for d in fb)
    assert "/go/loop1/ → /go/loop2/ → /go/loop1/" in fb[1].message


def test_dangling_link_located_and_pointing_at_website(site_factory):
    root = site_factory({"docs/a.md": "one\n\ntwo [x](/go/missing/)\n"})
    book = load_book(root)
    (d,) = book.errors
    assert (d.path.name, d.line) == ("a.md", 6)  # 3 lines of front matter + line 3
    assert 'href="https://example.org/go/missing/"' in book.chapters[0].html


def test_missing_image_reported_and_shown_as_placeholder(site_factory):
    root = site_factory({"docs/a.md": "![Diagram](/images/gone.png)\n"})
    book = load_book(root)
    assert book.stats.missing_images == 1
    assert "missing image" in book.errors[0].message
    assert 'class="image-placeholder"' in book.chapters[0].html and "gone.png" in book.chapters[0].html
