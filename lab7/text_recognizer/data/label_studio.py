"""Read Label Studio's JSON export of handwritten pages: regions (polygons, rotated rectangles) with transcriptions.

    export = read_export(Path("export.json"))
    export.tasks        # LabeledTask per page that could be read
    export.problems     # {task id: why it was left out}: one bad task does not stop the others
    lines = export.tasks[0].line_records(image_path)   # pixel coordinates on the image as it is on disk

The format is what Label Studio (1.x) writes with Export > JSON, for the labeling configuration in
`labeling/handwriting_lines.xml` or its OCR template: a list of tasks, each with `data` (the image URL) and
`annotations`, each annotation a list of `result` items. Items sharing an `id` describe one region: its
geometry (`polygon` / `rectangle`, or `polygonlabels` / `rectanglelabels` / `labels`) and its
transcription (`textarea`, `perRegion`). Coordinates are percentages of the image's width and height, so
they hold for any resolution of the same page; a rectangle's `rotation` turns it clockwise, in degrees,
about its top-left corner.

Several annotators per task: the annotation a reviewer marked `ground_truth` is used; otherwise the most
recently updated one that was not cancelled (skipped). The others are counted in `skipped`, as are
model `predictions`, which are suggestions and not labels.
"""

import json
import math
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from text_recognizer.data.errors import DataFormatError
from text_recognizer.data.line_records import LineRecord, Point, bounding_box

POLYGON_TYPES = {"polygon", "polygonlabels"}
RECTANGLE_TYPES = {"rectangle", "rectanglelabels", "labels", "textarea"}  # the latter two carry a box too
IMAGE_KEY = "image"


@dataclass(frozen=True)
class LabeledRegion:
    """A line's outline in percent of the image size (before any rotation is applied) and its text."""

    region_id: str
    points: tuple[Point, ...]  # polygon vertices, or a rectangle's corners, in percent
    text: str | None  # None: the region has no transcription
    rotation: float = 0.0  # degrees clockwise about points[0] (rectangles)

    def pixel_polygon(self, image_size: tuple[int, int]) -> tuple[Point, ...]:
        """The outline in pixels of an image of `image_size` (width, height), rotation applied."""
        width, height = image_size
        points = [(x * width / 100, y * height / 100) for x, y in self.points]
        if not self.rotation:
            return tuple(points)
        (x0, y0), angle = points[0], math.radians(self.rotation)
        cos, sin = math.cos(angle), math.sin(angle)
        return tuple((x0 + (x - x0) * cos - (y - y0) * sin, y0 + (x - x0) * sin + (y - y0) * cos) for x, y in points)


@dataclass(frozen=True)
class LabeledTask:
    """One labeled page: where its image is, who labeled it, its regions in the order they were drawn."""

    task_id: str
    image_url: str
    annotator: str
    regions: tuple[LabeledRegion, ...]
    writer: str = ""

    @property
    def url_name(self) -> str:
        """The file name the image URL ends with."""
        return PurePosixPath(unquote(urlparse(self.image_url).path)).name or "page"

    @property
    def image_name(self) -> str:
        """A file name for the page image, unique within the export: `<task id>_<the URL's file name>`."""
        return f"{self.task_id}_{self.url_name}"

    def line_records(self, image_path: Path, image_size: tuple[int, int]) -> tuple[list[LineRecord], Counter]:
        """The regions as lines on the image at `image_path`, top to bottom; those that cannot be, counted."""
        lines: list[LineRecord] = []
        skipped: Counter[str] = Counter()
        page_id = Path(self.image_name).stem
        for region in self.regions:
            polygon = region.pixel_polygon(image_size)
            box = bounding_box(polygon, image_size)
            if box is None:
                skipped["region outside the image"] += 1
                continue
            lines.append(
                LineRecord(
                    page_image=image_path,
                    page_id=page_id,
                    line_id=f"{page_id}-{region.region_id}",
                    text=region.text or "",  # as typed: the quality checks report stray whitespace
                    box=box,
                    polygon=polygon,
                    writer=self.writer or page_id,
                )
            )
        lines.sort(key=lambda line: (line.box[1] + line.box[3]) / 2)
        return [replace(line, reading_order=order) for order, line in enumerate(lines)], skipped


@dataclass
class LabelStudioExport:
    tasks: list[LabeledTask] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)

    @property
    def region_count(self) -> int:
        return sum(len(task.regions) for task in self.tasks)


def read_export(path: Path, image_key: str = IMAGE_KEY) -> LabelStudioExport:
    """Every task of a Label Studio JSON export; a task that cannot be read is reported in `problems`."""
    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise DataFormatError(
            f"{path} does not exist: export the project from Label Studio (Export > JSON)."
        ) from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataFormatError(
            f"{path}: not valid JSON ({error}). The export is truncated or corrupt: export it again (Export > JSON)."
        ) from error
    _check_format(content, path)
    export = LabelStudioExport()
    for index, task in enumerate(content):
        task_id = str(task.get("id", f"#{index}"))
        try:
            export.tasks.append(_read_task(task, task_id, image_key, export.skipped))
        except DataFormatError as error:
            export.problems[task_id] = str(error)
    export.skipped = +export.skipped  # only what happened
    return export


def _check_format(content: object, path: Path) -> None:
    if not isinstance(content, list):
        raise DataFormatError(
            f"{path}: expected a list of tasks (Label Studio's Export > JSON), got a {type(content).__name__}."
        )
    if any(isinstance(task, dict) and "completions" in task and "annotations" not in task for task in content):
        raise DataFormatError(
            f"{path}: this export holds 'completions', the format of Label Studio before 1.0, which this reader "
            "does not know. Import it into a current Label Studio and export it again (Export > JSON)."
        )
    if content and all(isinstance(task, dict) and "annotations" not in task and "data" not in task for task in content):
        raise DataFormatError(
            f"{path}: this looks like a JSON-MIN or CSV-style export (no 'data' or 'annotations'), which keeps no "
            "region geometry per transcription. Export with the JSON format instead."
        )


def _read_task(task: object, task_id: str, image_key: str, skipped: Counter) -> LabeledTask:
    if not isinstance(task, dict):
        raise DataFormatError(f"task {task_id}: expected an object, got {type(task).__name__}")
    data = task.get("data") or {}
    image_url = data.get(image_key)
    if not isinstance(image_url, str) or not image_url:
        raise DataFormatError(f"task {task_id}: no image URL in data[{image_key!r}] (keys: {sorted(data)})")
    skipped["model predictions (not labels)"] += len(task.get("predictions") or [])
    annotation = _chosen_annotation(task.get("annotations") or [], task_id, skipped)
    regions = _regions(annotation.get("result") or [], task_id, skipped)
    return LabeledTask(
        task_id=task_id,
        image_url=image_url,
        annotator=str(annotation.get("completed_by", "")),
        regions=tuple(regions),
        writer=str(data.get("writer", "")),
    )


def chosen_annotation(annotations: list) -> dict | None:
    """The reviewer's ground truth, else the latest annotation not cancelled; None if there is none."""
    usable = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    return max(
        usable,
        key=lambda a: (bool(a.get("ground_truth")), str(a.get("updated_at", "")), str(a.get("id"))),
        default=None,
    )


def _chosen_annotation(annotations: list, task_id: str, skipped: Counter) -> dict:
    chosen = chosen_annotation(annotations)
    cancelled = sum(1 for a in annotations if isinstance(a, dict) and a.get("was_cancelled"))
    skipped["cancelled annotations"] += cancelled
    if chosen is None:
        raise DataFormatError(f"task {task_id}: no annotation (none submitted, or all cancelled): label it first")
    skipped["other annotators' annotations (not used)"] += len(annotations) - cancelled - 1
    return chosen


def _regions(result: list, task_id: str, skipped: Counter) -> list[LabeledRegion]:
    """Group result items by region id: one geometry and (maybe) one transcription each."""
    geometry: dict[str, tuple[tuple[Point, ...], float]] = {}
    polygons: set[str] = set()
    texts: dict[str, str] = {}
    for item in result:
        kind, value, region_id = item.get("type"), item.get("value") or {}, str(item.get("id", ""))
        try:
            if kind in POLYGON_TYPES:
                geometry[region_id] = (tuple((float(x), float(y)) for x, y in value["points"]), 0.0)
                polygons.add(region_id)
            elif kind in RECTANGLE_TYPES and "width" in value and region_id not in polygons:
                x, y, w, h = (float(value[key]) for key in ("x", "y", "width", "height"))
                geometry[region_id] = (
                    ((x, y), (x + w, y), (x + w, y + h), (x, y + h)),
                    float(value.get("rotation", 0)),
                )
            elif kind != "textarea":
                skipped[f"result items of type {kind!r}"] += 1
        except (KeyError, TypeError, ValueError) as error:
            raise DataFormatError(
                f"task {task_id}, region {region_id}: bad {kind} value {value!r} ({error})"
            ) from error
        if kind == "textarea":
            text = value.get("text")
            texts[region_id] = " ".join(text) if isinstance(text, list) else str(text or "")
    skipped["transcriptions without a region"] += len(set(texts) - set(geometry))
    return [
        LabeledRegion(region_id, points, texts.get(region_id), rotation)
        for region_id, (points, rotation) in geometry.items()
    ]
