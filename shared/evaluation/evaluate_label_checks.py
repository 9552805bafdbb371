"""Do the label quality checks find planted mistakes, and nothing on clean labels?

    python -m evaluation.evaluate_label_checks

Takes the course's sample Label Studio export, checks it as it is (expected: no finding), then plants one
mistake of each kind the checks know in a copy, each on its own page, ingests that copy and checks it
again. Prints, per kind, whether the planted mistake was found, and any finding that was not planted.
Exits 1 unless every planted mistake is found and the clean export has no finding.
"""

import copy
import json
import sys
import tempfile
from pathlib import Path

from text_recognizer import paths
from text_recognizer.data import label_quality, labeled_pages
from text_recognizer.data.label_studio import LabeledTask, chosen_annotation
from text_recognizer.model_files import read_config

CODEC_MODEL = "handwriting"
OUTSIDE_CODEC = "¤"


def _regions(task: dict) -> dict[str, list[dict]]:
    """The chosen annotation's result items, grouped by region id, in order."""
    items: dict[str, list[dict]] = {}
    for item in _chosen(task)["result"]:
        items.setdefault(item["id"], []).append(item)
    return items


def _chosen(task: dict) -> dict:
    chosen = chosen_annotation(task["annotations"])
    if chosen is None:
        raise ValueError(
            f"task {task.get('id')} of the sample export has no annotation that is not cancelled: "
            "restore data/raw/copiste_labeled/label_studio_export.json with `git checkout`"
        )
    return chosen


def _polygon_region(task: dict, start: int) -> tuple[str, list[dict]]:
    """The first polygon region from the `start`-th region on."""
    regions = list(_regions(task).items())
    return next((rid, items) for rid, items in regions[start:] if items[0]["type"] == "polygon")


def _set_text(items: list[dict], text: str) -> None:
    next(item for item in items if item["type"] == "textarea")["value"]["text"] = [text]


def _text(items: list[dict]) -> str:
    return next(item for item in items if item["type"] == "textarea")["value"]["text"][0]


def _set_points(items: list[dict], points: list[list[float]]) -> None:
    for item in items:
        item["value"]["points"] = points


def plant_defects(tasks: list[dict]) -> tuple[list[dict], dict[str, tuple[str, str]]]:
    """A copy of the export with one mistake of each kind; kind -> (task id, region id or "" for a page)."""
    tasks = copy.deepcopy(tasks)
    planted = {}

    def plant(kind: str, task: dict, region_id: str) -> None:
        planted[kind] = (str(task["id"]), region_id)

    rid, items = _polygon_region(tasks[0], 2)
    _set_text(items, "")
    plant("empty transcription", tasks[0], rid)
    rid, items = _polygon_region(tasks[1], 5)
    _set_text(items, f"  {_text(items)} ")
    plant("stray whitespace", tasks[1], rid)
    rid, items = _polygon_region(tasks[3], 3)
    _set_text(items, _text(items) + OUTSIDE_CODEC)
    plant("characters outside the codec", tasks[3], rid)
    rid, items = _polygon_region(tasks[4], 6)
    points = items[0]["value"]["points"]
    _set_points(items, [[min(x * 1.2, 104.0), y] for x, y in points])  # dragged past the right edge
    plant("polygon outside the image", tasks[4], rid)
    rid, items = _polygon_region(tasks[5], 4)
    points = items[0]["value"]["points"]
    half = len(points) // 2
    _set_points(items, points[:half] + points[half:][::-1])  # the second half clicked backwards
    plant("self-intersecting polygon", tasks[5], rid)
    rid, items = _polygon_region(tasks[6], 2)
    twin = [copy.deepcopy(item) | {"id": f"{rid}-twin"} for item in items]
    _chosen(tasks[6])["result"].extend(twin)
    plant("duplicate region", tasks[6], f"{rid}-twin")
    regions = list(_regions(tasks[8]).items())
    rid, items = _polygon_region(tasks[8], 4)
    below = regions[[r for r, _ in regions].index(rid) + 1][1]
    ys = [y for item in (items[0], below[0]) for y in _ys(item)]
    xs = [x for item in (items[0], below[0]) for x in _xs(item)]
    box = [[min(xs), min(ys)], [max(xs), min(ys)], [max(xs), max(ys)], [min(xs), max(ys)]]
    _set_points(items, box)  # one region drawn over two lines
    plant("overlapping lines", tasks[8], rid)
    rid, items = _polygon_region(tasks[9], 8)
    points = items[0]["value"]["points"]
    middle = sum(y for _, y in points) / len(points)
    _set_points(items, [[x, middle + (y - middle) * 0.15] for x, y in points])  # squashed to a sliver
    plant("line height outlier", tasks[9], rid)
    rid, items = _polygon_region(tasks[10], 3)
    _set_text(items, _text(items)[:9])  # a long line given a short line's text
    plant("text out of proportion", tasks[10], rid)
    _chosen(tasks[7])["result"] = []
    plant("page without lines", tasks[7], "")
    return tasks, planted


def _xs(item: dict) -> list[float]:
    value = item["value"]
    if "points" in value:
        return [x for x, _ in value["points"]]
    return [value["x"], value["x"] + value["width"]]


def _ys(item: dict) -> list[float]:
    value = item["value"]
    if "points" in value:
        return [y for _, y in value["points"]]
    return [value["y"], value["y"] + value["height"]]


def _check(export: Path, dest: Path, codec: str) -> tuple[label_quality.QualityReport, labeled_pages.IngestReport]:
    mirror = paths.mirror_dir()
    local = mirror / "copiste" / "jpg" if mirror else None
    ingested = labeled_pages.ingest(export, dest, local_dirs=(local,) if local else ())
    return label_quality.check_pages(ingested.pages, codec), ingested


def _line_key(task_id: str, region_id: str, tasks: list[dict]) -> str:
    task = next(t for t in tasks if str(t["id"]) == task_id)
    page_id = Path(LabeledTask(task_id, task["data"]["image"], "", ()).image_name).stem
    return f"{page_id}-{region_id}" if region_id else page_id


def main() -> int:
    source = paths.RAW_DATA_DIR / labeled_pages.SAMPLE / "label_studio_export.json"
    tasks = json.loads(source.read_text(encoding="utf-8"))
    codec = "".join(read_config(paths.ARTIFACTS_DIR / CODEC_MODEL)["mapping"])
    if OUTSIDE_CODEC in codec:
        raise ValueError(
            f"the {CODEC_MODEL} model's mapping holds {OUTSIDE_CODEC!r}, the character planted as outside it: "
            "change OUTSIDE_CODEC to a character the model cannot read"
        )
    with tempfile.TemporaryDirectory() as tmp:
        clean, ingested = _check(source, Path(tmp) / "clean", codec)
        corrupted_tasks, planted = plant_defects(tasks)
        corrupted_path = Path(tmp) / "corrupted.json"
        corrupted_path.write_text(json.dumps(corrupted_tasks, ensure_ascii=False), encoding="utf-8")
        corrupted, _ = _check(corrupted_path, Path(tmp) / "corrupted", codec)
    print(f"clean export: {ingested.summary().splitlines()[0]}; {len(clean.findings)} findings")
    for finding in clean.findings:
        print(f"  unexpected: {finding}")
    found = {(f.kind, f.line_id or f.page_id) for f in corrupted.findings}
    print(f"\n{'kind':<30} {'planted on':<40} found")
    missed = 0
    for kind, (task_id, region_id) in planted.items():
        key = _line_key(task_id, region_id, tasks)
        hit = (kind, key) in found
        missed += not hit
        print(f"{kind:<30} {key:<40} {'yes' if hit else 'NO'}")
    expected = {(kind, _line_key(*where, tasks)) for kind, where in planted.items()}
    for kind, key in sorted(found - expected):
        print(f"  also found: {kind} on {key}")
    print(
        f"\n{len(planted) - missed} of {len(planted)} planted kinds found; "
        f"{len(clean.findings)} findings on the clean export"
    )
    return 0 if not missed and not clean.findings else 1


if __name__ == "__main__":
    sys.exit(main())
