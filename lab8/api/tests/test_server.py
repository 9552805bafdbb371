"""The production server (gunicorn) on loopback: it answers, and its workers never load TensorFlow."""

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

from api.tests.test_api import data_url


def post_json(url: str, body: dict) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def test_gunicorn_reads_a_real_digit_and_refuses_garbage(live_server, mnist_digits):
    png, label = mnist_digits[0]
    status, body, headers = post_json(f"{live_server}/v1/predict", {"image": data_url(png), "task": "digit"})
    assert (status, body["pred"]) == (200, label) and headers["X-Request-ID"]
    status, body, _ = post_json(f"{live_server}/v1/predict", {"image": data_url(b"GIF89a garbage")})
    assert (status, body["error"]) == (400, "bad_image")


def test_serving_never_imports_tensorflow(gunicorn_server, stroke_png):
    """The app module itself, and the memory maps of the running gunicorn workers."""
    probe = "import sys, api.wsgi; sys.exit(any(m.split('.')[0] in ('tensorflow', 'keras') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).parents[2], check=False).returncode == 0
    process, url = gunicorn_server
    post_json(f"{url}/v1/predict", {"image": data_url(stroke_png), "task": "line"})
    workers = worker_pids(process.pid)
    assert len(workers) == 2
    for pid in workers:
        maps = Path(f"/proc/{pid}/maps").read_text()
        assert "onnxruntime" in maps and "tensorflow" not in maps
