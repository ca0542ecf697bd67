"""Reading a Hugo site: where it is, its configuration and languages, its pages in book order,
its redirects.

Only reading: what the redirects and URLs mean is the link stage's business (links.py).

- ``files``: finding the site, reading configuration files and front matter;
- ``core``: the Site (configuration, languages, content folders, redirects);
- ``languages``: hugo.yaml's languages and the language of a content file;
- ``tree``: Hugo's content model (sections, bundles, translations) in the sidebar's order;
- ``pages``: the book's pages in order (book.toml, ``menu.docs``, or the section's tree).
"""

from .core import Redirect, Site, load_site
from .files import CONFIG_NAMES, find_site, load_config_file, read_text, split_front_matter
from .languages import Language, split_language
from .pages import book_sources, chapter_files, line_of, menu_entries, missing_translations, read_source, ref_url
from .tree import content_files

__all__ = [
    "CONFIG_NAMES",
    "Language",
    "Redirect",
    "Site",
    "book_sources",
    "chapter_files",
    "content_files",
    "find_site",
    "line_of",
    "load_config_file",
    "load_site",
    "menu_entries",
    "missing_translations",
    "read_source",
    "read_text",
    "ref_url",
    "split_front_matter",
    "split_language",
]
