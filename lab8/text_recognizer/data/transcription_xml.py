"""Read transcribed lines from ALTO v4 and PAGE-XML (2013, 2019), as eScriptorium and Transkribus export them.

    page = read_transcription(Path("alto/page_0001.xml"), image_dir=Path("jpg"))
    page.lines      # LineRecord per transcribed line, in reading order
    page.skipped    # Counter of lines left out, by reason

Coordinates are scaled by the real image size over the page size the XML declares, since corpora often
ship resized page images with the XML of the originals. Lines without text, or whose polygon lies outside
the page, are skipped and counted; a file that cannot be read raises `DataFormatError` naming the file
and what to do.
"""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from text_recognizer.data.errors import DataFormatError, MissingDataError
from text_recognizer.data.line_records import LineRecord, ParsedPage, Point, bounding_box

ALTO_NAMESPACE = re.compile(r"^\{http://www\.loc\.gov/standards/alto/ns-v4#\}alto$")
PAGE_NAMESPACE = re.compile(
    r"^\{http://schema\.primaresearch\.org/PAGE/gts/pagecontent/(2013-07-15|2019-07-15)\}PcGts$"
)


def read_transcription(xml_path: Path, image_dir: Path | None = None) -> ParsedPage:
    """The lines of one ALTO or PAGE-XML file; its image is looked for in `image_dir` (default: beside it)."""
    root = _parse(xml_path)
    if ALTO_NAMESPACE.match(root.tag):
        return _read_alto(root, xml_path, image_dir or xml_path.parent)
    if PAGE_NAMESPACE.match(root.tag):
        return _read_page(root, xml_path, image_dir or xml_path.parent)
    raise DataFormatError(
        f"{xml_path}: root element {root.tag!r} is neither ALTO v4 nor PAGE-XML 2013/2019. "
        "Export the page from eScriptorium or Transkribus in one of those formats."
    )


def _parse(xml_path: Path) -> ET.Element:
    try:
        return ET.parse(xml_path).getroot()  # noqa: S314  # expat 2.4.1+ stops entity bombs; etree reads no external entity
    except FileNotFoundError as error:
        raise MissingDataError(f"{xml_path} does not exist.") from error
    except ET.ParseError as error:
        raise DataFormatError(
            f"{xml_path}: not well-formed XML ({error}). The file is truncated or corrupt: export or fetch it again."
        ) from error


def _image_size(xml_path: Path, image_path: Path) -> tuple[int, int]:
    try:
        with Image.open(image_path) as image:
            return image.size
    except FileNotFoundError as error:
        raise MissingDataError(
            f"{xml_path} names the page image {image_path.name}, which is not in {image_path.parent}."
        ) from error
    except (UnidentifiedImageError, OSError) as error:
        raise DataFormatError(f"{image_path}: not a readable image ({error}). Fetch it again.") from error


def _points(text: str | None, xml_path: Path) -> tuple[Point, ...]:
    """'x y x y ...' (ALTO) or 'x,y x,y ...' (PAGE) as (x, y) pairs."""
    try:
        numbers = [float(n) for n in re.split(r"[\s,]+", (text or "").strip()) if n]
    except ValueError as error:
        raise DataFormatError(f"{xml_path}: bad coordinates {text!r}") from error
    if len(numbers) % 2:
        raise DataFormatError(f"{xml_path}: an odd number of coordinates in {text!r}")
    return tuple(zip(numbers[0::2], numbers[1::2], strict=True))


def _scaled(points: tuple[Point, ...], scale: tuple[float, float]) -> tuple[Point, ...]:
    return tuple((x * scale[0], y * scale[1]) for x, y in points)


def _declared_size(element: ET.Element | None, width_key: str, height_key: str, xml_path: Path) -> tuple[float, float]:
    if element is None:
        raise DataFormatError(f"{xml_path}: no Page element declares the page's {width_key} and {height_key}")
    try:
        width, height = float(element.get(width_key, "")), float(element.get(height_key, ""))
    except ValueError as error:
        raise DataFormatError(f"{xml_path}: the Page element lacks a valid {width_key} and {height_key}") from error
    if width <= 0 or height <= 0:
        raise DataFormatError(f"{xml_path}: the Page size {width}x{height} is empty")
    return width, height


def _add_line(
    page: ParsedPage,
    *,
    xml_path: Path,
    image_path: Path,
    image_size: tuple[int, int],
    scale: tuple[float, float],
    line_id: str,
    text: str,
    polygon: tuple[Point, ...],
    baseline: tuple[Point, ...],
) -> None:
    if not text.strip():
        page.skipped["empty transcription"] += 1
        return
    if not polygon:
        page.skipped["no coordinates"] += 1
        return
    polygon, baseline = _scaled(polygon, scale), _scaled(baseline, scale)
    box = bounding_box(polygon, image_size)
    if box is None:
        page.skipped["outside the page"] += 1
        return
    page.lines.append(
        LineRecord(
            page_image=image_path,
            page_id=xml_path.stem,
            line_id=line_id,
            text=text,
            box=box,
            polygon=polygon,
            baseline=baseline or None,
            reading_order=len(page.lines),
        )
    )


def _read_alto(root: ET.Element, xml_path: Path, image_dir: Path) -> ParsedPage:
    ns = {"a": root.tag[1:].split("}")[0]}
    unit = root.findtext("a:Description/a:MeasurementUnit", default="pixel", namespaces=ns).strip()
    if unit != "pixel":
        raise DataFormatError(f"{xml_path}: MeasurementUnit {unit!r}; only pixel coordinates are read")
    file_name = root.findtext("a:Description/a:sourceImageInformation/a:fileName", namespaces=ns)
    if not file_name:
        raise DataFormatError(f"{xml_path}: no sourceImageInformation/fileName names the page image")
    image_path = image_dir / Path(file_name.strip()).name
    image_size = _image_size(xml_path, image_path)
    declared = _declared_size(root.find("a:Layout/a:Page", ns), "WIDTH", "HEIGHT", xml_path)
    scale = (image_size[0] / declared[0], image_size[1] / declared[1])
    page = ParsedPage()
    for line in root.iterfind(".//a:TextLine", ns):
        words = []
        for child in line:
            if child.tag.endswith("}String"):
                words.append(child.get("CONTENT", ""))
            elif child.tag.endswith("}SP") and words:
                words.append(" ")
        shape = line.find("a:Shape/a:Polygon", ns)
        polygon = _points(shape.get("POINTS"), xml_path) if shape is not None else _box_polygon(line)
        # ALTO 4.2 gives the baseline as points; 4.0 and 4.1 as one number (its y), too little to use here
        baseline_text = (line.get("BASELINE") or "").strip()
        baseline = _points(baseline_text, xml_path) if " " in baseline_text else ()
        _add_line(
            page,
            xml_path=xml_path,
            image_path=image_path,
            image_size=image_size,
            scale=scale,
            line_id=line.get("ID", f"line{len(page.lines)}"),
            text=_join_words(words),
            polygon=polygon,
            baseline=baseline,
        )
    return page


def _join_words(words: list[str]) -> str:
    """ALTO Strings, with an SP between some: eScriptorium puts a whole line in one String."""
    text = "".join(w if w == " " else (" " + w if i and words[i - 1] != " " else w) for i, w in enumerate(words))
    return " ".join(text.split())


def _box_polygon(line: ET.Element) -> tuple[Point, ...]:
    """An ALTO line with no Shape: its HPOS/VPOS/WIDTH/HEIGHT rectangle."""
    try:
        x, y = float(line.get("HPOS", "")), float(line.get("VPOS", ""))
        w, h = float(line.get("WIDTH", "")), float(line.get("HEIGHT", ""))
    except ValueError:  # an attribute missing ("") or not a number
        return ()
    return ((x, y), (x + w, y), (x + w, y + h), (x, y + h))


def _read_page(root: ET.Element, xml_path: Path, image_dir: Path) -> ParsedPage:
    ns = {"p": root.tag[1:].split("}")[0]}
    page_element = root.find("p:Page", ns)
    image_filename = page_element.get("imageFilename") if page_element is not None else None
    if page_element is None or not image_filename:
        raise DataFormatError(f"{xml_path}: no Page element with an imageFilename")
    image_path = image_dir / Path(image_filename).name
    image_size = _image_size(xml_path, image_path)
    declared = _declared_size(page_element, "imageWidth", "imageHeight", xml_path)
    scale = (image_size[0] / declared[0], image_size[1] / declared[1])
    page = ParsedPage()
    for region in _regions_in_reading_order(page_element, ns):
        for line in region.iterfind("p:TextLine", ns):
            coords = line.find("p:Coords", ns)
            baseline = line.find("p:Baseline", ns)
            _add_line(
                page,
                xml_path=xml_path,
                image_path=image_path,
                image_size=image_size,
                scale=scale,
                line_id=line.get("id", f"line{len(page.lines)}"),
                text=_page_line_text(line, ns),
                polygon=_points(coords.get("points"), xml_path) if coords is not None else (),
                baseline=_points(baseline.get("points"), xml_path) if baseline is not None else (),
            )
    return page


def _regions_in_reading_order(page_element: ET.Element, ns: dict[str, str]) -> list[ET.Element]:
    """Text regions as the ReadingOrder lists them; regions it does not name follow in document order."""
    regions = list(page_element.iter(f"{{{ns['p']}}}TextRegion"))
    refs = page_element.iterfind("p:ReadingOrder//p:RegionRefIndexed", ns)
    index = {ref.get("regionRef"): int(ref.get("index", 0)) for ref in refs}
    unlisted = max(index.values(), default=0) + 1
    return sorted(regions, key=lambda region: (index.get(region.get("id"), unlisted), regions.index(region)))


def _page_line_text(line: ET.Element, ns: dict[str, str]) -> str:
    """The line's own TextEquiv (the lowest index where there are several), else its words joined."""
    equivs = line.findall("p:TextEquiv", ns)
    if equivs:
        best = min(equivs, key=lambda e: int(e.get("index", 0)))
        return best.findtext("p:Unicode", default="", namespaces=ns)
    words = [w.findtext("p:TextEquiv/p:Unicode", default="", namespaces=ns) for w in line.iterfind("p:Word", ns)]
    return " ".join(w for w in words if w)
