"""A minimal keep-alive HTTP client for load and fuzz runs against a server on loopback."""

import http.client
import time
import urllib.parse
from dataclasses import dataclass


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


class Connection:
    """One persistent connection. A request that fails on a connection the server had already closed
    while idle is retried once on a new one, as HTTP clients do; any other failure counts as status 0."""

    def __init__(self, base_url: str, timeout_s: float = 30.0) -> None:
        target = urllib.parse.urlsplit(base_url)
        self.host, self.port, self.timeout_s = target.hostname, target.port or 80, timeout_s
        self._open()

    def send(self, request: HttpRequest) -> tuple[int, bytes, float]:
        """(status, body, seconds); status 0 when the request failed."""
        started = time.perf_counter()
        reused = self.requests > 0
        try:
            status, body = self._exchange(request)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self._reopen()
            if not reused:
                return 0, b"", time.perf_counter() - started
            try:
                status, body = self._exchange(request)
            except (ConnectionError, http.client.HTTPException, TimeoutError):
                self._reopen()
                return 0, b"", time.perf_counter() - started
        except (ConnectionError, http.client.HTTPException, TimeoutError):
            self._reopen()
            return 0, b"", time.perf_counter() - started
        return status, body, time.perf_counter() - started

    def _exchange(self, request: HttpRequest) -> tuple[int, bytes]:
        self.connection.request(request.method, request.path, body=request.body, headers=dict(request.headers))
        response = self.connection.getresponse()
        body = response.read()
        self.requests += 1
        if response.getheader("Connection", "").lower() == "close":
            self._reopen()
        return response.status, body

    def _open(self) -> None:
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        self.requests = 0

    def _reopen(self) -> None:
        self.connection.close()
        self._open()

    def close(self) -> None:
        self.connection.close()


def health_problem(base_url: str) -> str | None:
    """Why `base_url` does not answer GET /health with 200, or None when it does."""
    try:
        status, _, _ = Connection(base_url, timeout_s=5).send(HttpRequest("GET", "/health"))
    except (OSError, ValueError) as error:  # a malformed URL or port
        return f"{base_url} is not a usable server URL ({error})"
    if status == 0:
        return f"nothing answers at {base_url}: start the server (make serve) or leave out --url"
    if status != 200:
        return f"{base_url}/health answered HTTP {status}: the server is not ready"
    return None
