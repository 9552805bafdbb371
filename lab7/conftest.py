"""Pytest configuration for this copy of the course code.

Pytest puts this file's folder first on `sys.path`, so the tests here import this copy's
`text_recognizer` and `training`, never another lab's.
"""

import os

import pytest  # [lab 3]


def pytest_configure(config):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


# [lab 3]
@pytest.fixture(autouse=True, scope="session")
def tracking_in_a_temporary_folder(tmp_path_factory):
    """Runs that tests track go to a temporary MLflow file and offline W&B folder, never the course's."""
    folder = tmp_path_factory.mktemp("tracking")
    saved = {name: os.environ.get(name) for name in ("MLFLOW_TRACKING_URI", "WANDB_MODE", "WANDB_DIR")}
    os.environ |= {"MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}", "WANDB_MODE": "offline"}
    os.environ["WANDB_DIR"] = str(folder)
    yield folder
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


# [end lab 3]
