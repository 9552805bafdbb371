"""Networks: pure functions `(input_shape, output_shape, **kwargs) -> keras.Model`.

A network named `name` lives in the module `text_recognizer.networks.<name>` as a function of the same
name, so each lab's copy offers exactly the networks it has.
"""

import importlib
import pkgutil
from collections.abc import Callable

import keras


def available() -> list[str]:
    """Names of the networks in this copy of the package."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def get(name: str) -> Callable[..., keras.Model]:
    """The network function called `name`, with a clear error listing the choices if there is none."""
    if name not in available():
        raise ValueError(f"Unknown network {name!r}. Available networks: {', '.join(available())}.")
    return getattr(importlib.import_module(f"{__name__}.{name}"), name)
