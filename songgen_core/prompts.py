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

The example lyrics below were written for this project.
"""

from __future__ import annotations

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


def lyrics_prompt(artist: str, title: str, opening_line: str, genre: str, few_shot: bool) -> str:
    """The text a model continues. The opening line starts the lyrics."""
    prefix = few_shot_header(genre) if few_shot else ""
    return prefix + song_header(artist, title) + opening_line


def few_shot_header(genre: str) -> str:
    """Example songs of `genre` (a generic set for genres without their own)."""
    examples = FEW_SHOT_EXAMPLES.get(genre, FEW_SHOT_EXAMPLES["_default"])
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


# (artist, title, lyrics) per genre; short, so the prompt stays cheap to read.
FEW_SHOT_EXAMPLES: dict[str, list[tuple[str, str, str]]] = {
    "rock": [
        (
            "The Rust Engines",
            "Highway Static",
            """Headlights cutting through the rain tonight
I left the city with its neon light
The radio is screaming out my name
And every mile I drive I feel the flame

We are the sparks that never hit the ground
We are the echo of a louder sound
So turn it up and let the engine roar
We don't live quiet anymore""",
        ),
        (
            "Glass Harbour",
            "Iron Lungs",
            """I have been breathing smoke since I was young
With borrowed anthems rolling off my tongue
You built a wall and called it a home
I broke it down to stand here on my own

Scream it loud until the windows shake
Give me something that I cannot break""",
        ),
    ],
    "pop": [
        (
            "Lena Vale",
            "Paper Hearts",
            """We were dancing in the kitchen light
Your hand in mine and everything was right
Summer songs on a borrowed radio
I never wanted you to let me go

Oh oh, paper hearts in the rain
Oh oh, I would fold them again
Every color that you gave to me
Is the only place I want to be""",
        ),
        (
            "Marco Sun",
            "Golden Hour",
            """Wake me up when the sky turns gold
I got a story that has never been told
Call your friends, we are going out tonight
Everybody shining, everybody bright

This is our golden hour
Feel the rhythm, feel the power""",
        ),
    ],
    "rap": [
        (
            "MC Northside",
            "Concrete Dreams",
            """Started from the corner with a notebook and a plan
Mama working doubles so I had to be a man
Every bar I write is like a brick in the wall
Building up a castle so my people never fall

Concrete dreams, yeah, we grew through the cracks
Never looking back, only moving on the tracks""",
        ),
        (
            "Lil Meridian",
            "Late Night Ledger",
            """Counting every blessing like I'm counting up the rent
Every single minute, tell me where the hours went
They said I wouldn't make it, now they're asking for a verse
I was writing in the dark, now I'm putting in the work""",
        ),
    ],
    "_default": [
        (
            "June Harlow",
            "Open Road",
            """There's a light on the hill where the river bends
An old guitar and a couple of friends
We sing the songs that our fathers knew
And every word of it still rings true

Open road, carry me home
I have wandered too long on my own""",
        ),
        (
            "The Evening Post",
            "Slow Burn",
            """You move like a candle in a quiet room
Your voice is the color of a late July moon
I don't need the answers, I just need the time
To hold you in the rhythm and the rhyme""",
        ),
    ],
}
