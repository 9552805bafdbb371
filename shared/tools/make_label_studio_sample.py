"""Write the course's sample Label Studio export: Copiste d'un jour pages labeled as a team would label them.

    python -m tools.make_label_studio_sample     # needs the Copiste corpus (local or $TEXT_RECOGNIZER_MIRROR)

Twelve pages of training-split writers, each line's ALTO polygon simplified to the handful of points a
person clicks; every fourth line drawn instead as a rectangle turned to the line's slant. Tasks reference
the pages by their public upstream URLs (the pinned commit in UPSTREAM.tsv), so the export works for
anyone. Two tasks carry a second annotator's work, to exercise the reader's policy: on one a reviewer
marked the older annotation as ground truth, on the other the older one was cancelled (skipped).
Page-reference lines and crossed-out or unreadable passages are not labeled, as the labeling
instructions say. The transcriptions are the corpus's (CC BY 4.0, BAnQ).
"""

import json
import math
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from text_recognizer import paths
from text_recognizer.data import copiste
from text_recognizer.data.transcription_xml import read_transcription

OUTPUT = paths.RAW_DATA_DIR / "copiste_labeled" / "label_studio_export.json"
PAGES = 12
UPSTREAM_SIZE = (2550, 3300)
SIMPLIFY_PX = 6.0
TIMES = ("2026-11-02T09:{:02d}:00.000000Z", "2026-11-03T14:{:02d}:00.000000Z")


def upstream_base() -> str:
    manifest = paths.RAW_DATA_DIR / "copiste" / "UPSTREAM.tsv"
    first = copiste.manifest_files(manifest)[0]
    return first.urls[0].removesuffix(first.filename)


def chosen_pages(root: Path) -> list[Path]:
    train_writers = {line.writer for line in copiste.split_by_writer(copiste.read_lines(root)[0])["train"]}
    pages = [p for p in sorted((root / "alto").glob("*.xml")) if copiste.document_id(p.stem) in train_writers]
    step = len(pages) // PAGES
    return pages[::step][:PAGES]


def percent(points: np.ndarray, size: tuple[int, int]) -> list[list[float]]:
    return [[round(float(x) * 100 / size[0], 2), round(float(y) * 100 / size[1], 2)] for x, y in points]


def polygon_value(polygon, size) -> dict:
    contour = np.array(polygon, dtype=np.float32).reshape(-1, 1, 2)
    simple = cv2.approxPolyDP(contour, SIMPLIFY_PX, closed=True).reshape(-1, 2)
    return {"points": percent(simple, size), "closed": True}


def rectangle_value(polygon, baseline, size) -> dict:
    """The rectangle around the polygon in the frame of the line's slant: Label Studio's x, y, w, h, rotation."""
    guide = np.array(baseline or polygon, dtype=np.float64)
    angle = math.atan(np.polyfit(guide[:, 0], guide[:, 1], 1)[0]) if len(guide) > 1 else 0.0
    cos, sin = math.cos(angle), math.sin(angle)
    points = np.array(polygon, dtype=np.float64)
    turned = np.stack([points[:, 0] * cos + points[:, 1] * sin, -points[:, 0] * sin + points[:, 1] * cos], axis=1)
    (left, top), (right, bottom) = turned.min(axis=0), turned.max(axis=0)
    anchor = (left * cos - top * sin, left * sin + top * cos)
    return {
        "x": round(anchor[0] * 100 / size[0], 3),
        "y": round(anchor[1] * 100 / size[1], 3),
        "width": round((right - left) * 100 / size[0], 3),
        "height": round((bottom - top) * 100 / size[1], 3),
        "rotation": round(math.degrees(angle), 3),
    }


def results(lines, size, typo: bool = False) -> list[dict]:
    items = []
    for index, line in enumerate(lines):
        region_id = f"r{index:02d}-{line.line_id[-6:]}"
        rectangle = index % 4 == 3
        value = rectangle_value(line.polygon, line.baseline, size) if rectangle else polygon_value(line.polygon, size)
        text = line.text.replace("e", "é", 1) if typo and index == 2 else line.text
        common = {
            "id": region_id,
            "from_name": "box" if rectangle else "line",
            "to_name": "image",
            "original_width": UPSTREAM_SIZE[0],
            "original_height": UPSTREAM_SIZE[1],
            "image_rotation": 0,
            "origin": "manual",
        }
        items.append({**common, "type": "rectangle" if rectangle else "polygon", "value": value})
        items.append({**common, "from_name": "transcription", "type": "textarea", "value": {**value, "text": [text]}})
    return items


def annotation(annotation_id, task_id, annotator, result, time, *, ground_truth=False, cancelled=False) -> dict:
    return {
        "id": annotation_id,
        "completed_by": annotator,
        "result": [] if cancelled else result,
        "was_cancelled": cancelled,
        "ground_truth": ground_truth,
        "created_at": time,
        "updated_at": time,
        "lead_time": 300.0 + 7 * annotation_id,
        "prediction": {},
        "result_count": 0,
        "task": task_id,
        "project": 1,
        "parent_prediction": None,
        "parent_annotation": None,
        "last_action": None,
    }


def main() -> None:
    root = copiste.corpus_dir()
    base = upstream_base()
    tasks, next_annotation = [], 1
    for task_id, xml_path in enumerate(chosen_pages(root), start=1):
        parsed = read_transcription(xml_path, root / "jpg")
        size = Image.open(root / "jpg" / f"{xml_path.stem}.jpg").size
        lines = [line for line in parsed.lines if not copiste.reason_left_out(line.text)]
        labels = results(lines, size)
        annotations = [annotation(next_annotation, task_id, 1, labels, TIMES[1].format(task_id))]
        if task_id == 3:  # an older second labeling, which a reviewer chose as ground truth; the later one has a typo
            annotations[0]["result"] = results(lines, size, typo=True)
            annotations.append(annotation(next_annotation + 1, task_id, 2, labels, TIMES[0].format(task_id)))
            annotations[1]["ground_truth"] = True
        if task_id == 5:  # a labeler skipped the page before another labeled it
            annotations.insert(
                0, annotation(next_annotation + 1, task_id, 2, [], TIMES[0].format(task_id), cancelled=True)
            )
        next_annotation += len(annotations)
        tasks.append(
            {
                "id": task_id,
                "annotations": annotations,
                "drafts": [],
                "predictions": [],
                "data": {"image": f"{base}jpg/{xml_path.stem}.jpg", "writer": copiste.document_id(xml_path.stem)},
                "meta": {},
                "created_at": TIMES[0].format(0),
                "updated_at": TIMES[1].format(task_id),
                "inner_id": task_id,
                "total_annotations": sum(not a["was_cancelled"] for a in annotations),
                "cancelled_annotations": sum(a["was_cancelled"] for a in annotations),
                "total_predictions": 0,
                "comment_count": 0,
                "unresolved_comment_count": 0,
                "last_comment_updated_at": None,
                "project": 1,
                "updated_by": 1,
                "comment_authors": [],
            }
        )
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    rows = ",\n".join(json.dumps(task, ensure_ascii=False, separators=(",", ":")) for task in tasks)
    OUTPUT.write_text(f"[\n{rows}\n]\n", encoding="utf-8")
    regions = sum(len(a["result"]) // 2 for t in tasks for a in t["annotations"][-1:])
    print(f"{OUTPUT}: {len(tasks)} tasks, about {regions} line regions, {OUTPUT.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
