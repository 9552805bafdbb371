"""Fuzz the prediction service with malformed requests: every answer must be a 4xx, never a 500 or a crash.

    python -m evaluation.fuzz_api                    # starts gunicorn itself, 1,000 requests, seed 0
    python -m evaluation.fuzz_api --url http://127.0.0.1:8000 --count 5000 --seed 7

The requests are drawn, reproducibly from the seed, from mutations of a valid PNG (bit flips, truncation,
huge declared sizes), random bytes, broken base64 and data URLs, JSON of the wrong shape, wrong content
types, JSON nested 100,000 deep, headers of formats no photo comes in, broken multipart bodies and odd
query strings. A bit flip that leaves an image decodable (PNG does not
checksum pixel data strongly enough to catch every flip) is read like any image: those 200 answers are
counted apart. Afterwards the server must still read a real image correctly. Exit status 1 on any 5xx,
dropped connection, other 2xx, or a server that stopped reading.
"""

import argparse
import base64
import io
import json
import random
import struct
import sys
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from api.launch import start_server, stop_server
from evaluation.http_client import Connection, HttpRequest, health_problem

JSON = (("Content-Type", "application/json"),)
# The first bytes of formats Pillow knows but a photo never comes in (EPS would run Ghostscript).
OTHER_FORMAT_HEADERS = [
    b"%!PS-Adobe-3.0 EPSF-3.0\n",
    b"DDS |\0\0\0",
    b"icns",
    b"8BPS\0\1",
    b"FORM\0\0\0\0ILBM",
    b"\0\0\1\0",
]


def drawn_seven() -> bytes:
    """A hand-drawn-looking 7, dark on white, that the digit model reads correctly."""
    image = np.full((96, 80), 255, dtype=np.uint8)
    image[14:24, 14:66] = 0
    for row in range(24, 84):
        column = int(64 - (row - 24) * 0.45)
        image[row, column - 5 : column + 5] = 0
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def json_request(payload) -> HttpRequest:
    return HttpRequest("POST", "/v1/predict", json.dumps(payload).encode(), JSON)


def image_request(data: bytes, task: str = "digit") -> HttpRequest:
    return json_request({"image": "data:image/png;base64," + base64.b64encode(data).decode(), "task": task})


def png_with_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares `width` x `height`: a decompression bomb's first bytes."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 32)) + chunk(b"IEND", b"")
    )


def multipart(body: bytes, boundary: str = "fuzz") -> HttpRequest:
    return HttpRequest("POST", "/v1/predict", body, (("Content-Type", f"multipart/form-data; boundary={boundary}"),))


def malformed_requests(valid_png: bytes, count: int, seed: int = 0) -> Iterator[tuple[bool, HttpRequest]]:
    """`count` (is a bit-flipped image, request) pairs, each from one of the generators below chosen by a seeded RNG."""
    rng = random.Random(seed)

    def flipped() -> HttpRequest:
        data = bytearray(valid_png)
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(8, len(data))] ^= 1 << rng.randrange(8)  # keep the signature: reach the decoder
        return image_request(bytes(data), rng.choice(["digit", "character", "line", "handwriting", "paragraph"]))

    generators = [
        flipped,
        lambda: image_request(valid_png[: rng.randrange(0, len(valid_png) - 20)]),  # cut inside the pixel data
        lambda: image_request(png_with_size(rng.choice([0, 1, 2**31 - 1, 100_000]), rng.choice([0, 1, 65_535]))),
        lambda: image_request(rng.randbytes(rng.randint(0, 2000))),
        lambda: json_request({"image": "data:image/png;base64," + "".join(rng.choices("!@#$%^&*()-_ ", k=40))}),
        lambda: json_request({"image": rng.choice([None, 0, 1.5, [], {}, True, "", "   ", "data:", "data:;base64,"])}),
        lambda: json_request(rng.choice([[], "image", 42, None, {"img": "x"}, {"image": "aGVsbG8="}])),
        lambda: (
            json_request({"image": base64.b64encode(valid_png).decode(), "task": rng.choice([1, [], "LINE", "x"])})
            if rng.random() < 0.5
            else json_request({"image": base64.b64encode(valid_png).decode(), "task": "../etc/passwd"})
        ),
        lambda: HttpRequest("POST", "/v1/predict", rng.randbytes(rng.randint(0, 500)), JSON),
        lambda: HttpRequest("POST", "/v1/predict", rng.choice([b"[", b'{"image":']) * rng.randint(1000, 200_000), JSON),
        lambda: image_request(rng.choice(OTHER_FORMAT_HEADERS) + rng.randbytes(rng.randint(0, 200))),
        lambda: HttpRequest(
            "POST",
            "/v1/predict",
            valid_png,
            (("Content-Type", rng.choice(["image/png", "text/plain", "application/xml", "application/octet-stream"])),),
        ),
        lambda: multipart(rng.randbytes(rng.randint(0, 300))),
        lambda: multipart(b'--fuzz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'),
        lambda: multipart(
            b'--fuzz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
            + rng.randbytes(100)
            + b"\r\n--fuzz--\r\n"
        ),
        lambda: HttpRequest(
            "GET",
            "/v1/predict?"
            + rng.choice(
                [
                    "",
                    "image_url=",
                    "image_url=ftp://x/a.png",
                    "image_url=http://127.0.0.1/a.png",
                    "image_url=http://169.254.169.254/latest",
                    "image_url=%ZZ",
                    "task=line",
                ]
            ),
        ),
        lambda: HttpRequest(rng.choice(["PUT", "DELETE", "PATCH"]), "/v1/predict", b"{}", JSON),
        lambda: HttpRequest("GET", "/v0/" + "".join(rng.choices("abc/%.", k=rng.randint(1, 30)))),
    ]
    for _ in range(count):
        generator = rng.choice(generators)
        yield generator is flipped, generator()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server; by default gunicorn is started on loopback")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    problem = health_problem(args.url) if args.url else None
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    process, url = (None, args.url) if args.url else start_server(sys.executable, Path(tempfile.mkdtemp()) / "fuzz.log")
    valid = drawn_seven()
    try:
        connection = Connection(url)
        answers = [(flip, connection.send(r)[0]) for flip, r in malformed_requests(valid, args.count, args.seed)]
        status, body, _ = connection.send(image_request(valid))
        connection.close()
    finally:
        if process is not None:
            stop_server(process)
    statuses = Counter(code for _, code in answers)
    decoded_flips = sum(flip and code == 200 for flip, code in answers)
    failures = sum(not 400 <= code < 500 for _, code in answers) - decoded_flips
    answer = json.loads(body) if status == 200 else {}
    print(
        f"{args.count} malformed requests (seed {args.seed}): "
        + ", ".join(f"{n} x {c}" for c, n in sorted(statuses.items()))
    )
    print(f"bit-flipped images that still decoded and were read (200): {decoded_flips}")
    print(f"answers that were neither 4xx nor such a read: {failures}")
    print(f"afterwards a drawn 7 is read as {answer.get('pred')!r} (HTTP {status})")
    return 0 if failures == 0 and answer.get("pred") == "7" else 1


if __name__ == "__main__":
    sys.exit(main())
