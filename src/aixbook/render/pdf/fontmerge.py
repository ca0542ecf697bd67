"""One embedded font per font, not one per part.

Every part embeds its own subset of each font it uses (WeasyPrint keeps glyph ids,
``CIDToGIDMap /Identity``). After the parts are combined, the copies of one font are
replaced by one: a subset of the font file with every glyph any part uses (made by
WeasyPrint's own HarfBuzz subsetting, as the one-document PDF is), one /ToUnicode map
(each glyph keeps the text of the first part that used it, as the one-document PDF does),
and one width array. Where two parts measured a glyph differently (a rounding at another
font size), each part keeps its own width array and only the font program and the
Unicode map are shared.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from math import ceil
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name

from ...resources import FONTS_DIR
from .harfbuzz import open_face
from .internals import subset_face

log = logging.getLogger(__name__)

_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")


@lru_cache(maxsize=1)
def _font_files() -> dict[str, str]:
    from .layout import font_fingerprint

    files = {}
    for f in sorted(FONTS_DIR.glob("*.[ot]tf")):
        data = f.read_bytes()
        files[font_fingerprint(data, len(data))] = str(f)
    return files


def subset_font(path: str, index: int, glyphs: set[int]) -> bytes | None:
    """The font at ``path`` subset to ``glyphs`` (ids kept) by WeasyPrint's own code; None
    where that cannot be done here (then the parts keep their own subsets)."""
    return subset_face(open_face(path, index), glyphs, path)


def parse_widths(w: Array) -> dict[int, object]:
    out: dict[int, object] = {}
    i = 0
    items = list(w)
    while i < len(items):
        first = int(items[i])
        nxt = items[i + 1]
        if isinstance(nxt, Array):
            for k, value in enumerate(nxt):
                out[first + k] = value
            i += 2
        else:  # c_first c_last w
            for gid in range(first, int(nxt) + 1):
                out[gid] = items[i + 2]
            i += 3
    return out


def widths_array(widths: dict[int, object]) -> Array:
    out = Array()
    run: Array | None = None
    for gid in sorted(widths):
        if run is None or gid - 1 not in widths:
            run = Array()
            out.append(gid)
            out.append(run)
        run.append(widths[gid])
    return out


def parse_to_unicode(data: bytes) -> dict[int, str]:
    out: dict[int, str] = {}
    for gid, text in _BFCHAR.findall(data.split(b"beginbfchar", 1)[-1] if b"beginbfchar" in data else b""):
        out.setdefault(int(gid, 16), bytes.fromhex(text.decode()).decode("utf-16-be", "replace"))
    return out


def to_unicode_cmap(mapping: dict[int, str]) -> bytes:
    """A ToUnicode CMap laid out as WeasyPrint writes it."""
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo",
        b"<< /Registry (Adobe)",
        b"/Ordering (UCS)",
        b"/Supplement 0",
        b">> def",
        b"/CMapName /Adobe-Identity-UCS def",
        b"/CMapType 2 def",
        b"1 begincodespacerange",
        b"<0000> <ffff>",
        b"endcodespacerange",
    ]
    items = list(mapping.items())
    for i in range(ceil(len(items) / 100)):
        batch = items[i * 100 : (i + 1) * 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        for gid, text in batch:
            lines.append(f"<{gid:04x}> <{text.encode('utf-16-be').hex()}>".encode())
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _mergeable(font: Dictionary) -> bool:
    try:
        cid = font.DescendantFonts[0]
        desc = cid.FontDescriptor
        return (
            font.Subtype == Name.Type0
            and font.get("/Encoding") == Name("/Identity-H")
            and cid.Subtype == Name.CIDFontType2
            and cid.get("/CIDToGIDMap") == Name.Identity
            and "/FontFile2" in desc
            and "/CIDSet" not in desc
            and "/ToUnicode" in font
        )
    except (AttributeError, KeyError, IndexError, TypeError):
        return False


def merge_fonts(pdf: pikepdf.Pdf, font_dicts: list[tuple[Dictionary, dict[str, tuple[str, int]]]]) -> int:
    """Replace the per-part copies of each font by one. ``font_dicts`` lists each part's
    /Font resource dictionary (in book order) with the font files its fonts come from.
    Returns how many fonts were merged."""
    groups: dict[str, list[tuple[Dictionary, Any, tuple[str, int]]]] = {}
    for fonts, files in font_dicts:
        for key in sorted(fonts.keys()):
            name = key[1:]
            if name in files:
                groups.setdefault(name, []).append((fonts, fonts[key], files[name]))
    merged = 0
    for name, members in groups.items():
        distinct = {font.objgen for _, font, _ in members}
        sources = {source for _, _, source in members}
        if len(distinct) < 2 or len(sources) != 1 or not all(_mergeable(font) for _, font, _ in members):
            continue
        sha, index = next(iter(sources))
        path = _font_files().get(sha)
        if path is None:
            continue
        in_order: list[Dictionary] = []
        for _, font, _ in members:
            if all(font.objgen != seen.objgen for seen in in_order):
                in_order.append(font)
        if _merge_group(pdf, name, in_order, members, path, index):
            merged += 1
    return merged


def _merge_group(pdf, name: str, fonts: list, members: list, path: str, index: int) -> bool:
    widths: dict[int, object] = {}
    unicode: dict[int, str] = {}
    agree = True
    for font in fonts:
        for gid, width in parse_widths(font.DescendantFonts[0].W).items():
            if gid in widths and float(widths[gid]) != float(width):  # type: ignore[arg-type]
                agree = False
            widths.setdefault(gid, width)
        for gid, text in parse_to_unicode(font.ToUnicode.read_bytes()).items():
            unicode.setdefault(gid, text)
    program = subset_font(path, index, set(widths) | set(unicode))
    if program is None:
        return False
    font_file = pdf.make_stream(program)
    font_file.Length1 = len(program)
    to_unicode = pdf.make_stream(to_unicode_cmap(unicode))
    first = fonts[0]
    if not agree:
        log.debug("font %s: widths differ between parts; sharing its program and Unicode map only", name)
        for font in fonts:
            font.DescendantFonts[0].FontDescriptor.FontFile2 = font_file
            font.ToUnicode = to_unicode
        return True
    desc = first.DescendantFonts[0].FontDescriptor
    new_desc = pdf.make_indirect(Dictionary({k: desc[k] for k in sorted(desc.keys())}))
    new_desc.FontFile2 = font_file
    values = [float(w) for w in widths.values()]  # type: ignore[arg-type]
    bbox = list(desc.FontBBox)
    bbox[2] = max(values) if values else 0
    new_desc.FontBBox = Array(_number(v) for v in bbox)
    flags = int(desc.Flags) & ~1
    if len(values) > 1 and len(set(values)) == 1:
        flags |= 1  # FixedPitch, as WeasyPrint decides it
    new_desc.Flags = flags
    cid = first.DescendantFonts[0]
    new_cid = pdf.make_indirect(Dictionary({k: cid[k] for k in sorted(cid.keys())}))
    new_cid.W = widths_array(widths)
    new_cid.FontDescriptor = new_desc
    new_font = pdf.make_indirect(Dictionary({k: first[k] for k in sorted(first.keys())}))
    new_font.DescendantFonts = Array([new_cid])
    new_font.ToUnicode = to_unicode
    for fonts_dict, _, _ in members:
        fonts_dict[Name("/" + name)] = new_font
    return True


def _number(value):
    from decimal import Decimal

    return int(value) if float(value).is_integer() else Decimal(f"{float(value):f}".rstrip("0"))
