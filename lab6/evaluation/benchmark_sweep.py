"""Parallel sweeps on this machine: 1 worker against N, and a worker killed mid-sweep.

    python -m evaluation.benchmark_sweep [--sweep training/sweeps/emnist_character_mlp.yaml] [--trials 8]
        [--workers 2] [--skip-kill]

1. The sweep with 1 worker, then with `--workers`, each from scratch (its own study; an MLflow file made
   beforehand, as it is after a course's first run): wall times, their ratio, the trials each left in
   MLflow, and any storage-lock error in the logs. Both sweeps train the same parameters (drawn once and
   queued in each study), and pruning is off (`--pruner` sets it), so that both do the same work: the
   sampler and the pruner would otherwise decide differently with parallel workers.
2. The sweep with `--workers` again, one worker SIGKILLed while a trial runs after the first has finished;
   then the same command rerun: are the finished trials kept, and does the sweep complete?
Everything goes to a temporary folder.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evaluation.report import print_results

CODE_ROOT = Path(__file__).resolve().parents[1]
LOCK_ERRORS = ("database is locked", "OperationalError")


def sweep_command(sweep: str, workers: int, trials: int, sweeps_dir: Path) -> list[str]:
    command = [sys.executable, "-m", "training.run_sweep", sweep, "--workers", str(workers)]
    return [*command, "--trials", str(trials), "--sweeps-dir", str(sweeps_dir)]


def tracked_trials(tracking_uri: str) -> dict[str, int]:
    """Trial runs in MLflow (those with a parent), by status."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments, filter_string="tags.mlflow.parentRunId != ''", max_results=1000)
    counts: dict[str, int] = {}
    for run in runs:
        counts[run.info.status] = counts.get(run.info.status, 0) + 1
    return counts


def lock_errors(folder: Path) -> int:
    text = "".join(path.read_text() for path in folder.rglob("worker-*.log"))
    return sum(text.count(marker) for marker in LOCK_ERRORS)


def tracking_database(folder: Path) -> str:
    """A fresh MLflow SQLite file with its experiment made (what the course's first run leaves)."""
    from training import tracking

    folder.mkdir(parents=True)
    uri = f"sqlite:///{folder}/mlflow.db"
    tracking.experiment_id(tracking.mlflow_client(uri))
    return uri


def sweep_file(sweep: str, pruner: str, folder: Path) -> str:
    """A copy of the sweep file with its pruner set and its experiment's path made absolute."""
    import yaml

    from training.sweep_config import read_sweep

    spec = yaml.safe_load(Path(sweep).read_text())
    spec |= {"pruner": pruner, "experiment": str(read_sweep(sweep).experiment)}
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec))
    return str(path)


def queue_trials(sweep_path: str, trials: int, sweeps_dir: Path, seed: int = 0) -> None:
    """Draw `trials` parameter sets at random (the same for every `seed`) and queue them in the sweep's study."""
    import optuna

    from training.run_sweep import open_storage, open_study, sweep_dir
    from training.sweep_config import read_sweep

    sweep = read_sweep(sweep_path)
    drawing = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    study = open_study(sweep, open_storage(None, sweep_dir(sweep, sweeps_dir)))
    for _ in range(trials):
        trial = drawing.ask()
        study.enqueue_trial({p.path: p.suggest(trial) for p in sweep.parameters if p.searched})


def timed_sweep(sweep: str, workers: int, trials: int, folder: Path) -> dict[str, float]:
    uri = tracking_database(folder)
    queue_trials(sweep, trials, folder / "sweeps")
    env = dict(os.environ, MLFLOW_TRACKING_URI=uri)
    started = time.perf_counter()
    subprocess.run(sweep_command(sweep, workers, trials, folder / "sweeps"), cwd=CODE_ROOT, env=env, check=True)
    seconds = time.perf_counter() - started
    in_mlflow = tracked_trials(uri)
    print(f"{workers} worker(s): {seconds:.0f} s, trials in MLflow {in_mlflow}", flush=True)
    return {"seconds": seconds, "finished_in_mlflow": in_mlflow.get("FINISHED", 0), "lock_errors": lock_errors(folder)}


def kill_and_resume(sweep_file: str, workers: int, trials: int, folder: Path) -> dict[str, float]:
    """Kill one worker while a trial runs (after one has finished), rerun, and compare the studies."""
    from training.run_sweep import open_storage, open_study, sweep_dir
    from training.sweep_config import read_sweep

    env = dict(os.environ, MLFLOW_TRACKING_URI=tracking_database(folder))
    command = sweep_command(sweep_file, workers, trials, folder / "sweeps")
    coordinator = subprocess.Popen(command, cwd=CODE_ROOT, env=env)
    sweep = read_sweep(sweep_file)
    study = open_study(sweep, open_storage(None, sweep_dir(sweep, folder / "sweeps")))
    victim = None
    while victim is None and coordinator.poll() is None:
        time.sleep(0.5)
        trials_now = study.get_trials(deepcopy=False)
        if any(t.state.name == "COMPLETE" for t in trials_now):
            victim = next((t for t in trials_now if t.state.name == "RUNNING" and "worker_pid" in t.user_attrs), None)
    if victim is None:
        raise RuntimeError("the sweep ended before a worker could be killed mid-trial: use more trials")
    os.kill(victim.user_attrs["worker_pid"], signal.SIGKILL)
    print(f"killed worker {victim.user_attrs['worker_pid']} during trial {victim.number}", flush=True)
    first_exit = coordinator.wait()
    kept = {t.number: t.value for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"}
    resumed = subprocess.run(command, cwd=CODE_ROOT, env=env, check=False)
    after = study.get_trials(deepcopy=False)
    return {
        "first_run_exit_code": first_exit,
        "finished_before_kill": len(kept),
        "finished_trials_kept": sum(1 for t in after if t.number in kept and t.value == kept[t.number]),
        "rerun_exit_code": resumed.returncode,
        "complete_after_rerun": sum(t.state.name == "COMPLETE" for t in after),
        "pruned_after_rerun": sum(t.state.name == "PRUNED" for t in after),
        "killed_trial_retried": int(any(t.user_attrs.get("retry_of") == victim.number for t in after)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sweep", default="training/sweeps/emnist_character_mlp.yaml")
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pruner", default="none", help="the pruner both timed sweeps use (default: none)")
    parser.add_argument("--skip-kill", action="store_true", help="only the timing comparison")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="benchmark-sweep-") as temporary:
        folder = Path(temporary)
        timed = sweep_file(args.sweep, args.pruner, folder)
        one = timed_sweep(timed, 1, args.trials, folder / "one")
        many = timed_sweep(timed, args.workers, args.trials, folder / "many")
        results = {
            "seconds_1_worker": one["seconds"],
            f"seconds_{args.workers}_workers": many["seconds"],
            "wall_time_ratio": many["seconds"] / one["seconds"],
            "trials_in_mlflow_1_worker": one["finished_in_mlflow"],
            f"trials_in_mlflow_{args.workers}_workers": many["finished_in_mlflow"],
            "storage_lock_errors": one["lock_errors"] + many["lock_errors"],
        }
        if not args.skip_kill:
            killed = kill_and_resume(args.sweep, args.workers, args.trials, folder / "kill")
            results |= {f"kill_{key}": value for key, value in killed.items()}
    print(json.dumps({"sweep": args.sweep, "trials": args.trials, "pruner_when_timed": args.pruner}))
    print_results(results, decimals=2)


if __name__ == "__main__":
    main()
