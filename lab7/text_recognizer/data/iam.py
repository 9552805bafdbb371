"""IAM Handwriting Database: forms and their XML, read into line records with a writer-independent split.

    root = iam.corpus_dir()            # data/raw/iam/iamdb, the mirror's iam/, or iamdb.zip fetched and unpacked
    lines, skipped = iam.read_lines(root)
    splits = iam.split(lines)          # train / validation / test, no writer in two of them
    pages = iam.split_pages(root)      # the forms cut to their handwritten part, split the same way (Lab 5)

The layout is IAM's own: `forms/<form id>.png` (or `.jpg`, as in the downsampled `iamdb.zip` that
`data/raw/iam/metadata.toml` points to) and `xml/<form id>.xml`, where each `<line>` of the handwritten
part holds its text and its words, and each word its character components' boxes (`<cmp x y width
height>`). A line's box is the union of its components; like page-XML coordinates, the boxes are scaled
by the image's size over the size the form's XML declares.

IAM is free for non-commercial research but needs a registration, so it is not in this repository or its
CI: the tests run this code on forms in the same layout that they write themselves.
"""

import shutil
import tempfile
import tomllib
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from text_recognizer import paths
from text_recognizer.data import download
from text_recognizer.data.errors import DataFormatError, MissingDataError
from text_recognizer.data.line_records import (
    LineRecord,
    PageRecord,
    ParsedPage,
    Point,
    bounding_box,
    deal_writers,
)

NAME = "iam"
ARCHIVE = "iamdb.zip"
EXTRACTED = "iamdb"
VALIDATION_FRACTION = 0.1  # of the writers outside the test forms
SPLIT_SEED = 0
REGION_MARGIN = 0.5  # of the median line height, around a form's handwritten lines


def metadata() -> dict:
    path = paths.RAW_DATA_DIR / NAME / "metadata.toml"
    with path.open("rb") as f:
        return tomllib.load(f)


def corpus_dir() -> Path:
    """A folder holding forms/ and xml/: unpacked here before, the mirror's, or `iamdb.zip` unpacked now."""
    local = paths.RAW_DATA_DIR / NAME / EXTRACTED
    if (local / "xml").is_dir():
        return local
    mirror = paths.mirror_dir()
    if mirror is not None and (mirror / NAME / "xml").is_dir():
        return mirror / NAME
    unpack(download.fetch(NAME, ARCHIVE), local)
    return local


def unpack(archive: Path, destination: Path) -> None:
    """Unpack the archive's forms/ and xml/ into `destination`, through a temporary folder renamed at the end."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(staging)
        found = next((p.parent for p in staging.rglob("xml") if p.is_dir() and (p.parent / "forms").is_dir()), None)
        if found is None:
            raise DataFormatError(f"{archive} holds no forms/ and xml/ folders: delete it and fetch it again.")
        found.replace(destination)
    except zipfile.BadZipFile as error:
        raise DataFormatError(f"{archive} is not a zip archive ({error}): delete it and fetch it again.") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_form(xml_path: Path, forms_dir: Path) -> ParsedPage:
    """The handwritten lines of one form, boxes scaled to its image as it is on disk."""
    try:
        form = ET.parse(xml_path).getroot()  # noqa: S314  # expat 2.4.1+ stops entity bombs; etree reads no external entity
    except ET.ParseError as error:
        raise DataFormatError(f"{xml_path}: not well-formed XML ({error}). Fetch the IAM files again.") from error
    form_id = form.get("id")
    if form.tag != "form" or not form_id:
        raise DataFormatError(f"{xml_path}: not an IAM form (root element {form.tag!r} with no id)")
    candidates = [forms_dir / f"{form_id}{extension}" for extension in (".png", ".jpg")]
    image_path = next((path for path in candidates if path.is_file()), None)
    if image_path is None:
        raise MissingDataError(f"{xml_path} is form {form_id}, but {forms_dir} has no {form_id}.png or .jpg.")
    try:
        with Image.open(image_path) as image:
            image_size = image.size
        declared = float(form.get("width", "")), float(form.get("height", ""))  # "" when missing: ValueError
    except (UnidentifiedImageError, OSError) as error:
        raise DataFormatError(f"{image_path}: not a readable image ({error}). Fetch it again.") from error
    except ValueError as error:
        raise DataFormatError(f"{xml_path}: the form has no valid width and height") from error
    scale = image_size[0] / declared[0], image_size[1] / declared[1]
    page = ParsedPage()
    for line in form.iterfind("handwritten-part/line"):
        text = line.get("text", "")
        corners = _component_corners(line, xml_path)
        if not text.strip():
            page.skipped["empty transcription"] += 1
            continue
        box = bounding_box(tuple((x * scale[0], y * scale[1]) for x, y in corners), image_size) if corners else None
        if box is None:
            page.skipped["no character boxes on the form"] += 1
            continue
        page.lines.append(
            LineRecord(
                page_image=image_path,
                page_id=form_id,
                line_id=line.get("id", f"{form_id}-{len(page.lines):02d}"),
                text=text,
                box=box,
                writer=form.get("writer-id", form_id),
                reading_order=len(page.lines),
            )
        )
    return page


def _component_corners(line: ET.Element, xml_path: Path) -> list[Point]:
    """The top-left and bottom-right corners of every character component of a line's words."""
    corners = []
    for component in line.iterfind("word/cmp"):
        try:
            x, y = float(component.get("x", "")), float(component.get("y", ""))
            width, height = float(component.get("width", "")), float(component.get("height", ""))
        except ValueError as error:  # an attribute missing ("") or not a number
            raise DataFormatError(
                f"{xml_path}: a <cmp> of line {line.get('id')} lacks x, y, width or height"
            ) from error
        corners += [(x, y), (x + width, y + height)]
    return corners


def read_lines(root: Path) -> tuple[list[LineRecord], Counter]:
    """Every handwritten line of the corpus, and what was left out and why."""
    xml_files = sorted((root / "xml").glob("*.xml"))
    if not xml_files:
        raise MissingDataError(f"{root / 'xml'} holds no IAM form XML: delete {root} and unpack iamdb.zip again.")
    lines: list[LineRecord] = []
    skipped: Counter[str] = Counter()
    for xml_path in xml_files:
        page = read_form(xml_path, root / "forms")
        lines += page.lines
        skipped.update(page.skipped)
    return lines, skipped


def read_pages(root: Path, margin: float = REGION_MARGIN) -> list[PageRecord]:
    """Every form as a page of handwritten lines, cut to its handwritten part as FSDL's line detector did.

    A form's top holds the printed text the writer copied; the region is the box around the handwritten
    lines widened by `margin` of the median line height on every side, within the image.
    """
    pages = []
    for xml_path in sorted((root / "xml").glob("*.xml")):
        lines = read_form(xml_path, root / "forms").lines
        if not lines:
            continue
        with Image.open(lines[0].page_image) as image:
            width, height = image.size
        pad = round(margin * sorted(line.height for line in lines)[len(lines) // 2])
        region = (
            max(0, min(line.box[0] for line in lines) - pad),
            max(0, min(line.box[1] for line in lines) - pad),
            min(width, max(line.box[2] for line in lines) + pad),
            min(height, max(line.box[3] for line in lines) + pad),
        )
        pages.append(
            PageRecord(
                page_image=lines[0].page_image,
                page_id=lines[0].page_id,
                writer=lines[0].writer,
                lines=tuple(lines),
                read_lines=frozenset(line.line_id for line in lines),
                region=region,
            )
        )
    return pages


def split_pages(root: Path, test_forms: set[str] | None = None) -> dict[str, list[PageRecord]]:
    """The forms of each split, by the same writer split as the lines (`split`)."""
    split_of = {line.writer: name for name, lines in split(read_lines(root)[0], test_forms).items() for line in lines}
    splits: dict[str, list[PageRecord]] = {"train": [], "validation": [], "test": []}
    for page in read_pages(root):
        splits[split_of[page.writer]].append(page)
    return splits


def split(lines: list[LineRecord], test_forms: set[str] | None = None) -> dict[str, list[LineRecord]]:
    """IAM's test forms (metadata.toml's `test_ids`) for test; the other writers dealt into train and validation.

    A writer with a test form has all their lines in test, so that no writer is in two splits.
    """
    test_forms = set(metadata()["test_ids"]) if test_forms is None else test_forms
    test_writers = {line.writer for line in lines if line.page_id in test_forms}
    rest = [line for line in lines if line.writer not in test_writers]
    dealt = deal_writers(rest, {"train": 1 - VALIDATION_FRACTION, "validation": VALIDATION_FRACTION}, SPLIT_SEED)
    return {**dealt, "test": [line for line in lines if line.writer in test_writers]}
