"""IAM forms in IAM's own layout, written by the tests: parsing, scaling, the writer-independent split, unpacking."""

import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from text_recognizer import paths
from text_recognizer.data import iam
from text_recognizer.data.errors import DataFormatError, MissingDataError

FORM = """<?xml version="1.0" encoding="ISO-8859-1"?>
<form created="2000-01-01" height="{height}" id="{form}" width="{width}" writer-id="{writer}">
<machine-printed-part><machine-print-line text="A MOVE to stop Mr. Gaitskell"/></machine-printed-part>
<handwritten-part>
<line id="{form}-00" text="A MOVE to &quot;stop&quot;" segmentation="ok">
  <word id="{form}-00-00" text="A"><cmp x="100" y="200" width="40" height="60"/></word>
  <word id="{form}-00-01" text="MOVE"><cmp x="160" y="190" width="50" height="70"/>
    <cmp x="215" y="195" width="45" height="66"/></word>
</line>
<line id="{form}-01" text="Mr. Gaitskell &amp; co">
  <word id="{form}-01-00" text="Mr."><cmp x="110" y="400" width="300" height="80"/></word>
</line>
<line id="{form}-02" text=" "><word id="{form}-02-00" text=""/></line>
<line id="{form}-03" text="no boxes"><word id="{form}-03-00" text="no"/></line>
</handwritten-part>
</form>
"""


def write_form(root: Path, form: str, writer: str, size=(1000, 800), declared=(1000, 800), ext=".png") -> None:
    (root / "forms").mkdir(parents=True, exist_ok=True)
    (root / "xml").mkdir(exist_ok=True)
    Image.fromarray(np.full(size[::-1], 255, dtype=np.uint8)).save(root / "forms" / f"{form}{ext}")
    text = FORM.format(form=form, writer=writer, width=declared[0], height=declared[1])
    (root / "xml" / f"{form}.xml").write_text(text, encoding="iso-8859-1")


def test_a_form_gives_its_lines_with_boxes_from_the_character_components(tmp_path):
    write_form(tmp_path, "a01-000u", "000")
    page = iam.read_form(tmp_path / "xml" / "a01-000u.xml", tmp_path / "forms")
    assert [line.text for line in page.lines] == ['A MOVE to "stop"', "Mr. Gaitskell & co"]
    first = page.lines[0]
    assert first.box == (100, 190, 260, 261)
    assert first.writer == "000" and first.page_id == "a01-000u" and first.line_id == "a01-000u-00"
    assert first.polygon is None
    assert page.skipped == {"empty transcription": 1, "no character boxes on the form": 1}


def test_boxes_are_scaled_to_a_downsampled_jpeg_form(tmp_path):
    write_form(tmp_path, "a01-000u", "000", size=(500, 400), ext=".jpg")
    page = iam.read_form(tmp_path / "xml" / "a01-000u.xml", tmp_path / "forms")
    assert page.lines[0].box == (50, 95, 130, 131)
    assert page.lines[0].page_image.suffix == ".jpg"


def test_a_form_without_its_image_is_named(tmp_path):
    write_form(tmp_path, "a01-000u", "000")
    (tmp_path / "forms" / "a01-000u.png").unlink()
    with pytest.raises(MissingDataError, match=r"no a01-000u\.png or \.jpg"):
        iam.read_form(tmp_path / "xml" / "a01-000u.xml", tmp_path / "forms")


def test_a_truncated_form_is_a_clear_error(tmp_path):
    write_form(tmp_path, "a01-000u", "000")
    path = tmp_path / "xml" / "a01-000u.xml"
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataFormatError, match="not well-formed XML"):
        iam.read_form(path, tmp_path / "forms")


def test_the_split_keeps_test_writers_whole_and_writers_apart(tmp_path):
    forms = {f"a{w:02d}-{f:03d}": f"{w:03d}" for w in range(30) for f in range(2)}
    for form, writer in forms.items():
        write_form(tmp_path, form, writer)
    lines, _ = iam.read_lines(tmp_path)
    splits = iam.split(lines, test_forms={"a00-000", "a01-001", "a02-000"})
    writers = {name: {line.writer for line in split} for name, split in splits.items()}
    assert writers["test"] == {"000", "001", "002"}  # with all their forms, not just the listed ones
    assert len(splits["test"]) == 3 * 2 * 2
    assert not writers["train"] & writers["validation"]
    assert not (writers["train"] | writers["validation"]) & writers["test"]
    assert len(writers["validation"]) == round(0.1 * 27)


def test_the_committed_metadata_names_the_archive_and_the_test_forms():
    metadata = iam.metadata()
    assert len(metadata["test_ids"]) == len(set(metadata["test_ids"])) > 200
    (archive,) = metadata["files"]
    assert archive["filename"] == iam.ARCHIVE and len(archive["checksum"]["digest"]) == 64


def test_the_archive_is_unpacked_from_the_local_raw_folder(tmp_path, monkeypatch):
    source = tmp_path / "source" / "iamdb"
    write_form(source, "a01-000u", "000")
    raw = tmp_path / "raw"
    (raw / "iam").mkdir(parents=True)
    (raw / "iam" / "metadata.toml").write_text((paths.RAW_DATA_DIR / "iam" / "metadata.toml").read_text())
    with zipfile.ZipFile(raw / "iam" / "iamdb.zip", "w") as archive:
        for file in source.rglob("*"):
            archive.write(file, file.relative_to(source.parent).as_posix())
    monkeypatch.setattr(paths, "RAW_DATA_DIR", raw)
    monkeypatch.delenv(paths.MIRROR_ENV_VAR, raising=False)
    root = iam.corpus_dir()
    assert root == raw / "iam" / "iamdb"
    lines, _ = iam.read_lines(root)
    assert len(lines) == 2
    assert [p.name for p in (raw / "iam").iterdir() if p.name.startswith(".")] == []  # no staging folder left


def test_a_corrupt_archive_is_a_clear_error_and_leaves_nothing(tmp_path):
    archive = tmp_path / "iamdb.zip"
    archive.write_bytes(b"not a zip")
    with pytest.raises(DataFormatError, match="not a zip archive"):
        iam.unpack(archive, tmp_path / "iamdb")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["iamdb.zip"]
