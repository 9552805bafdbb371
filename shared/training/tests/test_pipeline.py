"""The DVC pipeline (dvc.yaml) on a tiny config, in a temporary copy of the repository."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from text_recognizer import paths

REPO = Path(__file__).resolve().parents[3]
CONFIG = Path("shared/training/experiments/handwriting/combined.json")
TINY = {
    "sources": {"copiste": 1.0, "copiste_labeled": 0.1},
    "subsample": 0.01,
    "synthetic_lines": 16,
    "epochs": 1,
    "filters": 4,
    "lstm_units": 8,
}


def dvc(copy: Path, *args: str) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env["TEXT_RECOGNIZER_DATA_DIR"] = str(paths.DATA_DIR)  # the processed caches of this checkout are reused
    result = subprocess.run(["dvc", *args], cwd=copy, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"dvc {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def set_config(copy: Path, **values) -> None:
    path = copy / CONFIG
    path.write_text(json.dumps({**json.loads(path.read_text()), **values}, indent=2))


@pytest.fixture
def repository_copy(tmp_path) -> Path:
    if shutil.which("dvc", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("DVC is not installed in this environment (it comes with requirements/dev.txt)")
    mirror = paths.mirror_dir()
    if mirror is None or not (mirror / "copiste" / "alto").is_dir():
        pytest.skip(f"the pipeline needs the Copiste corpus: set {paths.MIRROR_ENV_VAR}")
    copy = tmp_path / "repo"
    ignore = shutil.ignore_patterns("runs", "__pycache__", ".pytest_cache", "tmp", "cache", "config.local")
    shutil.copytree(REPO / "shared", copy / "shared", ignore=ignore)
    shutil.copytree(REPO / "data" / "raw", copy / "data" / "raw")
    shutil.copytree(REPO / ".dvc", copy / ".dvc", ignore=ignore)
    for name in ("dvc.yaml", ".dvcignore"):
        shutil.copy2(REPO / name, copy / name)
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    set_config(copy, **TINY)
    return copy


@pytest.mark.slow
def test_repro_runs_every_stage_once_then_only_what_changed(repository_copy):
    first = dvc(repository_copy, "repro")
    assert all(f"Running stage '{stage}'" in first for stage in ("prepare", "train", "evaluate"))
    metrics = json.loads((repository_copy / "data/pipeline/handwriting/metrics.json").read_text())
    assert metrics["lines"] > 0 and 0 <= metrics["test_cer_greedy"] <= 1.5

    started = time.perf_counter()
    again = dvc(repository_copy, "repro")
    assert "Running stage" not in again and "Data and pipelines are up to date" in again
    assert time.perf_counter() - started < 30, "a repro with nothing to do takes seconds"

    set_config(repository_copy, epochs=2)
    status = json.loads(dvc(repository_copy, "status", "--json"))
    assert set(status) == {"train"}, "a training parameter makes only `train` (and what follows) stale"
    dry = dvc(repository_copy, "repro", "--dry")
    assert "Stage 'prepare' didn't change, skipping" in dry and "Stage 'train' didn't change" not in dry

    dvc(repository_copy, "push")
    assert any((repository_copy / "data" / "dvc-remote").rglob("*")), "the local remote received the outputs"
