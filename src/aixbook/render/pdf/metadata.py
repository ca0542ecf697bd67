"""The combined PDF's metadata: the edition and the book's identifier in the document
information dictionary and in the XMP packet, and, for ``pdf/a-2u+ua-1``, the XMP
identification of both standards.

WeasyPrint 70 writes one variant: the parts are PDF/A-2u (output intent, print flags on
annotations) and tagged as PDF/UA-1 needs; the XMP packet it wrote for PDF/A is kept and
given ``pdfuaid:part`` with the extension schema PDF/A-2 requires for a namespace it does
not predefine. Everything is written from the book's data: the same book gives the same
bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:  # pikepdf is loaded where a PDF is written, not to say what it will say
    import pikepdf

#: PDF/A-2u and PDF/UA-1 in one file (WeasyPrint has no such variant: see ``weasy_variant``).
COMBINED = "pdf/a-2u+ua-1"

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfuaid": "http://www.aiim.org/pdfua/ns/id/",
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
}
_HEADER = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
_FOOTER = b'\n<?xpacket end="r"?>'


def weasy_variant(variant: str | None) -> str | None:
    """The variant WeasyPrint is asked for: the PDF/A half of a combined one (tagged as well)."""
    return "pdf/a-2u" if variant == COMBINED else variant


@dataclass(frozen=True)
class PdfMeta:
    """What the combined PDF says about itself beyond WeasyPrint's metadata."""

    edition: str = ""
    identifier: str = ""
    variant: str | None = None  # the book's pdf_variant (None: a plain PDF)


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _description(rdf, *prefixes: str) -> etree._Element:
    """A new rdf:Description declaring the namespaces of ``prefixes`` (with those prefixes:
    XMP readers match properties by prefix too)."""
    element = etree.SubElement(rdf, _q("rdf", "Description"), nsmap={p: NS[p] for p in ("rdf", *prefixes)})
    element.set(_q("rdf", "about"), "")
    return element


def _xmp_date(pdf_date: str) -> str:
    """A PDF date (D:20261204013603Z) as XMP writes it (2026-12-04T01:36:03Z); "" if not one."""
    m = re.fullmatch(r"D:(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(Z|[+-]\d{2}'\d{2}'?)?", pdf_date)
    if not m:
        return ""
    zone = m.group(7) or "Z"
    zone = "Z" if zone == "Z" else zone[:3] + ":" + zone[4:6]
    return f"{m[1]}-{m[2]}-{m[3]}T{m[4]}:{m[5]}:{m[6]}{zone}"


def _packet(pdf: pikepdf.Pdf) -> etree._Element:
    """The rdf:RDF element of the PDF's XMP packet: WeasyPrint's, or one made from Info."""
    import pikepdf

    if "/Metadata" in pdf.Root:
        data = pdf.Root.Metadata.read_bytes()
        start, end = data.find(b"<x:xmpmeta"), data.rfind(b"</x:xmpmeta>")
        if start >= 0 and end > start:
            root = etree.fromstring(data[start : end + len(b"</x:xmpmeta>")])
            rdf = root.find(_q("rdf", "RDF"))
            if rdf is not None:
                return rdf
    root = etree.Element(_q("x", "xmpmeta"), nsmap={"x": NS["x"]})
    rdf = etree.SubElement(root, _q("rdf", "RDF"), nsmap={"rdf": NS["rdf"]})
    info = pdf.trailer.get("/Info")
    if isinstance(info, pikepdf.Dictionary):
        if "/Title" in info:
            title = etree.SubElement(_description(rdf, "dc"), _q("dc", "title"))
            li = etree.SubElement(etree.SubElement(title, _q("rdf", "Alt")), _q("rdf", "li"))
            li.set("{http://www.w3.org/XML/1998/namespace}lang", "x-default")
            li.text = str(info.Title)
        for key, prop in (("/CreationDate", "CreateDate"), ("/ModDate", "ModifyDate")):
            if key in info and (when := _xmp_date(str(info[key]))):
                etree.SubElement(_description(rdf, "xmp"), _q("xmp", prop)).text = when
    return rdf


def _ua_extension(rdf) -> None:
    """pdfuaid:part 1, and the PDF/A extension schema that declares it."""
    if not any(d.get(_q("pdfuaid", "part")) for d in rdf):
        _description(rdf, "pdfuaid").set(_q("pdfuaid", "part"), "1")
    holder = _description(rdf, "pdfaExtension", "pdfaSchema", "pdfaProperty")
    ext = etree.SubElement(holder, _q("pdfaExtension", "schemas"))
    li = etree.SubElement(etree.SubElement(ext, _q("rdf", "Bag")), _q("rdf", "li"))
    li.set(_q("rdf", "parseType"), "Resource")
    for name, text in (
        ("schema", "PDF/UA Universal Accessibility Schema"),
        ("namespaceURI", NS["pdfuaid"]),
        ("prefix", "pdfuaid"),
    ):
        etree.SubElement(li, _q("pdfaSchema", name)).text = text
    prop = etree.SubElement(etree.SubElement(li, _q("pdfaSchema", "property")), _q("rdf", "Seq"))
    item = etree.SubElement(prop, _q("rdf", "li"))
    item.set(_q("rdf", "parseType"), "Resource")
    for name, text in (
        ("name", "part"),
        ("valueType", "Integer"),
        ("category", "internal"),
        ("description", "Indicates, which part of ISO 14289 standard is followed"),
    ):
        etree.SubElement(item, _q("pdfaProperty", name)).text = text


def is_pdfa(variant: str | None) -> bool:
    return bool(variant) and str(variant).startswith("pdf/a-")


def no_interpolation(pdf: pikepdf.Pdf) -> None:
    """Every image of the pages (and their forms, and the images' soft masks) without
    /Interpolate true, which PDF/A forbids (6.2.8) and WeasyPrint writes for smooth scaling."""
    import pikepdf
    from pikepdf import Name

    seen: set[tuple[int, int]] = set()

    def visit(resources) -> None:
        xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
        if not isinstance(xobjects, pikepdf.Dictionary):
            return
        for key in xobjects.keys():  # noqa: SIM118 (a pikepdf Dictionary)
            obj = xobjects[key]
            if not isinstance(obj, pikepdf.Stream) or obj.objgen in seen:
                continue
            seen.add(obj.objgen)
            for image in (obj, obj.get("/SMask")):
                if not isinstance(image, pikepdf.Stream) or image.get("/Subtype") != Name.Image:
                    continue
                if image.get("/Interpolate") is not None:
                    image.Interpolate = False
            if obj.get("/Subtype") == Name.Form:
                visit(obj.get("/Resources"))

    for page in pdf.pages:
        visit(page.obj.get("/Resources"))


def one_profile(pdf: pikepdf.Pdf) -> None:
    """The output intent's ICC profile once: every part embedded its own copy and names it in
    its pages' colour spaces; those now name the output intent's (the copies are then not
    written)."""
    import pikepdf
    from pikepdf import Name

    intents = pdf.Root.get("/OutputIntents")
    profile = intents[0].get("/DestOutputProfile") if isinstance(intents, pikepdf.Array) and len(intents) else None
    if not isinstance(profile, pikepdf.Stream):
        return
    data, count = profile.read_raw_bytes(), profile.get("/N")
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        resources = page.obj.get("/Resources")
        spaces = resources.get("/ColorSpace") if isinstance(resources, pikepdf.Dictionary) else None
        if not isinstance(spaces, pikepdf.Dictionary) or (spaces.is_indirect and spaces.objgen in seen):
            continue
        if spaces.is_indirect:
            seen.add(spaces.objgen)
        for key in spaces.keys():  # noqa: SIM118 (a pikepdf Dictionary)
            space = spaces[key]
            if not isinstance(space, pikepdf.Array) or len(space) != 2 or space[0] != Name.ICCBased:
                continue
            copy = space[1]
            if not isinstance(copy, pikepdf.Stream) or copy.objgen == profile.objgen or copy.get("/N") != count:
                continue
            if copy.read_raw_bytes() == data:
                spaces[key] = pikepdf.Array([Name.ICCBased, profile])


def stamp(pdf: pikepdf.Pdf, meta: PdfMeta) -> None:
    """Write the edition and identifier into ``pdf``'s Info and XMP (and, for the combined
    variant, the PDF/UA identification beside PDF/A's); a PDF/A's images uninterpolated."""
    import pikepdf
    from pikepdf import Name, String

    if is_pdfa(meta.variant):
        no_interpolation(pdf)
        one_profile(pdf)
    if not (meta.edition or meta.identifier or meta.variant == COMBINED):
        return
    info = pdf.trailer.get("/Info")
    if not isinstance(info, pikepdf.Dictionary):
        info = pdf.trailer.Info = pdf.make_indirect(pikepdf.Dictionary())
    if meta.edition:
        info.Edition = String(meta.edition)
    if meta.identifier:
        info.Identifier = String(meta.identifier)
    rdf = _packet(pdf)
    if meta.edition or meta.identifier:
        element = _description(rdf, "dc", "xmpMM")
        if meta.identifier:
            etree.SubElement(element, _q("dc", "identifier")).text = meta.identifier
            etree.SubElement(element, _q("xmpMM", "DocumentID")).text = meta.identifier
        if meta.edition:
            etree.SubElement(element, _q("xmpMM", "VersionID")).text = meta.edition
    if meta.variant == COMBINED:
        _ua_extension(rdf)
    body = etree.tostring(rdf.getroottree().getroot(), encoding="utf-8")
    stream = pdf.make_stream(_HEADER + body + _FOOTER)
    stream.Type = Name.Metadata
    stream.Subtype = Name.XML
    pdf.Root.Metadata = stream
