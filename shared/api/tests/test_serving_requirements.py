"""What the container does, without a Docker engine: a fresh virtual environment holding only
requirements/serve.txt starts gunicorn on this copy of the code and answers a prediction."""

import json
import subprocess
import urllib.request
import venv

import pytest

from api.launch import start_server, stop_server
from api.tests.conftest import REPO_DIR
from api.tests.test_api import data_url

SERVE_REQUIREMENTS = REPO_DIR / "requirements" / "serve.txt"


@pytest.mark.slow
def test_serving_requirements_alone_run_the_service(tmp_path, stroke_png):
    environment = tmp_path / "serve-venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = str(environment / "bin" / "python")
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(SERVE_REQUIREMENTS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    installed = subprocess.run(
        [python, "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=False
    ).stdout
    names = {package["name"].lower() for package in json.loads(installed)}
    assert not names & {"tensorflow", "tensorflow-cpu", "keras", "jupyterlab"}, "serving must stay lean"

    process, url = start_server(python, tmp_path / "server.log")
    try:
        request = urllib.request.Request(
            f"{url}/v1/predict",
            data=json.dumps({"image": data_url(stroke_png), "task": "digit"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.loads(response.read())
    finally:
        stop_server(process)
    assert (body["task"], body["pred"]) == ("digit", "1")
