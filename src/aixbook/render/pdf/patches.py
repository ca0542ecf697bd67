"""Fixes to costs inside WeasyPrint 70 and pydyf 0.13, each applied only where the code it
replaces is the code it was written against (internals.py holds the fingerprints, says
what is lost when one does not match, and is the only module touching private names).

- pydyf ``PDF.page_references`` rebuilds a tuple of every page reference on each call;
  WeasyPrint's tag builder calls it once per structure element, and a book has tens of
  thousands of them: quadratic. The patched property caches the tuple until a page is added.
- WeasyPrint ``rotate_pillow_image`` copies every image that has EXIF data even when
  its orientation is "normal", which throws away the file's bytes and makes
  ``RasterImage`` encode the image again as PNG. The patch returns the image itself
  when there is nothing to rotate.
- WeasyPrint ``RasterImage.get_x_object`` decodes and re-encodes every PNG at every
  write, and splits an alpha channel into a soft mask even when it is fully opaque (as
  screenshots and diagrams saved with one usually are). The patch writes an 8-bit RGB or
  grey PNG's own compressed rows (the PNG predictors PDF understands), and an opaque RGBA
  PNG as RGB without a mask, compressed once; everything else goes to WeasyPrint's own code.
- pydyf ``Stream.data`` compresses every stream at zlib level 9, a tenth of a part's
  time. The parts are intermediate: their fonts and object streams are rebuilt when
  they are combined, while their drawing (page content, WeasyPrint's ``Stream``) goes
  into the book as written. ``zlib_level(1, drawing=6)`` writes the first at level 1 and
  the drawing at zlib's default; everything else keeps level 9 (the same bytes).
- WeasyPrint ``draw_text`` draws each dot of a ``leader()`` as its own text box, a row of
  them per line of the contents and the index, each re-shaped by Pango: most of the time
  those pages take. A text box identical to the one drawn just before it but for its x (same
  Pango layout, text, style, line; what a leader is made of) is written as the same
  operators with the new x, when the stream is in the state it was in for that one.
  The bytes written are the same (tests/test_pdf_patches.py compares them).
- WeasyPrint ``iter_line_boxes`` (with ``split_text_box``): no third hyphenated line in
  a row, no hyphen at a page's last line (hyphens.py says how).
- WeasyPrint ``iter_line_boxes`` and ``inline_replaced_box_layout``: an image a little
  too tall for the space left at a page's foot is scaled down to it instead of leaving
  the page short (figurefit.py says when).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import struct
import zlib
from collections.abc import Iterator

from . import figurefit, hyphens, internals
from .internals import set_stream_state, stream_state

#: Each patch: the feature of ``internals.FEATURES`` it gives, and what it replaces.
PATCHES = {
    "page-references": "pydyf:PDF.page_references",
    "exif-images": "weasyprint.images:rotate_pillow_image",
    "png-images": "weasyprint.images:RasterImage.get_x_object",
    "leader-replay": "weasyprint.draw:draw_text",
    "zlib-levels": "pydyf:Stream.data",
    "hyphen-lines": "weasyprint.layout.inline:iter_line_boxes",
    # After hyphen-lines: it wraps the line loop hyphens.py left.
    "figure-fit": "weasyprint.layout.inline:inline_replaced_box_layout",
}

_applied: list[str] | None = None


def usable() -> list[str]:
    """What ``apply`` replaces (or has replaced) in this process, known without importing
    WeasyPrint: part of every cache key."""
    return [owner for feature, owner in PATCHES.items() if internals.usable(feature)]


def apply() -> list[str]:
    """Apply, once per process, every patch whose code is the one it was written for;
    returns what was replaced (internals.problems() says why anything was not)."""
    global _applied
    if _applied is None:
        _applied = []
        for feature, owner in PATCHES.items():
            if internals.usable(feature):
                _INSTALL[feature]()
                _applied.append(owner)
    return _applied


def _replace_page_references() -> None:
    import pydyf

    original = pydyf.PDF.page_references
    pydyf.PDF.page_references = property(_page_references)
    pydyf.PDF.page_references.fget.__aixbook_original__ = original.fget


def _replace_rotate() -> None:
    import weasyprint.images as images

    original = images.rotate_pillow_image

    def rotate_pillow_image(pillow_image, orientation):
        if orientation == "from-image" and _upright(pillow_image):
            return pillow_image
        return original(pillow_image, orientation)

    rotate_pillow_image.__aixbook_original__ = original  # type: ignore[attr-defined]
    images.rotate_pillow_image = rotate_pillow_image


def _replace_x_object() -> None:
    import weasyprint.images as images

    original = images.RasterImage.get_x_object

    def get_x_object(self, interpolate, dpi_ratio):
        fast = _png_x_object(self, interpolate, dpi_ratio)
        return fast if fast is not None else original(self, interpolate, dpi_ratio)

    get_x_object.__aixbook_original__ = original  # type: ignore[attr-defined]
    images.RasterImage.get_x_object = get_x_object


def _replace_draw_text() -> None:
    import weasyprint.draw as draw

    original = draw.draw_text

    def draw_text(stream, textbox, offset_x, text_overflow, *args, **kwargs):
        if not _replay(stream, textbox, text_overflow, args, kwargs):
            _record(stream, textbox, text_overflow, args, kwargs, original, offset_x)

    draw_text.__aixbook_original__ = original  # type: ignore[attr-defined]
    draw.draw_text = draw_text


def _replace_stream_data() -> None:
    import pydyf

    original = pydyf.Stream.data
    pydyf.Stream.data = property(_stream_data)
    pydyf.Stream.data.fget.__aixbook_original__ = original.fget


_INSTALL = {
    "page-references": _replace_page_references,
    "exif-images": _replace_rotate,
    "png-images": _replace_x_object,
    "leader-replay": _replace_draw_text,
    "zlib-levels": _replace_stream_data,
    "hyphen-lines": hyphens.install,
    "figure-fit": figurefit.install,
}


# ---------------------------------------------------------------- pydyf


def _page_references(self):
    kids = self.pages["Kids"]
    cached = self.__dict__.get("_aixbook_page_refs")
    if cached is None or cached[0] != len(kids):
        refs = tuple(f"{number} 0 R".encode("ascii") for number in kids[::3])
        cached = self.__dict__["_aixbook_page_refs"] = (len(kids), refs)
    return cached[1]


# ---------------------------------------------------------------- pydyf streams

_level = 9  # pydyf's own
_drawing_level: int | None = None  # WeasyPrint's drawing streams, when not _level


@contextlib.contextmanager
def zlib_level(level: int, drawing: int | None = None) -> Iterator[None]:
    """Compress the streams written inside at ``level`` (pydyf: always 9), and WeasyPrint's
    drawing streams (page content, groups) at ``drawing`` when given."""
    global _level, _drawing_level
    old, _level = _level, level
    old_drawing, _drawing_level = _drawing_level, drawing
    try:
        yield
    finally:
        _level, _drawing_level = old, old_drawing


def _stream_data(self):
    from pydyf import Dictionary

    # most items are operators already written as bytes: only the others are converted
    write = internals.to_bytes
    stream = b"\n".join([item if item.__class__ is bytes else write(item) for item in self.stream])
    extra = Dictionary(self.extra.copy())
    if self.compress:
        extra["Filter"] = "/FlateDecode"
        level = _level
        if _drawing_level is not None:
            from weasyprint.pdf.stream import Stream

            level = _drawing_level if isinstance(self, Stream) else _level
        compressobj = zlib.compressobj(level=level)
        stream = compressobj.compress(stream)
        stream += compressobj.flush()
    extra["Length"] = len(stream)
    return b"\n".join((extra.data, b"stream", stream, b"endstream"))


# ---------------------------------------------------------------- leaders

#: Off only in tests that compare with WeasyPrint's own drawing.
REPLAY = True
#: Text boxes written by replay in this process (tests check that it happens at all).
replayed = 0


def _replay_key(stream, textbox, text_overflow, args, kwargs):
    style = textbox.style
    if (
        not REPLAY
        or not textbox.text.isascii()
        or style["visibility"] != "visible"
        or style["text_decoration_line"] not in ("none", (), frozenset())
    ):
        return None
    return (
        id(textbox.pango_layout),
        textbox.text,
        id(style),
        textbox.position_y,
        textbox.baseline,
        text_overflow,
        args,
        tuple(sorted(kwargs.items())),
    )


def _state(stream):
    return (*stream_state(stream), bool(stream.stream) and stream.stream[-1] == b"ET")  # begin_text reopens it


def _matrix(x: float, y: float) -> bytes:
    write = internals.to_bytes
    return b"1 0 0 -1 " + write(x) + b" " + write(y) + b" Tm"  # as pydyf writes the six numbers


def _replay(stream, textbox, text_overflow, args, kwargs) -> bool:
    key = _replay_key(stream, textbox, text_overflow, args, kwargs)
    last = getattr(stream, "_aixbook_last_text", None)
    if key is None or last is None or last[0] != key or last[1] != _state(stream):
        return False
    _, _, ops, at, after = last
    ops = list(ops)
    ops[at] = _matrix(textbox.position_x, textbox.position_y + textbox.baseline)
    stream.stream.extend(ops)
    set_stream_state(stream, after)
    global replayed
    replayed += 1
    return True


def _record(stream, textbox, text_overflow, args, kwargs, draw, offset_x) -> None:
    key = _replay_key(stream, textbox, text_overflow, args, kwargs)
    before = _state(stream) if key is not None else None
    start = len(stream.stream)
    draw(stream, textbox, offset_x, text_overflow, *args, **kwargs)
    stream._aixbook_last_text = None
    if key is None:
        return
    ops = stream.stream[start:]
    tm = _matrix(textbox.position_x, textbox.position_y + textbox.baseline)
    where = [i for i, op in enumerate(ops) if op == tm]
    if len(where) != 1 or any(not isinstance(op, bytes) for op in ops):
        return
    after = stream_state(stream)
    stream._aixbook_last_text = (key, before, tuple(ops), where[0], after)


# ---------------------------------------------------------------- images

_ORIENTATION = 0x0112


def _upright(pillow_image) -> bool:
    """Whether ``pillow_image`` needs no EXIF transposition (what ``exif_transpose`` would
    do nothing for but copy)."""
    if "exif" not in pillow_image.info:
        return False  # WeasyPrint's own code does nothing then either
    try:
        return pillow_image.getexif().get(_ORIENTATION, 1) == 1
    except Exception:
        return False


def png_pixels(data: bytes) -> tuple[str, bytes, bool] | None:
    """(mode, zlib stream, whether its rows are PNG-filtered) of an 8-bit, non-interlaced
    PNG that PDF can show without a mask: RGB or grey as stored (the file's own compressed
    rows), RGBA only when fully opaque (then its RGB, compressed without PNG filters:
    half the time of Pillow's filtered PNG encoding, the same size on these images).
    None for anything else."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    pos, idat, header, transparent = 8, [], None, False
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"tRNS":
            transparent = True
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None or not idat:
        return None
    _, _, depth, colour, _, _, interlace = header
    if depth != 8 or interlace != 0 or transparent:
        return None
    if colour in (0, 2):
        stream = b"".join(idat)
        try:
            zlib.decompressobj().decompress(stream[:64])  # a well-formed zlib stream
        except zlib.error:
            return None
        return ("L" if colour == 0 else "RGB"), stream, True
    if colour == 6:
        from PIL import Image

        image = Image.open(io.BytesIO(data))
        if image.mode != "RGBA" or image.getchannel("A").getextrema() != (255, 255):
            return None
        return "RGB", zlib.compress(image.convert("RGB").tobytes(), 6), False
    return None


_pixels: dict[str, tuple[str, bytes, bool] | None] = {}


def _png_x_object(image, interpolate, dpi_ratio):
    import pydyf

    if dpi_ratio != 1 or image.format != "PNG" or image.mode not in ("RGB", "RGBA", "L"):
        return None
    data = image.image_data.data
    key = hashlib.sha256(data).hexdigest()
    if key not in _pixels:
        _pixels[key] = png_pixels(data)
    found = _pixels[key]
    if found is None:
        return None
    mode, stream, predicted = found
    extra = pydyf.Dictionary(
        {
            "Type": "/XObject",
            "Subtype": "/Image",
            "Width": image.width,
            "Height": image.height,
            "ColorSpace": "/DeviceRGB" if mode == "RGB" else "/DeviceGray",
            "BitsPerComponent": 8,
            "Interpolate": "true" if interpolate else "false",
        }
    )
    extra["Filter"] = "/FlateDecode"
    if predicted:
        extra["DecodeParms"] = pydyf.Dictionary({"Predictor": 15, "Columns": image.width})
        if mode == "RGB":
            extra["DecodeParms"]["Colors"] = 3
    return pydyf.Stream([image.cache_image_data(stream, slot="stream")], extra)
