"""Pytest configuration for this copy of the course code.

Pytest puts this file's folder first on `sys.path`, so the tests here import this copy's
`text_recognizer` and `training`, never another lab's.
"""

import os



def pytest_configure(config):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


