#!/usr/bin/env bash
# Create .venv and install everything SongGen Studio needs, from PyPI alone.
# torch==2.13.0 comes from requirements.txt first, so nothing pulls a CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
# These declare dependencies we must not install (pyaudio; llm and a llama.cpp build).
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
