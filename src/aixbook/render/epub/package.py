"""What goes into the EPUB package besides the chapters' XHTML: images and the cover,
metadata (Dublin Core and accessibility), the nav tree and landmarks, and the zip.

ebooklib writes the package; its zip entries carry the current time, so the
archive is rewritten afterwards with fixed dates (``SOURCE_DATE_EPOCH``), the
``mimetype`` entry first and stored.
"""

from __future__ import annotations

import html as htmllib
import io
import mimetypes
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from ebooklib import epub
from lxml import etree

from ... import __version__
from ...a11y import Facts
from ...assemble import is_index_chapter
from ...errors import BuildError
from ...model import Book, Heading
from .split import Part, safe_name, unique_name

#: Image types every EPUB 3 reading system shows; others are converted to PNG.
CORE_IMAGE_TYPES = {"image/gif", "image/jpeg", "image/png", "image/svg+xml", "image/webp"}


# ------------------------------------------------------------ images


@dataclass
class Package:
    """What the pages refer to: image files by the URL the HTML uses."""

    names: dict[str, str] = field(default_factory=dict)  # HTML url → package file name
    files: dict[str, Path] = field(default_factory=dict)  # package file name → file on disk
    convert: set[str] = field(default_factory=set)  # package names to convert to PNG
    taken: set[str] = field(default_factory=set)  # lower-cased names in use
    by_file: dict[Path, str] = field(default_factory=dict)

    def add(self, url: str, path: Path, *, name: str | None = None) -> str:
        """The package name of the image ``url`` (file ``path``); one per file on disk."""
        key = path.resolve()
        if key in self.by_file:
            self.names[url] = self.by_file[key]
            return self.by_file[key]
        name = unique_name(name or _package_name(url), self.taken)
        media = mimetypes.guess_type(name)[0] or ""
        if media not in CORE_IMAGE_TYPES:
            name = unique_name(str(Path(name).with_suffix(".png")), self.taken)
            self.convert.add(name)
        self.names[url] = name
        self.files[name] = path
        self.by_file[key] = name
        return name


def _package_name(url: str) -> str:
    segs = [s for s in url.split("?", 1)[0].split("#", 1)[0].split("/") if s not in ("", ".", "..")]
    segs = [safe_name(s) for s in segs] or ["image"]
    if len(segs) == 1:
        segs.insert(0, "images")
    return "/".join(segs)


def cover_image(
    book: Book, front: etree._Element, front_resources: dict[str, Path], package: Package
) -> tuple[str | None, str]:
    """(package name, alt text) of the cover image, or (None, "") to generate one."""
    cfg = book.config
    file = Path(cfg.base_dir or book.site.root) / cfg.cover_image if cfg.cover_image else None
    if file is not None and book.site.may_read(file):  # one outside the site was reported when the book was read
        if not file.is_file():
            raise BuildError(f"cover_image {file} does not exist")
        name = package.add(f"cover:{file}", file, name="images/cover" + file.suffix.lower())
        return name, f"Cover of {cfg.title}"
    for img in front.iter("img"):
        src = img.get("src", "")
        if src in front_resources:
            alt = "" if img.get("data-alt-generated") else (img.get("alt") or "").strip()
            return package.names[src], f"Cover of {cfg.title}" + (f": {alt}" if alt else "")
    return None, ""


def image_bytes(file: Path, to_png: bool) -> bytes:
    """The image file's bytes, converted to PNG when its type is not one readers must show."""
    if not to_png:
        return file.read_bytes()
    from PIL import Image  # only for the rare image that needs converting

    buf = io.BytesIO()
    with Image.open(file) as im:
        im.save(buf, format="PNG")
    return buf.getvalue()


def svg_cover(book: Book) -> str:
    """A plain cover: the title (wrapped), subtitle and authors on a dark field."""
    cfg = book.config
    esc = htmllib.escape
    lines = _wrap_words(cfg.title or "Untitled", 16)
    size = 64 if len(lines) <= 3 else 48
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 600 900" '
        'width="600" height="900" role="img">',
        f"<title>{esc(cfg.title or '')}</title>",
        '<rect width="600" height="900" fill="#1f4e79"/>',
        '<rect x="40" y="40" width="520" height="820" fill="none" stroke="#ffffff" stroke-width="2" opacity="0.6"/>',
    ]
    y = 260
    for line in lines:
        out.append(
            f'<text x="300" y="{y}" text-anchor="middle" font-family="sans-serif" '
            f'font-weight="bold" font-size="{size}" fill="#ffffff">{esc(line)}</text>'
        )
        y += int(size * 1.2)
    if cfg.subtitle:
        y += 30
        for line in _wrap_words(cfg.subtitle, 32):
            out.append(
                f'<text x="300" y="{y}" text-anchor="middle" font-family="serif" '
                f'font-size="28" fill="#ffffff">{esc(line)}</text>'
            )
            y += 36
    authors = ", ".join(cfg.authors)
    for i, line in enumerate(_wrap_words(authors, 36)):
        out.append(
            f'<text x="300" y="{780 + 34 * i}" text-anchor="middle" font-family="sans-serif" '
            f'font-size="26" fill="#ffffff">{esc(line)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def _wrap_words(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


# ------------------------------------------------------------ pages


class Page(epub.EpubHtml):
    """An XHTML document written exactly as made here (ebooklib would re-parse it as HTML)."""

    def __init__(self, uid: str, file_name: str, title: str, data: bytes, properties=()):
        super().__init__(uid=uid, file_name=file_name, title=title, media_type="application/xhtml+xml")
        self._data = data
        self.properties = list(properties)

    def get_content(self, default=None) -> bytes:
        return self._data


# ------------------------------------------------------------ metadata


def metadata(eb: epub.EpubBook, book: Book, title: str, lang: str, stamp: datetime) -> None:
    """Dublin Core metadata from the book's config."""
    cfg = book.config
    eb.set_identifier(cfg.identifier or f"urn:aixbook:{book.site.base_url}")
    eb.set_title(title)
    eb.set_language(lang)
    for i, author in enumerate(cfg.authors or (title,)):
        eb.add_author(author, uid=f"creator{i + 1}")
    if cfg.publisher:
        eb.add_metadata("DC", "publisher", cfg.publisher)
    eb.add_metadata("DC", "date", stamp.strftime("%Y-%m-%d"))
    if cfg.subtitle:
        eb.add_metadata("DC", "description", cfg.subtitle)
    eb.add_metadata("DC", "source", book.site.base_url)
    for word in cfg.keywords:
        eb.add_metadata("DC", "subject", word)
    eb.add_metadata(None, "meta", "", {"name": "generator", "content": f"aixbook {__version__}"})
    edition(eb, book)


def edition(eb: epub.EpubBook, book: Book) -> None:
    """The edition, as the PDF states it (schema.org's bookEdition and version), and the
    commit it was built from as its source."""
    ed = book.edition
    eb.add_metadata(None, "meta", ed.name, {"property": "schema:bookEdition"})
    eb.add_metadata(None, "meta", ed.name, {"property": "schema:version"})
    if ed.commit_url:
        eb.add_metadata("DC", "source", ed.commit_url)


#: What a book that passes every check states it conforms to (EPUB Accessibility 1.1, 2.1).
CONFORMS_TO = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"


def accessibility(eb: epub.EpubBook, *, has_images: bool, authored_alt: bool, facts: Facts) -> None:
    """schema.org accessibility metadata (EPUB Accessibility 1.1), claiming only what ``facts``
    (measured on the output) make true. ``authored_alt``: no image's alt text was made up."""

    def meta(prop: str, value: str) -> None:
        eb.add_metadata(None, "meta", value, {"property": prop})

    meta("schema:accessMode", "textual")
    if has_images:
        meta("schema:accessMode", "visual")
        meta("schema:accessModeSufficient", "textual,visual")
    if (authored_alt and facts.images_described) or not has_images:
        meta("schema:accessModeSufficient", "textual")
    features = ["tableOfContents", "readingOrder", "structuralNavigation", "displayTransformability"]
    if has_images and authored_alt and facts.images_described:
        features.append("alternativeText")
    for f in features:
        meta("schema:accessibilityFeature", f)
    meta("schema:accessibilityHazard", "none")
    summary = [
        "Reflowable text with a table of contents, a navigation document listing every chapter "
        "and section, and a reading order that follows the book.",
        "Headings are in order, without skipped levels." if facts.headings_in_order else "",
        "Data tables have header cells." if facts.tables_headed else "",
        "No fixed layout, colours or fonts are imposed, so the reader's settings apply.",
    ]
    if has_images and facts.images_described:
        summary.append(
            "Every image has alternative text."
            if authored_alt
            else "Images without an author's description have a short alternative text naming "
            "their caption or the section they illustrate; the surrounding text explains them."
        )
    meta("schema:accessibilitySummary", " ".join(s for s in summary if s))
    if facts.all_true and (authored_alt or not has_images):
        meta("dcterms:conformsTo", CONFORMS_TO)
        meta("a11y:certifiedBy", f"aixbook {__version__} (automated checks of this file)")


# ------------------------------------------------------------ navigation


@dataclass(frozen=True)
class NavEntry:
    """One entry of the nav document and the NCX: a chapter or a heading in it."""

    href: str
    title: str
    uid: str  # the NCX navPoint id (ebooklib uses it for leaves only)
    children: tuple[NavEntry, ...] = ()


def nav_tree(book: Book, file_of: dict[str, str], first_file: dict[str, str]) -> list[NavEntry]:
    """Chapters → h2 → h3 (down to toc_depth); headings whose file is unknown are left out.
    A page below a section (level 2, 3, …) comes after its section's headings, inside its entry."""
    depth = max(book.config.toc_depth, 1)
    roots: list[list] = []  # [entry without children, children]: filled in, then frozen
    stack: list[tuple[int, list]] = []
    for rc in book.chapters:
        key = rc.chapter.key
        level = rc.chapter.source.level
        heads = [h for h in rc.headings if 2 <= h.level <= depth and h.uid in file_of]
        children: list = list(_nav_children(heads, file_of))
        node = [NavEntry(first_file[key], rc.chapter.source.title or key, f"nav-{key}"), children]
        while stack and stack[-1][0] >= level:
            stack.pop()
        (stack[-1][1] if stack else roots).append(node)
        stack.append((level, children))
    return [_frozen(n) for n in roots]


def _frozen(node: list) -> NavEntry:
    entry, children = node
    return replace(entry, children=tuple(c if isinstance(c, NavEntry) else _frozen(c) for c in children))


def _nav_children(heads: Sequence[Heading], file_of: dict[str, str]) -> tuple[NavEntry, ...]:
    """Headings in document order as a tree: each holds the deeper ones up to the next of its level."""
    out = []
    i = 0
    while i < len(heads):
        h = heads[i]
        end = i + 1
        while end < len(heads) and heads[end].level > h.level:
            end += 1
        out.append(
            NavEntry(
                f"{file_of[h.uid]}#{h.uid}",
                h.text.strip() or h.id,
                f"nav-{h.uid}",
                _nav_children(heads[i + 1 : end], file_of),
            )
        )
        i = end
    return tuple(out)


def ebooklib_toc(entries: Sequence[NavEntry]) -> list:
    """``entries`` as ebooklib's ``book.toc``: a Link per leaf, (Section, children) otherwise."""
    return [
        (epub.Section(e.title, href=e.href), ebooklib_toc(e.children))
        if e.children
        else epub.Link(e.href, e.title, e.uid)
        for e in entries
    ]


def landmarks(book: Book, parts: list[Part], first_file: dict[str, str], contents: str = "Contents") -> list[dict]:
    """ebooklib's guide: written as EPUB 3 landmarks and the EPUB 2 guide ("text" → bodymatter)."""
    marks = [
        {"href": "cover.xhtml", "title": "Cover", "type": "cover"},
        {"href": "toc.xhtml", "title": contents, "type": "toc"},
    ]
    if parts:
        marks.append({"href": parts[0].name, "title": "Start of content", "type": "text"})
    index = next((rc for rc in book.chapters if is_index_chapter(rc)), None)
    if index is not None:
        marks.append({"href": first_file[index.chapter.key], "title": index.chapter.source.title, "type": "index"})
    return marks


# ------------------------------------------------------------ the zip


def write(eb: epub.EpubBook, stamp: datetime, lang: str) -> bytes:
    """The package as the bytes of a reproducible EPUB file, its OPF in language ``lang``."""
    buf = io.BytesIO()
    try:
        epub.write_epub(
            buf,
            eb,
            {
                "raise_exceptions": True,
                "epub3_pages": False,
                "mtime": stamp,
                # stored: the archive is rewritten below anyway
                "compresslevel": 0,
                "landmark_title": "Landmarks",
            },
        )
    except Exception as exc:  # ebooklib raises bare Exceptions for bad input
        raise BuildError(f"EPUB could not be written: {exc}") from exc
    return _reproducible_zip(buf.getvalue(), stamp, lang)


def _opf_with_lang(content: bytes, lang: str) -> bytes:
    """ebooklib writes no ``xml:lang`` on <package>; reading systems and Ace want the
    package's language there too, not only in dc:language."""
    root = etree.fromstring(content)
    root.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def _reproducible_zip(data: bytes, stamp: datetime, lang: str) -> bytes:
    """The same archive with fixed entry dates and modes: mimetype first and stored, the rest deflated
    (images that are already compressed are stored)."""
    when = max(stamp.timetuple()[:6], (1980, 1, 1, 0, 0, 0))  # the earliest date zip can hold
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        infos = src.infolist()
        infos.sort(key=lambda i: i.filename != "mimetype")  # stable: keeps ebooklib's order
        for info in infos:
            content = src.read(info)
            if info.filename.endswith(".opf"):
                content = _opf_with_lang(content, lang)
            stored = info.filename == "mimetype" or info.filename.lower().endswith(
                (".png", ".jpg", ".jpeg", ".gif", ".webp")
            )
            zi = zipfile.ZipInfo(info.filename, date_time=when)
            zi.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zi.create_system = 3
            dst.writestr(zi, content, compresslevel=None if stored else 9)
    return out.getvalue()
