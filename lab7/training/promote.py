"""Promote a tracked run's model to the committed artifacts, with its lineage recorded beside it.

    python -m training.promote RUN_ID            # refuses a model that tests worse than the committed one
    python -m training.promote RUN_ID --force
    python -m training.promote RUN_ID --artifacts /tmp/artifacts   # somewhere else (e.g. to try it)

FSDL's "update the model to deploy by taking the best model from the experiments": the run's `model`
folder (logged by `training.run_experiment`) is checked against its checksums, compared with the
committed model on the test metric that matches the model's selection metric (`test_cer` for line
models, `test_accuracy` for character models), and copied into `text_recognizer/artifacts/<name>/` with
`lineage.json`: the run id, tracking URI, metrics, config, code version and data fingerprint.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from text_recognizer import models, paths
from text_recognizer.model_files import (
    CONFIG_FILENAME,
    ONNX_FILENAME,
    WEIGHTS_FILENAME,
    ModelFilesError,
    read_config,
    verified_path,
)
from training import tracking

LINEAGE_FILENAME = "lineage.json"


class PromotionError(RuntimeError):
    """The run cannot be promoted; the message says why and what to do."""


def comparison_metric(model_name: str) -> tuple[str, str]:
    """The test metric that ranks models of this class, and whether lower or higher is better."""
    name, mode = models.get(model_name).selection_metric
    return f"test_{name.removeprefix('val_')}", mode


def is_worse(candidate: float, committed: float, mode: str) -> bool:
    return candidate > committed if mode == "min" else candidate < committed


def promote(run_id: str, *, artifacts_dir: Path | None = None, force: bool = False, client=None) -> Path:
    """Copy run `run_id`'s model into `artifacts_dir/<name>/` with its lineage; return that folder."""
    from mlflow.exceptions import MlflowException

    client = client or tracking.mlflow_client()
    try:
        run = client.get_run(run_id)
    except MlflowException as error:
        raise PromotionError(f"no run {run_id!r} in {client.tracking_uri}: {error.message}") from error
    if run.info.status != "FINISHED" or run.data.tags.get("pruned") == "true":
        state = "pruned" if run.data.tags.get("pruned") == "true" else run.info.status
        raise PromotionError(f"run {run_id} is {state}: only a finished, unpruned run can be promoted")

    with tempfile.TemporaryDirectory(prefix="promote-") as download:
        try:
            model_dir = Path(client.download_artifacts(run_id, tracking.MODEL_ARTIFACT, download))
        except (MlflowException, OSError) as error:
            raise PromotionError(f"run {run_id} has no model artifact to promote ({error})") from error
        try:
            config = read_config(model_dir)
            for filename in (WEIGHTS_FILENAME, ONNX_FILENAME):
                verified_path(model_dir, filename, config)
        except ModelFilesError as error:
            raise PromotionError(f"run {run_id}'s model files fail their checks: {error}") from error

        name = config.get("experiment", {}).get("artifact") or config["task"]
        destination = Path(artifacts_dir or paths.ARTIFACTS_DIR) / name
        metric, mode = comparison_metric(config["model"])
        candidate = run.data.metrics.get(metric)
        if candidate is None:
            raise PromotionError(f"run {run_id} recorded no {metric} to compare models by")
        committed = _committed_metric(destination, metric)
        if committed is not None and is_worse(candidate, committed, mode) and not force:
            raise PromotionError(
                f"run {run_id} has {metric} {candidate:.4f}, worse than the committed model's {committed:.4f} "
                f"in {destination}; pass --force to promote it anyway"
            )
        lineage = {
            "run_id": run_id,
            "run_name": run.info.run_name,
            "tracking_uri": client.tracking_uri,
            "parent_run_id": run.data.tags.get("mlflow.parentRunId"),
            "promoted_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "compared_on": {"metric": metric, "run": candidate, "replaced_model": committed},
            "metrics": run.data.metrics,
            "experiment": config.get("experiment"),
            **{key: run.data.tags.get(key) for key in ("git_commit", "git_dirty", "data_fingerprint", "data_source")},
        }
        _replace_model_files(model_dir, destination, lineage)
    return destination


def _committed_metric(destination: Path, metric: str) -> float | None:
    if not (destination / CONFIG_FILENAME).is_file():
        return None
    return read_config(destination).get("metrics", {}).get(metric)


def _replace_model_files(source: Path, destination: Path, lineage: dict) -> None:
    """Stage the new files beside the destination, then move each into place: never a half-copied model.

    Other files of the destination (e.g. a language model) are kept.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        names = (WEIGHTS_FILENAME, ONNX_FILENAME, CONFIG_FILENAME)
        for name in names:
            shutil.copyfile(source / name, staging / name)
        (staging / LINEAGE_FILENAME).write_text(json.dumps(lineage, indent=2, default=str) + "\n")
        destination.mkdir(exist_ok=True)
        for name in (*names, LINEAGE_FILENAME):
            os.replace(staging / name, destination / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_id", help="the MLflow run id (MLflow UI: the run's page; or the sweep's best trial)")
    parser.add_argument("--force", action="store_true", help="promote even if it tests worse than the committed model")
    parser.add_argument("--artifacts", type=Path, help="artifacts folder (default: text_recognizer/artifacts)")
    args = parser.parse_args(argv)
    try:
        destination = promote(args.run_id, artifacts_dir=args.artifacts, force=args.force)
    except (PromotionError, tracking.TrackingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Promoted run {args.run_id} to {destination} (lineage in {destination / LINEAGE_FILENAME})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
