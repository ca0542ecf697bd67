"""Previews: choosing a chapter or section, links in a preview, watch and serve."""

from __future__ import annotations

import threading
import time
import urllib.request
from pathlib import Path

import pymupdf
import pytest

from aixbook.book import gather
from aixbook.cache import ChapterCache
from aixbook.preview import SelectionError, render_preview, select
from helpers import CORPUS, PNG, SAMPLE, needs_corpus, spawn_cli, wait_until, write_site


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    if not (CORPUS / "content/ai_exchange/hugo.yaml").is_file():
        pytest.skip(f"the AI Exchange corpus is not at {CORPUS}")
    return gather(CORPUS)


@needs_corpus
@pytest.mark.parametrize(
    "query, stem, heading",
    [
        ("2", "2_threats_through_use", None),
        ("2_threats_through_use", "2_threats_through_use", None),
        ("input threats", "2_threats_through_use", None),
        ("Input Threats", "2_threats_through_use", None),
        ("2.2", "2_threats_through_use", "2.2 Prompt injection"),
        ("2.2.1", "2_threats_through_use", "2.2.1. Direct prompt injection"),
        ("promptinjection", "2_threats_through_use", "2.2 Prompt injection"),
        ("toc", "ai_security_overview", "Table of contents"),
        ("privacy", "6_privacy", None),
        ("5", "5_testing", None),
    ],
)
def test_select(real, query, stem, heading):
    sel = select(real, query)
    assert sel.chapter.source.stem == stem
    assert (sel.heading.text if sel.heading else None) == heading


@needs_corpus
@pytest.mark.parametrize(
    "query, words",
    [
        ("threats", ["ambiguous", "2. Input threats", "3. Development-time threats"]),
        ("nosuchthing", ["no chapter or section matches", "0. AI Security Overview", "Index"]),
        ("2.9", ["no section is numbered 2.9", "2.1", "2.5"]),
    ],
)
def test_select_errors_list_candidates(real, query, words):
    with pytest.raises(SelectionError) as exc:
        select(real, query)
    assert all(w in str(exc.value) for w in words)
    assert exc.value.exit_code == 2


def _links(pdf: Path):
    doc = pymupdf.open(pdf)
    internal, uris = [], []
    for page in doc:
        for link in page.get_links():
            if link["kind"] == pymupdf.LINK_URI:
                uris.append(link["uri"])
            elif link["kind"] in (pymupdf.LINK_GOTO, pymupdf.LINK_NAMED):
                internal.append(link.get("page", -1))
    return doc, internal, uris


@needs_corpus
def test_section_preview_links(real, tmp_path):
    pdf, book = render_preview(CORPUS, "2.2", tmp_path, cache=ChapterCache(tmp_path / "c"))
    assert pdf == tmp_path / "preview" / "2_threats_through_use--22-prompt-injection.pdf"
    doc, internal, uris = _links(pdf)
    toc = doc.get_toc()
    assert toc[0][1] == "2. Input threats" and toc[1][1] == "2.2 Prompt injection"
    assert not any("Evasion" in t[1] for t in toc)  # only the section
    assert internal and all(0 <= p < doc.page_count for p in internal)
    # A link to another chapter or section goes to its website address (a page the site
    # has, an anchor that page has) …
    site = "https://owaspai.org/docs/"
    ids = {c.source.stem: c.ids for c in real.chapters}
    web = [u[len(site) :].split("/", 1) for u in uris if u.startswith(site)]
    assert [u for u in web if u[0] not in ids or u[1].lstrip("#") not in ids[u[0]] | {""}] == []
    assert {stem for stem, frag in web if frag.startswith("#")} - {"2_threats_through_use"}
    # … never to /go/ (only the sections' own Permalink addresses stay web links) …
    permalinks = {p[0] for p in book.chapters[0].chapter.permalinks}
    assert [u for u in uris if "/go/" in u and u not in permalinks] == []
    # … and a section that is in this file is linked inside it, not on the website.
    here = {h.id for h in book.chapters[0].headings}
    assert [
        u for u in uris if u.startswith("https://owaspai.org/docs/2_threats_through_use/#") and u.split("#")[1] in here
    ] == []
    text = "".join(p.get_text() for p in doc)
    assert "2.2.1. Direct prompt injection" in text and "2.3. Sensitive data disclosure" not in text


@needs_corpus
def test_chapter_preview_has_header_and_page_numbers_but_no_front_page(tmp_path):
    pdf, book = render_preview(CORPUS, "6", tmp_path)
    doc = pymupdf.open(pdf)
    assert doc.get_toc()[0][1] == "6. AI privacy"
    assert "Contents" not in doc[0].get_text() and "Generated from" not in doc[0].get_text()
    last = doc[doc.page_count - 1].get_text()
    assert f"{doc.page_count} / {doc.page_count}" in last
    assert "6. AI privacy" in doc[1].get_text()  # running header
    assert all(d.path.name == "6_privacy.md" for d in book.diagnostics if d.path)
    # The PDF preview resolves every chapter once for the book's numbers, and reports the
    # previewed chapter's links and diagnostics, as the HTML preview (that chapter alone) does.
    _, alone = render_preview(CORPUS, "6", tmp_path, fmt="html")
    assert book.stats == alone.stats and book.stats.external > 0
    assert book.diagnostics == alone.diagnostics


def test_cache_is_used_and_safe_to_delete(tmp_path):
    root = write_site(tmp_path / "s", {"docs/a.md": "## A\n\ntext [b](/docs/b/#b)\n", "docs/b.md": "## B\n"})
    cache = ChapterCache(tmp_path / "cache")
    gather(root, cache=cache)
    assert (cache.hits, cache.misses) == (0, 2)
    gather(root, cache=cache)
    assert cache.hits == 2
    (root / "content/docs/a.md").write_text("---\ntitle: a\n---\n## A changed\n")
    g = gather(root, cache=cache)
    assert cache.hits == 3 and g.chapters[0].headings[0].text == "A changed"
    import shutil

    shutil.rmtree(tmp_path / "cache")
    assert gather(root, cache=cache).chapters[1].headings[0].id == "b"


def test_watch_loop_rebuilds_after_a_change(tmp_path):
    from aixbook.serve import watch_loop, watched_files

    root = write_site(
        tmp_path / "s", {"docs/a.md": "## A\n", "docs/b.md": "## B\n"}, files={"static/images/i.png": PNG}
    )
    (root / "content/docs/a.md").write_text("---\ntitle: a\n---\n## A\n\n![i](/images/i.png)\n")
    g = gather(root)
    files = watched_files(g, [g.chapters[0].key])
    assert root.joinpath("content/docs/a.md").resolve() in files
    assert root.joinpath("static/images/i.png").resolve() in files
    assert root.joinpath("content/docs/b.md").resolve() not in files
    rebuilt = []
    stop = threading.Event()
    t = threading.Thread(target=watch_loop, args=(lambda: files, lambda: rebuilt.append(1), stop), daemon=True)
    t.start()
    try:
        time.sleep(0.8)
        (root / "content/docs/a.md").write_text("---\ntitle: a\n---\n## A edited\n")
        assert wait_until(lambda: rebuilt), "no rebuild within 20 s of the edit"
        n = len(rebuilt)
        (root / "content/docs/b.md").write_text("---\ntitle: b\n---\n## B edited\n")  # not watched
        time.sleep(1.5)
        assert len(rebuilt) == n
    finally:
        stop.set()
        t.join(5)
    assert not t.is_alive()


def test_server_serves_page_and_reloads_after_change(tmp_path):
    from aixbook.book import load_book
    from aixbook.build import render_to
    from aixbook.livereload import RELOAD_PATH, PreviewServer
    from aixbook.serve import watch_loop, watched_files

    root = write_site(tmp_path / "s", {"docs/a.md": "## Hello\n"})
    folder = tmp_path / "out"

    def once():
        book = load_book(root)
        render_to(book, "html", folder / "book.html")
        return folder / "book.html"

    page = once()
    server = PreviewServer(folder, page.name, port=0)
    server.serve_in_thread()
    stop = threading.Event()
    g = gather(root)
    watcher = threading.Thread(
        target=watch_loop, args=(lambda: watched_files(g), lambda: (once(), server.bump()), stop), daemon=True
    )
    watcher.start()
    try:
        body = urllib.request.urlopen(server.url, timeout=5).read().decode()
        assert "Hello" in body and RELOAD_PATH in body
        v0 = urllib.request.urlopen(server.url + RELOAD_PATH[1:], timeout=5).read()
        time.sleep(0.8)
        (root / "content/docs/a.md").write_text("---\ntitle: a\n---\n## Goodbye\n")
        assert wait_until(lambda: urllib.request.urlopen(server.url + RELOAD_PATH[1:], timeout=5).read() != v0)
        assert "Goodbye" in urllib.request.urlopen(server.url, timeout=5).read().decode()
    finally:
        stop.set()
        server.close()
        watcher.join(5)


def test_cli_watch_rebuilds_and_stops_cleanly_on_ctrl_c(tmp_path):
    import shutil
    import signal

    site = tmp_path / "book"
    shutil.copytree(SAMPLE, site)
    proc, lines, reader = spawn_cli("preview", "1", site, "-o", tmp_path / "o", "--html", "--watch")
    try:
        page = tmp_path / "o/preview/1_towers_and_lights.html"
        assert wait_until(page.exists), "no first build"
        time.sleep(1.0)
        chapter = site / "content/docs/1_towers_and_lights.md"
        chapter.write_text(chapter.read_text() + "\nA new closing line.\n")
        # The rebuild's one line (with its time) is printed after the file is in place.
        assert wait_until(lambda: any("rebuilt" in ln for ln in lines)), "no rebuild line after the edit"
        assert "A new closing line." in page.read_text()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
        err = proc.stderr.read()
        reader.join(5)
    rebuilt = [ln for ln in lines if "rebuilt" in ln]
    assert rebuilt and rebuilt[0].rstrip().endswith(" s")
    assert "stopped" in err and "Traceback" not in err


@pytest.mark.timeout(300)
def test_cli_ctrl_c_during_a_watch_rebuild_stops_and_keeps_the_previous_output(tmp_path):
    import signal

    # A chapter long enough that its PDF takes a second or more to lay out, so the
    # Ctrl-C lands while the rebuild is writing, not before it starts or after it ends.
    body = "".join(f"## Part {i}\n\n" + "Words to lay out on a page. " * 30 + "\n\n" for i in range(80))
    site = write_site(tmp_path / "s", {"docs/a.md": body})
    folder = tmp_path / "o/preview"
    proc, errors, reader = spawn_cli("preview", "a", site, "-o", tmp_path / "o", "--watch", read="stderr")
    try:
        assert wait_until(lambda: any("watching" in ln for ln in errors), timeout=180), "no first build"
        previous = (folder / "a.pdf").read_bytes()
        chapter = site / "content/docs/a.md"
        # The rebuild renders into a temporary file beside the page and renames it when done.
        # Edit again every 2 s until it starts (the watcher may still be starting on a busy machine).
        end, edited = time.monotonic() + 60, 0.0
        while not list(folder.glob(".a.pdf.*.part")):
            assert time.monotonic() < end and proc.poll() is None, "no rebuild started after the edits"
            if time.monotonic() - edited > 2:
                chapter.write_text(chapter.read_text() + "\nA new closing line.\n")
                edited = time.monotonic()
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)  # well within: it stops in a fraction of a second
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(5)
    err = "".join(errors)
    assert proc.returncode == 130, err
    assert (folder / "a.pdf").read_bytes() == previous
    assert sorted(p.name for p in folder.iterdir()) == ["a.pdf"]
    assert "stopped" in err and "interrupted; previous outputs are untouched" in err and "Traceback" not in err


def test_an_interrupted_render_does_not_stop_the_next(tmp_path):
    from aixbook import output
    from aixbook.book import load_book
    from aixbook.build import render_to
    from aixbook.serve import build_page

    site = write_site(tmp_path / "s", {"docs/a.md": "## A\n"})
    book = load_book(site)
    try:
        output.INTERRUPTED.set()  # a Ctrl-C whose KeyboardInterrupt was swallowed mid-render
        with pytest.raises(KeyboardInterrupt):
            render_to(book, "html", tmp_path / "refused.html")
        assert not (tmp_path / "refused.html").exists()
        path, _ = render_preview(site, "a", tmp_path / "o", fmt="html")  # the next preview in this process
        assert path.is_file()
        output.INTERRUPTED.set()
        page, _ = build_page(site, tmp_path / "serve")  # and the next serve rebuild
        assert page.is_file()
    finally:
        output.reset_interrupt()


@pytest.mark.timeout(60)
def test_ctrl_c_swallowed_inside_a_rebuild_still_ends_the_watch(tmp_path):
    from aixbook import output
    from aixbook.serve import Report, preview_session

    site = write_site(tmp_path / "s", {"docs/a.md": "## A\n"})
    chapter = site / "content/docs/a.md"
    editing = threading.Event()

    def edit_until_stopped():
        while editing.is_set():
            time.sleep(0.3)
            chapter.write_text(chapter.read_text() + "\nMore.\n")

    def built(path, book, seconds, rebuilt):
        if rebuilt:
            output.INTERRUPTED.set()  # what the handler leaves when its KeyboardInterrupt is swallowed
        elif not editing.is_set():
            editing.set()
            threading.Thread(target=edit_until_stopped, daemon=True).start()

    lines: list[str] = []
    try:
        with pytest.raises(KeyboardInterrupt):
            preview_session(
                site, "a", tmp_path / "o", fmt="html", watch=True, report=Report(built=built, status=lines.append)
            )
    finally:
        editing.clear()
        output.reset_interrupt()
    assert lines == ["watching for changes; Ctrl-C stops", "stopped"]
