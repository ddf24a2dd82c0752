"""The drum track (GM channel 10): the style's patterns, fills, crashes and hi-hat rolls."""

from __future__ import annotations

import numpy as np

from .form import Part
from .plan import Plan
from .recipes import CRASH, HAT, KICK, SNARE, STEPS, TOMS
from .track import _energy_gain, _onsets, _Track

DRUM_VELOCITY = {"X": 118, "x": 96, "o": 64}


def _write_drums(plan: Plan, parts: list[Part], track: _Track, rng: np.random.Generator) -> None:
    recipe = plan.recipe
    for p, part in enumerate(parts):
        pattern = plan.drums[part.kind]
        gain = _energy_gain(plan, part.kind)
        for b in range(part.bars):
            bar_step = (part.start_bar + b) * STEPS
            if part.is_final_bar(b):  # the song's last chord: one crash and kick, left to ring
                for key in (CRASH, KICK):
                    track.add(key, DRUM_VELOCITY["X"] * gain, bar_step, 0.25)
                continue
            fill = b == part.bars - 1 and p + 1 < len(parts) and recipe.fill != "none"
            roll_beat = int(rng.choice([1, 3])) if recipe.hat_rolls and rng.random() < (0.7 if part.lifted else 0.45) else None
            hits: list[tuple[int, float, str]] = []
            for key, line in pattern.items():
                for step, c in _onsets(line):
                    if fill and step >= 12 and key != KICK:
                        continue
                    if roll_beat is not None and key == HAT and roll_beat * 4 <= step < roll_beat * 4 + 4:
                        continue
                    hits.append((key, step, c))
            if roll_beat is not None:  # 32nds or 16th-note triplets across one beat
                n = int(rng.choice([8, 6]))
                hits += [(HAT, roll_beat * 4 + 4 * i / n, "x" if i % 2 == 0 else "o") for i in range(n)]
            if fill:
                hits += _fill(recipe.fill)
            if recipe.crash and b == 0 and (part.lifted or part.start_bar == 0):
                hits.append((CRASH, 0, "X"))
            for key, step, c in hits:
                velocity = DRUM_VELOCITY[c] * gain + rng.integers(-4, 5)
                track.add(key, velocity, bar_step + step, 0.25)


def _fill(kind: str) -> list[tuple[int, float, str]]:
    """Hits on the last beat of a bar leading into a new section."""
    if kind == "toms":
        return [(tom, 12 + i, "x") for i, tom in enumerate(TOMS)] + [(KICK, 12, "x")]
    return [(SNARE, 12 + i, "o" if i < 2 else "x") for i in range(4)]
