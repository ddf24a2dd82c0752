"""The embedded `arranger` music backend and its renderer."""

import copy
import io
import statistics
from functools import lru_cache

import numpy as np
import pretty_midi
import pytest

from songgen_core.music import arranger, render
from songgen_core.music.arranger import (
    CLAP, CRASH, HAT, KICK, RIDE, SNARE, STEPS, STICK,
    arrange, chord_pitch_classes, compose, generate, line_bars, line_rhythm, make_plan, roman,
)
from songgen_core.music.brief import build_music_prompt, count_syllables, line_syllables, make_brief, words
from songgen_core.music.render import SAMPLE_RATE, RenderError, render_midi
from songgen_core.music.request import MusicRequest
from lyrics_samples import SONG

CALM_RAP = "I walk alone in the cold rain\nSad eyes and a quiet pain\n\nLost in the grey of the city\nNo one here to show me pity"
WILD_RAP = "Party loud we fight the fire\nRun the road and we never tire\n\nBurn it up we rage and riot\nWild tonight we will not be quiet"
PEAK = 10 ** (-1 / 20)


@lru_cache(maxsize=None)
def song(genre="rock", lyrics=SONG, duration_s=12.0, seed=1):
    """generate(), cached: several tests look at the same song."""
    return generate(MusicRequest(genre=genre, lyrics=lyrics, duration_s=duration_s, seed=seed))


@lru_cache(maxsize=None)
def arrangement(genre="rock", lyrics=SONG, duration_s=60.0, seed=1):
    return arrange(MusicRequest(genre=genre, lyrics=lyrics, duration_s=duration_s, seed=seed))


def track(pm, name):
    return next(inst for inst in pm.instruments if inst.name == name)


def rms(audio):
    return float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))


def section_bars(arr, kind):
    """(first bar, bars) of each part of that kind."""
    bar_s = 240.0 / arr.info["tempo_bpm"]
    return [(round(s["start_s"] / bar_s), s["bars"]) for s in arr.info["sections"] if s["kind"] == kind]


def bar_hits(arr, bar):
    """Drum hits of one bar as (key, position in sixteenths, unrounded)."""
    step_s = 15.0 / arr.info["tempo_bpm"]
    hits = []
    for note in track(arr.midi, "drums").notes:
        pos = note.start / step_s - bar * STEPS
        if -0.01 <= pos < STEPS - 0.01:
            hits.append((note.pitch, pos))
    return hits


def steps_of(hits, key):
    return sorted(round(p, 2) for k, p in hits if k == key)


# ---------------------------------------------------------------------------
# Determinism and the audio itself


def test_same_seed_gives_identical_bytes():
    first = generate(MusicRequest(genre="pop", lyrics=SONG, duration_s=8, seed=42))
    second = generate(MusicRequest(genre="pop", lyrics=SONG, duration_s=8, seed=42))
    assert first.audio.tobytes() == second.audio.tobytes()
    assert first.midi_bytes == second.midi_bytes
    assert first.info == second.info


def test_another_seed_gives_another_song():
    one, two = song(seed=1), song(seed=2)
    assert one.audio.shape == two.audio.shape
    assert not np.array_equal(one.audio, two.audio)
    lead_one = [(n.pitch, round(n.start, 3)) for n in track(arrangement(seed=1).midi, "lead").notes]
    lead_two = [(n.pitch, round(n.start, 3)) for n in track(arrangement(seed=2).midi, "lead").notes]
    assert lead_one != lead_two
    choices = lambda r: (r.info["tempo_bpm"], r.info["key"], r.info["progression"], r.info["instruments"])  # noqa: E731
    assert choices(one) != choices(two)


def test_no_seed_picks_one_and_records_it():
    result = generate(MusicRequest(genre="rock", lyrics="one line only", duration_s=3))
    seed = result.info["seed"]
    assert isinstance(seed, int) and 0 <= seed < 2**32
    again = generate(MusicRequest(genre="rock", lyrics="one line only", duration_s=3, seed=seed))
    assert again.audio.tobytes() == result.audio.tobytes()


def test_audio_is_stereo_float32_loud_and_never_clipped():
    result = song()
    assert result.sample_rate == SAMPLE_RATE == 44100
    assert result.audio.dtype == np.float32 and result.audio.ndim == 2 and result.audio.shape[1] == 2
    peak = float(np.max(np.abs(result.audio)))
    assert peak <= 1.0
    assert peak == pytest.approx(PEAK, abs=1e-4)  # -1 dBFS
    assert rms(result.audio) > 0.05


@pytest.mark.parametrize("duration_s", [5.0, 12.5, 30.0])
def test_duration_matches_the_request(duration_s):
    result = generate(MusicRequest(genre="rap", lyrics=SONG, duration_s=duration_s, seed=3))
    assert abs(result.duration_s - duration_s) <= 0.25
    assert result.audio.shape[0] == round(duration_s * SAMPLE_RATE)
    assert result.info["sections"][-1]["end_s"] == pytest.approx(duration_s)
    assert rms(result.audio) > 0.05
    # the whole song sounds, not only its start
    quarters = np.array_split(result.audio, 4)
    assert min(rms(q) for q in quarters[:3]) > 0.02


def test_song_fades_out_at_the_end():
    audio = song().audio
    tail = audio[-int(0.02 * SAMPLE_RATE):]
    assert rms(tail) < 0.05 * rms(audio)
    assert float(np.max(np.abs(audio[-1]))) < 1e-3


def test_result_metadata():
    result = song()
    assert result.backend == "arranger"
    assert result.model == "arranger (TimGM6mb.sf2)"
    assert result.prompt == build_music_prompt("rock", SONG)
    info = result.info
    assert info["seed"] == 1
    assert 110 <= info["tempo_bpm"] <= 150
    assert info["key"].split()[1] in ("major", "minor")
    assert set(info["progression"]) == {"verse", "chorus", "bridge"}  # the bridge progression is new (whole songs)
    assert all(len(p.split("-")) == 4 for p in info["progression"].values())
    assert info["sections"][0]["start_s"] == 0.0
    assert info["instrumental"] is False


def test_progress_is_reported_from_zero_to_one():
    calls = []
    generate(MusicRequest(genre="pop", lyrics="la la la", duration_s=2, seed=0), progress=lambda f, m: calls.append((f, m)))
    fractions = [f for f, _ in calls]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert all(isinstance(m, str) and m for _, m in calls)


# ---------------------------------------------------------------------------
# The MIDI


def test_midi_bytes_parse_back_with_the_five_parts():
    result = song()
    pm = pretty_midi.PrettyMIDI(io.BytesIO(result.midi_bytes))
    # the pad is new: the part added to choruses (this 12 s song reaches its chorus)
    assert sorted(inst.name for inst in pm.instruments) == ["bass", "comping", "drums", "lead", "pad"]
    assert [inst.is_drum for inst in pm.instruments].count(True) == 1
    assert all(inst.notes for inst in pm.instruments)
    assert track(pm, "comping").program in (29, 30)  # overdriven / distortion guitar
    assert {KICK, SNARE} <= {n.pitch for n in track(pm, "drums").notes}
    original = compose(MusicRequest(genre="rock", lyrics=SONG, duration_s=12, seed=1))
    assert sum(len(i.notes) for i in pm.instruments) == sum(len(i.notes) for i in original.instruments)
    assert pm.get_end_time() <= 12.0 + 1e-3


@pytest.mark.parametrize(
    "genre, lyrics, comping, bass",
    [("rock", SONG, (29, 30), (33, 34)), ("pop", SONG, (0, 90), (38, 33)), ("rap", CALM_RAP, (4, 5), (33, 32)),
     ("rap", WILD_RAP, (4, 90), (38, 39)), ("country", SONG, (25, 24), (32, 33))],
)
def test_instruments_per_genre(genre, lyrics, comping, bass):
    pm = arrangement(genre, lyrics).midi
    assert track(pm, "comping").program in comping
    assert track(pm, "bass").program in bass
    assert track(pm, "drums").is_drum


def test_no_overlapping_notes_of_one_key():
    for genre in ("rock", "pop", "rap", "country"):
        for inst in arrangement(genre).midi.instruments:
            last_end = {}
            for note in sorted(inst.notes, key=lambda n: n.start):
                assert note.end > note.start
                assert note.start >= last_end.get(note.pitch, 0.0) - 1e-9
                last_end[note.pitch] = note.end


# ---------------------------------------------------------------------------
# Genres: tempo and drum patterns


def test_tempo_is_in_the_genre_range_and_seed_dependent():
    for genre, lyrics in (("rock", SONG), ("pop", SONG), ("rap", CALM_RAP), ("rap", WILD_RAP), ("country", SONG)):
        lo, hi = make_brief(genre, lyrics).tempo_range
        tempos = {arrange(MusicRequest(genre=genre, lyrics=lyrics, duration_s=2, seed=s)).info["tempo_bpm"] for s in range(8)}
        assert all(lo <= t <= hi for t in tempos)
        assert len(tempos) > 1
    assert arrangement("rap", CALM_RAP).info["tempo_bpm"] <= 100 < 130 <= arrangement("rap", WILD_RAP).info["tempo_bpm"]


def _first_verse_bar(arr):
    return section_bars(arr, "verse")[0][0]


def test_rock_backbeat():
    arr = arrangement("rock")
    hits = bar_hits(arr, _first_verse_bar(arr))
    assert steps_of(hits, SNARE) == [4, 12]
    assert steps_of(hits, KICK)[0] == 0 and 8 in steps_of(hits, KICK)
    assert steps_of(hits, HAT) == list(range(0, 16, 2))


def test_pop_backbeat_with_claps():
    arr = arrangement("pop")
    start, bars = section_bars(arr, "chorus")[0]
    hits = bar_hits(arr, start + 1)
    assert steps_of(hits, CLAP) == [4, 12] and steps_of(hits, SNARE) == [4, 12]
    assert steps_of(hits, KICK) == [0, 4, 8, 12]  # four on the floor in the chorus


def test_boom_bap_swings_its_sixteenths():
    arr = arrangement("rap", CALM_RAP)
    assert arr.info["style"] == "boom-bap"
    hats = [p for k, p in bar_hits(arr, _first_verse_bar(arr)) if k == HAT]
    assert len(hats) == 16
    offsets = [p - round(p) for p in hats]
    on_beat, off_beat = offsets[0::2], offsets[1::2]
    assert all(abs(o) < 1e-6 for o in on_beat)
    assert all(0.1 < o < 0.26 for o in off_beat)  # the off 16ths are late: swing


def test_trap_half_time_with_rolling_hats_and_long_bass():
    arr = arrangement("rap", WILD_RAP)
    assert arr.info["style"] == "trap"
    first, bars = section_bars(arr, "verse")[0]
    for bar in range(first, first + bars):
        assert steps_of(bar_hits(arr, bar), SNARE) == [8]  # snare on 3 only: half-time
    step_s = 15.0 / arr.info["tempo_bpm"]
    hat_times = sorted(n.start for n in track(arr.midi, "drums").notes if n.pitch == HAT)
    assert min(np.diff(hat_times)) < 0.7 * step_s  # 32nd or triplet rolls
    bass = track(arr.midi, "bass").notes
    assert statistics.median(n.end - n.start for n in bass) >= 2.5 * step_s  # long 808 notes


def test_generic_style_for_unknown_genre():
    arr = arrangement("country")
    assert arr.info["style"] == "generic"
    hits = bar_hits(arr, _first_verse_bar(arr))
    assert steps_of(hits, STICK) == [4, 12]
    assert steps_of(hits, HAT) == [0, 4, 8, 12]


def test_each_genre_has_its_own_groove():
    def signature(arr):
        return frozenset((k, round(p)) for k, p in bar_hits(arr, _first_verse_bar(arr)))

    grooves = {signature(arrangement(g, lyrics)) for g, lyrics in
               (("rock", SONG), ("pop", SONG), ("rap", CALM_RAP), ("rap", WILD_RAP), ("country", SONG))}
    assert len(grooves) == 5


@pytest.mark.parametrize("genre", ["rock", "pop", "rap", "country"])
def test_chorus_is_busier_and_higher_than_verse(genre):
    arr = arrangement(genre)
    bar_s = 240.0 / arr.info["tempo_bpm"]

    def drums_per_bar(kind):
        counts = [len(bar_hits(arr, start + b)) for start, bars in section_bars(arr, kind) for b in range(bars - 1)]
        return statistics.mean(counts)

    def lead_pitch(kind):
        spans = [(s * bar_s, (s + b) * bar_s) for s, b in section_bars(arr, kind)]
        return statistics.mean(n.pitch for n in track(arr.midi, "lead").notes if any(a <= n.start < e for a, e in spans))

    assert drums_per_bar("chorus") > drums_per_bar("verse")
    assert lead_pitch("chorus") > lead_pitch("verse")


def test_rock_chorus_opens_with_a_crash_and_rides():
    arr = arrangement("rock")
    start, _ = section_bars(arr, "chorus")[0]
    hits = bar_hits(arr, start + 1)
    assert (CRASH, 0.0) in bar_hits(arr, start)
    assert steps_of(hits, RIDE) == list(range(0, 16, 2))


# ---------------------------------------------------------------------------
# Harmony and the melody


def test_roman_numerals():
    major, minor = arranger.SCALES["major"], arranger.SCALES["minor"]
    assert [roman(d, major) for d in range(7)] == ["I", "ii", "iii", "IV", "V", "vi", "vii°"]
    assert [roman(d, minor) for d in range(7)] == ["i", "ii°", "III", "iv", "v", "VI", "VII"]


def test_bass_plays_the_chord_roots():
    arr = arrangement("pop")
    plan = make_plan(arr.brief, arr.info["seed"])
    bar_s = 240.0 / arr.info["tempo_bpm"]
    degrees = [(start + b, plan.progressions["verse"][b % 4]) for start, bars in section_bars(arr, "verse") for b in range(bars)]
    bass = track(arr.midi, "bass").notes
    for bar, degree in degrees:
        first = min((n for n in bass if abs(n.start - bar * bar_s) < 1e-6), key=lambda n: n.pitch)
        assert first.pitch % 12 == chord_pitch_classes(plan, degree)[0]


def test_line_rhythm_one_note_per_syllable_and_a_rest_at_the_end():
    recipe = arranger.RECIPES["pop"]
    rng = np.random.default_rng(0)
    for syllables in (1, 3, 7, 14, 15, 28, 40):
        bars = line_bars(syllables, recipe)
        rhythm = line_rhythm(syllables, bars, recipe.unit, rng)
        assert len(rhythm) == syllables
        ends = [start + length for start, length in rhythm]
        assert all(a_end <= b_start for a_end, (b_start, _) in zip(ends, rhythm[1:]))
        assert ends[-1] <= bars * STEPS - 4
    # two bars per line; doubled only when even sixteenths do not fit (28 = 2 bars - a quarter rest)
    assert (line_bars(14, recipe), line_bars(28, recipe), line_bars(29, recipe), line_bars(61, recipe)) == (2, 2, 4, 8)
    assert line_bars(12, arranger.RECIPES["boom-bap"]) == 1 and line_bars(13, arranger.RECIPES["boom-bap"]) == 2


def test_melody_has_one_note_per_syllable_in_each_section():
    arr = arrangement("rock")
    bar_s = 240.0 / arr.info["tempo_bpm"]
    lead = track(arr.midi, "lead").notes
    stanzas = [("verse", SONG.split("\n\n")[0]), ("chorus", SONG.split("\n\n")[1])]
    for kind, text in stanzas:
        start, bars = section_bars(arr, kind)[0]
        notes = [n for n in lead if start * bar_s <= n.start < (start + bars) * bar_s]
        expected = sum(line_syllables(line) for line in text.splitlines() if not line.startswith("["))
        assert len(notes) == expected


def test_sections_follow_the_stanzas():
    info = arrangement("rock", duration_s=60.0).info
    sections = [s for s in info["sections"] if s["kind"] != "intro"]
    assert [(s["kind"], s["label"], s["lines"]) for s in sections[:4]] == [
        ("verse", "Verse 1", 2), ("chorus", "Chorus", 2), ("verse", "Verse 2", 2), ("chorus", "Chorus", 2)]
    assert all(s["kind"] == "chorus" for s in sections[4:])  # the rest of the time: the chorus again
    assert info["sections"][0]["kind"] == "intro"
    ends = [s["end_s"] for s in info["sections"]]
    starts = [s["start_s"] for s in info["sections"]]
    assert starts[1:] == pytest.approx(ends[:-1], abs=1e-3)  # back to back
    assert ends[-1] == pytest.approx(60.0)


def test_a_repeated_chorus_is_sung_to_the_same_tune():
    arr = arrangement("pop", duration_s=60.0)
    bar_s = 240.0 / arr.info["tempo_bpm"]
    tunes = []
    for start, bars in section_bars(arr, "chorus")[:2]:
        tunes.append([(n.pitch, round(n.start - start * bar_s, 4)) for n in track(arr.midi, "lead").notes
                      if start * bar_s <= n.start < (start + bars) * bar_s])
    assert tunes[0] and tunes[0] == tunes[1]


def test_short_songs_cut_the_form_and_long_lyrics_are_cut():
    short = arrangement("rock", duration_s=5.0)
    assert short.info["sections"][0]["kind"] == "verse"  # no intro under 12 s
    assert short.info["sections"][-1]["end_s"] == pytest.approx(5.0)
    assert max(n.end for inst in short.midi.instruments for n in inst.notes) <= 5.0 + 1e-9


def test_empty_lyrics_get_a_default_instrumental_form():
    result = generate(MusicRequest(genre="pop", lyrics="", duration_s=40, seed=5))
    kinds = [s["kind"] for s in result.info["sections"]]
    assert kinds[:3] == ["intro", "verse", "chorus"]
    assert result.info["instrumental"] is True
    assert rms(result.audio) > 0.05
    assert track(compose(MusicRequest(genre="pop", lyrics="", duration_s=40, seed=5)), "lead").notes


def test_words_without_syllables_do_not_break_the_melody():
    lyrics = "...\nok\n!!!"
    arr = arrange(MusicRequest(genre="rock", lyrics=lyrics, duration_s=6, seed=0))
    assert len(track(arr.midi, "lead").notes) == sum(count_syllables(w) for w in words(lyrics))


# ---------------------------------------------------------------------------
# Instruments are audible: spectral checks on stems rendered without normalising


def _only(pm, *names):
    stem = copy.deepcopy(pm)
    stem.instruments = [inst for inst in stem.instruments if inst.name in names]
    return stem


def _band_power(audio, lo_hz, hi_hz):
    spectrum = np.abs(np.fft.rfft(audio.mean(axis=1).astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(audio.shape[0], 1 / SAMPLE_RATE)
    return float(spectrum[(freqs >= lo_hz) & (freqs < hi_hz)].sum())


@pytest.mark.parametrize("genre, lyrics", [("rock", SONG), ("rap", CALM_RAP)])
def test_drums_bass_and_melody_are_audible_where_expected(genre, lyrics):
    arr = arrange(MusicRequest(genre=genre, lyrics=lyrics, duration_s=12, seed=0))
    stems = {
        names: render_midi(_only(arr.midi, *names), duration_s=12, normalize=False)
        for names in [("drums", "bass", "comping", "lead"), ("bass", "comping", "lead"), ("drums", "bass"), ("drums", "bass", "comping"), ("lead",)]
    }
    full = stems[("drums", "bass", "comping", "lead")]
    low, high, mid = (20, 150), (5000, 22050), (200, 4000)
    # hats and cymbals: most of the power above 5 kHz is the drums'
    assert _band_power(stems[("bass", "comping", "lead")], *high) < 0.3 * _band_power(full, *high)
    assert _band_power(full, *high) > 1e-3 * _band_power(full, 0, 22050)
    # kick and bass: the low end is theirs, and there is a low end
    assert _band_power(stems[("drums", "bass")], *low) > 0.9 * _band_power(full, *low)
    assert _band_power(full, *low) > 0.15 * _band_power(full, 0, 22050)
    # the melody lives in the mid band and is a good part of it
    lead = stems[("lead",)]
    assert _band_power(lead, *mid) > 0.5 * _band_power(lead, 0, 22050)
    assert _band_power(stems[("drums", "bass", "comping")], *mid) < 0.8 * _band_power(full, *mid)


# ---------------------------------------------------------------------------
# The renderer


def _one_note(start, end, pitch=60, program=0, is_drum=False):
    pm = pretty_midi.PrettyMIDI()
    inst = pretty_midi.Instrument(program=program, is_drum=is_drum)
    inst.notes.append(pretty_midi.Note(100, pitch, start, end))
    pm.instruments.append(inst)
    return pm


def test_render_starts_notes_on_the_exact_sample():
    audio = render_midi(_one_note(1.0, 1.2, pitch=KICK, is_drum=True), duration_s=2.0, normalize=False)
    sounding = np.nonzero(np.abs(audio).sum(axis=1))[0]
    assert sounding[0] == SAMPLE_RATE


def test_render_length_and_peak():
    audio = render_midi(_one_note(0.0, 0.5), duration_s=1.25)
    assert audio.shape == (round(1.25 * SAMPLE_RATE), 2)
    assert float(np.max(np.abs(audio))) == pytest.approx(PEAK, abs=1e-4)
    untimed = render_midi(_one_note(0.0, 0.5))
    assert untimed.shape[0] == round((0.5 + render.RELEASE_TAIL_S) * SAMPLE_RATE)


def test_render_raises_on_silence():
    with pytest.raises(RenderError, match="silence"):
        render_midi(pretty_midi.PrettyMIDI(), duration_s=1.0)
    with pytest.raises(RenderError, match="silence"):
        render_midi(_one_note(3.0, 4.0), duration_s=2.0)  # the only note starts after the end


def test_render_raises_on_too_many_instruments():
    pm = pretty_midi.PrettyMIDI()
    pm.instruments = [pretty_midi.Instrument(program=p) for p in range(16)]
    pm.instruments[0].notes.append(pretty_midi.Note(100, 60, 0.0, 0.5))
    with pytest.raises(RenderError, match="too many instruments"):
        render_midi(pm, duration_s=1.0)


def test_soundfont_is_loaded_once_per_process():
    render_midi(_one_note(0.0, 0.2), duration_s=0.5)
    before = render._loaded_soundfont.cache_info()
    render_midi(_one_note(0.0, 0.2), duration_s=0.5)
    after = render._loaded_soundfont.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 1
