"""Remote images, fetched only with --allow-remote: bounded in time and size."""

from __future__ import annotations

import hashlib
import mimetypes
import urllib.request
from pathlib import Path

from .model import Diagnostic
from .output import write_bytes

TIMEOUT = 10.0  # seconds per image
MAX_BYTES = 10 * 1024 * 1024
_TYPES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/svg+xml": ".svg",
    "image/webp": ".webp",
}


def fetch_images(
    urls: list[str], folder: Path, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES
) -> tuple[dict[str, Path], list[Diagnostic]]:
    """Download each image once into ``folder``; return {url: file} and what failed."""
    got: dict[str, Path] = {}
    diags: list[Diagnostic] = []
    for url in dict.fromkeys(urls):
        try:
            req = urllib.request.Request(url, headers={"User-Agent": "aixbook"})
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                ctype = resp.headers.get_content_type()
                if ctype not in _TYPES:
                    raise ValueError(f"not an image ({ctype})")
                data = resp.read(max_bytes + 1)
                if len(data) > max_bytes:
                    raise ValueError(f"larger than {max_bytes // (1024 * 1024)} MB")
        except Exception as exc:  # network errors of every kind end the same way
            diags.append(Diagnostic("warning", f"remote image {url} not fetched: {exc}", code="remote-fetch"))
            continue
        name = hashlib.sha256(url.encode()).hexdigest()[:20] + _TYPES.get(ctype, mimetypes.guess_extension(ctype) or "")
        try:
            write_bytes(folder / name, data)
        except OSError as exc:  # a full disk: the image is left out, as one that failed
            diags.append(Diagnostic("warning", f"remote image {url} not stored: {exc.strerror}", code="remote-fetch"))
            continue
        got[url] = folder / name
    return got, diags
