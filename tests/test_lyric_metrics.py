"""Lyric metrics, rhymes and the clean list on hand-written lyrics with known rhymes."""

import random

import pytest

from songgen_core import rhyme
from songgen_core.clean_words import blocked_words, is_blocked, is_clean
from songgen_core.lyric_metrics import (
    distinct_2, line_markup, lyric_metrics, markup_found, near_duplicate, repeated_lines, rhyme_rate, sections,
    structure_ok,
)
from songgen_core.song_plan import Section, SongPlan

SONG = """[Verse 1]
Headlights cutting through the rain tonight
I left the city and its burning light
The radio is calling out my name
And every mile I feel a little flame

[Chorus]
Highway Static, hear the engine roar
We are not the sparks we were before
Turn it up and let the wires hum
We are louder than the rising sun

[Verse 2]
Asphalt shining like a silver line
Nothing on the road but you and time
Every sign I pass is burning red
Every song I hear is in my head

[Chorus]
Highway Static, hear the engine roar
We are not the sparks we were before
Turn it up and let the wires hum
We are louder than the rising sun

[Bridge]
Hold the wheel and never let it go
Drive until the morning starts to glow

[Chorus]
Highway Static, hear the engine roar
We are not the sparks we were before
Turn it up and let the wires hum
We are louder than the rising sun"""

PLAN = SongPlan("rock", "standard", (
    Section("Verse 1", 4, ("AABB",)), Section("Chorus", 4, ("AABB",), True), Section("Verse 2", 4, ("AABB",)),
    Section("Chorus", 4, ("AABB",), True, 1), Section("Bridge", 2, ("AA",)), Section("Chorus", 4, ("AABB",), True, 1),
), (7, 11), (150, 250))


def test_rhymes_strict_and_slant():
    assert rhyme.is_rhyme("tonight", "light") and rhyme.is_rhyme("Roar,", "before!")
    assert rhyme.is_rhyme("go", "glow") and rhyme.is_rhyme("name", "flame")
    assert not rhyme.is_rhyme("line", "time") and rhyme.is_slant_rhyme("line", "time")
    assert not rhyme.is_rhyme("night", "night") and not rhyme.is_slant_rhyme("night", "night")
    assert not rhyme.is_slant_rhyme("love", "move")
    # Words the dictionary lacks fall back to their spelling.
    assert rhyme.is_rhyme("blorft", "snorft") and not rhyme.is_rhyme("blorft", "night")
    assert rhyme.syllables("fire") == 2 and rhyme.syllables("yesterday") == 3 and rhyme.syllables("blorft") == 1
    assert rhyme.line_syllables("Headlights cutting through the rain tonight") == 9
    assert rhyme.last_word("And every mile I feel a little flame!") == "flame"
    index = rhyme.rhyme_index(["light", "bright", "stone", "night"])
    assert rhyme.rhymes_in(index, "tonight") == {"light", "bright", "night"}


def test_rhyme_rate_over_the_plan_pairs_counts_the_chorus_once():
    rate = rhyme_rate(SONG, PLAN)
    # Verse 1: tonight/light, name/flame; Chorus: roar/before, hum/sun (slant only);
    # Verse 2: line/time (slant only), red/head; Bridge: go/glow.
    assert rate["pairs"] == 7 and rate["strict"] == 5 and rate["slant"] == 7
    assert rate["rate"] == pytest.approx(5 / 7) and rate["slant_rate"] == 1.0
    # Without a plan: groups of four read as AABB or ABAB, whichever rhymes more.
    free = rhyme_rate("a night\nthe stone\nthe light\nalone\n\nnothing here\nrandom words", None)
    assert free["pairs"] == 3 and free["strict"] == 2


def test_repeated_and_near_duplicate_lines_outside_the_chorus():
    assert repeated_lines(SONG, PLAN) == {"exact": 0, "near": 0, "lines": []}
    text = SONG.replace("Every song I hear is in my head", "Turn it up and let the wires hum")
    text = text.replace("Drive until the morning starts to glow", "I left the city and its burning lights")
    found = repeated_lines(text, PLAN)
    assert found["exact"] == 1 and found["near"] == 1
    assert near_duplicate("I won the coupon", "I won the con") is True  # 3 of 5 words: 0.6
    assert near_duplicate("I won the coupon today", "I won the coupon") is True


def test_distinct_2_and_structure():
    assert distinct_2(["the night is young", "the night is old"]) == pytest.approx(4 / 6)
    assert distinct_2([]) == 1.0
    assert structure_ok(SONG, PLAN) and structure_ok(SONG)
    broken = SONG.replace("We are louder than the rising sun", "We are louder", 1)
    assert not structure_ok(broken)  # the choruses differ
    assert not structure_ok("[Verse 1]\na b\n\n[Chorus]\nc d")
    assert [name for name, _ in sections(SONG)] == ["Verse 1", "Chorus", "Verse 2", "Chorus", "Bridge", "Chorus"]


def test_markup_and_stop_markers_are_found_and_headers_are_not():
    assert markup_found(SONG) == []
    for junk in ("<|song ends with break in text|/>", "<back>", "</a>", "[Music & Video]", "[Lyrics: Red Light]",
                 "[Verse 1: Nas]", "see http://x.io", "go to www.example", "that is (i.e.) fine", "[Artist: X]",
                 "<|endoflyrics|>"):
        assert markup_found(SONG + "\n" + junk), junk
    assert line_markup("We ride | the night") == ["|"]
    assert markup_found("[Pre-Chorus]\nla la") == []


def test_clean_list():
    assert blocked_words("What the FUCK, sh*t, Bitches and a motherfucker") == ["fuck", "sh*t", "bitches", "motherfucker"]
    assert is_clean("hell and damn, the class assassin passes the glass") and not is_blocked("assassin")
    assert not is_clean("shut your Ass") and is_blocked("f**k")


def test_all_metrics_together():
    m = lyric_metrics(SONG, title="Highway Static", plan=PLAN)
    assert m["title_present"] and m["title_in_chorus"] and m["structure_ok"]
    assert m["sections"] == ["Verse 1", "Chorus", "Verse 2", "Chorus", "Bridge", "Chorus"]
    assert m["lines"] == 22 and 140 < m["words"] < 170
    assert 7 <= m["syllables_mean"] <= 11 and m["syllables_spread"] < 2
    assert m["distinct_2"] > 0.9 and m["markup"] == [] and m["clean_list_words"] == []
    assert lyric_metrics("la la", title="Gone")["title_present"] is False
    # Pure functions: never raise on odd text.
    rng = random.Random(0)
    for _ in range(50):
        text = "".join(rng.choice("ab [](|)\n<>*'-é") for _ in range(rng.randrange(60)))
        lyric_metrics(text, title="a b", plan=PLAN)
