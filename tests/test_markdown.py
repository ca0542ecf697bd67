from pathlib import Path

import pytest

from aixbook.errors import SourceError
from aixbook.markdown import IdFactory, hugo_id, render

P = Path("docs/x.md")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("#AI PROGRAM", "ai-program"),
        ("1.1 General governance controls", "11-general-governance-controls"),
        ("How about ...", "how-about-"),
        ("Data & model: 'governance'", "data--model-governance"),
        ("snake_case stays", "snake_case-stays"),
        ("Koreaans 한국어", "koreaans-한국어"),
        ("", ""),
    ],
)
def test_hugo_id(text, expected):
    assert hugo_id(text) == expected


def test_duplicate_ids_get_numbers():
    ids = IdFactory()
    assert [ids.generate("Examples") for _ in range(3)] == ["examples", "examples-1", "examples-2"]
    assert ids.generate("") == "heading"


def test_headings_ids_lines_and_explicit_id():
    body = "## One\n\ntext\n\n## One\n\n### Custom {#my-id}\n\n## my-id\n"
    r = render(body, P, first_line=5)
    assert [(h.level, h.text, h.id, h.line) for h in r.headings] == [
        (2, "One", "one", 5),
        (2, "One", "one-1", 9),
        (3, "Custom", "my-id", 11),
        (2, "my-id", "my-id-1", 13),
    ]
    assert 'id="my-id"' in r.html and "{#" not in r.html


def test_explicit_id_twice_is_an_error():
    r = render("## A {#x}\n\n## B {#x}\n", P)
    assert [(d.severity, d.line) for d in r.diagnostics] == [("error", 3)]
    assert "defined twice" in r.diagnostics[0].message


def test_typographer_does_not_change_ids_but_changes_text():
    r = render('## "Quoted" -- text...\n', P)
    assert r.headings[0].id == "quoted----text"
    assert r.headings[0].text == "“Quoted” – text…"


def test_metadata_quote_and_permalink():
    body = "## Prompt injection\n>Category: threat  \n>Permalink: https://owaspai.org/go/promptinjection/\n\ntext\n"
    r = render(body, P, first_line=10)
    assert '<blockquote class="meta">' in r.html
    assert r.permalinks == (("https://owaspai.org/go/promptinjection/", "prompt-injection", 12),)


def test_ordinary_quote_is_not_metadata():
    assert 'class="meta"' not in render("> Just a quote\n", P).html


def test_unknown_tag_is_text_not_markup():
    html = render("Data: <<<BEGIN UNTRUSTED DATA>>> here\n", P).html
    assert "&lt;BEGIN UNTRUSTED DATA&gt;" in html
    assert "<BEGIN" not in html


def test_known_raw_html_is_kept():
    html = render('Line<br>next <span class="x">y</span>\n', P).html
    assert "<br>" in html and '<span class="x">' in html


def test_lists_without_blank_line_and_two_space_nesting():
    html = render("Intro:\n- a\n  - b\n- c\n", P).html
    assert html.count("<li>") == 3 and html.count("<ul>") == 2


def test_footnote_table_tasklist_deflist_strikethrough():
    body = (
        "Text[^1] ~~gone~~\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n\nTerm\n: Definition\n\n[^1]: The note.\n"
    )
    html = render(body, P).html
    for needle in ('class="footnote-ref"', "<table>", "<s>gone</s>", 'type="checkbox"', "<dt>Term</dt>", "The note."):
        assert needle in html


def test_callout_cards_spacer_shortcodes():
    body = (
        '{{< callout type="info" >}}\n  Click **here**.\n{{< /callout >}}\n\n{{< spacer height="10" >}}\n'
        '{{< cards >}}\n    {{< small-card link="/docs/a/" title="A" >}}\n{{< /cards >}}\n'
    )
    r = render(body, P)
    assert '<div class="callout callout-info" role="note">' in r.html
    assert "<strong>here</strong>" in r.html
    assert '<ul class="cards">' in r.html and '<a href="/docs/a/">A</a>' in r.html
    assert "{{" not in r.html and not r.diagnostics


def test_unknown_shortcode_warns_with_line_and_keeps_inner_text():
    r = render("para\n\n{{< fancy x=1 >}}inner words{{< /fancy >}}\n", P, first_line=3)
    assert "inner words" in r.html and "{{" not in r.html
    assert [(d.severity, d.line) for d in r.diagnostics] == [("warning", 5)]
    assert "fancy" in r.diagnostics[0].message


def test_heading_lines_survive_shortcode_expansion():
    r = render("{{< callout >}}\nx\n{{< /callout >}}\n\n## After\n", P, first_line=1)
    assert r.headings[0].line == 5


def test_unclosed_shortcode_is_a_source_error():
    with pytest.raises(SourceError) as exc:
        render('ok\n\n{{< callout type="info"\n\nmore\n', P, first_line=4)
    assert str(exc.value).startswith("docs/x.md:6: unclosed shortcode")


def test_shortcode_syntax_in_code_is_documented_escaped_as_hugo_wants():
    # Hugo reads shortcodes before Markdown, in code spans too: an unclosed opener there
    # stops its build (checked with Hugo), and so it stops ours, at its line.
    with pytest.raises(SourceError) as exc:
        render("Write `{{< callout` to start.\n", P)
    assert str(exc.value).startswith("docs/x.md:1: unclosed shortcode")
    # The escaped form is how documentation shows one: printed as written, without /* */.
    html = render("Write `{{</* callout */>}}` to start.\n", P).html
    assert "<code>{{&lt; callout &gt;}}</code>" in html


def test_tilde_lines_are_not_definitions_as_in_goldmark():
    html = render("CONSTRAINTS:\n~ Do not add anything\n~ Keep it short\n", P).html
    assert "<dl>" not in html and "~ Do not add anything" in html
    assert "<dl>" in render("Term\n: Definition\n", P).html


def test_text_the_engine_skips_is_an_error_at_its_line():
    """The safety net under every limit: markdown-it at its own nesting limit (20, a list ten
    levels deep) skips the rest of the page; the check names the first line it skipped."""
    from markdown_it import MarkdownIt

    from aixbook.markdown import _check_nothing_lost

    text = "intro\n\n" + "".join("  " * i + f"- item {i}\n" for i in range(12)) + "\nafter\n"
    tokens = MarkdownIt("gfm-like").parse(text)
    with pytest.raises(SourceError, match="dropped the text from this line on") as err:
        _check_nothing_lost(tokens, text, {}, Path("a.md"), lambda i: i + 1)
    assert err.value.line == 12 and text.splitlines()[11] == "                  - item 9"
    _check_nothing_lost(MarkdownIt("gfm-like", {"maxNesting": 100}).parse(text), text, {}, Path("a.md"), str)
