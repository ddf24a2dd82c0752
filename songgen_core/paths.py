"""Where everything lives: every default path and the environment variable that moves it.

This module is the one place that decides. The studio, the CLI, fine-tuning and the
statistics all ask it, so that moving a folder with a variable moves it for all of them
(a model trained with SONGGEN_MODELS_DIR set is where the studio, with the same variable,
looks for it).

| what                          | variable                | default                          |
| ----------------------------- | ----------------------- | -------------------------------- |
| model registry file           | SONGGEN_CONFIG          | config/models.toml               |
| song plans                    | SONGGEN_SONGS_CONFIG    | config/songs.toml                |
| systems (Compare, leaderboard)| SONGGEN_SYSTEMS_CONFIG  | config/systems.toml              |
| trained models                | SONGGEN_MODELS_DIR      | models/                          |
| training run logs             | SONGGEN_RUNS            | runs/                            |
| songs' files, uploads         | SONGGEN_DATA            | data/                            |
| datasets the studio may read  | SONGGEN_DATASETS        | the data folder                  |
| feedback database             | SONGGEN_DB              | feedback.db                      |
| caches (converted models, ...)| SONGGEN_CACHE           | ~/.cache/songgen                 |
| tokenized training sets       | SONGGEN_TOKENIZED_CACHE | tokenized/ in the cache          |

Relative defaults are inside the project root (the folder holding `songgen_core/`);
a variable's value is used as given (with `~` expanded). Each function reads the
environment when called, so a test (or a process) may change it at any time.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PATH = PROJECT_ROOT / "training" / "sample" / "genius_sample.csv"


def _configured(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value).expanduser() if value else default


def config_path() -> Path:
    """The model registry file: `SONGGEN_CONFIG`, else config/models.toml."""
    return _configured("SONGGEN_CONFIG", PROJECT_ROOT / "config" / "models.toml")


def songs_config_path() -> Path:
    """The song plans per genre: `SONGGEN_SONGS_CONFIG`, else config/songs.toml."""
    return _configured("SONGGEN_SONGS_CONFIG", PROJECT_ROOT / "config" / "songs.toml")


def systems_config_path() -> Path:
    """The named systems Compare pits against each other: `SONGGEN_SYSTEMS_CONFIG`, else config/systems.toml."""
    return _configured("SONGGEN_SYSTEMS_CONFIG", PROJECT_ROOT / "config" / "systems.toml")


def models_dir() -> Path:
    """Where trained models are written and served from (models/<genre>/): `SONGGEN_MODELS_DIR`, else models/."""
    return _configured("SONGGEN_MODELS_DIR", PROJECT_ROOT / "models")


def runs_dir() -> Path:
    """Where training run logs go (runs/<genre>/<run-id>/): `SONGGEN_RUNS`, else runs/."""
    return _configured("SONGGEN_RUNS", PROJECT_ROOT / "runs")


def data_dir() -> Path:
    """The songs' files (data/songs/<id>/) and uploaded melodies: `SONGGEN_DATA`, else data/."""
    return _configured("SONGGEN_DATA", PROJECT_ROOT / "data")


def datasets_dir() -> Path:
    """The only folder whose files the studio's Dataset page may read: `SONGGEN_DATASETS`, else the data folder."""
    return _configured("SONGGEN_DATASETS", data_dir())


def db_path() -> Path:
    """The feedback database: `SONGGEN_DB`, else feedback.db in the project root."""
    return _configured("SONGGEN_DB", PROJECT_ROOT / "feedback.db")


def cache_dir() -> Path:
    """Caches that can be rebuilt (converted embedded models, statistics): `SONGGEN_CACHE`, else ~/.cache/songgen."""
    return _configured("SONGGEN_CACHE", Path.home() / ".cache" / "songgen")


def tokenized_cache_dir() -> Path:
    """Tokenized training sets: `SONGGEN_TOKENIZED_CACHE`, else tokenized/ in the cache folder."""
    return _configured("SONGGEN_TOKENIZED_CACHE", cache_dir() / "tokenized")
