"""The arranger backend: a request composed into an `Arrangement` (MIDI and what
was chosen) and rendered to audio."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pretty_midi

from ..brief import MusicBrief, make_brief, prompt_from_brief, song_sections
from ..render import SAMPLE_RATE, SOUNDFONT_NAME, render_midi
from ...errors import InvalidRequestError
from ..request import MusicRequest, MusicResult, ProgressCallback
from .form import Part, plan_form, whole_song_seconds
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
    plan: Plan | None = None
    parts: list[Part] = field(default_factory=list)


def fade_seconds(duration_s: float) -> float:
    """Length of the fade-out at the end: 15% of the song, at most 1.5 s (for a whole
    song, the last chord's ring-out)."""
    return min(MAX_FADE_S, 0.15 * duration_s)


def _info(plan: Plan, parts: list[Part], duration_s: float, whole_song: bool, instrumental: bool) -> dict[str, Any]:
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
    if whole_song:  # the outro's last chord rings past its bar: the song ends at the end of the audio
        sections[-1]["end_s"] = round(duration_s, 3)
    return {
        "seed": plan.seed,
        "length": "whole song" if whole_song else "fixed",
        "duration_s": round(duration_s, 3),
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


def _plan_and_form(request: MusicRequest) -> tuple[MusicBrief, Plan, list[Part], float, bool]:
    seed = request.seed if request.seed is not None else int(np.random.default_rng().integers(0, 2**32))
    brief = make_brief(request.genre, request.lyrics)
    plan = make_plan(brief, seed)
    sections = song_sections(request.lyrics)
    parts = plan_form(plan, sections, request.duration_s)
    duration_s = whole_song_seconds(plan, parts) if request.duration_s is None else request.duration_s
    return brief, plan, parts, duration_s, not sections


def whole_song_length(request: MusicRequest) -> float:
    """Seconds the arranger's whole song lasts for this request's genre, lyrics and
    seed (intro, every section once, outro and ring-out), from the same plan and
    form the arranger composes. Needs a seed (raises InvalidRequestError without
    one: the length depends on the tempo the seed picks)."""
    if request.seed is None:
        raise InvalidRequestError("seed", "the whole song's length depends on the seed; give one")
    whole = request if request.duration_s is None else replace(request, duration_s=None)
    return _plan_and_form(whole)[3]


def arrange(request: MusicRequest) -> Arrangement:
    """Compose the song for a request; a seed of None is replaced by a random one (see info["seed"]).

    `request.duration_s` None composes the whole song (every line sung, intro
    and outro), else the form is fitted to the duration and cut there.
    """
    brief, plan, parts, duration_s, instrumental = _plan_and_form(request)
    midi = _write_midi(plan, parts, duration_s)
    info = _info(plan, parts, duration_s, request.duration_s is None, instrumental)
    return Arrangement(midi, duration_s, fade_seconds(duration_s), info, brief, plan, parts)


def compose(request: MusicRequest) -> pretty_midi.PrettyMIDI:
    """The song for a request as MIDI (cut at the requested duration)."""
    return arrange(request).midi


def generate(request: MusicRequest, progress: ProgressCallback | None = None) -> MusicResult:
    """Compose and render a song: stereo float32 audio at 44.1 kHz, exactly the requested
    length, or the whole song's length (`info["duration_s"]`) when the request has none.

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
