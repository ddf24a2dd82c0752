"""LyricsRequest validation: bad input gets a typed error naming the field."""

import pytest

from songgen_core.errors import InvalidRequestError, SongGenError
from songgen_core.lyrics import LyricsRequest

GOOD = dict(genre="rock", title="Unintended", artist="Muse", opening_line="You could be my unintended")


def test_defaults_follow_the_original_design():
    request = LyricsRequest(**GOOD)
    assert (request.max_words, request.temperature, request.top_k, request.top_p) == (150, 1.0, 50, 0.95)
    assert request.seed is None


def test_fields_are_normalised():
    request = LyricsRequest(**{**GOOD, "genre": " Rock ", "title": "  Unintended  ", "opening_line": "line\r"})
    assert (request.genre, request.title, request.opening_line) == ("rock", "Unintended", "line")


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"opening_line": ""}, "opening_line"),
        ({"genre": ""}, "genre"),
        ({"genre": "rock & roll"}, "genre"),
        ({"title": "x" * 121}, "title"),
        ({"artist": "y" * 121}, "artist"),
        ({"opening_line": "z" * 301}, "opening_line"),
        ({"title": "bell\x07"}, "title"),
        ({"opening_line": "two\nlines"}, "opening_line"),
        ({"artist": "nul\x00"}, "artist"),
        ({"title": 42}, "title"),
        ({"max_words": 0}, "max_words"),
        ({"max_words": 5000}, "max_words"),
        ({"max_words": 12.5}, "max_words"),
        ({"temperature": -0.1}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"top_k": -1}, "top_k"),
        ({"top_p": 0}, "top_p"),
        ({"top_p": 1.5}, "top_p"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**32}, "seed"),
        ({"seed": True}, "seed"),
        ({"repetition_penalty": 0.5}, "repetition_penalty"),
    ],
)
def test_bad_input_raises_a_typed_error_naming_the_field(changes, field):
    with pytest.raises(InvalidRequestError) as caught:
        LyricsRequest(**{**GOOD, **changes})
    assert caught.value.field == field
    assert isinstance(caught.value, SongGenError) and isinstance(caught.value, ValueError)
    assert field in str(caught.value)


def test_messages_are_readable():
    with pytest.raises(InvalidRequestError, match="title: must not be empty"):
        LyricsRequest(**{**GOOD, "title": ""})
    with pytest.raises(InvalidRequestError, match="at most 120"):
        LyricsRequest(**{**GOOD, "title": "x" * 200})


def test_empty_artist_is_allowed_and_with_seed_keeps_the_rest():
    request = LyricsRequest(**{**GOOD, "artist": ""})
    again = request.with_seed(7)
    assert again.seed == 7 and again.title == request.title and again.artist == ""
