"""The exercises folder of each lab's copy: starters made from the reference solutions, and the visible checks.

In a reference solution, what the student writes sits between `# BEGIN SOLUTION` and `# END SOLUTION`. The
starter keeps everything else (signature, docstring, imports) and puts in the solution's place

    # YOUR CODE HERE
    raise NotImplementedError("write <function>")

so the starter imports, every check fails on it, and the solution never reaches the lab folders. Hidden
checks stay here too; `make labs` writes `labN/exercises/` for each lab with a `grading/labN/` folder.
"""

import re
from pathlib import Path

BEGIN = re.compile(r"^([ \t]*)# BEGIN SOLUTION[ \t]*$")
END = re.compile(r"^[ \t]*# END SOLUTION[ \t]*$")
FUNCTION = re.compile(r"^[ \t]*def (\w+)\(")
FOLDER = "exercises"


class StarterError(ValueError):
    """A reference solution's markers are unbalanced or outside a function."""


def starter_text(solution: str, name: str = "solution") -> str:
    """The solution with each marked block replaced by a `raise NotImplementedError` in the same place."""
    lines, function, inside = [], None, False
    for number, line in enumerate(solution.splitlines(keepends=True), start=1):
        if begin := BEGIN.match(line):
            if inside or function is None:
                raise StarterError(f"{name}:{number}: BEGIN SOLUTION inside a solution or outside a function")
            indent, inside = begin.group(1), True
            lines += [f"{indent}# YOUR CODE HERE\n", f'{indent}raise NotImplementedError("write {function}")\n']
        elif END.match(line):
            if not inside:
                raise StarterError(f"{name}:{number}: END SOLUTION without a BEGIN SOLUTION")
            inside = False
        elif not inside:
            if match := FUNCTION.match(line):
                function = match.group(1)
            lines.append(line)
    if inside:
        raise StarterError(f"{name}: a BEGIN SOLUTION is never closed")
    return "".join(lines)


def exercise_files(grading_dir: Path, lab_number: int) -> dict[str, bytes]:
    """`exercises/...` path -> content for lab `lab_number`'s copy; empty when that lab has no exercises."""
    lab_dir = grading_dir / f"lab{lab_number}"
    if not lab_dir.is_dir():
        return {}
    docstring = f'"""Lab {lab_number} exercises: edit the *_exercises.py file, then `make grade LAB={lab_number}`."""\n'
    files = {
        f"{FOLDER}/__init__.py": docstring.encode(),
        f"{FOLDER}/conftest.py": (grading_dir / "conftest.py").read_bytes(),
    }
    for solution in sorted(lab_dir.glob("*_exercises.py")):
        files[f"{FOLDER}/{solution.name}"] = starter_text(solution.read_text(), solution.name).encode()
    for visible in sorted(lab_dir.glob("test_*_visible.py")):
        files[f"{FOLDER}/{visible.name}"] = visible.read_bytes()
    return files
