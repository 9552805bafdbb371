"""The lab-copy check on small copies the tests write, and on the real repository's labs."""

import pytest

from tools import check_lab_copies
from tools.generate_labs import REPO_DIR, lab_dirs, read_manifest


def write_copy(lab_dir, files: dict[str, str]):
    for relative, text in files.items():
        (lab_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        (lab_dir / relative).write_text(text)
    return lab_dir


@pytest.fixture
def lab1(tmp_path):
    return write_copy(
        tmp_path / "lab1",
        {
            "text_recognizer/__init__.py": "",
            "text_recognizer/data/__init__.py": "from text_recognizer.data.emnist import Emnist\nSPLITS = 3\n",
            "text_recognizer/data/emnist.py": "class Emnist:\n    pass\n",
            "training/__init__.py": "",
            "training/run.py": "import json\n\nfrom text_recognizer.data import SPLITS, Emnist, emnist\n",
            "api/gunicorn.conf.py": "workers = 2\n",
        },
    )


def test_modules_are_named_as_python_imports_them(lab1):
    assert set(check_lab_copies.module_files(lab1)) == {
        "text_recognizer",
        "text_recognizer.data",
        "text_recognizer.data.emnist",
        "training",
        "training.run",
    }


def test_a_complete_copy_passes(lab1):
    assert check_lab_copies.missing_imports(lab1) == []
    assert check_lab_copies.failed_imports(lab1) == []


def test_an_import_inside_a_function_of_a_later_lab_module_is_found(lab1):
    write_copy(lab1, {"training/lazy.py": "def train():\n    from text_recognizer.data import emnist_lines\n"})
    (problem,) = check_lab_copies.missing_imports(lab1)
    assert "lab1/training/lazy.py:2" in problem
    assert "emnist_lines" in problem


def test_a_module_missing_from_the_copy_is_found(lab1):
    write_copy(lab1, {"training/other.py": "import text_recognizer.networks.line_cnn\n"})
    (problem,) = check_lab_copies.missing_imports(lab1)
    assert "text_recognizer.networks.line_cnn, which lab1 does not have" in problem


def test_a_module_that_fails_to_import_is_reported(lab1):
    write_copy(lab1, {"training/broken.py": "raise RuntimeError('needs lab 2')\n"})
    (problem,) = check_lab_copies.failed_imports(lab1)
    assert "training.broken" in problem
    assert "needs lab 2" in problem


def test_the_repository_lab_copies_stand_on_their_own():
    for lab_dir in lab_dirs(read_manifest(), REPO_DIR).values():
        assert check_lab_copies.missing_imports(lab_dir) == [], lab_dir.name


def test_tests_run_where_a_copy_lost_lines_and_only_once_for_the_same_code(tmp_path):
    shared = write_copy(
        tmp_path / "shared",
        {
            "training/__init__.py": "",
            "training/run.py": "def run():\n    return 1\n",
            "training/tests/__init__.py": "",
            "training/tests/test_run.py": "from training.run import run\n\n\ndef test_run():\n    assert run() == 1\n",
            "training/tests/test_other.py": "def test_other():\n    assert True\n",
        },
    )
    copies = {}
    for name in ("lab1", "lab2"):
        copies[name] = write_copy(
            tmp_path / name, {p.relative_to(shared).as_posix(): p.read_text() for p in shared.rglob("*.py")}
        )
    assert check_lab_copies.tests_touching_trimmed_code(copies["lab1"], shared) == []
    trimmed = "def run():\n    return 1\n# a later lab's lines went here\n"
    for lab in copies.values():
        write_copy(lab, {"training/run.py": trimmed})
    seen = set()
    chosen = check_lab_copies.tests_touching_trimmed_code(copies["lab1"], shared, seen)
    assert [p.name for p in chosen] == ["test_run.py"], "the test of the trimmed module runs; the other does not"
    assert check_lab_copies.tests_touching_trimmed_code(copies["lab2"], shared, seen) == [], "same code: once"
    assert check_lab_copies.failed_tests(copies["lab1"], chosen) == []
    write_copy(copies["lab1"], {"training/run.py": "def run():\n    return 2\n"})
    (problem,) = check_lab_copies.failed_tests(copies["lab1"], chosen)
    assert "lab1: its tests failed" in problem and "assert 2 == 1" in problem
