"""Resolve every href and src of the book, once, to a LinkTarget.

``resolve_href``/``resolve_src`` are pure functions of a ``LinkTable`` (what
the site and all chapters define) and are table-tested. ``resolve_chapters``
applies them to the parsed chapters and gives each id a book-unique name.

- ``table``: chapter keys, the link table (pages, ids, short links);
- ``urls``: the URL helpers the two below share (short links, own host, site paths);
- ``resolve``: one href or src → a LinkTarget;
- ``apply``: a parsed chapter with its ids and links rewritten.
"""

from .apply import resolve_chapter, resolve_chapters
from .resolve import Resolution, image_file, resolve_href, resolve_src
from .table import (
    COLOPHON_ID,
    CONTENTS_ID,
    FRONT_ID,
    OWN_IDS,
    LinkTable,
    Short,
    build_table,
    chapter_key,
    make_uid,
    short_redirects,
)
from .urls import is_own_host, short_name, split_url

__all__ = [
    "COLOPHON_ID",
    "CONTENTS_ID",
    "FRONT_ID",
    "OWN_IDS",
    "LinkTable",
    "Resolution",
    "Short",
    "build_table",
    "chapter_key",
    "image_file",
    "is_own_host",
    "make_uid",
    "resolve_chapter",
    "resolve_chapters",
    "resolve_href",
    "resolve_src",
    "short_name",
    "short_redirects",
    "split_url",
]
