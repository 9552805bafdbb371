"""Pytest configuration for this copy of the course code.

Pytest puts this file's folder first on `sys.path`, so the tests here import this copy's
`text_recognizer` and `training`, never another lab's.
"""

import os

import pytest

from text_recognizer import paths


@pytest.fixture
def mirror():
    """The local raw-data mirror (`TEXT_RECOGNIZER_MIRROR`); tests that need real data skip without it."""
    mirror_dir = paths.mirror_dir()
    if mirror_dir is None or not mirror_dir.is_dir():
        pytest.skip(f"real samples need {paths.MIRROR_ENV_VAR} pointing at the raw-data mirror (see README)")
    return mirror_dir


def pytest_configure(config):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
