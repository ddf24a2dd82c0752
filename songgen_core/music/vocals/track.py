"""The whole vocal track: every line sung by Festival, placed at its time, at the song's rate."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...audio import resample
from ..arranger.form import Part
from ..arranger.plan import Plan
from .festival import sing_utterances
from .phonemes import dictionary_source
from .sing import plan_vocal
from .voices import require_voice, voice_info


@dataclass
class VocalTrack:
    """Mono float32 audio of the song's length, unnormalised, and what was sung."""

    audio: np.ndarray
    sample_rate: int
    info: dict[str, Any] = field(default_factory=dict)
    notes: list = field(default_factory=list)  # every SungNote, in order (for checks and benches)
    vowel_spans: list = field(default_factory=list)  # (start s, end s) of each note's vowel


def sing_song(plan: Plan, parts: list[Part], duration_s: float, voice_name: str | None = None,
              sample_rate: int = 44100) -> VocalTrack:
    """Sing every lyric line of an arranged song on its melody.

    Raises `InvalidRequestError` (unknown voice), `VoiceUnavailableError`
    (festival or the voice not installed: the message says what to install),
    `VocalRenderError` (festival failed) and `VocalAlignmentError` (a syllable
    and note count mismatch, which would be a bug).
    """
    started = time.perf_counter()
    voice, program = require_voice(voice_name)
    lines, shift = plan_vocal(plan, parts, duration_s, voice)
    waves = sing_utterances(voice, program, [line.segments for line in lines])
    rate = voice.sample_rate
    track = np.zeros(int(round(duration_s * rate)) + 1, dtype=np.float32)
    for line, wave in zip(lines, waves):
        at = int(round(line.start_s * rate))
        if at < 0:  # a line's lead-in before 0 s: drop what would fall before the song
            wave, at = wave[-at:], 0
        end = min(len(track), at + len(wave))
        if end > at:
            track[at:end] += wave[: end - at]
    audio = resample(track, rate, sample_rate)[: int(round(duration_s * sample_rate))]
    notes = [note for line in lines for note in line.notes]
    info = {
        "voice": voice_info(voice),
        "octave_shift": shift,
        "lines": len(lines),
        "syllables": len(notes),
        "dictionary": "CMU Pronouncing Dictionary" if dictionary_source() else "letter rules only",
        "render_s": round(time.perf_counter() - started, 3),
    }
    spans = [span for line in lines for span in line.vowel_spans]
    return VocalTrack(audio.astype(np.float32), sample_rate, info, notes, spans)
