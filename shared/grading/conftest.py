"""Pytest fixtures of the exercise checks: the file under test, each check's points and time limit.

The checks run on the file named by the GRADING_SUBMISSION environment variable (what the grader sets), or
else on the `*_exercises.py` file beside them: the reference solution in the instructor's folder, the
student's own file in a lab folder. This file is copied into each lab's `exercises/` folder, so it imports
nothing of the course.
"""

import importlib.util
import os
import signal
import sys
import traceback
from pathlib import Path
from types import ModuleType

import pytest

SUBMISSION_VARIABLE = "GRADING_SUBMISSION"
DEFAULT_TIME_LIMIT_S = 60


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "check(exercise, points, time_limit_s=60): a graded check of an exercise, worth `points`"
    )


def submission_path(tests_dir: Path) -> Path:
    """The file under test: GRADING_SUBMISSION, or the one `*_exercises.py` file beside the checks."""
    if named := os.environ.get(SUBMISSION_VARIABLE):
        return Path(named)
    candidates = sorted(tests_dir.glob("*_exercises.py"))
    if len(candidates) != 1:
        raise pytest.UsageError(f"expected one *_exercises.py file in {tests_dir}, found {len(candidates)}")
    return candidates[0]


def load_submission(path: Path) -> ModuleType:
    """Import the file afresh (a check may not see what another check did to the module)."""
    if not path.is_file():
        pytest.fail(f"no file to grade at {path}: hand in your exercises file under that name")
    name = f"submission_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception:
        pytest.fail(f"{path.name} does not import:\n{traceback.format_exc(limit=-1)}", pytrace=False)
    sys.modules.pop(name, None)
    return module


@pytest.fixture
def submission(request) -> ModuleType:
    return load_submission(submission_path(Path(request.path).parent))


class CheckTimeout(Exception):
    """A check ran past its time limit: an endless loop, or a far too slow answer."""


@pytest.fixture(autouse=True)
def time_limit(request):
    """Stop a check that runs past its limit (SIGALRM: Unix, main thread), so one loop cannot hang grading."""
    marker = request.node.get_closest_marker("check")
    if marker is None:  # not a graded check (the grader's own tests live under grading/ too)
        yield
        return
    seconds = marker.kwargs.get("time_limit_s", DEFAULT_TIME_LIMIT_S)

    def stop(signum, frame):
        raise CheckTimeout(f"the check ran past its {seconds} s time limit")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)
