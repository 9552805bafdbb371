"""Fetch an image a client names by URL without letting the client reach our own network (SSRF).

Every hop, the first request and each redirect, is checked the same way: http or https only, no
credentials in the URL, the host resolved once, every address it resolves to public (not loopback,
private, link-local, multicast, reserved or unspecified, nor an IPv6 address that embeds such an IPv4
address) unless the host is allowlisted, and the connection made to exactly the address that was
checked, so a second DNS answer cannot swap in an internal one. The body is read up to a size cap, and
the fetch (connecting, waiting, body, redirects) within one deadline. Not bounded by it: the DNS
look-up, and a server that drips its header lines (each read still times out on its own).
"""

import contextlib
import http.client
import ipaddress
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass

MAX_REDIRECTS = 3
CHUNK_BYTES = 64 * 1024
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
EMBEDS_IPV4_IN_LOW_BITS = (ipaddress.ip_network("::/96"), ipaddress.ip_network("::ffff:0:0:0/96"), NAT64[0])


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
        connection = _connect(target, address, deadline)
        # Socket timeouts bound each read, not their sum: at the deadline the watchdog shuts the socket
        # down, which ends a blocked read, and the body loop checks the deadline between reads, so a
        # server dripping bytes cannot hold a worker thread.
        watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _shut_down, [connection])
        watchdog.daemon = True
        watchdog.start()
        try:
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise FetchError(f"{_origin(target)} answered {response.status} without a Location to follow")
                url = urllib.parse.urljoin(url, location)
                continue
            if response.status != 200:
                raise FetchError(f"{_origin(target)} answered HTTP {response.status} for the image URL")
            return _read_capped(response, policy.max_bytes, deadline)
        except (OSError, http.client.HTTPException) as error:
            if time.monotonic() >= deadline:
                raise FetchError("fetching the image URL took too long", 504) from error
            raise FetchError(f"could not fetch the image from {_origin(target)}: {error}", 502) from error
        finally:
            watchdog.cancel()
            connection.close()
    raise FetchError(f"more than {MAX_REDIRECTS} redirects: give the image's final URL")


def _parse(url: str) -> urllib.parse.SplitResult:
    try:
        target = urllib.parse.urlsplit(url)
        port = target.port
    except ValueError as error:
        raise FetchError(f"not a valid URL: {error}") from error
    if target.scheme not in ("http", "https"):
        raise FetchError(f"only http and https image URLs are fetched, not {target.scheme or 'a URL without scheme'!r}")
    if not target.hostname:
        raise FetchError("the image URL has no host")
    if target.username is not None or target.password is not None:
        raise FetchError("image URLs with a user name or password are not fetched")
    if port == 0:
        raise FetchError("the image URL's port 0 is not a port")
    return target


def _port(target: urllib.parse.SplitResult) -> int:
    return target.port or (443 if target.scheme == "https" else 80)


def _checked_address(target: urllib.parse.SplitResult, policy: FetchPolicy) -> str:
    """The one address to connect to, after checking every address the host resolves to."""
    host = target.hostname
    try:
        infos = socket.getaddrinfo(host, _port(target), type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError(f"cannot resolve the image URL's host {host!r}") from error
    addresses = [info[4][0] for info in infos]
    if host not in policy.allowlist:
        for address in addresses:
            if not is_public(address):
                raise FetchError(f"{host!r} resolves to {address}, an address this service does not fetch from", 403)
    return addresses[0]


def is_public(address: str) -> bool:
    """True for globally routable unicast addresses.

    IPv6 addresses that carry an IPv4 address (mapped, compatible, 6to4, NAT64) are judged by that
    IPv4 address: behind a NAT64 gateway, 64:ff9b::a9fe:a9fe reaches 169.254.169.254.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in NAT64[1]:
            return False  # local-use NAT64 prefix: the embedded address's position varies; refuse it
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and any(ip in network for network in EMBEDS_IPV4_IN_LOW_BITS):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            ip = embedded
    return ip.is_global and not ip.is_multicast


def _connect(target: urllib.parse.SplitResult, address: str, deadline: float) -> http.client.HTTPConnection:
    """A connection to the checked address with the GET request sent."""
    port = _port(target)
    connection_class = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(target.hostname, port, timeout=_remaining(deadline))
    # Connect to the checked address; TLS still verifies the certificate against the host name.
    connection._create_connection = lambda _address, timeout, source: socket.create_connection(
        (address, port), timeout, source
    )
    # Non-ASCII characters and spaces, which browsers send percent-encoded, are encoded the same way.
    path = urllib.parse.quote(target.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if target.query:
        path += "?" + urllib.parse.quote(target.query, safe="/%:@!$&'()*+,;=-._~?")
    try:
        connection.request("GET", path, headers={"User-Agent": "text-recognizer", "Accept": "image/*"})
    except (OSError, http.client.HTTPException) as error:
        connection.close()
        raise FetchError(f"could not fetch the image from {_origin(target)}: {error}", 502) from error
    return connection


def _shut_down(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed: no read is blocked on it
            sock.shutdown(socket.SHUT_RDWR)


def _read_capped(response: http.client.HTTPResponse, max_bytes: int, deadline: float) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"the image is {int(declared):,} bytes, more than the {max_bytes:,} allowed", 413)
    chunks, size = [], 0
    while chunk := response.read1(CHUNK_BYTES):
        _remaining(deadline)  # bytes that keep arriving after the watchdog's shutdown are still readable
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"the image is more than the {max_bytes:,} bytes allowed", 413)
        chunks.append(chunk)
    if response.length:  # the connection ended before the promised length: closed, or shut at the deadline
        raise http.client.IncompleteRead(b"", response.length)
    return b"".join(chunks)


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError("fetching the image URL took too long", 504)
    return left


def _origin(target: urllib.parse.SplitResult) -> str:
    return f"{target.scheme}://{target.hostname}:{_port(target)}"
