"""Cache entries as plain data: JSON in an envelope with a kind, a version and a MAC.

A cache folder is not trusted input (CI restores caches made by other branches), so an
entry is read as data only: JSON and raw bytes, never pickle or anything else that can
import or call code. Reading checks, in order, the envelope, the kind and version, the
MAC, then the shape of every value (``shape``); anything unexpected raises ``Miss``
with the reason, and the caller parses or lays out again.

The MAC is an HMAC-SHA256 under a key of this user's, kept outside the output folder
(``$XDG_CACHE_HOME/aixbook/cache-key``, made on first use): it catches a damaged or
truncated file, and an entry made anywhere else, such as one planted in a restored CI
cache with a checksum that fits, is a miss too, so a planted entry cannot bring in HTML
the sanitizer never saw or a PDF part of its own. The shape check stops a well-formed
but wrong entry at the door instead of deep in the pipeline.

File layout: ``MAGIC``, one JSON header line ``{"kind", "version", "mac", "json",
"blob"}``, then ``json`` bytes of JSON data and ``blob`` bytes of raw data (a PDF).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import tempfile
from functools import lru_cache
from pathlib import Path

MAGIC = b"aixbook-cache\n"
MAX_HEADER = 512
#: A secret that replaces the per-user key (e.g. a CI secret).
KEY_VARIABLE = "AIXBOOK_CACHE_KEY"


class Miss(ValueError):
    """A cache entry that is not used, and why."""


def seal(kind: str, version: str, data, blob: bytes = b"") -> bytes:
    """The bytes of an entry holding ``data`` (JSON-able) and ``blob``."""
    body = json.dumps(data, separators=(",", ":"), sort_keys=True).encode("ascii")
    header = {"kind": kind, "version": version, "mac": _mac(body + blob), "json": len(body), "blob": len(blob)}
    return MAGIC + json.dumps(header, sort_keys=True).encode("ascii") + b"\n" + body + blob


def read(path: Path, limit: int) -> bytes:
    """The file's bytes, if it is a regular file (not a link, a pipe or a device) of at
    most ``limit`` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise Miss(f"unreadable: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Miss("not a regular file")
        if info.st_size > limit:
            raise Miss(f"larger than {limit} bytes")
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise Miss(f"unreadable: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise Miss(f"larger than {limit} bytes")
    return data


def unseal(kind: str, version: str, data: bytes) -> tuple[object, bytes]:
    """``(data, blob)`` of an entry made by ``seal(kind, version, …)``."""
    if not data.startswith(MAGIC):
        raise Miss("not an aixbook cache entry")
    end = data.find(b"\n", len(MAGIC), len(MAGIC) + MAX_HEADER)
    if end < 0:
        raise Miss("no header")
    try:
        header = json.loads(data[len(MAGIC) : end])
    except ValueError:
        raise Miss("unreadable header") from None
    header = shape(header, {"kind": str, "version": str, "mac": str, "json": int, "blob": int})
    if header["kind"] != kind or header["version"] != version:
        raise Miss(f"a {header['kind']!r} entry of version {header['version']!r}")
    rest = data[end + 1 :]
    if header["json"] < 0 or header["blob"] < 0 or len(rest) != header["json"] + header["blob"]:
        raise Miss("truncated or padded")
    if not hmac.compare_digest(_mac(rest), header["mac"]):
        raise Miss("MAC mismatch: damaged, or not made here")
    try:
        value = json.loads(rest[: header["json"]])
    except (ValueError, RecursionError):
        raise Miss("unreadable JSON") from None
    return value, rest[header["json"] :]


def _mac(data: bytes) -> str:
    return hmac.new(secret(), data, hashlib.sha256).hexdigest()


def key_path() -> Path:
    """Where this user's cache key is kept: outside every output folder."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aixbook" / "cache-key"


@lru_cache(maxsize=1)
def secret() -> bytes:
    """The cache key: derived from ``$AIXBOOK_CACHE_KEY`` when that is set (a CI secret, so
    a cache restored on a fresh runner is still used, while a pull request from a fork, which
    sees no secrets, cannot seal entries that main's build would trust); otherwise this
    user's key (32 random bytes), made on first use. If it cannot be kept, a key for this
    process only: its cache then lasts as long as the process."""
    if given := os.environ.get(KEY_VARIABLE, ""):
        return hashlib.sha256(b"aixbook-cache-key\0" + given.encode("utf-8", "surrogateescape")).digest()
    path = key_path()
    with contextlib.suppress(Miss):
        key = read(path, 64)
        if len(key) == 32:
            return key
    key = secrets.token_bytes(32)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cache-key.")  # mode 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        os.replace(tmp, path)
    return key


class Maybe:
    """``shape`` spec: None or ``spec``."""

    def __init__(self, spec) -> None:
        self.spec = spec


class OneOf:
    """``shape`` spec: one of these values."""

    def __init__(self, *values) -> None:
        self.values = values


def shape(value, spec, where: str = "entry"):
    """``value`` checked against ``spec``, with lists made tuples where ``spec`` says so.

    Specs: ``str``, ``int``, ``float`` (an int too), ``bool``; ``[spec]`` a list of;
    ``(a, b, …)`` a list of exactly these, returned as a tuple; ``{"*": spec}`` a mapping
    from strings; ``{"name": spec, …}`` a record with exactly these keys; ``Maybe``,
    ``OneOf``. Raises ``Miss`` naming the first value that does not fit.
    """
    if isinstance(spec, Maybe):
        return None if value is None else shape(value, spec.spec, where)
    if isinstance(spec, OneOf):
        if value not in spec.values or type(value) not in {type(v) for v in spec.values}:
            raise Miss(f"{where}: unexpected value")
        return value
    if isinstance(spec, list):
        _expect(value, list, where)
        return [shape(v, spec[0], f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(spec, tuple):
        _expect(value, list, where)
        if len(value) != len(spec):
            raise Miss(f"{where}: {len(value)} items, not {len(spec)}")
        return tuple(shape(v, s, f"{where}[{i}]") for i, (v, s) in enumerate(zip(value, spec, strict=True)))
    if isinstance(spec, dict):
        _expect(value, dict, where)
        if "*" in spec:
            return {k: shape(v, spec["*"], f"{where}.{k[:40]}") for k, v in value.items()}
        if set(value) != set(spec):
            raise Miss(f"{where}: fields {sorted(value)[:8]}, not {sorted(spec)}")
        return {k: shape(value[k], s, f"{where}.{k}") for k, s in spec.items()}
    if spec is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Miss(f"{where}: {type(value).__name__}, not a number")
        return value
    _expect(value, spec, where)
    return value


def _expect(value, kind: type, where: str) -> None:
    # bool is an int to Python, never to a cache entry
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise Miss(f"{where}: {type(value).__name__}, not {kind.__name__}")


class Entries:
    """A folder of entries of one ``kind``, each named by a key (a hex digest of what made
    it): ``get`` checks an entry as ``unseal`` and ``shape`` do and removes a bad one;
    ``prune`` keeps the ones this run used and the ``spare`` most recent others."""

    def __init__(self, folder: Path | str, kind: str, version: str, spec, limit: int = 64 * 1024 * 1024):
        self.folder = Path(folder)
        self.kind, self.version, self.spec, self.limit = kind, version, spec, limit
        self.used: set[str] = set()

    def _path(self, key: str) -> Path:
        if not key or any(c not in "0123456789abcdef" for c in key):
            raise ValueError(f"not a key: {key[:40]!r}")
        return self.folder / f"{key}.entry"

    def get(self, key: str) -> tuple[object, bytes] | None:
        """``(data, blob)`` kept under ``key``, checked, or None."""
        path = self._path(key)
        self.used.add(key)
        if not path.exists():
            return None
        try:
            data, blob = unseal(self.kind, self.version, read(path, self.limit))
            data = shape(data, self.spec, self.kind)
        except Miss as why:
            logging.getLogger(__name__).debug("%s cache: %s ignored (%s)", self.kind, path.name, why)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept by ``prune``
        return data, blob

    def put(self, key: str, data, blob: bytes = b"") -> None:
        from .output import write_bytes

        self.used.add(key)
        with contextlib.suppress(OSError):
            write_bytes(self._path(key), seal(self.kind, self.version, data, blob))

    def prune(self, spare: int = 24) -> None:
        """Remove entries this run did not use, but the ``spare`` most recently used."""
        prune(self.folder, ".entry", self.used, spare)


def prune(folder: Path, suffix: str, keep: set[str], spare: int) -> None:
    """Remove the ``suffix`` files of ``folder`` whose stem is not in ``keep``, but the
    ``spare`` most recently used of them."""
    try:
        files = [p for p in folder.iterdir() if p.suffix == suffix and p.stem not in keep]
    except OSError:
        return
    files.sort(key=lambda p: p.stat().st_mtime if p.exists() else 0, reverse=True)
    for old in files[spare:]:
        with contextlib.suppress(OSError):
            old.unlink()
