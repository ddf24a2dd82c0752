"""Structured lyrics (the default mode) with tiny GPT-2 models: the plan, the repeated chorus,
the title, the opening line, streaming, the candidate filter and determinism by seed."""

import threading
import time

import pytest
import torch

from songgen_core.errors import InvalidRequestError
from songgen_core.line_writer import LineWriter
from songgen_core.loading import load_lyrics_model, unload_all
from songgen_core.lyric_metrics import markup_found, sections, structure_ok
from songgen_core.lyrics import LyricsRequest, generate_lyrics, stream_lyrics
from songgen_core.registry import ModelSource
from songgen_core.song_plan import SongPlan, song_plan
from songgen_core.structured import SongState, rejection, syllable_target
from songgen_core.token_tables import tables
from tiny_models import save_tiny_gpt2


@pytest.fixture(scope="module")
def trained(tiny_lyrics_dir):
    yield load_lyrics_model(ModelSource("path", str(tiny_lyrics_dir)))
    unload_all()


@pytest.fixture(scope="module")
def random_model(tmp_path_factory):
    return load_lyrics_model(ModelSource("path", str(save_tiny_gpt2(tmp_path_factory.mktemp("random") / "m"))))


def request(**changes):
    fields = dict(genre="rock", title="Highway Static", artist="The Rust Engines",
                  opening_line="Headlights cutting through the rain", seed=1, temperature=0.9)
    return LyricsRequest(**{**fields, **changes})


def chorus_of(text):
    return [lines for name, lines in sections(text) if name == "Chorus"]


def test_the_song_follows_the_genre_plan(trained):
    result = generate_lyrics(request(), model=trained)
    text = result.text
    assert result.mode == "structured" and result.ended_by == "plan"
    plan = SongPlan.from_dict(result.plan)
    assert plan.genre == "rock" and all(len(s.rhyme) == 1 for s in plan.sections)
    assert [name for name, _ in sections(text)] == [s.name for s in plan.sections]
    assert text.startswith("[Verse 1]\nHeadlights cutting through the rain\n")  # the opening line as typed
    choruses = chorus_of(text)
    assert len(choruses) == 3 and choruses[0] == choruses[1] == choruses[2]  # written once, repeated
    assert choruses[0][0].startswith("Highway Static")  # the title opens the chorus
    assert structure_ok(text, plan) and markup_found(text) == []
    written = [s for s in result.line_scores if s.get("text")]
    assert len(written) == sum(len(lines) for name, lines in sections(text) if name != "Chorus") - 1 + len(choruses[0])
    assert all("fluency" in s and "syllables" in s for s in written)


def test_same_seed_same_song_other_seed_other_song(trained):
    first = generate_lyrics(request(seed=5), model=trained).text
    assert generate_lyrics(request(seed=5), model=trained).text == first
    assert any(generate_lyrics(request(seed=s), model=trained).text != first for s in (6, 7))


def test_streaming_shows_the_header_and_opening_at_once_and_adds_up(trained):
    whole = generate_lyrics(request(seed=3), model=trained)
    stream = stream_lyrics(request(seed=3), model=trained)
    pieces = list(stream)
    assert pieces[0] == "[Verse 1]\nHeadlights cutting through the rain"
    assert "".join(pieces) == whole.text == stream.result.text
    assert len(pieces) >= 10  # line by line, not all at the end
    assert stream.result.line_scores == whole.line_scores


def test_lengths_change_the_sections(trained):
    short = generate_lyrics(request(length="short"), model=trained).text
    long = generate_lyrics(request(length="long"), model=trained).text
    assert "[Bridge]" not in short and "[Verse 3]" in long
    assert len(long.split()) > len(short.split())


def test_a_random_model_never_gets_markup_or_bracket_tags_through(random_model):
    # An untrained model draws any token: brackets, pipes, "<", digits... none may reach the lyrics.
    lm = random_model
    head = lm.model.get_output_embeddings()
    texts = tables(lm.tokenizer).texts
    markup = torch.tensor([i for i, t in enumerate(texts) if any(c in t for c in "[]<>|(){}")])
    hook = head.register_forward_hook(lambda module, args, out: out.index_add(
        -1, markup, torch.full(out.shape[:-1] + (len(markup),), 30.0)))  # the model "wants" markup
    try:
        for seed in range(3):
            result = generate_lyrics(request(seed=seed, genre="rap"), model=lm)
            body = [line for _, lines in sections(result.text) for line in lines]
            assert markup_found(result.text) == [] and not any(c in "".join(body) for c in "[]<>|(){}")
            assert result.text.startswith("[Verse 1]\nHeadlights")
    finally:
        hook.remove()


def test_candidates_with_markup_stop_markers_or_clean_list_words_are_never_kept():
    plan = song_plan("rock").resolve(__import__("random").Random(0))
    state = SongState(plan, "Highway Static", True, syllable_target(plan), lines=["We ride the highway through the night"])
    state.example_lines = ["Turn it up and let the engine roar"]
    assert rejection("Burning like a candle in the rain", state) is None
    cases = {
        "We sing <back> into the night air": "markup",
        "Red light [Music & Video] again tonight": "markup",
        "The song ends here <|endoflyrics|>": "markup",
        "Find the lyrics at www.example now": "markup",
        "We were fine, that is (i.e.) the end": "markup",
        "Burning like a fucking candle tonight": "clean-list word",
        "We ride the highway through the night": "repeats a line",
        "We ride the highway through the dark night": "repeats a line",
        "Turn it up and let the engine scream": "copies an example",
        "Fire fire fire in the sky": "loop",
        "Hold me close and hold me close": "loop",
        "I keep on walking down to the": "dangling end",
        "Yeah": "too short",
        "KID ME THE KEYS, LET ME PAY": "shouting",
    }
    for line, reason in cases.items():
        assert rejection(line, state) == reason, line
    state.clean = False  # explicit lyrics asked for: the clean list no longer applies
    assert rejection("Burning like a fucking candle tonight", state) is None


def test_tables_ban_markup_and_spelled_clean_words(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    from tokenizers import decoders
    tok.decoder = decoders.ByteLevel()
    corpus = ["what the fuck is this shit night light [Chorus] <b> x|y 42 (i.e.) rain again"] * 50
    tok.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=300, special_tokens=["<|endoftext|>"],
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>")
    table = tables(fast)
    by_text = {t: i for i, t in enumerate(table.texts)}
    banned, blocked = set(table.banned.tolist()), set(table.blocked.tolist())
    for text in ("[", "<", "|", "(", "4", "<|endoftext|>"):
        assert by_text[text] in banned, text
    assert by_text[" fuck"] in blocked and by_text[" shit"] in blocked and by_text[" night"] not in blocked
    assert table.words[" night".strip()] == by_text[" night"] and table.texts[table.newline] == "\n"


def test_explicit_and_mode_and_length_are_validated():
    with pytest.raises(InvalidRequestError, match="mode"):
        request(mode="poem")
    with pytest.raises(InvalidRequestError, match="length"):
        request(length="epic")
    with pytest.raises(InvalidRequestError, match="explicit"):
        request(explicit="yes")
    assert request().mode == "structured" and request().length == "standard" and request().explicit is False


def test_free_mode_is_still_there(trained):
    result = generate_lyrics(request(mode="free", max_words=20), model=trained)
    assert result.mode == "free" and result.plan is None and result.text.startswith("Headlights cutting")


def test_a_structured_stream_left_early_stops_and_frees_the_model(random_model):
    lm = random_model
    stream = stream_lyrics(request(genre="rap", length="long"), model=lm)
    pieces = iter(stream)
    assert next(pieces) == "[Verse 1]\nHeadlights cutting through the rain"
    pieces.close()
    assert lm.lock.acquire(timeout=60)
    lm.lock.release()
    deadline = time.monotonic() + 10
    while stream._job.result is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stream._job.result.ended_by == "cancelled" and stream.result is None


def test_the_writer_batches_candidates_and_steers_endings(trained):
    writer = LineWriter(trained, seed=2, candidates=4)
    with trained.using():
        writer.start("[Artist: The Rust Engines]\n[Song: Highway Static]\n[Verse 1]\n")
        writer.commit("Headlights cutting through the rain tonight\n")
        rhymes = {w: i for w, i in tables(trained.tokenizer).words.items() if w in ("light", "night", "right", "fight")}
        found = writer.candidates(4, 14, rhymes=rhymes)
    assert found and all("\n" not in c.text and c.fluency < 0 for c in found)
    assert len([c for c in found if c.rhyme_word is None]) <= 4
    for c in found:
        if c.rhyme_word:
            assert c.text.lower().split()[-1] == c.rhyme_word


def test_concurrent_structured_songs_on_one_model_match_sequential_ones(trained):
    requests = [request(seed=s) for s in (11, 12)]
    expected = [generate_lyrics(r, model=trained).text for r in requests]
    results = [None, None]

    def write(i):
        results[i] = generate_lyrics(requests[i], model=trained).text

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == expected
