"""A Hugo site's configuration merged as Hugo merges it (checked against ``hugo config``, 0.168).

- The root file (``hugo.toml``, ``hugo.yaml``, ``hugo.json``, then ``config.*``: the first found).
- Then every file of ``config/_default/`` merged over it, in name order: ``hugo.*`` and
  ``config.*`` are the root; any other file is the key it is named after
  (``params.yaml`` → ``params``, ``languages.toml`` → ``languages``); a file named
  ``KEY.LANG`` is that language's (``menus.en.toml`` → ``languages.en.menus``,
  ``params.fr.yaml`` → ``languages.fr.params``).
- Then ``config/ENVIRONMENT/`` the same way (``production`` unless told otherwise).

Merging is deep for tables; any other value (a list too) is replaced. Keys are
case-insensitive, as Hugo's are: ``[Languages.fr]`` and ``languages.fr`` are one table,
``baseURL`` and ``baseurl`` one key (``HugoMap``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .. import trust
from ..errors import ConfigError
from .files import CONFIG_SUFFIXES, load_config_file, root_config_file

ROOT_NAMES = ("hugo", "config")
DEFAULT_ENVIRONMENT = "production"


class HugoMap(dict):
    """A configuration table whose keys are case-insensitive (stored lower-cased, as Hugo
    stores them); nested tables, also inside lists, are HugoMaps too."""

    def __init__(self, data=None) -> None:
        super().__init__()
        for key, value in (data or {}).items():
            self[key] = value

    @staticmethod
    def _fold(key):
        return key.lower() if isinstance(key, str) else key

    def __setitem__(self, key, value) -> None:
        super().__setitem__(self._fold(key), _wrap(value))

    def __getitem__(self, key):
        return super().__getitem__(self._fold(key))

    def __contains__(self, key) -> bool:
        return super().__contains__(self._fold(key))

    def __delitem__(self, key) -> None:
        super().__delitem__(self._fold(key))

    def get(self, key, default=None):
        return super().get(self._fold(key), default)

    def pop(self, key, *default):
        return super().pop(self._fold(key), *default)

    def setdefault(self, key, default=None):
        return super().setdefault(self._fold(key), _wrap(default))

    def update(self, *args, **kwargs) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def copy(self) -> HugoMap:
        return HugoMap(self)

    def __reduce__(self):
        return (HugoMap, (dict(self),))


def _wrap(value):
    if isinstance(value, dict) and not isinstance(value, HugoMap):
        return HugoMap(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def merge(base: dict, over: dict) -> None:
    """``over`` merged into ``base``: tables deeply, anything else replaced."""
    for key, value in over.items():
        old = base.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            merge(old, value)
        else:
            base[key] = value


def dir_files(folder: Path, environment: str = DEFAULT_ENVIRONMENT) -> list[Path]:
    """The files of ``config/_default`` then of ``config/ENVIRONMENT``, each folder in name order."""
    out: list[Path] = []
    for name in dict.fromkeys(("_default", environment)):
        sub = folder / "config" / name
        if name and sub.is_dir():
            out.extend(sorted(p for p in sub.iterdir() if p.is_file() and p.suffix in CONFIG_SUFFIXES))
    return out


def config_files(folder: Path, environment: str = DEFAULT_ENVIRONMENT) -> list[Path]:
    """Every configuration file of the site at ``folder``, in the order they are merged."""
    root = root_config_file(folder)
    return ([root] if root is not None else []) + dir_files(folder, environment)


def key_path(path: Path, in_dir: bool) -> list[str]:
    """Where a file's table goes in the merged configuration: [] for the root."""
    if not in_dir:
        return []
    name = path.stem
    key, _, lang = name.partition(".")
    if key.lower() in ROOT_NAMES and not lang:
        return []
    if lang:
        if key.lower() in ("menu", "menus"):
            return ["languages", lang, "menus"]
        if key.lower() == "params":
            return ["languages", lang, "params"]
        return ["languages", lang]
    return [key]


def load_hugo_config(
    folder: Path, environment: str = DEFAULT_ENVIRONMENT, may_read: Callable[[Path], bool] | None = None
) -> tuple[HugoMap, list[Path]]:
    """The merged configuration of the site at ``folder`` and the files it was read from.

    Raises:
        ConfigError: a file is not valid TOML, YAML or JSON, or not a table; or ``may_read``
            refuses one (a symbolic link out of the site).
    """
    root = root_config_file(folder)
    merged = HugoMap()
    files = config_files(folder, environment)
    for path in files:
        if may_read is not None and not may_read(path):
            raise ConfigError(trust.refusal(path, "site configuration", left_out=False), path)
        data: dict = load_config_file(path)
        for key in reversed(key_path(path, path != root)):
            data = {key: data}
        merge(merged, HugoMap(data))
    return merged, files
