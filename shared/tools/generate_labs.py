"""Write each lab's copy of the course code from `shared/` and the manifest `shared/labs.toml`.

    python -m tools.generate_labs          # (re)write lab1/ .. labN/
    python -m tools.generate_labs --check  # exit 1 and name the files if a copy is out of date

Lab N's copy holds the files introduced by labs 1..N. A later lab can add lines to an earlier lab's Python
file: lines between `# [lab K]` and `# [end lab K]`, and a line ending in `# [lab K]`, appear only in the
copies of labs K and later, so `diff -r labN labN+1` shows what a lab adds. Each copy also gets
`notebooks/text_recognizer` and `notebooks/training` links to its own code, so a notebook in
`labN/notebooks/` imports lab N's code without any path set-up.
"""

import argparse
import fnmatch
import os
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from grading.starters import FOLDER as EXERCISES_FOLDER
from grading.starters import exercise_files

SHARED_DIR = Path(__file__).resolve().parents[1]
REPO_DIR = SHARED_DIR.parent
MANIFEST = "labs.toml"
NOTEBOOK_LINKS = ("text_recognizer", "training")
# Where generated code lives inside a lab; anything else there (README, notebooks) is written by hand.
GENERATED_ROOTS = ("text_recognizer", "training", "evaluation", "labeling", "api", "conftest.py", EXERCISES_FOLDER)
# Files the generator neither writes nor deletes: run outputs and caches that are git-ignored.
IGNORED = ("*/__pycache__/*", "*.pyc", "*/.pytest_cache/*", "*/.ipynb_checkpoints/*", "training/runs/*")
# Instructor material: tools, and the autograder (its solutions and hidden checks; each lab gets starters).
NOT_FOR_LABS = ("tools/*", "grading/*", MANIFEST, *IGNORED)
BLOCK_START = re.compile(r"^[ \t]*# \[lab (\d+)\][ \t]*$")
BLOCK_END = re.compile(r"^[ \t]*# \[end lab (\d+)\][ \t]*$")
LINE_MARK = re.compile(r"[ \t]*# \[lab (\d+)\][ \t]*$")


@dataclass(frozen=True)
class Lab:
    number: int
    title: str
    patterns: tuple[str, ...]


class ManifestError(ValueError):
    """The manifest and the files in shared/ disagree."""


def read_manifest(shared_dir: Path = SHARED_DIR) -> list[Lab]:
    with (shared_dir / MANIFEST).open("rb") as f:
        content = tomllib.load(f)
    labs = [Lab(entry["number"], entry["title"], tuple(entry["files"])) for entry in content["labs"]]
    return sorted(labs, key=lambda lab: lab.number)


def shared_files(shared_dir: Path = SHARED_DIR) -> list[str]:
    """Every file under shared/ that belongs to some lab, as posix paths relative to shared/.

    Hidden files (editor and OS droppings, temporary files of interrupted writes) are skipped.
    """
    files = []
    for path in sorted(shared_dir.rglob("*")):
        relative = path.relative_to(shared_dir).as_posix()
        hidden = any(part.startswith(".") for part in path.relative_to(shared_dir).parts)
        if path.is_file() and not hidden and not _matches(relative, NOT_FOR_LABS):
            files.append(relative)
    return files


def files_by_lab(labs: list[Lab], shared_dir: Path = SHARED_DIR) -> dict[int, list[str]]:
    """Assign each file of shared/ to the one lab that introduces it; every file must have one.

    A file named exactly by a lab wins over glob patterns of other labs, so a later lab can add a file to
    a folder that an earlier lab claims with `folder/*`.
    """
    assigned: dict[int, list[str]] = {lab.number: [] for lab in labs}
    unclaimed, claimed_twice = [], []
    for relative in shared_files(shared_dir):
        owners = [lab.number for lab in labs if relative in lab.patterns]
        owners = owners or [lab.number for lab in labs if any(glob_match(relative, p) for p in lab.patterns)]
        if not owners:
            unclaimed.append(relative)
        elif len(owners) > 1:
            claimed_twice.append(f"{relative} (labs {owners})")
        else:
            assigned[owners[0]].append(relative)
    if unclaimed or claimed_twice:
        raise ManifestError(
            f"{MANIFEST} must place every file of shared/ in exactly one lab.\n"
            + "".join(f"  not placed: {f}\n" for f in unclaimed)
            + "".join(f"  placed twice: {f}\n" for f in claimed_twice)
        )
    for lab in labs:
        for pattern in lab.patterns:
            if not any(glob_match(f, pattern) for f in assigned[lab.number]):
                raise ManifestError(f"{MANIFEST}: lab {lab.number}'s pattern {pattern!r} matches no file")
    return assigned


def expected_files(lab_number: int, labs: list[Lab], shared_dir: Path = SHARED_DIR) -> dict[str, bytes]:
    """The files of lab `lab_number`'s copy (those introduced by it and every earlier lab) and their content,
    and the starters of its own exercises (those of earlier labs stay in their labs)."""
    assigned = files_by_lab(labs, shared_dir)
    code = {
        relative: lab_text((shared_dir / relative).read_bytes(), relative, lab_number, introduced_by=number)
        for number, files in sorted(assigned.items())
        if number <= lab_number
        for relative in sorted(files)
    }
    return code | exercise_files(shared_dir / "grading", lab_number)


def lab_text(source: bytes, relative: str, lab_number: int, introduced_by: int = 1) -> bytes:
    """The content of file `relative` in lab `lab_number`'s copy: without the lines of later labs.

    Lines a later lab adds go, with their markers; the markers of lines the copy keeps stay, telling the
    reader which lab added them (and keeping a copy that loses nothing identical to shared/'s file).
    Only Python files carry markers. A marker that names a lab not after `introduced_by` (the lab that
    brings the file), an unclosed or unmatched block, or a nested block is an error.
    """
    if not relative.endswith(".py"):
        return source
    kept, block = [], None
    for number, line in enumerate(source.decode().splitlines(keepends=True), start=1):
        where = f"{relative}:{number}"
        if start := BLOCK_START.match(line):
            if block is not None:
                raise ManifestError(f"{where}: a [lab] block inside the [lab {block}] block")
            block = _marked_lab(start, introduced_by, where)
            keep = block <= lab_number
        elif end := BLOCK_END.match(line):
            if block is None or int(end.group(1)) != block:
                raise ManifestError(f"{where}: [end lab {end.group(1)}] closes no open [lab {end.group(1)}]")
            keep, block = block <= lab_number, None
        elif block is not None:
            keep = block <= lab_number
        else:
            mark = LINE_MARK.search(line)
            keep = mark is None or _marked_lab(mark, introduced_by, where) <= lab_number
        if keep:
            kept.append(line)
    if block is not None:
        raise ManifestError(f"{relative}: the [lab {block}] block is never closed with [end lab {block}]")
    return "".join(kept).encode()


def _marked_lab(match: re.Match, introduced_by: int, where: str) -> int:
    number = int(match.group(1))
    if number <= introduced_by:
        raise ManifestError(f"{where}: [lab {number}] marks lines of a file that lab {introduced_by} introduces")
    return number


def lab_dirs(labs: list[Lab], repo_dir: Path) -> dict[int, Path]:
    """The lab folders that exist: a lab's copy is generated only once its folder has been created."""
    return {lab.number: repo_dir / f"lab{lab.number}" for lab in labs if (repo_dir / f"lab{lab.number}").is_dir()}


def existing_generated(lab_dir: Path) -> list[str]:
    files = []
    for root in GENERATED_ROOTS:
        path = lab_dir / root
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files += [p.relative_to(lab_dir).as_posix() for p in candidates]
    return [f for f in files if not _matches(f, IGNORED)]


def differences(lab_dir: Path, expected: dict[str, bytes]) -> list[str]:
    """What `generate` would change in one lab folder, one line per file."""
    problems = []
    for relative, content in expected.items():
        target = lab_dir / relative
        if not target.is_file():
            problems.append(f"missing   {lab_dir.name}/{relative}")
        elif target.read_bytes() != content:
            problems.append(f"differs   {lab_dir.name}/{relative}")
    for relative in sorted(set(existing_generated(lab_dir)) - set(expected)):
        problems.append(f"extra     {lab_dir.name}/{relative}")
    for name in NOTEBOOK_LINKS:
        link = lab_dir / "notebooks" / name
        if not link.is_symlink() or os.readlink(link) != f"../{name}":
            problems.append(f"link      {lab_dir.name}/notebooks/{name} should point to ../{name}")
    return problems


def generate(lab_dir: Path, expected: dict[str, bytes]) -> None:
    """Make one lab folder's generated files exactly `expected` and add its links."""
    for relative in sorted(set(existing_generated(lab_dir)) - set(expected)):
        (lab_dir / relative).unlink()
    for relative, content in expected.items():
        target = lab_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_bytes() != content:
            target.write_bytes(content)
    for root in GENERATED_ROOTS:
        _remove_empty_dirs(lab_dir / root)
    (lab_dir / "notebooks").mkdir(exist_ok=True)
    for name in NOTEBOOK_LINKS:
        link = lab_dir / "notebooks" / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(f"../{name}")


def _remove_empty_dirs(root: Path) -> None:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def glob_match(relative: str, pattern: str) -> bool:
    """Match a posix path against a manifest pattern: `*` stays within a folder, `**` spans any depth."""
    return _match_parts(relative.split("/"), pattern.split("/"))


def _match_parts(parts: list[str], pattern: list[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match_parts(parts[i:], pattern[1:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and _match_parts(parts[1:], pattern[1:])


def _matches(relative: str, patterns) -> bool:
    """Ignore-list matching, where `*` may span folders."""
    return any(
        fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(f"/{relative}", pattern) for pattern in patterns
    )


def main(argv: list[str] | None = None, shared_dir: Path = SHARED_DIR, repo_dir: Path = REPO_DIR) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="report differences instead of writing")
    args = parser.parse_args(argv)
    try:
        labs = read_manifest(shared_dir)
        dirs = lab_dirs(labs, repo_dir)
        plans = {number: expected_files(number, labs, shared_dir) for number in dirs}
    except ManifestError as error:
        print(error, file=sys.stderr)
        return 1
    if args.check:
        problems = [line for number, d in dirs.items() for line in differences(d, plans[number])]
        for line in problems:
            print(line)
        if problems:
            print(f"\n{len(problems)} generated file(s) out of date: run `make labs`.", file=sys.stderr)
            return 1
        print(f"Lab copies up to date: {', '.join(d.name for d in dirs.values())}.")
        return 0
    for number, directory in dirs.items():
        generate(directory, plans[number])
        print(f"{directory.name}: {len(plans[number])} files from shared/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
