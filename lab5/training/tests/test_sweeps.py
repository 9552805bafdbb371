"""Sweeps: sweep files checked before training, parallel workers on a shared journal, resume after a kill."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from training import run_sweep, tracking
from training.sweep_config import CODE_ROOT, SweepConfigError, read_sweep
from training.tests.toy_experiment import TOY_CONFIG

SWEEP = """
name: toy
experiment: {experiment}
metric: {{name: val_accuracy, goal: maximize}}
trials: 4
pruner: none
parameters:
  network_args.layer_size: {{values: [16, 32]}}
  train_args.learning_rate: {{min: 0.003, max: 0.03, log: true}}
  train_args.epochs: {{value: {epochs}}}
"""


def write_sweep(folder: Path, epochs: int = 2, text: str = SWEEP) -> Path:
    experiment = folder / "toy.json"
    experiment.write_text(json.dumps(TOY_CONFIG))
    path = folder / "toy.yaml"
    path.write_text(text.format(experiment=experiment, epochs=epochs))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("network_args.layer_size", "network_args.layer_sizes"), "got an unexpected keyword argument 'layer_sizes'"),
        (("train_args.learning_rate", "train_args.learning_rat"), "unknown train_args value 'learning_rat'"),
        (("min: 0.003, max: 0.03", "min: 0.03, max: 0.003"), "a range needs numbers min < max"),
        (("min: 0.003, max: 0.03, log: true", "min: 0.0, max: 0.03, log: true"), "a log range needs min > 0"),
        (("values: [16, 32]", "values: []"), "values must be a non-empty list"),
        (("experiment: ", "experiment: missing/"), "experiment file 'missing/"),
        (("goal: maximize", "goal: minimise"), "goal 'minimise' must be one of"),
        (("goal: maximize", "goal: minimize"), "val_accuracy is better when maximized"),
        (("name: val_accuracy", "name: accuracy"), "must be a validation metric"),
        (("pruner: none", "pruner: hyperband"), "pruner 'hyperband' must be one of"),
        (("trials: 4", "trials: 0"), "trials must be a positive integer"),
        (("trials: 4", "trials: 4\nworkers: 2"), "unknown keys \\['workers'\\]"),
        (("network_args.layer_size", "layer_size"), "name a config value by its path"),
    ],
)
def test_a_bad_sweep_file_fails_before_any_training(tmp_path, change, message):
    path = write_sweep(tmp_path, text=SWEEP.replace(*change))
    with pytest.raises(SweepConfigError, match=message):
        read_sweep(path)


def test_the_committed_sweep_files_are_valid():
    for path in sorted((CODE_ROOT / "training" / "sweeps").glob("*.yaml")):
        assert read_sweep(path).trials >= 1


def test_the_command_reports_a_bad_sweep_file_without_a_traceback(tmp_path, capsys):
    assert run_sweep.main([str(tmp_path / "nope.yaml")]) == 2
    assert "error: sweep file" in capsys.readouterr().err


def test_the_command_stops_its_workers_on_a_bad_experiment_before_any_trial(tmp_path, capsys):
    # The coordinator starts its workers before it checks the experiment (that check imports TensorFlow):
    # a bad parameter must still end the sweep with the clear error, and no trial may have started.
    path = write_sweep(tmp_path, text=SWEEP.replace("network_args.layer_size", "network_args.layer_sizes"))
    assert run_sweep.main([str(path), "--workers", "2", "--sweeps-dir", str(tmp_path / "sweeps")]) == 2
    assert "unexpected keyword argument 'layer_sizes'" in capsys.readouterr().err
    study = run_sweep.open_study(
        read_sweep(path, check_experiment=False), run_sweep.open_storage(None, tmp_path / "sweeps" / "toy")
    )
    assert not study.trials


class _Study:
    def __init__(self, attributes: dict) -> None:
        self.user_attrs = attributes


def test_a_worker_waits_for_the_sweeps_mlflow_run_and_gives_up_clearly():
    assert run_sweep.wait_for_parent_run(_Study({run_sweep.PARENT_RUN_ATTR: "run-1"})) == "run-1"
    with pytest.raises(run_sweep.SweepError, match="no MLflow run for the sweep"):
        run_sweep.wait_for_parent_run(_Study({}), timeout_s=0.3)


def test_each_worker_gets_a_share_of_the_cores_or_a_gpu():
    env = run_sweep.worker_environment(0, workers=2, gpus=[])
    assert env["TF_NUM_INTRAOP_THREADS"] == env["OMP_NUM_THREADS"] == str(run_sweep.thread_budget(2))
    assert env["SWEEP_WORKER_INDEX"] == "0"
    env = run_sweep.worker_environment(1, workers=2, gpus=["0", "1"])
    assert env["SWEEP_GPU_CANDIDATES"] == "0,1" and env["SWEEP_WORKER_INDEX"] == "1"


def test_a_gpu_held_by_one_worker_is_not_given_to_another(tmp_path, monkeypatch):
    monkeypatch.setattr(run_sweep, "DEVICE_LOCKS_DIR", tmp_path)
    first, first_lock = run_sweep.claim_gpu(["0", "1"], 0)
    second, second_lock = run_sweep.claim_gpu(["0", "1"], 0)
    assert (first, second) == ("0", "1")
    with pytest.raises(run_sweep.SweepError, match="every GPU"):
        run_sweep.claim_gpu(["0", "1"], 0)
    first_lock.release()
    second_lock.release()


def trials_with_running_mlflow_runs(study) -> set[int]:
    """The numbers of the sweep's trials whose nested MLflow run has started and not ended."""
    parent_run_id = study.user_attrs.get(run_sweep.PARENT_RUN_ATTR)
    if not parent_run_id:
        return set()
    client = tracking.mlflow_client()
    experiment = client.get_run(parent_run_id).info.experiment_id
    query = f"tags.mlflow.parentRunId = '{parent_run_id}' and attributes.status = 'RUNNING'"
    return {int(run.data.tags["trial"]) for run in client.search_runs([experiment], filter_string=query)}


def frozen_mid_trial(study, trial) -> bool:
    """Stop the trial's worker; keep it stopped if the trial is still running, else let it go on.

    A stopped worker cannot finish its trial, so a kill that follows lands mid-trial: without this, a trial
    could end between the look that chose it and the kill, and the kill would hit a worker between trials.
    """
    pid = trial.user_attrs["worker_pid"]
    os.kill(pid, signal.SIGSTOP)
    if next(t for t in study.get_trials(deepcopy=False) if t.number == trial.number).state.name == "RUNNING":
        return True
    os.kill(pid, signal.SIGCONT)
    return False


@pytest.mark.slow
def test_parallel_workers_survive_a_kill_and_a_rerun_completes_the_sweep(tmp_path, toy_registry):
    """Two workers; one is SIGKILLed mid-trial after a trial has finished; the rerun completes the sweep."""
    path = write_sweep(tmp_path, epochs=10)  # trials of a few seconds each: long enough to catch one mid-way
    command = [sys.executable, "-m", "training.run_sweep", str(path), "--workers", "2"]
    command += ["--sweeps-dir", str(tmp_path / "sweeps")]
    coordinator = subprocess.Popen(command, cwd=CODE_ROOT, env=os.environ.copy(), stderr=subprocess.PIPE, text=True)
    sweep = read_sweep(path)
    study = run_sweep.open_study(sweep, run_sweep.open_storage(None, tmp_path / "sweeps" / "toy"))

    deadline = time.monotonic() + 240
    victim = None
    while victim is None and time.monotonic() < deadline and coordinator.poll() is None:
        time.sleep(0.2)
        trials = study.get_trials(deepcopy=False)
        if any(t.state.name == "COMPLETE" for t in trials):
            # Killed once its MLflow run exists (a worker sets worker_pid first), so that the run's
            # marking as KILLED is checked below on every run of this test, not only when the timing allows.
            tracked = trials_with_running_mlflow_runs(study)
            victim = next((t for t in trials if t.state.name == "RUNNING" and t.number in tracked), None)
            if victim is not None and not frozen_mid_trial(study, victim):
                victim = None  # it finished its trial while we looked: look again
    assert victim is not None, "no trial was running, with its MLflow run, after one had finished"
    os.kill(victim.user_attrs["worker_pid"], signal.SIGKILL)
    assert coordinator.wait(timeout=240) == 2
    assert "worker(s) failed; rerun the command to resume" in coordinator.stderr.read()
    finished_before = {t.number: t.value for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"}

    resumed = run_sweep.run_sweep(sweep, path, workers=2, root=tmp_path / "sweeps", show_progress=False)
    trials = resumed.get_trials(deepcopy=False)
    assert {t.number: t.value for t in trials if t.number in finished_before} == finished_before
    assert sum(t.state.name == "COMPLETE" for t in trials) == 4
    (failed,) = [t for t in trials if t.state.name == "FAIL"]
    assert failed.number == victim.number
    retried = [t for t in trials if t.user_attrs.get("retry_of") == victim.number]
    assert len(retried) == 1 and retried[0].params == victim.params
    assert resumed.best_value == max(t.value for t in trials if t.state.name == "COMPLETE")
    drawn = [tuple(sorted(t.params.items())) for t in trials if t.user_attrs.get("retry_of") is None]
    assert len(set(drawn)) == len(drawn), "parallel workers and the rerun each drew their own parameters"

    client = tracking.mlflow_client()
    parent = client.get_run(resumed.user_attrs["mlflow_parent_run_id"])
    assert parent.info.status == "FINISHED" and parent.data.metrics["finished_trials"] == 4
    children = client.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    status = {int(run.data.tags["trial"]): run.info.status for run in children}
    assert status == {t.number: "FINISHED" if t.state.name == "COMPLETE" else "KILLED" for t in trials}
    logs = "".join(p.read_text() for p in (tmp_path / "sweeps" / "toy").glob("worker-*.log"))
    assert "database is locked" not in logs
