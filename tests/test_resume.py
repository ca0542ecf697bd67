"""A part laid out again from page k of its last layout (render/pdf/resume.py): the pages it
makes are the pages a full layout makes, drawn the same and reading the same, unedited and
after an edit; after an edit of texts only, the new pages meet the old ones again and the
old pages from there on are the full layout's too."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json

import pikepdf
import pymupdf
import pytest

from aixbook.render.pdf import internals, resume
from aixbook.render.pdf.fontmerge import parse_to_unicode, to_unicode_cmap
from aixbook.render.pdf.layout import lay_out
from aixbook.render.pdf.parts import NO_FOOTER, SENTINEL, PartJob

ADDED = " This sentence was added to change one line of the paragraph."


def _drawings(pdf: bytes) -> list[str]:
    """Each page's content stream (decompressed), as a digest."""
    out = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            contents = page.obj.get("/Contents")
            parts = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
            out.append(hashlib.sha256(b"".join(p.read_bytes() for p in parts)).hexdigest())
    return out


def _texts(pdf: bytes, maps_from: bytes | None = None) -> list[str]:
    """Each page's text. ``maps_from``: a PDF whose fonts' Unicode maps come first (as the
    combined PDF merges them, fontmerge.py): WeasyPrint maps each glyph to the text of its
    first use in a document, and the first use of a ligature across a soft hyphen maps to
    nothing, so which pages a document starts with changes its maps, not its glyphs."""
    if maps_from is not None:
        first: dict[str, dict[int, str]] = {}
        with pikepdf.open(io.BytesIO(maps_from)) as ref:
            for page in ref.pages:
                for font in page.obj.Resources.get("/Font", {}).values():
                    if "/ToUnicode" in font:
                        first.setdefault(str(font.BaseFont), parse_to_unicode(font.ToUnicode.read_bytes()))
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            for page in doc.pages:
                for font in page.obj.Resources.get("/Font", {}).values():
                    if "/ToUnicode" in font and str(font.BaseFont) in first:
                        own = parse_to_unicode(font.ToUnicode.read_bytes())
                        merged = {g: t for g, t in own.items() if t}
                        merged.update({g: t for g, t in first[str(font.BaseFont)].items() if t})
                        font.ToUnicode = doc.make_stream(to_unicode_cmap(merged))
            out = io.BytesIO()
            doc.save(out)
            pdf = out.getvalue()
    with pymupdf.open(stream=pdf) as doc:
        return [page.get_text() for page in doc]


def _same_pages(got: bytes, want: bytes, first: int, count: int | None = None) -> None:
    """Pages ``first..`` of ``want`` are the pages of ``got`` (all of them, or ``count``)."""
    drawn, wanted = _drawings(got), _drawings(want)[first:]
    count = len(drawn) if count is None else count
    assert len(drawn) >= count and len(wanted) >= count
    differ = [first + i for i in range(count) if drawn[i] != wanted[i]]
    assert not differ, f"pages drawn differently: {differ}"
    read, expected = _texts(got, maps_from=want), _texts(want)[first:]
    differ = [first + i for i in range(count) if read[i] != expected[i]]
    assert not differ, f"pages reading differently: {differ}"


def _links(pdf: bytes) -> list[list[tuple]]:
    """Each page's links: (rectangle, target), a destination in the part and a link to
    the sentinel (which the combining step resolves) both given as the id they land on."""
    out = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            row = []
            for annot in page.obj.get("/Annots", []):
                action = annot.get("/A")
                if "/Dest" in annot:
                    target = str(annot.Dest)
                elif action is not None and action.get("/S") == "/URI":
                    target = str(action.URI).removeprefix(SENTINEL)
                else:
                    target = repr(action)
                row.append((tuple(round(float(x), 2) for x in annot.Rect), target))
            out.append(sorted(row))
    return out


def _kept(old: bytes, want: bytes, start: int) -> None:
    """The old pages from ``start`` on are the full layout's pages from there."""
    assert _drawings(old)[start:] == _drawings(want)[start:]
    assert _texts(old, maps_from=want)[start:] == _texts(want)[start:]


def _edited(job: PartJob, html: str) -> PartJob:
    return dataclasses.replace(job, html=html)


def _resumed(job: PartJob, new: PartJob, record: resume.Record):
    edit = resume.find_edit(resume._html(job).etree_element, resume._html(new).etree_element, resume.part_css(new))
    assert edit is not None
    k = resume.choose_k(record, edit)
    pdf, done = resume.lay_out_from(new, record, k, edit)
    return edit, pdf, done


# ---------------------------------------------------------------- a small part


def _small_html(extra: str = "", at: int = -1) -> str:
    sections = []
    for s in range(9):
        paras = []
        for n in range(6):
            words = " ".join(
                f"sen\u00adtence{s}{n}{w} spec\u00adif\u00adi\u00adcally con\u00adtin\u00adues" for w in range(14)
            )
            links = '<a href="#s0">back to the first section</a>, <a href="#s8">on to the last</a>' if n == 1 else ""
            paras.append(f"<p>Paragraph {s}.{n}: {words}.{links}{extra if (s, n) == divmod(at, 6) else ''}</p>")
        items = "".join(f"<li>Item {i} of section {s}, a line of its own</li>" for i in range(4))
        sections.append(
            f'<h2 id="s{s}">Section {s}</h2>\n' + "\n".join(paras[:3]) + f"\n<ol>{items}</ol>\n" + "\n".join(paras[3:])
        )
    body = "\n".join(sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/><title>Small book</title></head>'
        '<body class="book"><section class="chapter" id="ch"><h1 class="chapter-title">1. A chapter</h1>\n'
        f"{body}\n</section></body></html>"
    )


def _small_job(html: str) -> PartJob:
    return PartJob(
        key="ch",
        label="chapter 1",
        html=html,
        resources={},
        extra_css=NO_FOOTER + 'html { string-set: booktitle "Small book"; }',
        paper="A4",
        pdf_variant="pdf/ua-1",
        foreign=frozenset(),
        numbers=(),
        strings=(),
    )


@pytest.fixture(scope="module")
def small():
    job = _small_job(_small_html())
    pdf, record, document = resume.lay_out_recorded(job)
    assert record.pages >= 8, record.pages
    return job, pdf, record, document


def test_resuming_needs_the_weasyprint_code_it_was_written_for(small, monkeypatch):
    assert resume.why_not() == []
    assert resume.usable()
    job, _, record, _ = small
    from aixbook.render.pdf import internals

    ours = [i for i in internals.INTERNALS if "resume" in i.features]
    assert len(ours) == 9
    changed = dataclasses.replace(ours[3], fingerprint="0" * 16)
    monkeypatch.setattr(internals, "INTERNALS", tuple(changed if i is ours[3] else i for i in internals.INTERNALS))
    internals.forget()
    try:
        want = f"{changed.owner} changed (fingerprint {ours[3].fingerprint}, written for {'0' * 16})"
        assert resume.why_not() == [want]
        assert list(internals.problems()) == ["resume"]  # and nothing else is lost
        with pytest.raises(resume.CannotResume, match="changed"):
            resume.lay_out_from(job, record, 3)
    finally:
        monkeypatch.undo()
        internals.forget()


def test_the_recorded_layout_is_weasyprints_own(small):
    job, pdf, _, _ = small
    from aixbook.render.pdf import weasy

    html = resume._html(job)
    document = html.render(
        stylesheets=weasy.stylesheets(job.paper, job.extra_css), **weasy.write_options(job.pdf_variant)
    )
    assert _drawings(resume._write(document, job)) == _drawings(pdf)


def test_a_record_is_plain_data(small):
    _, _, record, _ = small
    again = resume.Record.from_json(record.to_json())
    assert again == record
    assert json.loads(record.to_json())["entries"][0]["resume_at"] is None
    # every page after the first starts somewhere inside the chapter's section
    assert all(entry["resume_at"] for entry in record.entries[1:-1])
    assert record.entries[-1]["resume_at"] is None
    # the running head's string is set on the first page only: later pages read it from there
    assert record.strings[0]["chapter"] == ["1. A chapter"]
    assert not any("chapter" in named for named in record.strings[1:])


@pytest.mark.parametrize("k", [1, 3, 6])
def test_resumed_pages_are_the_full_layouts_pages(small, k):
    job, pdf, record, _ = small
    part, done = resume.lay_out_from(job, resume.Record.from_json(record.to_json()), k)
    assert done.sync is None and done.k == k
    assert len(_drawings(part)) == record.pages - k
    _same_pages(part, pdf, k)
    assert done.record == record
    # links to the pages before k go to the sentinel, to be resolved when combined
    want = _links(lay_out(job).pdf)[k:]
    assert _links(part) == want and any(want)


def test_a_running_head_read_from_the_pages_before(small):
    job, _, record, _ = small
    part, _ = resume.lay_out_from(job, record, 4)
    head = _texts(part)[0].splitlines()
    assert "1. A chapter" in head and "Small book" in head


def test_a_text_edit_lays_out_only_the_pages_it_moves(small):
    job, pdf, record, document = small
    page = record.first_pages[_element_index(document, "p", 20)]
    new = _edited(job, _small_html(ADDED * 3, at=20))
    full, full_record, _ = resume.lay_out_recorded(new)
    edit, part, done = _resumed(job, new, record)
    assert edit.text is not None and done.k == page - 1
    assert done.sync is not None and done.sync < record.pages, "never met the old pages again"
    _same_pages(part, full, done.k)
    assert len(_drawings(part)) == done.sync - done.k
    _kept(pdf, full, done.sync)
    assert done.record == full_record


def test_an_edit_at_the_end(small):
    job, _, record, document = small
    new = _edited(job, _small_html(ADDED, at=53))
    full, full_record, _ = resume.lay_out_recorded(new)
    _, part, done = _resumed(job, new, record)
    assert done.k == record.first_pages[_element_index(document, "p", 53)] - 1 >= record.pages - 3
    _same_pages(part, full, done.k)
    assert done.record.entries == full_record.entries


def test_a_paragraph_added_lays_out_to_the_end(small):
    job, _, record, _ = small
    html = job.html.replace('<h2 id="s5">', '<p>A paragraph added before section five.</p><h2 id="s5">')
    new = _edited(job, html)
    full, full_record, _ = resume.lay_out_recorded(new)
    edit, part, done = _resumed(job, new, record)
    assert edit.text is None and done.sync is None
    assert 0 < done.k < record.pages - 1
    _same_pages(part, full, done.k)
    assert done.record.entries == full_record.entries


def test_what_an_edit_changed():
    old = resume._html(_small_job(_small_html())).etree_element
    same = resume._html(_small_job(_small_html())).etree_element
    assert resume.find_edit(old, same, "") is None
    text = resume.find_edit(old, resume._html(_small_job(_small_html(ADDED, at=7))).etree_element, "")
    assert text is not None and text.text and len(text.text) == 1
    added = _small_html().replace('<h2 id="s5">', '<p>new</p><h2 id="s5">')
    edit = resume.find_edit(old, resume._html(_small_job(added)).etree_element, "")
    assert edit is not None and edit.text is None
    # a selector that looks at the siblings after an element moves the edit back
    back = resume.find_edit(old, resume._html(_small_job(added)).etree_element, "li:nth-last-child(3) {}")
    assert back is not None and back.first < edit.first
    assert (
        resume.find_edit(old, resume._html(_small_job(added)).etree_element, "p:nth-last-child(2n) {}").first
        < back.first
    )
    assert resume.find_edit(old, same, ":empty {}") == resume.Edit(0, None)


def test_a_record_knows_its_html_as_find_edit_compares_it(small):
    """The record keeps the shape of the HTML it laid out, so that the next edit is found
    without parsing that HTML again: the same edits are found from it as from the HTML,
    and a record laid out from the page before an edit (its pages before emptied) keeps
    the whole new HTML's."""
    job, _, record, _ = small
    old = resume._html(job).etree_element
    assert record.shape == resume.Shape.of_root(old)
    assert resume.Record.from_json(record.to_json()).shape == record.shape
    added = _small_html().replace('<h2 id="s5">', '<p>new</p><h2 id="s5">')
    edits = [_small_html(ADDED, at=7), _small_html(ADDED, at=53), added, _small_html().replace("<ol>", "<ul>", 1)]
    for html in [*edits, _small_html()]:
        new = resume._html(_small_job(html)).etree_element
        for css in ("", "li:nth-last-child(3) {}"):
            assert resume.find_edit(record.shape, new, css) == resume.find_edit(old, new, css)
    new = _edited(job, _small_html(ADDED, at=53))
    _, _, done = _resumed(job, new, record)
    assert done.k > 0 and done.record.shape == resume.Shape.of_root(resume._html(new).etree_element)


def test_a_page_that_is_no_clean_start_is_refused(small):
    job, _, record, _ = small
    spoilt = resume.Record.from_json(record.to_json())
    spoilt.unclean[3] = ["footnotes carried over"]
    with pytest.raises(resume.CannotResume):
        resume.lay_out_from(job, spoilt, 3)
    with pytest.raises(resume.CannotResume):
        resume.lay_out_from(job, record, 0)


def _element_index(document, tag: str, nth: int) -> int:
    """The document-order index of the ``nth`` element ``tag`` of the laid-out document."""
    root = internals.root_element(document)
    elements = list(root.iter())
    return elements.index([el for el in elements if el.tag == tag][nth])


# ---------------------------------------------------------------- the real book


@pytest.fixture(scope="module")
def chapter2(real_book):
    from aixbook.render import RenderOptions
    from aixbook.render.pdf.pipeline import plan

    p = plan(real_book, RenderOptions(jobs=1))
    src = next(s for s in p.sources if s.key == "ch-2_threats_through_use")
    job = p.job(src, p.numbers, p.strings[src.index])
    pdf, record, document = resume.lay_out_recorded(job)
    return job, pdf, record, document


@pytest.mark.parametrize("k", [5, 20, 40])
def test_chapter_2_resumed_unedited(chapter2, k):
    job, pdf, record, _ = chapter2
    part, done = resume.lay_out_from(job, record, k)
    _same_pages(part, pdf, k)
    assert done.record == record
    assert _links(part) == _links(lay_out(job).pdf)[k:]


def _append_to_paragraph_on(document, page: int, html: str) -> str:
    """``html`` with a sentence added to the end of a paragraph that starts on ``page``."""
    before = {box.element for i in range(page) for box in internals.page_box(document.pages[i]).descendants()}
    for box in internals.page_box(document.pages[page]).descendants():
        if box.element_tag != "p" or box.element in before:
            continue
        pieces = [t for t in box.element.itertext() if t.strip()]
        tail = pieces[-1][-25:] if pieces else ""
        if tail and not any(c in tail for c in "&<>\"'") and html.count(tail + "</p>") == 1:
            at = html.index(tail + "</p>") + len(tail)
            return html[:at] + ADDED + html[at:]
    raise LookupError(f"no paragraph to edit starts on page {page}")


@pytest.mark.parametrize("k", [5, 20, 40, "end"])
def test_chapter_2_after_a_one_line_edit(chapter2, k):
    job, pdf, record, document = chapter2
    if k == "end":
        at = job.html.rindex("</p>")
        html = job.html[:at] + ADDED + job.html[at:]
    else:
        html = _append_to_paragraph_on(document, int(k) + 2, job.html)
    new = _edited(job, html)
    full, full_record, _ = resume.lay_out_recorded(new)
    edit, part, done = _resumed(job, new, record)
    assert edit.text is not None
    if k != "end":
        assert done.k == int(k) + 1 and done.sync is not None
    _same_pages(part, full, done.k)
    if done.sync is not None:
        _kept(pdf, full, done.sync)
    assert _drawings(pdf)[: done.k] == _drawings(full)[: done.k]
    assert done.record == full_record


# ---------------------------------------------------------------- stitched into the book


def _reader_facts(path) -> dict:
    """What a reader of a combined PDF gets: each page drawn and read, its links (to the
    page they land on), the structure elements by kind, the ParentTree's size, the outline."""
    with pikepdf.open(path) as doc:
        pages = {page.obj.objgen: i for i, page in enumerate(doc.pages)}
        flat = doc.Root.Names.Dests.Names
        dests = {str(flat[i]): pages[flat[i + 1][0].objgen] for i in range(0, len(flat), 2)}
        links = []
        for page in doc.pages:
            row = []
            for annot in page.obj.get("/Annots", []):
                target = dests.get(str(annot.Dest)) if "/Dest" in annot else str(annot.A.get("/URI"))
                row.append((tuple(round(float(x), 2) for x in annot.Rect), target, "/StructParent" in annot))
            links.append(sorted(row, key=repr))
        kinds: dict[str, int] = {}
        stack = [doc.Root.StructTreeRoot]
        while stack:
            element = stack.pop()
            if isinstance(element, pikepdf.Dictionary):
                if "/S" in element:
                    kinds[str(element.S)] = kinds.get(str(element.S), 0) + 1
                kids = element.get("/K")
                stack.extend(kids if isinstance(kids, pikepdf.Array) else [kids])
        with doc.open_outline() as outline:
            titles = [item.title for item in outline.root]
        parent_tree = len(doc.Root.StructTreeRoot.ParentTree.Nums)
    return {
        "drawn": _drawings(path.read_bytes()),
        "read": _texts(path.read_bytes()),
        "links": links,
        "structure": kinds,
        "parent tree": parent_tree,
        "outline": titles,
        "destinations": dests,
    }


def _stitched_is_the_full_part(tmp_path, job: PartJob, new: PartJob, record: resume.Record) -> resume.Resumed:
    from aixbook.render.pdf.combine import combine

    old = lay_out(job)
    edit = resume.find_edit(resume._html(job).etree_element, resume._html(new).etree_element, resume.part_css(new))
    assert edit is not None
    piece, done = resume.lay_out_segment(new, record, resume.choose_k(record, edit), edit)
    pieces = [resume.trim(old, range(0, done.k)), piece]
    if done.sync is not None:
        pieces.append(resume.trim(old, range(done.sync, old.pages)))
    combine(pieces, [], tmp_path / "stitched.pdf")
    combine([lay_out(new)], [], tmp_path / "full.pdf")
    got, want = _reader_facts(tmp_path / "stitched.pdf"), _reader_facts(tmp_path / "full.pdf")
    for fact in want:
        assert got[fact] == want[fact], fact
    return done


def test_old_pages_and_new_combine_into_the_full_layouts_pdf(small, tmp_path):
    job, _, record, _ = small
    done = _stitched_is_the_full_part(tmp_path, job, _edited(job, _small_html(ADDED * 3, at=20)), record)
    assert done.sync is not None  # three pieces: old head, new pages, old tail


def test_after_an_added_paragraph_too(small, tmp_path):
    job, _, record, _ = small
    html = job.html.replace('<h2 id="s5">', '<p>A paragraph added before section five.</p><h2 id="s5">')
    done = _stitched_is_the_full_part(tmp_path, job, _edited(job, html), record)
    assert done.sync is None


@pytest.mark.parametrize("page", [22, "end"])
def test_chapter_2_stitched(chapter2, tmp_path, page):
    job, _, record, document = chapter2
    if page == "end":
        at = job.html.rindex("</p>")
        html = job.html[:at] + ADDED + job.html[at:]
    else:
        html = _append_to_paragraph_on(document, int(page), job.html)
    _stitched_is_the_full_part(tmp_path, job, _edited(job, html), record)


def _table_html(wide_cell: str = "") -> str:
    """A part with a table over three pages whose column widths come from all its rows:
    a long word in a late row widens its column on every page of the table."""
    rows = "".join(
        f"<tr><td>row {r}</td><td>{wide_cell if r == 130 else 'short'}</td><td>the third cell of row {r}</td></tr>"
        for r in range(160)
    )
    paragraphs = "".join(f"<p>Paragraph {n} beside the table, with a few words to fill a line.</p>" for n in range(110))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/><title>Small book</title></head>'
        '<body class="book"><section class="chapter" id="ch"><h1 class="chapter-title">1. A chapter</h1>'
        f"{paragraphs}<table><thead><tr><th>A</th><th>B</th><th>C</th></tr></thead><tbody>{rows}</tbody></table>"
        f"{paragraphs}</section></body></html>"
    )


def test_an_edit_in_a_table_lays_the_table_out_again_from_its_start(tmp_path):
    job = _small_job(_table_html())
    _, record, document = resume.lay_out_recorded(job)
    table = _element_index(document, "table", 0)
    row = _element_index(document, "tr", 131)  # the header row is the first
    assert record.first_pages[row] > record.first_pages[table] + 1, "the row should be two pages into the table"
    new = _edited(job, _table_html("Supercalifragilisticexpialidociously"))
    done = _stitched_is_the_full_part(tmp_path, job, new, record)
    assert done.k == record.first_pages[table] - 1 > 0


def test_a_page_number_shown_by_target_counter_is_refused():
    """A target-counter() of an id of the part (a contents page): a page before the edit
    shows a number from after it, so no page is a clean start."""
    html = _small_html().replace('<h2 id="s0">', '<p><a class="xref" href="#s8">the last section</a></p><h2 id="s0">')
    job = _small_job(html)
    _, record, _ = resume.lay_out_recorded(job)
    assert all(record.unclean[1:-1])
    with pytest.raises(resume.CannotResume, match="target-counter"):
        resume.lay_out_from(job, record, 3)


# ---------------------------------------------------------------- the pages before k emptied (prune.py)


def _styled_elements(monkeypatch) -> list[int]:
    """The number of elements WeasyPrint styles and boxes, per layout, from now on."""
    seen: list[int] = []
    real = resume._context_and_root

    def counting(html, options):
        seen.append(sum(1 for _ in html.etree_element.iter()))
        return real(html, options)

    monkeypatch.setattr(resume, "_context_and_root", counting)
    return seen


def _tries(monkeypatch) -> list[tuple[bool, str]]:
    """Each resume() from now on: whether it emptied the pages before, and how it ended."""
    tried: list[tuple[bool, str]] = []
    real = resume.resume

    def watched(*args, **kwargs):
        try:
            done = real(*args, **kwargs)
        except Exception as e:
            tried.append((args[6] if len(args) > 6 else kwargs.get("empty", False), type(e).__name__))
            raise
        tried.append((args[6] if len(args) > 6 else kwargs.get("empty", False), "done"))
        return done

    monkeypatch.setattr(resume, "resume", watched)
    return tried


def test_chapter_2_laid_out_from_near_its_end_styles_only_its_last_pages(chapter2, monkeypatch):
    """A paragraph added at the end of chapter 2: WeasyPrint styles and boxes the elements of
    the last pages, and the pages, their PDF and the record are byte for byte those of
    the same layout from every element."""
    from aixbook.render.pdf import prune

    job, _, record, _ = chapter2
    at = job.html.rindex("</p>") + 4
    new = _edited(job, job.html[:at] + "<p>A paragraph added at the end.</p>" + job.html[at:])
    edit = resume.find_edit(resume._html(job).etree_element, resume._html(new).etree_element, resume.part_css(new))
    assert edit is not None and edit.text is None
    k = resume.choose_k(record, edit)
    assert k >= record.pages - 3
    seen = _styled_elements(monkeypatch)
    piece, done = resume.lay_out_segment(new, record, k, edit)
    monkeypatch.setattr(prune, "allowed", lambda css: False)
    whole_piece, whole_done = resume.lay_out_segment(new, record, k, edit)
    emptied, everything = seen
    assert everything == sum(1 for _ in resume._html(new).etree_element.iter())
    # the chapter's blocks on the pages before are there, each an empty element (one box)
    assert emptied < everything * 0.3, (emptied, everything)
    assert piece.pdf == whole_piece.pdf
    assert done.record == whole_done.record and (done.k, done.sync) == (whole_done.k, whole_done.sync)


def _list_html(items: int, wrap: str = "", extra: str = "") -> str:
    """A part of one long numbered list; ``wrap``: each run of five items in an element of
    its own inside the list (``<div>``), a list item's number counting over all of them."""
    words = "of the one list, a line of words of its own to fill the line."
    lis = [f"<li>Item {i} {words}{extra if i == items - 1 else ''}</li>" for i in range(items)]
    if wrap:
        lis = [f"<{wrap}>" + "".join(lis[i : i + 5]) + f"</{wrap}>" for i in range(0, items, 5)]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/><title>Small book</title></head>'
        '<body class="book"><section class="chapter" id="ch"><h1 class="chapter-title">1. A chapter</h1>'
        f"<p>A list follows.</p><ol>{''.join(lis)}</ol></section></body></html>"
    )


def _as_full(job: PartJob, new: PartJob, record: resume.Record) -> resume.Resumed:
    """``new`` laid out from the page before its edit is what a full layout of it makes."""
    full, full_record, _ = resume.lay_out_recorded(new)
    _, part, done = _resumed(job, new, record)
    assert done.k >= record.pages - 3
    _same_pages(part, full, done.k)
    assert done.record == full_record
    return done


def test_list_items_in_an_element_of_their_own_keep_their_numbers(monkeypatch):
    """``<ol><div><li>…``: an emptied ``div`` would take its items' counts with it, and the
    items on the last pages would be numbered from where the emptied ones began."""
    job = _small_job(_list_html(300, wrap="div"))
    _, record, _ = resume.lay_out_recorded(job)
    tried = _tries(monkeypatch)
    _as_full(job, _edited(job, _list_html(300, wrap="div", extra=ADDED)), record)
    assert tried == [(True, "done")]


def test_a_page_that_starts_elsewhere_once_emptied_is_laid_out_from_the_whole_tree(small, monkeypatch):
    """Page k's skip stack must pass through the boxes of the elements it passed through
    in the full layout (no element of WeasyPrint 70 gives its parent other boxes once
    emptied; a record whose path says otherwise stands for one that would): else the part
    is laid out again from every element, and the pages are the full layout's."""
    job, _, record, _ = small
    new = _edited(job, _small_html(ADDED, at=53))
    edit = resume.find_edit(resume._html(job).etree_element, resume._html(new).etree_element, resume.part_css(new))
    assert edit is not None
    k = resume.choose_k(record, edit)
    [[index, element, deeper]] = record.paths[k]
    paths = [*record.paths[:k], [[index, element + 1, deeper]], *record.paths[k + 1 :]]
    tried = _tries(monkeypatch)
    _as_full(job, new, dataclasses.replace(record, paths=paths))
    assert tried == [(True, "Mismatch"), (False, "done")]


def test_a_counter_counted_in_the_pages_before_is_counted_on(monkeypatch):
    """A stylesheet's own counter (sections numbered by CSS): the sections on the pages
    before are not emptied, or the ones after would be numbered from 1."""
    sections = "".join(
        f"<section><h3>Part</h3><p>Words of part {s}, a line of them to fill the page.</p></section>"
        for s in range(200)
    )
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/><title>Small book</title></head>'
        '<body class="book"><section class="chapter" id="ch"><h1 class="chapter-title">1. A chapter</h1>'
        "{}</section></body></html>"
    )
    css = ".chapter { counter-reset: part } h3 { counter-increment: part } h3::before { content: counter(part) '. ' }"
    job = dataclasses.replace(_small_job(page.format(sections)), extra_css=_small_job("").extra_css + css)
    _, record, _ = resume.lay_out_recorded(job)
    tried = _tries(monkeypatch)
    done = _as_full(job, _edited(job, page.format(sections.replace("part 199,", "part 199 (edited),"))), record)
    assert tried == [(False, "done")] and done.sync is None
