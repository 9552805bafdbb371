"""Read and check a sweep file before any training starts.

A sweep file is FSDL's YAML sweep (W&B's format) mapped onto Optuna: a base experiment, the metric to
optimize, and the parameters to vary, named by their path in the experiment config:

    name: emnist_mlp_sweep
    experiment: training/experiments/emnist_character_mlp_small.json
    metric: {name: val_accuracy, goal: maximize}
    trials: 8
    pruner: median                     # median, successive_halving or none
    parameters:
      network_args.layer_size: {values: [64, 128, 256]}          # a choice
      train_args.learning_rate: {min: 0.0003, max: 0.01, log: true}  # a range (floats; log scale)
      network_args.num_layers: {min: 1, max: 3}                  # a range of integers
      train_args.epochs: {value: 3}                              # fixed for every trial
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.experiment_config import DEFAULT_TRAIN_ARGS, NESTED_KEYS, ExperimentConfig, ExperimentConfigError

CODE_ROOT = Path(__file__).resolve().parents[1]  # the folder holding `training/`: shared/ or labN/
SWEEP_KEYS = {"name", "experiment", "metric", "trials", "pruner", "sampler", "seed", "parameters"}
PRUNERS = ("median", "successive_halving", "none")
SAMPLERS = ("tpe", "random")
GOALS = ("minimize", "maximize")


class SweepConfigError(ValueError):
    """The sweep file cannot be run; the message says which part is wrong."""


@dataclass(frozen=True)
class Parameter:
    """One searched value: a choice among `values`, a `low`..`high` range, or a fixed `value`."""

    path: str
    values: tuple | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    value: Any = None

    @property
    def searched(self) -> bool:
        """Whether Optuna chooses this value (a fixed `value` is the same in every trial)."""
        return self.values is not None or self.low is not None

    def describe(self) -> str:
        if self.values is not None:
            return f"one of {list(self.values)}"
        if self.low is None:
            return f"fixed at {self.value!r}"
        return f"{self.low} to {self.high}{' (log scale)' if self.log else ''}"

    def suggest(self, trial) -> Any:
        if self.values is not None:
            return trial.suggest_categorical(self.path, list(self.values))
        if self.low is None:
            return self.value
        if isinstance(self.low, int) and isinstance(self.high, int) and not isinstance(self.low, bool):
            return trial.suggest_int(self.path, self.low, self.high, log=self.log)
        return trial.suggest_float(self.path, float(self.low), float(self.high), log=self.log)

    def example(self) -> Any:
        """A value from the search space, to check the experiment accepts this parameter at all."""
        if self.values is not None:
            return self.values[0]
        return self.value if self.low is None else self.low


@dataclass(frozen=True)
class SweepConfig:
    name: str
    experiment: Path
    metric: str
    goal: str
    trials: int
    parameters: tuple[Parameter, ...]
    pruner: str = "median"
    sampler: str = "tpe"
    seed: int = 0
    source: dict = field(default_factory=dict, compare=False)

    def overrides(self, values: dict[str, Any]) -> list[str]:
        """`--set`-style overrides for one trial's parameter values."""
        return [f"{path}={json.dumps(value)}" for path, value in values.items()]

    def experiment_config(self, values: dict[str, Any], name: str | None = None) -> ExperimentConfig:
        config = ExperimentConfig.parse(str(self.experiment), overrides=self.overrides(values))
        if name:
            config.name = name
        return config


def read_sweep(path: str | Path, check_experiment: bool = True) -> SweepConfig:
    """Parse and check a sweep file: its keys, ranges, metric, experiment file and every parameter's path.

    `check_experiment=False` leaves out `check_experiment_config` (it imports the networks, so TensorFlow):
    the sweep's coordinator runs it while its workers start.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise SweepConfigError(f"sweep file {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise SweepConfigError(f"{path} is not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise SweepConfigError(f"{path}: a sweep file is a mapping of {sorted(SWEEP_KEYS)}")
    unknown = set(raw) - SWEEP_KEYS
    if unknown:
        raise SweepConfigError(f"{path}: unknown keys {sorted(unknown)}; known: {sorted(SWEEP_KEYS)}")
    missing = [key for key in ("experiment", "metric", "parameters") if key not in raw]
    if missing:
        raise SweepConfigError(f"{path}: missing {', '.join(missing)}")

    metric = raw["metric"] if isinstance(raw["metric"], dict) else {"name": raw["metric"]}
    name, goal = str(metric.get("name", "")), metric.get("goal", "minimize")
    if not name.startswith("val_"):
        raise SweepConfigError(f"{path}: metric {name!r} must be a validation metric (val_loss, val_cer, ...)")
    if goal not in GOALS:
        raise SweepConfigError(f"{path}: metric goal {goal!r} must be one of {GOALS}")
    trials = raw.get("trials", 8)
    if not isinstance(trials, int) or isinstance(trials, bool) or trials < 1:
        raise SweepConfigError(f"{path}: trials must be a positive integer, got {trials!r}")
    for key, choices in (("pruner", PRUNERS), ("sampler", SAMPLERS)):
        if raw.get(key, choices[0]) not in choices:
            raise SweepConfigError(f"{path}: {key} {raw[key]!r} must be one of {choices}")
    if not isinstance(raw["parameters"], dict) or not raw["parameters"]:
        raise SweepConfigError(f"{path}: parameters must map config paths to their values or ranges")

    sweep = SweepConfig(
        name=str(raw.get("name") or path.stem),
        experiment=_experiment_path(path, str(raw["experiment"])),
        metric=name,
        goal=goal,
        trials=trials,
        parameters=tuple(_parameter(path, key, spec) for key, spec in raw["parameters"].items()),
        pruner=raw.get("pruner", "median"),
        sampler=raw.get("sampler", "tpe"),
        seed=int(raw.get("seed", 0)),
        source=raw,
    )
    if check_experiment:
        check_experiment_config(sweep, path)
    return sweep


def check_experiment_config(sweep: SweepConfig, path: str | Path) -> None:
    """The experiment with every parameter at one value of its range: unknown names fail here, not in a trial."""
    try:
        config = sweep.experiment_config({p.path: p.example() for p in sweep.parameters})
    except ExperimentConfigError as error:
        raise SweepConfigError(f"{path}: {error}") from error
    selection = config.model_class.selection_metric
    if sweep.metric == selection[0] and sweep.goal != {"min": "minimize", "max": "maximize"}[selection[1]]:
        raise SweepConfigError(f"{path}: {sweep.metric} is better when {selection[1]}imized, not {sweep.goal}d")


def _experiment_path(sweep_file: Path, experiment: str) -> Path:
    """The experiment file, relative to the working folder, the sweep file or the code's root."""
    for candidate in (Path(experiment), sweep_file.parent / experiment, CODE_ROOT / experiment):
        if candidate.is_file():
            return candidate.resolve()
    raise SweepConfigError(
        f"{sweep_file}: experiment file {experiment!r} not found (looked in the working folder, "
        f"{sweep_file.parent} and {CODE_ROOT})"
    )


def _parameter(sweep_file: Path, key: str, spec: Any) -> Parameter:
    where = f"{sweep_file}: parameter {key!r}"
    head, _, rest = key.partition(".")
    if head not in (*NESTED_KEYS, "seed") or (head != "seed" and not rest):
        raise SweepConfigError(
            f"{where}: name a config value by its path, e.g. train_args.learning_rate or network_args.<argument>"
        )
    if head == "train_args" and rest not in DEFAULT_TRAIN_ARGS:
        raise SweepConfigError(f"{where}: unknown train_args value {rest!r}; known: {sorted(DEFAULT_TRAIN_ARGS)}")
    if not isinstance(spec, dict):
        spec = {"value": spec}
    unknown = set(spec) - {"values", "min", "max", "log", "value"}
    if unknown:
        raise SweepConfigError(f"{where}: unknown keys {sorted(unknown)}; use values, min/max (and log) or value")
    if "values" in spec:
        if not isinstance(spec["values"], list) or not spec["values"]:
            raise SweepConfigError(f"{where}: values must be a non-empty list")
        return Parameter(key, values=tuple(spec["values"]))
    if "min" in spec or "max" in spec:
        low, high = spec.get("min"), spec.get("max")
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high))
        if not numbers or not low < high:
            raise SweepConfigError(f"{where}: a range needs numbers min < max, got min={low!r}, max={high!r}")
        if spec.get("log") and low <= 0:
            raise SweepConfigError(f"{where}: a log range needs min > 0, got {low!r}")
        return Parameter(key, low=low, high=high, log=bool(spec.get("log", False)))
    if "value" in spec:
        return Parameter(key, value=spec["value"])
    raise SweepConfigError(f"{where}: give values, min and max, or value")
