"""An HTTP file server on 127.0.0.1 for testing and benchmarking downloads: latency and faults on demand.

    with LocalFileServer(root=Path("pages"), latency_s=0.05) as server:
        server.url("page_1.jpg")                  # http://127.0.0.1:<port>/page_1.jpg
        server.faults["/page_2.jpg"] = ["503", "truncate"]   # the next two answers, then the file
        server.hits["/page_1.jpg"]                # how often a path was asked for

Faults, served in order, one per request: "503" (Service Unavailable), "404", "truncate" (half the body
under the full Content-Length), "hang-up" (the connection closed before any answer), "html" (an HTML page
with status 200, as a login wall or an error page is).
"""

import http.server
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import unquote


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that hung up (or was killed) is no error
            super().handle_error(request, client_address)


class LocalFileServer:
    """Serve `files` (path -> bytes) or the files under `root`, each answer delayed by `latency_s`."""

    def __init__(self, root: Path | None = None, files: dict[str, bytes] | None = None, latency_s: float = 0.0):
        self.root = root
        self.files = {f"/{name.lstrip('/')}": body for name, body in (files or {}).items()}
        self.latency_s = latency_s
        self.faults: dict[str, list[str]] = defaultdict(list)
        self.hits: Counter = Counter()
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name.lstrip('/')}"

    def __enter__(self) -> "LocalFileServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _next_answer(self, path: str) -> tuple[str | None, bytes | None]:
        with self._lock:
            self.hits[path] += 1
            fault = self.faults[path].pop(0) if self.faults.get(path) else None
        body = self.files.get(path)
        if body is None and self.root is not None:
            candidate = (self.root / path.lstrip("/")).resolve()
            if candidate.is_relative_to(self.root.resolve()) and candidate.is_file():
                body = candidate.read_bytes()
        return fault, body

    def _handler_class(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                fault, body = server._next_answer(unquote(self.path.split("?")[0]))  # counted on arrival
                time.sleep(server.latency_s)
                if fault == "hang-up":
                    self.close_connection = True
                    return
                if fault in {"503", "404"} or body is None:
                    self.send_error(int(fault) if fault else 404)
                    return
                if fault == "html":
                    body = b"<!DOCTYPE html><html><body>Please sign in</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html" if fault == "html" else "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if fault == "truncate":
                    self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler
