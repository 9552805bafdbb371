"""What tracking costs a training run: the same run with and without it, in fresh processes, alternated.

    python -m evaluation.benchmark_tracking [--experiment training/experiments/emnist_lines_ctc.json]
        [--set train_args.epochs=3 --set dataset_args.num_train=4000] [--repeats 2]

"With" is the default tracking (MLflow on the local SQLite file, TensorBoard, per-epoch metrics, the
sample-predictions image and the model folder logged as artifacts); "without" is `--no-tracking`. The
wall time is the whole command, interpreter start and imports included. Runs go to a temporary folder.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evaluation.report import print_results

CODE_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SETTINGS = ["train_args.epochs=3", "dataset_args.num_train=4000"]


def timed_run(experiment: str, settings: list[str], tracked: bool, env: dict[str, str]) -> float:
    command = [sys.executable, "-m", "training.run_experiment", experiment]
    command += [f"--set={setting}" for setting in settings]
    command += [] if tracked else ["--no-tracking"]
    started = time.perf_counter()
    subprocess.run(command, cwd=CODE_ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", default="training/experiments/emnist_lines_ctc.json")
    parser.add_argument("--set", action="append", dest="settings", help="overrides (default: a 3-epoch run)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    settings = args.settings or DEFAULT_SETTINGS
    with tempfile.TemporaryDirectory(prefix="benchmark-tracking-") as folder:
        env = dict(os.environ, MLFLOW_TRACKING_URI=f"sqlite:///{folder}/mlflow.db")
        timed_run(args.experiment, [*settings, "train_args.epochs=1"], True, env)  # data cache and database made
        times: dict[bool, list[float]] = {True: [], False: []}
        for repeat in range(args.repeats):
            for tracked in (False, True) if repeat % 2 == 0 else (True, False):
                times[tracked].append(timed_run(args.experiment, settings, tracked, env))
                print(f"{'with' if tracked else 'without'} tracking: {times[tracked][-1]:.1f} s", flush=True)
    with_tracking, without = statistics.median(times[True]), statistics.median(times[False])
    print_results(
        {
            "median_seconds_without_tracking": without,
            "median_seconds_with_tracking": with_tracking,
            "overhead_percent": 100 * (with_tracking - without) / without,
        },
        decimals=1,
        experiment=args.experiment,
        settings=" ".join(settings),
    )


if __name__ == "__main__":
    main()
