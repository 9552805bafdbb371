"""Parse and validate experiment configs before any training starts."""

import importlib
import inspect
import json
import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TRAIN_ARGS = {
    "batch_size": 256,
    "eval_batch_size": 1024,
    "epochs": 10,
    "learning_rate": 1e-3,
    "cosine_decay": True,
    "early_stopping_patience": 0,
    "augment": False,
}
KNOWN_KEYS = {"name", "dataset", "dataset_args", "model", "network", "network_args", "train_args", "seed", "artifact"}
REQUIRED_KEYS = ("dataset", "model", "network")
NESTED_KEYS = ("dataset_args", "network_args", "train_args")


class ExperimentConfigError(ValueError):
    """The experiment config cannot be run; the message says which part is wrong."""


@dataclass
class ExperimentConfig:
    dataset: str
    model: str
    network: str
    dataset_args: dict[str, Any] = field(default_factory=dict)
    network_args: dict[str, Any] = field(default_factory=dict)
    train_args: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    name: str = ""
    artifact: str | None = None  # where --save writes under text_recognizer/artifacts/; the dataset's task if unset

    @classmethod
    def parse(cls, text_or_path: str, seed: int | None = None, overrides: Sequence[str] = ()) -> "ExperimentConfig":
        """Build a config from inline JSON or a .json file, with `KEY=VALUE` overrides; check every name."""
        path = Path(text_or_path)
        if text_or_path.strip().endswith(".json") and not text_or_path.strip().startswith("{"):
            if not path.is_file():
                raise ExperimentConfigError(f"config file {path} does not exist")
            text_or_path = path.read_text()
        try:
            raw = json.loads(text_or_path)
        except json.JSONDecodeError as error:
            raise ExperimentConfigError(f"config is not valid JSON: {error}") from error
        if not isinstance(raw, dict):
            raise ExperimentConfigError("config must be a JSON object")
        for override in overrides:
            apply_override(raw, override)
        missing = [key for key in REQUIRED_KEYS if key not in raw]
        if missing:
            raise ExperimentConfigError(f"config lacks {', '.join(missing)}")
        unknown = set(raw) - KNOWN_KEYS
        if unknown:
            raise ExperimentConfigError(f"unknown config keys {sorted(unknown)}; known: {sorted(KNOWN_KEYS)}")
        unknown_train = set(raw.get("train_args", {})) - set(DEFAULT_TRAIN_ARGS)
        if unknown_train:
            raise ExperimentConfigError(
                f"unknown train_args {sorted(unknown_train)}; known: {sorted(DEFAULT_TRAIN_ARGS)}"
            )
        config = cls(
            dataset=raw["dataset"],
            model=raw["model"],
            network=raw["network"],
            dataset_args=raw.get("dataset_args", {}),
            network_args=raw.get("network_args", {}),
            train_args={**DEFAULT_TRAIN_ARGS, **raw.get("train_args", {})},
            seed=raw.get("seed", 0) if seed is None else seed,
            name=raw.get("name") or f"{raw['dataset']}-{raw['model']}-{raw['network']}",
            artifact=raw.get("artifact"),
        )
        config.validate()
        return config

    def validate(self) -> None:
        """Check every name and argument now, not after minutes of data preparation."""
        from text_recognizer import models, networks

        try:
            network_fn = networks.get(self.network)
            models.get(self.model)
        except ValueError as error:
            raise ExperimentConfigError(str(error)) from error
        _check_arguments(f"network {self.network!r}", network_fn, self.network_args, ("input_shape", "output_shape"))
        _check_arguments(f"dataset {self.dataset!r}", self.dataset_class, self.dataset_args, ("seed",))

    @property
    def dataset_class(self) -> type:
        if "." in self.dataset:
            return _imported_dataset(self.dataset)
        datasets = available_datasets()
        if self.dataset not in datasets:
            raise ExperimentConfigError(
                f"Unknown dataset {self.dataset!r}. Available datasets: {', '.join(sorted(datasets))}."
            )
        return datasets[self.dataset]

    @property
    def model_class(self) -> type:
        from text_recognizer import models

        return models.get(self.model)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dataset": self.dataset,
            "dataset_args": self.dataset_args,
            "model": self.model,
            "network": self.network,
            "network_args": self.network_args,
            "train_args": self.train_args,
            "seed": self.seed,
            "artifact": self.artifact,
        }


def apply_override(raw: dict[str, Any], override: str) -> None:
    """Set a nested value in place: "train_args.epochs=3" -> raw["train_args"]["epochs"] = 3.

    The value is read as JSON when it parses (numbers, booleans, lists), else kept as a string.
    """
    key, separator, text = override.partition("=")
    if not separator or not key:
        raise ExperimentConfigError(f"override {override!r} is not KEY=VALUE, e.g. train_args.epochs=3")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = text
    *parents, name = key.split(".")
    if parents and parents[0] not in NESTED_KEYS:
        raise ExperimentConfigError(f"override {key!r}: only {', '.join(NESTED_KEYS)} have nested values")
    target = raw
    for parent in parents:
        target = target.setdefault(parent, {})
        if not isinstance(target, dict):
            raise ExperimentConfigError(f"override {key!r}: {parent!r} is not an object")
    target[name] = value


def _check_arguments(what: str, target, arguments: dict[str, Any], reserved: tuple[str, ...]) -> None:
    """Refuse arguments that `target` does not take, or that the experiment sets itself."""
    taken = [name for name in reserved if name in arguments]
    if taken:
        raise ExperimentConfigError(f"{what}: {', '.join(taken)} is set by the experiment, not in its arguments")
    try:
        inspect.signature(target).bind_partial(**dict.fromkeys(reserved), **arguments)
    except TypeError as error:
        accepted = [p for p in inspect.signature(target).parameters if p not in reserved]
        raise ExperimentConfigError(f"{what}: {error}; it accepts {accepted}") from error


def _imported_dataset(dotted_name: str) -> type:
    """A data module outside `text_recognizer.data`, named `package.module.ClassName`."""
    from text_recognizer.data.base_data_module import BaseDataModule

    module_name, _, class_name = dotted_name.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as error:
        raise ExperimentConfigError(f"cannot import dataset {dotted_name!r}: {error}") from error
    if not (isinstance(found, type) and issubclass(found, BaseDataModule)):
        raise ExperimentConfigError(f"dataset {dotted_name!r} is not a data module (a BaseDataModule subclass)")
    return found


def available_datasets() -> dict[str, type]:
    """Data module classes of this copy of `text_recognizer.data`, by class name."""
    import text_recognizer.data as data_package
    from text_recognizer.data.base_data_module import BaseDataModule

    found = {}
    for module_info in pkgutil.iter_modules(data_package.__path__):
        module = importlib.import_module(f"{data_package.__name__}.{module_info.name}")
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseDataModule) and obj is not BaseDataModule and obj.__module__ == module.__name__:
                found[name] = obj
    return found
