"""The lyrics prompt format, shared by training and generation.

A song is written as the original design wrote it for fine-tuning GPT-2:

    [Artist: Muse]
    [Song: Unintended]
    You could be my unintended choice
    ...
    <|endoflyrics|>

A fine-tuned model is prompted with the two tags and the opening line, and ends
a song with the end-of-lyrics token. A base model (the embedded defaults, or
plain `gpt2-medium`) has never seen this format, so its prompt starts with a
few example songs of the genre in the same format ("few-shot"); it learns from
them where a song ends, and we also stop it at the next song header.

The example lyrics (data/example_songs.toml) were written for this project: three songs per genre
(two for the generic set), 150-200 words each, laid out in sections with
headers ([Verse 1], [Chorus], ...), rhymed, the chorus repeated word for word
and opening with the title, so a model sees what a song looks like.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

END_OF_LYRICS = "<|endoflyrics|>"
ARTIST_TAG = "[Artist: "
SONG_TAG = "[Song: "
# Text that means the song is over: the end token, or a model starting the next song.
STOP_MARKERS = (END_OF_LYRICS, ARTIST_TAG.rstrip(), SONG_TAG.rstrip())


def song_header(artist: str, title: str) -> str:
    """The two tags that open every song, each on its own line."""
    return f"{ARTIST_TAG}{artist}]\n{SONG_TAG}{title}]\n"


def format_song(artist: str, title: str, lyrics: str) -> str:
    """A whole song as training text: header, lyrics, end token."""
    return f"{song_header(artist, title)}{lyrics.strip()}\n{END_OF_LYRICS}\n"


def lyrics_prompt(artist: str, title: str, opening_line: str, genre: str, few_shot: bool | int) -> str:
    """The text a model continues. The opening line starts the lyrics. `few_shot`: how many of
    the genre's example songs come first (True: all of them, False or 0: none)."""
    count = None if few_shot is True else 0 if few_shot is False else int(few_shot)
    prefix = few_shot_header(genre, count) if count != 0 else ""
    return prefix + song_header(artist, title) + opening_line


def genre_examples(genre: str) -> list[tuple[str, str, str]]:
    """The example songs of `genre` (a generic set for genres without their own)."""
    return FEW_SHOT_EXAMPLES.get(genre, FEW_SHOT_EXAMPLES["_default"])


def few_shot_header(genre: str, count: int | None = None) -> str:
    """The first `count` (None: all) example songs of `genre`, in the prompt format."""
    examples = genre_examples(genre)[:count]
    return "".join(format_song(artist, title, lyrics) + "\n" for artist, title, lyrics in examples)


def cut_at_stop_marker(text: str) -> tuple[str, bool]:
    """Return `text` up to the first stop marker, and whether one was found."""
    positions = [p for p in (text.find(m) for m in STOP_MARKERS) if p >= 0]
    if not positions:
        return text, False
    return text[: min(positions)], True


def held_back_length(text: str) -> int:
    """How many trailing characters could be the start of a stop marker.

    A stream must not show "[Art" before it knows whether "[Artist:" follows.
    """
    longest = 0
    for marker in STOP_MARKERS:
        for n in range(min(len(marker) - 1, len(text)), 0, -1):
            if text.endswith(marker[:n]):
                longest = max(longest, n)
                break
    return longest


def _example_songs() -> dict[str, list[tuple[str, str, str]]]:
    """(artist, title, lyrics) per genre, from data/example_songs.toml (written for this project)."""
    with open(Path(__file__).resolve().parent / "data" / "example_songs.toml", "rb") as handle:
        data = tomllib.load(handle)
    return {genre: [(song["artist"], song["title"], song["lyrics"].strip()) for song in songs] for genre, songs in data.items()}


FEW_SHOT_EXAMPLES: dict[str, list[tuple[str, str, str]]] = _example_songs()
