"""Short links as PDF destinations: ``book.pdf#NAME`` opens at the section /go/NAME/ names."""

from __future__ import annotations

import re

import pikepdf
import pymupdf
import pytest

from aixbook.assemble import assemble

pytestmark = pytest.mark.slow  # reads the sample and the real book's builds


def _names(pdf) -> set[str]:
    with pikepdf.open(pdf) as doc:
        flat = doc.Root.Names.Dests.Names
        return {str(flat[i]) for i in range(0, len(flat), 2)}


def _check(result) -> int:
    book, pdf = result.book, result.outputs["pdf"]
    names = _names(pdf)
    resolved = pymupdf.open(pdf).resolve_names()
    # a name that is already an id of the book (the contents' "toc") keeps its own place
    ids = set(re.findall(r'\bid="([^"]+)"', assemble(book).html))
    aliases = {n: uid for n, uid in book.short_names.items() if n not in ids}
    assert aliases
    for name, uid in aliases.items():
        assert name in names, name
        assert resolved[name] == resolved[uid], name  # the same page and place as its section
    return len(aliases)


def test_sample_book_short_links_are_destinations(sample_build):
    assert _check(sample_build) >= 2
    resolved = pymupdf.open(sample_build.outputs["pdf"]).resolve_names()
    page = pymupdf.open(sample_build.outputs["pdf"])[resolved["liferock"]["page"]]
    assert "2.3 Life on the rock" in page.get_text()


def test_real_book_every_short_link_to_a_section_is_a_destination(real_build):
    count = _check(real_build)
    assert count == len(real_build.book.short_names) - 1  # /go/toc/: the contents' own id wins
    doc = pymupdf.open(real_build.outputs["pdf"])
    page = doc[doc.resolve_names()["promptinjection"]["page"]]
    assert "Prompt injection" in page.get_text()
