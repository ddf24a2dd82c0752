"""The pitched tracks: a bass on the chord roots, comping chords and the lead melody."""

from __future__ import annotations

from .form import Part
from .plan import Plan, chord_pitch_classes
from .recipes import KICK, STEPS
from .track import _energy_gain, _gaps, _onsets, _Track


def _bass_key(plan: Plan, pitch_class: int) -> int:
    low = plan.recipe.bass_low
    return low + (pitch_class - low) % 12


def _write_bass(plan: Plan, parts: list[Part], track: _Track) -> None:
    recipe = plan.recipe
    for part in parts:
        if recipe.bass is None:  # rap: the bass doubles the kick, held to the next kick (808 style)
            pattern = "".join("x" if c != "." else "." for c in plan.drums[part.kind][KICK])
        else:
            pattern = recipe.bass["chorus" if part.kind == "chorus" else "verse"]
        onsets = _onsets(pattern)
        gaps = _gaps([s for s, _ in onsets], STEPS)
        prog = plan.progressions["chorus" if part.kind == "chorus" else "verse"]
        velocity = 100 * _energy_gain(plan, part.kind)
        for b in range(part.bars):
            root = _bass_key(plan, chord_pitch_classes(plan, prog[b % len(prog)])[0])
            for (step, c), gap in zip(onsets, gaps):
                key = root + {"x": 0, "5": 7, "8": 12}[c]
                track.add(key, velocity, (part.start_bar + b) * STEPS + step, gap * plan.step_s * recipe.bass_gate)


def chord_voicing(plan: Plan, degree: int) -> list[int]:
    """MIDI keys of the comping chord: power chord (root, fifth, octave), close triad or seventh."""
    voicing = plan.recipe.voicing
    if voicing == "power":
        root = 40 + (chord_pitch_classes(plan, degree)[0] - 40) % 12
        return [root, root + 7, root + 12]
    pcs = chord_pitch_classes(plan, degree, 4 if voicing == "seventh" else 3)
    low = 53 if voicing == "seventh" else 55
    return sorted(low + (pc - low) % 12 for pc in pcs)


def _write_comping(plan: Plan, parts: list[Part], track: _Track) -> None:
    recipe = plan.recipe
    for part in parts:
        kind = "chorus" if part.kind == "chorus" else "verse"
        onsets = [s for s, _ in _onsets(recipe.comp[kind])]
        prog = plan.progressions[kind]
        velocity = 78 * _energy_gain(plan, part.kind)
        for b in range(part.bars):
            chord = chord_voicing(plan, prog[b % len(prog)])
            for step, gap in zip(onsets, _gaps(onsets, STEPS)):
                for key in chord:
                    track.add(key, velocity, (part.start_bar + b) * STEPS + step, gap * plan.step_s * recipe.comp_gate)


def _write_lead(plan: Plan, parts: list[Part], track: _Track) -> None:
    for part in parts:
        velocity = 104 * _energy_gain(plan, part.kind)
        for step, length, key in part.melody:
            track.add(key, velocity, part.start_bar * STEPS + step, length * plan.step_s * 0.92)
