"""The real book's PDF set like a book (issue 24), measured from the PDF as a reader sees
it (tests/typeset_facts.py): few and well-placed hyphens, in the site's language, labels
kept with their text. Before the issue the same measures gave 1,175 automatic hyphens,
37 runs of three, 397 breaks leaving fewer than 3 letters, 84 fragment lines, 10 pages
ending with a label and one line."""

from __future__ import annotations

import pymupdf
import pyphen
import pytest
from lxml import html

from typeset_facts import measure


@pytest.fixture(scope="module")
def facts(real_build):
    source = html.parse(str(real_build.outputs["html"])).getroot().text_content()
    with pymupdf.open(real_build.outputs["pdf"]) as doc:
        return measure(doc, source)


def test_automatic_hyphens_are_few(facts):
    assert 50 <= len(facts.breaks) <= 300, facts.summary()


def test_no_three_hyphenated_lines_in_a_row(facts):
    assert facts.runs3 == []


def test_every_break_leaves_three_letters_on_each_side(facts):
    assert [(b.page + 1, b.before, b.after) for b in facts.short] == []


def test_no_line_holds_only_a_fragment(facts):
    assert [(p + 1, t) for p, t in facts.fragment_lines] == []


def test_no_word_is_split_across_a_page_turn(facts):
    # "Where feasible": a line WeasyPrint moves to the next page for the widows rule after
    # the line above it was made may leave a hyphen at a page's foot (none in this book).
    assert [(b.page + 1, b.word) for b in facts.page_turns] == []


def test_no_page_ends_with_a_label_and_one_line_of_its_text(facts):
    assert [(p + 1, t) for p, t in facts.label_ends] == []


def test_breaks_follow_the_sites_us_english_patterns(facts):
    """hugo.yaml says ``languageCode: en-us``: every break is at a US position, and many
    are where British patterns would never break ("environ-ment", not "envir-onment")."""
    us = pyphen.Pyphen(lang="en_US", left=1, right=1)
    gb = pyphen.Pyphen(lang="en_GB", left=1, right=1)
    words = [(b.word.lower(), len(b.before)) for b in facts.breaks]
    assert [(w, at) for w, at in words if at not in us.positions(w)] == []
    only_us = sorted({w for w, at in words if at not in gb.positions(w)})
    assert len(only_us) >= 10, only_us
