"""Read an eScriptorium or Transkribus export: a zip of page XML files (ALTO v4 or PAGE-XML) and their images.

    export = read_zip_export(Path("export.zip"), Path("data/processed/my_pages"))
    export.pages     # PageRecord per page that could be read, through the Lab 4 parsers
    export.failed    # {member: why}: one bad page does not stop the others

eScriptorium (Export, format ALTO or PAGE, "include images") writes the XML files and images side by side;
Transkribus writes `<document>/page/<image>.xml` with the images in `<document>/`, beside `mets.xml`
and `doc.xml`, which are not pages. An image is looked for beside its XML, in the folder above it, then in
`image_dirs` (pages you already have, when the export was made without images).

The zip is checked before anything is written: a member with an absolute path or `..` (which would
land outside the destination) or an uncompressed total above `max_bytes` is refused. It is extracted
into a temporary folder renamed into place, so the destination never holds half an export.
"""

import shutil
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from text_recognizer.data.errors import DataError, DataFormatError, MissingDataError
from text_recognizer.data.line_records import PageRecord, ParsedPage
from text_recognizer.data.transcription_xml import read_transcription

MAX_BYTES = 4 << 30  # uncompressed: far above any real export, far below what a zip bomb unpacks to
NOT_PAGES = {"mets.xml", "doc.xml", "metadata.xml"}  # Transkribus's document files


@dataclass
class ZipExport:
    pages: list[PageRecord] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)


def read_zip_export(
    zip_path: Path, dest: Path, image_dirs: tuple[Path, ...] = (), max_bytes: int = MAX_BYTES
) -> ZipExport:
    """Extract the export into `dest` (replacing an earlier extraction) and read every page in it."""
    _extract(zip_path, dest, max_bytes)
    export = ZipExport()
    writer = zip_path.stem
    xml_files = sorted(path for path in dest.rglob("*.xml") if path.name.lower() not in NOT_PAGES)
    if not xml_files:
        raise DataFormatError(f"{zip_path} holds no page XML file: export the pages as ALTO or PAGE-XML.")
    for xml_path in xml_files:
        member = xml_path.relative_to(dest).as_posix()
        try:
            parsed = _parse(xml_path, (xml_path.parent, xml_path.parent.parent, *image_dirs))
        except DataError as error:
            export.failed[member] = str(error)
            continue
        export.skipped.update(parsed.skipped)
        if not parsed.lines:
            export.skipped["pages without transcribed lines"] += 1
            continue
        export.pages.append(
            PageRecord(
                page_image=parsed.lines[0].page_image,
                page_id=xml_path.stem,
                writer=writer,
                lines=tuple(parsed.lines),
                read_lines=frozenset(line.line_id for line in parsed.lines),
            )
        )
    return export


def _parse(xml_path: Path, image_dirs: tuple[Path, ...]) -> ParsedPage:
    """The page read with its image from the first folder that has it."""
    first_error: MissingDataError | None = None
    for image_dir in image_dirs:
        try:
            return read_transcription(xml_path, image_dir)
        except MissingDataError as error:  # the page's image is not in this folder
            first_error = first_error or error
    if first_error is None:
        raise ValueError(f"{xml_path}: _parse was given no image folder to look for the page image in")
    raise first_error


def _extract(zip_path: Path, dest: Path, max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(zip_path) as archive:
            members = archive.infolist()
            _check_members(zip_path, members, max_bytes)
            dest.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent))
            try:
                archive.extractall(staging)
                if dest.exists():
                    shutil.rmtree(dest)
                staging.replace(dest)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except FileNotFoundError as error:
        raise DataFormatError(f"{zip_path} does not exist.") from error
    except (zipfile.BadZipFile, EOFError) as error:
        raise DataFormatError(
            f"{zip_path}: not a readable zip ({error}); the download was cut short or is not the export. "
            "Export it again."
        ) from error


def _check_members(zip_path: Path, members: list[zipfile.ZipInfo], max_bytes: int) -> None:
    for member in members:
        path = PurePosixPath(member.filename)
        if path.is_absolute() or ".." in path.parts or "\\" in member.filename:
            raise DataFormatError(f"{zip_path}: member {member.filename!r} would be written outside the export folder")
    total = sum(member.file_size for member in members)
    if total > max_bytes:
        raise DataFormatError(f"{zip_path} unpacks to {total:,} bytes, more than {max_bytes:,}: refused")
