"""Turn a Label Studio export into a dataset: page images fetched and checksummed, pages of lines to train on.

    python -m text_recognizer.data.labeled_pages                  # the course's sample (data/raw/copiste_labeled)
    python -m text_recognizer.data.labeled_pages --dataset NAME   # another labeled dataset in data/raw/NAME
    python -m text_recognizer.data.labeled_pages --export EXPORT.json --dest DEST [--local DIR ...]

A labeled dataset is a folder of `data/raw/` whose metadata.toml names its `export` (with the export's
sha256: the data version; `update_metadata` records a new one) and, optionally, `local_pages`, a folder of
the data directory or the mirror that may already hold its page images. It is ingested into
`data/processed/<name>/`. The export is Label Studio's JSON, or an eScriptorium / Transkribus zip of
ALTO or PAGE-XML pages (`transcription_export`).

The export's image URLs are fetched into `DEST/images/` in parallel (`download.fetch_many`: retries with
backoff, one progress bar) unless a file of the same name is found in a `--local` folder (a copy of the
pages you already have). Each file's sha256 goes into `DEST/manifest.tsv` with its URL, even when the run
is interrupted; a rerun fetches only what is missing, and refuses a page whose content changed upstream
since it was recorded (the labels were drawn on the old one). Tasks that fail are reported by id, and the
others are ingested.
"""

import argparse
import csv
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from text_recognizer import atomic_files, paths
from text_recognizer.data import download
from text_recognizer.data.errors import ChecksumMismatchError, DataFormatError
from text_recognizer.data.label_studio import LabeledTask, read_export
from text_recognizer.data.line_records import PageRecord
from text_recognizer.data.transcription_export import read_zip_export

SAMPLE = "copiste_labeled"
IMAGES = "images"
MANIFEST = "manifest.tsv"
MANIFEST_FIELDS = ("filename", "sha256", "url")


@dataclass
class IngestReport:
    """What an ingest did: the pages ready to use, and every task left out with why."""

    pages: list[PageRecord] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # task id (or zip member) -> why
    skipped: Counter = field(default_factory=Counter)
    fetched: int = 0
    reused: int = 0
    copied: int = 0
    download_s: float = 0.0  # time spent fetching and checking page images

    def summary(self) -> str:
        lines = sum(len(page.lines) for page in self.pages)
        rows = [
            f"{len(self.pages)} pages, {lines} lines ingested "
            f"(images: {self.fetched} fetched, {self.reused} already here, {self.copied} copied from local folders)"
        ]
        rows += [f"  left out: {count} x {reason}" for reason, count in sorted(self.skipped.items())]
        rows += [f"  failed, {task}: {why}" for task, why in sorted(self.failed.items())]
        return "\n".join(rows)


def read_manifest(path: Path) -> dict[str, tuple[str, str]]:
    """filename -> (sha256, url) as recorded by earlier ingests (empty when there is none)."""
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if rows and set(MANIFEST_FIELDS) - set(rows[0]):
        raise DataFormatError(f"{path}: expected the columns {MANIFEST_FIELDS}; delete it to record checksums anew.")
    return {row["filename"]: (row["sha256"], row["url"]) for row in rows}


def write_manifest(path: Path, entries: dict[str, tuple[str, str]]) -> None:
    """Write the manifest atomically (a temporary file renamed over the old one)."""
    with atomic_files.atomic_path(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(MANIFEST_FIELDS)
        writer.writerows((name, digest, url) for name, (digest, url) in sorted(entries.items()))


def check_image(path: Path) -> None:
    """Reject a file that is not a readable image (an error page saved as .jpg, a truncated file)."""
    try:
        with Image.open(path) as image:
            image.verify()
    except (UnidentifiedImageError, OSError) as error:
        raise DataFormatError(f"not a readable image ({error})") from error


def ingest(
    export_path: Path,
    dest: Path,
    *,
    workers: int = 8,
    local_dirs: tuple[Path, ...] = (),
    retries: int = 3,
    backoff_s: float = 1.0,
) -> IngestReport:
    """Fetch the export's page images into `dest` and read its pages (see the module's docstring)."""
    export = read_export(export_path)
    report = IngestReport(failed=dict(export.problems), skipped=Counter(export.skipped))
    images_dir = dest / IMAGES
    images_dir.mkdir(parents=True, exist_ok=True)
    for stale in images_dir.glob(".*.part"):  # left by a run that was killed mid-download (one ingest per folder)
        stale.unlink()
    manifest_path = dest / MANIFEST
    manifest = read_manifest(manifest_path)
    tasks = _unique_images(export.tasks, report)
    remotes = []
    for task in tasks:
        recorded = manifest.get(task.image_name)
        digest = recorded[0] if recorded and recorded[1] == task.image_url else None
        remote = download.RemoteFile(task.image_name, (task.image_url,), digest=digest)
        if _copy_local(task.url_name, images_dir / task.image_name, local_dirs):
            report.copied += 1
        remotes.append(remote)
    url_of = {task.image_name: task.image_url for task in tasks}

    def record(filename: str, digest: str) -> None:
        manifest[filename] = (digest, url_of[filename])

    started = time.perf_counter()
    try:
        fetched = download.fetch_many(
            remotes,
            images_dir,
            workers=workers,
            retries=retries,
            backoff_s=backoff_s,
            validate=check_image,
            on_done=record,
            desc="page images",
        )
    finally:  # what was fetched stays recorded, even when the run is interrupted
        write_manifest(manifest_path, manifest)
    report.download_s = time.perf_counter() - started
    report.fetched, report.reused = len(fetched.fetched), len(fetched.reused) - report.copied
    for task in tasks:
        if task.image_name in fetched.failed:
            report.failed[task.task_id] = f"{task.image_url}: {fetched.failed[task.image_name]}"
            continue
        page = _page(task, images_dir / task.image_name, report.skipped)
        if page is not None:
            report.pages.append(page)
    return report


def _unique_images(tasks: list[LabeledTask], report: IngestReport) -> list[LabeledTask]:
    """One task per image: a page imported twice into Label Studio is labeled twice, and kept once."""
    seen: dict[str, str] = {}
    unique = []
    for task in tasks:
        if task.image_url in seen:
            report.failed[task.task_id] = f"the same image as task {seen[task.image_url]} ({task.image_url})"
            continue
        seen[task.image_url] = task.task_id
        unique.append(task)
    return unique


def _copy_local(url_name: str, target: Path, local_dirs: tuple[Path, ...]) -> bool:
    """Copy a page found under its URL's file name in a local folder, unless it is already there."""
    if target.is_file():
        return False
    source = next((d / url_name for d in local_dirs if (d / url_name).is_file()), None)
    if source is None:
        return False
    with atomic_files.atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
    return True


def _page(task: LabeledTask, image_path: Path, skipped: Counter) -> PageRecord | None:
    with Image.open(image_path) as image:
        size = image.size
    lines, left_out = task.line_records(image_path, size)
    skipped.update(left_out)
    return PageRecord(
        page_image=image_path,
        page_id=image_path.stem,
        writer=task.writer or image_path.stem,
        lines=tuple(lines),
        read_lines=frozenset(line.line_id for line in lines if line.text.strip()),
    )


def load(name: str = SAMPLE, workers: int = 8) -> IngestReport:
    """Ingest the labeled dataset `name` into `data/processed/<name>/`, its export checked against metadata."""
    metadata = download.load_metadata(name)
    export_name = metadata.extra.get("export")
    if export_name is None:
        raise DataFormatError(f"data/raw/{name}/metadata.toml names no `export`: it is not a labeled dataset.")
    export = paths.RAW_DATA_DIR / name / export_name
    recorded = metadata.files.get(export_name)
    actual = download.file_digest(export) if export.is_file() else None
    if recorded is None or actual != recorded.digest:
        raise ChecksumMismatchError(
            f"{export} has sha256 {actual or '(missing)'}, but metadata.toml records "
            f"{recorded.digest if recorded else 'none'}. If this is a new export, record it: "
            f"python -m text_recognizer.data.update_metadata {name} {export}"
        )
    local = metadata.extra.get("local_pages")
    roots = [paths.RAW_DATA_DIR, paths.mirror_dir()]
    local_dirs = tuple(root / local for root in roots if local and root is not None and (root / local).is_dir())
    if export.suffix == ".zip":  # eScriptorium or Transkribus: page XML and images in one archive
        zipped = read_zip_export(export, paths.PROCESSED_DATA_DIR / name, image_dirs=local_dirs)
        return IngestReport(pages=zipped.pages, failed=zipped.failed, skipped=zipped.skipped)
    return ingest(export, paths.PROCESSED_DATA_DIR / name, workers=workers, local_dirs=local_dirs)


def labeled_datasets() -> list[str]:
    """The folders of data/raw/ whose metadata.toml names a labeled export."""
    return sorted(
        path.parent.name
        for path in paths.RAW_DATA_DIR.glob("*/metadata.toml")
        if "export" in download.load_metadata(path.parent.name).extra
    )


def training_lines(name: str, height: int, held_out_writers: set[str]) -> tuple[list[np.ndarray], list[str], str]:
    """The dataset's transcribed lines cut and normalized for the line model, and a summary.

    Lines of writers in `held_out_writers` (another corpus's validation and test writers) are left out, so that
    no writer is both trained on and tested on. The label checks run first; their findings are summarized
    (`python -m text_recognizer.data.label_quality --dataset NAME` shows them), not silently fixed.
    """
    from text_recognizer.data.handwriting_lines import normalized_lines
    from text_recognizer.data.label_quality import check_pages

    report = load(name)
    findings = check_pages(report.pages).counts()
    lines = [line for page in report.pages for line in page.lines if line.line_id in page.read_lines]
    kept = [line for line in lines if line.writer not in held_out_writers]
    images = normalized_lines(kept, height, desc=f"{name} lines")
    pairs = [
        (image, " ".join(line.text.split())) for image, line in zip(images, kept, strict=True) if image is not None
    ]
    summary = (
        f"{name}: {len(report.pages)} labeled pages, {len(pairs)} lines for training "
        f"({len(lines) - len(kept)} of held-out writers left out); label checks: "
        + (", ".join(f"{count} x {kind}" for kind, count in findings.items()) or "no findings")
    )
    return [image for image, _ in pairs], [text for _, text in pairs], summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default=SAMPLE, help="a labeled dataset of data/raw/ (default: %(default)s)")
    parser.add_argument("--export", type=Path, help="a Label Studio JSON export to ingest instead")
    parser.add_argument("--dest", type=Path, help="with --export: the folder for images/ and manifest.tsv")
    parser.add_argument("--workers", type=int, default=8, help="parallel downloads")
    parser.add_argument("--local", type=Path, action="append", default=[], help="a folder of page images you have")
    args = parser.parse_args(argv)
    if args.export is not None:
        if args.dest is None:
            parser.error("--export needs --dest")
        report = ingest(args.export, args.dest, workers=args.workers, local_dirs=tuple(args.local))
    else:
        report = load(args.dataset, workers=args.workers)
    print(report.summary())
    return 1 if report.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
