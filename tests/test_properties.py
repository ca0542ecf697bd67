"""Property-based: generated and mutated Markdown through parse → links → assemble.

No exception but our own errors; when the book assembles, the HTML keeps its invariants
(unique ids, every "#x" link has its target, no Hugo shortcode opener left in the text).
Every example is held to hypothesis' deadline and every test to a pytest-timeout bound.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aixbook.assemble import assemble
from aixbook.book import load_book
from aixbook.errors import AixbookError
from helpers import PNG, SAMPLE, SITE_DIR, write_site

FRAGMENTS = [
    "# ",
    "## ",
    "### Heading",
    "#### #CONTROL",
    "- ",
    "  - ",
    "* ",
    "1. ",
    "> ",
    ">Permalink: https://example.org/go/x/",
    "| a | b |",
    "|---|---|",
    "```",
    "~~~",
    "    code",
    "**",
    "*",
    "_",
    "~~",
    "`",
    "[",
    "]",
    "(",
    ")",
    "![",
    "[x](/go/two/)",
    "[y](/goto/nowhere/)",
    "[z](#a)",
    "[w](/docs/b/#part)",
    "<br>",
    "<div>",
    "</div>",
    "<table><tr><td>",
    "</td></tr></table>",
    '<p class="x">',
    "<!-- c -->",
    "<<<BEGIN>>>",
    "<script>",
    '<img src="/images/p.png">',
    "{{< callout >}}",
    "{{< /callout >}}",
    "{{< spacer >}}",
    "{#id}",
    "[^1]",
    "[^1]: note",
    "Term\n: def",
    "- [x] ",
    "&amp;",
    "&#0;",
    "&#x1f;",
    '<b title="&#1;">',
    "✅",
    "한국어",
    "中文",
    "\u200d",
    "\t",
    "https://example.com",
    "www.example.org",
    "\\",
    "---",
    "===",
    "+++",
    "{{<",
    ">}}",
    "{{%",
    "%}}",
]

line = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=8).map("".join)
document = st.lists(line, max_size=40).map("\n".join)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = write_site(
        tmp_path_factory.mktemp("prop"),
        {"docs/a.md": "a\n", "docs/b.md": "## Part\n"},
        redirects={"/go/two/": "/docs/b/#part"},
        files={"static/images/p.png": PNG},
    )
    return root


SHORTCODE_OPENERS = ("{{<", "{{%")
_PARSER = lxml.html.HTMLParser(huge_tree=True)  # the pathological cases nest thousands deep


def assert_invariants(html: str) -> None:
    """What any assembled book must hold, whatever its Markdown."""
    root = lxml.html.document_fromstring(html, parser=_PARSER)
    ids = root.xpath("//@id")
    duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)
    assert not duplicates, f"ids defined more than once: {duplicates}"
    known = set(ids)
    broken = sorted(
        {h for h in root.xpath("//@href") if h.startswith("#") and h[1:] not in known and unquote(h[1:]) not in known}
    )
    assert not broken, f"in-document links without a target: {broken}"
    # The generators put "{{<" and "{{%" inside code spans and fences too (documentation of a
    # shortcode, which Markdown shows verbatim), so <code>/<pre> text is left out of this check.
    for el in root.xpath("//code | //pre"):
        el.drop_tree()  # keeps the text that follows the element
    text = root.text_content()
    for opener in SHORTCODE_OPENERS:
        at = text.find(opener)
        assert at < 0, f"shortcode opener {opener!r} reached the text: …{text[max(0, at - 60) : at + 30]!r}…"
    leaked = [v for v in root.xpath("//@*") if any(o in v for o in SHORTCODE_OPENERS)]
    assert not leaked, f"shortcode opener in attribute values: {leaked}"


def _run(site: Path, body: str) -> None:
    (site / "content/docs/a.md").write_text("---\ntitle: A\n---\n" + body, encoding="utf-8")
    try:
        doc = assemble(load_book(site))
    except AixbookError:
        return  # our own, reported error: the input is refused
    assert_invariants(doc.html)


def profile(examples: int, deadline: float):
    """``deadline``: seconds one example may take to load and assemble the site. Measured
    (derandomized, one run on a 2-core machine): generated bodies take at most 0.015 s,
    mutated chapters at most 0.75 s; the deadlines leave room for a slower or busier machine
    but still catch anything super-linear."""
    return settings(
        deadline=timedelta(seconds=deadline),
        max_examples=examples,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def test_invariant_checks_can_fail():
    """The checks above catch what they are meant to catch."""
    assert_invariants('<p id="a"><a href="#a">x</a> <code>{{&lt; x &gt;}}</code></p>')
    for bad in (
        '<p id="a"></p><p id="a"></p>',
        '<a href="#nowhere">x</a>',
        "<p>{{&lt; x &gt;}}</p>",
        "<p>{{% x %}}</p>",
        '<p title="{{&lt;">x</p>',
    ):
        with pytest.raises(AssertionError):
            assert_invariants(bad)


@pytest.mark.parametrize(
    "body",
    [
        "# <script>\n## ",  # raw HTML that swallows later headings: they leave the contents too
        "## A <script>\n\n## B\n\ntext\n",  # raw HTML that swallows later headings: they leave the contents too
        "<tr></\n\n## B\n",  # raw HTML that swallows later headings: they leave the contents too
        '<p title="x\n\n## B\n\n">\n',  # raw HTML that swallows later headings: they leave the contents too
        "`a` {{<\n",  # an unclosed opener after a code span: refused, as Hugo refuses it
        "`x {{< y\n",  # an unclosed opener inside a code span: Hugo reads shortcodes there too
        '{{< small-card link="/x {{< small-card link="/y/" title="T">}}\n',  # an opener inside arguments
    ],
)
def test_inputs_that_broke_an_invariant(site, body):
    """Inputs the property tests found (shrunk by hand) that once broke an invariant."""
    _run(site, body)


@pytest.mark.parametrize(
    ("body", "line", "says"),
    [
        ("text\n\n`a` {{<\n", 6, "unclosed shortcode"),
        ("`x {{< y\n", 4, "unclosed shortcode"),
        ('one\n{{< small-card link="/x\n{{< small-card link="/y/" title="T">}}\n', 6, "holds another '{{'"),
    ],
)
def test_shortcode_openers_hugo_refuses_are_refused_at_their_line(site, body, line, says):
    """Hugo reads shortcodes before Markdown, in code spans too, and stops at an opener
    without its closer or inside another shortcode's arguments: so does the book, with the
    file and line (front matter is lines 1-3)."""
    from aixbook.errors import SourceError

    (site / "content/docs/a.md").write_text("---\ntitle: A\n---\n" + body, encoding="utf-8")
    with pytest.raises(SourceError) as err:
        load_book(site)
    assert err.value.path.name == "a.md" and err.value.line == line, str(err.value)
    assert says in str(err.value)


@pytest.mark.timeout(120)  # about 1 s when it passes; the rest is room for shrinking
@profile(150, deadline=1)
@given(body=document)
def test_generated_markdown(site, body):
    _run(site, body)


def _chapters() -> list[str]:
    files = sorted((SAMPLE / "content/docs").glob("*.md"))
    if (SITE_DIR / "content/docs").is_dir():
        files += sorted((SITE_DIR / "content/docs").glob("[0-9]*.md"))[:3]
    return [f.read_text(encoding="utf-8").split("---", 2)[-1] for f in files]


CHAPTERS = _chapters()


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(CHAPTERS))
    for _ in range(draw(st.integers(1, 6))):
        n = len(text)
        i = draw(st.integers(0, n))
        j = draw(st.integers(i, min(n, i + 400)))
        op = draw(st.sampled_from(["delete", "duplicate", "insert", "truncate"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(st.sampled_from(FRAGMENTS)) + text[i:]
        else:
            text = text[:i]
    return text


@pytest.mark.timeout(300)  # about 8 s when it passes
@profile(60, deadline=5)
@given(body=mutated())
def test_mutated_chapters(site, body):
    _run(site, body)


@pytest.mark.timeout(30)  # each takes at most 0.5 s
@pytest.mark.parametrize(
    "body",
    [
        "".join("  " * i + "- x\n" for i in range(400)),
        ">" * 3000 + " deep\n",
        "word" * 30000 + "\n",
        "*a **b " * 5000 + "\n",
        "[" * 20000 + "x" + "]" * 20000 + "\n",
        "<div>" * 3000 + "x" + "</div>" * 3000 + "\n",
        "| a | b |\n|---|---|\n" + "| c | d |\n" * 5000,
    ],
)
def test_pathological_markdown_is_bounded(site, body):
    _run(site, body)


# ------------------------------------------------ nothing the author wrote is lost (issue 19)

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=9)
WORDS = st.lists(WORD, min_size=1, max_size=12).map(" ".join)
DEEPEST_LIST, DEEPEST_QUOTE = 50, 100  # the book's limits (README, Security)


@st.composite
def block(draw):
    """One Markdown block: (its Markdown, the texts a reader must find, whether it is past a limit)."""
    kind = draw(st.sampled_from(["paragraph", "heading", "list", "deep list", "quote", "code"]))
    if kind == "paragraph":
        lines = draw(st.lists(WORDS, min_size=1, max_size=4))
        return "\n".join(lines), [" ".join(lines)], False
    if kind == "heading":
        text = draw(WORDS)
        return f"{'#' * draw(st.integers(2, 4))} {text}", [text], False
    if kind == "code":
        text = draw(WORDS)
        return f"```\n{text}\n```", [text], False
    if kind == "quote":
        depth, text = draw(st.integers(1, DEEPEST_QUOTE + 10)), draw(WORDS)
        return ">" * depth + " " + text, [text], depth > DEEPEST_QUOTE
    if kind == "deep list":
        depth = draw(st.integers(1, DEEPEST_LIST + 5))
        texts = [draw(WORDS) for _ in range(depth)]
        return "\n".join("  " * i + "- " + t for i, t in enumerate(texts)), texts, depth > DEEPEST_LIST
    levels = [0]
    for _ in range(draw(st.integers(0, 8))):
        levels.append(draw(st.integers(0, levels[-1] + 1)))
    texts = [draw(WORDS) for _ in levels]
    return "\n".join("  " * lv + "- " + t for lv, t in zip(levels, texts, strict=True)), texts, False


def _reader_text(html: str) -> str:
    root = lxml.html.document_fromstring(html, parser=_PARSER)
    return " ".join(root.text_content().split())


@pytest.mark.timeout(120)  # about 10 s when it passes
@profile(80, deadline=3)
@given(blocks=st.lists(block(), min_size=1, max_size=12))
def test_every_paragraph_reaches_the_one_page_html(site, blocks):
    """Whatever the mix of paragraphs, headings, lists, quotes and code, and however deep
    (up to the limits and past them), every text of the source is in the one-page HTML, or
    the book is refused at a line for being past a limit: never a page that ends early."""
    body = "\n\n".join(md for md, _, _ in blocks) + "\n"
    (site / "content/docs/a.md").write_text("---\ntitle: A\n---\n" + body, encoding="utf-8")
    past_a_limit = any(past for _, _, past in blocks)
    try:
        doc = assemble(load_book(site))
    except AixbookError as exc:
        assert past_a_limit and "(input-too-large)" in str(exc) and "a.md:" in str(exc), str(exc)
        return
    assert not past_a_limit, "input past a limit was accepted"
    text = _reader_text(doc.html)
    lost = [t for _, texts, _ in blocks for t in texts if t not in text]
    assert not lost, f"text of the source missing from the HTML: {lost[:3]}"
