"""Lyrics analysis and the music prompt rule (songgen_core.music.brief)."""

import re

import pytest

from songgen_core.music.brief import (
    STYLES,
    build_music_prompt,
    chorus_flags,
    count_syllables,
    line_syllables,
    make_brief,
    mood_hits,
    section_header,
    song_sections,
    split_stanzas,
    theme_words,
)
from lyrics_samples import SONG

SAD = """Cold rain on my window, I cry alone tonight
Tears fall in the dark, every shadow takes the light
Goodbye to the broken, lost in the grey
Empty rooms and sorrow, the pain will not fade away"""

HAPPY = """Sunshine on the dance floor, we party all night
Smile and laugh together, the summer is bright
Celebrate the weekend, the club is alive
Happy hearts are dancing, joy in every stride"""

NEUTRAL = """The table by the window
The paper on the chair
A pencil and a letter
A picture on the stair"""



# ---------------------------------------------------------------------------
# Syllables


@pytest.mark.parametrize(
    "word, expected",
    [
        ("love", 1), ("fire", 1), ("the", 1), ("you", 1), ("night", 1), ("jumped", 1), ("makes", 1),
        ("eyes", 1), ("don't", 1), ("tonight", 2), ("hello", 2), ("music", 2), ("table", 2), ("going", 2),
        ("wanted", 2), ("boxes", 2), ("flying", 2), ("being", 2), ("beautiful", 3), ("syllable", 3),
        ("Yesterday", 3), ("24", 2), ("", 0), ("...", 0),
    ],
)
def test_count_syllables_known_words(word, expected):
    assert count_syllables(word) == expected


def test_line_syllables_sums_words():
    assert line_syllables("Fire in my eyes, tonight!") == 1 + 1 + 1 + 1 + 2
    assert line_syllables("") == 0


# ---------------------------------------------------------------------------
# Stanzas and choruses


@pytest.mark.parametrize(
    "line, label",
    [
        ("[Chorus]", "Chorus"), ("[Verse 2]", "Verse 2"), ("(Verse 2)", "Verse 2"), ("Hook:", "Hook"),
        ("**Bridge**", "Bridge"), ("  [Pre-Chorus]  ", "Pre-Chorus"), ("(oh oh)", None), ("I said: go", None),
        ("Chorus of voices in my head", None),
    ],
)
def test_section_header(line, label):
    assert section_header(line) == label


def test_split_stanzas_on_blank_lines_and_headers():
    lyrics = "line one\nline two\n\n\n[Chorus]\nhook line\n[Verse 2]\nsecond verse\r\n\r\nlast line\n\n[Outro]\n"
    assert split_stanzas(lyrics) == [
        ["line one", "line two"],
        ["[Chorus]", "hook line"],
        ["[Verse 2]", "second verse"],
        ["last line"],
    ]
    assert split_stanzas("") == []
    assert split_stanzas("\n\n  \n") == []


def test_labelled_choruses_are_detected():
    stanzas = split_stanzas("[Verse 1]\na b\n\n[Chorus]\nc d\n\n[Hook]\ne f\n\n[Refrain x2]\ng h\n\n[Pre-Chorus]\ni j")
    assert chorus_flags(stanzas) == [False, True, True, True, False]


def test_repeated_stanza_is_a_chorus():
    lyrics = "walking down the street\nlooking at my feet\n\nla di da we sing\nla di da la da\n\n" \
             "talking to the moon\nsinging out of tune\n\nla di da we sing\nla di da la da"
    assert chorus_flags(split_stanzas(lyrics)) == [False, True, False, True]


def test_a_shared_refrain_line_does_not_make_a_verse_a_chorus():
    lyrics = "one two\nthree four\nfive six\nand the road goes on\n\n" \
             "seven eight\nnine ten\neleven twelve\nand the road goes on"
    assert chorus_flags(split_stanzas(lyrics)) == [False, False]


def test_song_sections_kinds_labels_and_lines():
    sections = song_sections(SONG)
    assert [s.kind for s in sections] == ["verse", "chorus", "verse", "chorus"]
    assert [s.label for s in sections] == ["Verse 1", "Chorus", "Verse 2", "Chorus"]
    assert sections[0].lines == ("Driving down the highway in the night", "Fire in my eyes and the road so bright")
    assert song_sections("") == []


# ---------------------------------------------------------------------------
# Mood, theme and the brief


def test_mood_lexicon_and_stems():
    hits = mood_hits("burning, running, tears and the party")
    assert hits["defiant"] == 1 and hits["restless"] == 1 and hits["melancholic"] == 1 and hits["festive"] == 1


def test_theme_words_most_frequent_content_words():
    text = "night road night fire road night the the the yeah yeah oh baby baby baby fire road dream"
    # night 3, road 3, fire 2: stopwords and fillers ("the", "yeah", "oh", "baby") do not count.
    assert theme_words(text) == ["night", "road", "fire"]


def test_mode_follows_the_mood_of_the_lyrics():
    assert make_brief("pop", SAD).mode == "minor"
    assert make_brief("rock", HAPPY).mode == "major"
    assert make_brief("rock", NEUTRAL).mode == "minor"  # genre default when no mood word hits
    assert make_brief("pop", NEUTRAL).mode == "major"


def test_energy_and_tempo_follow_the_lyrics():
    sad, neutral, happy = (make_brief("pop", lyrics) for lyrics in (SAD, NEUTRAL, HAPPY))
    assert sad.energy < neutral.energy < happy.energy
    assert sad.tempo_bpm < neutral.tempo_bpm < happy.tempo_bpm
    for brief in (sad, neutral, happy):
        assert 95 <= brief.tempo_bpm <= 125
    assert "melancholic" in sad.mood_words and "festive" in happy.mood_words
    assert neutral.mood_words == ("uplifting",)


@pytest.mark.parametrize(
    "genre, style, lo, hi",
    [("rock", "rock", 110, 150), ("pop", "pop", 95, 125), ("country", "generic", 90, 120), ("Hip-Hop", "boom-bap", 80, 100)],
)
def test_genre_styles_and_tempo_ranges(genre, style, lo, hi):
    brief = make_brief(genre, NEUTRAL)
    assert brief.style == style
    assert brief.tempo_range == (lo, hi)
    assert lo <= brief.tempo_bpm <= hi
    assert brief.instruments == STYLES[style].instruments


def test_rap_is_trap_when_energetic_and_boom_bap_when_not():
    calm = make_brief("rap", SAD)
    wild = make_brief("rap", "fight the fire, run the road, party loud and wild\nburn it up, we rage, we riot")
    assert calm.style == "boom-bap" and 80 <= calm.tempo_bpm <= 100
    assert wild.style == "trap" and 130 <= wild.tempo_bpm <= 150


def test_unknown_genre_gets_the_generic_style():
    brief = make_brief("polka fusion", HAPPY)
    assert brief.style == "generic" and brief.genre == "polka fusion"
    assert brief.mode == "major"


# ---------------------------------------------------------------------------
# The prompt


def test_prompt_is_deterministic_and_names_genre_mode_tempo_mood_theme():
    prompt = build_music_prompt("rock", SONG)
    assert prompt == build_music_prompt("rock", SONG)
    brief = make_brief("rock", SONG)
    assert re.fullmatch(r"(mellow|groovy|energetic|high-energy) rock song in a (major|minor) key, \d+ bpm, .+; mood: .+; about: .+", prompt)
    assert f"in a {brief.mode} key, {brief.tempo_bpm} bpm" in prompt
    assert "mood: " + ", ".join(brief.mood_words) in prompt
    assert "about: night, road" in prompt
    assert "distorted electric guitars" in prompt


def test_prompt_docstring_example_holds():
    lyrics = "Fire on the night road\nWe fight through the night\nRoad of fire, road of night, cold and alone"
    assert build_music_prompt("rock", lyrics) == (
        "high-energy rock song in a minor key, 145 bpm, distorted electric guitars, driving drums, bass; "
        "mood: defiant, restless; about: night, road, fire"
    )


def test_prompt_without_lyrics_and_for_unknown_genres():
    assert build_music_prompt("pop", "") == "groovy pop song in a major key, 110 bpm, piano, bright synths, punchy drums, bass; mood: uplifting"
    prompt = build_music_prompt("Country", SAD)
    assert prompt.startswith("mellow country song in a minor key, ")
    assert "acoustic guitar" in prompt


def test_prompt_stays_short_and_clean():
    long_genre = "ultra " * 60 + "\n<script>"
    long_lyrics = " ".join(f"supercalifragilistic{i}expialidocious" for i in range(300))
    prompt = build_music_prompt(long_genre, long_lyrics)
    assert len(prompt) < 300
    assert "\n" not in prompt and "<" not in prompt
    assert len(build_music_prompt("rap", SONG * 50)) < 300


def test_prompt_differs_by_genre():
    prompts = {g: build_music_prompt(g, SONG) for g in ("rock", "pop", "rap", "country")}
    assert len(set(prompts.values())) == 4
    assert "trap rap song" in prompts["rap"] or "boom-bap rap song" in prompts["rap"]
