"""Tracking: what a run records in MLflow (on a temporary SQLite file), TensorBoard and offline W&B."""

import json

import pytest

from training import run_experiment, tracking
from training.experiment_config import ExperimentConfig
from training.tests.toy_experiment import TOY_CONFIG


@pytest.fixture(scope="module")
def tracked_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tracked")
    with pytest.MonkeyPatch.context() as patch:
        from text_recognizer import paths

        patch.setattr(paths, "PROCESSED_DATA_DIR", folder / "processed")
        config = ExperimentConfig.parse(json.dumps({**TOY_CONFIG, "name": "tracked-toy"}))
        run = run_experiment.run_experiment(config, runs_dir=folder / "runs", verbose=0, tags={"purpose": "test"})
    return run


def test_a_run_records_config_code_packages_data_and_metrics_per_epoch(tracked_run):
    client = tracking.mlflow_client()
    recorded = client.get_run(tracked_run.mlflow_run_id)
    assert recorded.info.status == "FINISHED" and recorded.info.run_name == "tracked-toy"
    params, tags = recorded.data.params, recorded.data.tags
    assert params["train_args.epochs"] == "3" and params["network_args.layer_size"] == "64"
    assert params["dataset"] == TOY_CONFIG["dataset"]
    assert len(tags["git_commit"]) in (40, len("unknown")) and tags["git_dirty"] in ("true", "false", "unknown")
    assert tags["version.keras"] and tags["version.python"] and tags["purpose"] == "test"
    assert tags["data_fingerprint"] == tracking.data_fingerprint_tag({"version": 1, "note": "synthetic squares"})
    per_epoch = client.get_metric_history(tracked_run.mlflow_run_id, "val_accuracy")
    assert [m.step for m in per_epoch] == [1, 2, 3]
    assert [m.value for m in per_epoch] == pytest.approx(tracked_run.history["val_accuracy"])
    assert recorded.data.metrics["best_epoch"] == tracked_run.best_epoch
    assert recorded.data.metrics["test_accuracy"] == pytest.approx(tracked_run.metrics["test_accuracy"])


def test_a_run_stores_its_model_and_sample_predictions_as_artifacts(tracked_run):
    client = tracking.mlflow_client()
    names = {a.path for a in client.list_artifacts(tracked_run.mlflow_run_id)}
    assert {"config.json", "metrics.json", "learning_curves.png", "sample_predictions.png", "model"} <= names
    model_files = {a.path for a in client.list_artifacts(tracked_run.mlflow_run_id, "model")}
    assert model_files == {"model/config.json", "model/model.onnx", "model/model.weights.h5"}


def test_tensorboard_event_files_are_always_written(tracked_run):
    assert list((tracked_run.run_dir / "tensorboard").glob("events.out.tfevents.*"))


def test_an_unreachable_tracking_server_stops_the_run_before_training(monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # the discard port: nothing answers
    config = json.dumps({**TOY_CONFIG, "dataset": "training.tests.toy_experiment.ToyDataset"})
    assert run_experiment.main([config]) == 2
    error = capsys.readouterr().err
    assert "http://127.0.0.1:9 does not answer" in error and "unset MLFLOW_TRACKING_URI" in error


def test_a_failing_background_tracker_reports_at_finish():
    class Broken(tracking.Tracker):
        def log_metrics(self, metrics, step=None):
            raise OSError("disk full")

    tracker = tracking.BackgroundTracker(Broken)
    tracker.log_metrics({"loss": 1.0}, step=1)
    with pytest.raises(tracking.TrackingError, match="disk full"):
        tracker.finish()


def test_flatten_names_nested_values_by_their_path():
    assert tracking.flatten({"a": 1, "train_args": {"epochs": 3, "x": {"y": 2}}, "empty": {}}) == {
        "a": 1,
        "train_args.epochs": 3,
        "train_args.x.y": 2,
        "empty": {},
    }


def test_weights_and_biases_logs_offline_without_an_account(tmp_path, toy_registry):
    pytest.importorskip("wandb", reason="wandb is optional; install it to test W&B logging")
    config = ExperimentConfig.parse(json.dumps({**TOY_CONFIG, "train_args": {"epochs": 2, "batch_size": 64}}))
    run = run_experiment.run_experiment(config, runs_dir=tmp_path / "runs", verbose=0, mlflow=False, wandb=True)
    (offline,) = (run.run_dir / "wandb").glob("offline-run-*")
    assert list(offline.glob("*.wandb")), "the offline run holds its logged data"
    assert run.mlflow_run_id is None
