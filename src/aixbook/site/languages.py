"""A Hugo site's languages: hugo.yaml's ``languages`` table and ``defaultContentLanguage``.

A page is in a language by its file name (``x.fa.md``) or by the language's own
content folder (``languages.fa.contentDir``); a file without either is in the
default language. Non-default languages live under ``/<lang>/`` on the website.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

#: Scripts written right to left: a language whose code starts with one of these
#: is right to left even when its ``languageDirection`` is not given.
RTL_LANGUAGES = ("ar", "fa", "he", "ur", "ps", "sd", "ug", "yi", "dv", "ckb")


@dataclass(frozen=True)
class Language:
    """One language of the site, as hugo.yaml describes it."""

    key: str  # the key in ``languages`` and in file names: "fa", "zh-cn"
    name: str = ""  # languageName
    title: str = ""  # the site's title in this language ("" = the site's own)
    code: str = ""  # languageCode (BCP 47, for lang attributes); default: the key
    direction: str = "ltr"  # "ltr" or "rtl"
    weight: int = 0
    content_dir: str = ""  # contentDir, relative to the site ("" = the site's)

    @property
    def tag(self) -> str:
        """The BCP 47 tag for ``lang`` attributes and metadata: "zh-CN", "fa", "en"."""
        return self.code or self.key


def default_language(config: dict) -> str:
    """``defaultContentLanguage`` (Hugo's default: "en"), lower-cased as Hugo keys are."""
    return str(config.get("defaultContentLanguage") or config.get("defaultcontentlanguage") or "en").lower()


def site_languages(config: dict, config_path: Path | None = None) -> tuple[Language, ...]:
    """The ``languages`` table in Hugo's order (weight, then key); () when the site has none."""
    table = config.get("languages")
    if not table:
        return ()
    if not isinstance(table, dict):
        raise ConfigError("languages must be a mapping of language keys", config_path)
    out = []
    for key, entry in table.items():
        entry = entry if isinstance(entry, dict) else {}
        # Hugo ≥ 0.158 also spells them locale, direction and label.
        code = str(entry.get("languageCode") or entry.get("languagecode") or entry.get("locale") or "")
        direction = str(
            entry.get("languageDirection") or entry.get("languagedirection") or entry.get("direction") or ""
        ).lower()
        if direction not in ("ltr", "rtl"):
            direction = "rtl" if str(key).lower().split("-")[0] in RTL_LANGUAGES else "ltr"
        weight = entry.get("weight", 0)
        out.append(
            Language(
                key=str(key).lower(),
                name=str(entry.get("languageName") or entry.get("languagename") or entry.get("label") or key),
                title=str(entry.get("title") or ""),
                code=code,
                direction=direction,
                weight=weight if isinstance(weight, int) else 0,
                content_dir=str(entry.get("contentDir") or entry.get("contentdir") or ""),
            )
        )
    # Hugo orders languages by weight (0 last), then by key.
    out.sort(key=lambda lang: (lang.weight == 0, lang.weight, lang.key))
    return tuple(out)


def split_language(name: str, keys: set[str]) -> tuple[str, str]:
    """A content file's name without ``.md`` → (name without language suffix, language or "").

    ``"x.fa"`` → ``("x", "fa")`` when "fa" is a language of the site; ``"v0.12"`` stays as it is.
    """
    base, dot, suffix = name.rpartition(".")
    if dot and suffix.lower() in keys:
        return base, suffix.lower()
    return name, ""
