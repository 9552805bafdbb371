"""Copiste d'un jour: real modern handwriting, one writer per document, line-level ALTO ground truth.

    python -m text_recognizer.data.copiste     # fetch what is missing, then print a summary

Raw files are looked for in `data/raw/copiste/` (alto/, jpg/), then in `$TEXT_RECOGNIZER_MIRROR/copiste/`;
otherwise every file listed in `data/raw/copiste/UPSTREAM.tsv` is fetched, in parallel, from the pinned
commit that manifest names, each checked against its sha256 (272 MB).

What is read, and what is left out on purpose (counted in `skipped`):
- each page's first line is its reference (`imp_wikitexte_0022`, sometimes `Nom de référence : ...`), not
  handwriting to learn from: lines naming a reference, however written (`WIKITEXTE-0041`, `wikitexte 0257`,
  `imp.wikitexte-0125`), are left out;
- crossed-out passages (transcribed `>text<`) and unreadable ones (`><`) are left out with their whole
  line: the ink under a strike-through has no agreed reading and unreadable ink has none at all, so
  neither can be a training target or a fair test. That is 152 of the corpus's 5,686 lines.

Splits are by document (`imp_wikitexte_0051_1` and `_2` are one document, one writer; a `_double` is the
same text copied by another writer): no writer is in two splits.
"""

import argparse
import re
import tomllib
from collections import Counter
from dataclasses import replace
from pathlib import Path

from text_recognizer import paths
from text_recognizer.data import download
from text_recognizer.data.errors import DataFormatError, DownloadError, MissingDataError
from text_recognizer.data.line_records import LineRecord, PageRecord, ParsedPage, deal_writers
from text_recognizer.data.transcription_xml import read_transcription

NAME = "copiste"
SPLIT_FRACTIONS = {"train": 0.75, "validation": 0.10, "test": 0.15}
SPLIT_SEED = 0
PAGE_REFERENCE = re.compile(r"wikitexte", re.IGNORECASE)  # the corpus's own page ids: never in its texts
EDITORIAL_MARK = re.compile(r"[<>]")  # >crossed out< and >< (unreadable)
PAGE_SUFFIX = re.compile(r"(?<=_\d{4})_\d+$")  # the page of a document: imp_wikitexte_0051_2
DOWNLOAD_WORKERS = 8


def manifest_files(manifest: Path) -> list[download.RemoteFile]:
    """The files listed in UPSTREAM.tsv (path, bytes, sha256), with the URL its first line gives."""
    lines = manifest.read_text(encoding="utf-8").splitlines()
    bases = [re.search(r"https?://\S+<path>", line) for line in lines if line.startswith("#")]
    base = next((match for match in bases if match), None)
    if base is None:
        raise DataFormatError(f"{manifest}: no '# ... https://.../<path>' line gives the download address")
    files = []
    for line in lines:
        if line.startswith("#") or not line.strip() or line.startswith("path\t"):
            continue
        try:
            path, _size, digest = line.split("\t")
        except ValueError as error:
            raise DataFormatError(f"{manifest}: expected 'path<TAB>bytes<TAB>sha256', got {line!r}") from error
        url = base.group(0).replace("<path>", path)
        files.append(download.RemoteFile(filename=path, urls=(url,), algorithm="sha256", digest=digest.lower()))
    return files


def corpus_dir() -> Path:
    """A folder holding the corpus's alto/ and jpg/: the local one, the mirror's, or a fresh download."""
    local = paths.RAW_DATA_DIR / NAME
    metadata = _metadata(local)
    remote_files = manifest_files(local / metadata["manifest"])
    if all((local / remote.filename).is_file() for remote in remote_files):
        return local
    mirror = paths.mirror_dir()
    if mirror is not None and (mirror / NAME / "alto").is_dir():
        return mirror / NAME
    fetch_corpus(remote_files, local)
    return local


def _metadata(local: Path) -> dict:
    path = local / "metadata.toml"
    if not path.is_file():
        raise MissingDataError(f"{path} is missing: it comes with the repository; check out data/raw/ again.")
    with path.open("rb") as f:
        return tomllib.load(f)


def fetch_corpus(remote_files: list[download.RemoteFile], destination: Path) -> None:
    """Download the files not yet verified in `destination`, `DOWNLOAD_WORKERS` at a time."""
    report = download.fetch_many(remote_files, destination, workers=DOWNLOAD_WORKERS, desc=NAME)
    if report.failed:
        failures = "\n  ".join(f"{name}: {why}" for name, why in sorted(report.failed.items()))
        raise DownloadError(
            f"{len(report.failed)} of the corpus's {len(remote_files)} files could not be fetched (the others are in "
            f"{destination}; run again to fetch only what is missing):\n  {failures}"
        )


def document_id(page_id: str) -> str:
    """The document (one writer) a page belongs to: `imp_wikitexte_0051_2` -> `imp_wikitexte_0051`."""
    return PAGE_SUFFIX.sub("", page_id)


def reason_left_out(text: str) -> str | None:
    """Why a line's text is not handwriting to learn from or to read, or None when it is."""
    if PAGE_REFERENCE.search(text):
        return "page reference line"
    if EDITORIAL_MARK.search(text):
        return "crossed-out or unreadable passage"
    return None


def read_lines(root: Path) -> tuple[list[LineRecord], Counter]:
    """Every line of handwriting to learn from, with its writer, and what was left out and why."""
    lines: list[LineRecord] = []
    skipped: Counter[str] = Counter()
    for page in _parsed_pages(root):
        skipped.update(page.skipped)
        for line in page.lines:
            reason = reason_left_out(line.text)
            if reason:
                skipped[reason] += 1
            else:
                lines.append(replace(line, writer=document_id(line.page_id)))
    return lines, skipped


def read_pages(root: Path) -> list[PageRecord]:
    """Every page with all its lines (page references and crossed-out passages are ink to find too)."""
    pages = []
    for parsed in _parsed_pages(root):
        if not parsed.lines:
            continue
        first = parsed.lines[0]
        pages.append(
            PageRecord(
                page_image=first.page_image,
                page_id=first.page_id,
                writer=document_id(first.page_id),
                lines=tuple(parsed.lines),
                read_lines=frozenset(line.line_id for line in parsed.lines if not reason_left_out(line.text)),
            )
        )
    return pages


def split_pages(root: Path) -> dict[str, list[PageRecord]]:
    """The pages of each split, by the same writer split as the lines (`split_by_writer`)."""
    split_of = {line.writer: name for name, lines in split_by_writer(read_lines(root)[0]).items() for line in lines}
    splits: dict[str, list[PageRecord]] = {name: [] for name in SPLIT_FRACTIONS}
    for page in read_pages(root):
        if page.writer in split_of:  # a document with no line to read has no writer in the split
            splits[split_of[page.writer]].append(page)
    return splits


def _parsed_pages(root: Path) -> list[ParsedPage]:
    xml_files = sorted((root / "alto").glob("*.xml"))
    if not xml_files:
        raise MissingDataError(f"{root / 'alto'} holds no ALTO files: delete {root} and fetch the corpus again.")
    return [read_transcription(xml_path, root / "jpg") for xml_path in xml_files]


def split_by_writer(
    lines: list[LineRecord], fractions: dict[str, float] = SPLIT_FRACTIONS, seed: int = SPLIT_SEED
) -> dict[str, list[LineRecord]]:
    """The corpus's splits: its writers shuffled with `seed` and dealt out by `fractions`."""
    return deal_writers(lines, fractions, seed)


def summary(splits: dict[str, list[LineRecord]], skipped: Counter) -> str:
    rows = [f"Copiste d'un jour: {sum(map(len, splits.values()))} lines of handwriting"]
    for name, lines in splits.items():
        writers = len({line.writer for line in lines})
        characters = sum(len(line.text) for line in lines)
        rows.append(f"  {name:<10} {len(lines):>5} lines, {writers:>3} writers, {characters:>6} characters")
    rows += [f"  left out: {count} x {reason}" for reason, count in sorted(skipped.items())]
    return "\n".join(rows)


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    root = corpus_dir()
    lines, skipped = read_lines(root)
    print(f"Corpus in {root}")
    print(summary(split_by_writer(lines), skipped))


if __name__ == "__main__":
    main()
