"""The Training page (AppTest): a run's losses, perplexity and hyperparameters; no runs; a broken log; the registry."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import pytest

from studio_app import open_page, shown
from training.data import SAMPLE_PATH
from training.finetune import FinetuneArguments, summarise_log
from training.run_folders import write_run as _write_run
from training.runs import list_runs

PAGE = "pages/4_Training.py"


def chart_rows(chart) -> list[dict]:
    """The rows an altair chart on the page was drawn from (its datasets travel as Arrow)."""
    import pyarrow as pa

    return [row for dataset in chart.proto.datasets
            for row in pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()]


LORA = {"r": 16, "alpha": 32, "dropout": 0.05, "target_modules": "all-linear", "base": "tiny-base"}


def write_run(runs_dir: Path, genre: str = "rock", run_id: str = "run-1", steps: int = 6, loss0: float = 4.0,
              started: str = "2026-01-01T00:00:00+00:00", lora: dict | None = None) -> dict:
    """A run log in the exact format `training.finetune.finetune` writes (its own summariser and writer);
    `lora` makes it an adapter run."""
    args = FinetuneArguments(genre=genre, base="tiny-base", runs_dir=str(runs_dir), run_id=run_id, max_steps=steps,
                             logging_steps=2, eval_steps=2, block_size=64, use_cpu=True)
    history = []
    for step in range(2, steps + 1, 2):
        history.append({"loss": loss0 / step, "grad_norm": 1.0, "learning_rate": 3e-5, "epoch": step / 10, "step": step})
        history.append({"eval_loss": loss0 / step + 0.5, "epoch": step / 10, "step": step})
    train, evals = summarise_log(history)
    final_loss = evals[-1]["loss"]
    log = {
        "run_id": run_id, "genre": genre, "base": args.base, "base_source": args.base, "data": str(SAMPLE_PATH),
        "sample": True, "started": started, "finished": "2026-01-01T00:01:00+00:00", "lora": lora,
        "parameters": {"trainable": 4884480 if lora else 134515584, "total": 139399488 if lora else 134515584},
        "hyperparameters": {**asdict(args), "block_size": 64, "world_size": 1, "effective_batch_size": 16, "device": "cpu"},
        "cleaning": {}, "sizes": {"train_songs": 32, "test_songs": 2},
        "train_loss": train, "eval_loss": evals,
        "final": {"step": steps, "eval_loss": final_loss, "perplexity": math.exp(final_loss), "train_loss": train[-1]["loss"]},
        "model_dir": str(runs_dir.parent / "models" / genre), "versions": {},
    }
    _write_run(runs_dir / genre, run_id, log, {"perplexity": math.exp(final_loss)})
    return log


@pytest.fixture
def env(tmp_path, monkeypatch):
    config = tmp_path / "models.toml"
    config.write_text('[lyrics.genres]\nrock = "embedded:smollm2-135m"\npop = "embedded:gemma3-270m"\n', encoding="utf-8")
    models = tmp_path / "models"
    (models / "rock").mkdir(parents=True)
    (models / "rock" / "config.json").write_text("{}", encoding="utf-8")
    runs = tmp_path / "runs"
    runs.mkdir()
    monkeypatch.setenv("SONGGEN_CONFIG", str(config))
    monkeypatch.setenv("SONGGEN_MODELS_DIR", str(models))
    monkeypatch.setenv("SONGGEN_RUNS", str(runs))
    monkeypatch.setenv("SONGGEN_DB", str(tmp_path / "feedback.db"))
    monkeypatch.setenv("SONGGEN_DATA", str(tmp_path / "data"))
    return tmp_path


def test_run_drawn_with_perplexity_hyperparameters_and_serving(env):
    first = write_run(env / "runs", run_id="run-1")
    second = write_run(env / "runs", run_id="run-2", loss0=6.0, lora=LORA)  # the latest of each kind is drawn
    at = open_page(PAGE)
    assert not at.exception and not at.error and not at.warning

    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    assert spec["encoding"]["x"]["field"] == "step" and spec["encoding"]["y"]["field"] == "loss"
    rows = chart_rows(charts[0])
    assert {row["run"] for row in rows} == {"run-1 (SAMPLE)", "run-2 (SAMPLE)"}  # overlaid
    run1 = sorted((r["split"], r["step"], r["loss"]) for r in rows if r["run"] == "run-1 (SAMPLE)")
    expected = sorted([("train", p["step"], p["loss"]) for p in first["train_loss"]] +
                      [("eval", p["step"], p["loss"]) for p in first["eval_loss"]])
    assert [r[:2] for r in run1] == [e[:2] for e in expected] and [r[2] for r in run1] == pytest.approx([e[2] for e in expected])

    metrics = {shown(m.label): m.value for m in at.metric}
    assert metrics["run-1 (SAMPLE)"] == f"{first['final']['perplexity']:.2f}"
    assert metrics["run-2 (SAMPLE)"] == f"{second['final']['perplexity']:.2f}"

    hyper = at.dataframe[0].value
    assert hyper.loc["learning_rate", "run-1 (SAMPLE)"] == "3e-05" and hyper.loc["block_size", "run-2 (SAMPLE)"] == "64"
    assert hyper.loc["gradient_accumulation_steps", "run-1 (SAMPLE)"] == "4"

    summary = at.dataframe[1].value
    assert list(summary["run"]) == ["run-1", "run-2"] and list(summary["data"]) == ["SAMPLE", "SAMPLE"]
    assert summary["perplexity"].iloc[0] == pytest.approx(first["final"]["perplexity"])

    serving = at.dataframe[2].value.set_index("genre")
    assert serving.loc["rock", "from"] == "trained folder"
    assert serving.loc["rock", "model"] == f"path:{(env / 'models' / 'rock').resolve()}"
    assert serving.loc["pop", "model"] == "embedded:gemma3-270m" and serving.loc["pop", "from"].startswith("configured")

    # Deselect one run: only the other is drawn.
    at.multiselect(key="training_runs_rock").set_value(["rock/run-2"]).run()
    rows = chart_rows(at.get("vega_lite_chart")[0])
    assert {row["run"] for row in rows} == {"run-2 (SAMPLE)"} and len(at.metric) == 1


def test_no_runs_shows_how_to_make_one(env):
    at = open_page(PAGE)
    assert not at.exception and not at.error and at.info
    assert "No training runs yet" in at.info[0].value
    assert any("python -m training finetune --genre" in c.value for c in at.code)
    assert not at.get("vega_lite_chart")


def test_unreadable_log_is_reported_not_fatal(env):
    write_run(env / "runs", run_id="good")
    broken = env / "runs" / "pop" / "broken"
    broken.mkdir(parents=True)
    (broken / "log.json").write_text("{not json", encoding="utf-8")
    listing = list_runs(env / "runs")
    assert [r.run_id for r in listing] == ["good"] and [p.parent.name for p, _ in listing.problems] == ["broken"]

    at = open_page(PAGE)
    assert not at.exception and not at.error
    assert any("broken" in shown(w.value) and "unreadable" in shown(w.value) for w in at.warning)
    assert len(at.get("vega_lite_chart")) == 1 and "good (SAMPLE)" in {shown(m.label) for m in at.metric}


def test_each_genre_shows_its_latest_runs_and_keeps_its_own_choice(env):
    runs = env / "runs"
    write_run(runs, "rock", "rock-old", started="2026-01-01T00:00:00+00:00")
    write_run(runs, "rock", "rock-new", started="2026-01-02T00:00:00+00:00")
    write_run(runs, "rock", "rock-lora", started="2026-01-01T12:00:00+00:00", lora=LORA)
    write_run(runs, "rap", "rap-whole", started="2026-01-03T00:00:00+00:00")
    write_run(runs, "rap", "rap-lora", started="2026-01-04T00:00:00+00:00", lora=LORA)

    def drawn(at) -> set[str]:
        charts = at.get("vega_lite_chart")
        assert len(charts) == 1, [i.value for i in at.info]
        return {row["run"].removesuffix(" (SAMPLE)") for row in chart_rows(charts[0])}

    at = open_page(PAGE)
    assert at.selectbox(key="training_genre").value == "rap"  # the first genre, alphabetically
    assert drawn(at) == {"rap-whole", "rap-lora"}
    at.selectbox(key="training_genre").set_value("rock").run()
    assert not at.exception and drawn(at) == {"rock-new", "rock-lora"}  # the latest whole model and LoRA run

    at.multiselect(key="training_runs_rock").set_value(["rock/rock-old", "rock/rock-new"]).run()
    assert drawn(at) == {"rock-old", "rock-new"}
    at.selectbox(key="training_genre").set_value("rap").run()
    assert drawn(at) == {"rap-whole", "rap-lora"}
    at.multiselect(key="training_runs_rap").set_value(["rap/rap-lora"]).run()
    at.selectbox(key="training_genre").set_value("rock").run()
    assert drawn(at) == {"rock-old", "rock-new"}  # each genre keeps its own choice
    at.selectbox(key="training_genre").set_value("rap").run()
    assert drawn(at) == {"rap-lora"}


def _widths(frame) -> dict:
    """Each column's configured width in pixels (None where Streamlit sizes it), and its number format."""
    return {name: (config.get("width"), config.get("type_config", {}).get("format"))
            for name, config in json.loads(frame.proto.columns or "{}").items()}


def _shows_whole(width, text: str) -> bool:
    """Wide enough for `text` in the table's 14 px font (at most 6.9 px a character, measured in Chromium)
    plus the cell's 16 px padding."""
    return isinstance(width, int) and width >= 6.9 * len(text) + 16


def test_legend_tells_train_from_eval_and_tables_show_names_and_numbers_whole(env):
    write_run(env / "runs", run_id="sample-smollm2-lora-cpu-with-a-long-name", lora=LORA)
    at = open_page(PAGE)
    assert not at.exception and not at.error
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    split = spec["encoding"]["strokeDash"]["legend"]
    # Line pieces, not the points' dots (which look the same solid or dashed); with a fill colour, or Vega-Lite
    # draws them invisible on a line-with-points chart.
    assert split["symbolType"] == "stroke" and split.get("symbolFillColor") and split.get("symbolStrokeWidth", 0) >= 1
    run_name = "sample-smollm2-lora-cpu-with-a-long-name (SAMPLE)"
    assert spec["encoding"]["color"]["legend"].get("labelLimit", 160) >= 6.9 * len(run_name)

    hyper = at.dataframe[0]
    widths = _widths(hyper)
    assert _shows_whole(widths["_index"][0], max(hyper.value.index, key=len))  # per_device_train_batch_size, ...
    assert _shows_whole(widths[run_name][0], run_name)

    summary = at.dataframe[1]
    widths = _widths(summary)
    frame = summary.value
    assert widths["trainable parameters"][1] == "localized"  # 4,884,480, not 4884480
    assert _shows_whole(widths["trainable parameters"][0], "trainable parameters")
    for column in ("run", "finished", "trained"):
        assert _shows_whole(widths[column][0], max(frame[column].astype(str), key=len)), column


def test_a_preference_run_shows_its_reward_accuracy_beside_fine_tuning_runs(env):
    """A DPO run (training prefer) is listed and drawn with the fine-tuning runs; it has no perplexity,
    so the page shows its reward accuracy and margin instead."""
    first = write_run(env / "runs", run_id="finetune-1")
    log = write_run(env / "runs", run_id="dpo-1", lora=LORA, started="2026-01-02T00:00:00+00:00")
    log.update(kind="dpo", final={**log["final"], "perplexity": None, "eval_reward_accuracy": 0.75, "eval_reward_margin": 0.25},
               preference={"train": [{"step": 2, "loss": 0.69, "reward_margin": 0.0, "reward_accuracy": 0.5}], "eval": []})
    (env / "runs" / "rock" / "dpo-1" / "log.json").write_text(json.dumps(log), encoding="utf-8")
    at = open_page(PAGE)
    assert not at.exception and not at.error
    metrics = {shown(m.label): m.value for m in at.metric}
    assert metrics["dpo-1 (SAMPLE)"] == "accuracy 75%, margin 0.250"
    assert metrics["finetune-1 (SAMPLE)"] == f"{first['final']['perplexity']:.2f}"  # the latest of each kind is drawn
    summary = at.dataframe[1].value.set_index("run")
    assert summary.loc["dpo-1", "trained"] == "DPO, LoRA adapter (r 16)" and summary.loc["dpo-1", "reward accuracy"] == 0.75
    assert math.isnan(summary.loc["dpo-1", "perplexity"]) and math.isnan(summary.loc["finetune-1", "reward accuracy"])
