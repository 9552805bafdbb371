"""`python -m text_recognizer.predict`: one JSON object per image, errors reported, others still read."""

import json
import subprocess
import sys

import numpy as np
from PIL import Image

from text_recognizer import paths


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "text_recognizer.predict", *args],
        capture_output=True,
        text=True,
        cwd=paths.PACKAGE_DIR.parent,
        check=False,
    )


def write_digit(path, inverted=False):
    image = np.full((120, 80), 255, dtype=np.uint8)
    image[15:105, 36:46] = 0
    Image.fromarray(255 - image if inverted else image).save(path)
    return str(path)


def test_json_lines_for_good_and_bad_images(tmp_path):
    good = write_digit(tmp_path / "one.png")
    inverted = write_digit(tmp_path / "one-inverted.jpg", inverted=True)
    corrupt = tmp_path / "scan.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    result = run_cli("--task", "digit", "--json", good, str(tmp_path / "absent.png"), str(corrupt), inverted)
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["image"] for r in records] == [good, str(tmp_path / "absent.png"), str(corrupt), inverted]
    assert records[0]["text"] == records[3]["text"] == "1"
    assert 0 < records[0]["confidence"] <= 1
    assert "no such file" in records[1]["error"]
    assert "not an image in a format read here" in records[2]["error"] and "header is corrupt" in records[2]["error"]
    assert "no such file" in result.stderr


def test_plain_output_and_success_status(tmp_path):
    result = run_cli("--task", "character", write_digit(tmp_path / "a.png"))
    assert result.returncode == 0
    assert "a.png: '" in result.stdout and "confidence" in result.stdout


def test_unknown_task_is_refused():
    result = run_cli("--task", "poetry", "x.png")
    assert result.returncode == 2 and "invalid choice" in result.stderr
