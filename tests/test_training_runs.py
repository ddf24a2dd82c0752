"""training.runs: every run log read, unreadable ones reported (never raised), SONGGEN_RUNS honoured; the default
runs to compare; run logs (written and committed) name paths relative to the project."""

from __future__ import annotations

import json
from pathlib import Path

from songgen_core.paths import PROJECT_ROOT, runs_dir
from test_app_training import LORA, write_run
from training.data import SAMPLE_PATH
from training.run_folders import write_run as _write_run
from training.runs import latest_runs, list_runs


def test_runs_read_and_bad_logs_reported(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    log = write_run(runs, "rock", "a")
    write_run(runs, "pop", "b")
    for name, text in (("not-json", "{"), ("a-list", "[]"), ("bad-rows", json.dumps({"train_loss": [{"step": 1}], "eval_loss": []}))):
        (runs / "rap" / name).mkdir(parents=True)
        (runs / "rap" / name / "log.json").write_text(text)
    (runs / "rap" / "no-log").mkdir()
    (runs / "rock" / ".c.tmp").mkdir()  # a run still being written is ignored

    monkeypatch.setenv("SONGGEN_RUNS", str(runs))
    assert runs_dir() == runs
    listing = list_runs()
    assert [r.label for r in listing] == ["pop/b", "rock/a"]
    assert sorted(p.parent.name for p, _ in listing.problems) == ["a-list", "bad-rows", "no-log", "not-json"]
    rock = listing[1]
    assert rock.train_loss == [(p["step"], p["loss"]) for p in log["train_loss"]]
    assert rock.eval_loss == [(p["step"], p["loss"]) for p in log["eval_loss"]]
    assert rock.perplexity == log["final"]["perplexity"] and rock.hyperparameters["learning_rate"] == 3e-5
    assert rock.sample is True and rock.final_step == 6
    assert list_runs(tmp_path / "nowhere") == [] and list_runs(tmp_path / "nowhere").problems == []


def test_latest_runs_are_the_most_recent_of_each_kind(tmp_path):
    runs = tmp_path / "runs"
    write_run(runs, "rock", "b-whole", started="2026-01-02T00:00:00+00:00")
    write_run(runs, "rock", "a-whole", started="2026-01-02T00:00:00+00:00")  # same start: the later id wins
    write_run(runs, "rock", "c-whole", started="2026-01-01T00:00:00+00:00")
    write_run(runs, "rock", "lora-1", started="2026-01-01T00:00:00+00:00", lora=LORA)
    write_run(runs, "rock", "lora-2", started="2026-01-03T00:00:00+00:00", lora=LORA)
    listing = list_runs(runs)
    assert [r.run_id for r in latest_runs(listing)] == ["b-whole", "lora-2"]  # in the listing's order
    assert latest_runs([]) == []


def test_run_logs_name_project_paths_relative_to_the_project(tmp_path):
    home = Path.home()
    log = {"data": str(SAMPLE_PATH), "model_dir": str(PROJECT_ROOT / "models" / "rock"), "project": str(PROJECT_ROOT),
           "base_source": str(home / ".cache" / "songgen" / "converted" / "smollm2"), "base": "embedded:smollm2-135m",
           "hyperparameters": {"runs_dir": str(PROJECT_ROOT / "runs" / ".." / "runs"), "models_dir": "/elsewhere/models",
                               "learning_rate": 3e-5, "use_cpu": True, "lora_target_modules": None},
           "lora": {"base": f"path:{PROJECT_ROOT / 'models' / 'base'}"}, "train_loss": [{"step": 2, "loss": 1.5}],
           "eval_loss": []}
    target = _write_run(tmp_path / "runs" / "rock", "run-1", log, {"perplexity": 2.0, "where": str(PROJECT_ROOT / "x")})
    written = json.loads((target / "log.json").read_text(encoding="utf-8"))
    assert written["data"] == "training/sample/genius_sample.csv" and written["model_dir"] == "models/rock"
    assert written["project"] == "." and written["hyperparameters"]["runs_dir"] == "runs"
    assert written["base_source"] == "~/.cache/songgen/converted/smollm2"
    assert written["hyperparameters"]["models_dir"] == "/elsewhere/models"  # outside the project and home: as it was
    unchanged = ("base", "lora", "train_loss", "eval_loss")
    assert all(written[k] == log[k] for k in unchanged)
    assert {k: written["hyperparameters"][k] for k in ("learning_rate", "use_cpu", "lora_target_modules")} == \
           {"learning_rate": 3e-5, "use_cpu": True, "lora_target_modules": None}
    assert json.loads((target / "metrics.json").read_text(encoding="utf-8")) == {"perplexity": 2.0, "where": "x"}


def _strings(value):
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [value] if isinstance(value, str) else []


def test_committed_run_logs_name_no_machine_folders():
    committed = sorted((PROJECT_ROOT / "runs").glob("*/*/*.json"))
    assert len(committed) == 12
    for path in committed:
        for text in _strings(json.loads(path.read_text(encoding="utf-8"))):
            assert not text.startswith(("/work/", "/root/", "/home/", str(PROJECT_ROOT))), (path, text)
    listing = list_runs(PROJECT_ROOT / "runs")
    assert len(listing) == 6 and not listing.problems
    assert {run.hyperparameters["data"] for run in listing} == {"training/sample/genius_sample.csv"}
    assert all(run.sample for run in listing)
