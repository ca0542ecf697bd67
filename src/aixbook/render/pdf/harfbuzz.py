"""A few HarfBuzz calls WeasyPrint's bindings do not declare, on WeasyPrint's own ``ffi``
and library handles (so the objects mix with WeasyPrint's): open a font file as a face,
list the code points it maps."""

from __future__ import annotations

_declared = False


def ffi_and_lib():
    """WeasyPrint's cffi ``ffi`` and HarfBuzz library, with the declarations added."""
    global _declared
    from ...doctor import weasyprint

    weasyprint()  # imported as the renderer imports it (one library listing, a clear error)
    from weasyprint.text.ffi import ffi, harfbuzz

    if not _declared:
        ffi.cdef(
            "hb_blob_t * hb_blob_create_from_file (const char *file_name);"
            "hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);"
            "hb_set_t * hb_set_create (void);"
            "void hb_set_destroy (hb_set_t *set);"
            "void hb_face_collect_unicodes (hb_face_t *face, hb_set_t *out);"
            "unsigned int hb_set_get_population (const hb_set_t *set);"
            "unsigned int hb_set_next_many (const hb_set_t *set, hb_codepoint_t codepoint,"
            " hb_codepoint_t *out, unsigned int size);"
        )
        _declared = True
    return ffi, harfbuzz


def open_face(path: str, index: int = 0):
    """The face ``index`` of the font file at ``path`` (freed with the returned object)."""
    ffi, hb = ffi_and_lib()
    blob = hb.hb_blob_create_from_file(path.encode())
    face = ffi.gc(hb.hb_face_create(blob, index), hb.hb_face_destroy)
    hb.hb_blob_destroy(blob)
    return face


def code_points(path: str) -> set[int]:
    """Every code point the font file's cmap maps to a glyph."""
    ffi, hb = ffi_and_lib()
    face = open_face(path)
    found = ffi.gc(hb.hb_set_create(), hb.hb_set_destroy)
    hb.hb_face_collect_unicodes(face, found)
    size = hb.hb_set_get_population(found)
    out = ffi.new(f"hb_codepoint_t[{max(size, 1)}]")
    count = hb.hb_set_next_many(found, 0xFFFFFFFF, out, size)  # HB_SET_VALUE_INVALID: from the start
    return set(ffi.unpack(out, count))
