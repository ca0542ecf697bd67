"""Shared fixtures: the real AI Exchange built once per session, throwaway sites."""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "ai-exchange"
SAMPLE = ROOT / "book"
SITE_DIR = CORPUS / "content" / "ai_exchange"
# A fixed date makes the built files comparable between runs.
EPOCH = "1764000000"

needs_corpus = pytest.mark.skipif(
    not (CORPUS / "content" / "ai_exchange" / "hugo.yaml").is_file(),
    reason=f"the AI Exchange corpus is not at {CORPUS} (tests read it from ../shared, never a copy)")


@pytest.fixture(scope="session")
def real_book():
    """The real book, loaded (parsed and resolved, not rendered)."""
    if not (SITE_DIR / "hugo.yaml").is_file():
        pytest.skip(f"the AI Exchange corpus is not at {CORPUS}")
    from aixbook.book import load_book
    return load_book(CORPUS)


@pytest.fixture(scope="session")
def real_build(tmp_path_factory):
    """The real book built once (PDF, EPUB, HTML) for every test that reads the outputs."""
    if not (SITE_DIR / "hugo.yaml").is_file():
        pytest.skip(f"the AI Exchange corpus is not at {CORPUS}")
    from aixbook.build import build
    out = tmp_path_factory.mktemp("real")
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        return build(CORPUS, ("pdf", "epub", "html"), out)
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


@pytest.fixture(scope="session")
def real_single_pdf(tmp_path_factory):
    """The real book as one WeasyPrint document (the PDF before it was laid out in parts):
    what the release PDF must be equivalent to."""
    if not (SITE_DIR / "hugo.yaml").is_file():
        pytest.skip(f"the AI Exchange corpus is not at {CORPUS}")
    from aixbook.book import load_book
    from aixbook.render.pdf import render_single
    target = tmp_path_factory.mktemp("single") / "single.pdf"
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        render_single(load_book(CORPUS), target)
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old
    return target


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory):
    """Our own sample book (book/) built once, all formats."""
    from aixbook.build import build
    out = tmp_path_factory.mktemp("sample")
    return build(SAMPLE, ("pdf", "epub", "html"), out)


HUGO_YAML = """\
baseURL: https://example.org/
title: Test Site
languageCode: en-us
markup:
  goldmark:
    renderer:
      unsafe: true
menu:
  docs:
{menu}
"""


def write_site(root: Path, pages: dict[str, str], *, menu: list[str] | None = None,
               redirects: dict[str, str] | None = None, files: dict[str, str | bytes] | None = None) -> Path:
    """Write a throwaway Hugo site: ``pages`` maps "docs/a.md" → Markdown (front matter added
    when missing); ``menu`` lists docs stems in order (default: every docs page given);
    ``redirects`` maps "/go/x/" → destination; ``files`` are written as they are."""
    root.mkdir(parents=True, exist_ok=True)
    stems = menu if menu is not None else [Path(p).stem for p in pages if p.startswith("docs/")]
    menu_yaml = "\n".join(f"    - name: \"{s}\"\n      pageRef: /docs/{s}\n      weight: {i + 1}"
                          for i, s in enumerate(stems)) or "    []"
    if not (files and "hugo.yaml" in files):
        (root / "hugo.yaml").write_text(HUGO_YAML.format(menu=menu_yaml), encoding="utf-8")
    for rel, text in pages.items():
        path = root / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not text.startswith(("---", "+++")):
            text = f"---\ntitle: {Path(rel).stem}\n---\n" + textwrap.dedent(text)
        path.write_text(text, encoding="utf-8")
    if redirects:
        import json
        data = {"hosting": {"redirects": [{"source": s, "destination": d, "type": 302}
                                          for s, d in redirects.items()]}}
        (root / "firebase.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    for rel, content in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def site_factory(tmp_path):
    def make(pages, **kw):
        return write_site(tmp_path / "site", pages, **kw)
    return make
