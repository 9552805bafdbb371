"""The JSON API through Flask's test client: the FSDL contract, the extra fields, every bad input a 4xx."""

import base64
import io
import json
import logging

import numpy as np
import pytest
from PIL import Image

from api.app import create_app
from api.recognizer import Recognizer
from api.request_log import LOGGER
from api.settings import Settings
from api.tests.conftest import drawn_stroke, png_bytes
from evaluation.fuzz_api import png_with_size
from text_recognizer.metrics import character_error_rate


def data_url(data: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


@pytest.fixture(scope="module")
def recognizer():
    return Recognizer()


@pytest.fixture(scope="module")
def client(recognizer):
    return create_app(Settings(), recognizer).test_client()


def test_health_lists_the_loaded_models(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert {name.split("@")[0] for name in response.json["models"]} == {
        "emnist_character_cnn",
        "mnist_digit_cnn",
        "emnist_lines_ctc",
        "handwriting_cnn_bilstm_ctc",
        "line_detector_fcn",
    }


def test_fsdl_contract_and_extra_fields(client, stroke_png):
    response = client.post("/v1/predict", json={"image": data_url(stroke_png), "task": "digit"})
    assert response.status_code == 200
    body = response.json
    assert isinstance(body["pred"], str) and 0.0 <= body["conf"] <= 1.0
    assert body["task"] == "digit" and body["model"].startswith("mnist_digit_cnn@") and body["latency_ms"] > 0


def test_reads_real_digits_sent_as_data_urls_bare_base64_and_uploads(client, mnist_digits):
    (first, first_label), *others = mnist_digits
    bare = base64.b64encode(first).decode("ascii")
    assert client.post("/v1/predict", json={"image": bare, "task": "digit"}).json["pred"] == first_label
    upload = {"file": (io.BytesIO(first), "digit.png"), "task": "digit"}
    assert client.post("/v1/predict", data=upload).json["pred"] == first_label
    answers = [client.post("/v1/predict", json={"image": data_url(png), "task": "digit"}).json for png, _ in others]
    assert sum(a["pred"] == label for a, (_, label) in zip(answers, others, strict=True)) >= len(others) - 1


def test_handwriting_is_the_default_task_and_reads_a_real_line(client, handwritten_line):
    jpeg, text = handwritten_line
    body = client.post("/v1/predict", json={"image": data_url(jpeg, "image/jpeg")}).json
    assert body["task"] == "handwriting"
    # One line: about 0.03 for this model with its beam search (test CER 0.13); the Lab 2 EMNIST Lines model
    # reads it at about 0.9.
    assert character_error_rate([body["pred"]], [text]) <= 0.3, (body["pred"], text)


def test_the_paragraph_task_reads_a_real_page_line_by_line(client, handwritten_page):
    jpeg, text, line_count = handwritten_page
    upload = {"file": (io.BytesIO(jpeg), "page.jpg"), "task": "paragraph"}
    body = client.post("/v1/predict", data=upload).json
    assert body["task"] == "paragraph" and body["model"].startswith("line_detector_fcn@")
    assert 0 < body["conf"] <= 1 and body["pred"] == "\n".join(line["text"] for line in body["lines"])
    assert abs(len(body["lines"]) - line_count) <= 1  # the page's lines, its reference number included
    width, height = Image.open(io.BytesIO(jpeg)).size
    for line in body["lines"]:
        left, top, right, bottom = line["box"]
        assert 0 <= left < right <= width and 0 <= top < bottom <= height and 0 < line["conf"] <= 1
    tops = [line["box"][1] for line in body["lines"]]
    assert tops == sorted(tops)  # reading order, top to bottom on a one-column page
    assert character_error_rate([" ".join(body["pred"].split())], [" ".join(text.split())]) <= 0.45


def test_a_blank_page_reads_as_nothing(client):
    blank = png_bytes(np.full((1200, 900), 235, np.uint8))
    body = client.post("/v1/predict", json={"image": data_url(blank), "task": "paragraph"}).json
    assert (body["pred"], body["conf"], body["lines"]) == ("", 0.0, [])


def test_the_line_task_reads_emnist_lines(client, emnist_line):
    png, text = emnist_line
    body = client.post("/v1/predict", json={"image": data_url(png), "task": "line"}).json
    assert body["task"] == "line"
    assert character_error_rate([body["pred"]], [text]) <= 0.15, (body["pred"], text)


def test_reads_light_ink_on_dark_and_jpeg(client, mnist_digits):
    png, label = mnist_digits[0]
    inverted = 255 - np.asarray(Image.open(io.BytesIO(png)))
    for data in (png_bytes(inverted), png_bytes(Image.open(io.BytesIO(png)), "JPEG")):
        assert client.post("/v1/predict", json={"image": data_url(data), "task": "digit"}).json["pred"] == label


def bad_requests(stroke_png: bytes) -> list:
    """(what is wrong, request keyword arguments, expected status, expected error code)"""
    truncated_png = stroke_png[: len(stroke_png) // 2]
    jpeg = png_bytes(Image.open(io.BytesIO(stroke_png)), "JPEG")
    return [
        ("json without image", {"json": {"task": "digit"}}, 400, "missing_image"),
        ("empty image field", {"json": {"image": ""}}, 400, "missing_image"),
        ("image not a string", {"json": {"image": 42}}, 400, "missing_image"),
        ("json array body", {"json": [1, 2]}, 400, "bad_json"),
        ("malformed json", {"data": b"{not json", "content_type": "application/json"}, 400, "bad_json"),
        ("bad base64", {"json": {"image": "data:image/png;base64,@@@not*base64"}}, 400, "bad_base64"),
        ("non-base64 data url", {"json": {"image": "data:image/png,rawbytes"}}, 400, "bad_base64"),
        ("not an image", {"json": {"image": data_url(b"hello, world")}}, 400, "bad_image"),
        ("truncated png", {"json": {"image": data_url(truncated_png)}}, 400, "bad_image"),
        ("truncated jpeg", {"json": {"image": data_url(jpeg[: len(jpeg) // 2])}}, 400, "bad_image"),
        ("one pixel", {"json": {"image": data_url(png_bytes(np.zeros((1, 1), np.uint8)))}}, 400, "bad_image"),
        ("blank page", {"json": {"image": data_url(png_bytes(np.full((50, 50), 255, np.uint8)))}}, 400, "bad_image"),
        ("decompression bomb", {"json": {"image": data_url(png_with_size(50_000, 50_000))}}, 400, "bad_image"),
        ("unknown task", {"json": {"image": data_url(stroke_png), "task": "poem"}}, 400, "unknown_task"),
        ("task not a string", {"json": {"image": data_url(stroke_png), "task": ["line"]}}, 400, "unknown_task"),
        ("wrong content type", {"data": stroke_png, "content_type": "image/png"}, 415, "unsupported_content_type"),
        ("no content type", {"data": b"x"}, 415, "unsupported_content_type"),
        ("form without file", {"data": {"task": "digit"}, "content_type": "multipart/form-data"}, 400, "missing_image"),
        ("empty upload", {"data": {"file": (io.BytesIO(b""), "empty.png")}}, 400, "empty_image"),
    ]


BAD_REQUESTS = bad_requests(drawn_stroke())


@pytest.mark.parametrize(("name", "kwargs", "status", "error"), BAD_REQUESTS, ids=[case[0] for case in BAD_REQUESTS])
def test_bad_input_gets_a_json_4xx_that_says_what_to_do(client, name, kwargs, status, error):
    response = client.post("/v1/predict", **kwargs)
    assert (response.status_code, response.json["error"]) == (status, error), name
    assert len(response.json["detail"]) > 10, name


def test_body_over_the_limit_is_refused_before_reading(recognizer, stroke_png):
    client = create_app(Settings(max_body_bytes=1000), recognizer).test_client()
    response = client.post("/v1/predict", json={"image": data_url(stroke_png + b"\0" * 2000)})
    assert response.status_code == 413 and response.json["error"] == "request_entity_too_large"


def test_image_over_the_pixel_cap_is_refused(recognizer):
    client = create_app(Settings(max_pixels=10_000), recognizer).test_client()
    response = client.post("/v1/predict", json={"image": data_url(png_bytes(np.zeros((200, 200), np.uint8)))})
    assert response.status_code == 400 and "pixels" in response.json["detail"]


def test_unknown_routes_and_methods_answer_json(client):
    assert client.get("/v2/predict").json["error"] == "not_found"
    response = client.delete("/v1/predict")
    assert response.status_code == 405 and response.json["error"] == "method_not_allowed"


def test_image_url_without_url_says_how(client):
    response = client.get("/v1/predict")
    assert response.status_code == 400 and "image_url" in response.json["detail"]


def test_one_json_log_line_per_request_without_image_bytes(client, stroke_png):
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(json.loads(record.getMessage()))
    LOGGER.addHandler(handler)
    try:
        image = data_url(stroke_png)
        ok = client.post("/v1/predict", json={"image": image, "task": "digit"}, headers={"X-Request-ID": "abc-123"})
        bad = client.post("/v1/predict", json={"image": "%%%"})
    finally:
        LOGGER.removeHandler(handler)
    assert ok.headers["X-Request-ID"] == "abc-123" and len(bad.headers["X-Request-ID"]) == 32
    assert [r["status"] for r in records] == [200, 400]
    assert records[0]["request_id"] == "abc-123"
    assert {"task", "latency_ms", "confidence", "image_mean_intensity"} <= records[0].keys()
    assert records[1]["error"] == "bad_base64"
    assert image[30:60] not in json.dumps(records)


def test_settings_come_from_the_environment():
    settings = Settings.from_env(
        {"TEXT_RECOGNIZER_MAX_BODY_BYTES": "1000", "TEXT_RECOGNIZER_URL_ALLOWLIST": "127.0.0.1, images.local"}
    )
    assert settings.max_body_bytes == 1000
    assert settings.fetch.allowlist == {"127.0.0.1", "images.local"}
    with pytest.raises(ValueError, match="MAX_PIXELS"):
        Settings.from_env({"TEXT_RECOGNIZER_MAX_PIXELS": "lots"})


def test_json_nested_deeper_than_the_parser_goes_is_bad_json(client):
    response = client.post("/v1/predict", data=b"[" * 100_000, content_type="application/json")
    assert (response.status_code, response.json["error"]) == (400, "bad_json")


def test_head_is_answered_like_get_and_405_says_what_is_allowed(client):
    assert client.head("/v1/predict").status_code == 400
    response = client.put("/v1/predict", json={})
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


def test_page_form_over_the_size_limit_gets_the_page_with_an_error(recognizer, stroke_png):
    client = create_app(Settings(max_body_bytes=1000), recognizer).test_client()
    upload = {"file": (io.BytesIO(stroke_png + b"\0" * 2000), "big.png"), "task": "digit"}
    response = client.post("/", data=upload)
    assert response.status_code == 413 and response.mimetype == "text/html"
    assert b'id="error"' in response.data
