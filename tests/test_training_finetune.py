"""Tokenizing, packing/padding and a tiny end-to-end fine-tune (training/packing.py, training/finetune.py)."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from songgen_core.prompts import END_OF_LYRICS
from tiny_models import save_tiny_gpt2, tiny_bpe_tokenizer
from training.__main__ import main as cli
from training.data import SAMPLE_PATH, iter_texts
from training.finetune import FinetuneArguments, finetune
from training.lyrics_datasets import build_dataset
from training.packing import IGNORE_INDEX, PadCollator, add_end_token, group_texts


@pytest.fixture(scope="module")
def tokenizer():
    tok = tiny_bpe_tokenizer(end_token=False)
    assert add_end_token(tok) == 1 and add_end_token(tok) == 0
    return tok


@pytest.fixture(scope="module")
def texts():
    return list(iter_texts(SAMPLE_PATH, "rock", "train"))


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    """A tiny random GPT-2 whose tokenizer lacks the end-of-lyrics token, as gpt2-medium's does."""
    return save_tiny_gpt2(tmp_path_factory.mktemp("base") / "tiny-gpt2", end_token=False)


def _args(tmp_path, base_dir, **overrides):
    settings = dict(genre="rock", base=str(base_dir), models_dir=str(tmp_path / "models"), runs_dir=str(tmp_path / "runs"),
                    max_steps=6, logging_steps=2, eval_steps=2, block_size=64, use_cpu=True, run_id="run-1")
    return FinetuneArguments(**{**settings, **overrides})


def test_end_token_is_one_special_token(tokenizer, texts):
    end_id = tokenizer.convert_tokens_to_ids(END_OF_LYRICS)
    assert END_OF_LYRICS in tokenizer.all_special_tokens and tokenizer.pad_token is not None
    ids = tokenizer(texts[0])["input_ids"]
    assert ids.count(end_id) == 1 == texts[0].count(END_OF_LYRICS)


def test_packing_gives_full_blocks_without_pads(tokenizer, texts):
    sequences = tokenizer(texts, return_attention_mask=False)["input_ids"]
    grouped = group_texts({"input_ids": sequences}, 64)
    blocks = grouped["input_ids"]
    flat = np.concatenate(sequences)
    assert blocks.shape == (len(flat) // 64, 64) and (grouped["labels"] == blocks).all()
    assert (blocks.reshape(-1) == flat[: blocks.size]).all()  # in order, remainder dropped
    assert not (blocks == tokenizer.pad_token_id).any()
    end_id = tokenizer.convert_tokens_to_ids(END_OF_LYRICS)
    assert (blocks == end_id).sum() >= len(texts) - 2  # songs are separated by the end token
    data = build_dataset(texts, tokenizer, 64)  # one map batch holds all the songs: the same blocks
    assert len(data) == len(blocks) and np.array_equal(np.array(data["input_ids"]), blocks)
    with pytest.raises(ValueError, match="at least 2"):
        group_texts({"input_ids": sequences}, 1)


def test_labels_equal_input_ids_and_the_model_shifts_them(tokenizer, texts, base_dir):
    from transformers import AutoModelForCausalLM

    data = build_dataset(texts[:4], tokenizer, 32).with_format("torch")
    item = data[0]
    assert set(item) == {"input_ids", "labels"} and torch.equal(item["labels"], item["input_ids"])
    model = AutoModelForCausalLM.from_pretrained(base_dir)
    model.resize_token_embeddings(len(tokenizer))
    batch = {k: torch.stack([data[i][k] for i in range(3)]) for k in item}
    out = model(**batch)
    manual = torch.nn.functional.cross_entropy(out.logits[:, :-1].reshape(-1, out.logits.shape[-1]), batch["input_ids"][:, 1:].reshape(-1))
    assert torch.allclose(out.loss, manual, atol=1e-5)


@pytest.mark.parametrize("pad_to", ["longest", "block"])
def test_padding_puts_minus_100_on_pads(tokenizer, texts, pad_to):
    data = build_dataset(texts[:4], tokenizer, 600, packing=False)
    lengths = [len(data[i]["input_ids"]) for i in range(len(data))]
    assert len(data) == 4 and max(lengths) <= 600 and len(set(lengths)) > 1
    batch = PadCollator(tokenizer.pad_token_id, pad_to, 600)([data[i] for i in range(4)])
    width = 600 if pad_to == "block" else max(lengths)
    assert batch["input_ids"].shape == batch["labels"].shape == (4, width)
    pads = batch["attention_mask"] == 0
    assert pads.any()
    assert (batch["labels"][pads] == IGNORE_INDEX).all() and (batch["input_ids"][pads] == tokenizer.pad_token_id).all()
    assert torch.equal(batch["labels"][~pads], batch["input_ids"][~pads])
    assert [int(n) for n in batch["attention_mask"].sum(1)] == lengths


def test_finetune_writes_model_and_run_log_served_by_the_registry(tmp_path, base_dir):
    from songgen_core.lyrics import LyricsRequest, generate_lyrics
    from songgen_core.registry import load_registry

    log = finetune(_args(tmp_path, base_dir))
    model_dir = tmp_path / "models" / "rock"
    assert (model_dir / "config.json").is_file() and (model_dir / "tokenizer.json").is_file()
    from transformers import AutoTokenizer

    saved_tokenizer = AutoTokenizer.from_pretrained(model_dir)
    assert END_OF_LYRICS in saved_tokenizer.get_vocab() and END_OF_LYRICS in saved_tokenizer.all_special_tokens
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["rock"]  # no temporary folder left

    run = tmp_path / "runs" / "rock" / "run-1"
    saved = json.loads((run / "log.json").read_text())
    metrics = json.loads((run / "metrics.json").read_text())
    assert saved["run_id"] == log["run_id"] == "run-1" and saved["sample"] is True
    assert [r["step"] for r in saved["train_loss"]] == [2, 4, 6]
    assert [r["step"] for r in saved["eval_loss"]] == [2, 4, 6]
    assert all(r["loss"] > 0 for r in saved["train_loss"] + saved["eval_loss"])
    hp = saved["hyperparameters"]
    assert hp["learning_rate"] == 3e-5 and hp["gradient_accumulation_steps"] == 4 and hp["block_size"] == 64 and hp["packing"] is True
    final = saved["final"]
    assert final["step"] == 6 and final["perplexity"] == pytest.approx(np.exp(final["eval_loss"]))
    assert metrics["perplexity"] == final["perplexity"] and "train_loss" in metrics

    registry = load_registry(models_dir=tmp_path / "models")
    assert registry.lyrics_source("rock").ref == str(model_dir.resolve()) and "rock" in registry.taken_over
    request = LyricsRequest(genre="rock", title="Night Drive", opening_line="The engine hums beneath the stars", max_words=12, seed=3)
    result = generate_lyrics(request, registry)
    assert result.text.startswith("[Verse 1]\nThe engine hums beneath the stars") and result.few_shot is False


def test_a_retrained_model_is_served_without_a_restart(tmp_path, base_dir):
    from songgen_core.loading import load_lyrics_model, unload_all
    from songgen_core.registry import load_registry

    finetune(_args(tmp_path, base_dir, max_steps=1, eval_steps=1, logging_steps=1))
    source = load_registry(models_dir=tmp_path / "models").lyrics_source("rock")
    first = load_lyrics_model(source, "cpu")
    assert load_lyrics_model(source, "cpu") is first  # loaded once
    finetune(_args(tmp_path, base_dir, max_steps=3, eval_steps=3, logging_steps=1, run_id="run-2", learning_rate=1e-2))
    again = load_lyrics_model(load_registry(models_dir=tmp_path / "models").lyrics_source("rock"), "cpu")
    assert again is not first
    changed = [not torch.equal(a, b) for a, b in zip(first.model.state_dict().values(), again.model.state_dict().values())]
    assert any(changed)
    unload_all()


def test_failed_run_keeps_the_earlier_model(tmp_path, base_dir, monkeypatch):
    from transformers import Trainer

    earlier = tmp_path / "models" / "rock"
    earlier.mkdir(parents=True)
    (earlier / "config.json").write_text('{"earlier": true}')

    def boom(self, *a, **k):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(Trainer, "train", boom)
    with pytest.raises(RuntimeError, match="interrupted"):
        finetune(_args(tmp_path, base_dir))
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["rock"]
    assert json.loads((earlier / "config.json").read_text()) == {"earlier": True}
    assert not (tmp_path / "runs" / "rock").exists() or not any((tmp_path / "runs" / "rock").iterdir())


def test_second_run_takes_the_tokenized_sets_from_the_cache(tmp_path, base_dir, monkeypatch):
    import training.lyrics_datasets as ld

    monkeypatch.setenv("SONGGEN_TOKENIZED_CACHE", str(tmp_path / "tokenized"))
    first = finetune(_args(tmp_path, base_dir, max_steps=1, eval_steps=1, logging_steps=1))
    assert first["sizes"]["tokenized_from_cache"] is False and first["sizes"]["train_tokens"] == 64 * first["sizes"]["train_examples"]

    def no_reading(*a, **k):
        raise AssertionError("the CSV was read again")

    monkeypatch.setattr(ld, "iter_songs", no_reading)
    second = finetune(_args(tmp_path, base_dir, max_steps=1, eval_steps=1, logging_steps=1, run_id="run-2"))
    assert second["sizes"]["tokenized_from_cache"] is True
    for key in ("train_songs", "test_songs", "train_examples", "eval_examples", "train_tokens", "eval_tokens"):
        assert second["sizes"][key] == first["sizes"][key]
    assert second["final"]["eval_loss"] == pytest.approx(first["final"]["eval_loss"], rel=1e-5)
    # other blocks: tokenized and packed again from the cached songs, the CSV not read
    third = finetune(_args(tmp_path, base_dir, max_steps=1, block_size=32, run_id="run-3"))
    assert third["sizes"]["tokenized_from_cache"] is False and third["sizes"]["train_songs"] == first["sizes"]["train_songs"]
    assert third["sizes"]["train_examples"] > first["sizes"]["train_examples"]
    with pytest.raises(AssertionError, match="read again"):  # no cache: the data are read
        finetune(_args(tmp_path, base_dir, max_steps=1, token_cache=False, run_id="run-4"))


def test_cli_bad_input_exits_2(tmp_path, base_dir, capsys):
    common = ["--base", str(base_dir), "--models-dir", str(tmp_path / "m"), "--runs-dir", str(tmp_path / "r"), "--max-steps", "2"]
    assert cli(["finetune", "--genre", "jazz", *common]) == 2
    assert "unknown genre" in capsys.readouterr().err
    assert cli(["finetune", "--genre", "rock", "--data", str(tmp_path / "nope.csv"), *common]) == 2
    assert "no dataset file" in capsys.readouterr().err
    bad_base = ["--base", str(tmp_path / "no-model"), *common[2:]]
    assert cli(["finetune", "--genre", "rock", *bad_base]) == 2
    assert "config.json" in capsys.readouterr().err
    assert cli(["finetune", "--genre", "rock", "--base", "embedded:nope", *common[2:]]) == 2
    capsys.readouterr()
    assert cli(["nonsense"]) == 2
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").iterdir())


def test_cli_genre_without_rows_exits_2(tmp_path, base_dir, capsys):
    pop_only = tmp_path / "pop.csv"
    df = pd.read_csv(SAMPLE_PATH, keep_default_na=False, dtype=str)
    df[df.tag == "pop"].to_csv(pop_only, index=False)
    common = ["--base", str(base_dir), "--models-dir", str(tmp_path / "m"), "--runs-dir", str(tmp_path / "r"), "--max-steps", "2"]
    assert cli(["finetune", "--genre", "rock", "--data", str(pop_only), *common]) == 2
    assert "rock" in capsys.readouterr().err


def test_cli_stats_and_prepare_delegate(tmp_path, capsys):
    assert cli(["stats", str(SAMPLE_PATH), "--cache-dir", str(tmp_path / "cache")]) == 0
    assert "SAMPLE" in capsys.readouterr().out
    assert cli(["prepare", str(SAMPLE_PATH), "--out", str(tmp_path / "prepared")]) == 0
    assert (tmp_path / "prepared" / "rock" / "train.jsonl").is_file()
    assert cli(["stats", str(tmp_path / "missing.csv")]) == 2
