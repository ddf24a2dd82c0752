"""Audio stems: the song as separate parts that add up to the mix.

The arranger renders each group of its MIDI tracks on its own (drums; bass;
chords = comping and the chorus pad; lead) and the guide vocal, when sung, is
a fifth stem. The mix is the sum of the stems, and one gain (the one that
puts the mix's peak at -1 dBFS) scales the mix and every stem alike, so the
stems sum to the mix up to float rounding (and 16-bit rounding in the WAVs).
TinySoundFont's voices are independent (no shared reverb or chorus), so the
sum of separately rendered groups is the song one render of all would give.

`write_stems` writes `stems/<name>.wav` files and `stems.zip` holding them.
"""

from __future__ import annotations

import copy
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pretty_midi

from ..audio import wav_bytes
from ..files import atomic_write_bytes
from .render import PEAK_DBFS, RenderError, render_midi

STEM_NAMES = ("vocal", "drums", "bass", "chords", "lead")
# MIDI track names of each instrument stem
STEM_TRACKS = {"drums": ("drums",), "bass": ("bass",), "chords": ("comping", "pad"), "lead": ("lead",)}


def render_stems(pm: pretty_midi.PrettyMIDI, duration_s: float, fade_out_s: float, sample_rate: int) -> dict[str, np.ndarray]:
    """Each instrument stem of `pm` rendered alone, unnormalised, float32 (samples, 2).

    A stem without notes is silence of the song's length. Raises RenderError
    when the whole song is silent, ModelUnavailableError when the soundfont
    cannot be loaded.
    """
    n = int(round(duration_s * sample_rate))
    stems = {}
    for name, tracks in STEM_TRACKS.items():
        part = copy.copy(pm)
        part.instruments = [inst for inst in pm.instruments if inst.name in tracks and inst.notes]
        if part.instruments:
            stems[name] = render_midi(part, sample_rate=sample_rate, duration_s=duration_s, fade_out_s=fade_out_s,
                                      normalize=False, allow_silence=True)
        else:
            stems[name] = np.zeros((n, 2), dtype=np.float32)
    if not any(np.any(audio) for audio in stems.values()):
        raise RenderError("the MIDI rendered to silence: no audible notes before the end")
    return stems


def mix_stems(stems: dict[str, np.ndarray], peak_dbfs: float = PEAK_DBFS) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The mix (the stems' sum) with its peak at `peak_dbfs`, and the stems scaled by the same gain.

    The returned mix is computed as the sum of the returned stems, so they add
    up to it exactly in float64 and to float32 rounding as stored. Raises
    RenderError when the sum is silent or not finite.
    """
    total = np.zeros_like(next(iter(stems.values())), dtype=np.float64)
    for audio in stems.values():
        total += audio
    peak = float(np.max(np.abs(total))) if total.size else 0.0
    if not np.isfinite(peak) or peak < 1e-4:
        raise RenderError("the stems sum to silence")
    gain = 10 ** (peak_dbfs / 20) / peak
    scaled = {name: (audio.astype(np.float64) * gain).astype(np.float32) for name, audio in stems.items()}
    mix = np.zeros_like(total)
    for audio in scaled.values():
        mix += audio
    return mix.astype(np.float32), scaled


def stems_zip_bytes(stems: dict[str, np.ndarray], sample_rate: int) -> bytes:
    """A ZIP holding <name>.wav (16-bit PCM) for each stem. Raises InvalidRequestError on bad audio."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in _ordered(stems):
            archive.writestr(f"{name}.wav", wav_bytes(stems[name], sample_rate))
    return buffer.getvalue()


def write_stems(folder: str | os.PathLike, stems: dict[str, np.ndarray], sample_rate: int) -> list[Path]:
    """Write folder/stems/<name>.wav for every stem and folder/stems.zip; returns the paths.

    Each file is written atomically. Raises InvalidRequestError on bad audio,
    OSError when the files cannot be written.
    """
    folder = Path(folder)
    (folder / "stems").mkdir(parents=True, exist_ok=True)
    paths = [atomic_write_bytes(folder / "stems" / f"{name}.wav", wav_bytes(stems[name], sample_rate)) for name in _ordered(stems)]
    paths.append(atomic_write_bytes(folder / "stems.zip", stems_zip_bytes(stems, sample_rate)))
    return paths


def _ordered(stems: dict[str, np.ndarray]) -> list[str]:
    return [name for name in STEM_NAMES if name in stems] + sorted(set(stems) - set(STEM_NAMES))
