"""Where the printed book's words may break (hyphenate.py): the filter of pyphen's
positions, the elements left alone, the language the site declares. What the laid-out
book shows is tests/test_typesetting.py's."""

from __future__ import annotations

import pytest

from aixbook import htmlfrag
from aixbook.assemble import assemble
from aixbook.book import load_book
from aixbook.hyphenate import SOFT, book_language, hyphenate_text, hyphenate_tree, hyphenate_word, pyphen_language
from helpers import write_site


def shown(text: str) -> str:
    return text.replace(SOFT, "-")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        # en_US patterns (en_GB: "envir-on-ment", "vulner-ab-il-it-ies", "perform-ance")
        ("environment", "environ-ment"),
        ("vulnerabilities", "vulner-a-bil-i-ties"),
        ("performance", "perfor-mance"),
        ("organizations", "organi-za-tions"),
        ("Information", "Infor-ma-tion"),  # a capital letter at the start is a sentence's
        # under 9 letters: ragged-right text takes the gap
        ("training", "training"),
        ("separated", "separated"),  # "sepa-rated" leaves 4 letters before (en_GB: "separ-ated")
        ("poisoned", "poisoned"),
        ("model", "model"),
        # never in names written with inner capitals, acronyms, identifiers
        ("PyTorch", "PyTorch"),
        ("TensorFlow", "TensorFlow"),
        ("CYBERSECURITY", "CYBERSECURITY"),
        ("confidential2", "confidential2"),
    ],
)
def test_breaks_follow_us_patterns_and_the_rules(word, expected):
    assert shown(hyphenate_word(word, "en_US")) == expected


def test_every_break_leaves_five_letters_before_and_three_after():
    words = "responsibilities documentation implementation authorization confidentiality".split()
    for word in words:
        parts = hyphenate_word(word, "en_US").split(SOFT)
        assert len(parts) > 1, word
        assert len(parts[0]) >= 5 and len(parts[-1]) >= 3, parts


def test_us_and_british_breaks_differ():
    """The reason the site's "en-us" matters: pyphen's "en" is the British dictionary."""
    assert pyphen_language("en-us") == "en_US"
    assert pyphen_language("en") != "en_US"
    us, gb = hyphenate_word("environment", "en_US"), hyphenate_word("environment", pyphen_language("en"))
    assert shown(us) == "environ-ment" and shown(gb) == "envir-on-ment"


def test_identifiers_urls_and_the_last_word_keep_no_soft_hyphen():
    text = "the documentation of model_confidentiality at https://example.org/documentation explains documentation"
    out = hyphenate_text(text, "en_US", keep_last=True)
    assert out.split()[1] == "documen\u00adta\u00adtion"
    assert "model_confidentiality" in out and "https://example.org/documentation" in out
    assert out.endswith(" documentation")


def test_compounds_break_in_each_part_and_punctuation_stays_outside():
    out = hyphenate_text("(implementation-independent, organizational)", "en_US")
    assert shown(out) == "(imple-men-ta-tion-indepen-dent, organi-za-tional)"


def tree(html: str) -> str:
    root = htmlfrag.parse(html)
    hyphenate_tree(root, "en_US")
    return htmlfrag.serialize(root)


def test_running_text_is_hyphenated_headings_code_links_and_labels_are_not():
    out = tree(
        "<h2>Implementation documentation</h2>"
        "<p>Implementation <code>documentation</code> <a href='#x'>documentation</a> and more text here.</p>"
        "<blockquote class='meta'><p>Category: implementation documentation</p></blockquote>"
        "<pre>implementation documentation</pre>"
    )
    assert "<h2>Implementation documentation</h2>" in out
    assert "<p>Imple\u00admen\u00adta\u00adtion <code>documentation</code> <a" in out
    assert ">documentation</a>" in out
    assert "Category: implementation documentation" in out
    assert "<pre>implementation documentation</pre>" in out


def test_a_paragraphs_last_word_keeps_whole_even_after_inline_markup():
    out = tree("<p>Some <em>implementation</em> and organizational documentation.</p><li>responsibilities</li>")
    assert "<em>imple\u00admen\u00adta\u00adtion</em>" in out
    assert "organi\u00adza\u00adtional documentation.</p>" in out
    assert "<li>responsibilities</li>" in out


def test_a_word_running_into_another_element_is_left_whole():
    out = tree("<p>vulnerabilities<a href='https://x.org/'>https://x.org/</a> is organizational text here</p>")
    assert out.startswith("<p>vulnerabilities<a")
    assert "organi\u00adza\u00adtional" in out


def test_table_cells_are_left_whole():
    """Narrow, and WeasyPrint 70 sizes a table whose cells hold soft hyphens wider than the
    page (the real book's three-column GenAI table)."""
    cells = "<tr>" + "<td>implementation <em>documentation</em> organizational</td>" * 2 + "</tr>"
    out = tree(f"<table><tr><th>implementation organization</th></tr>{cells}</table>")
    assert SOFT not in out


def test_nested_blocks_are_paragraphs_of_their_own():
    out = tree("<ul><li>organizational responsibilities<ul><li>implementation documentation</li></ul></li></ul>")
    assert "organi\u00adza\u00adtional responsibilities<ul>" in out  # the item's last word
    assert "imple\u00admen\u00adta\u00adtion documentation</li>" in out


def test_the_site_declared_language_gives_the_dictionary(tmp_path):
    site = write_site(tmp_path / "s", {"docs/a.md": "# A\n\nImplementation documentation of organizations here.\n"})
    book = load_book(site)
    assert book.config.language == "en"  # the document's lang stays as it was
    assert book_language(book) == "en_US"  # hugo.yaml: languageCode: en-us
    pdf_html = assemble(book, hyphenate=True).html
    assert "Imple\u00admen\u00adta\u00adtion" in pdf_html
    assert SOFT not in assemble(book).html  # the one-page HTML and the EPUB: the reader's own


def test_each_language_of_a_multilingual_site_has_its_own_dictionary(tmp_path):
    hugo = (
        "baseURL: https://example.org/\ntitle: T\ndefaultContentLanguage: en\n"
        "languages:\n  en:\n    languageCode: en-us\n    weight: 1\n"
        "  de:\n    languageCode: de-de\n    weight: 2\n"
        "  fr:\n    languageCode: fr-fr\n    weight: 3\n"
    )
    pages = {
        "docs/_index.md": "---\ntitle: Docs\n---\n",
        "docs/a.md": "---\ntitle: A\n---\nText.\n",
        "docs/a.de.md": "---\ntitle: A\n---\nText.\n",
        "docs/a.fr.md": "---\ntitle: A\n---\nText.\n",
    }
    site = write_site(tmp_path / "m", pages, menu=[], files={"hugo.yaml": hugo})
    assert book_language(load_book(site)) == "en_US"
    assert book_language(load_book(site, content_language="de")) == "de_DE"
    assert book_language(load_book(site, content_language="fr")) == "fr"


def test_a_build_hyphenates_again_only_the_chapter_that_changed(tmp_path, monkeypatch):
    """The PDF's hyphenated chapters are kept between builds (hyphenate.Memo): a second
    build looks up no word, an edit hyphenates that chapter alone, and the PDF is the one
    a build without the memo makes."""
    from aixbook import assemble as assembly
    from aixbook.build import build

    words = "Interoperability considerations accompany the organizational documentation. " * 6
    site = write_site(tmp_path / "site", {"docs/a.md": f"## Alpha\n\n{words}\n", "docs/b.md": f"## Beta\n\n{words}\n"})
    looked_up: list[str] = []
    real = assembly.hyphenate_tree

    def counted(root, lang):
        looked_up.append(htmlfrag.text_of(root).split()[0])
        real(root, lang)

    monkeypatch.setattr(assembly, "hyphenate_tree", counted)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    out = tmp_path / "out"
    build(site, formats=("pdf",), output_dir=out, jobs=1)
    assert len(looked_up) == 2
    looked_up.clear()
    build(site, formats=("pdf",), output_dir=out, jobs=1)
    assert looked_up == []
    (site / "content" / "docs" / "b.md").write_text(f"## Beta\n\n{words}More.\n", encoding="utf-8")
    build(site, formats=("pdf",), output_dir=out, jobs=1)
    assert looked_up == ["Beta"]
    fresh = tmp_path / "fresh"
    build(site, formats=("pdf",), output_dir=fresh, jobs=1)
    assert next(out.glob("*.pdf")).read_bytes() == next(fresh.glob("*.pdf")).read_bytes()
    assert SOFT in assembly.assemble(load_book(site), hyphenate=True).html
