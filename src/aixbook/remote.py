"""Remote images, fetched only with --allow-remote: bounded in time and size, public
addresses only.

Each image gets one deadline for the whole transfer (name lookup, connecting, the TLS
handshake, the answer's head and body, redirects): every read waits at most for what is
left of it, so a server that sends a byte every few seconds is given up on in time. The
host is looked up once; if any of its addresses is loopback, link-local, private or
otherwise not public, the image is refused (a book build must not be turned into a probe
of the network it runs in) unless the user named that host (``remote_hosts`` in
book.toml, ``--allow-host``). The connection goes to the address that was checked, so a
second lookup (DNS rebinding) cannot switch it. Fetched directly, never through a proxy.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import ipaddress
import socket
import ssl
import threading
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from .output import write_bytes

TIMEOUT = 10.0  # seconds per image, for the whole transfer
MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 3
_TYPES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/svg+xml": ".svg",
    "image/webp": ".webp",
}


class Refused(Exception):
    """Why an image was not fetched (the text of its remote-fetch warning)."""


def fetch_images(
    urls: list[str],
    folder: Path,
    allowed_hosts: tuple[str, ...] = (),
    timeout: float = TIMEOUT,
    max_bytes: int = MAX_BYTES,
) -> tuple[dict[str, Path], dict[str, str]]:
    """Download each image once into ``folder``; return {url: file} and {url: why not}."""
    got: dict[str, Path] = {}
    failed: dict[str, str] = {}
    allowed = {_host_name(h) for h in allowed_hosts}
    for url in dict.fromkeys(urls):
        try:
            ctype, data = fetch(url, allowed, time.monotonic() + timeout, timeout, max_bytes)
        except Refused as why:
            failed[url] = str(why)
            continue
        name = hashlib.sha256(url.encode()).hexdigest()[:20] + _TYPES[ctype]
        try:
            write_bytes(folder / name, data)
        except OSError as exc:  # a full disk: the image is left out, as one that failed
            failed[url] = f"not stored: {exc.strerror}"
            continue
        got[url] = folder / name
    return got, failed


def fetch(url: str, allowed: set[str], deadline: float, timeout: float, max_bytes: int) -> tuple[str, bytes]:
    """``(content type, body)`` of the image at ``url``, following a few redirects."""
    for _ in range(MAX_REDIRECTS + 1):
        try:
            location, ctype, data = _get(url, allowed, deadline, max_bytes)
        except TimeoutError:
            raise Refused(f"no complete answer within {timeout:g} s") from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise Refused(f"{type(exc).__name__}: {str(exc)[:120]}") from None  # the server's words, cut short
        if location is None:
            return ctype, data
        url = urljoin(url, location)
    raise Refused(f"more than {MAX_REDIRECTS} redirects")


def _get(url: str, allowed: set[str], deadline: float, max_bytes: int):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"not an http(s) URL: {url[:80]}")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = _resolve(host, port, deadline)
    if _host_name(host) not in allowed:
        for info in infos:
            kind = _not_public(info[4][0])
            if kind:
                raise Refused(
                    f"{host} is a {kind} address ({info[4][0]}); "
                    f"name the host to allow it (remote_hosts in book.toml, --allow-host {host})"
                )
    sock = _connect(infos, deadline)
    try:
        if parts.scheme == "https":
            sock.settimeout(_left(deadline))
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        conn = http.client.HTTPConnection(host, port)
        conn.default_port = 443 if parts.scheme == "https" else 80  # the Host header as a browser writes it
        conn.sock = _DeadlineSocket(sock, deadline)
        conn.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), headers=_HEADERS)
        resp = conn.getresponse()
        if resp.status in (301, 302, 303, 307, 308) and resp.getheader("Location"):
            return resp.getheader("Location"), "", b""
        if resp.status != 200:
            raise Refused(f"HTTP {resp.status} {resp.reason[:60]}")
        ctype = resp.headers.get_content_type()
        if ctype not in _TYPES:
            raise Refused(f"not an image ({ctype})")
        length = resp.getheader("Content-Length", "")
        too_big = Refused(f"larger than {max_bytes // (1024 * 1024)} MB")
        if length.isdigit() and int(length) > max_bytes:
            raise too_big
        data = _body(resp, max_bytes)
        if len(data) > max_bytes:
            raise too_big
        return None, ctype, data
    finally:
        sock.close()


_HEADERS = {"User-Agent": "aixbook", "Accept": ", ".join(_TYPES)}


def _body(resp: http.client.HTTPResponse, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of the body, one read at a time."""
    chunks: list[bytes] = []
    size = 0
    while size <= max_bytes:
        chunk = resp.read1(min(65536, max_bytes + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _resolve(host: str, port: int, deadline: float) -> list:
    """``getaddrinfo`` within the deadline (the lookup runs in a thread of its own)."""
    found: list = []

    def look_up() -> None:
        try:
            found.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            found.append(exc)

    worker = threading.Thread(target=look_up, daemon=True)
    worker.start()
    worker.join(_left(deadline))
    if not found:
        raise TimeoutError
    if isinstance(found[0], OSError) or not found[0]:
        raise Refused(f"cannot look up {host}: {found[0] or 'no address'}")
    return found[0]


def _not_public(address: str) -> str:
    """ "loopback", "link-local", "private", "reserved" or "" (a public address)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "reserved"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_private:
        return "private"
    if ip.is_reserved or ip.is_multicast or ip.is_unspecified or not ip.is_global:
        return "reserved"
    return ""


def _connect(infos: list, deadline: float) -> socket.socket:
    """A connection to the first of the checked addresses that answers."""
    error: OSError | None = None
    for family, kind, proto, _, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(_left(deadline))
            sock.connect(address)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError("no address to connect to")


def _host_name(host: str) -> str:
    return host.strip().strip("[]").lower().rstrip(".")


class _DeadlineSocket:
    """A socket for http.client whose every read waits at most until the deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline

    def sendall(self, data) -> None:
        self.sock.settimeout(_left(self.deadline))  # sendall's timeout is for the whole call
        self.sock.sendall(data)

    def makefile(self, mode: str = "rb", *args, **kwargs):
        return io.BufferedReader(_DeadlineReader(self.sock, self.deadline))

    def close(self) -> None:
        pass  # http.client closes it before the body is read; ``_get`` closes it after


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self.sock.settimeout(_left(self.deadline))
        return self.sock.recv_into(buffer)
