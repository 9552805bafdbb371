"""Models: a network plus its loss, metrics, training loop, and saving as weights and ONNX.

A model class `Name` lives in a module of this package; `get("Name")` finds it by scanning the modules of
this copy, so each lab offers exactly the models it has.
"""

import importlib
import inspect
import pkgutil


def available() -> dict[str, type]:
    """Model classes of this copy of the package, by class name."""
    from text_recognizer.models.base import BaseModel

    found = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseModel) and obj is not BaseModel and obj.__module__ == module.__name__:
                found[name] = obj
    return found


def get(name: str) -> type:
    """The model class called `name`, with a clear error listing the choices if there is none."""
    models = available()
    if name not in models:
        raise ValueError(f"Unknown model {name!r}. Available models: {', '.join(sorted(models))}.")
    return models[name]
