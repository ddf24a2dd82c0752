"""The arranger backend: a request composed into an `Arrangement` (MIDI and what
was chosen) and rendered to audio."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pretty_midi

from ..brief import MusicBrief, make_brief, prompt_from_brief, song_sections
from ..render import SAMPLE_RATE, SOUNDFONT_NAME
from ..stems import mix_stems, render_stems
from ...errors import InvalidRequestError
from ..request import MusicRequest, MusicResult, ProgressCallback
from .form import Part, plan_form, whole_song_seconds
from .midi import _write_midi, midi_to_bytes
from .plan import PITCH_NAMES, Plan, make_plan, roman

MODEL_NAME = f"arranger ({SOUNDFONT_NAME})"
MAX_FADE_S = 1.5
# The guide vocal's RMS, where it sings, against the band's there; the lead
# instrument doubles the tune, so it steps back under the voice.
VOCAL_LEVEL_DB = -2.0
LEAD_UNDER_VOCAL_DB = -6.0


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

    The audio is the sum of its stems (drums, bass, chords, lead and, with
    vocals="guide", the sung vocal), peak-normalised to -1 dBFS; with
    `request.options["stems"]` true the stems come back in `result.stems`.
    A guide vocal that cannot be sung here (festival or the voice not
    installed) leaves the song without vocals and says why in
    `info["vocals"]["error"]` and the progress messages. Same request and seed
    give identical audio and MIDI bytes. Raises render.RenderError if the song
    renders to silence (should not happen), ModelUnavailableError if the
    soundfont cannot be loaded, VocalRenderError if festival fails while singing.
    """
    report = progress or (lambda fraction, message: None)
    report(0.0, "composing")
    arrangement = arrange(request)
    report(0.1, "rendering")
    stems = render_stems(arrangement.midi, arrangement.duration_s, arrangement.fade_out_s, SAMPLE_RATE)
    info = dict(arrangement.info)
    if request.vocals == "guide":
        report(0.5, "singing the guide vocal")
        info["vocals"] = _add_vocal(request, arrangement, stems, report)
    else:
        info["vocals"] = {"requested": "none", "sung": False}
    mix, stems = mix_stems(stems)
    report(0.95, "writing MIDI")
    result = MusicResult(
        audio=mix,
        sample_rate=SAMPLE_RATE,
        backend="arranger",
        model=MODEL_NAME,
        prompt=prompt_from_brief(arrangement.brief),
        midi_bytes=midi_to_bytes(arrangement.midi),
        info=info,
        stems=stems if request.options.get("stems") else None,
    )
    report(1.0, "done")
    return result


def _add_vocal(request: MusicRequest, arrangement: Arrangement, stems: dict, report) -> dict[str, Any]:
    """Sing the guide vocal into stems["vocal"] at the band's level, the lead instrument
    lowered under it; returns what song.json records. A missing voice is recorded, not raised."""
    from ..vocals import VoiceUnavailableError, sing_song

    try:
        vocal = sing_song(arrangement.plan, arrangement.parts, arrangement.duration_s, request.voice, SAMPLE_RATE)
    except VoiceUnavailableError as error:
        report(0.5, f"no guide vocal: {error}")
        return {"requested": "guide", "sung": False, "error": str(error), "missing": list(error.missing)}
    band = sum(stems.values())
    active = np.abs(vocal.audio) > 1e-3
    if active.any():
        band_rms = float(np.sqrt(np.mean(band[active].astype(np.float64) ** 2)))
        vocal_rms = float(np.sqrt(np.mean(vocal.audio[active].astype(np.float64) ** 2)))
        gain = 10 ** (VOCAL_LEVEL_DB / 20) * band_rms / max(vocal_rms, 1e-9)
    else:
        gain = 0.0
    stems["vocal"] = np.repeat((vocal.audio * gain)[:, None], 2, axis=1).astype(np.float32)
    stems["lead"] = (stems["lead"] * 10 ** (LEAD_UNDER_VOCAL_DB / 20)).astype(np.float32)
    return {"requested": "guide", "sung": True, **vocal.info, "level_db": VOCAL_LEVEL_DB,
            "lead_db": LEAD_UNDER_VOCAL_DB}
