"""The prompt format of the original design and the stop-marker rules."""

from songgen_core.prompts import (
    END_OF_LYRICS, FEW_SHOT_EXAMPLES, cut_at_stop_marker, few_shot_header, format_song, held_back_length, lyrics_prompt,
)


def test_fine_tuned_prompt_is_artist_tag_song_tag_then_opening_line():
    prompt = lyrics_prompt("Muse", "Unintended", "You could be my unintended", "rock", few_shot=False)
    assert prompt == "[Artist: Muse]\n[Song: Unintended]\nYou could be my unintended"


def test_training_text_ends_with_the_end_token():
    assert format_song("A", "B", "la la\n") == f"[Artist: A]\n[Song: B]\nla la\n{END_OF_LYRICS}\n"


def test_base_model_prompt_starts_with_genre_examples_in_the_same_format():
    prompt = lyrics_prompt("Muse", "Unintended", "You could", "rap", few_shot=True)
    assert prompt.startswith(few_shot_header("rap"))
    assert prompt.endswith("[Artist: Muse]\n[Song: Unintended]\nYou could")
    assert prompt.count(END_OF_LYRICS) == len(FEW_SHOT_EXAMPLES["rap"])
    assert "Concrete Dreams" in prompt and "Highway Static" not in prompt


def test_unknown_genre_gets_the_generic_examples():
    assert few_shot_header("polka") == few_shot_header("_default")


def test_cut_at_the_end_token_or_the_next_header():
    assert cut_at_stop_marker("a\nb\n<|endoflyrics|>\njunk") == ("a\nb\n", True)
    assert cut_at_stop_marker("a\n\n[Artist: Someone]\n[Song: X]") == ("a\n\n", True)
    assert cut_at_stop_marker("a\n[Song: X]") == ("a\n", True)
    assert cut_at_stop_marker("a\n[Chorus]\nb") == ("a\n[Chorus]\nb", False)


def test_held_back_length_covers_partial_markers_only():
    assert held_back_length("line\n[Art") == 4
    assert held_back_length("line\n<|endof") == 7
    assert held_back_length("line\n[") == 1
    assert held_back_length("line\n[C") == 0
    assert held_back_length("plain") == 0
