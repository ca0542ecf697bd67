"""Separately laid-out parts → one PDF, with pikepdf.

What the one-document PDF has, rebuilt over the parts:

- the pages, in order, and one font per font (fontmerge.py);
- one structure tree: the parts' top elements under one /Document, the ParentTree
  renumbered as WeasyPrint numbers it (pages 0…N-1, then link annotations), the pages'
  /StructParents and the annotations' /StructParent with it, one /IDTree;
- one /Dests name tree, links to other parts turned into links to their destination;
- the outline, nested by WeasyPrint's own rules over every part's bookmarks;
- metadata, language and viewer preferences (the same in every part);
- the footers, drawn over each page as a pagination artifact.

The parts are copied pages first, then their structure trees and destinations from the
same open source, so that page and annotation references land on the copies.
"""

from __future__ import annotations

import io
import time
import warnings
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from ... import timings
from .fontmerge import merge_fonts
from .footers import FooterLayout
from .internals import bookmark_tree
from .layout import PartLayout
from .metadata import PdfMeta, stamp
from .parts import SENTINEL


def combine(
    parts: list[PartLayout],
    footers: list[FooterLayout],
    target: Path,
    elsewhere: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
    meta: PdfMeta | None = None,
    keep_unknown: bool = False,
) -> list[str]:
    """Write the parts, in order, as one PDF to ``target``; returns warnings (links whose
    target is in no part). ``elsewhere``: the web address of ids in no part (a preview of
    one chapter links to the others on the website). ``aliases``: more names for
    destinations (a short link's name → the id it lands on: ``book.pdf#NAME`` opens there).
    ``meta``: the edition and identifier the metadata states (metadata.py).
    ``keep_unknown``: links to ids in no part stay links to the sentinel (the parts are
    the pieces of one part, combined as it: onepart.py), for a later combining step."""
    out = pikepdf.new()
    sources = [pikepdf.open(io.BytesIO(p.pdf)) for p in parts]
    total = sum(p.pages for p in parts)
    starts: list[int] = []
    roots: list = []
    dests: list[tuple[str, object]] = []
    font_dicts = []
    for part, src in zip(parts, sources, strict=True):
        starts.append(len(out.pages))
        with warnings.catch_warnings():  # destinations are carried over below
            warnings.simplefilter("ignore", getattr(pikepdf, "PageCopyWarning", UserWarning))
            out.pages.extend(src.pages)
        if "/StructTreeRoot" in src.Root:
            roots.append(out.copy_foreign(src.Root.StructTreeRoot))
        names = src.Root.get("/Names")
        if names is not None and "/Dests" in names:
            copied = out.copy_foreign(src.make_indirect(names.Dests.Names))
            dests.extend((str(copied[i]), copied[i + 1]) for i in range(0, len(copied), 2))
        # WeasyPrint's pages share one font dictionary; a part made of pieces (onepart.py)
        # has one for each piece.
        seen: set[tuple[int, int]] = set()
        for page in out.pages[starts[-1] : starts[-1] + part.pages]:
            fonts = _font_dict(page)
            if fonts is not None and (not fonts.is_indirect or fonts.objgen not in seen):
                seen.add(fonts.objgen)
                font_dicts.append((fonts, part.fonts))
    first = sources[0]
    _catalog(out, first)
    if meta is not None:
        stamp(out, meta)
    if roots:
        _structure(out, parts, roots, starts, total)
    known = _dests(out, dests, aliases or {})
    found = _links(out, known, elsewhere or {}, keep_unknown)
    _outline(out, parts)
    footer_pages, footer_sources = [], []
    for footer in footers:
        footer_src, footer_fonts = _footer_fonts(out, footer)
        footer_sources.append(footer_src)  # its pages live as long as it does
        footer_pages.extend(footer_src.pages)
        if footer_fonts is not None:
            font_dicts.append((footer_fonts, footer.fonts))
    merge_fonts(out, font_dicts)
    if footer_pages:
        _draw_footers(out, footer_pages)
    # Into memory, then one Python write: qpdf writing a file itself leaves its own
    # temporary file beside it, and aborts the process (an uncaught C++ exception) when
    # the disk fills up; a Python write raises OSError, which the build words.
    start = time.perf_counter()
    buf = io.BytesIO()
    out.save(
        buf,
        deterministic_id=True,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        stream_decode_level=pikepdf.StreamDecodeLevel.none,
        recompress_flate=False,
        normalize_content=False,
        linearize=False,
        fix_metadata_version=False,
        min_version=first.pdf_version,
    )
    for src in sources:
        src.close()
    Path(target).write_bytes(buf.getbuffer())
    timings.record("write", start, time.perf_counter())
    return found


def _font_dict(page) -> Dictionary | None:
    res = page.obj.get("/Resources")
    fonts = res.get("/Font") if res is not None else None
    return fonts if isinstance(fonts, Dictionary) else None


def _bring(out: pikepdf.Pdf, src: pikepdf.Pdf, obj):
    """``obj`` of ``src`` in ``out``, indirect or direct as it was."""
    if obj.is_indirect:
        return out.copy_foreign(obj)
    copied = out.copy_foreign(src.make_indirect(obj))
    if isinstance(copied, Dictionary):
        return Dictionary({key: copied[key] for key in sorted(copied.keys())})
    if isinstance(copied, Array):
        return Array(list(copied))
    return copied


def _catalog(out: pikepdf.Pdf, src: pikepdf.Pdf) -> None:
    """What every part has alike: metadata, language, marking and viewer preferences."""
    for key in ("/Lang", "/MarkInfo", "/ViewerPreferences", "/Metadata", "/OutputIntents"):
        if key in src.Root:
            value = src.Root[key]
            out.Root[key] = value if isinstance(value, (String, Name)) else _bring(out, src, value)
    if "/Info" in src.trailer:
        out.trailer.Info = _bring(out, src, src.trailer.Info)


def _structure(out: pikepdf.Pdf, parts: list[PartLayout], roots: list, starts: list[int], total: int) -> None:
    root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    document = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, K=Array(), P=root))
    root.K = Array([document])
    page_entries: list[tuple[int, object]] = []
    annot_entries: list[tuple[int, object]] = []
    ids: list[tuple[str, object]] = []
    annots_before = 0
    for part, part_root, start in zip(parts, roots, starts, strict=True):
        for top in part_root.K:
            for kid in top.K:
                if isinstance(kid, Dictionary):
                    kid.P = document
                document.K.append(kid)
        nums = part_root.ParentTree.Nums
        renumber: dict[int, int] = {}
        for i in range(0, len(nums), 2):
            key, value = int(nums[i]), nums[i + 1]
            if key < part.pages:
                page_entries.append((start + key, value))
            else:
                new = total + annots_before + (key - part.pages)
                renumber[key] = new
                annot_entries.append((new, value))
        annots_before += sum(1 for k in range(0, len(nums), 2) if int(nums[k]) >= part.pages)
        for number in range(part.pages):
            page = out.pages[start + number].obj
            page.StructParents = start + number
            for annot in page.get("/Annots", Array()):
                if "/StructParent" in annot:
                    annot.StructParent = renumber[int(annot.StructParent)]
        if "/IDTree" in part_root:
            ids.extend((str(k), v) for k, v in pikepdf.NameTree(part_root.IDTree).items())
    nums_out = Array()
    for key, value in sorted(page_entries, key=lambda e: e[0]) + annot_entries:
        nums_out.append(key)
        nums_out.append(value)
    root.ParentTree = out.make_indirect(Dictionary(Nums=nums_out))
    root.ParentTreeNextKey = total + len(annot_entries)
    if ids:
        flat = Array()
        for name, element in sorted(ids, key=lambda kv: kv[0].encode("utf-8")):
            flat.append(String(name))
            flat.append(element)
        root.IDTree = out.make_indirect(Dictionary(Names=flat))
    out.Root.StructTreeRoot = root


def _dests(out: pikepdf.Pdf, dests: list[tuple[str, object]], aliases: Mapping[str, str]) -> set[str]:
    """One /Dests name tree, sorted as WeasyPrint sorts it; the first of duplicates wins.
    An alias is added where its id has a destination and the name is not an id itself."""
    seen: dict[str, object] = {}
    for name, dest in dests:
        seen.setdefault(name, dest)
    for name, uid in aliases.items():
        if uid in seen and name not in seen:
            seen[name] = seen[uid]
    if seen:
        flat = Array()
        for name in sorted(seen):
            flat.append(String(name))
            flat.append(seen[name])
        out.Root.Names = Dictionary(Dests=Dictionary(Names=flat))
    return set(seen)


def _links(out: pikepdf.Pdf, known: set[str], elsewhere: Mapping[str, str], keep_unknown: bool = False) -> list[str]:
    """Links to another part, written to the sentinel address, now go to their destination
    (as WeasyPrint writes an internal link: /Dest and /Contents name the anchor), or to
    its web address when no part has it and ``elsewhere`` does."""
    warnings = []
    for page in out.pages:
        for annot in page.obj.get("/Annots", Array()):
            action = annot.get("/A")
            uri = str(action.get("/URI", "")) if isinstance(action, Dictionary) else ""
            if not uri.startswith(SENTINEL):
                continue
            name = uri[len(SENTINEL) :]
            if name not in known and name in elsewhere and isinstance(action, Dictionary):
                action.URI = String(elsewhere[name])
                continue
            if name not in known:
                if keep_unknown:
                    continue
                warnings.append(f"No anchor #{name} for internal URI reference")
            del annot["/A"]
            annot.Dest = String(name)
            annot.Contents = String(name)
    return warnings


def _real(value: float):
    """A coordinate written as pydyf writes it."""
    return int(value) if float(value).is_integer() else Decimal(f"{value:f}".rstrip("0"))


def _outline(out: pikepdf.Pdf, parts: list[PartLayout]) -> None:
    """The outline over every part's bookmarks, nested and written as WeasyPrint does."""
    tree = bookmark_tree([(b, h) for p in parts for b, h in zip(p.bookmarks, p.heights, strict=True)])
    outlines, count = _outline_items(out, tree, None)
    if outlines:
        top = out.make_indirect(Dictionary(Count=count, First=outlines[0], Last=outlines[-1]))
        for item in outlines:
            item.Parent = top
        out.Root.Outlines = top


def _outline_items(out: pikepdf.Pdf, bookmarks, parent):
    count = len(bookmarks)
    items: list[Dictionary] = []
    for title, (page, x, y), children, state in bookmarks:
        dest = Array([out.pages[page].obj, Name.XYZ, _real(x), _real(y), 0])
        item = out.make_indirect(Dictionary(Title=String(title), Dest=dest))
        kids, kids_count = _outline_items(out, children, item)
        item.Count = -kids_count if state == "closed" else kids_count
        if state != "closed":
            count += kids_count
        if items:
            item.Prev = items[-1]
            items[-1].Next = item
        if kids:
            item.First = kids[0]
            item.Last = kids[-1]
        if parent is not None:
            item.Parent = parent
        items.append(item)
    return items, count


def _footer_fonts(out: pikepdf.Pdf, footers: FooterLayout):
    """The footer document, open, and its fonts copied in (merged with the parts' fonts
    before the footers are drawn, so one font serves both)."""
    src = pikepdf.open(io.BytesIO(footers.pdf))
    fonts = src.pages[0].obj.Resources.get("/Font") if len(src.pages) else None
    copied = out.copy_foreign(fonts) if isinstance(fonts, Dictionary) and fonts.is_indirect else None
    return src, copied


def _draw_footers(out: pikepdf.Pdf, footers: list) -> None:
    """Each footer page drawn over its book page, inside a pagination artifact: its content
    appended to the page's own where the two use the same resources, else as a form. The
    page's own streams are kept as they are (compressed by the part that drew them)."""
    save = out.make_stream(b"q\n")
    for number, (page, footer) in enumerate(zip(out.pages, footers, strict=True)):
        content = b"\n".join(_contents(footer.obj))
        inline = _share_resources(out, page.obj, footer.obj)
        if inline:
            body = content
        else:
            form = out.copy_foreign(pikepdf.Page(footer).as_form_xobject())
            name = pikepdf.Page(page).add_resource(form, Name.XObject, Name(f"/aixFooter{number}"))
            body = pikepdf.unparse_content_stream([([name], pikepdf.Operator("Do"))])
        artifact = pikepdf.unparse_content_stream(
            [([Name.Artifact, Dictionary(Type=Name.Pagination, Subtype=Name.Footer)], pikepdf.Operator("BDC"))]
        )
        own = page.obj.get("/Contents")
        streams = list(own) if isinstance(own, Array) else [own] if own is not None else []
        footer_stream = out.make_stream(b"\nQ\n" + artifact + b"\nq\n" + body + b"\nQ\nEMC\n")
        page.obj.Contents = Array([save, *streams, footer_stream])


def _contents(page: Dictionary) -> list[bytes]:
    contents = page.get("/Contents")
    if contents is None:
        return []
    streams = list(contents) if isinstance(contents, Array) else [contents]
    return [stream.read_bytes() for stream in streams]


def _share_resources(out: pikepdf.Pdf, page: Dictionary, footer: Dictionary) -> bool:
    """Make the page's resources hold what the footer's content names, if that can be done
    without renaming: the same font (merged), an equal graphics state. Else False."""
    res, theirs = page.get("/Resources"), footer.get("/Resources")
    if not isinstance(res, Dictionary) or not isinstance(theirs, Dictionary):
        return False
    additions = []
    for category in sorted(theirs.keys()):
        wanted = theirs[category]
        if not isinstance(wanted, Dictionary) or len(wanted) == 0:
            continue
        if category not in ("/Font", "/ExtGState", "/ColorSpace"):
            return False
        mine = res.get(category)
        # an indirect dictionary was copied before (and its fonts merged): use that copy
        ours = out.copy_foreign(wanted) if wanted.is_indirect else None
        for name in sorted(wanted.keys()):
            if ours is not None:
                copied = ours[name]
            else:
                copied = out.copy_foreign(wanted[name]) if wanted[name].is_indirect else wanted[name]
            if mine is not None and name in mine:
                have = mine[name]
                same = (have.is_indirect and copied.is_indirect and have.objgen == copied.objgen) or (
                    category != "/Font" and have.unparse(resolved=True) == copied.unparse(resolved=True)
                )
                if not same:
                    return False
            else:
                additions.append((category, name, copied))
    for category, name, copied in additions:
        if category not in res:
            res[category] = Dictionary()
        res[category][name] = copied
    return True
