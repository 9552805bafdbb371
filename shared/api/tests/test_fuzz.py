"""A seeded fuzz run through the test client (malformed requests get 4xx answers, never a 500), and what the
fuzz and load scripts say when they cannot run."""

from collections import Counter

import pytest

from api.app import create_app
from api.recognizer import Recognizer
from api.settings import Settings
from evaluation import fuzz_api, load_test_api
from evaluation.fuzz_api import drawn_seven, image_request, malformed_requests
from text_recognizer.data.errors import DataError


def test_malformed_requests_get_4xx_and_the_app_still_reads():
    client = create_app(Settings(), Recognizer()).test_client()
    valid = drawn_seven()
    answers = Counter()
    for flipped, request in malformed_requests(valid, count=400, seed=1):
        status = client.open(request.path, method=request.method, data=request.body, headers=dict(request.headers))
        answers["decoded flip" if flipped and status.status_code == 200 else status.status_code // 100] += 1
    assert answers[4] >= 380 and set(answers) <= {4, "decoded flip"}, answers
    after = image_request(valid)
    response = client.open(after.path, method=after.method, data=after.body, headers=dict(after.headers))
    assert response.json["pred"] == "7"


@pytest.mark.parametrize("script", [fuzz_api, load_test_api])
def test_scripts_say_when_nothing_answers_at_the_url(script, capsys):
    assert script.main(["--url", "http://127.0.0.1:1"]) == 2
    assert "nothing answers at http://127.0.0.1:1" in capsys.readouterr().err


def test_load_test_says_what_data_it_needs(monkeypatch, capsys):
    def missing(task):
        raise DataError("emnist: no raw files here")

    monkeypatch.setattr(load_test_api, "payloads", missing)
    assert load_test_api.main(["--requests", "1"]) == 2
    assert "held-out images" in capsys.readouterr().err
