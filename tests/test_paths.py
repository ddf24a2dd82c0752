"""One place decides every default path (songgen_core/paths.py): moving a folder with its variable
moves it for the studio, the CLI and fine-tuning alike (issue 10)."""

from __future__ import annotations

from pathlib import Path

from songgen_core import paths
from songgen_core.registry import load_registry
from tiny_models import save_tiny_gpt2
from training.finetune import FinetuneArguments, finetune
from training.runs import list_runs


def test_defaults_are_inside_the_project_and_variables_move_them(monkeypatch, tmp_path):
    for variable in ("SONGGEN_CONFIG", "SONGGEN_MODELS_DIR", "SONGGEN_RUNS", "SONGGEN_DATA", "SONGGEN_DATASETS",
                     "SONGGEN_DB", "SONGGEN_CACHE", "SONGGEN_TOKENIZED_CACHE"):
        monkeypatch.delenv(variable, raising=False)
    root = paths.PROJECT_ROOT
    assert (root / "songgen_core").is_dir() and paths.SAMPLE_PATH.is_file()
    assert (paths.config_path(), paths.models_dir(), paths.runs_dir(), paths.data_dir(), paths.db_path()) == (
        root / "config" / "models.toml", root / "models", root / "runs", root / "data", root / "feedback.db")
    assert paths.datasets_dir() == paths.data_dir()
    assert paths.cache_dir() == Path.home() / ".cache" / "songgen"
    assert paths.tokenized_cache_dir() == paths.cache_dir() / "tokenized"

    monkeypatch.setenv("SONGGEN_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("SONGGEN_CACHE", "~/elsewhere")
    assert paths.datasets_dir() == tmp_path / "data"  # the datasets folder follows the data folder
    assert paths.tokenized_cache_dir() == Path.home() / "elsewhere" / "tokenized"


def test_fine_tuning_writes_where_the_studio_reads(monkeypatch, tmp_path):
    """With SONGGEN_MODELS_DIR and SONGGEN_RUNS set, a fine-tune given no folders writes its model
    where the registry serves models from and its log where the Training page reads runs."""
    monkeypatch.setenv("SONGGEN_MODELS_DIR", str(tmp_path / "my-models"))
    monkeypatch.setenv("SONGGEN_RUNS", str(tmp_path / "my-runs"))
    base = save_tiny_gpt2(tmp_path / "base", end_token=False)
    log = finetune(FinetuneArguments(genre="rock", base=str(base), max_steps=2, logging_steps=1, eval_steps=2,
                                     block_size=32, use_cpu=True, run_id="moved"))
    assert (tmp_path / "my-models" / "rock" / "config.json").is_file()
    assert load_registry().lyrics_source("rock").ref == str((tmp_path / "my-models" / "rock").resolve())
    [run] = list_runs()
    assert (run.genre, run.run_id) == ("rock", "moved") and log["run_id"] == "moved"
    assert (tmp_path / "my-runs" / "rock" / "moved" / "log.json").is_file()
