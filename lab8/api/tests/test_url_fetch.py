"""Fetching images by URL: only public addresses, checked on every redirect, with a size cap and a deadline."""

import http.server
import socket
import threading
import time

import pytest

from api.app import create_app
from api.settings import Settings
from api.tests.conftest import drawn_stroke
from api.url_fetch import FetchError, FetchPolicy, fetch, is_public

PNG = drawn_stroke()


class Handler(http.server.BaseHTTPRequestHandler):
    """Routes: /image.png, /big (2 MB, no Content-Length), /slow, /to-localhost, /loop, /to-file."""

    def do_GET(self):
        port = self.server.server_address[1]
        if self.path == "/image.png":
            self._send(200, PNG, {"Content-Type": "image/png", "Content-Length": str(len(PNG))})
        elif self.path == "/big":
            self._send(200, b"x" * 2_000_000, {"Connection": "close"})
        elif self.path == "/slow":
            time.sleep(2)
            self._send(200, PNG, {"Content-Length": str(len(PNG))})
        elif self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)
        elif self.path.startswith("/caf%C3%A9%20noir.png"):
            self._send(200, PNG, {"Content-Length": str(len(PNG))})
        elif self.path == "/to-localhost":
            self._send(302, b"", {"Location": f"http://localhost:{port}/image.png", "Content-Length": "0"})
        elif self.path == "/loop":
            self._send(302, b"", {"Location": "/loop", "Content-Length": "0"})
        elif self.path == "/to-file":
            self._send(302, b"", {"Location": "file:///etc/passwd", "Content-Length": "0"})
        else:
            self._send(404, b"", {"Content-Length": "0"})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """Clients that give up on /big and /slow are what the tests expect."""


@pytest.fixture(scope="module")
def image_server():
    server = QuietServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


LOOPBACK_ALLOWED = FetchPolicy(allowlist=frozenset({"127.0.0.1"}), timeout_s=1.0, max_bytes=1_000_000)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata service
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("ff02::1", False),
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("64:ff9b:1::7f00:1", False),
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("::7f00:1", False),  # IPv4-compatible 127.0.0.1
        ("::ffff:0:7f00:1", False),
    ],
)
def test_only_public_unicast_addresses_are_fetched(address, public):
    assert is_public(address) is public


def test_allowlisted_host_is_fetched(image_server):
    assert fetch(f"{image_server}/image.png", LOOPBACK_ALLOWED) == PNG


def test_loopback_is_refused_unless_allowlisted(image_server):
    with pytest.raises(FetchError, match="does not fetch") as caught:
        fetch(f"{image_server}/image.png", FetchPolicy())
    assert caught.value.status == 403


def test_every_redirect_is_checked_again(image_server):
    with pytest.raises(FetchError, match="'localhost' resolves to") as caught:
        fetch(f"{image_server}/to-localhost", LOOPBACK_ALLOWED)
    assert caught.value.status == 403
    with pytest.raises(FetchError, match="only http and https"):
        fetch(f"{image_server}/to-file", LOOPBACK_ALLOWED)
    with pytest.raises(FetchError, match="redirects"):
        fetch(f"{image_server}/loop", LOOPBACK_ALLOWED)


def test_size_cap_holds_without_content_length(image_server):
    with pytest.raises(FetchError, match="bytes allowed") as caught:
        fetch(f"{image_server}/big", LOOPBACK_ALLOWED)
    assert caught.value.status == 413


def test_slow_server_times_out(image_server):
    started = time.monotonic()
    with pytest.raises(FetchError):
        fetch(f"{image_server}/slow", FetchPolicy(allowlist=frozenset({"127.0.0.1"}), timeout_s=0.3))
    assert time.monotonic() - started < 1.5


def test_a_server_dripping_bytes_cannot_outlast_the_deadline(image_server):
    started = time.monotonic()
    with pytest.raises(FetchError, match="too long") as caught:
        fetch(f"{image_server}/drip", FetchPolicy(allowlist=frozenset({"127.0.0.1"}), timeout_s=0.5))
    assert caught.value.status == 504 and time.monotonic() - started < 1.5


def test_non_ascii_and_spaces_in_the_path_are_percent_encoded(image_server):
    assert fetch(f"{image_server}/café noir.png", LOOPBACK_ALLOWED) == PNG


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/a.png",
        "gopher://x",
        "http://",
        "http:///a",
        "http://user:secret@example.com/a.png",
        "http://example.com:0/a.png",
        "http://example.com:99999/a.png",
    ],
)
def test_other_schemes_and_hostless_urls_are_refused(url):
    with pytest.raises(FetchError) as caught:
        fetch(url, FetchPolicy())
    assert caught.value.status == 400


def test_connection_goes_to_the_address_that_was_checked(image_server, monkeypatch):
    """A name resolving to a private address is refused; an allowlisted one is reached at the checked address."""
    port = int(image_server.rsplit(":", 1)[1])
    real_getaddrinfo = socket.getaddrinfo

    def fake_dns(host, *args, **kwargs):
        if host in ("images.internal.test", "intranet.test"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    with pytest.raises(FetchError, match="does not fetch"):
        fetch(f"http://images.internal.test:{port}/image.png", FetchPolicy())
    allowed = FetchPolicy(allowlist=frozenset({"intranet.test"}))
    assert fetch(f"http://intranet.test:{port}/image.png", allowed) == PNG


def test_api_fetches_image_urls_through_the_same_checks(image_server, stroke_png):
    """GET /v1/predict?image_url=... : refused on loopback by default, read when the host is allowlisted."""
    from api.recognizer import Recognizer

    recognizer = Recognizer(["digit"])
    closed = create_app(Settings(default_task="digit"), recognizer).test_client()
    response = closed.get("/v1/predict", query_string={"image_url": f"{image_server}/image.png"})
    assert response.status_code == 403 and response.json["error"] == "image_url_refused"

    open_to_tests = Settings(default_task="digit", fetch=LOOPBACK_ALLOWED)
    client = create_app(open_to_tests, recognizer).test_client()
    response = client.get("/v1/predict", query_string={"image_url": f"{image_server}/image.png"})
    assert response.status_code == 200 and response.json["task"] == "digit"
    response = client.get("/v1/predict", query_string={"image_url": f"{image_server}/missing.png"})
    assert response.status_code == 400 and "404" in response.json["detail"]
