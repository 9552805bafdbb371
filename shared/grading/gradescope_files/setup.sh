#!/usr/bin/env bash
# Gradescope runs this once, while it builds the autograder's image: Python 3.11 and the checks' pinned
# requirements in /autograder/source/.venv (uv fetches both, whatever Python the base image has).
set -euo pipefail
cd /autograder/source
curl -LsSf https://astral.sh/uv/install.sh | sh
export PATH="$HOME/.local/bin:$PATH"
uv venv --python 3.11 .venv
VIRTUAL_ENV=.venv uv pip install -r requirements.txt
