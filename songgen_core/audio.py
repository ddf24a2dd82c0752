"""Audio files: WAV and MP3 (files and in-memory bytes for downloads), MIDI files,
safe file names, reading a reference audio file, and resampling.

Every file write is atomic: the data goes to a temporary file in the target's
folder, which then replaces the target with `os.replace`, so a reader never sees
a half-written file and a failed write leaves nothing behind.

Audio arrays everywhere are float, shape (samples,) or (samples, channels) with
1 or 2 channels, values nominally in [-1, 1].
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from pathlib import Path

import numpy as np
import soundfile

from .errors import InvalidRequestError
from .files import atomic_write_bytes

MAX_SAMPLE_RATE = 384_000
# MPEG-1 Layer III sample rates. Other rates are resampled to one of these so the
# whole 32-320 kbps range is available (MPEG-2/2.5 rates cap the bitrate at 160/64).
MP3_SAMPLE_RATES = (32_000, 44_100, 48_000)
MIN_MP3_KBPS, MAX_MP3_KBPS = 32, 320

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}

# Read once: temporary files are created 0600, the final file should get the usual
# mode. Reading the umask means setting it, which is why it is done at import only.


# --------------------------------------------------------------------------- checks


def check_audio(audio, sample_rate, field: str = "audio") -> np.ndarray:
    """Return `audio` as a C-contiguous float32 array of shape (samples, channels).

    Raises `InvalidRequestError` (field `field`, or `sample_rate`) when the audio is
    not a float array, is empty, is not 1-D or 2-D (samples, channels) with 1 or 2
    channels, holds NaN or infinity, or when the sample rate is not a whole number
    from 1 to 384000.
    """
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) or not (1 <= sample_rate <= MAX_SAMPLE_RATE):
        raise InvalidRequestError("sample_rate", f"must be a whole number of Hz from 1 to {MAX_SAMPLE_RATE}, got {sample_rate!r}")
    if not isinstance(audio, np.ndarray) or not np.issubdtype(audio.dtype, np.floating):
        raise InvalidRequestError(field, "must be a numpy array of floats")
    if audio.ndim == 1:
        audio = audio[:, None]
    if audio.ndim != 2 or audio.shape[1] not in (1, 2):
        raise InvalidRequestError(field, f"must have shape (samples,) or (samples, channels) with 1 or 2 channels, got {audio.shape}")
    if audio.shape[0] == 0:
        raise InvalidRequestError(field, "is empty")
    if not np.isfinite(audio).all():
        raise InvalidRequestError(field, "contains NaN or infinite values")
    return np.ascontiguousarray(audio, dtype=np.float32)


def _to_pcm_range(audio: np.ndarray) -> np.ndarray:
    # libsndfile does not clip by default when converting float to integer PCM:
    # a sample just above 1.0 wraps around to full negative scale. Clip instead.
    return np.clip(audio, -1.0, 1.0)


# --------------------------------------------------------------------------- bytes


def wav_bytes(audio: np.ndarray, sample_rate: int, subtype: str = "PCM_16") -> bytes:
    """Encode audio as a WAV file in memory (16-bit PCM by default).

    Samples outside [-1, 1] are clipped. Raises `InvalidRequestError` on bad audio
    (see `check_audio`) or an unknown `subtype`.
    """
    audio = _to_pcm_range(check_audio(audio, sample_rate))
    if subtype not in soundfile.available_subtypes("WAV"):
        raise InvalidRequestError("subtype", f"unknown WAV subtype {subtype!r}")
    if subtype == "PCM_16":
        # Round to the nearest step ourselves: libsndfile's float-to-16-bit conversion floors,
        # which biases every sample by half a step (and stems by half a step each).
        audio = np.clip(np.round(audio.astype(np.float64) * 32768.0), -32768, 32767).astype(np.int16)
    buffer = io.BytesIO()
    soundfile.write(buffer, audio, int(sample_rate), format="WAV", subtype=subtype)
    return buffer.getvalue()


def mp3_bytes(audio: np.ndarray, sample_rate: int, bitrate_kbps: int = 192) -> bytes:
    """Encode audio as a constant-bitrate MP3 in memory.

    Uses libsndfile's MP3 encoder when this soundfile build has one, else lameenc.
    Audio at a rate MP3 (MPEG-1) does not support is resampled to the nearest of
    32, 44.1 or 48 kHz first; samples outside [-1, 1] are clipped. Raises
    `InvalidRequestError` on bad audio or a bitrate outside 32-320 kbps.
    """
    audio = _to_pcm_range(check_audio(audio, sample_rate))
    if isinstance(bitrate_kbps, bool) or not isinstance(bitrate_kbps, (int, np.integer)) or not (MIN_MP3_KBPS <= bitrate_kbps <= MAX_MP3_KBPS):
        raise InvalidRequestError("bitrate_kbps", f"must be a whole number from {MIN_MP3_KBPS} to {MAX_MP3_KBPS}, got {bitrate_kbps!r}")
    rate = mp3_sample_rate(int(sample_rate))
    if rate != sample_rate:
        audio = _to_pcm_range(resample(audio, int(sample_rate), rate))
    if "MP3" in soundfile.available_formats():
        return _mp3_bytes_libsndfile(audio, rate, int(bitrate_kbps))
    return _mp3_bytes_lameenc(audio, rate, int(bitrate_kbps))


def mp3_sample_rate(sample_rate: int) -> int:
    """The MPEG-1 Layer III sample rate used for audio at `sample_rate`:
    the rate itself when allowed, else the smallest allowed rate above it (48 kHz
    for anything higher)."""
    if sample_rate in MP3_SAMPLE_RATES:
        return sample_rate
    return next((rate for rate in MP3_SAMPLE_RATES if rate >= sample_rate), MP3_SAMPLE_RATES[-1])


def _mp3_bytes_libsndfile(audio: np.ndarray, sample_rate: int, bitrate_kbps: int) -> bytes:
    # libsndfile has no bitrate setting: in constant-bitrate mode at MPEG-1 rates it
    # maps compression level c in [0, 1] to 320 - c * 288 kbps (mpeg_l3_encode.c).
    # The tiny epsilon keeps float rounding from truncating 192 to 191.
    compression = min(1.0, max(0.0, (320.0 - bitrate_kbps) / 288.0 - 1e-9))
    buffer = io.BytesIO()
    soundfile.write(buffer, audio, sample_rate, format="MP3", subtype="MPEG_LAYER_III",
                    compression_level=compression, bitrate_mode="CONSTANT")
    return buffer.getvalue()


def _mp3_bytes_lameenc(audio: np.ndarray, sample_rate: int, bitrate_kbps: int) -> bytes:
    import lameenc

    pcm = np.round(audio * 32767.0).astype("<i2")  # interleaved (samples, channels)
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(bitrate_kbps)
    encoder.set_in_sample_rate(sample_rate)
    encoder.set_channels(audio.shape[1])
    encoder.set_quality(2)  # 2 = high quality, 7 = fast
    return bytes(encoder.encode(pcm.tobytes()) + encoder.flush())


# --------------------------------------------------------------------------- files


def write_wav(path: str | os.PathLike, audio: np.ndarray, sample_rate: int, subtype: str = "PCM_16") -> Path:
    """Write a WAV file atomically (see `wav_bytes`); returns the path.

    Raises `InvalidRequestError` on bad audio, `OSError` when the file cannot be written.
    """
    return atomic_write_bytes(path, wav_bytes(audio, sample_rate, subtype=subtype))


def write_mp3(path: str | os.PathLike, audio: np.ndarray, sample_rate: int, bitrate_kbps: int = 192) -> Path:
    """Write an MP3 file atomically (see `mp3_bytes`); returns the path.

    Raises `InvalidRequestError` on bad audio or bitrate, `OSError` when the file
    cannot be written.
    """
    return atomic_write_bytes(path, mp3_bytes(audio, sample_rate, bitrate_kbps=bitrate_kbps))


def write_midi(path: str | os.PathLike, midi_bytes: bytes) -> Path:
    """Write a Standard MIDI File atomically; returns the path.

    Raises `InvalidRequestError` when `midi_bytes` is not bytes starting with the
    SMF header chunk ("MThd"), `OSError` when the file cannot be written.
    """
    if not isinstance(midi_bytes, (bytes, bytearray)) or not bytes(midi_bytes[:4]) == b"MThd":
        raise InvalidRequestError("midi_bytes", "must be the bytes of a Standard MIDI File (starting with 'MThd')")
    return atomic_write_bytes(path, bytes(midi_bytes))


def read_audio(path: str | os.PathLike, field: str = "path", max_seconds: float = 600.0) -> tuple[np.ndarray, int]:
    """Read an audio file as float32 (samples, channels) and its sample rate.

    Raises `InvalidRequestError` (naming `field`) when the file does not exist, is
    not audio libsndfile can read, is empty, longer than `max_seconds`, or has more
    than 2 channels.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidRequestError(field, f"no audio file at {str(path)!r}")
    try:
        info = soundfile.info(str(path))
        if info.samplerate <= 0 or info.frames <= 0:
            raise InvalidRequestError(field, f"{path.name!r} holds no audio")
        if info.frames / info.samplerate > max_seconds:
            raise InvalidRequestError(field, f"{path.name!r} is longer than {max_seconds:g} seconds")
        audio, sample_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
        raise InvalidRequestError(field, f"cannot read {path.name!r} as audio ({exc})") from exc
    return check_audio(audio, int(sample_rate), field=field), int(sample_rate)


# --------------------------------------------------------------------------- resampling


def resample(audio: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample float audio, 1-D or (samples, channels), from `orig_sr` to `target_sr` Hz.

    Band-limited resampling in the frequency domain (works for any pair of rates,
    including awkward ratios like 44100 -> 32000 or 1600 -> 32000). The ends are
    padded by reflection first so the FFT's circular wrap-around does not leak the
    end of the signal into its start. Output length is round(len * target / orig).
    Raises `InvalidRequestError` on bad audio or rates.
    """
    squeeze = np.asarray(audio).ndim == 1
    audio = check_audio(np.asarray(audio), orig_sr)
    if isinstance(target_sr, bool) or not isinstance(target_sr, (int, np.integer)) or not (1 <= target_sr <= MAX_SAMPLE_RATE):
        raise InvalidRequestError("sample_rate", f"target rate must be a whole number of Hz from 1 to {MAX_SAMPLE_RATE}")
    if orig_sr == target_sr:
        out = audio
    else:
        n = audio.shape[0]
        pad = min(n - 1, max(16, orig_sr // 10))  # up to 0.1 s of reflection at each end
        padded = np.pad(audio.astype(np.float64), ((pad, pad), (0, 0)), mode="reflect") if pad > 0 else audio.astype(np.float64)
        n_padded = padded.shape[0]
        m_padded = max(1, int(round(n_padded * target_sr / orig_sr)))
        spectrum = np.fft.rfft(padded, axis=0)
        bins = m_padded // 2 + 1
        if spectrum.shape[0] >= bins:
            spectrum = spectrum[:bins]
            if m_padded % 2 == 0 and bins > 1:
                # The new Nyquist bin stands for both +/- Nyquist; keep it real-valued.
                spectrum[-1] = spectrum[-1].real
        else:
            spectrum = np.concatenate([spectrum, np.zeros((bins - spectrum.shape[0], spectrum.shape[1]), spectrum.dtype)])
        resampled = np.fft.irfft(spectrum, n=m_padded, axis=0) * (m_padded / n_padded)
        start = int(round(pad * target_sr / orig_sr))
        length = max(1, int(round(n * target_sr / orig_sr)))
        out = resampled[start:start + length]
        if out.shape[0] < length:  # rounding at the edges; pad with the last sample
            out = np.pad(out, ((0, length - out.shape[0]), (0, 0)), mode="edge")
        out = out.astype(np.float32)
    return out[:, 0] if squeeze else out


# --------------------------------------------------------------------------- names


def safe_filename(title, default: str = "song", max_len: int = 80) -> str:
    """A safe, readable file name stem (no extension) made from a song title.

    Letters and digits of any script, "-" and "_" only: Latin letters are folded to
    lower-case ASCII ("Café" -> "cafe"), the letters of other scripts are kept as they
    are ("فيروز", "東京"), everything else (punctuation, symbols, emoji, white space,
    control and format characters) separates words, which are joined by "-". At most
    `max_len` characters, never empty (falls back to `default`, itself made safe, then
    to "song"), never a Windows reserved device name (CON, NUL, COM1, ...; these get
    "-song" added). Path separators, dots and the characters file systems forbid
    (<>:"/\\|?*) cannot survive, so "../../etc/passwd" becomes "etc-passwd".
    Raises `ValueError` when `max_len` is below 1.
    """
    if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1:
        raise ValueError("max_len must be a whole number of at least 1")
    for candidate in (title, default):
        slug = _slugify(candidate if isinstance(candidate, str) else "", max_len)
        if slug.upper() in _WINDOWS_RESERVED:
            # Dots never survive, so only the bare name ("con", not "con.txt") can be reserved.
            slug = _slugify(f"{slug}-song", max_len)
        if slug and slug.upper() not in _WINDOWS_RESERVED:
            return slug
    return "song"[:max_len]


# Letters that Unicode normalisation does not split into a base letter and accents.
_TRANSLITERATE = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss",
                                "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i"})


def _name_character(ch: str) -> str:
    """What one character becomes in a file name: its ASCII folding when it has one
    (Latin letters, full-width forms), itself when it is a letter, digit or combining mark
    of another script (Arabic vowel marks, Devanagari vowel signs), else a separator."""
    folded = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
    if folded:
        return folded.lower()
    return ch.lower() if unicodedata.category(ch)[0] in "LNM" else " "


def _slugify(text: str, max_len: int) -> str:
    """Fold `text` character by character, keep runs of letters, digits, marks and "_"
    joined by "-", cut to `max_len`."""
    text = unicodedata.normalize("NFC", text.translate(_TRANSLITERATE))
    folded = "".join(_name_character(ch) for ch in text)
    # Only letters, digits and marks are left outside ASCII (see _name_character).
    words = re.split(r"[^a-z0-9_\u0080-\U0010ffff]+", folded)
    slug = "-".join(word for word in words if word.strip("_"))
    slug = re.sub(r"_+", "_", slug)
    return slug[:max_len].strip("-_")


__all__ = [
    "check_audio",
    "wav_bytes",
    "mp3_bytes",
    "mp3_sample_rate",
    "write_wav",
    "write_mp3",
    "write_midi",
    "read_audio",
    "resample",
    "safe_filename",
]
