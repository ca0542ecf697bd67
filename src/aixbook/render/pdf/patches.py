"""Fixes to costs inside WeasyPrint 70 and pydyf 0.13, each applied only to the exact code
it was written against.

Every patch names the function it replaces and a fingerprint of that function's source.
When the installed library differs (another version, a distribution's own patch), the
patch is not applied and ``check()`` says why; tests/test_pdf_patches.py fails loudly
on it, so an upgrade is reviewed instead of silently running unpatched (or, worse,
patched code that no longer fits).

- pydyf ``PDF.page_references`` rebuilds a tuple of every page reference on each call;
  WeasyPrint's tag builder calls it once per structure element (about 31,000 in the
  AI Exchange): quadratic. The patched property caches the tuple until a page is added.
- WeasyPrint ``rotate_pillow_image`` copies every image that has EXIF data even when
  its orientation is "normal", which throws away the file's bytes and makes
  ``RasterImage`` encode the image again as PNG. The patch returns the image itself
  when there is nothing to rotate.
- WeasyPrint ``RasterImage.get_x_object`` decodes and re-encodes every PNG at every
  write, and splits an alpha channel into a soft mask even when it is fully opaque
  (all 29 images of the AI Exchange). The patch writes an 8-bit RGB or grey PNG's own
  compressed rows (the PNG predictors PDF understands), and an opaque RGBA PNG as RGB
  without a mask; everything else goes to WeasyPrint's own code.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import struct
import zlib
from dataclasses import dataclass

#: The versions these patches were written for.
SUPPORTED = {"weasyprint": "70.0", "pydyf": "0.13.0"}


@dataclass(frozen=True)
class Patch:
    owner: str  # "module:Class.attr" or "module:function"
    fingerprint: str  # sha256 of the replaced function's source, first 16 hex digits
    why: str


PATCHES = (
    Patch("pydyf:PDF.page_references", "060bf90aad55931b", "page references rebuilt per structure element"),
    Patch("weasyprint.images:rotate_pillow_image", "5d81fb4d762fe502", "images with EXIF copied and re-encoded"),
    Patch("weasyprint.images:RasterImage.get_x_object", "1f590111444639aa", "PNGs re-encoded at every write"),
    # Not replaced, but relied on: the tag builder keeps each table cell's structure
    # element as ``box.mark`` (weasy.TableHeaders reads it).
    Patch("weasyprint.pdf.tags:_build_box_tree", "f716251a83e7096e", "table cells keep their element as box.mark"),
)

_applied: list[str] | None = None


def _target(owner: str):
    import importlib

    module, _, path = owner.partition(":")
    obj = importlib.import_module(module)
    parent = None
    for part in path.split("."):
        parent, obj = obj, getattr(obj, part)
    return parent, path.rsplit(".", 1)[-1], obj


def fingerprint(fn) -> str:
    fn = fn.fget if isinstance(fn, property) else fn
    fn = getattr(fn, "__aixbook_original__", fn)
    return hashlib.sha256(inspect.getsource(fn).encode()).hexdigest()[:16]


def check() -> list[str]:
    """Why the patches do not fit the installed libraries (empty when they do)."""
    from importlib.metadata import version

    problems = [
        f"{dist} {version(dist)} is installed; the patches in {__name__} were written for {want}"
        for dist, want in SUPPORTED.items()
        if version(dist) != want
    ]
    for patch in PATCHES:
        try:
            parent, name, obj = _target(patch.owner)
            raw = inspect.getattr_static(parent, name) if inspect.isclass(parent) else obj
            got = fingerprint(raw)
        except (AttributeError, ImportError, OSError, TypeError) as exc:
            problems.append(f"{patch.owner}: cannot read it ({exc})")
            continue
        if got != patch.fingerprint:
            problems.append(f"{patch.owner} changed (fingerprint {got}, patch written for {patch.fingerprint})")
    return problems


def apply() -> list[str]:
    """Apply every patch once per process; returns the patched names (none when the
    libraries are not the ones the patches fit)."""
    global _applied
    if _applied is not None:
        return _applied
    if check():
        _applied = []
        return _applied
    import pydyf
    import weasyprint.images as images

    original_refs = pydyf.PDF.page_references
    pydyf.PDF.page_references = property(_page_references)
    pydyf.PDF.page_references.fget.__aixbook_original__ = original_refs.fget

    original_rotate = images.rotate_pillow_image

    def rotate_pillow_image(pillow_image, orientation):
        if orientation == "from-image" and _upright(pillow_image):
            return pillow_image
        return original_rotate(pillow_image, orientation)

    rotate_pillow_image.__aixbook_original__ = original_rotate  # type: ignore[attr-defined]
    images.rotate_pillow_image = rotate_pillow_image

    original_x_object = images.RasterImage.get_x_object

    def get_x_object(self, interpolate, dpi_ratio):
        fast = _png_x_object(self, interpolate, dpi_ratio)
        return fast if fast is not None else original_x_object(self, interpolate, dpi_ratio)

    get_x_object.__aixbook_original__ = original_x_object  # type: ignore[attr-defined]
    images.RasterImage.get_x_object = get_x_object
    _applied = [p.owner for p in PATCHES[:3]]
    return _applied


# ---------------------------------------------------------------- pydyf


def _page_references(self):
    kids = self.pages["Kids"]
    cached = self.__dict__.get("_aixbook_page_refs")
    if cached is None or cached[0] != len(kids):
        refs = tuple(f"{number} 0 R".encode("ascii") for number in kids[::3])
        cached = self.__dict__["_aixbook_page_refs"] = (len(kids), refs)
    return cached[1]


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


def png_pixels(data: bytes) -> tuple[str, bytes] | None:
    """(mode, zlib stream of PNG-filtered rows) of an 8-bit, non-interlaced PNG that PDF can
    show as it is: RGB or grey as stored, RGBA only when fully opaque (then converted to
    RGB). None for anything else."""
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
        return ("L" if colour == 0 else "RGB"), stream
    if colour == 6:
        from PIL import Image
        from weasyprint.images import RasterImage

        image = Image.open(io.BytesIO(data))
        if image.mode != "RGBA" or image.getchannel("A").getextrema() != (255, 255):
            return None
        return "RGB", RasterImage._get_png_data(image.convert("RGB"))
    return None


_pixels: dict[str, tuple[str, bytes] | None] = {}


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
    mode, stream = found
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
    extra["DecodeParms"] = pydyf.Dictionary({"Predictor": 15, "Columns": image.width})
    if mode == "RGB":
        extra["DecodeParms"]["Colors"] = 3
    return pydyf.Stream([image.cache_image_data(stream, slot="stream")], extra)
