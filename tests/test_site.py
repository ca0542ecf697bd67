import pytest

from aixbook.book import load_sources
from aixbook.config import BookConfig, load_config
from aixbook.errors import ConfigError, SourceError
from aixbook.site import find_site, load_site, read_source
from helpers import CORPUS, SAMPLE, needs_corpus, write_site


@needs_corpus
def test_finds_site_below_repository_root():
    assert find_site(CORPUS) == CORPUS / "content" / "ai_exchange"


@needs_corpus
def test_real_book_chapter_order_is_menu_docs():
    site = load_site(CORPUS)
    sources = load_sources(site, BookConfig())
    assert [s.stem for s in sources] == [
        "ai_security_overview",
        "1_general_controls",
        "2_threats_through_use",
        "3_development_time_threats",
        "4_runtime_application_security_threats",
        "5_testing",
        "6_privacy",
        "ai_security_references",
        "ai_security_index",
    ]
    assert sources[2].title == "2. Input threats"
    assert sources[0].url == "/docs/ai_security_overview/"


@needs_corpus
def test_real_book_short_links_from_firebase():
    site = load_site(CORPUS)
    from aixbook.links import short_redirects

    assert short_redirects(site)[0]["toc"].destination == "/docs/ai_security_overview/#table-of-contents"
    assert site.base_url == "https://owaspai.org/"


def test_sample_book_config_from_book_toml():
    site = load_site(SAMPLE)
    cfg = load_config(None, site.root, site.project_root)
    assert cfg.output_name == "sample-book" and cfg.front_page == "frontpage.html"


def test_weight_order_without_menu(tmp_path):
    root = write_site(
        tmp_path,
        {
            "docs/b.md": "---\ntitle: B\nweight: 1\n---\nb\n",
            "docs/a.md": "---\ntitle: A\nweight: 2\n---\na\n",
            "docs/c.md": "---\ntitle: C\n---\nc\n",
        },
        menu=[],
    )
    assert [s.stem for s in load_sources(load_site(root), BookConfig())] == ["b", "a", "c"]


def test_book_toml_chapter_list_overrides_menu(tmp_path):
    root = write_site(
        tmp_path, {"docs/a.md": "a\n", "docs/b.md": "b\n"}, files={"book.toml": 'chapters = ["b", "a"]\ntitle = "T"\n'}
    )
    site = load_site(root)
    cfg = load_config(None, site.root, site.project_root)
    assert [s.stem for s in load_sources(site, cfg)] == ["b", "a"]


def test_toml_front_matter(tmp_path):
    root = write_site(tmp_path, {"docs/a.md": '+++\ntitle = "Tee"\nweight = 3\n+++\nbody\n'})
    src = read_source(load_site(root), root / "content/docs/a.md")
    assert (src.title, src.weight, src.body_line) == ("Tee", 3, 5)


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("---\ntitle: [unclosed\n---\nx\n", 3, "invalid YAML front matter"),
        ("+++\ntitle = \n+++\nx\n", 2, "invalid TOML front matter"),
        ("---\ntitle: x\nbody never closes\n", 1, "front matter is not closed"),
    ],
)
def test_bad_front_matter_names_file_and_line(tmp_path, text, line, words):
    root = write_site(tmp_path, {"docs/a.md": text})
    with pytest.raises(SourceError) as exc:
        read_source(load_site(root), root / "content/docs/a.md")
    assert str(exc.value).startswith(f"{root / 'content/docs/a.md'}:{line}: {words}")


def test_not_utf8(tmp_path):
    root = write_site(tmp_path, {}, files={"content/docs/a.md": b"---\ntitle: a\n---\nok\n\xff bad\n"})
    with pytest.raises(SourceError, match=r"a\.md:5: not valid UTF-8"):
        read_source(load_site(root), root / "content/docs/a.md")


def test_no_hugo_config(tmp_path):
    with pytest.raises(ConfigError, match="no Hugo configuration"):
        load_site(tmp_path)


def test_menu_entry_naming_missing_page(tmp_path):
    root = write_site(tmp_path, {"docs/a.md": "a\n"}, menu=["a", "ghost"])
    with pytest.raises(ConfigError) as exc:
        load_sources(load_site(root), BookConfig())
    assert "ghost" in str(exc.value) and str(exc.value).startswith(f"{root / 'hugo.yaml'}:")


def test_bad_book_toml_collects_problems(tmp_path):
    (tmp_path / "book.toml").write_text('colour = "red"\ntoc_depth = 9\n')
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path / "book.toml")
    assert "unknown setting 'colour'" in str(exc.value) and "toc_depth" in str(exc.value)
    assert exc.value.exit_code == 2
