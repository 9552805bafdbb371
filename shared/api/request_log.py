"""One JSON log line per request: id, route, status, task, latency, confidence, image mean intensity.

The confidence and the image's mean intensity are the signals FSDL's lab logged as METRIC lines to watch
for drift (a new camera, inverted scans). Image bytes are never logged.
"""

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, request

LOGGER = logging.getLogger("api.requests")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def configure(app: Flask) -> None:
    """Log every request of `app` to stderr as JSON and echo its id in the `X-Request-ID` header."""
    if not LOGGER.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        LOGGER.addHandler(handler)
        LOGGER.setLevel(logging.INFO)
        LOGGER.propagate = False

    @app.before_request
    def start() -> None:
        supplied = request.headers.get("X-Request-ID", "")
        g.request_id = supplied if REQUEST_ID.match(supplied) else uuid.uuid4().hex
        g.started = time.perf_counter()
        g.log = {}

    @app.after_request
    def finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        record = {
            "request_id": g.get("request_id"),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "latency_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
            **g.get("log", {}),
        }
        LOGGER.info(json.dumps(record))
        return response


def note(**fields) -> None:
    """Add fields to this request's log line."""
    g.log.update(fields)
