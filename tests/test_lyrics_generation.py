"""Lyrics generation through the registry with a tiny GPT-2 we train ourselves.

The model sits in models/rock/ of a temporary project, as a fine-tuned model
written by training would, and is loaded through the registry.
"""

import time

import pytest

from songgen_core.errors import ModelUnavailableError, SongGenError, UnknownGenreError
from songgen_core.loading import load_lyrics_model, unload_all
from songgen_core.free_lyrics import MIN_NEW_WORDS
from songgen_core.lyrics import LyricsRequest, generate_lyrics, stream_lyrics
from songgen_core.prompts import END_OF_LYRICS
from songgen_core.registry import ModelSource, load_registry
from tiny_models import save_tiny_gpt2, train_tiny_gpt2


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    models = tmp_path_factory.mktemp("models")
    train_tiny_gpt2(models / "rock", steps=100)
    yield load_registry(models_dir=models)
    unload_all()


def request(**changes):
    # The free mode (one free run, the original design); structured songs: test_structured_lyrics.py.
    fields = dict(genre="rock", title="Highway Static", artist="The Rust Engines",
                  opening_line="Headlights cutting", seed=1, temperature=0.8, mode="free")
    return LyricsRequest(**{**fields, **changes})


def test_fine_tuned_folder_is_served_without_few_shot(registry):
    lm = load_lyrics_model(registry.lyrics_source("rock"))
    assert lm.few_shot is False  # its tokenizer knows the end-of-lyrics token
    assert lm.tokenizer.convert_tokens_to_ids(END_OF_LYRICS) in lm.eos_token_ids
    assert lm.device == "cpu"


def test_lyrics_start_with_the_opening_line_and_stop_at_the_end_token(registry):
    ended = set()
    for seed in range(8):
        result = generate_lyrics(request(seed=seed), registry)
        assert result.text.startswith("Headlights cutting")
        assert END_OF_LYRICS not in result.text and "[Artist:" not in result.text and "[Song:" not in result.text
        assert result.text == result.text.strip() and "\n\n\n" not in result.text
        assert result.model_source.startswith("path:") and result.seed == seed
        assert result.new_tokens > 0 and result.prompt_tokens > 5
        ended.add(result.ended_by)
    # The memorised songs end with the end token, which generate treats as an end of sequence.
    assert ended & {"eos", "end-marker"}


def test_same_seed_same_lyrics_other_seed_other_lyrics(registry):
    first = generate_lyrics(request(seed=11), registry).text
    assert generate_lyrics(request(seed=11), registry).text == first
    assert any(generate_lyrics(request(seed=s), registry).text != first for s in (12, 13, 14))


def test_streaming_equals_non_streaming_for_the_same_seed(registry):
    for seed in range(6):
        whole = generate_lyrics(request(seed=seed), registry)
        stream = stream_lyrics(request(seed=seed), registry)
        pieces = list(stream)
        assert pieces[0] == "Headlights cutting"  # shown at once
        assert "".join(pieces) == whole.text
        assert stream.result.text == whole.text and stream.result.ended_by == whole.ended_by


def test_word_limit_ends_at_the_line_that_crosses_it(registry):
    limited = []
    for seed in range(8):
        result = generate_lyrics(request(seed=seed, max_words=12, temperature=0.5), registry)
        if result.ended_by == "word-limit":
            limited.append(result.text)
    assert limited, "the memorised songs are longer than 12 words, so some runs must hit the limit"
    for text in limited:
        words_before_last_line = len(text.rsplit("\n", 1)[0].split()) if "\n" in text else 0
        assert len(text.split()) >= 12 > words_before_last_line


def test_lyrics_always_add_words_to_the_opening(registry):
    # The last line of a memorised song: the model would end the song right there (greedy, it
    # wrote "[Artist:" for the next song, 0 new words), or stop at the first line end when the
    # opening alone spends the word budget. Neither may leave the lyrics at the opening line.
    last_line = dict(title="Iron Lungs", artist="Glass Harbour", opening_line="Give me something that I cannot break")
    long_opening = dict(opening_line="I was writing in the dark, now I'm putting in the work", max_words=10)
    for case in (last_line, long_opening):
        for temperature, seeds in ((0.0, [0]), (0.8, range(6))):
            for seed in seeds:
                asked = request(**case, temperature=temperature, seed=seed)
                result = generate_lyrics(asked, registry)
                new_words = len(result.text.split()) - len(asked.opening_line.split())
                assert new_words >= MIN_NEW_WORDS or result.ended_by == "token-limit", (seed, result.text)
                assert "".join(stream_lyrics(asked, registry)) == result.text


def test_token_cap_keeps_whole_lines(tmp_path):
    # A random (untrained) model rarely ends a song, so it runs into the token cap.
    folder = save_tiny_gpt2(tmp_path / "random")
    lm = load_lyrics_model(ModelSource("path", str(folder)))
    for seed in range(5):
        r = request(seed=seed, max_words=10, temperature=1.0)
        whole = generate_lyrics(r, model=lm)
        stream = stream_lyrics(r, model=lm)
        assert "".join(stream) == whole.text
        assert whole.text.startswith("Headlights cutting")
        assert all(ch == "\n" or ch.isprintable() for ch in whole.text)


def test_unknown_genre_and_missing_model(registry, tmp_path):
    with pytest.raises(UnknownGenreError):
        generate_lyrics(request(genre="polka"), registry)
    with pytest.raises(ModelUnavailableError, match="no config.json"):
        load_lyrics_model(ModelSource("path", str(tmp_path / "nothing")))
    with pytest.raises(ModelUnavailableError, match="hub cannot be reached"):
        load_lyrics_model(ModelSource("hub", "songgen-test/does-not-exist"))


def test_stream_raises_before_the_first_piece_for_unknown_genre(registry):
    with pytest.raises(UnknownGenreError):
        stream_lyrics(request(genre="polka"), registry)


def test_a_stream_left_early_stops_its_generation_and_frees_the_model(tmp_path):
    # Left alone, a random model writes on until it happens on its end token or the cap (1,032 tokens).
    lm = load_lyrics_model(ModelSource("path", str(save_tiny_gpt2(tmp_path / "random"))))
    r = request(max_words=400, temperature=1.0)
    stream = stream_lyrics(r, model=lm)
    pieces = iter(stream)
    assert next(pieces) == "Headlights cutting"  # shown before the model runs
    pieces.close()  # what a page rerun does to st.write_stream's generator
    assert lm.lock.acquire(timeout=60)  # the worker stopped and let go of the model
    lm.lock.release()
    job = stream._job
    deadline = time.monotonic() + 10
    while job.result is None and time.monotonic() < deadline:  # the worker sets it after the lock
        time.sleep(0.01)
    assert job.result.ended_by == "cancelled"
    assert job.result.new_tokens <= 2
    assert stream.result is None  # a stream left early has no result
    # The model serves the next song in full.
    whole = generate_lyrics(request(max_words=10, temperature=1.0), model=lm)
    assert whole.mode == "free"
    assert whole.ended_by in ("word-limit", "token-limit", "eos") and whole.new_tokens > 2


def test_lyrics_stop_at_the_end_of_the_models_context(tmp_path):
    """GPT-2 learns 1024 positions (gpt2-medium too): a long song used to run past them and
    fail with an IndexError from the position embeddings, shown as a traceback."""
    folder = save_tiny_gpt2(tmp_path / "short-context", n_positions=96)
    lm = load_lyrics_model(ModelSource("path", str(folder)), "cpu")
    result = generate_lyrics(request(temperature=0.0, max_words=100), model=lm)
    assert result.prompt_tokens + result.new_tokens <= 96
    assert result.text.startswith("Headlights cutting") and result.ended_by in ("token-limit", "eos", "end-marker")
    with pytest.raises(SongGenError, match="leaves no room"):
        generate_lyrics(request(opening_line="la " * 60), model=lm)
