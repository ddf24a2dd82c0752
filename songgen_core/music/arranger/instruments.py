"""The pitched tracks: a bass on the chord roots, comping chords, the chorus pad and the lead melody."""

from __future__ import annotations

from .form import END_TAIL_S, Part
from .plan import Plan, chord_pitch_classes
from .recipes import KICK, STEPS
from .track import _energy_gain, _gaps, _onsets, _Track


# The last chord is held through the final bar into the ring-out.
RING_S = 8.0 + END_TAIL_S  # cut at the song's end by _Track.add; longer than any bar


def _bass_key(plan: Plan, pitch_class: int) -> int:
    low = plan.recipe.bass_low
    return low + (pitch_class - low) % 12


def _write_bass(plan: Plan, parts: list[Part], track: _Track) -> None:
    recipe = plan.recipe
    for part in parts:
        if recipe.bass is None:  # rap: the bass doubles the kick, held to the next kick (808 style)
            pattern = "".join("x" if c != "." else "." for c in plan.drums[part.kind][KICK])
        else:
            pattern = recipe.bass["chorus" if part.harmony == "chorus" else "verse"]
        onsets = _onsets(pattern)
        gaps = _gaps([s for s, _ in onsets], STEPS)
        velocity = 100 * _energy_gain(plan, part.kind)
        for b in range(part.bars):
            root = _bass_key(plan, chord_pitch_classes(plan, part.degree(plan, b))[0])
            bar_step = (part.start_bar + b) * STEPS
            if part.is_final_bar(b):
                track.add(root, velocity, bar_step, RING_S)
                continue
            for (step, c), gap in zip(onsets, gaps):
                key = root + {"x": 0, "5": 7, "8": 12}[c]
                track.add(key, velocity, bar_step + step, gap * plan.step_s * recipe.bass_gate)


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
        kind = "chorus" if part.harmony == "chorus" else "verse"
        onsets = [s for s, _ in _onsets(recipe.comp[kind])]
        velocity = 78 * _energy_gain(plan, part.kind)
        for b in range(part.bars):
            chord = chord_voicing(plan, part.degree(plan, b))
            bar_step = (part.start_bar + b) * STEPS
            for step, gap in zip(onsets, _gaps(onsets, STEPS)):
                for key in chord:
                    length = RING_S if part.is_final_bar(b) else gap * plan.step_s * recipe.comp_gate
                    track.add(key, velocity, bar_step + step, length)
                if part.is_final_bar(b):
                    break


def pad_voicing(plan: Plan, degree: int) -> list[int]:
    """MIDI keys of the chorus pad: the triad an octave above the comping, around C5."""
    return sorted(67 + (pc - 67) % 12 for pc in chord_pitch_classes(plan, degree))


def _write_pad(plan: Plan, parts: list[Part], track: _Track) -> None:
    """The part added to lifted sections (choruses): sustained chords, one a bar."""
    for part in parts:
        if not part.lifted:
            continue
        velocity = 70 * _energy_gain(plan, part.kind)
        for b in range(part.bars):
            for key in pad_voicing(plan, part.degree(plan, b)):
                track.add(key, velocity, (part.start_bar + b) * STEPS, STEPS * plan.step_s * 0.98)


def _write_lead(plan: Plan, parts: list[Part], track: _Track) -> None:
    for part in parts:
        velocity = 104 * _energy_gain(plan, part.kind)
        for step, length, key in part.melody:
            track.add(key, velocity, part.start_bar * STEPS + step, length * plan.step_s * 0.92)
