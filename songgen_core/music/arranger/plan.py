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

# A bridge leaves the home chord: it starts away from the tonic (IV, vi, VI, ...)
# and ends on the dominant side, leading back into the last chorus.
BRIDGE_PROGRESSIONS = {
    "major": ((3, 4, 5, 4), (5, 3, 1, 4), (3, 5, 3, 4)),
    "minor": ((5, 6, 3, 4), (3, 5, 6, 4), (5, 3, 6, 6)),
}

# Part kinds and the harmony (progression) each plays: the intro sets up the
# verse, the outro closes on the chorus chords.
HARMONY = {"intro": "verse", "verse": "verse", "chorus": "chorus", "bridge": "bridge", "outro": "chorus"}


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
    progressions: dict[str, tuple[int, ...]]  # verse / chorus / bridge -> chord degrees, one per bar
    drums: dict[str, dict[int, str]]  # part kind (intro, verse, chorus, bridge, outro) -> pattern
    swing: float
    programs: dict[str, int]  # bass / comping / lead / pad -> GM program

    @property
    def step_s(self) -> float:
        return 15.0 / self.tempo

    @property
    def bar_s(self) -> float:
        return STEPS * self.step_s


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def make_plan(brief: MusicBrief, seed: int) -> Plan:
    """Choose tempo, key, progressions, pattern variants and sounds for a brief and seed.

    The choices are drawn from the seed and the lyrics (the brief's digest of
    the sung words), so two songs made with one seed still differ in key,
    chords and sounds, while the same lyrics and seed always give the same plan.
    Never raises for a brief made by `make_brief`.
    """
    recipe = RECIPES[brief.style]
    rng = _rng(seed, 1, brief.lyrics_digest)
    lo, hi = brief.tempo_range
    tempo = int(np.clip(brief.tempo_bpm + rng.integers(-TEMPO_SPREAD, TEMPO_SPREAD + 1), lo, hi))
    progs = recipe.progressions[brief.mode]
    verse_variant = int(rng.integers(len(recipe.drums["verse"])))
    verse_drums = recipe.drums["verse"][verse_variant]
    # The bridge changes the groove when the style has a second verse pattern.
    bridge_drums = recipe.drums["verse"][(verse_variant + 1) % len(recipe.drums["verse"])]
    chorus_drums = _pick(rng, recipe.drums["chorus"])
    verse_prog = _pick(rng, progs)
    chorus_prog = _pick(rng, progs)
    return Plan(
        seed=seed,
        brief=brief,
        recipe=recipe,
        tempo=tempo,
        tonic=int(_pick(rng, recipe.keys)),
        scale=SCALES[brief.mode],
        progressions={"verse": verse_prog, "chorus": chorus_prog,
                      "bridge": _pick(rng, BRIDGE_PROGRESSIONS[brief.mode])},
        drums={"intro": verse_drums, "verse": verse_drums, "chorus": chorus_drums, "bridge": bridge_drums,
               "outro": chorus_drums},
        swing=float(rng.uniform(*recipe.swing)) if recipe.swing[1] > recipe.swing[0] else recipe.swing[0],
        programs={
            "bass": int(_pick(rng, recipe.bass_programs)),
            "comping": int(_pick(rng, recipe.comp_programs)),
            "lead": int(_pick(rng, recipe.lead_programs)),
            "pad": int(_pick(rng, recipe.pad_programs)),
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
