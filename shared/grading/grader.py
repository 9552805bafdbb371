"""Grade a lab's exercises: run its visible and hidden checks on a file, print each check and the score.

    python -m grading.grader --lab 1                                  # the student's lab1/exercises file
    python -m grading.grader --lab 2 --submission path/to/ctc_exercises.py --results results.json
    python -m grading.grader --gradescope /autograder                 # inside a Gradescope package

Checks are pytest tests marked `@pytest.mark.check(exercise=..., points=...)`; a check scores its points
when it passes. Hidden checks (files `test_labN_hidden.py`) show only passed or failed, not why: they
test the rules of the exercise on inputs the student has not seen. `--results` writes Gradescope's
results.json (hidden checks visible after grades are published).
"""

import argparse
import importlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

GRADING_DIR = Path(__file__).resolve().parent
REPO_DIR = GRADING_DIR.parents[1]
SUBMISSION_VARIABLE = "GRADING_SUBMISSION"  # read by grading/conftest.py


class GradingError(RuntimeError):
    """The checks could not run at all (as opposed to failing)."""


@dataclass
class CheckResult:
    exercise: str
    check: str
    points: int
    hidden: bool
    passed: bool = False
    message: str = "not run"

    @property
    def score(self) -> int:
        return self.points if self.passed else 0


class _Scorer:
    """A pytest plugin that records each check's marker and outcome."""

    def __init__(self) -> None:
        self.results: dict[str, CheckResult] = {}

    def pytest_collection_modifyitems(self, items) -> None:
        for item in items:
            marker = item.get_closest_marker("check")
            if marker is None:
                raise GradingError(f"{item.nodeid} has no @pytest.mark.check(exercise=..., points=...)")
            name = item.name.removeprefix("test_").replace("_", " ")
            hidden = item.path.stem.endswith("_hidden")
            self.results[item.nodeid] = CheckResult(marker.kwargs["exercise"], name, marker.kwargs["points"], hidden)

    def pytest_runtest_logreport(self, report) -> None:
        result = self.results[report.nodeid]
        if report.failed:
            result.passed, result.message = False, _short(report)
        elif report.when == "call" and report.passed:
            result.passed, result.message = True, ""


def _short(report) -> str:
    """The failure's message: the assertion or exception lines, not the whole traceback."""
    text = report.longreprtext
    errors = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    return "\n".join(errors[:6]) if errors else text.strip().splitlines()[-1] if text.strip() else "failed"


def lab_package(lab: int):
    try:
        return importlib.import_module(f"grading.lab{lab}")
    except ModuleNotFoundError as error:
        raise GradingError(f"lab {lab} has no graded exercises (no grading/lab{lab}/)") from error


def grade(lab: int, submission: Path) -> list[CheckResult]:
    """Run lab `lab`'s checks on `submission` (a file, or a folder holding the lab's exercises file)."""
    package = lab_package(lab)
    if submission.is_dir():
        submission = submission / package.SUBMISSION
    tests = sorted((GRADING_DIR / f"lab{lab}").glob(f"test_lab{lab}_*.py"))
    scorer = _Scorer()
    saved = os.environ.get(SUBMISSION_VARIABLE)
    os.environ[SUBMISSION_VARIABLE] = str(submission.resolve())
    try:
        # The scorer does the reporting: pytest's own terminal output, and the project's addopts, are off.
        options = ["-o", "addopts=", "--strict-markers", "-p", "no:cacheprovider", "-p", "no:terminal"]
        code = pytest.main([*options, *map(str, tests)], plugins=[scorer])
    finally:
        if saved is None:
            os.environ.pop(SUBMISSION_VARIABLE)
        else:
            os.environ[SUBMISSION_VARIABLE] = saved
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not scorer.results:
        raise GradingError(f"the checks of lab {lab} did not run (pytest exit code {code})")
    return sorted(scorer.results.values(), key=lambda r: (r.exercise, r.hidden))


def report(results: list[CheckResult], title: str) -> str:
    """A table of every check and the total, as the student reads it."""
    lines = [title, ""]
    for result in results:
        mark = "pass" if result.passed else "FAIL"
        where = "hidden " if result.hidden else "visible"
        lines.append(f"  {mark}  {result.score}/{result.points}  {where}  {result.exercise}: {result.check}")
        if not result.passed and not result.hidden:
            lines += [f"          {line}" for line in result.message.splitlines()]
    score, total = sum(r.score for r in results), sum(r.points for r in results)
    lines += ["", f"Score: {score}/{total}"]
    return "\n".join(lines)


def gradescope_results(results: list[CheckResult], output: str) -> dict:
    """Gradescope's results.json: one test per check, hidden checks shown once grades are published."""
    return {
        "score": sum(r.score for r in results),
        "output": output,
        "stdout_visibility": "visible",
        "tests": [
            {
                "name": f"{r.exercise}: {r.check}",
                "score": r.score,
                "max_score": r.points,
                "output": "" if r.hidden else r.message,
                "visibility": "after_published" if r.hidden else "visible",
            }
            for r in results
        ],
    }


def write_results(path: Path, content: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(content, indent=2))
    temporary.replace(path)


def gradescope(root: Path) -> int:
    """Grade Gradescope's upload: the package holds one lab; the submission and results folders are Gradescope's."""
    (lab_dir,) = sorted(GRADING_DIR.glob("lab[0-9]*"))
    lab = int(lab_dir.name.removeprefix("lab"))
    submission = root / "submission" / lab_package(lab).SUBMISSION
    if not submission.is_file():
        message = f"Upload your {submission.name} (the file you edited in lab{lab}/exercises/), under that name."
        write_results(root / "results" / "results.json", {"score": 0, "output": message, "tests": []})
        print(message)
        return 0
    results = grade(lab, submission)
    text = report(results, f"Lab {lab} exercises")
    print(text)
    write_results(root / "results" / "results.json", gradescope_results(results, text))
    return 0


def _shown(path: Path) -> str:
    resolved = path.resolve()
    return str(resolved.relative_to(REPO_DIR)) if resolved.is_relative_to(REPO_DIR) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lab", type=int, help="the lab whose exercises to grade")
    parser.add_argument("--submission", type=Path, help="the exercises file, or its folder (default: labN/exercises)")
    parser.add_argument("--results", type=Path, help="also write Gradescope's results.json here")
    parser.add_argument("--gradescope", type=Path, metavar="ROOT", help="grade inside a Gradescope package")
    args = parser.parse_args(argv)
    try:
        if args.gradescope:
            return gradescope(args.gradescope)
        if args.lab is None:
            parser.error("say which lab: --lab N")
        submission = args.submission or REPO_DIR / f"lab{args.lab}" / "exercises"
        if not submission.exists():
            parser.error(f"{submission} does not exist: run `make labs`, or pass --submission")
        results = grade(args.lab, submission)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = report(results, f"Lab {args.lab} exercises: {_shown(submission)}")
    print(text)
    if args.results:
        write_results(args.results, gradescope_results(results, text))
        print(f"\nGradescope results: {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
