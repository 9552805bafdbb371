"""Training smoke tests on tiny synthetic data: configs, the training loop, saving and ONNX export."""

import json

import numpy as np
import pytest

from text_recognizer.models.character_model import CharacterModel
from text_recognizer.predictors.character_predictor import CharacterPredictor
from text_recognizer.tests.support import toy_images
from training import run_experiment
from training.experiment_config import ExperimentConfig, ExperimentConfigError
from training.tests.toy_experiment import TOY_CONFIG


def test_training_learns_saves_and_exports(toy_registry):
    config = ExperimentConfig.parse(json.dumps(TOY_CONFIG))
    run = run_experiment.run_experiment(config, save=True, runs_dir=toy_registry / "runs", verbose=0)
    assert run.metrics["test_accuracy"] > 0.9
    (run_dir,) = (toy_registry / "runs").iterdir()
    assert run.run_dir == run_dir and (run.model_dir / "config.json").is_file()
    written = {"config.json", "history.json", "metrics.json", "learning_curves.png", "model"}
    written |= {"tensorboard", "sample_predictions.png"}  # [lab 3]
    assert {p.name for p in run_dir.iterdir()} == written
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
    assert first.metrics["test_loss"] == second.metrics["test_loss"]


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


def test_overrides_set_nested_values_before_validation():
    config = ExperimentConfig.parse(
        json.dumps(TOY_CONFIG), overrides=["train_args.epochs=7", "network_args.layer_size=32", "seed=3"]
    )
    assert config.train_args["epochs"] == 7 and config.network_args["layer_size"] == 32 and config.seed == 3
    with pytest.raises(ExperimentConfigError, match="unknown train_args"):
        ExperimentConfig.parse(json.dumps(TOY_CONFIG), overrides=["train_args.epoch=7"])
    with pytest.raises(ExperimentConfigError, match="not KEY=VALUE"):
        ExperimentConfig.parse(json.dumps(TOY_CONFIG), overrides=["train_args.epochs"])
    with pytest.raises(ExperimentConfigError, match="only dataset_args, network_args, train_args"):
        ExperimentConfig.parse(json.dumps(TOY_CONFIG), overrides=["model.name=x"])


def test_the_best_epoch_by_the_selection_metric_is_kept(toy_registry):
    config = ExperimentConfig.parse(json.dumps(TOY_CONFIG), overrides=["train_args.epochs=4"])
    run = run_experiment.run_experiment(config, runs_dir=toy_registry / "runs", verbose=0)
    accuracies = run.history["val_accuracy"]
    assert run.best_epoch == 1 + accuracies.index(max(accuracies))
    assert run.metrics["validation_accuracy"] == pytest.approx(max(accuracies), abs=1e-6)


def test_a_dataset_named_by_its_import_path_must_be_a_data_module():
    for name, message in (("training.tests.nowhere.Toy", "cannot import"), ("json.JSONDecoder", "not a data module")):
        with pytest.raises(ExperimentConfigError, match=message):
            ExperimentConfig.parse(json.dumps({**TOY_CONFIG, "dataset": name}))
