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
    """One persistent connection; reconnects once if the server closed it between requests."""

    def __init__(self, base_url: str, timeout_s: float = 30.0) -> None:
        target = urllib.parse.urlsplit(base_url)
        self.host, self.port, self.timeout_s = target.hostname, target.port or 80, timeout_s
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout_s)

    def send(self, request: HttpRequest) -> tuple[int, bytes, float]:
        """(status, body, seconds); status 0 when the connection failed."""
        started = time.perf_counter()
        for attempt in range(2):
            try:
                self.connection.request(request.method, request.path, body=request.body, headers=dict(request.headers))
                response = self.connection.getresponse()
                body = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self._reconnect()
                return response.status, body, time.perf_counter() - started
            except (ConnectionError, http.client.HTTPException, TimeoutError):
                self._reconnect()
                if attempt:
                    return 0, b"", time.perf_counter() - started
        raise AssertionError("unreachable")

    def _reconnect(self) -> None:
        self.connection.close()
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)

    def close(self) -> None:
        self.connection.close()
