"""Fetch an image a client names by URL without letting the client reach our own network (SSRF).

Every hop, the first request and each redirect, is checked the same way: http or https only, the host
resolved once, every address it resolves to public (not loopback, private, link-local, multicast,
reserved or unspecified) unless the host is allowlisted, and the connection made to exactly the
address that was checked, so a second DNS answer cannot swap in an internal one. The body is read up to
a size cap within a deadline.
"""

import http.client
import ipaddress
import socket
import time
import urllib.parse
from dataclasses import dataclass

MAX_REDIRECTS = 3
CHUNK_BYTES = 64 * 1024


class FetchError(ValueError):
    """The URL cannot or may not be fetched; `status` is the HTTP status to answer the client with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class FetchPolicy:
    max_bytes: int = 10 * 1024 * 1024
    timeout_s: float = 5.0
    allowlist: frozenset[str] = frozenset()  # host names or addresses that may be private (tests, intranets)


def fetch(url: str, policy: FetchPolicy) -> bytes:
    """The body of `url` after at most MAX_REDIRECTS redirects, each hop checked as the module says."""
    deadline = time.monotonic() + policy.timeout_s
    for _ in range(MAX_REDIRECTS + 1):
        target = _parse(url)
        address = _checked_address(target, policy)
        response, connection = _request(target, address, deadline)
        try:
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise FetchError(f"{_origin(target)} answered {response.status} without a Location to follow")
                url = urllib.parse.urljoin(url, location)
                continue
            if response.status != 200:
                raise FetchError(f"{_origin(target)} answered HTTP {response.status} for the image URL")
            return _read_capped(response, policy.max_bytes, deadline)
        finally:
            connection.close()
    raise FetchError(f"more than {MAX_REDIRECTS} redirects: give the image's final URL")


def _parse(url: str) -> urllib.parse.SplitResult:
    try:
        target = urllib.parse.urlsplit(url)
        target.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as error:
        raise FetchError(f"not a valid URL: {error}") from error
    if target.scheme not in ("http", "https"):
        raise FetchError(f"only http and https image URLs are fetched, not {target.scheme or 'a URL without scheme'!r}")
    if not target.hostname:
        raise FetchError("the image URL has no host")
    return target


def _checked_address(target: urllib.parse.SplitResult, policy: FetchPolicy) -> str:
    """The one address to connect to, after checking every address the host resolves to."""
    host = target.hostname
    port = target.port or (443 if target.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError(f"cannot resolve the image URL's host {host!r}") from error
    addresses = [info[4][0] for info in infos]
    if host not in policy.allowlist:
        for address in addresses:
            if not is_public(address):
                raise FetchError(f"{host!r} resolves to {address}, an address this service does not fetch from", 403)
    return addresses[0]


def is_public(address: str) -> bool:
    """True for globally routable unicast addresses (IPv4-mapped IPv6 judged by its IPv4 address)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _request(target: urllib.parse.SplitResult, address: str, deadline: float):
    port = target.port or (443 if target.scheme == "https" else 80)
    connection_class = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(target.hostname, port, timeout=_remaining(deadline))
    # Connect to the checked address; TLS still verifies the certificate against the host name.
    connection._create_connection = lambda _address, timeout, source: socket.create_connection(
        (address, port), timeout, source
    )
    path = target.path or "/"
    if target.query:
        path += "?" + target.query
    try:
        connection.request("GET", path, headers={"User-Agent": "text-recognizer", "Accept": "image/*"})
        return connection.getresponse(), connection
    except (OSError, http.client.HTTPException) as error:
        connection.close()
        raise FetchError(f"could not fetch the image from {_origin(target)}: {error}", 502) from error


def _read_capped(response: http.client.HTTPResponse, max_bytes: int, deadline: float) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"the image is {int(declared):,} bytes, more than the {max_bytes:,} allowed", 413)
    chunks, size = [], 0
    try:
        while chunk := response.read(CHUNK_BYTES):
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(f"the image is more than the {max_bytes:,} bytes allowed", 413)
            _remaining(deadline)
            chunks.append(chunk)
    except (OSError, http.client.HTTPException) as error:
        raise FetchError(f"the image download failed: {error}", 502) from error
    return b"".join(chunks)


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError("fetching the image URL took too long", 504)
    return left


def _origin(target: urllib.parse.SplitResult) -> str:
    return f"{target.scheme}://{target.netloc}"
