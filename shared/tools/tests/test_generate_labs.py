"""The lab generator on a small shared/ tree that the tests write, and the real repository's labs."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools import generate_labs

MANIFEST = """
[[labs]]
number = 1
title = "one"
files = ["conftest.py", "text_recognizer/__init__.py", "text_recognizer/a.py"]

[[labs]]
number = 2
title = "two"
files = ["text_recognizer/b/*"]
"""


@pytest.fixture
def tree(tmp_path):
    shared = tmp_path / "shared"
    for relative, text in {
        "conftest.py": "",
        "text_recognizer/__init__.py": "",
        "text_recognizer/a.py": "A = 1\n",
        "text_recognizer/b/__init__.py": "",
        "text_recognizer/b/c.py": "C = 3\n",
        "tools/gen.py": "",
    }.items():
        (shared / relative).parent.mkdir(parents=True, exist_ok=True)
        (shared / relative).write_text(text)
    (shared / "labs.toml").write_text(MANIFEST)
    (tmp_path / "lab1").mkdir()
    (tmp_path / "lab2").mkdir()
    return tmp_path


def run(tree, *args):
    return generate_labs.main(list(args), shared_dir=tree / "shared", repo_dir=tree)


def test_generate_writes_cumulative_copies_and_links(tree):
    assert run(tree) == 0
    assert (tree / "lab1/text_recognizer/a.py").read_text() == "A = 1\n"
    assert not (tree / "lab1/text_recognizer/b").exists(), "lab 1 holds no lab-2 file"
    assert (tree / "lab2/text_recognizer/b/c.py").exists() and (tree / "lab2/text_recognizer/a.py").exists()
    assert not (tree / "lab2/tools").exists(), "instructor tooling is never copied"
    assert os.readlink(tree / "lab1/notebooks/text_recognizer") == "../text_recognizer"
    assert run(tree, "--check") == 0


def test_check_names_changed_missing_and_extra_files(tree, capsys):
    run(tree)
    (tree / "shared/text_recognizer/a.py").write_text("A = 2\n")
    (tree / "lab2/text_recognizer/b/c.py").unlink()
    (tree / "lab1/text_recognizer/stale.py").write_text("")
    capsys.readouterr()
    assert run(tree, "--check") == 1
    out = capsys.readouterr().out
    assert "differs   lab1/text_recognizer/a.py" in out
    assert "missing   lab2/text_recognizer/b/c.py" in out
    assert "extra     lab1/text_recognizer/stale.py" in out
    assert run(tree) == 0 and run(tree, "--check") == 0
    assert not (tree / "lab1/text_recognizer/stale.py").exists()


def test_every_file_must_be_placed_once(tree, capsys):
    (tree / "shared/text_recognizer/orphan.py").write_text("")
    assert run(tree, "--check") == 1
    assert "not placed: text_recognizer/orphan.py" in capsys.readouterr().err


def test_an_exact_path_wins_over_an_earlier_labs_glob(tree):
    (tree / "shared/labs.toml").write_text(
        MANIFEST.replace('"text_recognizer/a.py"]', '"text_recognizer/*.py"]')
        + '\n[[labs]]\nnumber = 3\ntitle = "three"\nfiles = ["text_recognizer/d.py"]\n'
    )
    (tree / "shared/text_recognizer/d.py").write_text("")
    (tree / "lab3").mkdir()
    assert run(tree) == 0
    assert not (tree / "lab2/text_recognizer/d.py").exists() and (tree / "lab3/text_recognizer/d.py").exists()


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("a/b.py", "a/*", True),
        ("a/b/c.py", "a/*", False),
        ("a/b/c.py", "a/**", True),
        ("a/b.py", "a/**/b.py", True),
        ("a/b.py", "a/b.py", True),
        ("a/bc.py", "a/b.py", False),
    ],
)
def test_glob_match(path, pattern, expected):
    assert generate_labs.glob_match(path, pattern) is expected


def test_hidden_files_are_not_lab_files(tree):
    (tree / "shared/text_recognizer/.a.py.swp").write_text("")
    assert run(tree, "--check") == 1  # the labs are not generated yet, but nothing is "not placed"
    run(tree)
    assert not (tree / "lab1/text_recognizer/.a.py.swp").exists()


def test_run_outputs_and_caches_are_left_alone(tree):
    run(tree)
    cache = tree / "lab1/text_recognizer/__pycache__/a.cpython-311.pyc"
    cache.parent.mkdir()
    cache.write_bytes(b"")
    assert run(tree, "--check") == 0
    run(tree)
    assert cache.exists()


GATED = """import os
import json  # [lab 2]


def f():
    x = 1
    # [lab 2]
    x += json.loads("1")
    # [end lab 2]
    return x
"""


def test_lines_of_a_later_lab_appear_from_that_lab_on(tree):
    (tree / "shared/text_recognizer/a.py").write_text(GATED)
    assert run(tree) == 0
    lab1 = (tree / "lab1/text_recognizer/a.py").read_text()
    assert lab1 == "import os\n\n\ndef f():\n    x = 1\n    return x\n"
    assert (tree / "lab2/text_recognizer/a.py").read_text() == GATED, "markers stay where their lines do"
    namespace = {}
    exec(lab1, namespace)
    assert namespace["f"]() == 1
    assert run(tree, "--check") == 0
    (tree / "lab1/text_recognizer/a.py").write_text(GATED)
    assert run(tree, "--check") == 1, "a lab-1 copy holding lab-2 lines is out of date"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("# [lab 2]\nx = 1\n", "never closed"),
        ("x = 1\n# [end lab 2]\n", "closes no open"),
        ("# [lab 2]\n# [lab 3]\n# [end lab 3]\n# [end lab 2]\n", "inside the"),
        ("x = 1  # [lab 1]\n", "marks lines of a file that lab 1 introduces"),
    ],
)
def test_malformed_markers_are_errors(tree, capsys, source, message):
    (tree / "shared/text_recognizer/a.py").write_text(source)
    assert run(tree) == 1
    assert message in capsys.readouterr().err


def test_only_python_files_are_trimmed():
    text = b"# [lab 5]\nkept\n# [end lab 5]\n"
    assert generate_labs.lab_text(text, "notes.md", 1) == text
    assert generate_labs.lab_text(text, "code.py", 1) == b""


def test_no_lab_copy_holds_a_later_labs_marker():
    for lab in LABS:
        number = int(lab.name.removeprefix("lab"))
        for path in lab.rglob("*.py"):
            for match in re.finditer(r"# \[(?:end )?lab (\d+)\]", path.read_text()):
                assert int(match.group(1)) <= number, f"{path} holds lines of lab {match.group(1)}"


REPO = Path(generate_labs.REPO_DIR)
LABS = sorted(p for p in REPO.glob("lab[0-9]*") if p.is_dir())


@pytest.mark.parametrize("lab", LABS, ids=[p.name for p in LABS])
def test_a_notebook_folder_imports_its_own_labs_code(lab):
    code = "import text_recognizer, training; print(text_recognizer.__file__); print(training.__file__)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=lab / "notebooks",
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
    for line in result.stdout.split():
        assert Path(line).resolve().is_relative_to(lab.resolve()), f"{line} is not {lab.name}'s copy"


@pytest.mark.parametrize("lab", LABS, ids=[p.name for p in LABS])
def test_run_experiment_inside_a_lab_uses_its_copy(lab):
    # Where the modules are found from the lab's folder (find_spec locates them without running TensorFlow's import)
    modules = ("training.run_experiment", "text_recognizer")
    code = f"import importlib.util as u\nfor name in {modules}: print(u.find_spec(name).origin)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=lab,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
    for line in result.stdout.split():
        assert Path(line).resolve().is_relative_to(lab.resolve())
