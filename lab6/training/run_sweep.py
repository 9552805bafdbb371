"""Run a hyper-parameter sweep with Optuna and parallel workers; stop it and rerun to resume.

    python -m training.run_sweep training/sweeps/emnist_mlp.yaml --workers 2
    python -m training.run_sweep training/sweeps/emnist_mlp.yaml --workers 2 --trials 16   # extend it

Every trial is a tracked run (MLflow, TensorBoard), nested in MLflow under one run for the sweep.
The study lives in Optuna's journal file in `training/runs/sweeps/<name>/`, which parallel workers on one
machine share safely (SQLite is not safe for that, per Optuna's FAQ); `--storage` takes a database URL
(e.g. postgresql://...) shared by workers on several machines.

Workers are processes. With GPUs, each takes one free GPU (`CUDA_VISIBLE_DEVICES`, held with a file lock
per device so two sweeps never share one); on CPUs each gets its share of the cores as its thread budget.
A finished trial is never lost: stopping the sweep (Ctrl-C) or killing a worker leaves the study on disk,
and rerunning the command fails the interrupted trials, retries their parameters and completes the sweep.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from training.sweep_config import CODE_ROOT, SweepConfig, SweepConfigError, check_experiment_config, read_sweep

SWEEPS_DIR = Path(__file__).resolve().parent / "runs" / "sweeps"
DEVICE_LOCKS_DIR = Path(tempfile.gettempdir()) / "text-recognizer-gpu-locks"
JOURNAL_FILE = "optuna-journal.log"
FINISHED = ("COMPLETE", "PRUNED")
PARENT_RUN_ATTR = "mlflow_parent_run_id"
PARENT_RUN_WAIT_S = 300  # how long a worker waits for the coordinator to record the sweep's MLflow run


class SweepError(RuntimeError):
    """The sweep cannot go on; the message says why and what to do."""


def sweep_dir(sweep: SweepConfig, root: Path = SWEEPS_DIR) -> Path:
    return root / sweep.name


def open_storage(url: str | None, folder: Path):
    """Optuna's journal file in `folder` (one machine), or the database at `url` (several machines)."""
    import optuna

    if url:
        # A heartbeat lets workers on other machines fail the trials of a worker that died.
        return optuna.storages.RDBStorage(url, heartbeat_interval=60, grace_period=180)
    folder.mkdir(parents=True, exist_ok=True)
    backend = optuna.storages.journal.JournalFileBackend(str(folder / JOURNAL_FILE))
    return optuna.storages.JournalStorage(backend)


def open_study(sweep: SweepConfig, storage, seed: int | None = None):
    """The sweep's study, made on first use; its sampler seeded with `seed` (default: the sweep's)."""
    import optuna

    pruner = {
        "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
        "successive_halving": optuna.pruners.SuccessiveHalvingPruner,
        "none": optuna.pruners.NopPruner,
    }[sweep.pruner]()
    sampler = {"tpe": optuna.samplers.TPESampler, "random": optuna.samplers.RandomSampler}[sweep.sampler]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(
        study_name=sweep.name,
        storage=storage,
        direction=sweep.goal,
        pruner=pruner,
        sampler=sampler(seed=sweep.seed if seed is None else seed),
        load_if_exists=True,
    )


def trial_counts(study) -> dict[str, int]:
    counts: dict[str, int] = {}
    for trial in study.get_trials(deepcopy=False):
        counts[trial.state.name] = counts.get(trial.state.name, 0) + 1
    return counts


def recover_interrupted_trials(study, client=None) -> int:
    """Fail the trials left RUNNING by a killed worker and queue their parameters again.

    Only safe while no worker of this sweep runs: the coordinator calls it holding the sweep's lock.
    With a `client`, the trials' MLflow runs left RUNNING are marked KILLED.
    """
    from optuna.trial import TrialState

    interrupted = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    for trial in interrupted:
        study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})
    parent_run_id = study.user_attrs.get(PARENT_RUN_ATTR)
    if client is not None and parent_run_id:
        experiment = client.get_run(parent_run_id).info.experiment_id
        query = f"tags.mlflow.parentRunId = '{parent_run_id}' and attributes.status = 'RUNNING'"
        for run in client.search_runs([experiment], filter_string=query):
            client.set_terminated(run.info.run_id, "KILLED")
    return len(interrupted)


# ---- workers -------------------------------------------------------------------------------------------


def thread_budget(workers: int) -> int:
    """Cores per worker on a CPU machine, so that N workers do not fight over the same cores."""
    return max(1, len(os.sched_getaffinity(0)) // workers)


def visible_gpus() -> list[str]:
    """GPU indices this process may use, without importing TensorFlow (`CUDA_VISIBLE_DEVICES` or nvidia-smi)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [device for device in visible.split(",") if device.strip() and device.strip() != "-1"]
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i, line in enumerate(listing.stdout.splitlines()) if line.startswith("GPU ")]


def claim_gpu(candidates: list[str], first: int):
    """Lock the first free GPU among `candidates`, starting at index `first`; return (device, lock)."""
    from filelock import FileLock, Timeout

    DEVICE_LOCKS_DIR.mkdir(parents=True, exist_ok=True)
    for offset in range(len(candidates)):
        device = candidates[(first + offset) % len(candidates)]
        lock = FileLock(DEVICE_LOCKS_DIR / f"gpu{device}.lock")
        try:
            lock.acquire(timeout=0)
        except Timeout:
            continue
        return device, lock
    raise SweepError(f"every GPU of {candidates} is held by another worker (locks in {DEVICE_LOCKS_DIR})")


def worker_environment(index: int, workers: int, gpus: list[str]) -> dict[str, str]:
    """What a worker process inherits: GPU candidates, or its thread budget on CPUs."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["SWEEP_WORKER_INDEX"] = str(index)
    if gpus:
        env["SWEEP_GPU_CANDIDATES"] = ",".join(gpus)
    else:
        threads = str(thread_budget(workers))
        env |= {"OMP_NUM_THREADS": threads, "TF_NUM_INTRAOP_THREADS": threads, "TF_NUM_INTEROP_THREADS": threads}
    return env


def run_worker(sweep_file: Path, storage_url: str | None, folder: Path, max_trials: int, wandb: bool) -> int:
    """Take trials until the sweep has `max_trials` finished or running ones; return how many this worker ran."""
    gpu_lock, index = None, int(os.environ.get("SWEEP_WORKER_INDEX", "0"))
    if os.environ.get("SWEEP_GPU_CANDIDATES"):
        candidates = os.environ["SWEEP_GPU_CANDIDATES"].split(",")
        device, gpu_lock = claim_gpu(candidates, index)
        os.environ["CUDA_VISIBLE_DEVICES"] = device  # before TensorFlow is imported
        print(f"worker {os.getpid()}: GPU {device}", flush=True)
    from filelock import FileLock

    print(f"worker {os.getpid()} started", flush=True)
    import optuna

    # TensorFlow and the training code load now, while the coordinator opens MLflow: the two overlap.
    from training import run_experiment  # noqa: F401

    sweep = read_sweep(sweep_file)
    storage = open_storage(storage_url, folder)
    # Each worker, and each resumption, draws its own random parameters: samplers seeded alike would
    # propose the same trials in parallel (or again after a restart).
    existing = len(optuna.load_study(study_name=sweep.name, storage=storage).trials)
    study = open_study(sweep, storage, seed=sweep.seed + 1009 * index + existing)
    parent_run_id = wait_for_parent_run(study)
    # Counting and starting a trial happen under one lock, so parallel workers never overshoot the count.
    start_lock = FileLock(folder / "start-trial.lock")
    ran = 0
    while True:
        start_lock.acquire()
        try:
            counts = trial_counts(study)
            if sum(counts.get(state, 0) for state in (*FINISHED, "RUNNING")) >= max_trials:
                break
            study.optimize(
                lambda trial: objective(trial, sweep, folder, parent_run_id, wandb, started=start_lock.release),
                n_trials=1,
                gc_after_trial=True,
            )
            ran += 1
        finally:
            if start_lock.is_locked:
                start_lock.release(force=True)
    if gpu_lock is not None:
        gpu_lock.release()
    return ran


def wait_for_parent_run(study, timeout_s: float = PARENT_RUN_WAIT_S) -> str:
    """The sweep's MLflow run id, which the coordinator records in the study once the workers have started."""
    deadline = time.monotonic() + timeout_s
    while not (run_id := study.user_attrs.get(PARENT_RUN_ATTR)):
        if time.monotonic() > deadline:
            raise SweepError(f"the coordinator recorded no MLflow run for the sweep within {timeout_s:.0f} s")
        time.sleep(0.2)
    return run_id


def objective(trial, sweep: SweepConfig, folder: Path, parent_run_id: str | None, wandb: bool, started) -> float:
    """Train one trial's experiment as a tracked run nested under the sweep's; return its score."""
    import optuna

    from training import run_experiment, tracking
    from training.pruning import PruningCallback

    started()  # the trial is RUNNING in the study now: other workers may count it and start theirs
    trial.set_user_attr("worker_pid", os.getpid())
    began = time.perf_counter()
    values = {parameter.path: parameter.suggest(trial) for parameter in sweep.parameters}
    config = sweep.experiment_config(values, name=f"{sweep.name}-trial{trial.number:03d}")
    pruning = PruningCallback(trial, sweep.metric)
    try:
        run = run_experiment.run_experiment(
            config,
            runs_dir=folder / "runs",
            verbose=2,
            callbacks=(pruning,),
            parent_run_id=parent_run_id,
            wandb=wandb,
            tags={"sweep": sweep.name, "trial": str(trial.number), "pruned": "false"},
        )
    except BaseException:
        tracking.finish_open_runs("FAILED")
        raise
    trial.set_user_attr("run_dir", str(run.run_dir))
    score = float(run.history[sweep.metric][run.best_epoch - 1])
    outcome = f"pruned after epoch {pruning.last_epoch}" if pruning.pruned else f"{sweep.metric} {score:.4f}"
    print(f"trial {trial.number} done in {time.perf_counter() - began:.1f} s: {outcome}", flush=True)
    if pruning.pruned:
        tracking.mlflow_client().set_tag(run.mlflow_run_id, "pruned", "true")
        raise optuna.TrialPruned(outcome)
    return score


# ---- the coordinator -------------------------------------------------------------------------------------


def run_sweep(
    sweep: SweepConfig,
    sweep_file: Path,
    *,
    workers: int = 1,
    trials: int | None = None,
    storage_url: str | None = None,
    root: Path = SWEEPS_DIR,
    wandb: bool = False,
    show_progress: bool = True,
):
    """Start `workers` worker processes on the sweep and wait for them; return the study."""
    from filelock import FileLock, Timeout
    from optuna.trial import TrialState

    folder = sweep_dir(sweep, root)
    folder.mkdir(parents=True, exist_ok=True)
    total = trials or sweep.trials
    lock = FileLock(folder / "coordinator.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout as error:
        raise SweepError(f"sweep {sweep.name!r} is already running here (its lock: {lock.lock_file})") from error
    try:
        study = open_study(sweep, open_storage(storage_url, folder))
        # journal: no worker runs now, so RUNNING trials were interrupted (their MLflow runs are closed too)
        if storage_url is None and study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            recovered = recover_interrupted_trials(study, _mlflow_client())
            print(f"{recovered} interrupted trial(s) failed and queued again")
        gpus = visible_gpus()
        if gpus and workers > len(gpus):
            print(f"{len(gpus)} GPU(s) visible: running {len(gpus)} workers, one per GPU")
            workers = len(gpus)
        started = time.perf_counter()
        # Workers start first: their TensorFlow import overlaps the experiment's check and MLflow's start
        # here. They train only once the sweep's MLflow run is recorded, so a bad experiment stops them first.
        processes = _start_workers(sweep_file, storage_url, folder, total, workers, gpus, wandb)
        try:
            check_experiment_config(sweep, sweep_file)
            client = _mlflow_client()
            parent_run_id = _sweep_run(study, sweep, client)
        except BaseException:
            _stop(processes)
            raise
        _wait_for_workers(processes, folder, total, study, show_progress)
        elapsed = time.perf_counter() - started
        counts = trial_counts(study)
        done = sum(counts.get(state, 0) for state in FINISHED)
        client.log_metric(parent_run_id, "finished_trials", done)
        client.log_metric(parent_run_id, "wall_seconds", elapsed)
        if any(t.state.name == "COMPLETE" for t in study.get_trials(deepcopy=False)):
            client.log_metric(parent_run_id, f"best_{sweep.metric}", study.best_value)
            client.log_batch(parent_run_id, tags=_tags({"best_trial": study.best_trial.number}))
        study.trials_dataframe().to_csv(folder / "trials.csv", index=False)
        client.log_artifact(parent_run_id, str(folder / "trials.csv"))
        client.set_terminated(parent_run_id, "FINISHED" if done >= total else "KILLED")
        print(f"{done} of {total} trials finished ({counts}) in {elapsed:.0f} s; study in {folder}")
        return study
    finally:
        lock.release()


def _mlflow_client():
    from training import tracking

    try:
        return tracking.mlflow_client()
    except tracking.TrackingError as error:
        raise SweepError(str(error)) from error


def _tags(values: dict) -> list:
    from mlflow.entities import RunTag

    return [RunTag(key, str(value)) for key, value in values.items()]


def _sweep_run(study, sweep: SweepConfig, client) -> str:
    """The MLflow run that holds the sweep's trials: made on the first start, reopened on a resume."""
    from training import tracking

    run_id = study.user_attrs.get(PARENT_RUN_ATTR)
    if run_id:
        client.update_run(run_id, status="RUNNING")
        return run_id
    run = client.create_run(tracking.experiment_id(client), run_name=f"sweep {sweep.name}")
    params = {"sweep.metric": sweep.metric, "sweep.goal": sweep.goal, "sweep.experiment": sweep.experiment.name}
    params |= {f"sweep.space.{p.path}": p.describe() for p in sweep.parameters}
    for key, value in params.items():
        client.log_param(run.info.run_id, key, value)
    client.log_batch(run.info.run_id, tags=_tags({"sweep": sweep.name, **tracking.code_version()}))
    study.set_user_attr(PARENT_RUN_ATTR, run.info.run_id)
    return run.info.run_id


def _start_workers(sweep_file, storage_url, folder, total, workers, gpus, wandb) -> list[subprocess.Popen]:
    command = [sys.executable, "-m", "training.run_sweep", str(Path(sweep_file).resolve()), "--worker"]
    command += ["--trials", str(total), "--folder", str(folder)]
    command += ["--storage", storage_url] if storage_url else []
    command += ["--wandb"] if wandb else []
    processes = []
    for index in range(workers):
        log = (folder / f"worker-{index}.log").open("a")
        env = worker_environment(index, workers, gpus)
        processes.append(subprocess.Popen(command, cwd=CODE_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    return processes


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait()


def _wait_for_workers(processes, folder, total, study, show_progress) -> None:
    from tqdm.auto import tqdm

    progress = tqdm(total=total, desc=f"sweep {folder.name}", unit="trial", disable=not show_progress)
    try:
        while any(process.poll() is None for process in processes):
            time.sleep(1)
            counts = trial_counts(study)
            progress.n = min(total, sum(counts.get(state, 0) for state in FINISHED))
            progress.refresh()
    except KeyboardInterrupt:
        _stop(processes)
        recover_interrupted_trials(study)
        print(f"\nSweep stopped; finished trials are kept. Rerun the same command to resume ({folder}).")
        raise
    finally:
        progress.close()
    failed = [(i, p.returncode) for i, p in enumerate(processes) if p.returncode != 0]
    if failed:
        tails = "\n".join(
            f"--- worker {i} (exit {code}), end of {folder / f'worker-{i}.log'}:\n"
            + "".join((folder / f"worker-{i}.log").read_text().splitlines(keepends=True)[-15:])
            for i, code in failed
        )
        raise SweepError(f"{len(failed)} worker(s) failed; rerun the command to resume.\n{tails}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sweep", help="a sweep YAML file (see training/sweeps/)")
    parser.add_argument("--workers", type=int, default=1, help="parallel worker processes (default 1)")
    parser.add_argument("--trials", type=int, help="finished trials to reach (default: the file's `trials`)")
    parser.add_argument("--storage", help="a database URL shared by several machines (default: a journal file)")
    parser.add_argument("--wandb", action="store_true", help="also log every trial to Weights & Biases")
    parser.add_argument("--sweeps-dir", type=Path, default=SWEEPS_DIR, help="where sweeps keep studies and logs")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workers < 1 or (args.trials is not None and args.trials < 1):
        parser.error("--workers and --trials must be at least 1")
    try:
        sweep = read_sweep(args.sweep, check_experiment=False)  # the coordinator checks it as workers start
        if args.worker:
            run_worker(Path(args.sweep), args.storage, args.folder, args.trials or sweep.trials, args.wandb)
        else:
            options = {"workers": args.workers, "trials": args.trials, "storage_url": args.storage, "wandb": args.wandb}
            run_sweep(sweep, Path(args.sweep), root=args.sweeps_dir, **options)
    except (SweepConfigError, SweepError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
