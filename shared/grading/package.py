"""Build a lab's Gradescope autograder: one zip to upload as a "Programming Assignment" autograder.

    python -m grading.package --lab 1          # writes dist/lab1-autograder.zip at the repository root

The zip holds Gradescope's two scripts (setup.sh, run_autograder), the checks' requirements pinned as in
requirements/dev.txt, the grader with the lab's visible and hidden checks, and the lab's copy of
text_recognizer that the hidden checks compare with. Never the reference solution.
"""

import argparse
import re
import sys
import zipfile
from pathlib import Path

from grading.grader import GRADING_DIR, REPO_DIR, GradingError, lab_package
from tools.generate_labs import expected_files, read_manifest

SCRIPTS = ("setup.sh", "run_autograder")
LOCK_FILE = REPO_DIR / "requirements" / "dev.txt"
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)")


def pinned_requirements(names: tuple[str, ...], lock_file: Path = LOCK_FILE) -> str:
    """`name==version` lines for `names`, versions from the course's lock file (so grading matches the course)."""
    pins = {}
    for line in lock_file.read_text().splitlines():
        if match := PIN.match(line):
            pins[_normalized(match.group(1))] = line.split(";")[0].strip()
    missing = [name for name in names if _normalized(name) not in pins]
    if missing:
        raise GradingError(f"{lock_file} pins no version of {', '.join(missing)}: add them to requirements/dev.in")
    return "".join(f"{pins[_normalized(name)]}\n" for name in names)


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def package_files(lab: int) -> dict[str, bytes]:
    """Path inside the zip -> content."""
    package = lab_package(lab)
    lab_dir = GRADING_DIR / f"lab{lab}"
    files = {name: (GRADING_DIR / "gradescope_files" / name).read_bytes() for name in SCRIPTS}
    files["requirements.txt"] = pinned_requirements(package.REQUIREMENTS).encode()
    for name in ("__init__.py", "conftest.py", "examples.py", "grader.py"):
        files[f"grading/{name}"] = (GRADING_DIR / name).read_bytes()
    for path in [lab_dir / "__init__.py", *sorted(lab_dir.glob(f"test_lab{lab}_*.py"))]:
        files[f"grading/lab{lab}/{path.name}"] = path.read_bytes()
    for relative, content in expected_files(lab, read_manifest()).items():
        parts = relative.split("/")
        if parts[0] == "text_recognizer" and relative.endswith(".py") and parts[1] not in ("tests", "artifacts"):
            files[relative] = content
    return files


def build(lab: int, out_dir: Path) -> Path:
    """Write the zip (to a temporary name, then renamed: never a half-written zip under the final name)."""
    files = package_files(lab)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"lab{lab}-autograder.zip"
    temporary = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            # Gradescope unpacks the zip into /autograder/source and copies run_autograder up to /autograder.
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if name in SCRIPTS else 0o644) << 16
            archive.writestr(info, content, zipfile.ZIP_DEFLATED)
    temporary.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lab", type=int, required=True)
    parser.add_argument("--out", type=Path, default=REPO_DIR / "dist", help="folder of the zip (default: dist/)")
    args = parser.parse_args(argv)
    try:
        target = build(args.lab, args.out)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{target}: upload it as the autograder of lab {args.lab}'s assignment on Gradescope")
    return 0


if __name__ == "__main__":
    sys.exit(main())
