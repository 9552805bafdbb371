"""Run every lab notebook once, headlessly, with papermill's parameters, and check it with nbval.

    python -m tools.check_notebooks                      # every labN/notebooks/*.ipynb, strict outputs
    python -m tools.check_notebooks --lax                # execute only: outputs are not compared
    python -m tools.check_notebooks lab2/notebooks/02c-ctc.ipynb

Papermill prepares each notebook (its `parameters` cell is read and the values injected in a cell of
their own, as `papermill -p` does) without executing it; nbval then executes the prepared copy once and
compares each cell's outputs with the committed ones, except in cells tagged `nbval-ignore-output`.
Those hold results of training or timing, which differ across CPUs and thread counts: the notebook
asserts them itself, with tolerances, so they are still checked.

The prepared copies are written beside the originals (the kernel starts in the notebook's folder, where
the lab's `text_recognizer` link is) under hidden names, and removed afterwards. Notebooks run side by side,
one per core (pytest-xdist, each notebook whole on one worker: its cells share one kernel).
"""

import argparse
import ast
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import papermill
import pytest

from tools.register_kernel import NAME as KERNEL

REPO_DIR = Path(__file__).resolve().parents[2]
PREPARED_PREFIX = ".checked-"
SANITIZE_CONFIG = REPO_DIR / "nbval_sanitize.cfg"


class NotebookError(ValueError):
    """A notebook that cannot be checked as it is (no parameters cell, a parameter that is not a literal)."""


def lab_notebooks(repo_dir: Path = REPO_DIR) -> list[Path]:
    return sorted(p for p in repo_dir.glob("lab[0-9]*/notebooks/*.ipynb") if not p.name.startswith("."))


def default_parameters(notebook: Path) -> dict[str, object]:
    """The values of the notebook's `parameters` cell, which papermill injects back as its overrides."""
    found = papermill.inspect_notebook(str(notebook))
    if not found:
        raise NotebookError(f"{notebook}: no cell tagged 'parameters' (papermill needs one)")
    values = {}
    for name, parameter in found.items():
        try:
            values[name] = ast.literal_eval(parameter["default"])
        except (ValueError, SyntaxError) as error:
            raise NotebookError(
                f"{notebook}: parameter {name} = {parameter['default']} is not a literal papermill can pass"
            ) from error
    return values


def prepared_path(notebook: Path) -> Path:
    return notebook.with_name(PREPARED_PREFIX + notebook.name)


@contextmanager
def prepared(notebooks: list[Path]) -> Iterator[list[Path]]:
    """Parameterized copies of `notebooks` beside them, deleted on exit."""
    copies = []
    try:
        for notebook in notebooks:
            copy = prepared_path(notebook)
            copies.append(copy)
            papermill.execute_notebook(
                str(notebook),
                str(copy),
                parameters=default_parameters(notebook),
                prepare_only=True,
                kernel_name=KERNEL,
                log_output=False,
                progress_bar=False,
            )
        yield copies
    finally:
        for copy in copies:
            copy.unlink(missing_ok=True)


def nbval_arguments(lax: bool, workers: int = 1) -> list[str]:
    parallel = ["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []
    return [
        *parallel,
        "-q",
        "-p",
        "no:cacheprovider",
        "--nbval-lax" if lax else "--nbval",
        "--nbval-sanitize-with",
        str(SANITIZE_CONFIG),
        "--nbval-kernel-name",
        KERNEL,
        "--rootdir",
        str(REPO_DIR),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every lab notebook")
    parser.add_argument("--lax", action="store_true", help="execute the notebooks without comparing outputs")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="notebooks at a time (default: cores)")
    args = parser.parse_args(argv)
    notebooks = [p.resolve() for p in args.notebooks] or lab_notebooks()
    missing = [str(p) for p in notebooks if not p.is_file()]
    if missing:
        print(f"No such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        with prepared(notebooks) as copies:
            workers = min(args.workers, len(copies))
            return int(pytest.main([*nbval_arguments(args.lax, workers), *map(str, copies)]))
    except NotebookError as error:
        print(error, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
