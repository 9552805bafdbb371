"""Check that each lab's generated copy of the code stands on its own.

    python -m tools.check_lab_copies          # every lab folder
    python -m tools.check_lab_copies lab1

`make check-labs` proves that every file of a copy is what the generator writes: shared/'s file, or
shared/'s file without the lines later labs add. Where it is shared/'s file byte for byte, the test suite
of shared/ has run it. What a copy can get wrong on its own is what it lacks: lab 1 has none of lab 2's
modules, and none of lab 3's lines. So, for each copy:

- every import of the course's packages, also those inside functions, names a module of that copy
  (or a name its package defines), read from the source without running it;
- every module of the copy, tests included, imports in a fresh interpreter started in the lab's
  folder, and resolves to that copy rather than to shared/ or another lab;
- the copy's tests run in its folder wherever they, or a module they import (directly or through
  others), lost lines of a later lab.
"""

import argparse
import ast
import hashlib
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools.generate_labs import EXERCISES_FOLDER, GENERATED_ROOTS, REPO_DIR, SHARED_DIR, lab_dirs, read_manifest

# The exercises' starters are not shared/'s code: the autograder's tests check them (grading/tests/).
PACKAGES = tuple(root for root in GENERATED_ROOTS if not root.endswith(".py") and root != EXERCISES_FOLDER)

# Run inside the lab folder: import each module named on stdin; print where it came from or what failed.
IMPORT_ALL = """
import importlib, json, sys, traceback
sys.path.insert(0, ".")
report = {}
for name in json.load(sys.stdin):
    try:
        report[name] = {"file": importlib.import_module(name).__file__}
    except BaseException:
        report[name] = {"error": traceback.format_exc(limit=3)}
print(json.dumps(report))
"""


def module_files(lab_dir: Path) -> dict[str, Path]:
    """Module name -> file, for every importable Python file of the copy's packages."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((lab_dir / package).rglob("*.py")):
            parts = path.relative_to(lab_dir).with_suffix("").parts
            if "__pycache__" in parts or not all(part.isidentifier() for part in parts):
                continue  # e.g. api/gunicorn.conf.py, a config file read by gunicorn, not a module
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def defined_names(path: Path) -> set[str]:
    """Names bound at the top level of a module (functions, classes, assignments, imports)."""
    names = set()
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def missing_imports(lab_dir: Path) -> list[str]:
    """Imports of the course's packages, anywhere in the copy, that the copy cannot satisfy."""
    modules = module_files(lab_dir)
    problems = []
    for path in modules.values():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            wanted: list[tuple[str, str | None]] = []
            if isinstance(node, ast.Import):
                wanted = [(alias.name, None) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                wanted = [(node.module, alias.name) for alias in node.names]
            for target, name in wanted:
                if target.split(".")[0] not in PACKAGES:
                    continue
                where = f"{path.relative_to(lab_dir.parent)}:{node.lineno}"
                if target not in modules:
                    problems.append(f"{where} imports {target}, which {lab_dir.name} does not have")
                elif name not in (None, "*", *defined_names(modules[target])) and f"{target}.{name}" not in modules:
                    problems.append(f"{where} imports {name} from {target}, which does not define it")
    return problems


def failed_imports(lab_dir: Path) -> list[str]:
    """Modules of the copy that do not import, or that import from outside the copy."""
    modules = module_files(lab_dir)
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL],
        cwd=lab_dir,
        input=json.dumps(sorted(modules)),
        capture_output=True,
        text=True,
        env={**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "TF_CPP_MIN_LOG_LEVEL": "2"},
        check=False,
    )
    if result.returncode != 0:
        return [f"{lab_dir.name}: the import check itself failed:\n{result.stderr[-2000:]}"]
    problems = []
    for name, outcome in json.loads(result.stdout.strip().splitlines()[-1]).items():
        if "error" in outcome:
            problems.append(f"{lab_dir.name}: import {name} failed:\n{outcome['error']}")
        elif Path(outcome["file"]).resolve() != modules[name].resolve():
            problems.append(f"{lab_dir.name}: import {name} came from {outcome['file']}, not the lab's copy")
    return problems


def course_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The copy's modules that `path` imports anywhere in its source, or names in a string (`-m module`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in modules:
            found.add(node.value)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in modules:
            found.add(node.module)
            submodules = (f"{node.module}.{alias.name}" for alias in node.names)
            found.update(name for name in submodules if name in modules)
    return found


def tests_touching_trimmed_code(lab_dir: Path, shared_dir: Path = SHARED_DIR, seen: set | None = None) -> list[Path]:
    """Test files of the copy that differ from shared/, or import (through any chain) a module that does.

    A test whose code, and all it imports, is byte for byte what it was in a copy already tested (its
    hash in `seen`) is skipped: lab 2 need not rerun what lab 1 ran on the same files.
    """
    modules = module_files(lab_dir)
    imports = {name: course_imports(path, modules) for name, path in modules.items()}
    affected = {
        name
        for name, path in modules.items()
        if path.read_bytes() != (shared_dir / path.relative_to(lab_dir)).read_bytes()
    }
    while True:
        more = {name for name, imported in imports.items() if name not in affected and imported & affected}
        if not more:
            break
        affected |= more
    seen = set() if seen is None else seen
    chosen = []
    for name in sorted(name for name in affected if modules[name].name.startswith("test_")):
        closure, pending = set(), [name]
        while pending:
            module = pending.pop()
            if module not in closure:
                closure.add(module)
                pending.extend(imports[module])
        digest = hashlib.sha256(b"".join(modules[m].read_bytes() + m.encode() for m in sorted(closure))).hexdigest()
        if digest not in seen:
            seen.add(digest)
            chosen.append(modules[name])
    return chosen


def failed_tests(lab_dir: Path, tests: list[Path]) -> list[str]:
    """Run `tests` with pytest in the lab's folder; the output's end if any fails."""
    if not tests:
        return []
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *map(str, tests)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(command, cwd=lab_dir, capture_output=True, text=True, env=env, check=False)
    print(f"{lab_dir.name}: {len(tests)} test file(s) on trimmed code: {result.stdout.strip().splitlines()[-1]}")
    if result.returncode != 0:
        return [f"{lab_dir.name}: its tests failed:\n{result.stdout[-4000:]}{result.stderr[-2000:]}"]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("labs", nargs="*", help="lab folder names (default: all)")
    args = parser.parse_args(argv)
    dirs = [d for d in lab_dirs(read_manifest(), REPO_DIR).values() if not args.labs or d.name in args.labs]
    tested: set = set()
    tests = {lab_dir: tests_touching_trimmed_code(lab_dir, seen=tested) for lab_dir in dirs}  # in lab order

    def check(lab_dir: Path) -> list[str]:
        problems = missing_imports(lab_dir) or failed_imports(lab_dir)
        return problems or failed_tests(lab_dir, tests[lab_dir])

    # Each check runs in its own interpreters (imports, pytest): one lab per core at a time.
    with ThreadPoolExecutor(max_workers=max(1, min(len(dirs), os.cpu_count() or 1))) as pool:
        results = dict(zip(dirs, pool.map(check, dirs), strict=True))
    for lab_dir, problems in results.items():
        status = "ok" if not problems else f"{len(problems)} problem(s)"
        print(f"{lab_dir.name}: {len(module_files(lab_dir))} modules, {status}")
        for problem in problems:
            print("  " + problem.replace("\n", "\n  "))
    return 1 if any(results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
