"""The files of a saved model and their checks, shared by the models (which write them) and predictors.

A model folder holds `config.json` (network, mapping, preprocessing, metrics and the sha256 of each other
file), `model.weights.h5` (Keras) and `model.onnx` (ONNX Runtime).
"""

import hashlib
import json
from pathlib import Path
from typing import Any

CONFIG_FILENAME = "config.json"
WEIGHTS_FILENAME = "model.weights.h5"
ONNX_FILENAME = "model.onnx"
REQUIRED_CONFIG_KEYS = ("network", "network_args", "input_shape", "mapping", "sha256")


class ModelFilesError(RuntimeError):
    """A model folder is missing, incomplete or does not match its recorded checksums."""


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_config(directory: Path) -> dict[str, Any]:
    """The parsed config.json of a model folder, checked for the keys inference needs."""
    path = Path(directory) / CONFIG_FILENAME
    if not path.is_file():
        raise ModelFilesError(
            f"{path} is missing: no trained model here. Train one with "
            "`python -m training.run_experiment --save <config>` or restore the committed files with git."
        )
    try:
        config = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelFilesError(f"{path} is not valid JSON ({error}): restore it with git or retrain.") from error
    missing = [key for key in REQUIRED_CONFIG_KEYS if key not in config]
    if missing:
        raise ModelFilesError(f"{path} lacks {', '.join(missing)}: restore it with git or retrain.")
    return config


def verified_path(directory: Path, filename: str, config: dict[str, Any]) -> Path:
    """The path of a model file after checking its sha256 against config.json."""
    path = Path(directory) / filename
    if not path.is_file():
        raise ModelFilesError(f"{path} is missing; restore it with git or retrain the model.")
    expected = config["sha256"].get(filename)
    if expected is None:
        raise ModelFilesError(f"config.json in {directory} records no sha256 for {filename}; retrain with --save.")
    actual = sha256(path)
    if expected != actual:
        raise ModelFilesError(
            f"{path} has sha256 {actual} but config.json records {expected}: the file is corrupt or from "
            "another training run. Restore it with `git checkout -- <path>` or retrain with --save."
        )
    return path
