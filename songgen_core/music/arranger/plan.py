"""The plan: every seed-dependent choice made up front (tempo, key, chord
progressions, drum pattern variants, sounds), and the harmony of its key."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..brief import MusicBrief
from .recipes import RECIPES, STEPS, Recipe

TEMPO_SPREAD = 8  # the seed moves the tempo up to this many bpm from the brief's hint

SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stream])


@dataclass(frozen=True)
class Plan:
    seed: int
    brief: MusicBrief
    recipe: Recipe
    tempo: int
    tonic: int  # pitch class
    scale: tuple[int, ...]
    progressions: dict[str, tuple[int, ...]]  # section kind -> chord degrees, one per bar
    drums: dict[str, dict[int, str]]  # section kind -> pattern
    swing: float
    programs: dict[str, int]  # bass / comping / lead -> GM program

    @property
    def step_s(self) -> float:
        return 15.0 / self.tempo

    @property
    def bar_s(self) -> float:
        return STEPS * self.step_s


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def make_plan(brief: MusicBrief, seed: int) -> Plan:
    """Choose tempo, key, progressions, pattern variants and sounds for a brief and seed."""
    recipe = RECIPES[brief.style]
    rng = _rng(seed, 1)
    lo, hi = brief.tempo_range
    tempo = int(np.clip(brief.tempo_bpm + rng.integers(-TEMPO_SPREAD, TEMPO_SPREAD + 1), lo, hi))
    progs = recipe.progressions[brief.mode]
    verse_drums = _pick(rng, recipe.drums["verse"])
    return Plan(
        seed=seed,
        brief=brief,
        recipe=recipe,
        tempo=tempo,
        tonic=int(_pick(rng, recipe.keys)),
        scale=SCALES[brief.mode],
        progressions={"verse": _pick(rng, progs), "chorus": _pick(rng, progs)},
        drums={"intro": verse_drums, "verse": verse_drums, "chorus": _pick(rng, recipe.drums["chorus"])},
        swing=float(rng.uniform(*recipe.swing)) if recipe.swing[1] > recipe.swing[0] else recipe.swing[0],
        programs={
            "bass": int(_pick(rng, recipe.bass_programs)),
            "comping": int(_pick(rng, recipe.comp_programs)),
            "lead": int(_pick(rng, recipe.lead_programs)),
        },
    )


def roman(degree: int, scale: tuple[int, ...]) -> str:
    """Roman numeral of the diatonic triad on a scale degree: "V", "vi", "ii°", "VII"."""
    third = (scale[(degree + 2) % 7] - scale[degree]) % 12
    fifth = (scale[(degree + 4) % 7] - scale[degree]) % 12
    numeral = ("I", "II", "III", "IV", "V", "VI", "VII")[degree]
    if third == 4:
        return numeral
    return numeral.lower() + ("°" if fifth == 6 else "")


def chord_pitch_classes(plan: Plan, degree: int, size: int = 3) -> list[int]:
    """Pitch classes of the diatonic chord on `degree`, root first (size 4 adds the seventh)."""
    return [(plan.tonic + plan.scale[(degree + 2 * i) % 7]) % 12 for i in range(size)]
