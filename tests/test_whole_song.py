"""Music follows the whole song: every line sung, intro and outro, sections lifted, keys varied."""

import statistics

import pytest

from songgen_core.errors import InvalidRequestError
from songgen_core.music.arranger import arrange, generate, whole_song_length
from songgen_core.music.brief import build_music_prompt, line_syllables, song_sections
from songgen_core.music.musicgen.backend import whole_song_duration
from songgen_core.music.render import SAMPLE_RATE
from songgen_core.music.request import MusicRequest

VERSE_1 = ["Driving down the highway in the night", "Fire in my eyes and the road so bright",
           "Every mile a memory I leave behind", "Every sign a story on my mind"]
CHORUS = ["We run, we burn, we never stop", "Fight the night until we drop",
          "Hold the line and hold it tight", "We are the fire in the night"]
VERSE_2 = ["Cold rain falls on the empty road", "Night and road and a heavy load",
           "Every town a name I used to know", "Every friend a ghost I had to go"]
BRIDGE = ["When the morning comes I will be gone", "Leave the light on, I am coming home",
          "All the years are written on the wall", "Hear the echo when the thunder calls"]


def stanza(label, lines):
    return f"[{label}]\n" + "\n".join(lines)


STANDARD = "\n\n".join([stanza("Verse 1", VERSE_1), stanza("Chorus", CHORUS), stanza("Verse 2", VERSE_2),
                        stanza("Chorus", CHORUS), stanza("Bridge", BRIDGE), stanza("Chorus", CHORUS)])
RAP = "\n\n".join([stanza("Verse 1", VERSE_1 + VERSE_2), stanza("Hook", CHORUS),
                   stanza("Verse 2", BRIDGE + VERSE_1), stanza("Hook", CHORUS)])


def request(genre="rock", lyrics=STANDARD, seed=1, **kw):
    return MusicRequest(genre=genre, lyrics=lyrics, seed=seed, **kw)


def test_whole_song_is_the_default_and_a_first_class_value():
    assert MusicRequest(genre="rock", lyrics="").duration_s is None
    assert MusicRequest(genre="rock", lyrics="", duration_s="whole").whole_song
    assert MusicRequest(genre="rock", lyrics="", duration_s=12).duration_s == 12.0
    for bad in (0, 301, float("nan"), True, "long"):
        with pytest.raises(InvalidRequestError) as caught:
            MusicRequest(genre="rock", lyrics="", duration_s=bad)
        assert caught.value.field == "duration_s"


@pytest.mark.parametrize("genre, lyrics", [("rock", STANDARD), ("pop", STANDARD), ("country", STANDARD), ("rap", RAP)])
def test_a_standard_song_lasts_one_to_two_and_a_half_minutes(genre, lyrics):
    for seed in range(3):
        info = arrange(request(genre, lyrics, seed)).info
        assert info["length"] == "whole song"
        assert 60.0 <= info["duration_s"] <= 150.0, (genre, seed, info["duration_s"])


def test_the_render_is_as_long_as_the_song_and_ends_on_its_outro():
    result = generate(request("rock"))
    info = result.info
    assert result.audio.shape[0] == round(info["duration_s"] * SAMPLE_RATE)
    assert 60.0 <= result.duration_s <= 150.0
    kinds = [s["kind"] for s in info["sections"]]
    assert kinds[0] == "intro" and kinds[-1] == "outro"
    assert kinds[1:-1] == ["verse", "chorus", "verse", "chorus", "bridge", "chorus"]
    assert info["sections"][-1]["end_s"] == pytest.approx(result.duration_s)


@pytest.mark.parametrize("genre, lyrics", [("rock", STANDARD), ("rap", RAP), ("pop", STANDARD)])
def test_every_lyric_line_gets_a_melody_phrase(genre, lyrics):
    arr = arrange(request(genre, lyrics))
    sung = [p for p in arr.parts if p.kind not in ("intro", "outro")]
    sections = song_sections(lyrics)
    assert [p.label for p in sung] == [s.label for s in sections]
    lead = next(i for i in arr.midi.instruments if i.name == "lead").notes
    bar_s = arr.plan.bar_s
    for part, section in zip(sung, sections):
        assert part.texts == section.lines
        start, end = part.start_bar * bar_s, (part.start_bar + part.bars) * bar_s
        notes = [n for n in lead if start - 1e-6 <= n.start < end - 1e-6]
        assert len(notes) == sum(line_syllables(line) for line in section.lines) == len(part.melody)
    # nothing is played by the lead in the intro and the outro
    intro_end = arr.parts[0].bars * bar_s
    outro_start = arr.parts[-1].start_bar * bar_s
    assert all(intro_end - 1e-6 <= n.start < outro_start for n in lead)


def test_choruses_are_lifted_by_an_added_part():
    arr = arrange(request("pop"))
    bar_s = arr.plan.bar_s
    spans = [((p.start_bar) * bar_s, (p.start_bar + p.bars) * bar_s) for p in arr.parts if p.kind == "chorus"]
    pad = next(i for i in arr.midi.instruments if i.name == "pad")
    assert pad.notes and all(any(a - 1e-6 <= n.start < b for a, b in spans) for n in pad.notes)

    def mean_lead(kind):
        notes = [n.pitch for n in next(i for i in arr.midi.instruments if i.name == "lead").notes
                 if any(p.kind == kind and p.start_bar * bar_s <= n.start < (p.start_bar + p.bars) * bar_s for p in arr.parts)]
        return statistics.mean(notes)

    assert mean_lead("chorus") > mean_lead("verse")


@pytest.mark.parametrize("genre", ["rock", "pop", "rap", "country"])
def test_ten_seeds_give_at_least_four_keys(genre):
    infos = [arrange(request(genre, STANDARD, seed)).info for seed in range(10)]
    assert len({i["key"] for i in infos}) >= 4
    assert len({tuple(i["progression"].values()) for i in infos}) >= 3
    assert len({tuple(i["instruments"].values()) for i in infos}) >= 3


def test_the_lyrics_choose_too():
    one = arrange(request("pop", STANDARD, seed=5)).info
    others = [arrange(request("pop", STANDARD.replace("night", word), seed=5)).info for word in ("day", "sea", "sky", "rain")]
    assert any((o["key"], o["progression"]) != (one["key"], one["progression"]) for o in others)


def test_same_seed_same_whole_song_audio():
    short = "[Verse]\nHello there\n\n[Chorus]\nSing it loud"
    first, second = generate(request("pop", short, 9)), generate(request("pop", short, 9))
    assert first.audio.tobytes() == second.audio.tobytes() and first.midi_bytes == second.midi_bytes


def test_musicgen_gets_the_arrangers_whole_song_length():
    whole = request("rock", STANDARD, 4, backend="musicgen")
    assert whole_song_duration(whole, 4) == pytest.approx(arrange(request("rock", STANDARD, 4)).info["duration_s"])
    assert whole_song_duration(request("rock", STANDARD, 4, backend="musicgen", duration_s=7), 4) == 7.0
    assert whole_song_length(request("rock", STANDARD, 4)) == arrange(request("rock", STANDARD, 4)).duration_s
    with pytest.raises(InvalidRequestError):
        whole_song_length(MusicRequest(genre="rock", lyrics=STANDARD))


def test_the_musicgen_prompt_names_the_sections():
    prompt = build_music_prompt("rock", STANDARD)
    assert "sections: verse, chorus, verse, chorus, bridge, chorus;" in prompt
    assert "sections: verse, hook, verse, hook;" in build_music_prompt("rap", RAP)
    assert "sections" not in build_music_prompt("rock", "\n".join(VERSE_1))  # one stanza: nothing to name
