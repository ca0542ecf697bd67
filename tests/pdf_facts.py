"""What a reader of a PDF gets, read back with pymupdf and pikepdf, so that two PDFs of the
same book can be compared fact by fact (never byte by byte): page texts, running
headers and footers, outline, link destinations, printed page numbers, structure
elements by type, table header associations."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import pikepdf
import pymupdf


def page_texts(doc: pymupdf.Document) -> list[str]:
    """Each page's text in reading order (pymupdf's position sort), one string per page."""
    return [page.get_text(sort=True) for page in doc]


def outline(doc: pymupdf.Document) -> list[tuple[int, str, int]]:
    """(level, title, page) of every outline entry."""
    return [(lvl, title, page) for lvl, title, page in doc.get_toc(simple=True)]


def link_targets(doc: pymupdf.Document) -> list[list[tuple]]:
    """Per page: every link as (kind, target page or URI, rounded rectangle), in order."""
    out = []
    for page in doc:
        links = []
        for link in page.get_links():
            rect = tuple(round(v, 1) for v in link["from"])
            if link["kind"] in (pymupdf.LINK_GOTO, pymupdf.LINK_NAMED):
                to = link.get("to")
                links.append(("internal", link["page"], round(to.y, 0) if to is not None else None, rect))
            else:
                links.append(("uri", link.get("uri"), None, rect))
        out.append(links)
    return out


def struct_counts(path) -> Counter:
    """Structure elements reachable from the StructTreeRoot, counted by type."""
    counts: Counter = Counter()
    with pikepdf.open(path) as pdf:
        root = pdf.Root.get("/StructTreeRoot")
        if root is None:
            return counts
        seen = set()
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, pikepdf.Array):
                stack.extend(node)
                continue
            if not isinstance(node, pikepdf.Dictionary):
                continue
            if node.is_indirect:
                if node.objgen in seen:
                    continue
                seen.add(node.objgen)
            if node.get("/Type") in (pikepdf.Name.MCR, pikepdf.Name.OBJR):
                continue
            if "/S" in node:
                counts[str(node.S)] += 1
            if "/K" in node:
                stack.append(node.K)
    return counts


def table_headers(path) -> dict:
    """How table headers are tagged: how many /TH have a /Scope, and how many /Headers
    references of data cells resolve through the /IDTree."""
    with pikepdf.open(path) as pdf:
        root = pdf.Root.StructTreeRoot
        ids = {}
        if "/IDTree" in root:
            for key, value in pikepdf.NameTree(root.IDTree).items():
                ids[key] = value
        th = scoped = refs = resolved = 0
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != pikepdf.Name.StructElem:
                continue
            attrs = obj.get("/A")
            if obj.get("/S") == pikepdf.Name.TH:
                th += 1
                if isinstance(attrs, pikepdf.Dictionary) and "/Scope" in attrs:
                    scoped += 1
            elif obj.get("/S") == pikepdf.Name.TD and isinstance(attrs, pikepdf.Dictionary) and "/Headers" in attrs:
                for key in attrs.Headers:
                    refs += 1
                    target = ids.get(str(key))
                    if target is not None and target.get("/ID") == key:
                        resolved += 1
        return {"th": th, "scoped": scoped, "refs": refs, "resolved": resolved, "ids": len(ids)}


def link_pages(facts: Facts) -> list[list]:
    """Per page, the sorted destination pages (or URIs) of its links, rectangles left out."""
    return [sorted({(kind, str(to)) for kind, to, _, _ in page}) for page in facts.links]


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


@dataclass
class Facts:
    pages: int
    texts: list[str]
    outline: list[tuple[int, str, int]]
    links: list[list[tuple]]
    structure: Counter = field(default_factory=Counter)
    metadata: dict = field(default_factory=dict)
    lang: str = ""

    @classmethod
    def read(cls, path) -> Facts:
        doc = pymupdf.open(path)
        meta = {k: v for k, v in doc.metadata.items() if k not in ("format", "encryption")}
        lang = doc.xref_get_key(doc.pdf_catalog(), "Lang")[1]
        return cls(
            doc.page_count,
            [norm(t) for t in page_texts(doc)],
            outline(doc),
            link_targets(doc),
            struct_counts(path),
            meta,
            lang,
        )


def differences(a: Facts, b: Facts, limit: int = 5) -> list[str]:
    """What differs between two PDFs of the same book, as readable lines (empty: nothing)."""
    out = []
    if a.pages != b.pages:
        out.append(f"page count {a.pages} != {b.pages}")
    bad = [i + 1 for i, (x, y) in enumerate(zip(a.texts, b.texts, strict=False)) if x != y]
    if bad:
        i = bad[0] - 1
        x, y = a.texts[i], b.texts[i]
        at = next((k for k in range(min(len(x), len(y))) if x[k] != y[k]), min(len(x), len(y)))
        out.append(
            f"text differs on {len(bad)} pages {bad[:limit]}; first at page {bad[0]}: "
            f"{x[max(0, at - 40) : at + 40]!r} != {y[max(0, at - 40) : at + 40]!r}"
        )
    if a.outline != b.outline:
        diff = [(x, y) for x, y in zip(a.outline, b.outline, strict=False) if x != y][:limit]
        out.append(f"outline differs ({len(a.outline)} vs {len(b.outline)} entries): {diff}")
    bad = [i + 1 for i, (x, y) in enumerate(zip(a.links, b.links, strict=False)) if x != y]
    if bad:
        i = bad[0] - 1
        diff = [(x, y) for x, y in zip(a.links[i], b.links[i], strict=False) if x != y][:3]
        out.append(
            f"links differ on {len(bad)} pages {bad[:limit]}; page {bad[0]}: "
            f"{len(a.links[i])} vs {len(b.links[i])} links, {diff}"
        )
    if a.structure != b.structure:
        keys = sorted(set(a.structure) | set(b.structure))
        out.append(
            "structure elements differ: "
            + ", ".join(f"{k} {a.structure[k]} != {b.structure[k]}" for k in keys if a.structure[k] != b.structure[k])
        )
    if a.metadata != b.metadata:
        out.append(f"metadata {a.metadata} != {b.metadata}")
    if a.lang != b.lang:
        out.append(f"language {a.lang} != {b.lang}")
    return out
