"""Property-based: generated and mutated Markdown through parse → links → assemble.

No exception but our own errors, and every case within hypothesis' deadline.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aixbook.assemble import assemble
from aixbook.book import load_book
from aixbook.errors import AixbookError
from conftest import SAMPLE, SITE_DIR, write_site

FRAGMENTS = [
    "# ", "## ", "### Heading", "#### #CONTROL", "- ", "  - ", "* ", "1. ", "> ", ">Permalink: https://example.org/go/x/",
    "| a | b |", "|---|---|", "```", "~~~", "    code", "**", "*", "_", "~~", "`", "[", "]", "(", ")", "![",
    "[x](/go/two/)", "[y](/goto/nowhere/)", "[z](#a)", "[w](/docs/b/#part)", "<br>", "<div>", "</div>",
    "<table><tr><td>", "</td></tr></table>", "<p class=\"x\">", "<!-- c -->", "<<<BEGIN>>>", "<script>",
    "<img src=\"/images/p.png\">", "{{< callout >}}", "{{< /callout >}}", "{{< spacer >}}", "{#id}",
    "[^1]", "[^1]: note", "Term\n: def", "- [x] ", "&amp;", "&#0;", "&#x1f;", "<b title=\"&#1;\">", "✅", "한국어", "中文", "\u200d", "\t",
    "https://example.com", "www.example.org", "\\", "---", "===", "+++", "{{<", ">}}", "{{%", "%}}",
]

line = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=8).map("".join)
document = st.lists(line, max_size=40).map("\n".join)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = write_site(tmp_path_factory.mktemp("prop"), {"docs/a.md": "a\n", "docs/b.md": "## Part\n"},
                      redirects={"/go/two/": "/docs/b/#part"}, files={"static/images/p.png": b"\x89PNG"})
    return root


def _run(site: Path, body: str) -> None:
    (site / "content/docs/a.md").write_text("---\ntitle: A\n---\n" + body, encoding="utf-8")
    try:
        book = load_book(site)
        assemble(book)
    except AixbookError:
        pass


def profile(examples: int):
    return settings(deadline=timedelta(seconds=10), max_examples=examples, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@profile(150)
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


@profile(60)
@given(body=mutated())
def test_mutated_chapters(site, body):
    _run(site, body)


@pytest.mark.parametrize("body", [
    "".join("  " * i + "- x\n" for i in range(400)),
    ">" * 3000 + " deep\n",
    "word" * 30000 + "\n",
    "*a **b " * 5000 + "\n",
    "[" * 20000 + "x" + "]" * 20000 + "\n",
    "<div>" * 3000 + "x" + "</div>" * 3000 + "\n",
    "| a | b |\n|---|---|\n" + "| c | d |\n" * 5000,
])
def test_pathological_markdown_is_bounded(site, body):
    _run(site, body)
