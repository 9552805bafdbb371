"""The AWS Lambda entry point fed API Gateway events as AWS records them.

events/ holds one event per front door of template.yaml, in the shapes API Gateway hands to Lambda: a REST
API event (payload format 1.0) and HTTP API events (payload format 2.0). Their bodies are placeholders;
each test puts in the image it makes.
"""

import base64
import copy
import json
from pathlib import Path

import pytest

from api.tests.conftest import drawn_stroke

LAB_DIR = Path(__file__).resolve().parents[2]  # shared/ or labN/: a copy with lab 8's layout
REPO_DIR = LAB_DIR.parent  # the build context of the images
API_DIR = LAB_DIR / "api"
EVENTS_DIR = API_DIR / "tests" / "events"
POST_EVENTS = ("rest_v1_post_predict.json", "http_v2_post_predict.json")


# --- API Gateway events through api.lambda_handler.handler -------------------------------------------------


@pytest.fixture(scope="module")
def handler():
    """The module's handler: importing it creates the app and loads the models, once for these tests."""
    from api.lambda_handler import handler

    return handler


def recorded(name: str) -> dict:
    return json.loads((EVENTS_DIR / name).read_text())


def with_body(event: dict, body: bytes, content_type: str, base64_encoded: bool = True) -> dict:
    """The recorded event carrying `body` as API Gateway hands it over: base64 text, or the text itself."""
    event = copy.deepcopy(event)
    event["body"] = base64.b64encode(body).decode("ascii") if base64_encoded else body.decode("utf-8")
    event["isBase64Encoded"] = base64_encoded
    set_header(event, "Content-Type", content_type)
    if get_header(event, "Content-Length") is not None:
        set_header(event, "Content-Length", str(len(body)))
    return event


def set_header(event: dict, name: str, value: str) -> None:
    """Set a request header where the event keeps it: REST events keep the client's spelling in `headers`
    and `multiValueHeaders`, HTTP API events have lower-case `headers` only."""
    for field, wrap in (("headers", lambda v: v), ("multiValueHeaders", lambda v: [v])):
        headers = event.get(field)
        if headers is None:
            continue
        key = next((key for key in headers if key.lower() == name.lower()), None)
        headers[key or (name.lower() if event.get("version") == "2.0" else name)] = wrap(value)


def get_header(message: dict, name: str) -> str | None:
    """A header of an event or of a handler's answer (answers to v1 events carry `multiValueHeaders`)."""
    for key, value in (message.get("headers") or {}).items():
        if key.lower() == name.lower():
            return value
    for key, values in (message.get("multiValueHeaders") or {}).items():
        if key.lower() == name.lower():
            return values[-1]
    return None


def json_answer(response: dict) -> dict:
    assert get_header(response, "Content-Type") == "application/json", response
    assert response["isBase64Encoded"] is False  # JSON goes back to API Gateway as text
    return json.loads(response["body"])


def predict_json(image: bytes, task: str = "digit") -> bytes:
    data_url = "data:image/png;base64," + base64.b64encode(image).decode("ascii")
    return json.dumps({"image": data_url, "task": task}).encode()


def multipart(image: bytes, task: str, boundary: str = "----text-recognizer-7MA4YWxkTrZu0gW") -> tuple[bytes, str]:
    """A browser-style form upload: the body and its Content-Type."""
    head = "\r\n".join(
        [
            f"--{boundary}",
            'Content-Disposition: form-data; name="task"',
            "",
            task,
            f"--{boundary}",
            'Content-Disposition: form-data; name="file"; filename="digit.png"',
            "Content-Type: image/png",
            "",
            "",
        ]
    )
    body = head.encode() + image + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_recorded_events_have_api_gateway_shapes():
    rest = recorded("rest_v1_post_predict.json")
    assert "version" not in rest  # payload format 1.0 has no version field
    assert (rest["resource"], rest["path"], rest["httpMethod"]) == ("/v1/predict", "/v1/predict", "POST")
    assert rest["requestContext"]["path"] == f"/{rest['requestContext']['stage']}/v1/predict"
    assert rest["requestContext"]["identity"]["sourceIp"] and rest["requestContext"]["requestId"]
    assert {key: [value] for key, value in rest["headers"].items()} == rest["multiValueHeaders"]
    for name in ("http_v2_post_predict.json", "http_v2_get_health.json"):
        http = recorded(name)
        method, path = http["routeKey"].split()
        assert http["version"] == "2.0" and http["rawPath"] == path and http["rawQueryString"] == ""
        assert (http["requestContext"]["http"]["method"], http["requestContext"]["http"]["path"]) == (method, path)
        assert all(key == key.lower() for key in http["headers"])  # HTTP APIs lower-case header names


def test_health_through_an_http_api_event(handler):
    response = handler(recorded("http_v2_get_health.json"), None)
    assert response["statusCode"] == 200
    body = json_answer(response)
    assert body["status"] == "ok"
    assert {name.split("@")[0] for name in body["models"]} == {
        "emnist_character_cnn",
        "mnist_digit_cnn",
        "emnist_lines_ctc",
        "handwriting_cnn_bilstm_ctc",
        "line_detector_fcn",
    }
    assert get_header(response, "X-Request-ID")


@pytest.mark.parametrize("event_file", POST_EVENTS)
@pytest.mark.parametrize("base64_encoded", [True, False], ids=["base64-body", "text-body"])
def test_reads_a_drawn_digit_through_each_payload_format(handler, event_file, base64_encoded):
    """A REST API hands JSON over as text unless application/json is one of its binary media types, an
    HTTP API as text or base64 as it sees fit: the handler reads both."""
    event = with_body(recorded(event_file), predict_json(drawn_stroke()), "application/json", base64_encoded)
    response = handler(event, None)
    assert response["statusCode"] == 200, response["body"]
    body = json_answer(response)
    assert body["pred"] in list("0123456789") and 0.0 <= body["conf"] <= 1.0
    assert body["task"] == "digit" and body["model"].startswith("mnist_digit_cnn@")


def test_multipart_upload_through_a_rest_api_event(handler):
    """Form uploads are a binary media type of the REST API: they arrive base64-encoded."""
    body, content_type = multipart(drawn_stroke(), "digit")
    response = handler(with_body(recorded("rest_v1_post_predict.json"), body, content_type), None)
    assert response["statusCode"] == 200, response["body"]
    answer = json_answer(response)
    assert answer["task"] == "digit" and answer["pred"] in list("0123456789")


def test_reads_real_digits_through_both_payload_formats_and_uploads(handler, mnist_digits):
    for image, label in mnist_digits[:3]:
        for event_file in POST_EVENTS:
            response = handler(with_body(recorded(event_file), predict_json(image), "application/json"), None)
            assert json_answer(response)["pred"] == label, event_file
        body, content_type = multipart(image, "digit")
        response = handler(with_body(recorded("rest_v1_post_predict.json"), body, content_type), None)
        assert json_answer(response)["pred"] == label, "multipart"


BAD_BODIES = {
    "not_an_image": (predict_json(b"this is not an image"), "application/json", 400, "bad_image"),
    "bad_base64": (b'{"image": "data:image/png;base64,@@@", "task": "digit"}', "application/json", 400, "bad_base64"),
    "not_json": (b'{"image": ', "application/json", 400, "bad_json"),
    "unknown_task": (predict_json(drawn_stroke(), task="poem"), "application/json", 400, "unknown_task"),
    "upload_not_an_image": (*multipart(b"plain text, not a PNG", "digit"), 400, "bad_image"),
    "plain_text": (b"hello", "text/plain", 415, "unsupported_content_type"),
}


@pytest.mark.parametrize("event_file", POST_EVENTS)
@pytest.mark.parametrize("case", BAD_BODIES)
def test_bad_bodies_get_a_json_4xx_through_the_handler(handler, event_file, case):
    body, content_type, status, error = BAD_BODIES[case]
    response = handler(with_body(recorded(event_file), body, content_type), None)
    assert response["statusCode"] == status, response["body"]
    answer = json_answer(response)
    assert answer["error"] == error and answer["detail"]


@pytest.mark.parametrize("event_file", POST_EVENTS)
def test_the_recorded_placeholder_body_itself_is_refused(handler, event_file):
    """The events' own bodies hold `data:image/png;base64,...`: a client error, not a 500."""
    response = handler(recorded(event_file), None)
    assert response["statusCode"] == 400
    assert json_answer(response)["error"] == "bad_base64"


def test_unknown_route_is_a_json_404(handler):
    event = recorded("http_v2_get_health.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/v2/nothing"
    response = handler(event, None)
    assert response["statusCode"] == 404
    assert json_answer(response)["error"] == "not_found"
