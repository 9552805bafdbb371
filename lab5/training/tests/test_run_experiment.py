"""Training smoke tests on tiny synthetic data: configs, the training loop, saving and ONNX export."""

import json

import numpy as np
import pytest

from text_recognizer import paths
from text_recognizer.data.base_data_module import BaseDataModule
from text_recognizer.models.character_model import CharacterModel
from text_recognizer.predictors.character_predictor import CharacterPredictor
from text_recognizer.tests.support import toy_images
from training import experiment_config, run_experiment
from training.experiment_config import ExperimentConfig, ExperimentConfigError


class ToyDataset(BaseDataModule):
    """Sixteen classes of bright squares; cached like a real dataset."""

    name = "toy"
    task = "toy"
    mapping = tuple("0123456789abcdef")
    input_shape = (28, 28)
    preprocessing = "emnist"

    def _fingerprint(self):
        return {"version": 1, "note": "synthetic squares"}

    def _build_arrays(self):
        arrays = {}
        for split, count, seed in (("train", 640, 0), ("validation", 160, 1), ("test", 160, 2)):
            labels = np.arange(count, dtype=np.uint8) % 16
            arrays[f"x_{split}"], arrays[f"y_{split}"] = toy_images(labels, seed=seed), labels
        return arrays


@pytest.fixture
def toy_registry(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "PROCESSED_DATA_DIR", tmp_path / "processed")
    monkeypatch.setattr(paths, "ARTIFACTS_DIR", tmp_path / "artifacts")
    monkeypatch.setattr(experiment_config, "available_datasets", lambda: {"ToyDataset": ToyDataset})
    return tmp_path


TOY_CONFIG = {
    "dataset": "ToyDataset",
    "model": "CharacterModel",
    "network": "mlp",
    "network_args": {"layer_size": 64, "num_layers": 1},
    "train_args": {"epochs": 3, "batch_size": 32, "learning_rate": 0.01},
}


def test_training_learns_saves_and_exports(toy_registry):
    config = ExperimentConfig.parse(json.dumps(TOY_CONFIG))
    metrics = run_experiment.run_experiment(config, save=True, runs_dir=toy_registry / "runs", verbose=0)
    assert metrics["test_accuracy"] > 0.9
    (run_dir,) = (toy_registry / "runs").iterdir()
    assert {p.name for p in run_dir.iterdir()} == {"config.json", "history.json", "metrics.json", "learning_curves.png"}
    assert len(json.loads((run_dir / "history.json").read_text())["loss"]) == 3

    saved = toy_registry / "artifacts" / "toy"
    config_json = json.loads((saved / "config.json").read_text())
    assert config_json["mapping"] == list("0123456789abcdef") and config_json["preprocessing"] == "emnist"

    images = toy_images(np.arange(16, dtype=np.uint8), seed=9)
    keras_model = CharacterModel.load(saved)
    onnx_probabilities = CharacterPredictor(saved, backend="onnxruntime").model(images)
    keras_probabilities = CharacterPredictor(saved, backend="keras").model(images)
    np.testing.assert_allclose(onnx_probabilities, keras_model.predict_batch(images), atol=1e-4)
    np.testing.assert_allclose(onnx_probabilities, keras_probabilities, atol=1e-4)


def test_training_is_deterministic_for_a_seed(toy_registry):
    config = ExperimentConfig.parse(json.dumps({**TOY_CONFIG, "train_args": {"epochs": 1, "batch_size": 64}}))
    first = run_experiment.run_experiment(config, runs_dir=toy_registry / "a", verbose=0)
    second = run_experiment.run_experiment(config, runs_dir=toy_registry / "b", verbose=0)
    assert first["test_loss"] == second["test_loss"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"dataset": "EmnistDataset", "model": "CharacterModel"}', "lacks network"),
        ('{"dataset": "Nope", "model": "CharacterModel", "network": "mlp"}', "Unknown dataset 'Nope'"),
        ('{"dataset": "EmnistDataset", "model": "Nope", "network": "mlp"}', "Unknown model 'Nope'"),
        ('{"dataset": "EmnistDataset", "model": "CharacterModel", "network": "nope"}', "Unknown network 'nope'"),
        ('{"dataset": "EmnistDataset", "model": "CharacterModel", "network": "mlp", "epochs": 3}', "unknown config"),
        (
            '{"dataset": "EmnistDataset", "model": "CharacterModel", "network": "mlp", "train_args": {"epoch": 3}}',
            "unknown train_args",
        ),
        ("missing.json", "does not exist"),
        (
            '{"dataset": "EmnistDataset", "model": "CharacterModel", "network": "mlp", "network_args": {"layers": 2}}',
            "network 'mlp': got an unexpected keyword argument 'layers'",
        ),
        (
            '{"dataset": "EmnistDataset", "model": "CharacterModel", "network": "mlp", "dataset_args": {"seed": 2}}',
            "seed is set by the experiment",
        ),
        (
            '{"dataset": "EmnistDataset", "model": "CharacterModel", "network": "mlp", "dataset_args": {"frac": 1}}',
            "dataset 'EmnistDataset'",
        ),
    ],
)
def test_bad_configs_get_clear_errors(text, message):
    with pytest.raises(ExperimentConfigError, match=message):
        ExperimentConfig.parse(text)


def test_cli_reports_bad_config_without_a_traceback(capsys):
    assert run_experiment.main(['{"dataset": "Nope", "model": "CharacterModel", "network": "mlp"}']) == 2
    assert "error: Unknown dataset 'Nope'. Available datasets:" in capsys.readouterr().err


def test_committed_experiment_configs_are_valid():
    for path in sorted((run_experiment.RUNS_DIR.parent / "experiments").glob("*.json")):
        ExperimentConfig.parse(str(path))
