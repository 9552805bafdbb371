"""Label Studio exports in, checked datasets out: the reader, the ingest, the quality checks, the metadata."""

import hashlib
import io
import json
import math
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from evaluation import evaluate_label_checks
from evaluation.local_file_server import LocalFileServer
from text_recognizer import paths
from text_recognizer.data import label_quality, labeled_pages
from text_recognizer.data.errors import ChecksumMismatchError, DataFormatError, MissingDataError
from text_recognizer.data.label_studio import read_export
from text_recognizer.data.line_records import LineRecord, PageRecord, bounding_box
from text_recognizer.data.transcription_export import read_zip_export
from text_recognizer.data.update_metadata import update_metadata
from text_recognizer.tests.test_transcription_xml import ALTO, PAGE

WIDTH, HEIGHT = 400, 200


def page_png(shade: int = 250) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (WIDTH, HEIGHT), shade).save(buffer, format="PNG")
    return buffer.getvalue()


def region(region_id, kind, value, text=None):
    """A region as Label Studio exports it: its geometry item, and a textarea item with the same id."""
    common = {"id": region_id, "to_name": "image", "original_width": WIDTH * 4, "original_height": HEIGHT * 4}
    items = [{**common, "from_name": "line", "type": kind, "value": value}]
    if text is not None:
        items.append({**common, "from_name": "transcription", "type": "textarea", "value": {**value, "text": [text]}})
    return items


def annotation(result, updated_at="2026-11-02T10:00:00Z", **flags):
    return {"id": 1, "completed_by": 7, "result": result, "was_cancelled": False, "ground_truth": False} | {
        "updated_at": updated_at,
        **flags,
    }


POLYGON = {"points": [[10, 10], [90, 10], [90, 20], [10, 20]], "closed": True}
TURNED = {"x": 50, "y": 50, "width": 25, "height": 10, "rotation": 90}


def export_tasks(base_url: str) -> list[dict]:
    first = annotation(region("a", "polygon", POLYGON, "Une ligne") + region("b", "rectangle", TURNED, "deux"))
    older = annotation(region("c", "rectanglelabels", {**TURNED, "rotation": 0}, "choisie"), "2026-11-01T09:00:00Z")
    newer = annotation(region("c", "rectangle", {**TURNED, "rotation": 0}, "plus récente"), "2026-11-03T09:00:00Z")
    return [
        {"id": 1, "data": {"image": f"{base_url}/scans/page%201.png", "writer": "w1"}, "annotations": [first]},
        {
            "id": 2,
            "data": {"image": f"{base_url}/scans/page2.png"},
            "annotations": [older | {"ground_truth": True}, newer, annotation([], was_cancelled=True)],
            "predictions": [{"result": region("p", "polygon", POLYGON, "suggestion")}],
        },
        {"id": 3, "data": {"image": f"{base_url}/scans/gone.png"}, "annotations": [first]},
        {"id": 4, "data": {"image": f"{base_url}/scans/login.png"}, "annotations": [first]},
        {"id": 5, "data": {"picture": "elsewhere.png"}, "annotations": [first]},
    ]


@pytest.fixture
def server():
    with LocalFileServer(files={"scans/page 1.png": page_png(), "scans/page2.png": page_png(200)}) as files:
        files.files["/scans/login.png"] = page_png()
        files.faults["/scans/login.png"] = ["html"] * 10
        yield files


@pytest.fixture
def export(server, tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export_tasks(server.base_url)), encoding="utf-8")
    return path


def test_regions_become_pixel_polygons_with_rotation(export):
    read = read_export(export)
    task = read.tasks[0]
    assert task.image_name == "1_page 1.png" and task.writer == "w1"
    lines, skipped = task.line_records(export.parent / task.image_name, (WIDTH, HEIGHT))
    assert [line.text for line in lines] == ["Une ligne", "deux"] and not skipped
    assert lines[0].polygon == ((40, 20), (360, 20), (360, 40), (40, 40)) and lines[0].box == (40, 20, 360, 40)
    turned = lines[1].polygon  # 100 x 20 px from (200, 100), turned 90 degrees clockwise about that corner
    expected = ((200, 100), (200, 200), (180, 200), (180, 100))
    assert all(math.dist(p, q) < 1e-9 for p, q in zip(turned, expected, strict=True))
    assert lines[1].box == (180, 100, 200, 200)


def test_a_reviewers_ground_truth_wins_and_the_rest_is_counted(export):
    read = read_export(export)
    chosen = read.tasks[1]
    assert [r.text for r in chosen.regions] == ["choisie"]
    assert read.skipped == {
        "cancelled annotations": 1,
        "other annotators' annotations (not used)": 1,
        "model predictions (not labels)": 1,
    }
    assert list(read.problems) == ["5"] and "data['image']" in read.problems["5"]


def test_without_ground_truth_the_latest_annotation_is_used(tmp_path):
    old = annotation(region("r", "rectangle", TURNED, "old"), "2026-11-01T00:00:00Z")
    new = annotation(region("r", "rectangle", TURNED, "new"), "2026-11-02T00:00:00Z")
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"id": 9, "data": {"image": "http://x/p.png"}, "annotations": [new, old]}]))
    assert [r.text for r in read_export(path).tasks[0].regions] == ["new"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"id": 1, "data": {"image": "http://x/a.png"}, "annotations": [', "not valid JSON"),
        ('{"tasks": []}', "expected a list of tasks"),
        ('[{"id": 1, "data": {"image": "a.png"}, "completions": []}]', "before 1.0"),
        ('[{"image": "a.png", "transcription": "x", "id": 1}]', "JSON-MIN"),
    ],
)
def test_broken_or_unknown_exports_are_refused_by_name(tmp_path, content, message):
    path = tmp_path / "project-1.json"
    path.write_text(content)
    with pytest.raises(DataFormatError, match=message) as error:
        read_export(path)
    assert "project-1.json" in str(error.value)


def test_ingest_fetches_checks_records_and_reports_each_failed_task(export, server, tmp_path):
    dest = tmp_path / "dataset"
    report = labeled_pages.ingest(export, dest, workers=4, backoff_s=0)
    assert [page.page_id for page in report.pages] == ["1_page 1", "2_page2"]
    assert sum(len(page.lines) for page in report.pages) == 3 and report.fetched == 2
    assert set(report.failed) == {"3", "4", "5"}
    assert "gone.png" in report.failed["3"] and "HTTP 404" in report.failed["3"]
    assert "HTML page" in report.failed["4"]
    manifest = labeled_pages.read_manifest(dest / labeled_pages.MANIFEST)
    assert manifest["2_page2.png"] == (hashlib.sha256(page_png(200)).hexdigest(), f"{server.base_url}/scans/page2.png")
    assert sorted(p.name for p in (dest / "images").iterdir()) == ["1_page 1.png", "2_page2.png"]

    server.hits.clear()
    again = labeled_pages.ingest(export, dest, workers=4, backoff_s=0)
    assert again.fetched == 0 and again.reused == 2 and "/scans/page 1.png" not in server.hits

    (dest / "images" / "2_page2.png").unlink()
    server.files["/scans/page2.png"] = page_png(90)  # redrawn upstream: the labels no longer fit it
    changed = labeled_pages.ingest(export, dest, workers=4, backoff_s=0)
    assert "is recorded for it" in changed.failed["2"] and [p.page_id for p in changed.pages] == ["1_page 1"]
    assert not (dest / "images" / "2_page2.png").exists()


def test_quality_checks_find_planted_defects_on_a_small_page(tmp_path):
    image = tmp_path / "page.png"
    image.write_bytes(page_png())
    outline = ((10, 10), (390, 10), (390, 40), (10, 40))
    bow_tie = ((10, 50), (390, 80), (390, 50), (10, 80))
    lines = [
        (" Une  ligne", outline),
        ("", ((10, 100), (390, 100), (390, 130), (10, 130))),
        ("Ω au bord", ((10, 150), (420, 150), (420, 180), (10, 180))),
        ("croisée", bow_tie),
    ]
    records = tuple(
        LineRecord(image, "p", f"p-{i}", text, bounding_box(poly, (WIDTH, HEIGHT)), poly)
        for i, (text, poly) in enumerate(lines)
    )
    page = PageRecord(image, "p", "w", records, frozenset())
    empty = PageRecord(image, "q", "w", (), frozenset())
    report = label_quality.check_pages([page, empty], characters="Unelgiaubrdcosé ")
    assert {(f.kind, f.line_id) for f in report.findings} == {
        ("stray whitespace", "p-0"),
        ("empty transcription", "p-1"),
        ("characters outside the codec", "p-2"),
        ("polygon outside the image", "p-2"),
        ("self-intersecting polygon", "p-3"),
        ("page without lines", ""),
    }
    assert "4 lines, 6 findings" in report.to_text()


def test_the_sample_export_is_clean_and_every_planted_defect_is_found(capsys):
    mirror = paths.mirror_dir()
    if mirror is None or not (mirror / "copiste" / "jpg").is_dir():
        pytest.skip(f"the Copiste pages are not here: set {paths.MIRROR_ENV_VAR} to a folder holding copiste/jpg/")
    assert evaluate_label_checks.main() == 0, capsys.readouterr().out


def test_update_metadata_records_a_new_export_and_keeps_comments(tmp_path):
    folder = tmp_path / "raw" / "team"
    folder.mkdir(parents=True)
    (folder / "metadata.toml").write_text('name = "team"\n# where the export lives\nexport = "export.json"\n')
    new = tmp_path / "project-1-at-2026.json"
    new.write_text("[]")
    old, digest = update_metadata("team", new, raw_dir=tmp_path / "raw")
    assert old == "" and digest == hashlib.sha256(b"[]").hexdigest()
    assert (folder / "export.json").read_text() == "[]"
    text = (folder / "metadata.toml").read_text()
    assert "# where the export lives" in text and digest in text
    new.write_text("[ ]")
    assert update_metadata("team", new, raw_dir=tmp_path / "raw")[0] == digest
    assert text.count("[[files]]") == (folder / "metadata.toml").read_text().count("[[files]]") == 1


def test_an_export_changed_without_its_checksum_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "metadata.toml").write_text('export = "export.json"\n')
    (folder / "export.json").write_text("[]")
    monkeypatch.setattr(paths, "RAW_DATA_DIR", tmp_path)
    with pytest.raises(ChecksumMismatchError, match="update_metadata team"):
        labeled_pages.load("team")


def zip_export(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def test_escriptorium_and_transkribus_zips_go_through_the_page_xml_parsers(tmp_path):
    alto = ALTO.format(image="flat.png", width=WIDTH * 4, height=HEIGHT * 4).encode()
    page = PAGE.format(version="2019-07-15", image="deep.png", width=WIDTH * 4, height=HEIGHT * 4).encode()
    export = tmp_path / "export.zip"
    zip_export(
        export,
        {
            "flat.xml": alto,  # eScriptorium: XML and images side by side
            "flat.png": page_png(),
            "doc/mets.xml": b"<mets/>",  # Transkribus: the document's files, and page/ beside the images
            "doc/deep.png": page_png(),
            "doc/page/deep.xml": page,
            "doc/page/lost.xml": PAGE.format(version="2019-07-15", image="lost.png", width=10, height=10).encode(),
        },
    )
    read = read_zip_export(export, tmp_path / "pages")
    assert [p.page_id for p in read.pages] == ["deep", "flat"] and {p.writer for p in read.pages} == {"export"}
    assert [line.text for line in read.pages[1].lines] == ["Bonjour à tous", "deux mots"]
    assert read.pages[1].lines[0].box == (25, 30, 225, 50), "coordinates scaled to the image in the zip"
    assert list(read.failed) == ["doc/page/lost.xml"] and "lost.png" in read.failed["doc/page/lost.xml"]
    assert read.skipped["empty transcription"] == 1


@pytest.mark.parametrize(
    ("members", "message"),
    [({"../evil.xml": b"x"}, "outside the export folder"), ({"notes.txt": b"x"}, "no page XML")],
)
def test_unsafe_or_empty_zips_are_refused_and_leave_nothing(tmp_path, members, message):
    export = tmp_path / "export.zip"
    zip_export(export, members)
    with pytest.raises(DataFormatError, match=message):
        read_zip_export(export, tmp_path / "pages")
    assert not (tmp_path / "evil.xml").exists()


def test_a_truncated_zip_says_to_export_again(tmp_path):
    export = tmp_path / "export.zip"
    zip_export(export, {"flat.xml": b"<alto/>" * 1000})
    export.write_bytes(export.read_bytes()[:100])
    with pytest.raises(DataFormatError, match="Export it again"):
        read_zip_export(export, tmp_path / "pages")
    assert not (tmp_path / "pages").exists()


def test_an_export_recorded_from_label_studio_reads_as_labeled():
    """Recorded from Label Studio 1.23.2 through its API: a project with `labeling/handwriting_lines.xml`,
    three tasks (polygons and a rotated rectangle; two annotations, the older marked ground truth by a
    reviewer and the newer typed in capitals; one cancelled annotation and a model prediction), Export > JSON.
    """
    read = read_export(Path(__file__).with_name("exports") / "label_studio_1.23.2.json")
    assert not read.problems and [task.task_id for task in read.tasks] == ["1", "2", "3"]
    assert [len(task.regions) for task in read.tasks] == [4, 3, 2]
    assert read.tasks[0].regions[3].rotation != 0 and len(read.tasks[0].regions[0].points) > 4
    assert read.tasks[1].regions[0].text.startswith("G.H. Manik (né"), "the reviewer's ground truth, not the capitals"
    assert read.tasks[2].writer == "imp_wikitexte_0143"
    assert read.skipped == {
        "cancelled annotations": 1,
        "other annotators' annotations (not used)": 1,
        "model predictions (not labels)": 1,
    }


def test_update_metadata_names_what_is_missing(tmp_path):
    (tmp_path / "raw" / "team").mkdir(parents=True)
    with pytest.raises(MissingDataError, match=r"metadata\.toml does not exist"):
        update_metadata("team", tmp_path / "export.json", raw_dir=tmp_path / "raw")
    (tmp_path / "raw" / "team" / "metadata.toml").write_text('export = "export.json"\n')
    with pytest.raises(MissingDataError, match=r"export\.json does not exist"):
        update_metadata("team", tmp_path / "export.json", raw_dir=tmp_path / "raw")
    assert not (tmp_path / "raw" / "team" / "export.json").exists()
