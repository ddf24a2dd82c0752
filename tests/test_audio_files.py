"""Audio files: WAV/MP3 round trips, bytes for downloads, atomic writes, safe names."""

from __future__ import annotations

import io
import os

import unicodedata

import numpy as np
import pytest
import soundfile

from songgen_core import audio as audio_files
from songgen_core.audio import (mp3_bytes, read_audio, resample, safe_filename, wav_bytes, write_midi, write_mp3,
                                write_wav)
from songgen_core.errors import InvalidRequestError

RATE = 32000


def _sine(freq=440.0, seconds=1.0, rate=RATE, channels=1, amplitude=0.5):
    t = np.arange(int(seconds * rate)) / rate
    mono = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    if channels == 1:
        return mono
    return np.stack([mono, (amplitude * np.sin(2 * np.pi * freq * 1.5 * t)).astype(np.float32)], axis=1)


def _music(seconds=2.0, rate=RATE):
    """Something with structure to correlate against: a few decaying notes."""
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * rate)) / rate
    out = np.zeros_like(t)
    for start, freq in zip(np.arange(0, seconds, 0.25), rng.uniform(200, 1200, size=int(seconds * 4))):
        mask = t >= start
        out[mask] += 0.3 * np.sin(2 * np.pi * freq * (t[mask] - start)) * np.exp(-4 * (t[mask] - start))
    return out.astype(np.float32)


def _no_temp_files(folder):
    return [name for name in os.listdir(folder) if name.endswith(".tmp")] == []


# --------------------------------------------------------------------------- WAV


@pytest.mark.parametrize("channels", [1, 2])
def test_wav_round_trip(tmp_path, channels):
    source = _sine(channels=channels)
    path = write_wav(tmp_path / "song.wav", source, RATE)
    decoded, rate = soundfile.read(path, dtype="float32", always_2d=True)
    info = soundfile.info(path)
    assert (rate, info.subtype, decoded.shape[1]) == (RATE, "PCM_16", channels)
    np.testing.assert_allclose(decoded, source.reshape(len(source), -1), atol=1 / 32768 + 1e-7)


def test_wav_bytes_equal_the_file(tmp_path):
    source = _sine(channels=2)
    path = write_wav(tmp_path / "song.wav", source, RATE)
    assert path.read_bytes() == wav_bytes(source, RATE)


def test_wav_rounds_to_the_nearest_16_bit_step():
    """libsndfile floors floats to 16 bits (a half-step bias in every sample, and a step per
    stem when stems are added up); wav_bytes rounds."""
    steps = np.array([-6.3, -5.6, -0.7, -0.4, 0.0, 0.4, 0.7, 5.6, 6.3])
    back, _rate = soundfile.read(io.BytesIO(wav_bytes((steps / 32768).astype(np.float32), 8000)), dtype="int16")
    assert back.tolist() == [-6, -6, -1, 0, 0, 0, 1, 6, 6]


def test_wav_clips_instead_of_wrapping(tmp_path):
    source = np.array([0.0, 1.5, -1.5, 0.5], dtype=np.float32)
    decoded, _ = soundfile.read(io.BytesIO(wav_bytes(source, 8000)), dtype="float32")
    assert decoded[1] > 0.99 and decoded[2] < -0.99


# --------------------------------------------------------------------------- MP3


def _align(reference: np.ndarray, decoded: np.ndarray, max_lag: int = 3000) -> int:
    """Lag (in samples) of `decoded` against `reference` with the best correlation."""
    best, best_lag = -np.inf, 0
    n = len(reference) - 2 * max_lag
    for lag in range(-max_lag, max_lag + 1):
        segment = decoded[max_lag + lag: max_lag + lag + n]
        if len(segment) < n:
            continue
        score = float(np.dot(reference[max_lag: max_lag + n], segment))
        if score > best:
            best, best_lag = score, lag
    return best_lag


def test_mp3_round_trip(tmp_path):
    source = _music(seconds=2.0)
    path = write_mp3(tmp_path / "song.mp3", source, RATE)
    decoded, rate = soundfile.read(path, dtype="float32")
    assert rate == RATE
    assert abs(len(decoded) / rate - len(source) / RATE) < 0.1
    lag = _align(source, decoded)
    n = min(len(source), len(decoded) - lag) - 3000
    a, b = source[1000:n], decoded[1000 + lag: n + lag]
    assert np.corrcoef(a, b)[0, 1] > 0.95


def test_mp3_keeps_the_pitch_of_a_sine(tmp_path):
    decoded, rate = soundfile.read(write_mp3(tmp_path / "a440.mp3", _sine(440.0, seconds=1.0), RATE), dtype="float32")
    spectrum = np.abs(np.fft.rfft(decoded * np.hanning(len(decoded))))
    peak_hz = np.argmax(spectrum) * rate / len(decoded)
    assert abs(peak_hz - 440.0) < 3.0


def test_mp3_bitrate_is_respected():
    source = _music(seconds=4.0)
    low, high = mp3_bytes(source, RATE, bitrate_kbps=64), mp3_bytes(source, RATE, bitrate_kbps=192)
    # Constant bitrate: about kbps * seconds / 8 kilobytes, plus headers.
    assert abs(len(high) - 192 * 4 * 1000 / 8) < 0.1 * 192 * 4 * 1000 / 8
    assert len(low) < len(high) / 2.5


def test_mp3_bytes_equal_the_file(tmp_path):
    source = _sine(channels=2)
    path = write_mp3(tmp_path / "song.mp3", source, RATE)
    assert path.read_bytes() == mp3_bytes(source, RATE)
    decoded, _ = soundfile.read(path, always_2d=True)
    assert decoded.shape[1] == 2


def test_mp3_resamples_rates_mp3_lacks():
    # The tiny test models play at 1600 Hz; MP3 has no such rate.
    decoded, rate = soundfile.read(io.BytesIO(mp3_bytes(_sine(200.0, rate=1600), 1600)), dtype="float32")
    assert rate == 32000 and abs(len(decoded) / rate - 1.0) < 0.1


def test_mp3_falls_back_to_lameenc(monkeypatch):
    monkeypatch.setattr(audio_files.soundfile, "available_formats", lambda: {"WAV": "WAV"})
    data = mp3_bytes(_sine(), RATE)
    decoded, rate = soundfile.read(io.BytesIO(data), dtype="float32")
    assert rate == RATE and abs(len(decoded) / rate - 1.0) < 0.1


@pytest.mark.parametrize("bitrate", [0, 16, 500, 192.0, True])
def test_bad_bitrate(bitrate):
    with pytest.raises(InvalidRequestError):
        mp3_bytes(_sine(), RATE, bitrate_kbps=bitrate)


# --------------------------------------------------------------------------- atomic writes


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "song.wav"
    write_wav(path, _sine(), RATE)
    write_wav(path, _sine(880.0), RATE)
    assert _no_temp_files(tmp_path) and sorted(os.listdir(tmp_path)) == ["song.wav"]
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)  # not the temp file's private mode


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    path = tmp_path / "song.wav"

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(audio_files.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_wav(path, _sine(), RATE)
    assert os.listdir(tmp_path) == []


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = write_wav(tmp_path / "song.wav", _sine(), RATE)
    before = path.read_bytes()
    monkeypatch.setattr(audio_files.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("I/O error")))
    with pytest.raises(OSError):
        write_wav(path, _sine(880.0), RATE)
    assert path.read_bytes() == before and _no_temp_files(tmp_path)


def test_bad_audio_writes_nothing(tmp_path):
    with pytest.raises(InvalidRequestError):
        write_mp3(tmp_path / "song.mp3", np.array([np.nan], dtype=np.float32), RATE)
    assert os.listdir(tmp_path) == []


def test_missing_folder_is_an_os_error(tmp_path):
    with pytest.raises(OSError):
        write_wav(tmp_path / "missing" / "song.wav", _sine(), RATE)


def test_write_midi(tmp_path):
    import pretty_midi

    midi = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0)
    piano.notes.append(pretty_midi.Note(velocity=90, pitch=60, start=0.0, end=0.5))
    midi.instruments.append(piano)
    buffer = io.BytesIO()
    midi.write(buffer)
    path = write_midi(tmp_path / "song.mid", buffer.getvalue())
    assert pretty_midi.PrettyMIDI(str(path)).instruments[0].notes[0].pitch == 60
    with pytest.raises(InvalidRequestError):
        write_midi(tmp_path / "bad.mid", b"not midi")
    assert _no_temp_files(tmp_path) and not (tmp_path / "bad.mid").exists()


# --------------------------------------------------------------------------- input checks


@pytest.mark.parametrize("bad", [
    np.zeros((10, 3), dtype=np.float32),       # three channels
    np.zeros((2, 10, 1), dtype=np.float32),    # 3-D
    np.zeros(0, dtype=np.float32),             # empty
    np.array([0.0, np.inf], dtype=np.float32),  # infinite
    np.array([0.0, np.nan]),                   # NaN
    np.zeros(10, dtype=np.int16),              # not float
    [0.0, 0.1],                                # not an array
])
def test_bad_audio_is_refused(bad):
    with pytest.raises(InvalidRequestError):
        wav_bytes(bad, RATE)


@pytest.mark.parametrize("rate", [0, -8000, 44100.0, True, 10**7])
def test_bad_sample_rate_is_refused(rate):
    with pytest.raises(InvalidRequestError, match="sample_rate"):
        wav_bytes(_sine(), rate)


def test_float64_and_column_audio_are_accepted():
    assert wav_bytes(_sine().astype(np.float64), RATE) == wav_bytes(_sine()[:, None], RATE)


# --------------------------------------------------------------------------- reading and resampling


def test_read_audio_and_resample(tmp_path):
    path = write_wav(tmp_path / "a.wav", _sine(440.0, rate=44100, channels=2), 44100)
    audio, rate = read_audio(path)
    assert rate == 44100 and audio.shape == (44100, 2) and audio.dtype == np.float32
    down = resample(audio, 44100, 32000)
    assert down.shape == (32000, 2)
    spectrum = np.abs(np.fft.rfft(down[:, 0] * np.hanning(32000)))
    assert abs(np.argmax(spectrum) * 32000 / 32000 - 440.0) < 2.0
    # Away from the edges the resampled sine is the sine at the new rate.
    expected = _sine(440.0, rate=32000)
    np.testing.assert_allclose(down[1000:-1000, 0], expected[1000:-1000], atol=2e-3)
    assert resample(_sine(), RATE, RATE).shape == (RATE,)


def test_read_audio_refuses_non_audio(tmp_path):
    bad = tmp_path / "x.wav"
    bad.write_bytes(b"RIFF nonsense")
    with pytest.raises(InvalidRequestError, match="melody"):
        read_audio(bad, field="melody")
    with pytest.raises(InvalidRequestError):
        read_audio(tmp_path / "missing.wav")


# --------------------------------------------------------------------------- safe names


@pytest.mark.parametrize("title, expected", [
    ("../../etc/passwd", "etc-passwd"),
    ("CON", "con-song"),
    ("nul", "nul-song"),
    ("com1", "com1-song"),
    ("con.txt", "con-txt"),
    ("Café del Mar!", "cafe-del-mar"),
    ("", "song"),
    ("   ", "song"),
    ("🎵🎶🎸", "song"),
    (None, "song"),
    (".hidden", "hidden"),
    ("C:\\Windows\\System32", "c-windows-system32"),
    ("Ünïcødé   Sōng  2024", "unicode-song-2024"),
    ("a/b\\c:d*e?f\"g<h>i|j", "a-b-c-d-e-f-g-h-i-j"),
    # Other scripts keep their letters (issue 9, item 10: an Arabic title downloaded as song.mp3).
    ("فيروز", "فيروز"),
    ("أغنية الليل", "أغنية-الليل"),
    ("東京 ナイト!", "東京-ナイト"),
    ("नमस्ते दुनिया", "नमस्ते-दुनिया"),
    ("Привет, мир", "привет-мир"),
    ("ＡＢＣ", "abc"),
])
def test_safe_filename(title, expected):
    assert safe_filename(title) == expected


def test_safe_filename_long_titles_are_cut():
    name = safe_filename("la " * 100)
    assert len(name) <= 80 and not name.endswith("-") and name.startswith("la-la")
    assert len(safe_filename("x" * 500, max_len=10)) == 10


def test_safe_filename_default_and_limits():
    assert safe_filename("", default="Untitled Track") == "untitled-track"
    assert safe_filename("", default="../..") == "song"
    assert safe_filename("CON", max_len=3) == "son"  # "con-song" cut to "con" would be reserved again
    with pytest.raises(ValueError):
        safe_filename("x", max_len=0)


def test_safe_filename_is_always_safe():
    rng = np.random.default_rng(1)
    alphabet = list("abcXYZ019 ._-/\\:*?\"<>|\x00\t\né€😀ب東\u200f\u202e\u0301") + ["..", "CON", "nul"]
    for _ in range(300):
        title = "".join(rng.choice(alphabet, size=rng.integers(0, 30)))
        name = safe_filename(title)
        assert name and len(name) <= 80
        assert all((c.isascii() and (c.isalnum() or c in "-_")) or (not c.isascii() and unicodedata.category(c)[0] in "LNM")
                   for c in name)
        assert not name.startswith((".", "-", "_")) and name.upper() not in {"CON", "PRN", "AUX", "NUL"}
