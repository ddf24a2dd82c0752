"""training.runs: every run log read, unreadable ones reported (never raised), SONGGEN_RUNS honoured."""

from __future__ import annotations

import json

from test_app_training import LORA, write_run
from training.runs import default_runs_dir, latest_runs, list_runs


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
    assert default_runs_dir() == runs
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
