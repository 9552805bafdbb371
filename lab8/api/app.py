"""The Flask app: the JSON API (`/health`, `/v1/predict`) and a web page for people (`/`).

    flask --app api.app run --debug     # development server, from this lab's folder
    gunicorn -c api/gunicorn.conf.py    # production (what `make serve` and the container run)

Every bad input is answered with a 4xx JSON error `{"error": ..., "detail": ...}` (an HTML page on
`/`), never a 500; the models are loaded once, when the app is created.
"""

import base64
import io
import json
import logging
import time

import numpy as np
from flask import Flask, Request, jsonify, render_template, request
from PIL import Image, ImageDraw
from werkzeug.exceptions import HTTPException

from api import image_request, request_log
from api.errors import ApiError
from api.recognizer import Reading, Recognizer
from api.settings import Settings
from text_recognizer.predictors.image_io import ImageError, decode_bytes

LOGGER = logging.getLogger(__name__)
PREVIEW_SIDE = 480  # the web page shows the image it read at most this large
PAGE_PREVIEW_SIDE = 900  # ... and a page with its lines drawn at most this large
LINE_COLOURS = ((220, 0, 0), (0, 90, 220))  # alternate, so that neighbouring lines' outlines stay apart


class FormLimitedRequest(Request):
    max_form_parts = 20  # a form holds a file and a task: floods of parts are refused early


def create_app(settings: Settings | None = None, recognizer: Recognizer | None = None) -> Flask:
    settings = settings or Settings.from_env()
    recognizer = recognizer or Recognizer()
    if settings.default_task not in recognizer.tasks:
        raise ValueError(f"default task {settings.default_task!r} is not one of {recognizer.tasks}")
    app = Flask(__name__)
    app.request_class = FormLimitedRequest
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    request_log.configure(app)

    def read(parsed: image_request.ImageRequest) -> tuple[np.ndarray, Reading]:
        request_log.note(task=parsed.task, source=parsed.source, image_bytes=len(parsed.data))
        try:
            grey = decode_bytes(parsed.data, settings.max_pixels)
            request_log.note(image_mean_intensity=round(float(grey.mean()), 2))
            reading = recognizer.read(parsed.task, grey)
        except ImageError as error:
            raise ApiError(400, "bad_image", str(error)) from error
        except MemoryError as error:  # a backstop: the pixel cap and preprocessing bound memory already
            raise ApiError(413, "image_too_large", "the image is too large to process; send a smaller one") from error
        request_log.note(confidence=round(reading.confidence, 4), model_ms=round(reading.latency_ms, 2))
        return grey, reading

    @app.get("/health")
    def health():
        return jsonify(status="ok", models=[recognizer.model_names[task] for task in recognizer.tasks])

    @app.route("/v1/predict", methods=["GET", "POST"])
    def predict():
        started = time.perf_counter()
        _, reading = read(image_request.parse(request, settings, recognizer.tasks))
        answer = {"pred": reading.text, "conf": round(reading.confidence, 6), "task": reading.task}
        if reading.lines is not None:  # a page: FSDL's pred and conf, plus each line found
            answer["lines"] = [
                {"box": list(line.box), "text": line.text, "conf": round(line.confidence, 6)} for line in reading.lines
            ]
        answer["model"] = reading.model
        answer["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return jsonify(answer)

    @app.get("/")
    def page():
        return render_template("index.html", tasks=recognizer.tasks, task=settings.default_task)

    @app.post("/")
    def page_upload():
        """The form without JavaScript: read the uploaded file and render the page with the answer."""
        try:
            grey, reading = read(image_request.parse(request, settings, recognizer.tasks))
        except ApiError as error:
            request_log.note(error=error.error)
            return page_with_error(error.detail, error.status, request.form.get("task"))
        if reading.lines is not None:  # a page: the lines found, drawn on it, instead of the model's input
            return render_template(
                "index.html",
                tasks=recognizer.tasks,
                task=reading.task,
                reading=reading,
                image_url=_png_data_url(_with_lines(grey, reading.lines)),
            )
        return render_template(
            "index.html",
            tasks=recognizer.tasks,
            task=reading.task,
            reading=reading,
            image_url=_png_data_url(_preview(grey)),
            model_input_url=_png_data_url(reading.model_input),
        )

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        request_log.note(error=error.error)
        return jsonify(error.as_json()), error.status

    def page_with_error(detail: str, status: int, task: str | None = None):
        page = render_template("index.html", tasks=recognizer.tasks, task=task or settings.default_task, error=detail)
        return page, status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        """Werkzeug's own 4xx (body too large, bad method, unknown route...): JSON, or the page for its form."""
        code = (error.name or "error").lower().replace(" ", "_")
        request_log.note(error=code)
        if request.path == "/" and request.method == "POST":
            return page_with_error(error.description or code, error.code or 500)
        response = error.get_response()  # keeps headers such as a 405's Allow
        response.set_data(json.dumps({"error": code, "detail": error.description}))
        response.content_type = "application/json"
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        LOGGER.exception("unexpected error")
        request_log.note(error="internal_error")
        return jsonify(error="internal_error", detail="the server failed on this request; it is logged"), 500

    return app


def _preview(grey: np.ndarray) -> np.ndarray:
    image = Image.fromarray(grey)
    image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
    return np.asarray(image)


def _with_lines(grey: np.ndarray, lines) -> np.ndarray:
    """The page's preview in colour with each line's outline drawn and numbered in reading order."""
    preview = Image.fromarray(grey).convert("RGB")
    scale = min(1.0, PAGE_PREVIEW_SIDE / max(preview.size))
    preview = preview.resize((max(1, round(preview.width * scale)), max(1, round(preview.height * scale))))
    draw = ImageDraw.Draw(preview)
    for number, line in enumerate(lines, start=1):
        outline = [(x * scale, y * scale) for x, y in line.polygon]
        draw.polygon(outline, outline=LINE_COLOURS[number % 2], width=2)
        draw.text((line.box[0] * scale + 2, line.box[1] * scale), str(number), fill=LINE_COLOURS[number % 2])
    return np.asarray(preview)


def _png_data_url(image: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
