"""Render a PrettyMIDI to audio with TinySoundFont and the GM soundfont pretty_midi ships.

Output: float32 stereo, shape (samples, 2), at 44100 Hz (CD rate; the sf2
samples are recorded at up to 44.1 kHz, so a lower rate would drop hat and
cymbal detail), peak-normalised to -1 dBFS.

We drive note events ourselves, in time order, instead of tinysoundfont's
Sequencer: between two events the synth renders exactly the samples up to the
next event, so timing is exact to the sample and the result is reproducible.

The 6 MB TimGM6mb.sf2 is parsed once per process. Each render then works on a
clone of it (TinySoundFont's copy constructor shares the parsed samples and
gives fresh voices and channels), so renders are independent, safe to run from
several threads, and byte-identical for the same MIDI. `tinysoundfont.Synth`
cannot clone a loaded font, so this module uses the extension's SoundFont class
that Synth wraps.
"""

from __future__ import annotations

import functools
import os

import numpy as np
import pretty_midi
from tinysoundfont import _tinysoundfont as tsf

from ..errors import ModelUnavailableError, SongGenError

SAMPLE_RATE = 44100
PEAK_DBFS = -1.0
SOUNDFONT_PATH = os.path.join(os.path.dirname(pretty_midi.__file__), "TimGM6mb.sf2")
SOUNDFONT_NAME = "TimGM6mb.sf2"
DRUM_CHANNEL = 9
MAX_VOICES = 256
RELEASE_TAIL_S = 1.0  # rendered after the last note-off when no duration is given
_SILENCE = 1e-4  # peak below this is silence


class RenderError(SongGenError):
    """The MIDI cannot be rendered (too many instruments) or renders to silence."""


@functools.lru_cache(maxsize=4)
def _loaded_soundfont(path: str) -> tsf.SoundFont:
    """Parse a soundfont once per process. Raises ModelUnavailableError if it cannot be read."""
    try:
        return tsf.SoundFont(path)
    except Exception as err:  # the extension raises plain Exceptions for unreadable files
        raise ModelUnavailableError(f"cannot load soundfont {path}: {err}") from err


def _fresh_synth(sample_rate: int) -> tsf.SoundFont:
    synth = tsf.SoundFont(_loaded_soundfont(SOUNDFONT_PATH))
    synth.set_output(tsf.OutputMode.StereoInterleaved, sample_rate, 0.0)
    synth.set_max_voices(MAX_VOICES)
    return synth


def _assign_channels(pm: pretty_midi.PrettyMIDI) -> list[int]:
    """A MIDI channel per instrument: drums share channel 10, the rest get one each."""
    free = [c for c in range(16) if c != DRUM_CHANNEL]
    channels = []
    for inst in pm.instruments:
        if inst.is_drum:
            channels.append(DRUM_CHANNEL)
        elif free:
            channels.append(free.pop(0))
        else:
            raise RenderError("too many instruments: at most 15 non-drum instruments can be rendered")
    return channels


def _select_program(synth: tsf.SoundFont, channel: int, program: int, is_drum: bool) -> None:
    try:
        synth.channel_set_preset_number(channel, program, is_drum)
    except RuntimeError:  # the soundfont lacks this preset (e.g. an exotic drum kit): fall back to the first
        synth.channel_set_preset_number(channel, 0, is_drum)


# Event order within one sample: controls first, then note-offs, then note-ons, so
# a note that ends where the same key starts again is retriggered, not cut.
_CONTROL, _OFF, _ON = 0, 1, 2


def _events(pm: pretty_midi.PrettyMIDI, channels: list[int], sample_rate: int) -> list[tuple]:
    """All note, control and pitch-bend events as (sample, order, channel, a, b), sorted."""
    events = []
    for inst, channel in zip(pm.instruments, channels):
        for note in inst.notes:
            events.append((int(round(note.start * sample_rate)), _ON, channel, note.pitch, note.velocity))
            events.append((int(round(note.end * sample_rate)), _OFF, channel, note.pitch, 0))
        for cc in inst.control_changes:
            events.append((int(round(cc.time * sample_rate)), _CONTROL, channel, cc.number, cc.value))
        if not inst.is_drum:
            for bend in inst.pitch_bends:
                events.append((int(round(bend.time * sample_rate)), _CONTROL, channel, -1, bend.pitch))
    events.sort()
    return events


def _apply(synth: tsf.SoundFont, order: int, channel: int, a: int, b: int) -> None:
    if order == _ON:
        synth.channel_note_on(channel, a, b / 127.0)
    elif order == _OFF:
        synth.channel_note_off(channel, a)
    elif a == -1:
        synth.channel_set_pitch_wheel(channel, int(np.clip(b + 8192, 0, 16383)))
    else:
        synth.channel_midi_control(channel, a, b)


def fade_out(audio: np.ndarray, samples: int) -> None:
    """Fade the last `samples` of `audio` (in place) to zero with a raised-cosine curve."""
    samples = min(samples, audio.shape[0])
    if samples > 0:
        ramp = 0.5 * (1.0 + np.cos(np.linspace(0.0, np.pi, samples, dtype=np.float64)))
        audio[-samples:] *= ramp[:, None].astype(np.float32)


def render_midi(
    pm: pretty_midi.PrettyMIDI,
    *,
    sample_rate: int = SAMPLE_RATE,
    duration_s: float | None = None,
    fade_out_s: float = 0.0,
    normalize: bool = True,
    allow_silence: bool = False,
) -> np.ndarray:
    """Render `pm` to float32 stereo audio of shape (samples, 2).

    With `duration_s` the audio is exactly round(duration_s * sample_rate)
    samples long (notes past the end are cut); without it, it runs to the last
    note-off plus a 1 s release tail. The last `fade_out_s` seconds are faded
    out. With `normalize` the peak is scaled to -1 dBFS.

    Raises RenderError if there are more than 15 non-drum instruments or the
    result is silent (unless `allow_silence`, for one stem of a song, which
    is then returned unnormalised); ModelUnavailableError if the soundfont
    cannot be loaded.
    """
    if duration_s is None:
        duration_s = pm.get_end_time() + RELEASE_TAIL_S
    n = int(round(duration_s * sample_rate))
    if n <= 0:
        raise RenderError("nothing to render: the duration is zero")

    synth = _fresh_synth(sample_rate)
    channels = _assign_channels(pm)
    for inst, channel in zip(pm.instruments, channels):
        _select_program(synth, channel, inst.program, inst.is_drum)

    audio = np.zeros((n, 2), dtype=np.float32)
    out = memoryview(audio).cast("B")
    frame_bytes = 2 * audio.itemsize
    pos = 0
    for sample, order, channel, a, b in _events(pm, channels, sample_rate):
        if sample >= n:
            break
        if sample > pos:
            synth.render(out[pos * frame_bytes : sample * frame_bytes])
            pos = sample
        _apply(synth, order, channel, a, b)
    if pos < n:
        synth.render(out[pos * frame_bytes :])

    fade_out(audio, int(round(fade_out_s * sample_rate)))
    peak = float(np.max(np.abs(audio)))
    if not np.isfinite(peak):
        raise RenderError("the MIDI rendered to invalid audio (NaN or infinity)")
    if peak < _SILENCE:
        if allow_silence:
            return audio
        raise RenderError("the MIDI rendered to silence: no audible notes before the end")
    if normalize:
        audio *= np.float32(10 ** (PEAK_DBFS / 20) / peak)
    return audio
