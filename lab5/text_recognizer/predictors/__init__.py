"""Inference only: read images, run the committed models. No data or training code is imported here."""

import importlib
import inspect
import pkgutil


def available_tasks() -> dict[str, type]:
    """Predictor classes of this copy of the package, by the task they read (`character`, `digit`...)."""
    found: dict[str, type] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if not module_info.name.endswith("_predictor"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            task = getattr(obj, "task", None)
            if obj.__module__ == module.__name__ and isinstance(task, str):
                found[task] = obj
    return found
