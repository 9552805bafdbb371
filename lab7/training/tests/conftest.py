"""Fixtures of the training tests."""

import pytest

from text_recognizer import paths


@pytest.fixture
def toy_registry(tmp_path, monkeypatch):
    """Data caches, saved artifacts and (for worker processes) the data folder in a temporary folder."""
    monkeypatch.setattr(paths, "PROCESSED_DATA_DIR", tmp_path / "processed")
    monkeypatch.setattr(paths, "ARTIFACTS_DIR", tmp_path / "artifacts")
    monkeypatch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path))
    return tmp_path
