"""The structure tree as PDF/UA-1 (and veraPDF) wants it, fixed before the PDF is written.

``Tagging`` is a ``write_pdf`` finisher. It works on the pydyf objects WeasyPrint has just
built, so each part's tree is fixed in its own worker and the one-document PDF the same way:

- **table headers** (7.5): every header cell gets a /Scope (Row for ``scope="row"``, else
  Column) and the tree an /IDTree, so the data cells' /Headers resolve;
- **tables split over pages** (7.2, test 43): WeasyPrint writes one Table element per page.
  A cell spanning rows across the page break leaves the next page's rows short, and its
  /RowSpan counts rows that page does not have. Each page's table gets its /RowSpan cut to
  the rows it holds and an empty cell where a cell from the page before still spans;
- **list items** (7.2, test 20): an LI holds only Lbl and LBody. WeasyPrint puts the blocks
  of ``<li><p>…</p></li>`` straight in the LI; they move into an LBody;
- **link annotations** (7.18.5): each is owned by a Link element. WeasyPrint gives the boxes
  inside a link (``<a><em>…</em></a>``, an image) annotations of their own, owned by
  their NonStruct, Span or Figure element; they move up to the enclosing Link (or get one).

The table cells and their structure elements come from internals.table_cells (none when
WeasyPrint's code changed: then the table fixes are skipped, the rest still done);
everything else is read from the tree itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import pydyf

from ...a11y import cell_span
from .internals import root_element, table_cells


class Tagging:
    """The finisher. ``prefix`` makes the header cells' IDs unique when separately written
    documents are combined: WeasyPrint builds them from object numbers, which repeat from
    one file to the next."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix
        self.ids: dict[str, object] = {}

    def __call__(self, document, pdf) -> None:
        ref = pdf.catalog.get("StructTreeRoot")
        if ref is None:
            return
        tree = _Tree(pdf, ref)
        cells = table_cells(document)
        self._headers(cells, tree)
        split_tables(tree, cells, document)
        list_items(tree)
        link_owners(tree, len(document.pages))

    def _headers(self, cells: list, tree: _Tree) -> None:
        renamed: dict[str, pydyf.String] = {}
        for cell in cells:
            mark = cell.mark
            if cell.element_tag == "th" and "ID" in mark:
                old = mark["ID"]
                new = pydyf.String(self.prefix + old.string)
                renamed[old.string] = new
                mark["ID"] = new
                scope = (cell.element.get("scope") or "").lower()
                mark["A"]["Scope"] = "/Row" if scope in ("row", "rowgroup") else "/Column"
                self.ids[new.string] = mark.reference
        for cell in cells:
            headers = cell.mark["A"].get("Headers") if cell.element_tag == "td" else None
            if headers:
                cell.mark["A"]["Headers"] = pydyf.Array(renamed.get(h.string, h) for h in headers)
        if self.ids:
            names = pydyf.Array()
            for key in sorted(self.ids, key=lambda k: k.encode("utf-8")):
                names.extend([pydyf.String(key), self.ids[key]])
            tree.root["IDTree"] = tree.add(pydyf.Dictionary({"Names": names})).reference


class _Tree:
    """The structure elements of a pydyf document, reached by reference."""

    def __init__(self, pdf, root):
        self.pdf = pdf
        self.root = self.get(root)

    def get(self, ref) -> pydyf.Dictionary:
        return self.pdf.objects[int(bytes(ref).split()[0])]

    def add(self, obj: pydyf.Dictionary) -> pydyf.Dictionary:
        self.pdf.add_object(obj)
        return obj

    def element(self, kind: str, parent: pydyf.Dictionary, kids=(), **extra) -> pydyf.Dictionary:
        """A new structure element ``kind`` under ``parent`` (not yet among its kids)."""
        el = pydyf.Dictionary({"Type": "/StructElem", "S": f"/{kind}", "K": pydyf.Array(kids), "P": parent.reference})
        if "Pg" in parent:
            el["Pg"] = parent["Pg"]
        el.update(extra)
        return self.add(el)

    def elements(self) -> Iterator[pydyf.Dictionary]:
        for obj in self.pdf.objects:
            if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/StructElem":
                yield obj

    def kind(self, kid) -> str | None:
        """The /S of a kid that is a structure element; None for marked content and OBJRs."""
        if isinstance(kid, int):
            return None
        return self.get(kid).get("S")


# ---------------------------------------------------------------- list items


def list_items(tree: _Tree) -> None:
    """Every LI holds only Lbl and LBody: other kids move, in order, into an LBody."""
    for li in list(tree.elements()):
        if li["S"] != "/LI" or all(tree.kind(k) in ("/Lbl", "/LBody") for k in li["K"]):
            continue
        kids = pydyf.Array()
        body = None
        for kid in li["K"]:
            kind = tree.kind(kid)
            if kind in ("/Lbl", "/LBody"):
                kids.append(kid)
                body = tree.get(kid) if kind == "/LBody" else None
                continue
            if body is None:
                body = tree.element("LBody", li)
                kids.append(body.reference)
            body["K"].append(kid)
            if kind is not None:
                tree.get(kid)["P"] = body.reference
        li["K"] = kids


# ------------------------------------------------------------ link annotations


def link_owners(tree: _Tree, pages: int) -> None:
    """Every link annotation is owned by a Link element: the nearest enclosing one, or a new
    Link around the element that owns it."""
    nums = tree.get(tree.root["ParentTree"])["Nums"]
    for i in range(0, len(nums), 2):
        if nums[i] < pages:
            continue  # a page's marked content, not an annotation
        owner = tree.get(nums[i + 1])
        if owner["S"] == "/Link":
            continue
        objr = next((k for k in owner["K"] if not isinstance(k, int) and _points_at(tree, k, nums[i])), None)
        if objr is None:
            continue
        link = _ancestor(tree, owner, "/Link")
        if link is None:
            link = _wrap(tree, owner, "Link")
        owner["K"] = pydyf.Array(k for k in owner["K"] if k is not objr)
        link["K"].insert(_objr_count(tree, link), objr)
        nums[i + 1] = link.reference
        _drop_if_empty(tree, owner, link)


def _points_at(tree: _Tree, kid, struct_parent: int) -> bool:
    obj = tree.get(kid)
    return obj.get("Type") == "/OBJR" and tree.get(obj["Obj"]).get("StructParent") == struct_parent


def _ancestor(tree: _Tree, el: pydyf.Dictionary, kind: str) -> pydyf.Dictionary | None:
    while "P" in el:
        el = tree.get(el["P"])
        if el.get("S") == kind:
            return el
        if el.get("Type") != "/StructElem":
            return None
    return None


def _wrap(tree: _Tree, el: pydyf.Dictionary, kind: str) -> pydyf.Dictionary:
    """A new element ``kind`` in ``el``'s place, holding ``el``."""
    parent = tree.get(el["P"])
    wrapper = tree.element(kind, parent, [el.reference])
    parent["K"] = pydyf.Array(wrapper.reference if k == el.reference else k for k in parent["K"])
    el["P"] = wrapper.reference
    return wrapper


def _objr_count(tree: _Tree, el: pydyf.Dictionary) -> int:
    return sum(1 for k in el["K"] if not isinstance(k, int) and tree.get(k).get("Type") == "/OBJR")


def _drop_if_empty(tree: _Tree, el: pydyf.Dictionary, stop: pydyf.Dictionary) -> None:
    """Remove ``el`` from its parent if it holds nothing now, and so on up to ``stop``."""
    while not el["K"] and el is not stop:
        parent = tree.get(el["P"])
        parent["K"] = pydyf.Array(k for k in parent["K"] if k != el.reference)
        el = parent


# ------------------------------------------------------- tables split by pages


def split_tables(tree: _Tree, cells: list, document) -> None:
    """Each page's piece of a table is a whole table: /RowSpan cut to the rows on the page,
    an empty cell where a cell from an earlier page spans into a row."""
    if not any(cell_span(cell.element, "rowspan") > 1 for cell in cells):
        return  # only a cell spanning rows can be cut by a page break
    # WeasyPrint's elements (ElementTree) do not know their parents.
    html = root_element(document)
    parent = {child: el for el in html.iter() for child in el}
    pieces: dict[bytes, tuple[pydyf.Dictionary, list]] = {}
    for cell in cells:
        table = _ancestor(tree, cell.mark, "/Table")
        if table is not None:
            pieces.setdefault(table.reference, (table, []))[1].append(cell)
    grids: dict[object, _Grid] = {}
    for table, piece in pieces.values():
        element = _enclosing(piece[0].element, "table", parent)
        if element is None:
            continue
        if element not in grids:
            grids[element] = _Grid(element, parent)
        if grids[element].spanning:
            _fix_piece(tree, table, piece, grids[element], parent)


def _enclosing(element, tag: str, parent: dict):
    while (element := parent.get(element)) is not None:
        if element.tag == tag:
            return element
    return None


def _fix_piece(tree: _Tree, table: pydyf.Dictionary, piece: list, grid: _Grid, parent: dict) -> None:
    rows = list(_rows(tree, table))
    row_of: dict[bytes, int | None] = {}  # TR → its HTML row
    cell_of: dict[bytes, object] = {}  # TD/TH → its HTML cell
    for cell in piece:
        row_of.setdefault(cell.mark["P"], grid.index.get(parent.get(cell.element)))
        cell_of[cell.mark.reference] = cell.element
    shown = set(cell_of.values())
    order = [row_of.get(r.reference) for r in rows]
    held = {i for i in order if i is not None}
    for cell in piece:  # a span counts the rows this piece holds
        down = cell_span(cell.element, "rowspan")
        if down > 1 and cell.element in grid.origin:
            start = grid.origin[cell.element]
            count = sum(1 for r in range(start, start + down) if r in held)
            if count > 1:
                cell.mark["A"]["RowSpan"] = count
            else:
                cell.mark["A"].pop("RowSpan", None)
    stand_ins: dict[object, tuple[pydyf.Dictionary, int | None]] = {}  # spanning cell → (empty TD, last row)
    previous = None
    for row, index in zip(rows, order, strict=True):
        extra = []
        for col, above in grid.spanning.get(index, []) if index is not None else []:
            if above in shown:
                continue
            if above in stand_ins and stand_ins[above][1] == previous:
                td = stand_ins[above][0]
                td["A"]["RowSpan"] = td["A"].get("RowSpan", 1) + 1
            else:
                attrs = pydyf.Dictionary({"O": "/Table"})
                if (cols := cell_span(above, "colspan")) > 1:
                    attrs["ColSpan"] = cols
                td = tree.element("TD", row, A=attrs)
                extra.append((col, td.reference))
            stand_ins[above] = (td, index)
        if extra:
            placed = [(grid.column.get(cell_of.get(k), 10**6), k) for k in row["K"]]
            row["K"] = pydyf.Array(k for _, k in sorted(placed + extra, key=lambda ck: ck[0]))
        previous = index


def _rows(tree: _Tree, el: pydyf.Dictionary) -> Iterator[pydyf.Dictionary]:
    for kid in el["K"]:
        kind = tree.kind(kid)
        if kind == "/TR":
            yield tree.get(kid)
        elif kind in ("/THead", "/TBody", "/TFoot"):
            yield from _rows(tree, tree.get(kid))


class _Grid:
    """The HTML table's cells by row and column, spans counted."""

    def __init__(self, table, parent: dict):
        rows = [r for r in table.iter("tr") if _enclosing(r, "table", parent) is table]
        self.index = {row: i for i, row in enumerate(rows)}
        self.column: dict[object, int] = {}  # cell → its first column
        self.origin: dict[object, int] = {}  # cell → its row
        self.spanning: dict[int, list[tuple[int, object]]] = {}  # row → (column, cell from a row above)
        taken: set[tuple[int, int]] = set()
        for i, row in enumerate(rows):
            col = 0
            for cell in row:
                if cell.tag not in ("td", "th"):
                    continue
                while (i, col) in taken:
                    col += 1
                self.column[cell], self.origin[cell] = col, i
                cols = cell_span(cell, "colspan")
                for r in range(i, min(i + cell_span(cell, "rowspan"), len(rows))):
                    taken.update((r, c) for c in range(col, col + cols))
                    if r > i:
                        self.spanning.setdefault(r, []).append((col, cell))
                col += cols
        for spans in self.spanning.values():
            spans.sort(key=lambda cc: cc[0])
