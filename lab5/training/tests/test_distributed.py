"""Data-parallel training with `--strategy mirrored`, on two logical CPU devices (what CI has)."""

import json
import os
import subprocess
import sys

import pytest

from training.sweep_config import CODE_ROOT

# Logical devices must be made before TensorFlow starts using the CPU: a fresh interpreter does it.
SCRIPT = """
import json, sys
from pathlib import Path
import tensorflow as tf
(cpu,) = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from training.experiment_config import ExperimentConfig
from training.run_experiment import distribution_strategy, run_experiment
strategy = distribution_strategy("mirrored")
config = ExperimentConfig.parse(sys.argv[1])
run = run_experiment(config, runs_dir=Path(sys.argv[2]), verbose=0, strategy=strategy, mlflow=False)
print(json.dumps({"replicas": strategy.num_replicas_in_sync, **run.metrics}))
"""


@pytest.mark.slow
def test_mirrored_strategy_trains_over_two_devices(tmp_path, toy_registry):
    from training.tests.toy_experiment import TOY_CONFIG

    config = json.dumps({**TOY_CONFIG, "train_args": {"epochs": 3, "batch_size": 64, "learning_rate": 0.01}})
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, config, str(tmp_path / "runs")],
        cwd=CODE_ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["replicas"] == 2
    assert metrics["test_accuracy"] > 0.9
