"""The container and serverless files, checked without a Docker engine (there is none here).

The Dockerfiles are read statically, the files they COPY are assembled in a temporary folder and served
from there (the image's code alone must answer, without TensorFlow, data or training code), and the SAM
template is held against the recorded API Gateway events.
"""

import json
import os
import posixpath
import re
import shlex
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from api.tests.conftest import drawn_stroke
from api.tests.test_lambda_handler import predict_json, recorded, with_body

LAB_DIR = Path(__file__).resolve().parents[2]  # shared/ or labN/: a copy with lab 8's layout
REPO_DIR = LAB_DIR.parent  # the build context of the images
API_DIR = LAB_DIR / "api"
SERVE_REQUIREMENTS = REPO_DIR / "requirements" / "serve.txt"
DOCKERFILES = ("Dockerfile", "Dockerfile.lambda")
BASE_IMAGE_WORKDIR = {"Dockerfile": "/", "Dockerfile.lambda": "/var/task"}
APP_ROOT = {"Dockerfile": "/app", "Dockerfile.lambda": "/var/task"}  # WORKDIR, and Lambda's task root
BUILD_VARIABLES = {"LAMBDA_TASK_ROOT": "/var/task"}  # set by AWS's Lambda base image
NOT_SERVING = ("tensorflow", "keras", "h5py", "training", "evaluation")  # top-level packages
NOT_SERVING_HERE = ("text_recognizer.data", "text_recognizer.networks", "text_recognizer.models")


# --- The Dockerfiles, .dockerignore and template.yaml, read statically -------------------------------------


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile: continuation lines joined, comments left out."""
    found, current = [], ""
    for line in dockerfile.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        keyword, _, arguments = (current + stripped).partition(" ")
        found.append((keyword.upper(), arguments.strip()))
        current = ""
    return found


def expand(text: str) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda match: BUILD_VARIABLES[match[1] or match[2]], text)


def pattern_regex(pattern: str) -> re.Pattern:
    """Docker's path patterns (.dockerignore, COPY sources): `*` and `?` stay within a folder, `**` does not."""
    regex, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex, i = regex + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            regex, i = regex + ".*", i + 2
        elif pattern[i] in "*?":
            regex, i = regex + ("[^/]*" if pattern[i] == "*" else "[^/]"), i + 1
        else:
            regex, i = regex + re.escape(pattern[i]), i + 1
    return re.compile(regex + r"\Z")


def dockerignore_rules() -> list[tuple[bool, re.Pattern]]:
    """(re-included, pattern) of /.dockerignore, in order: the last pattern matching a path or a folder
    holding it decides, as Docker does."""
    rules = []
    for raw_line in (REPO_DIR / ".dockerignore").read_text().splitlines():
        line = raw_line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            rules.append((negated, pattern_regex(posixpath.normpath(line.lstrip("!").lstrip("/")))))
    return rules


def in_build_context(name: str, rules: list[tuple[bool, re.Pattern]]) -> bool:
    parts = name.split("/")
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    included = True
    for negated, regex in rules:
        if any(regex.match(candidate) for candidate in candidates):
            included = negated
    return included


def copy_instructions(name: str) -> list[tuple[list[str], str, bool]]:
    """(sources, absolute destination, destination is a folder) of each COPY of api/<name>."""
    workdir, copies = BASE_IMAGE_WORKDIR[name], []
    for keyword, arguments in instructions(API_DIR / name):
        if keyword == "WORKDIR":
            workdir = posixpath.join(workdir, expand(arguments))
        elif keyword in ("COPY", "ADD"):
            assert keyword == "COPY", f"{name}: use COPY, not ADD (no URLs or archives)"
            words = json.loads(arguments) if arguments.startswith("[") else arguments.split()
            assert not any(word.startswith("--from") for word in words), "one stage: sources come from the context"
            *sources, destination = [expand(word) for word in words if not word.startswith("--")]
            into_folder = destination.endswith("/")
            assert into_folder or len(sources) == 1, f"{name}: COPY of several sources needs a folder ending in /"
            copies.append((sources, posixpath.normpath(posixpath.join(workdir, destination)), into_folder))
    return copies


def lab_of(name: str) -> str:
    """The lab folder (`lab8`) whose copy of the code api/<name> builds from."""
    labs = {source.split("/")[0] for sources, _, _ in copy_instructions(name) for source in sources}
    labs = {lab for lab in labs if re.fullmatch(r"lab\d+", lab)}
    assert len(labs) == 1, f"{name} copies from {sorted(labs)}: one lab's code only"
    return labs.pop()


def build_context(lab: str) -> dict[str, Path]:
    """Context path -> file, of what `docker build` sends from the repository root after /.dockerignore.
    The lab folder is read from this copy of the code (LAB_DIR), which has lab 8's layout."""
    rules = dockerignore_rules()
    files = {f"requirements/{path.name}": path for path in (REPO_DIR / "requirements").iterdir() if path.is_file()}
    files |= {f"{lab}/{path.relative_to(LAB_DIR).as_posix()}": path for path in LAB_DIR.rglob("*") if path.is_file()}
    return {name: path for name, path in files.items() if in_build_context(name, rules)}


def image_files(name: str) -> dict[str, Path]:
    """Absolute path in the image -> file here, for every file api/<name> COPYs; fails, naming it, on a COPY
    source that is missing here or kept out of the build context by /.dockerignore (`docker build` would)."""
    context, image = build_context(lab_of(name)), {}
    for sources, destination, into_folder in copy_instructions(name):
        for written_source in sources:
            source = posixpath.normpath(written_source)
            regex = pattern_regex(source)
            files = [path for path in context if regex.match(path)]
            folder = [path for path in context if path.startswith(source + "/")]
            assert files or folder, f"{name}: COPY {source} finds nothing (missing here, or kept out by .dockerignore)"
            for path in files:
                image[posixpath.join(destination, posixpath.basename(path)) if into_folder else destination] = context[
                    path
                ]
            for path in folder:
                image[posixpath.join(destination, path[len(source) + 1 :])] = context[path]
    return image


def served_code(name: str) -> dict[str, Path]:
    """The files under the image's application folder, by path relative to it."""
    root = APP_ROOT[name] + "/"
    return {path[len(root) :]: file for path, file in image_files(name).items() if path.startswith(root)}


@pytest.mark.parametrize("name", DOCKERFILES)
def test_images_install_only_the_serving_requirements(name):
    image, workdir = image_files(name), BASE_IMAGE_WORKDIR[name]
    installs = []
    for keyword, arguments in instructions(API_DIR / name):
        if keyword == "WORKDIR":
            workdir = posixpath.join(workdir, arguments)
        if keyword == "RUN":
            for command in re.split(r"&&|\|\||;|\|", expand(arguments)):
                words = command.split()
                tools = {"pip", "pip3", "uv", "conda", "mamba", "micromamba", "pipx", "poetry", "easy_install"}
                if words and (words[0] in tools or words[:3] in (["python", "-m", "pip"], ["python3", "-m", "pip"])):
                    installs.append((words, workdir))
    assert installs, f"{name} installs no requirements"
    for words, workdir in installs:
        pip = next((i for i, word in enumerate(words) if word in ("pip", "pip3")), None)
        arguments = words if pip is None else words[pip + 1 :]
        assert arguments[:1] == ["install"], f"{name}: only `pip install -r` may install packages: {words}"
        options = arguments[1:]
        files = [options[i + 1] for i, word in enumerate(options[:-1]) if word in ("-r", "--requirement")]
        others = [
            w
            for i, w in enumerate(options)
            if w not in ("-r", "--requirement") and options[i - 1 : i] not in (["-r"], ["--requirement"])
        ]
        assert files and set(others) <= {"--no-cache-dir"}, f"{name}: pip installs more than requirement files: {words}"
        for file in files:
            assert image.get(posixpath.normpath(posixpath.join(workdir, file))) == SERVE_REQUIREMENTS, (
                f"{name}: `pip install -r {file}` must install requirements/serve.txt"
            )


def test_serving_requirements_hold_no_tensorflow():
    pins = set()
    for raw_line in SERVE_REQUIREMENTS.read_text().splitlines():
        line = raw_line.strip()
        if line and not line.startswith(("#", "-")):
            pins.add(re.match(r"[A-Za-z0-9._-]+", line)[0].lower().replace("_", "-"))
    assert {"numpy", "pillow", "onnxruntime", "flask", "gunicorn", "apig-wsgi"} <= pins
    heavy = {pin for pin in pins if re.match(r"(tensorflow|tf-|tf2onnx|keras|tensorboard|h5py|jax|torch)", pin)}
    assert not heavy, f"requirements/serve.txt must stay without TensorFlow: {sorted(heavy)}"


def test_both_images_copy_the_same_serving_code_and_nothing_else():
    code = served_code("Dockerfile")
    assert code.keys() == served_code("Dockerfile.lambda").keys(), "the gunicorn and Lambda images must serve the same"
    must_have = {"api/wsgi.py", "api/lambda_handler.py", "api/gunicorn.conf.py", "api/templates/index.html"}
    assert must_have <= code.keys()
    assert {path for path in code if path.startswith("text_recognizer/predictors/")} == {
        f"text_recognizer/predictors/{path.name}" for path in (LAB_DIR / "text_recognizer" / "predictors").glob("*.py")
    }
    unwanted = [
        path
        for path in code
        if "tests/" in path
        or "__pycache__" in path
        or path.endswith((".pyc", ".ipynb", ".h5"))
        or path.startswith(("training/", "evaluation/", "notebooks/", "data/"))
        or path.startswith(tuple(module.replace(".", "/") + "/" for module in NOT_SERVING_HERE))
    ]
    assert not unwanted, f"the images need none of {unwanted}"


def test_dockerignore_lets_in_what_the_images_copy_and_keeps_out_the_rest():
    rules = dockerignore_rules()
    lab = lab_of("Dockerfile")
    assert in_build_context("requirements/serve.txt", rules)
    for kept_out in (
        ".venv/bin/python",
        ".git/HEAD",
        "data/raw/mnist/metadata.toml",
        "requirements/dev.txt",
        "lab1/text_recognizer/__init__.py",
        f"{lab}/api/tests/conftest.py",
        f"{lab}/api/tests/events/http_v2_get_health.json",
        f"{lab}/api/__pycache__/app.cpython-311.pyc",
        f"{lab}/notebooks/01-look-at-emnist.ipynb",
        f"{lab}/text_recognizer/data/mnist.py",
        f"{lab}/text_recognizer/artifacts/digit/model.weights.h5",
        f"{lab}/training/run_experiment.py",
    ):
        assert not in_build_context(kept_out, rules), f".dockerignore lets in {kept_out}"


def test_the_copied_files_alone_serve_without_tensorflow(tmp_path):
    """Lay out the image's application folder from the Dockerfile's COPYs and serve from it, through the WSGI
    app (what gunicorn loads) and the Lambda handler: every module they import must be there, and neither may
    import TensorFlow, Keras, data or training code (this environment has them, the images do not)."""
    root = tmp_path / "app"
    for relative, source in served_code("Dockerfile").items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / relative)
    events = [
        recorded("http_v2_get_health.json"),
        with_body(recorded("rest_v1_post_predict.json"), predict_json(drawn_stroke()), "application/json"),
    ]
    script = (
        "import json, sys\n"
        "events = json.load(sys.stdin)\n"
        "import api, text_recognizer\n"
        "from api.wsgi import app\n"
        "from api.lambda_handler import handler\n"
        "health = app.test_client().get('/health')\n"
        "answers = [handler(event, None) for event in events]\n"
        "print(json.dumps({'roots': [api.__path__[0], text_recognizer.__path__[0]],\n"
        "    'health': health.status_code, 'answers': [[a['statusCode'], json.loads(a['body'])] for a in answers],\n"
        "    'modules': sorted(sys.modules)}))\n"
    )
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        env={**environment, "TEXT_RECOGNIZER_THREADS": "1"},
        input=json.dumps(events),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["roots"] == [str(root / "api"), str(root / "text_recognizer")]
    assert report["health"] == 200
    (health_status, health), (predict_status, prediction) = report["answers"]
    assert health_status == 200 and len(health["models"]) == 5  # character, digit, line, handwriting, line detector
    assert predict_status == 200 and prediction["task"] == "digit", prediction
    loaded = [
        module
        for module in report["modules"]
        if module.split(".")[0] in NOT_SERVING or module.startswith(NOT_SERVING_HERE)
    ]
    assert not loaded, f"serving imported {loaded[:10]}"


def test_service_image_runs_gunicorn_as_a_non_root_user_on_port_8000():
    found = instructions(API_DIR / "Dockerfile")
    values = {keyword: [arguments for k, arguments in found if k == keyword] for keyword, _ in found}
    assert len(values["FROM"]) == 1 and values["FROM"][0].startswith("python:3.11-slim")
    assert values["USER"][-1].split(":")[0] not in ("root", "0")
    assert "8000" in values["EXPOSE"][-1].split()
    environment = " ".join(values["ENV"]).split()
    assert "HOST=0.0.0.0" in environment and "PORT=8000" in environment
    command = json.loads(values["CMD"][-1])
    assert command[:3] == ["gunicorn", "-c", "api/gunicorn.conf.py"]
    assert "api/gunicorn.conf.py" in served_code("Dockerfile")


def test_lambda_image_runs_the_handler_from_the_aws_base_image():
    found = instructions(API_DIR / "Dockerfile.lambda")
    froms = [arguments for keyword, arguments in found if keyword == "FROM"]
    assert len(froms) == 1 and froms[0].startswith("public.ecr.aws/lambda/python:")
    (command,) = [json.loads(arguments) for keyword, arguments in found if keyword == "CMD"]
    assert command == ["api.lambda_handler.handler"]
    assert "api/lambda_handler.py" in served_code("Dockerfile.lambda")


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # the name http.server calls
        self.send_response(self.status if self.path == "/health" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_health_check_command_passes_on_200_and_fails_otherwise():
    """Run the image's HEALTHCHECK command (Python's urllib; slim images have no curl) against a stand-in."""
    (healthcheck,) = [
        arguments for keyword, arguments in instructions(API_DIR / "Dockerfile") if keyword == "HEALTHCHECK"
    ]
    shell_command = healthcheck[healthcheck.index("CMD ") + 4 :]
    words = shlex.split(shell_command)
    assert words[:2] == ["python", "-c"] and "curl" not in shell_command and "/health" in words[2]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def check(status: int, port: int) -> int:
        _Health.status = status
        env = {**os.environ, "PORT": str(port)}
        return subprocess.run(
            [sys.executable, "-c", words[2]], env=env, capture_output=True, timeout=30, check=False
        ).returncode

    try:
        port = server.server_address[1]
        assert check(200, port) == 0
        assert check(503, port) != 0
    finally:
        server.shutdown()
        server.server_close()
    assert check(200, port) != 0  # nothing listening any more


def test_sam_template_deploys_the_lambda_image_behind_both_api_gateways():
    yaml = pytest.importorskip("yaml")

    class CloudFormationLoader(yaml.SafeLoader):
        pass

    def intrinsic(loader, suffix, node):
        if isinstance(node, yaml.ScalarNode):
            return {suffix: loader.construct_scalar(node)}
        if isinstance(node, yaml.SequenceNode):
            return {suffix: loader.construct_sequence(node)}
        return {suffix: loader.construct_mapping(node)}

    CloudFormationLoader.add_multi_constructor("!", intrinsic)
    template = yaml.load((API_DIR / "template.yaml").read_text(), Loader=CloudFormationLoader)
    resources = template["Resources"]
    (function,) = [r for r in resources.values() if r["Type"] == "AWS::Serverless::Function"]
    properties, metadata = function["Properties"], function["Metadata"]
    assert (properties["PackageType"], properties["MemorySize"], properties["Timeout"]) == ("Image", 1024, 30)
    assert (API_DIR / metadata["DockerContext"]).resolve() == REPO_DIR.resolve()
    assert metadata["Dockerfile"] == f"{lab_of('Dockerfile.lambda')}/api/Dockerfile.lambda" and metadata["DockerTag"]

    routes = {}
    for event in properties["Events"].values():
        props = event["Properties"]
        routes.setdefault(event["Type"], set()).add(f"{props['Method'].upper()} {props['Path']}")
        if event["Type"] == "HttpApi":
            assert str(props["PayloadFormatVersion"]) == "2.0"
    served = {"POST /v1/predict", "GET /v1/predict", "GET /health", "ANY /", "GET /static/{proxy+}"}
    assert routes == {"HttpApi": served, "Api": served}
    rest = recorded("rest_v1_post_predict.json")
    assert f"{rest['httpMethod']} {rest['resource']}" in routes["Api"]
    assert {recorded(name)["routeKey"] for name in ("http_v2_post_predict.json", "http_v2_get_health.json")} <= routes[
        "HttpApi"
    ]

    (rest_api,) = [r for r in resources.values() if r["Type"] == "AWS::Serverless::Api"]
    assert "multipart~1form-data" in rest_api["Properties"]["BinaryMediaTypes"]  # SAM writes "/" as "~1"
    urls = " ".join(json.dumps(output["Value"]) for output in template["Outputs"].values())
    for api_name, api in resources.items():
        if api["Type"] in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi"):
            assert f"https://${{{api_name}}}.execute-api." in urls, f"no endpoint URL output for {api_name}"
