"""A seeded fuzz run through the test client: malformed requests get 4xx answers, never a 500."""

from collections import Counter

from api.app import create_app
from api.recognizer import Recognizer
from api.settings import Settings
from evaluation.fuzz_api import drawn_seven, image_request, malformed_requests


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
