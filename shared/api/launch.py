"""Start the production server (gunicorn) of a lab's copy on a free loopback port, and stop it.

Used by the tests, the load test and the fuzz run; `make serve` runs gunicorn directly.
"""

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

LAB_DIR = Path(__file__).resolve().parents[1]  # shared/ or labN/: where gunicorn finds the `api` package


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    python: str, log: Path, env: dict[str, str] | None = None, timeout_s: float = 60
) -> tuple[subprocess.Popen, str]:
    """gunicorn with the course's settings on a free loopback port, once /health answers; logs go to `log`."""
    port = free_port()
    environment = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "2", **(env or {})}
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [python, "-m", "gunicorn", "-c", "api/gunicorn.conf.py"],
            cwd=LAB_DIR,
            env=environment,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as response:  # noqa: S310  # an http URL, built above
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn did not answer /health within {timeout_s} s")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
