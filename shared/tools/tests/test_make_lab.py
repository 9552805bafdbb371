"""`make lab`, the README's first student command, on this checkout: JupyterLab starts headless, lists and
opens a lab notebook through its REST API, and runs the course kernel on that lab's copy of the code.

It runs as the current user and, where that is root (containers, rented GPU machines), also as an
unprivileged user, since JupyterLab treats the two differently.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import websocket

from tools import register_kernel

REPO_DIR = Path(__file__).resolve().parents[3]
NOTEBOOK = "lab1/notebooks/01-look-at-emnist.ipynb"
UNPRIVILEGED_ID = 65534  # `nobody`
START_TIMEOUT_S = 90

pytestmark = pytest.mark.skipif(
    not (REPO_DIR / ".venv" / "bin" / "jupyter").is_file(), reason="needs the course .venv (make setup)"
)


@dataclass
class Server:
    base_url: str
    token: str

    def get(self, path: str) -> dict:
        return self.request("GET", path)

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", f"token {self.token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def make_lab(home: Path, as_user: int | None = None) -> Iterator[Server]:
    """Run `make lab` headless on a free port with `home` as HOME; stop it (and its children) afterwards."""
    port, token = free_port(), secrets.token_hex(16)
    lab_args = f"--no-browser --port={port} --ServerApp.port_retries=0 --IdentityProvider.token={token}"
    command = ["make", "--no-print-directory", "lab", f"LAB_ARGS={lab_args}"]
    if as_user is not None:
        command = [*_as_user(as_user), *command]
    env = {key: value for key, value in os.environ.items() if not key.startswith("JUPYTER")}
    env["HOME"] = str(home)
    log_path = home / "lab.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=REPO_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(f"http://127.0.0.1:{port}", token)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"make lab exited with {process.returncode}:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within {START_TIMEOUT_S} s:\n{log_path.read_text()}")
            try:
                server.get("/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def execute(server: Server, kernel_id: str, code: str) -> str:
    """Run `code` in a kernel over the Jupyter messaging websocket; return what it printed."""
    url = server.base_url.replace("http", "ws", 1) + f"/api/kernels/{kernel_id}/channels?token={server.token}"
    connection = websocket.create_connection(url, timeout=60)
    try:
        msg_id = uuid.uuid4().hex
        connection.send(
            json.dumps(
                {
                    "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": uuid.uuid4().hex},
                    "parent_header": {},
                    "metadata": {},
                    "content": {"code": code, "silent": False, "store_history": False, "allow_stdin": False},
                    "channel": "shell",
                }
            )
        )
        printed, errors = [], []
        while True:
            message = json.loads(connection.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                printed.append(content["text"])
            elif kind == "error":
                errors.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "status" and content["execution_state"] == "idle":
                break
        assert not errors, errors
        return "".join(printed)
    finally:
        connection.close()


def check_lab_serves_notebooks(server: Server) -> None:
    listing = server.get("/api/contents/lab1/notebooks")
    assert Path(NOTEBOOK).name in {item["name"] for item in listing["content"]}

    notebook = server.get(f"/api/contents/{NOTEBOOK}")
    assert notebook["type"] == "notebook"
    assert notebook["content"]["metadata"]["kernelspec"]["name"] == register_kernel.NAME
    assert register_kernel.NAME in server.get("/api/kernelspecs")["kernelspecs"]

    session = server.request(
        "POST",
        "/api/sessions",
        {"path": NOTEBOOK, "type": "notebook", "name": "", "kernel": {"name": register_kernel.NAME}},
    )
    try:
        code = "import text_recognizer, os; print(os.path.realpath(text_recognizer.__file__))"
        printed = execute(server, session["kernel"]["id"], code)
        assert Path(printed.strip()) == (REPO_DIR / "lab1" / "text_recognizer" / "__init__.py").resolve()
    finally:
        server.request("DELETE", f"/api/sessions/{session['id']}")


def test_make_lab_serves_the_labs_as_the_current_user(tmp_path):
    with make_lab(tmp_path) as server:
        check_lab_serves_notebooks(server)


def _as_user(uid: int) -> list[str]:
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]


def _unprivileged_user_can_run_the_venv() -> str | None:
    """Why an unprivileged user cannot run this checkout's .venv, or None if it can."""
    if not all(p.stat().st_mode & stat.S_IXOTH for p in [REPO_DIR, *REPO_DIR.parents]):
        return f"an unprivileged user cannot enter {REPO_DIR}"
    python = REPO_DIR / ".venv" / "bin" / "python"
    # Through a shell, as make runs it: the interpreter may lie in a folder only its owner can enter.
    probe = [*_as_user(UNPRIVILEGED_ID), "bash", "-c", f"'{python}' -c pass"]
    result = subprocess.run(probe, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return f"an unprivileged user cannot run {python.resolve()}: {result.stderr.strip()[-200:]}"
    return None


root_only = pytest.mark.skipif(os.geteuid() != 0, reason="the root case: this user is not root")
needs_setpriv = pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")


@root_only
@needs_setpriv
def test_make_lab_allows_root_for_root_only():
    def dry_run(*prefix: str) -> str:
        command = [*prefix, "make", "--no-print-directory", "-n", "lab"]
        return subprocess.run(command, cwd=REPO_DIR, capture_output=True, text=True, check=True).stdout

    assert "--allow-root" in dry_run()
    if not all(p.stat().st_mode & stat.S_IXOTH for p in [REPO_DIR, *REPO_DIR.parents]):
        pytest.skip(f"an unprivileged user cannot enter {REPO_DIR}")
    assert "jupyter lab" in dry_run(*_as_user(UNPRIVILEGED_ID))
    assert "--allow-root" not in dry_run(*_as_user(UNPRIVILEGED_ID))


@root_only
@needs_setpriv
def test_make_lab_serves_the_labs_as_an_unprivileged_user_too():
    reason = _unprivileged_user_can_run_the_venv()
    if reason:
        pytest.skip(reason)
    home = Path(tempfile.mkdtemp(prefix="make-lab-home-"))
    try:
        os.chown(home, UNPRIVILEGED_ID, UNPRIVILEGED_ID)
        with make_lab(home, as_user=UNPRIVILEGED_ID) as server:
            check_lab_serves_notebooks(server)
    finally:
        shutil.rmtree(home)
