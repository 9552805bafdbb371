"""The autograder: starters made from the solutions, every exercise failing on its starter and passing on its
reference solution, a realistic bug costing only its exercise's points, and the Gradescope package."""

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grading import starters
from grading.grader import GRADING_DIR, lab_package
from grading.package import build

SHARED_DIR = GRADING_DIR.parent
GRADED_LABS = sorted(int(path.name.removeprefix("lab")) for path in GRADING_DIR.glob("lab[0-9]*"))


def solution_path(lab: int) -> Path:
    return GRADING_DIR / f"lab{lab}" / lab_package(lab).SUBMISSION


def run_grader(lab: int, submission: Path, results: Path) -> dict:
    command = [sys.executable, "-m", "grading.grader", "--lab", str(lab), "--submission", str(submission)]
    command += ["--results", str(results)]
    completed = subprocess.run(command, cwd=SHARED_DIR, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return json.loads(results.read_text())


def by_exercise(results: dict) -> dict[str, list[bool]]:
    """Exercise -> whether each of its checks scored."""
    outcome: dict[str, list[bool]] = {}
    for test in results["tests"]:
        outcome.setdefault(test["name"].split(":")[0], []).append(test["score"] == test["max_score"])
    return outcome


def test_the_starter_empties_each_marked_block_and_keeps_the_rest():
    head = 'import math\n\n\ndef area(r):\n    """Doc."""\n'
    solution = head + "    # BEGIN SOLUTION\n    return math.pi * r**2\n    # END SOLUTION\n"
    starter = starters.starter_text(solution)
    assert starter == head + '    # YOUR CODE HERE\n    raise NotImplementedError("write area")\n'


@pytest.mark.parametrize(
    "solution",
    [
        "# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n",
        "def f():\n    # BEGIN SOLUTION\n    return 1\n",
        "def f():\n    # END SOLUTION\n",
    ],
    ids=["outside a function", "never closed", "end without begin"],
)
def test_unbalanced_solution_markers_are_refused(solution):
    with pytest.raises(starters.StarterError):
        starters.starter_text(solution)


def test_at_least_three_exercises_of_labs_1_and_2_are_graded():
    solutions = [solution_path(lab).read_text() for lab in GRADED_LABS if lab <= 2]
    assert sum(text.count("# BEGIN SOLUTION") for text in solutions) >= 3


@pytest.mark.slow
@pytest.mark.parametrize("lab", GRADED_LABS)
def test_every_exercise_fails_on_its_starter_and_passes_on_its_solution(lab, tmp_path):
    starter = tmp_path / "starter" / solution_path(lab).name
    starter.parent.mkdir()
    starter.write_text(starters.starter_text(solution_path(lab).read_text()))
    on_starter = run_grader(lab, starter, tmp_path / "starter.json")
    on_solution = run_grader(lab, solution_path(lab), tmp_path / "solution.json")
    assert on_starter["score"] == 0
    assert all(not any(checks) for checks in by_exercise(on_starter).values()), by_exercise(on_starter)
    assert all(all(checks) for checks in by_exercise(on_solution).values()), by_exercise(on_solution)
    assert on_solution["score"] == sum(test["max_score"] for test in on_solution["tests"])
    assert set(by_exercise(on_starter)) == set(by_exercise(on_solution))


@pytest.mark.slow
def test_a_decoder_that_forgets_to_merge_repeats_loses_only_its_exercise(tmp_path):
    solution = solution_path(2).read_text()
    buggy = solution.replace("if best != previous and best != blank_index:", "if best != blank_index:")
    assert buggy != solution
    submission = tmp_path / solution_path(2).name
    submission.write_text(buggy)
    outcome = by_exercise(run_grader(2, submission, tmp_path / "results.json"))
    assert not any(outcome.pop("2.1 greedy_decode"))
    assert all(all(checks) for checks in outcome.values())


@pytest.mark.slow
def test_the_gradescope_package_grades_an_upload_as_gradescope_runs_it(tmp_path):
    lab = 2
    archive = build(lab, tmp_path / "dist")
    root = tmp_path / "autograder"
    with zipfile.ZipFile(archive) as unpacked:
        names = unpacked.namelist()
        assert {"setup.sh", "run_autograder", "requirements.txt"} <= set(names)
        assert not any(name.endswith("_exercises.py") for name in names), "the reference solution must stay out"
        assert not any(b"BEGIN SOLUTION" in unpacked.read(name) for name in names)
        unpacked.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    env = {"AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable, "PATH": "/usr/bin:/bin"}

    subprocess.run([str(root / "run_autograder")], env=env, check=True, capture_output=True)
    nothing_uploaded = json.loads((root / "results" / "results.json").read_text())
    assert nothing_uploaded["score"] == 0 and lab_package(lab).SUBMISSION in nothing_uploaded["output"]

    (root / "submission").mkdir()
    shutil.copy(solution_path(lab), root / "submission")
    subprocess.run([str(root / "run_autograder")], env=env, check=True, capture_output=True)
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == sum(test["max_score"] for test in results["tests"]) > 0
    assert {test["visibility"] for test in results["tests"]} == {"visible", "after_published"}
