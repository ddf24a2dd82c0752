"""The arranger backend: a request composed into an `Arrangement` (MIDI and what
was chosen) and rendered to audio."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pretty_midi

from ..brief import MusicBrief, make_brief, prompt_from_brief, song_sections
from ..render import SAMPLE_RATE, SOUNDFONT_NAME, render_midi
from ..request import MusicRequest, MusicResult, ProgressCallback
from .form import Part, plan_form
from .midi import _write_midi, midi_to_bytes
from .plan import PITCH_NAMES, Plan, make_plan, roman

MODEL_NAME = f"arranger ({SOUNDFONT_NAME})"
MAX_FADE_S = 1.5


@dataclass
class Arrangement:
    """A composed song: the MIDI, what was chosen, and how to render it."""

    midi: pretty_midi.PrettyMIDI
    duration_s: float
    fade_out_s: float
    info: dict[str, Any]
    brief: MusicBrief


def fade_seconds(duration_s: float) -> float:
    """Length of the fade-out at the end: 15% of the song, at most 1.5 s."""
    return min(MAX_FADE_S, 0.15 * duration_s)


def _info(plan: Plan, parts: list[Part], duration_s: float, instrumental: bool) -> dict[str, Any]:
    sections = []
    for part in parts:
        start = part.start_bar * plan.bar_s
        sections.append({
            "kind": part.kind,
            "label": part.label,
            "start_s": round(start, 3),
            "end_s": round(min(duration_s, start + part.bars * plan.bar_s), 3),
            "bars": part.bars,
            "lines": part.lines,
        })
    return {
        "seed": plan.seed,
        "tempo_bpm": plan.tempo,
        "key": f"{PITCH_NAMES[plan.tonic]} {plan.brief.mode}",
        "progression": {kind: "-".join(roman(d, plan.scale) for d in degrees) for kind, degrees in plan.progressions.items()},
        "sections": sections,
        "style": plan.brief.style,
        "drums": plan.recipe.drum_name,
        "instruments": {role: pretty_midi.program_to_instrument_name(p) for role, p in plan.programs.items()},
        "energy": plan.brief.energy,
        "instrumental": instrumental,
    }


def arrange(request: MusicRequest) -> Arrangement:
    """Compose the song for a request; a seed of None is replaced by a random one (see info["seed"])."""
    seed = request.seed if request.seed is not None else int(np.random.default_rng().integers(0, 2**32))
    brief = make_brief(request.genre, request.lyrics)
    plan = make_plan(brief, seed)
    sections = song_sections(request.lyrics)
    parts = plan_form(plan, sections, request.duration_s)
    midi = _write_midi(plan, parts, request.duration_s)
    info = _info(plan, parts, request.duration_s, instrumental=not sections)
    return Arrangement(midi, request.duration_s, fade_seconds(request.duration_s), info, brief)


def compose(request: MusicRequest) -> pretty_midi.PrettyMIDI:
    """The song for a request as MIDI (cut at the requested duration)."""
    return arrange(request).midi


def generate(request: MusicRequest, progress: ProgressCallback | None = None) -> MusicResult:
    """Compose and render a song: stereo float32 audio at 44.1 kHz, exactly the requested length.

    Same request and seed give identical audio and MIDI bytes. Raises
    render.RenderError if the song renders to silence (should not happen) and
    ModelUnavailableError if the soundfont cannot be loaded.
    """
    report = progress or (lambda fraction, message: None)
    report(0.0, "composing")
    arrangement = arrange(request)
    report(0.2, "rendering")
    audio = render_midi(arrangement.midi, sample_rate=SAMPLE_RATE, duration_s=arrangement.duration_s, fade_out_s=arrangement.fade_out_s)
    report(0.95, "writing MIDI")
    result = MusicResult(
        audio=audio,
        sample_rate=SAMPLE_RATE,
        backend="arranger",
        model=MODEL_NAME,
        prompt=prompt_from_brief(arrangement.brief),
        midi_bytes=midi_to_bytes(arrangement.midi),
        info=dict(arrangement.info),
    )
    report(1.0, "done")
    return result
