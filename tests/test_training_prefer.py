"""training prefer: DPO and KTO LoRA tuning of a genre's model on preference data, end to end on a tiny
GPT-2 on the CPU (a few steps each), the too-few check, and the run logs training.runs reads (issue 12)."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from songgen_core.loading import load_lyrics_model, unload_all
from songgen_core.lyrics import LyricsRequest, generate_lyrics
from songgen_core.registry import ADAPTER_BASE_FILE, load_registry
from tiny_models import train_tiny_gpt2
from training.__main__ import main as cli
from training.preferences import PreferencePair, RatedTake, SongPrompt, save_preferences
from training.runs import latest_runs, list_runs

FAST = ["--max-steps", "3", "--logging-steps", "1", "--eval-steps", "2", "--per-device-train-batch-size", "2",
        "--per-device-eval-batch-size", "2", "--learning-rate", "1e-3", "--lora-r", "8", "--use-cpu"]


def _songs(few_shot: bool | int):
    return [SongPrompt("rock", "Highway Static", "Headlights cutting", "The Rust Engines", few_shot),
            SongPrompt("rock", "Iron Lungs", "I have been breathing", "Glass Harbour", few_shot)]


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    """A tiny GPT-2 that writes the format, whose tokenizer lacks the end-of-lyrics token (as an
    embedded base's does): the registry serves it few-shot."""
    return train_tiny_gpt2(tmp_path_factory.mktemp("prefer-base") / "tiny-gpt2", steps=30, end_token=False)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, base_dir):
    """24 rock pairs (few-shot prompts, as the base was asked: with the example songs that fit its
    context), 3 pop pairs, 10 rated rock takes."""
    from songgen_core.loading import load_lyrics_model
    from songgen_core.registry import ModelSource

    shown = load_lyrics_model(ModelSource("path", str(base_dir)), "cpu").prompt_examples("rock")
    pairs = [PreferencePair(song, f"{song.opening_line} through the rain {i}\nI left the city with its light",
                            f"{song.opening_line} la la la {i}") for i in range(12) for song in _songs(shown)]
    pairs += [PreferencePair(SongPrompt("pop", "Paper Hearts", "We were dancing"), "We were dancing on", "We were dancing no")] * 3
    takes = [RatedTake(song, f"{song.opening_line} {'and the engine roars' if i % 2 else 'la la'} {i}", bool(i % 2))
             for i in range(5) for song in _songs(shown)]
    out = tmp_path_factory.mktemp("prefer-data") / "prefs"
    save_preferences(out, pairs, takes)
    return out


def _project(tmp_path, base_dir, rock_model=None):
    """A registry file serving rock with the tiny base (or `rock_model` copied into models/rock/)."""
    config = tmp_path / "models.toml"
    config.write_text(f'[lyrics.genres]\nrock = "path:{base_dir}"\n', encoding="utf-8")
    models = tmp_path / "models"
    models.mkdir()
    if rock_model is not None:
        shutil.copytree(rock_model, models / "rock")
    return ["--config", str(config), "--models-dir", str(models), "--runs-dir", str(tmp_path / "runs")]


def test_dpo_writes_a_servable_adapter_beside_the_genre_and_a_run_log(tmp_path, base_dir, data_dir, capsys):
    paths = _project(tmp_path, base_dir)
    assert cli(["prefer", "--genre", "rock", "--method", "dpo", "--data", str(data_dir), "--run-id", "dpo-1", *paths, *FAST]) == 0
    out = capsys.readouterr().out
    assert "rock DPO: 3 steps" in out and "reward accuracy" in out

    folder = tmp_path / "models" / "rock-pref"
    names = {p.name for p in folder.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", ADAPTER_BASE_FILE, "tokenizer.json"} <= names
    assert "config.json" not in names and "ref" not in names  # the adapter alone, not TRL's reference copy
    meta = json.loads((folder / ADAPTER_BASE_FILE).read_text())
    assert meta["base"] == f"path:{base_dir.resolve()}" and meta["few_shot"] is True and meta["method"] == "dpo"
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["rock-pref"]  # no temporary folder left

    log = json.loads((tmp_path / "runs" / "rock" / "dpo-1" / "log.json").read_text())
    assert log["kind"] == "dpo" and log["sizes"]["rows"] == 24 and log["sizes"]["by_source"] == {"compare": 24}
    assert log["sizes"]["train_examples"] + log["sizes"]["eval_examples"] == 24 and log["sizes"]["eval_examples"] == 2
    assert [r["step"] for r in log["train_loss"]] == [1, 2, 3] and [r["step"] for r in log["eval_loss"]] == [2, 3]
    rows = log["preference"]["train"]
    assert all({"loss", "reward_margin", "reward_accuracy", "reward_chosen", "reward_rejected"} <= set(r) for r in rows)
    assert rows[0]["loss"] == pytest.approx(0.6931, abs=1e-3)  # log 2: the adapter starts as the reference
    final = log["final"]
    assert final["perplexity"] is None and final["step"] == 3 and final["eval_reward_accuracy"] is not None
    assert log["lora"]["r"] == 8 and log["lora"]["continued_from"] is None and log["merged"] is False
    assert {"trl", "datasets", "peft"} <= set(log["versions"])

    run = list_runs(tmp_path / "runs")[0]
    assert (run.method, run.kind, run.perplexity, run.is_preference) == ("dpo", "DPO, LoRA adapter (r 8)", None, True)
    assert run.preference["final"]["eval_reward_accuracy"] == final["eval_reward_accuracy"]
    assert [r.run_id for r in latest_runs(list_runs(tmp_path / "runs"))] == ["dpo-1"]

    # The registry serves it as the genre "rock-pref", few-shot like the base, on one shared copy of the base.
    registry = load_registry(tmp_path / "models.toml", tmp_path / "models")
    source = registry.lyrics_source("rock-pref")
    assert source.is_adapter and source.adapter_base == f"path:{base_dir.resolve()}"
    try:
        lm = load_lyrics_model(source, "cpu")
        assert lm.few_shot is True and lm.adapter
        request = LyricsRequest(genre="rock-pref", title="Highway Static", artist="The Rust Engines",
                                opening_line="Headlights cutting", seed=1, max_words=20, mode="free")
        result = generate_lyrics(request, registry)
        assert result.text.startswith("Headlights cutting") and result.few_shot is True
        with lm.using() as model, torch.no_grad():
            ids = lm.tokenizer("Headlights cutting", return_tensors="pt")["input_ids"]
            tuned = model(input_ids=ids).logits
            with model.disable_adapter():
                plain = model(input_ids=ids).logits
        assert (tuned - plain).abs().max() > 1e-4  # it learnt something
    finally:
        unload_all()


def _adapter_on(base_dir, folder):
    """A LoRA adapter folder as finetune --lora writes it (trained briefly enough: a non-zero B)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(base_dir), LoraConfig(task_type="CAUSAL_LM", r=4, target_modules=["c_attn"]))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.01)
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(base_dir).save_pretrained(folder)
    (folder / ADAPTER_BASE_FILE).write_text(json.dumps({"base": f"path:{base_dir.resolve()}"}))
    return folder


def test_kto_continues_the_genres_adapter_and_serve_replaces_it(tmp_path, base_dir, data_dir):
    adapter = _adapter_on(base_dir, tmp_path / "made" / "rock")
    paths = _project(tmp_path, base_dir, rock_model=adapter)
    assert cli(["prefer", "--genre", "rock", "--method", "kto", "--data", str(data_dir), "--serve", "--run-id", "kto-1",
                "--min-examples", "20", *paths, *FAST]) == 0
    folder = tmp_path / "models" / "rock"
    meta = json.loads((folder / ADAPTER_BASE_FILE).read_text())
    assert meta["base"] == f"path:{base_dir.resolve()}" and meta["method"] == "kto"
    assert meta["few_shot"] is False  # as the adapter was served: finetune --lora's plain prompt format
    config = json.loads((folder / "adapter_config.json").read_text())
    assert config["r"] == 4 and config["target_modules"] == ["c_attn"]  # the adapter's own settings, continued
    assert not (folder / "ref").exists() and sorted(p.name for p in (tmp_path / "models").iterdir()) == ["rock"]

    log = json.loads((tmp_path / "runs" / "rock" / "kto-1" / "log.json").read_text())
    assert log["kind"] == "kto" and log["served"] is True and log["lora"]["continued_from"].endswith("models/rock")
    # 10 rated takes (4 good, 6 bad) and the 24 pairs unpaired into 48: 58 rock examples.
    assert (log["sizes"]["rows"], log["sizes"]["desirable"], log["sizes"]["undesirable"]) == (58, 28, 30)
    assert log["sizes"]["by_source_label"]["rating"] == {"desirable": 4, "undesirable": 6}
    rows = log["preference"]["train"]
    assert all("kl" in r for r in rows) and any("reward_margin" in r for r in rows)  # a margin needs both labels in a batch
    assert list_runs(tmp_path / "runs")[0].kind == "KTO, LoRA adapter (r 4)"


def test_serve_over_a_whole_model_merges_the_adapter_into_it(tmp_path, base_dir, data_dir):
    paths = _project(tmp_path, base_dir, rock_model=base_dir)
    before = (tmp_path / "models" / "rock" / "model.safetensors").read_bytes()
    assert cli(["prefer", "--genre", "rock", "--method", "dpo", "--data", str(data_dir), "--serve", "--run-id", "m",
                "--eval-fraction", "0", *paths, *FAST]) == 0
    folder = tmp_path / "models" / "rock"
    assert (folder / "config.json").is_file() and not (folder / "adapter_config.json").exists()
    assert (folder / "model.safetensors").read_bytes() != before
    log = json.loads((tmp_path / "runs" / "rock" / "m" / "log.json").read_text())
    assert log["merged"] is True and log["eval_loss"] == [] and log["sizes"]["eval_examples"] == 0
    assert load_registry(tmp_path / "models.toml", tmp_path / "models").lyrics_source("rock").is_adapter is False


def test_too_few_preferences_exit_2_saying_how_many(tmp_path, base_dir, data_dir, capsys):
    paths = _project(tmp_path, base_dir)
    assert cli(["prefer", "--genre", "pop", "--method", "dpo", "--data", str(data_dir), *paths, *FAST]) == 2
    err = capsys.readouterr().err
    assert "only 3 DPO pairs for pop" in err and "of 27 in all genres" in err and "at least 20 are needed (--min-pairs)" in err
    assert cli(["prefer", "--genre", "rock", "--method", "dpo", "--data", str(data_dir), "--min-pairs", "30", *paths, *FAST]) == 2
    assert "only 24 DPO pairs for rock" in capsys.readouterr().err
    assert list((tmp_path / "models").iterdir()) == [] and not (tmp_path / "runs").exists()  # nothing written
    # Prompts longer than --max-length (few-shot prompts hold example songs): TRL would drop every row
    # and fail with an empty sampler; the command says why instead, and writes nothing.
    assert cli(["prefer", "--genre", "rock", "--method", "dpo", "--data", str(data_dir), "--max-length", "16",
                *paths, *FAST]) == 2
    assert "every training prompt fills --max-length 16" in capsys.readouterr().err
    assert list((tmp_path / "models").iterdir()) == [] and not (tmp_path / "runs").exists()
    for bad, message in ((["--method", "ppo"], "method must be one of dpo, kto"),
                         (["--method", "kto", "--per-device-train-batch-size", "1"], "KTO needs per-device-train-batch-size"),
                         (["--data", str(tmp_path / "nowhere")], "no preference data folder")):
        args = ["prefer", "--genre", "rock", "--data", str(data_dir), *paths, "--use-cpu", *bad]
        assert cli(args) == 2 and message in capsys.readouterr().err


def test_a_model_can_be_prompted_with_fewer_example_songs(base_dir):
    """The feedback-loop bench prompts with fewer example songs than fit (shorter DPO sequences); the
    record says how many. (This tiny model's context holds one: capped to none here.)"""
    from dataclasses import replace

    from songgen_core.registry import ModelSource

    lm = load_lyrics_model(ModelSource("path", str(base_dir)), "cpu")
    fits = lm.prompt_examples("rock")
    capped = replace(lm, max_examples=fits - 1, _examples={})
    assert fits >= 1 and capped.prompt_examples("rock") == fits - 1 and lm.prompt_examples("rock") == fits
    request = LyricsRequest(genre="rock", title="Highway Static", opening_line="Headlights cutting", mode="free",
                            max_words=10, seed=1)
    shorter, longer = generate_lyrics(request, model=capped), generate_lyrics(request, model=lm)
    assert (shorter.examples, longer.examples) == (fits - 1, fits) and shorter.prompt_tokens < longer.prompt_tokens
