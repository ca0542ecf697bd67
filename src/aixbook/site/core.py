"""The site itself: its folder, configuration, languages and redirects (``load_site``)."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path

from .. import trust
from ..errors import ConfigError
from .files import config_file, find_site, read_text
from .hugoconfig import DEFAULT_ENVIRONMENT, load_hugo_config
from .languages import Language, default_language, site_languages

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Redirect:
    source: str  # "/go/name/"
    destination: str  # "/docs/page/#anchor" or a URL
    line: int  # line in firebase.json


@dataclass(frozen=True)
class Site:
    """A Hugo site on disk: its config, pages and redirects, read in one of its languages."""

    root: Path  # folder holding the Hugo config
    project_root: Path  # the folder the user named (a repository root or the site)
    config_path: Path
    config: dict
    base_url: str  # always ends with "/"
    redirects: tuple[Redirect, ...] = ()  # hosting.redirects of firebase.json, in order
    firebase_path: Path | None = None
    languages: tuple[Language, ...] = ()  # hugo.yaml's languages in Hugo's order; () = one language
    lang: str = ""  # the language read ("" = the default one)
    config_dir: Path | None = None  # the folder of book.toml: the other folder files may be read from
    config_files: tuple[Path, ...] = ()  # every configuration file read, in the order merged
    environment: str = DEFAULT_ENVIRONMENT  # the config/ENVIRONMENT folder merged over config/_default

    def may_read(self, path: Path) -> bool:
        """The trust boundary (``trust.may_read``): inside the folder the build was given or
        book.toml's folder, symbolic links followed. Every file of the book passes here."""
        return trust.may_read(path, (self.project_root, self.config_dir))

    @property
    def default_lang(self) -> str:
        return default_language(self.config)

    @property
    def current(self) -> Language | None:
        """The language being read, when the site declares languages."""
        want = self.lang or self.default_lang
        return next((lang for lang in self.languages if lang.key == want), None)

    @property
    def language_keys(self) -> set[str]:
        return {lang.key for lang in self.languages}

    @property
    def content_dir(self) -> Path:
        return self.content_dir_of(self.lang or self.default_lang)

    def content_dir_of(self, key: str) -> Path:
        """The content folder of language ``key`` (its own contentDir, else the site's)."""
        lang = next((lang for lang in self.languages if lang.key == key), None)
        if lang is not None and lang.content_dir:
            return self.root / lang.content_dir
        return self.root / str(self.config.get("contentDir") or self.config.get("contentdir") or "content")

    @property
    def content_dirs(self) -> dict[str, Path]:
        """Every language's content folder (one folder may serve several)."""
        if not self.languages:
            return {self.default_lang: self.content_dir}
        return {lang.key: self.content_dir_of(lang.key) for lang in self.languages}

    @property
    def static_dir(self) -> Path:
        return self.root / "static"

    @property
    def title(self) -> str:
        cur = self.current
        if cur is not None and cur.title:
            return cur.title
        return str(self.config.get("title") or self.root.name)

    @property
    def language(self) -> str:
        cur = self.current
        if cur is not None:
            return cur.tag
        code = str(self.config.get("languageCode") or self.config.get("defaultContentLanguage") or "en")
        return code.split("-")[0] if code.lower().startswith("en") else code

    @property
    def direction(self) -> str:
        cur = self.current
        return cur.direction if cur is not None else "ltr"

    def url_prefix(self, key: str | None = None) -> str:
        """The site path languages other than the default one live under: "/fa"; "" for the default."""
        key = key or self.lang or self.default_lang
        in_subdir = bool(self.config.get("defaultContentLanguageInSubdir"))
        if not self.languages or (key == self.default_lang and not in_subdir):
            return ""
        return "/" + key

    def for_language(self, key: str | None) -> Site:
        """This site read in language ``key`` (None: the default)."""
        if key is None:
            return self
        key = key.lower()
        if key not in self.language_keys and not (not self.languages and key == self.default_lang):
            known = ", ".join(lang.key for lang in self.languages) or self.default_lang
            raise ConfigError(f"the site has no language '{key}' (its languages: {known})", self.config_path)
        return replace(self, lang=key)

    def web_url(self, path: str) -> str:
        """The website address of a site path such as ``/docs/x/#a``."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def page_file(self, path: str) -> Path | None:
        """The content file serving site path ``path`` ("/contribute", "/docs/x/"), if any."""
        rel = path.strip("/")
        base = self.content_dir / rel if rel else self.content_dir
        for cand in (base.with_suffix(".md") if rel else None, base / "_index.md", base / "index.md"):
            if cand is not None and cand.is_file():
                return cand
        if self.languages:
            return self._translated_page_file(rel)
        return None

    def _translated_page_file(self, rel: str) -> Path | None:
        """``rel`` as a page of any language: "fa/docs/x" is docs/x.fa.md (or fa's contentDir)."""
        first, _, rest = rel.partition("/")
        key = first.lower() if first.lower() in self.language_keys else self.default_lang
        if key == first.lower():
            rel = rest
        folder = self.content_dir_of(key)
        base = folder / rel if rel else folder
        own = folder != self.content_dir_of(self.default_lang) or key == self.default_lang
        names = [f"{n}.{key}.md" for n in ("_index", "index")] + (["_index.md", "index.md"] if own else [])
        cands = [base.parent / f"{base.name}.{key}.md"] if rel else []
        if rel and own:
            cands.append(base.with_suffix(".md"))
        cands += [base / n for n in names]
        return next((c for c in cands if c.is_file()), None)


def load_site(project_root: Path, environment: str | None = None) -> Site:
    """Find and read the Hugo site under ``project_root`` (config and short links).

    ``environment`` names the ``config/ENVIRONMENT`` folder merged over ``config/_default``
    (Hugo's ``--environment``; default ``production``, as ``hugo`` builds).
    """
    project_root = Path(project_root).resolve()
    root = find_site(project_root)
    config_path = config_file(root)
    assert config_path is not None  # find_site found it
    environment = environment or DEFAULT_ENVIRONMENT
    for path in (config_path, root / "firebase.json"):
        if path.exists() and not trust.may_read(path, (project_root,)):
            raise ConfigError(trust.refusal(path, "site configuration", left_out=False), path)
    config, files = load_hugo_config(root, environment, may_read=lambda p: trust.may_read(p, (project_root,)))
    base_url = str(config.get("baseURL") or "https://example.org/")
    if not base_url.endswith("/"):
        base_url += "/"
    redirects, fb_path = _load_redirects(root)
    return Site(
        root=root,
        project_root=project_root,
        config_path=config_path,
        config=config,
        config_files=tuple(files),
        environment=environment,
        base_url=base_url,
        redirects=redirects,
        firebase_path=fb_path,
        languages=site_languages(config, config_path),
    )


def _load_redirects(root: Path) -> tuple[tuple[Redirect, ...], Path | None]:
    path = root / "firebase.json"
    if not path.is_file():
        return (), None
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON: {exc.msg}", path, exc.lineno) from None
    hosting = data.get("hosting") if isinstance(data, dict) else None
    if isinstance(hosting, list):
        hosting = hosting[0] if hosting else {}
    entries = (hosting or {}).get("redirects") or []
    if not isinstance(entries, list):
        raise ConfigError("hosting.redirects must be a list", path, 1)
    lines = _source_lines(text)
    redirects: list[Redirect] = []
    for entry in entries:
        if not isinstance(entry, dict) or "source" not in entry or "destination" not in entry:
            raise ConfigError(f"redirect entry without source/destination: {entry!r}", path)
        src, dest = str(entry["source"]), str(entry["destination"])
        redirects.append(Redirect(src, dest, lines.get(src) or 0))
    return tuple(redirects), path


def _source_lines(text: str) -> dict[str, int]:
    """First line number of each ``"source": "..."`` value in firebase.json."""
    out: dict[str, int] = {}
    for no, line in enumerate(text.splitlines(), 1):
        m = re.search(r'"source"\s*:\s*"([^"]*)"', line)
        if m:
            out.setdefault(m.group(1), no)
    return out
