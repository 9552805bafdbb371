"""Find the image and the task in a request: JSON with base64, a multipart upload, or an image URL."""

import base64
import binascii
import re
from dataclasses import dataclass

from flask import Request

from api.errors import ApiError
from api.settings import Settings
from api.url_fetch import FetchError, fetch

DATA_URL = re.compile(r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w.+-]+=[\w.+-]+)*);base64,", re.ASCII)


@dataclass(frozen=True)
class ImageRequest:
    data: bytes  # the encoded image file
    task: str
    source: str  # "json", "upload" or "url"


def parse(request: Request, settings: Settings, tasks: list[str]) -> ImageRequest:
    """The encoded image and task of a /v1/predict request, or an ApiError saying what is wrong.

    The task is checked against `tasks` before any image is decoded or fetched.
    """
    if request.method in ("GET", "HEAD"):
        return _from_url(request, settings, tasks)
    if request.mimetype == "application/json":
        return _from_json(request, settings, tasks)
    if request.mimetype == "multipart/form-data":
        return _from_upload(request, settings, tasks)
    raise ApiError(
        415,
        "unsupported_content_type",
        f"send application/json with an 'image' field or multipart/form-data with a 'file' field, "
        f"not {request.mimetype or 'a body without Content-Type'}",
    )


def _from_json(request: Request, settings: Settings, tasks: list[str]) -> ImageRequest:
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nesting deeper than the parser's stack: not an image request either
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", 'the body must be a JSON object like {"image": "data:image/png;base64,..."}')
    image = body.get("image")
    if not isinstance(image, str) or not image.strip():
        raise ApiError(400, "missing_image", "the JSON body needs an 'image' field: a base64 string or data URL")
    task = _task(body.get("task"), settings, tasks)
    return ImageRequest(decode_base64_image(image), task, "json")


def _from_upload(request: Request, settings: Settings, tasks: list[str]) -> ImageRequest:
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(400, "missing_image", "the form needs a 'file' field holding the image")
    data = upload.read()
    if not data:
        raise ApiError(400, "empty_image", "the uploaded file is empty")
    return ImageRequest(data, _task(request.form.get("task"), settings, tasks), "upload")


def _from_url(request: Request, settings: Settings, tasks: list[str]) -> ImageRequest:
    url = request.args.get("image_url", "").strip()
    if not url:
        raise ApiError(400, "missing_image", "give the image as ?image_url=https://..., or POST it")
    task = _task(request.args.get("task"), settings, tasks)
    try:
        data = fetch(url, settings.fetch)
    except FetchError as error:
        code = "image_url_refused" if error.status == 403 else "image_url_failed"
        raise ApiError(error.status, code, str(error)) from error
    if not data:
        raise ApiError(400, "empty_image", "the image URL returned an empty body")
    return ImageRequest(data, task, "url")


def decode_base64_image(text: str) -> bytes:
    """The bytes of a data URL (`data:image/png;base64,...`) or of bare base64 text."""
    text = text.strip()
    match = DATA_URL.match(text)
    if match:
        text = text[match.end() :]
    elif text.startswith("data:"):
        raise ApiError(400, "bad_base64", "only base64 data URLs are read: data:image/png;base64,...")
    try:
        data = base64.b64decode(re.sub(r"\s+", "", text), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ApiError(400, "bad_base64", f"the image is not valid base64 ({error})") from error
    if not data:
        raise ApiError(400, "empty_image", "the image field decodes to no bytes")
    return data


def _task(value, settings: Settings, tasks: list[str]) -> str:
    if value is None or value == "":
        return settings.default_task
    if not isinstance(value, str) or value not in tasks:
        raise ApiError(400, "unknown_task", f"unknown task {value!r}: choose one of {', '.join(tasks)}")
    return value
