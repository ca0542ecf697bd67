"""The front page and the cover: which files they are, each passed through the trust
boundary (``Site.may_read``) when the book is read, so a refused one is reported once, at
its line, and left out of every format."""

from __future__ import annotations

import html as htmllib
from dataclasses import dataclass, replace
from pathlib import Path

from . import htmlfrag, sanitize, trust
from .config import BookConfig, line_of_key
from .diagnostics import Diagnostic
from .errors import ConfigError
from .site import Site, read_text


def checked_files(site: Site, config: BookConfig) -> tuple[BookConfig, list[Diagnostic]]:
    """``config`` with its front page and cover as files that may be read: an absolute path,
    or "" (front page) / None (cover) when there is none or the file is outside the site."""
    found: list[Diagnostic] = []

    def check(key: str, path: Path | None, what: str) -> Path | None:
        if path is None or site.may_read(path):
            return path
        given = getattr(config, key)
        where, line = (config.path, line_of_key(config.path, key)) if given and config.path else (path, None)
        found.append(Diagnostic("warning", trust.refusal(path, what), where or path, line, code=trust.CODE))
        return None

    front = check("front_page", front_page_file(site, config), "front page")
    cover = config.cover_image and check("cover_image", (config.base_dir or site.root) / config.cover_image, "cover")
    config = replace(config, front_page=str(front or ""), cover_image=str(cover) if cover else None)
    if front is not None and front.is_file():
        _, art_refused = front_page_art(site, config, htmlfrag.parse(front_page_text(front, "")))
        for file, line in art_refused:
            found.append(Diagnostic("warning", trust.refusal(file, "artwork"), front, line, code=trust.CODE))
    return config, found


#: The placeholders of a front page: the build date, the artwork's folder, the edition.
DATE, ASSETS_DIR, EDITION = "{{DATE}}", "{{ASSETS_DIR}}", "{{EDITION}}"


@dataclass(frozen=True)
class SiteFrontPage:
    """The site's front page, sanitized; ``places_edition``: it holds ``{{EDITION}}``, so
    the edition is where the page puts it (else a line under its title: colophon.py)."""

    cleaned: sanitize.Cleaned
    places_edition: bool


def site_front_page(site: Site, config: BookConfig, date: str, edition: str = "") -> SiteFrontPage | None:
    """The site's own front page, placeholders filled and sanitized as a chapter is (it comes
    from the repository, so a pull request can change it); None when the site has none or it
    may not be read (``checked_files`` reported that).

    Raises:
        ConfigError: book.toml names a front page file that does not exist.
    """
    path = front_page_file(site, config)
    if path is None or not site.may_read(path):
        return None
    if not path.is_file():
        raise ConfigError(f"front page file {path} does not exist")
    text = read_text(path)
    return SiteFrontPage(sanitize.clean_file(fill(text, date, edition), path), EDITION in text)


def front_page_diagnostics(site: Site, config: BookConfig) -> tuple[Diagnostic, ...]:
    """What sanitizing the site's front page dropped (nothing when it has none, or it is
    missing: rendering reports that)."""
    path = front_page_file(site, config)
    if path is None or not path.is_file():
        return ()
    found = site_front_page(site, config, "")
    return found.cleaned.diagnostics if found is not None else ()


def front_page_text(path: Path, date: str) -> str:
    """The front page's HTML with ``{{DATE}}`` and ``{{ASSETS_DIR}}`` filled in."""
    return fill(read_text(path), date)


def fill(text: str, date: str, edition: str = "") -> str:
    """A front page's placeholders filled: ``{{DATE}}`` the build date, ``{{ASSETS_DIR}}``
    the artwork's folder (as the page names it: assets/), ``{{EDITION}}`` the edition (as
    text: --edition may hold any character)."""
    return text.replace(DATE, date).replace(ASSETS_DIR, "assets").replace(EDITION, htmllib.escape(edition))


def assets_dir(site: Site, config: BookConfig) -> Path:
    """The folder ``{{ASSETS_DIR}}`` stands for: assets/ of the repository, the site or book.toml's folder."""
    for folder in (site.project_root, site.root, config.base_dir):
        if folder is not None and (Path(folder) / "assets").is_dir():
            return Path(folder) / "assets"
    return site.project_root / "assets"


def front_page_art(site: Site, config: BookConfig, root) -> tuple[dict[str, Path], list[tuple[Path, int | None]]]:
    """The artwork the parsed front page ``root`` names (``<img src="assets/…">``): each src →
    its file, and the (file, line) of those outside the site, which are left out."""
    base = assets_dir(site, config)
    art: dict[str, Path] = {}
    refused: list[tuple[Path, int | None]] = []
    for img in root.iter("img"):
        src = img.get("src", "")
        rel = src[len("assets/") :] if src.startswith("assets/") else ""
        if not trust.stays_inside(rel):
            continue
        file = base / rel
        if not file.is_file():
            continue
        if site.may_read(file):
            art[src] = file
        else:
            refused.append((file, img.sourceline))
    return art, refused


def front_page_file(site: Site, config: BookConfig) -> Path | None:
    """The site's own front page: book.toml ``front_page`` ("": none), else scripts/pdf_frontpage.html."""
    if config.front_page is not None:  # an absolute path stays as it is
        return (config.base_dir or site.root) / config.front_page if config.front_page else None
    for folder in (site.project_root, site.root):
        cand = folder / "scripts" / "pdf_frontpage.html"
        if cand.is_file():
            return cand
    return None
