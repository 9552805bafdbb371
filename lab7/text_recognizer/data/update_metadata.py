"""Record a file's checksum in its dataset's metadata.toml: a new labeled export becomes a new data version.

    python -m text_recognizer.data.update_metadata copiste_labeled ~/Downloads/project-1-at-2026-11-30.json

The file is copied into `data/raw/<dataset>/` (under the name metadata.toml already gives it when the
dataset names one `export`, else under its own name) and its sha256 replaces the one recorded, comments and
the rest of the file untouched. Commit metadata.toml with it: the checksum is the version.
"""

import argparse
import shutil
from pathlib import Path

import tomlkit

from text_recognizer import atomic_files, paths
from text_recognizer.data.download import file_digest
from text_recognizer.data.errors import MissingDataError


def update_metadata(dataset: str, file: Path, url: str | None = None, raw_dir: Path | None = None) -> tuple[str, str]:
    """Copy `file` into the dataset's folder and record its sha256; return (old digest or "", new digest)."""
    folder = (raw_dir or paths.RAW_DATA_DIR) / dataset
    metadata_path = folder / "metadata.toml"
    if not metadata_path.is_file():
        raise MissingDataError(f"{metadata_path} does not exist: create the dataset's metadata.toml first.")
    if not file.is_file():
        raise MissingDataError(f"{file} does not exist.")
    document = tomlkit.parse(metadata_path.read_text(encoding="utf-8"))
    filename = str(document.get("export", file.name))
    digest = file_digest(file)
    target = folder / filename
    if file.resolve() != target.resolve():
        with atomic_files.atomic_path(target) as tmp:
            shutil.copyfile(file, tmp)
    entries = document.setdefault("files", tomlkit.aot())
    entry = next((e for e in entries if e["filename"] == filename), None)
    if entry is None:
        entry = tomlkit.table()
        entry["filename"] = filename
        entry["urls"] = []
        entries.append(entry)
    old = str(entry.get("checksum", {}).get("digest", ""))
    checksum = tomlkit.inline_table()
    checksum.update({"algorithm": "sha256", "digest": digest})
    entry["checksum"] = checksum
    if url:
        entry["urls"] = [url]
    atomic_files.write_text(metadata_path, tomlkit.dumps(document))
    return old, digest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", help="a folder of data/raw/ with a metadata.toml")
    parser.add_argument("file", type=Path, help="the new file (a labeled export, a raw file)")
    parser.add_argument("--url", help="where users download it from (recorded in metadata.toml)")
    args = parser.parse_args(argv)
    old, new = update_metadata(args.dataset, args.file, args.url)
    print(f"{args.dataset}: sha256 {old or '(none)'} -> {new}" if old != new else f"{args.dataset}: unchanged ({new})")


if __name__ == "__main__":
    main()
