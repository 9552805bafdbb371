"""Promotion: a tracked run's model copied to the artifacts with its lineage; worse models refused."""

import json

import numpy as np
import pytest

from text_recognizer.predictors.character_predictor import CharacterPredictor
from text_recognizer.tests.support import toy_images
from training import promote, run_experiment, tracking
from training.experiment_config import ExperimentConfig
from training.tests.toy_experiment import TOY_CONFIG


def toy_run(folder, epochs: int, learning_rate: float = 0.01):
    train_args = {**TOY_CONFIG["train_args"], "epochs": epochs, "learning_rate": learning_rate}
    config = ExperimentConfig.parse(json.dumps({**TOY_CONFIG, "train_args": train_args}))
    return run_experiment.run_experiment(config, runs_dir=folder / "runs", verbose=0)


@pytest.fixture(scope="module")
def good_and_bad_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("promote")
    with pytest.MonkeyPatch.context() as patch:
        from text_recognizer import paths

        patch.setattr(paths, "PROCESSED_DATA_DIR", folder / "processed")
        good, bad = toy_run(folder, epochs=3), toy_run(folder, epochs=1, learning_rate=1e-5)
    assert bad.metrics["test_accuracy"] < good.metrics["test_accuracy"]
    return good, bad


def test_promotion_copies_the_model_with_its_lineage(tmp_path, good_and_bad_runs):
    good, _ = good_and_bad_runs
    destination = promote.promote(good.mlflow_run_id, artifacts_dir=tmp_path)
    assert destination == tmp_path / "toy"
    lineage = json.loads((destination / "lineage.json").read_text())
    assert lineage["run_id"] == good.mlflow_run_id and lineage["tracking_uri"] == tracking.tracking_uri()
    assert lineage["compared_on"] == {
        "metric": "test_accuracy",
        "run": pytest.approx(good.metrics["test_accuracy"]),
        "replaced_model": None,
    }
    assert lineage["experiment"]["train_args"]["epochs"] == 3 and lineage["git_commit"] and lineage["data_fingerprint"]
    images = toy_images(np.arange(16, dtype=np.uint8), seed=5)
    predicted = CharacterPredictor(destination).model(images).argmax(-1)
    assert (predicted == np.arange(16)).mean() > 0.9


def test_a_worse_run_is_refused_unless_forced(tmp_path, good_and_bad_runs, capsys):
    good, bad = good_and_bad_runs
    promote.promote(good.mlflow_run_id, artifacts_dir=tmp_path)
    before = (tmp_path / "toy" / "model.weights.h5").read_bytes()
    assert promote.main([bad.mlflow_run_id, "--artifacts", str(tmp_path)]) == 2
    assert "worse than the committed model's" in capsys.readouterr().err
    assert (tmp_path / "toy" / "model.weights.h5").read_bytes() == before, "a refused promotion changes nothing"
    assert promote.main([bad.mlflow_run_id, "--artifacts", str(tmp_path), "--force"]) == 0
    lineage = json.loads((tmp_path / "toy" / "lineage.json").read_text())
    assert lineage["run_id"] == bad.mlflow_run_id
    assert lineage["compared_on"]["replaced_model"] == pytest.approx(good.metrics["test_accuracy"])


def test_unknown_and_pruned_runs_are_refused(tmp_path, good_and_bad_runs):
    with pytest.raises(promote.PromotionError, match="no run 'nope'"):
        promote.promote("nope", artifacts_dir=tmp_path)
    _, bad = good_and_bad_runs
    tracking.mlflow_client().set_tag(bad.mlflow_run_id, "pruned", "true")
    with pytest.raises(promote.PromotionError, match="is pruned"):
        promote.promote(bad.mlflow_run_id, artifacts_dir=tmp_path, force=True)


def test_line_models_are_compared_on_cer_and_character_models_on_accuracy():
    assert promote.comparison_metric("LineModelCtc") == ("test_cer", "min")
    assert promote.comparison_metric("CharacterModel") == ("test_accuracy", "max")
    assert promote.is_worse(0.2, 0.1, "min") and not promote.is_worse(0.9, 0.8, "max")
