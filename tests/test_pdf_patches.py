"""The fixes to WeasyPrint's and pydyf's internals (render/pdf/patches.py): they change what
is written only where intended (tests/test_pdf_internals.py checks that they fit the
installed libraries)."""

from __future__ import annotations

import io
import logging
import zlib

import pytest
from PIL import Image

from aixbook.render.pdf import internals, patches


def needs(feature: str):
    """Skip the tests of a patch the installed libraries do not take (test_pdf_internals.py
    fails on it, naming what changed)."""
    return pytest.mark.skipif(not internals.usable(feature), reason=f"{feature}: {internals.why_not(feature)}")


@needs("page-references")
def test_page_references_follow_added_pages():
    import pydyf

    patches.apply()
    pdf = pydyf.PDF()
    for _ in range(3):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    first = pdf.page_references
    assert first is pdf.page_references  # cached, not rebuilt
    pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    refs = pdf.page_references
    assert len(refs) == 4 and refs[:3] == first
    assert refs == tuple(f"{n} 0 R".encode() for n in pdf.pages["Kids"][::3])


def _png(mode: str, size=(37, 23), **save) -> bytes:
    image = Image.new(mode, size)
    pixels = image.load()
    for x in range(size[0]):
        for y in range(size[1]):
            value = (x * 7 + y * 13) % 256
            pixels[x, y] = {
                "L": value,
                "RGB": (value, 255 - value, x % 256),
                "RGBA": (value, 255 - value, x % 256, 255),
            }[mode]
    out = io.BytesIO()
    image.save(out, format="PNG", **save)
    return out.getvalue()


def _interlaced(png: bytes) -> bytes:
    """The same PNG with its header saying Adam7 (Pillow never writes interlaced PNGs)."""
    ihdr = bytearray(png[16:29])
    ihdr[12] = 1
    crc = zlib.crc32(b"IHDR" + ihdr).to_bytes(4, "big")
    return png[:16] + bytes(ihdr) + crc + png[33:]


def _unfilter(stream: bytes, width: int, colours: int) -> bytes:
    """Undo PDF/PNG predictor 15 row filters (what a PDF reader does)."""
    raw = zlib.decompress(stream)
    stride = width * colours
    rows, prev, pos = [], bytearray(stride), 0
    while pos < len(raw):
        kind, line = raw[pos], bytearray(raw[pos + 1 : pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            a = line[i - colours] if i >= colours else 0
            b, c = prev[i], prev[i - colours] if i >= colours else 0
            pred = {0: 0, 1: a, 2: b, 3: (a + b) // 2}.get(kind)
            if pred is None:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return b"".join(rows)


def _x_object(data: bytes, patched: bool):
    from weasyprint.images import RasterImage

    patches.apply()
    image = RasterImage(Image.open(io.BytesIO(data)), "img", data)
    fn = RasterImage.get_x_object if patched else RasterImage.get_x_object.__aixbook_original__
    return image, fn(image, True, 1)


@needs("png-images")
@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA"])
def test_png_written_without_re_encoding_shows_the_same_pixels(mode):
    data = _png(mode)
    image, ours = _x_object(data, patched=True)
    _, theirs = _x_object(data, patched=False)
    colours = 1 if mode == "L" else 3
    want = Image.open(io.BytesIO(data)).convert("L" if mode == "L" else "RGB").tobytes()
    stream = b"".join(bytes(part.data) for part in ours.stream)
    got = _unfilter(stream, image.width, colours) if "DecodeParms" in ours.extra else zlib.decompress(stream)
    assert got == want
    assert "SMask" not in ours.extra  # an opaque alpha channel needs no mask
    for key in ("Type", "Subtype", "Width", "Height", "ColorSpace", "BitsPerComponent", "Filter"):
        assert str(ours.extra[key]) == str(theirs.extra[key]), key
    if mode != "RGBA":  # stored rows are used as they are
        assert b"".join(bytes(part.data) for part in ours.stream) == patches.png_pixels(data)[1]


@needs("png-images")
def test_transparent_and_interlaced_pngs_go_to_weasyprint():
    image = Image.new("RGBA", (8, 8), (10, 20, 30, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    assert patches.png_pixels(out.getvalue()) is None
    assert patches.png_pixels(_interlaced(_png("RGB"))) is None
    _, x_object = _x_object(out.getvalue(), patched=True)
    assert "SMask" in x_object.extra


@needs("exif-images")
def test_upright_exif_image_keeps_its_file_bytes():
    from weasyprint.images import RasterImage

    patches.apply()
    exif = Image.Exif()
    exif[0x0112] = 1
    out = io.BytesIO()
    Image.new("RGB", (16, 9), (200, 10, 10)).save(out, format="JPEG", exif=exif.tobytes())
    data = out.getvalue()
    image = RasterImage(Image.open(io.BytesIO(data)), "img", data)
    assert image.image_data.data == data  # not re-compressed


def test_slow_font_subsetting_is_one_line_naming_the_package(monkeypatch, caplog):
    from aixbook import doctor
    from aixbook.render import capture_warnings

    monkeypatch.setattr(doctor, "_warned_subsetting", False)
    monkeypatch.setattr(doctor, "harfbuzz_subset_available", lambda: False)
    with caplog.at_level(logging.WARNING), capture_warnings("weasyprint", "pdf") as found:
        doctor.warn_if_subsetting_is_slow()
        for family in ("Source Serif 4", "Source Sans 3"):
            logging.getLogger("weasyprint").warning(
                'Using fontTools instead of HarfBuzz-Subset for font "%s". This will be unsupported '
                "in future versions of WeasyPrint. Please install HarfBuzz-Subset >= 4.1.0 with your "
                "package manager.",
                family,
            )
    lines = [r.getMessage() for r in caplog.records if r.name == "aixbook.doctor"]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "libharfbuzz-subset0" in lines[0]
    assert found == []  # not a warning about the book (--strict)


@needs("leader-replay")
def test_leader_dots_written_as_weasyprint_writes_them(monkeypatch):
    """The contents and the index (hundreds of leaders, thousands of dots): the same bytes
    with the leader replay as with WeasyPrint drawing every dot itself."""
    from aixbook.assemble import assemble_parts
    from aixbook.book import load_book
    from aixbook.render.pdf import parts as P
    from aixbook.render.pdf.layout import lay_out
    from helpers import SAMPLE

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    parts = assemble_parts(load_book(SAMPLE))
    sources = P.cut(parts)
    strings = P.guess_strings(sources)
    for src in (next(s for s in sources if s.key == "toc"), sources[-1]):
        job = P.job_for(
            parts, src, numbers={}, strings=strings[src.index], foreign=frozenset(), paper="A4", pdf_variant="pdf/ua-1"
        )
        monkeypatch.setattr(patches, "REPLAY", False)
        theirs = lay_out(job).pdf
        monkeypatch.setattr(patches, "REPLAY", True)
        before = patches.replayed
        assert lay_out(job).pdf == theirs, src.key
        assert patches.replayed - before > 100, "the leader dots were not replayed"


@needs("zlib-levels")
def test_stream_level_is_pydyf_s_unless_asked():
    import pydyf

    patches.apply()
    stream = pydyf.Stream([b"BT /F1 12 Tf (hello) Tj ET"] * 200, compress=True)
    original = pydyf.Stream.data.fget.__aixbook_original__
    assert stream.data == original(stream)  # level 9, byte for byte
    with patches.zlib_level(1):
        fast = stream.data
    assert fast != original(stream)
    body = fast.split(b"\nstream\n", 1)[1].rsplit(b"\nendstream", 1)[0]
    assert zlib.decompress(body) == b"\n".join([b"BT /F1 12 Tf (hello) Tj ET"] * 200)


@needs("zlib-levels")
def test_drawing_streams_take_their_own_level():
    """Parts write their drawing at zlib's default (it goes into the book as written) and
    the rest at level 1 (rebuilt when combined)."""
    import pydyf
    from weasyprint.pdf.stream import Stream

    patches.apply()
    ops = [b"BT /F1 12 Tf (hello) Tj ET"] * 200
    drawing = Stream({}, None, {}, {}, {}, {}, None, ops, compress=True)
    other = pydyf.Stream(ops, compress=True)

    def body(data: bytes) -> bytes:
        return data.split(b"\nstream\n", 1)[1].rsplit(b"\nendstream", 1)[0]

    with patches.zlib_level(1, drawing=6):
        assert body(drawing.data) == zlib.compress(b"\n".join(ops), 6)
        assert body(other.data) == zlib.compress(b"\n".join(ops), 1)
    with patches.zlib_level(1):
        assert body(drawing.data) == zlib.compress(b"\n".join(ops), 1)


def _image_pages(tmp_path, above_mm: float) -> list[list[tuple[float, float]]]:
    """(width, height) in points of each image on each page of a 100 mm square page (80 mm
    frame) holding ``above_mm`` of text block, then an image 60 mm tall alone on its line."""
    import pymupdf
    import weasyprint

    Image.new("RGB", (200, 227), "navy").save(tmp_path / "tall.png")  # 227 px at 96 dpi: 60 mm
    html = (
        "<style>@page { size: 100mm; margin: 10mm } body { margin: 0 } p { margin: 0 }</style>"
        f'<div style="height: {above_mm}mm"></div><p><a href="#x"><img src="tall.png"></a></p><p id="x">after</p>'
    )
    pdf = weasyprint.HTML(string=html, base_url=str(tmp_path)).write_pdf()
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        return [[(x1 - x0, y1 - y0) for x0, y0, x1, y1 in (i["bbox"] for i in page.get_image_info())] for page in doc]


@needs("figure-fit")
def test_an_image_a_little_too_tall_is_scaled_to_the_space_left(tmp_path):
    """50 mm left for a 60 mm image (83%): it stays on the page, scaled, its proportions
    kept; the text after it goes on."""
    patches.apply()
    pages = _image_pages(tmp_path, 30)
    mm = 72 / 25.4
    [(width, height)] = pages[0]
    assert 0.8 * 60 * mm <= height <= 50 * mm
    assert width / height == pytest.approx(200 / 227, rel=0.01)


@needs("figure-fit")
def test_an_image_far_too_tall_for_the_space_left_goes_to_the_next_page_whole(tmp_path):
    """30 mm left for a 60 mm image (50%): WeasyPrint's own break, the image at full size."""
    patches.apply()
    pages = _image_pages(tmp_path, 50)
    assert pages[0] == []
    [(_, height)] = pages[1]
    assert height == pytest.approx(60 * 72 / 25.4, rel=0.01)
