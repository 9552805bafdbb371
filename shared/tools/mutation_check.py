"""Mutation check: plant realistic bugs, one at a time, in a throwaway copy, and see the tests catch each.

    python -m tools.mutation_check            # every mutation; a table; exit 1 if one is missed
    python -m tools.mutation_check M3 M7      # some of them
    python -m tools.mutation_check --list

A test suite is worth what it catches. Each mutation below is a bug that has happened, or easily could, in
an ML codebase (a flipped polarity, an off-by-one blank, a leaked split, a missing mask...). For each, the
tool copies the repository (shared/ for real, the rest as links), edits one or two lines of the copy, and
runs the test files that should notice: the mutation is caught when they fail. The unmutated copy must
pass the same files first, or a failure would prove nothing. shared/ itself is never touched.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SHARED_DIR = Path(__file__).resolve().parents[1]
REPO_DIR = SHARED_DIR.parent
NOT_COPIED = shutil.ignore_patterns("__pycache__", ".pytest_cache", "runs", "*.pyc")


@dataclass(frozen=True)
class Mutation:
    key: str
    bug: str
    file: str  # relative to shared/
    edits: tuple[tuple[str, str], ...]  # (text that occurs exactly once, its replacement)
    tests: tuple[str, ...]  # test files, relative to shared/, expected to catch it


MUTATIONS = (
    Mutation(
        "M1",
        "flipped image polarity: dark-on-light images are not inverted, light-on-dark ones are",
        "text_recognizer/stems.py",
        (("    if background > 127:\n", "    if background < 127:\n"),),
        ("text_recognizer/tests/test_preprocessing.py",),
    ),
    Mutation(
        "M2",
        "off-by-one CTC blank: the decoder drops the class after the blank instead of the blank",
        "text_recognizer/ctc.py",
        (("keep = (best != blank_index) &", "keep = (best != blank_index + 1) &"),),
        ("text_recognizer/tests/test_metrics_and_ctc.py",),
    ),
    Mutation(
        "M3",
        "leaked split: every EMNIST Lines split draws its texts from all sentences",
        "text_recognizer/data/emnist_lines.py",
        (("split_sentences = [sentences[i] for i in sentence_indices]", "split_sentences = sentences"),),
        ("text_recognizer/tests/test_emnist_lines.py",),
    ),
    Mutation(
        "M4",
        "leaked writers: handwriting lines dealt into splits line by line instead of writer by writer",
        "text_recognizer/data/line_records.py",
        (
            ("writers = sorted({line.writer for line in lines})", "writers = sorted({line.line_id for line in lines})"),
            ("if split_of[line.writer] == name]", "if split_of[line.line_id] == name]"),
        ),
        ("text_recognizer/tests/test_iam.py",),
    ),
    Mutation(
        "M5",
        "wrong resize interpolation: nearest neighbour instead of EMNIST's antialiased bicubic",
        "text_recognizer/stems.py",
        (("(size[1], size[0]), Image.Resampling.BICUBIC)", "(size[1], size[0]), Image.Resampling.NEAREST)"),),
        ("text_recognizer/tests/test_preprocessing.py",),
    ),
    Mutation(
        "M6",
        "missing mask: the handwriting network reads the padding beyond each line's width",
        "text_recognizer/networks/handwriting_cnn_bilstm_ctc.py",
        (("return features * ops.cast(valid, features.dtype)[:, None, :, None]", "return features"),),
        ("text_recognizer/tests/test_handwriting_network.py",),
    ),
    Mutation(
        "M7",
        "broken checksum check: a download whose sha256 differs from the recorded one is kept",
        "text_recognizer/data/download.py",
        (("if remote.digest is not None and actual != remote.digest:", "if remote.digest is None:"),),
        ("text_recognizer/tests/test_download.py",),
    ),
    Mutation(
        "M8",
        "CER over the predictions' length instead of the targets'",
        "text_recognizer/metrics.py",
        (("total = sum(len(t) for t in targets)", "total = sum(len(p) for p in predictions)"),),
        ("text_recognizer/tests/test_metrics_and_ctc.py",),
    ),
    Mutation(
        "M9",
        "batches padded with white (255, ink) instead of black (0)",
        "text_recognizer/line_batching.py",
        (
            (
                "pixels = np.zeros((len(chunk), lines[chunk[0]].shape[0], width), dtype=np.uint8)",
                "pixels = np.full((len(chunk), lines[chunk[0]].shape[0], width), 255, dtype=np.uint8)",
            ),
        ),
        ("text_recognizer/tests/test_line_batches.py",),
    ),
    Mutation(
        "M10",
        "EXIF orientation ignored: a phone photo is read sideways",
        "text_recognizer/predictors/image_io.py",
        (("_pil_to_greyscale(ImageOps.exif_transpose(image))", "_pil_to_greyscale(image)"),),
        ("text_recognizer/tests/test_preprocessing.py",),
    ),
    Mutation(
        "M11",
        "x and y swapped when reading ALTO/PAGE coordinates",
        "text_recognizer/data/transcription_xml.py",
        (("zip(numbers[0::2], numbers[1::2], strict=True)", "zip(numbers[1::2], numbers[0::2], strict=True)"),),
        ("text_recognizer/tests/test_transcription_xml.py",),
    ),
    Mutation(
        "M12",
        "language model weight with the wrong sign: beam search prefers unlikely text",
        "text_recognizer/ctc.py",
        (("length_bonus + lm_weight * language_model", "length_bonus - lm_weight * language_model"),),
        ("text_recognizer/tests/test_language_model_and_beam.py",),
    ),
    Mutation(
        "M13",
        "label check with width and height swapped: polygons outside a portrait page pass",
        "text_recognizer/data/label_quality.py",
        (("if not _on_image(p, size)]", "if not _on_image(p, (size[1], size[0]))]"),),
        ("text_recognizer/tests/test_labeling.py",),
    ),
    Mutation(
        "M14",
        "no request size limit: the API reads any upload into memory",
        "api/app.py",
        (('app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes', 'app.config["MAX_CONTENT_LENGTH"] = None'),),
        ("api/tests/test_api.py",),
    ),
)


@dataclass
class Outcome:
    mutation: Mutation
    caught: bool
    by: str
    seconds: float


def throwaway_repository(parent: Path) -> Path:
    """A copy of shared/ in a folder beside links to the repository's other entries (data, requirements...)."""
    root = parent / REPO_DIR.name
    root.mkdir()
    for entry in REPO_DIR.iterdir():
        if entry.name != SHARED_DIR.name and entry.name != ".git":
            (root / entry.name).symlink_to(entry)
    shutil.copytree(SHARED_DIR, root / SHARED_DIR.name, ignore=NOT_COPIED, symlinks=True)
    return root / SHARED_DIR.name


def mutated(source: str, mutation: Mutation) -> str:
    for old, new in mutation.edits:
        count = source.count(old)
        if count != 1:
            raise ValueError(f"{mutation.key}: {old!r} occurs {count} times in {mutation.file}, not once: update it")
        source = source.replace(old, new)
    return source


def run_tests(shared: Path, tests: tuple[str, ...]) -> tuple[bool, str]:
    """Whether the test files pass in the copy, and the first failing test's id."""
    command = [sys.executable, "-m", "pytest", "-x", "-q", "--tb=no", "-rf", "-p", "no:cacheprovider", *tests]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(command, cwd=shared, capture_output=True, text=True, env=env, check=False)
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", result.stdout, flags=re.MULTILINE)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-300:]
    return result.returncode == 0, failed[0] if failed else summary


def check(mutations: list[Mutation]) -> list[Outcome]:
    with tempfile.TemporaryDirectory(prefix="mutation-check-") as folder:
        shared = throwaway_repository(Path(folder))
        for mutation in mutations:  # every edit must apply before anything runs
            mutated((shared / mutation.file).read_text(), mutation)
        baseline = sorted({test for mutation in mutations for test in mutation.tests})
        passed, detail = run_tests(shared, tuple(baseline))
        if not passed:
            raise SystemExit(f"The unmutated copy fails its tests ({detail}): fix that first.")
        print(f"Unmutated copy: {len(baseline)} test files pass.\n", flush=True)
        outcomes = []
        for mutation in mutations:
            path = shared / mutation.file
            original = path.read_text()
            path.write_text(mutated(original, mutation))
            started = time.perf_counter()
            try:
                passed, detail = run_tests(shared, mutation.tests)
            finally:
                path.write_text(original)
            outcome = Outcome(mutation, not passed, detail if not passed else "", time.perf_counter() - started)
            print(f"{mutation.key:<4} {'caught' if outcome.caught else 'MISSED'}  {mutation.bug}", flush=True)
            outcomes.append(outcome)
    return outcomes


def table(outcomes: list[Outcome]) -> str:
    rows = ["| | planted bug | file | caught by | s |", "|---|---|---|---|---|"]
    for o in outcomes:
        by = f"`{o.by.split('/')[-1]}`" if o.caught else "**missed**"
        rows.append(f"| {o.mutation.key} | {o.mutation.bug} | `{o.mutation.file}` | {by} | {o.seconds:.0f} |")
    caught = sum(o.caught for o in outcomes)
    return "\n".join([*rows, "", f"{caught} of {len(outcomes)} planted bugs caught."])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("keys", nargs="*", help="mutations to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    args = parser.parse_args(argv)
    if args.list:
        for mutation in MUTATIONS:
            print(f"{mutation.key:<4} {mutation.file}: {mutation.bug}")
        return 0
    unknown = set(args.keys) - {m.key for m in MUTATIONS}
    if unknown:
        parser.error(f"no mutation {', '.join(sorted(unknown))}; see --list")
    outcomes = check([m for m in MUTATIONS if not args.keys or m.key in args.keys])
    print("\n" + table(outcomes))
    return 0 if all(o.caught for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
