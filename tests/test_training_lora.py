"""LoRA adapters (training finetune --lora): what is saved, and genres served on one shared base.

The base is a tiny GPT-2 that memorised the example songs with a tokenizer that
does not know the end-of-lyrics token (as an embedded base's does not): the
marker is plain text to it, and generation must stop on it as text.
"""

import json
import shutil
import threading

import pytest
import torch

from songgen_core.errors import ModelUnavailableError
from songgen_core.loading import load_lyrics_model, loaded_sources, shared_bases, unload_all
from songgen_core.lyrics import LyricsRequest, generate_lyrics, stream_lyrics
from songgen_core.prompts import END_OF_LYRICS
from songgen_core.registry import ADAPTER_BASE_FILE, load_registry
from tiny_models import train_tiny_gpt2
from training.__main__ import main as cli
from training.finetune import FinetuneArguments, FinetuneError, finetune, parse_args

GENRES = ("rock", "pop")


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    return train_tiny_gpt2(tmp_path_factory.mktemp("lora-base") / "tiny-gpt2", steps=30, end_token=False)


def _args(root, base_dir, genre="rock", **overrides):
    settings = dict(genre=genre, base=str(base_dir), models_dir=str(root / "models"), runs_dir=str(root / "runs"),
                    max_steps=4, logging_steps=2, eval_steps=2, block_size=64, per_device_train_batch_size=2,
                    gradient_accumulation_steps=1, learning_rate=1e-3, use_cpu=True, run_id="run-1",
                    lora=True, lora_r=8)
    return FinetuneArguments(**{**settings, **overrides})


@pytest.fixture(scope="module")
def trained(tmp_path_factory, base_dir):
    """rock and pop trained as adapters on the one base, in one models folder."""
    root = tmp_path_factory.mktemp("lora-project")
    logs = {genre: finetune(_args(root, base_dir, genre)) for genre in GENRES}
    yield root, logs
    unload_all()


def test_adapter_folder_holds_only_the_adapter_and_the_log_records_lora(trained, base_dir):
    from safetensors import safe_open

    root, logs = trained
    folder = root / "models" / "rock"
    names = {p.name for p in folder.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", ADAPTER_BASE_FILE, "tokenizer.json"} <= names
    assert not names & {"config.json", "model.safetensors", "pytorch_model.bin"}  # no full weights
    adapter_bytes = (folder / "adapter_model.safetensors").stat().st_size
    assert adapter_bytes < 0.2 * (base_dir / "model.safetensors").stat().st_size
    with safe_open(folder / "adapter_model.safetensors", "pt") as weights:
        keys = list(weights.keys())
    assert keys and all("lora_A" in k or "lora_B" in k for k in keys)  # no embedding or head copy
    assert sorted(p.name for p in (root / "models").iterdir()) == ["pop", "rock"]  # no temporary folder left

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert END_OF_LYRICS not in tokenizer.get_vocab()  # no token added: the marker is text
    assert len(tokenizer(END_OF_LYRICS)["input_ids"]) > 1
    base = json.loads((folder / ADAPTER_BASE_FILE).read_text())
    assert base["base"] == f"path:{base_dir.resolve()}" and base["lora"]["r"] == 8

    saved = json.loads((root / "runs" / "rock" / "run-1" / "log.json").read_text())
    assert saved == json.loads(json.dumps(logs["rock"], default=str))
    lora = saved["lora"]
    assert (lora["r"], lora["alpha"], lora["dropout"], lora["target_modules"]) == (8, 32, 0.05, "all-linear")
    assert lora["base"] == base["base"] and set(lora["adapted_modules"]["names"]) == {"c_attn", "c_proj", "c_fc"}
    params = saved["parameters"]
    assert 0 < params["trainable"] < params["total"] / 5
    assert saved["hyperparameters"]["lora"] is True and saved["hyperparameters"]["learning_rate"] == 1e-3
    assert [r["step"] for r in saved["eval_loss"]] == [2, 4] and saved["final"]["step"] == 4

    registry = load_registry(models_dir=root / "models")
    source = registry.lyrics_source("rock")
    assert source.is_adapter and source.adapter_base == base["base"] and "rock" in registry.taken_over
    assert source.describe() == f"path:{folder.resolve()} (LoRA adapter on path:{base_dir.resolve()})"


def test_genres_share_one_base_object(trained):
    from songgen_app.status import model_status

    root, _ = trained
    registry = load_registry(models_dir=root / "models")
    rock, pop = (load_lyrics_model(registry.lyrics_source(g), "cpu") for g in GENRES)
    assert rock.model is pop.model and id(rock.model.get_base_model()) == id(pop.model.get_base_model())
    assert rock.lock is pop.lock and rock.adapter != pop.adapter
    assert rock.few_shot is False and rock.cpu_optimized is False and "LoRA adapter" in rock.description
    assert load_lyrics_model(registry.lyrics_source("rock"), "cpu") is rock  # cached
    bases = shared_bases("cpu")
    ours = [folders for folders in bases.values() if str((root / "models" / "rock").resolve()) in folders]
    assert ours == [sorted(str((root / "models" / g).resolve()) for g in GENRES)]
    assert {str(registry.lyrics_source(g)) for g in GENRES} <= loaded_sources("cpu")
    status = {row["genre"]: row for row in model_status(registry)}
    assert "LoRA adapter on path:" in status["rock"]["model"] and status["rock"]["loaded"] and status["rock"]["trained here"]


def test_shared_logits_equal_a_merged_model_per_adapter(trained, base_dir):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    root, _ = trained
    registry = load_registry(models_dir=root / "models")
    models = {g: load_lyrics_model(registry.lyrics_source(g), "cpu") for g in GENRES}
    ids = models["rock"].tokenizer("[Artist: The Rust Engines]\n[Song: Highway Static]\nHeadlights", return_tensors="pt")["input_ids"]

    def shared_logits(genre):
        with models[genre].using() as model, torch.no_grad():
            return model(input_ids=ids).logits

    shared = {g: shared_logits(g) for g in ("rock", "pop", "rock")}  # switching back and forth
    for genre in GENRES:
        fresh = AutoModelForCausalLM.from_pretrained(base_dir).eval()
        merged = PeftModel.from_pretrained(fresh, root / "models" / genre).merge_and_unload().eval()
        with torch.no_grad():
            expected = merged(input_ids=ids).logits
        torch.testing.assert_close(shared[genre], expected, atol=1e-4, rtol=1e-4)
    assert (shared["rock"] - shared["pop"]).abs().max() > 1e-3
    with torch.no_grad():
        plain = AutoModelForCausalLM.from_pretrained(base_dir).eval()(input_ids=ids).logits
    assert (shared["rock"] - plain).abs().max() > 1e-3


def test_lyrics_through_the_registry_with_adapters(trained):
    root, _ = trained
    registry = load_registry(models_dir=root / "models")
    for genre in GENRES:
        for seed in range(3):
            request = LyricsRequest(genre=genre, title="Highway Static", artist="The Rust Engines",
                                    opening_line="Headlights cutting", seed=seed, temperature=0.7, max_words=40, mode="free")
            result = generate_lyrics(request, registry)
            assert result.text.startswith("Headlights cutting") and result.few_shot is False
            assert END_OF_LYRICS not in result.text and "[Artist:" not in result.text and "[Song:" not in result.text
            assert result.model_source == str(registry.lyrics_source(genre)) and result.new_tokens > 0
            assert result.ended_by in ("end-marker", "word-limit", "eos", "token-limit")
    stream = stream_lyrics(request, registry)
    assert "".join(stream) == stream.result.text == generate_lyrics(request, registry).text
    structured = LyricsRequest(genre="pop", title="Highway Static", opening_line="Headlights cutting", seed=1, length="short")
    result = generate_lyrics(structured, registry)  # the default mode, through the adapter
    assert result.text.startswith("[Verse 1]\nHeadlights cutting\n") and "[Chorus]" in result.text
    assert result.mode == "structured" and result.model_source == str(registry.lyrics_source("pop"))


def test_generation_stops_at_the_end_marker_written_as_ordinary_tokens(trained, monkeypatch):
    """The adapter's tokenizer has no end-of-lyrics token: when the model writes the marker
    (as several ordinary tokens), generation stops there, on the decoded text."""
    from transformers import LogitsProcessor, LogitsProcessorList

    root, _ = trained
    registry = load_registry(models_dir=root / "models")
    lm = load_lyrics_model(registry.lyrics_source("rock"), "cpu")
    script = lm.tokenizer(f"\nThe engine sings\n{END_OF_LYRICS}\n[Artist: Next]\nnever shown")["input_ids"]
    stop = next(k for k in range(1, len(script) + 1) if END_OF_LYRICS in lm.tokenizer.decode(script[:k]))
    marker_tokens = len(lm.tokenizer(END_OF_LYRICS)["input_ids"])
    assert marker_tokens > 1 and not set(lm.tokenizer(END_OF_LYRICS)["input_ids"]) & set(lm.eos_token_ids)

    class Forced(LogitsProcessor):  # the model "writes" the script, one token a step
        def __init__(self, prompt_len):
            self.prompt_len = prompt_len

        def __call__(self, input_ids, scores):
            forced = torch.full_like(scores, float("-inf"))
            forced[:, script[min(input_ids.shape[1] - self.prompt_len, len(script) - 1)]] = 0
            return forced

    generate = type(lm.model).generate

    def forced_generate(self, **kwargs):
        kwargs["logits_processor"] = LogitsProcessorList([Forced(kwargs["input_ids"].shape[1])])
        return generate(self, **kwargs)

    monkeypatch.setattr(type(lm.model), "generate", forced_generate)
    request = LyricsRequest(genre="rock", title="Highway Static", opening_line="Headlights cutting", seed=1, temperature=0,
                            mode="free")
    result = generate_lyrics(request, registry)
    assert result.text == "Headlights cutting\nThe engine sings"
    assert result.ended_by == "end-marker" and result.new_tokens == stop
    stream = stream_lyrics(request, registry)
    pieces = list(stream)
    assert "".join(pieces) == result.text and not any("<" in piece for piece in pieces)


def test_concurrent_generations_on_the_shared_base_match_sequential_ones(trained):
    root, _ = trained
    registry = load_registry(models_dir=root / "models")
    requests = [LyricsRequest(genre=g, title="Paper Hearts", opening_line="We were dancing", seed=s, max_words=30)
                for s in (1, 2) for g in GENRES]
    expected = [generate_lyrics(r, registry).text for r in requests]
    results = [None] * len(requests)

    def write(i):
        results[i] = generate_lyrics(requests[i], registry).text

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == expected


def test_missing_or_unknown_base_is_model_unavailable(trained, tmp_path):
    root, _ = trained
    models = tmp_path / "models"
    for name, base in (("jazz", f"path:{tmp_path / 'gone'}"), ("blues", "embedded:nope"), ("folk", "ftp:nowhere")):
        shutil.copytree(root / "models" / "rock", models / name)
        (models / name / ADAPTER_BASE_FILE).write_text(json.dumps({"base": base}))
    registry = load_registry(models_dir=models)  # the registry itself never fails on a broken adapter
    assert registry.lyrics_source("jazz").describe().endswith(f"(LoRA adapter on path:{tmp_path / 'gone'})")
    with pytest.raises(ModelUnavailableError, match="base model path:.*gone.* is unavailable"):
        load_lyrics_model(registry.lyrics_source("jazz"), "cpu")
    with pytest.raises(ModelUnavailableError, match="embedded:nope.*unknown embedded model"):
        load_lyrics_model(registry.lyrics_source("blues"), "cpu")
    with pytest.raises(ModelUnavailableError, match="cannot be served.*ftp:nowhere"):
        load_lyrics_model(registry.lyrics_source("folk"), "cpu")
    # Without songgen_base.json, peft's own record of the base is used.
    (models / "jazz" / ADAPTER_BASE_FILE).unlink()
    config = json.loads((models / "jazz" / "adapter_config.json").read_text())
    (models / "jazz" / "adapter_config.json").write_text(json.dumps({**config, "base_model_name_or_path": str(tmp_path / "gone")}))
    with pytest.raises(ModelUnavailableError, match="gone"):
        load_lyrics_model(load_registry(models_dir=models).lyrics_source("jazz"), "cpu")
    request = LyricsRequest(genre="jazz", title="x", opening_line="y")
    with pytest.raises(ModelUnavailableError):
        generate_lyrics(request, load_registry(models_dir=models))


def test_bad_lora_arguments_are_finetune_errors(tmp_path, base_dir, capsys):
    for bad in (dict(lora_r=0), dict(lora_alpha=0), dict(lora_dropout=1.0), dict(lora_target_modules=[" ", ""])):
        with pytest.raises(FinetuneError):
            _args(tmp_path, base_dir, **bad).check()
    with pytest.raises(FinetuneError, match="LoRA could not be applied"):
        finetune(_args(tmp_path, base_dir, lora_target_modules=["no_such_layer"]))
    common = ["--base", str(base_dir), "--models-dir", str(tmp_path / "m"), "--runs-dir", str(tmp_path / "r"), "--max-steps", "2"]
    assert cli(["finetune", "--genre", "rock", "--lora", "--lora-r", "0", *common]) == 2
    assert "lora-r" in capsys.readouterr().err
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").iterdir())
    own_base = tmp_path / "models" / "rock"
    shutil.copytree(base_dir, own_base)
    with pytest.raises(FinetuneError, match="would replace"):
        finetune(_args(tmp_path, own_base))
    args = parse_args(["--genre", "rock", "--lora", "--lora-target-modules", "c_attn", "c_proj,c_fc"])
    args.check()
    assert args.lora and args.lora_target_modules == ["c_attn", "c_proj", "c_fc"]
    assert parse_args(["--genre", "rock"]).lora is False


def test_an_adapter_folder_named_in_the_config_is_served_on_the_shared_base(trained, tmp_path):
    root, _ = trained
    config = tmp_path / "models.toml"
    config.write_text(f'[lyrics.genres]\nblues = "path:{root / "models" / "rock"}"\n', encoding="utf-8")
    registry = load_registry(config, models_dir=tmp_path / "none")
    source = registry.lyrics_source("blues")
    assert source.is_adapter and "LoRA adapter on path:" in source.describe() and not registry.taken_over
    blues = load_lyrics_model(source, "cpu")
    rock = load_lyrics_model(load_registry(models_dir=root / "models").lyrics_source("rock"), "cpu")
    assert blues is rock  # the same folder: the same adapter on the same base


def test_interrupted_lora_run_keeps_the_earlier_model(trained, tmp_path, base_dir, monkeypatch):
    from transformers import Trainer

    root, _ = trained
    earlier = tmp_path / "models" / "rock"
    shutil.copytree(root / "models" / "rock", earlier)
    before = {p.name: p.read_bytes() for p in earlier.iterdir()}

    def boom(self, *a, **k):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(Trainer, "train", boom)
    with pytest.raises(RuntimeError, match="interrupted"):
        finetune(_args(tmp_path, base_dir, run_id="run-2"))
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["rock"]
    assert {p.name: p.read_bytes() for p in earlier.iterdir()} == before
    assert not (tmp_path / "runs" / "rock").exists() or not any((tmp_path / "runs" / "rock").iterdir())


def test_home_and_training_pages_say_lora_adapter_on_the_base(trained, tmp_path, monkeypatch):
    from studio_app import open_page

    root, _ = trained
    config = tmp_path / "models.toml"
    config.write_text('[lyrics.genres]\nrap = "embedded:smollm2-135m"\n', encoding="utf-8")
    for name, value in (("SONGGEN_CONFIG", config), ("SONGGEN_MODELS_DIR", root / "models"), ("SONGGEN_RUNS", root / "runs"),
                        ("SONGGEN_DB", tmp_path / "feedback.db"), ("SONGGEN_DATA", tmp_path / "data")):
        monkeypatch.setenv(name, str(value))
    registry = load_registry()
    load_lyrics_model(registry.lyrics_source("rock"))
    on_base = f"(LoRA adapter on {registry.lyrics_source('rock').adapter_base})"

    home = open_page()
    models = home.dataframe[0].value.set_index("genre")
    assert models.loc["rock", "model"] == f"path:{(root / 'models' / 'rock').resolve()} {on_base}"
    assert models.loc["pop", "model"].endswith(on_base) and bool(models.loc["rock", "loaded"])
    assert models.loc["rap", "model"] == "embedded:smollm2-135m"

    training = open_page("pages/4_Training.py")
    assert not training.error
    serving = training.dataframe[-1].value.set_index("genre")
    assert serving.loc["rock", "model"].endswith(on_base) and serving.loc["rock", "from"] == "trained folder"
    assert serving.loc["rap", "model"] == "embedded:smollm2-135m"
    summary = training.dataframe[-2].value
    assert sorted(summary["genre"]) == ["pop", "rock"] and set(summary["trained"]) == {"LoRA adapter (r 8)"}
    assert (summary["trainable parameters"] > 0).all()


def test_a_retrained_adapter_is_served_without_a_restart(base_dir, tmp_path):
    """The app keeps models loaded; retraining a genre replaces its folder, and the next load
    attaches the new adapter to the same shared base and drops the old one."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    finetune(_args(tmp_path, base_dir, "rock"))
    registry = load_registry(models_dir=tmp_path / "models")
    source = registry.lyrics_source("rock")
    first = load_lyrics_model(source, "cpu")
    assert load_lyrics_model(source, "cpu") is first
    finetune(_args(tmp_path, base_dir, "rock", run_id="run-2", seed=7, max_steps=2))
    again = load_lyrics_model(load_registry(models_dir=tmp_path / "models").lyrics_source("rock"), "cpu")
    assert again is not first and again.model is first.model and again.adapter != first.adapter
    assert first.adapter not in again.model.peft_config and again.adapter in again.model.peft_config
    ids = torch.tensor([[5, 6, 7, 8]])
    with again.using() as model, torch.no_grad():
        served = model(ids).logits
    fresh = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_dir), tmp_path / "models" / "rock").eval()
    with torch.no_grad():
        assert torch.allclose(served, fresh(ids).logits, atol=1e-5)
    unload_all()
