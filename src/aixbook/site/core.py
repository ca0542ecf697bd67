"""The site itself: its folder, configuration, languages and redirects (``load_site``)."""

from __future__ import annotations

import json
import logging
import os
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
class Mount:
    """A folder or file mounted into the site's content (``module.mounts``)."""

    source: Path  # on disk
    target: str  # the logical path under the content root: "" for the root, "project/repo/README.md"
    langs: tuple[str, ...] = ()  # the languages it serves (``lang``, ``sites.matrix.languages``); () = by file

    def serves(self, key: str) -> bool:
        return not self.langs or key in self.langs or "*" in self.langs or "**" in self.langs


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
    mounts: tuple[Mount, ...] = ()  # module.mounts into content, in order (the first wins); () = contentDir
    static_mounts: tuple[Mount, ...] = ()  # module.mounts into static; () = staticDir

    @property
    def markup(self) -> tuple[str, ...]:
        """The Markdown extras the configuration turns on (``markdown.render``'s ``markup``)."""
        out = []
        if self.config.get("enableEmoji") is True:
            out.append("emoji")
        markup = self.config.get("markup")
        goldmark = markup.get("goldmark") if isinstance(markup, dict) else None
        parser = goldmark.get("parser") if isinstance(goldmark, dict) else None
        if isinstance(parser, dict) and parser.get("autoDefinitionTermID") is True:
            out.append("dt-ids")
        return tuple(out)

    def config_line(self, needle: str) -> tuple[Path, int | None]:
        """Where the configuration says ``needle``: the first of its files holding it (in the
        order they are merged) and the line; the main file and None when none does."""
        for path in (*self.config_files, self.config_path):
            line = line_of(path, needle)
            if line is not None:
                return path, line
        return self.config_path, None

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
        """The content folder of language ``key`` (its own contentDir, else the site's; with
        content mounts, the first folder mounted at the content root for that language)."""
        if self.mounts:
            roots = [m.source for m in self.mounts if m.target == "" and m.serves(key) and m.source.is_dir()]
            return roots[0] if roots else self.root / "content"
        lang = next((lang for lang in self.languages if lang.key == key), None)
        if lang is not None and lang.content_dir:
            return self.root / lang.content_dir
        return self.root / str(self.config.get("contentDir") or self.config.get("contentdir") or "content")

    def content_mounts(self, key: str) -> list[Mount]:
        """What language ``key``'s content is made of, in order: the site's mounts that serve
        it, else its content folder."""
        if self.mounts:
            return [m for m in self.mounts if m.serves(key)]
        return [Mount(self.content_dir_of(key), "")]

    def logical_path(self, path: Path, key: str | None = None) -> str | None:
        """Where content file ``path`` sits under the content root of language ``key``:
        "docs/guide/x.md" (None: in none of its content folders)."""
        for m in self.content_mounts(key or self.lang or self.default_lang):
            if path == m.source:
                return m.target
            try:
                rel = path.relative_to(m.source).as_posix()
            except ValueError:
                continue
            return f"{m.target}/{rel}".strip("/") if m.target else rel
        return None

    @property
    def content_dirs(self) -> dict[str, Path]:
        """Every language's content folder (one folder may serve several)."""
        if not self.languages:
            return {self.default_lang: self.content_dir}
        return {lang.key: self.content_dir_of(lang.key) for lang in self.languages}

    @property
    def static_dir(self) -> Path:
        """The first static folder (where a missing file is said to be looked for)."""
        return next((m.source for m in self.static_folders if m.source.is_dir()), self.root / "static")

    @property
    def static_folders(self) -> tuple[Mount, ...]:
        """What the site's static files are made of, in order: module.mounts into ``static``,
        else ``staticDir`` (one folder or a list), else ``static``."""
        if self.static_mounts:
            return self.static_mounts
        value = self.config.get("staticDir")
        names = value if isinstance(value, list) else [value or "static"]
        return tuple(Mount(self.root / str(name), "") for name in names)

    def static_file(self, rel: str) -> Path | None:
        """The file serving site path ``rel`` ("images/x.png") from the static folders, if any."""
        return _mounted_file(self.static_folders, rel)

    def content_file(self, rel: str) -> Path | None:
        """The file at ``rel`` ("docs/x/a.png") under the content root of the current language:
        from the first content folder or mount that has it."""
        return _mounted_file(self.content_mounts(self.lang or self.default_lang), rel)

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
        if self.mounts:
            return self._mounted_page_file(rel)
        base = self.content_dir / rel if rel else self.content_dir
        for cand in (base.with_suffix(".md") if rel else None, base / "_index.md", base / "index.md"):
            if cand is not None and cand.is_file():
                return cand
        if self.languages:
            return self._translated_page_file(rel)
        return None

    def _mounted_page_file(self, rel: str) -> Path | None:
        first, _, rest = rel.partition("/")
        key = self.lang or self.default_lang
        if self.languages and first.lower() in self.language_keys and first.lower() != self.default_lang:
            key, rel = first.lower(), rest
        for m in self.content_mounts(key):
            if m.source.is_file():  # a page mounted on its own: content/project/README.md
                if rel == m.target.removesuffix(".md"):
                    return m.source
                continue
            if m.target and not (rel + "/").startswith(m.target + "/"):
                continue
            sub = rel[len(m.target) :].strip("/") if m.target else rel
            base = m.source / sub if sub else m.source
            names = [f"_index.{key}.md", f"index.{key}.md", "_index.md", "index.md"]
            cands = [base.parent / f"{base.name}.{key}.md", base.parent / f"{base.name}.md"] if sub else []
            cands += [base / n for n in names]
            found = next((c for c in cands if c.is_file()), None)
            if found is not None:
                return found
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


def _mounted_file(mounts, rel: str) -> Path | None:
    rel = rel.strip("/")
    for m in mounts:
        if m.source.is_file():
            if rel == m.target:
                return m.source
            continue
        if m.target and not rel.startswith(m.target + "/"):
            continue
        cand = m.source / rel[len(m.target) :].lstrip("/")
        if rel and cand.is_file():
            return cand
    return None


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
    languages = site_languages(config, config_path)
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
        languages=languages,
        mounts=content_mounts(root, config, config_path),
        static_mounts=content_mounts(root, config, config_path, "static"),
    )


def content_mounts(root: Path, config: dict, config_path: Path, component: str = "content") -> tuple[Mount, ...]:
    """``module.mounts`` whose target is ``component`` (the content, or "static"), in order; ()
    when there are none (the folder then is ``contentDir`` or ``staticDir``). As in Hugo,
    mounting anything into a component replaces its default mount."""
    module = config.get("module")
    mounts = module.get("mounts") if isinstance(module, dict) else None
    if not mounts:
        return ()
    if not isinstance(mounts, list):
        raise ConfigError("module.mounts must be a list", config_path, line_of(config_path, "mounts"))
    out = []
    for entry in mounts:
        if not isinstance(entry, dict) or not isinstance(entry.get("source"), str):
            raise ConfigError(
                f"module.mounts entry without a source: {entry!r}", config_path, line_of(config_path, "mounts")
            )
        target = str(entry.get("target") or "").strip("/")
        if target != component and not target.startswith(component + "/"):
            continue
        langs: list = []
        if entry.get("lang"):
            langs = [entry["lang"]]
        sites = entry.get("sites")
        matrix = sites.get("matrix") if isinstance(sites, dict) else None
        if isinstance(matrix, dict) and matrix.get("languages"):
            value = matrix["languages"]
            langs = value if isinstance(value, list) else [value]
        out.append(
            Mount(
                Path(os.path.normpath(root / entry["source"])),
                target[len(component) :].strip("/"),
                tuple(str(lang).lower() for lang in langs),
            )
        )
    return tuple(out)


def line_of(path: Path, needle: str) -> int | None:
    """The first line of ``path`` holding ``needle`` (None if none, or unreadable)."""
    try:
        for no, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if needle in line:
                return no
    except OSError:
        return None
    return None


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
