"""Melody: one note per syllable, a phrase of whole bars per lyric line."""

from __future__ import annotations

import math

import numpy as np

from .plan import HARMONY, Plan
from .recipes import STEPS, Recipe

LINE_REST = 4  # a quarter-note breath after every lyric line


def line_bars(syllables: int, recipe: Recipe) -> int:
    """Bars for a lyric line: the style's phrase length, doubled until the syllables fit in 16ths."""
    bars = recipe.line_bars
    while syllables > bars * STEPS - LINE_REST:
        bars *= 2
    return bars


def line_rhythm(syllables: int, bars: int, unit: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """(start step, length in steps) for each syllable of a line, inside `bars` bars.

    Notes sit on a grid of the longest of quarter / eighth / sixteenth that
    fits (at most twice the style's unit); the last note is held, some notes
    are lengthened, and the line ends with at least a quarter-note rest.
    Raises ValueError unless 1 <= syllables <= 16 * bars - 4 (see line_bars).
    """
    room = bars * STEPS - LINE_REST
    if not 1 <= syllables <= room:
        raise ValueError(f"{syllables} syllables do not fit in {bars} bars")
    grid = next(g for g in (4, 2, 1) if g <= 2 * unit and syllables * g <= room)
    lengths = [grid] * syllables
    slack = room - syllables * grid
    held = min(slack, grid * int(rng.integers(1, 3)))
    lengths[-1] += held
    slack -= held
    for i in rng.permutation(syllables - 1):
        if slack < grid:
            break
        if rng.random() < 0.35:
            lengths[i] += grid
            slack -= grid
    start = grid if slack >= grid and rng.random() < 0.4 else 0
    rhythm = []
    for length in lengths:
        rhythm.append((start, length))
        start += length
    return rhythm


def _scale_pitch(plan: Plan, k: int) -> int:
    """MIDI key of scale index k; index 0 is the tonic between C4 and B4 (a singer's middle)."""
    tonic_key = 60 + plan.tonic
    return tonic_key + 12 * (k // 7) + plan.scale[k % 7]


def _nearest(k: int, ok, lo: int, hi: int) -> int:
    """The scale index nearest k (preferring up) within [lo, hi] that satisfies ok."""
    for d in range(8):
        for cand in (k + d, k - d):
            if lo <= cand <= hi and ok(cand):
                return cand
    return k


def _step_weights(k: int, center: int, span: int, rapped: bool) -> np.ndarray:
    """Chances of moving -2..+2 scale steps, tilted back toward the middle of the range."""
    weights = np.array((0.08, 0.22, 0.4, 0.22, 0.08) if rapped else (0.12, 0.3, 0.16, 0.3, 0.12))
    tilt = float(np.clip((center - k) / max(1, span), -0.5, 0.5))
    weights = weights * (1 + tilt * np.array((-1, -1, 0, 1, 1)))
    return weights / weights.sum()


def section_melody(plan: Plan, kind: str, syllables: list[int], rng: np.random.Generator) -> tuple[list[tuple[int, int, int]], int]:
    """The lead melody of a section as (start step, steps, MIDI key), and the section's bars.

    Choruses sit four scale steps (about a fifth) higher than verses, a
    bridge two. The section is padded to a whole number of 4-bar progressions.
    """
    recipe = plan.recipe
    prog = plan.progressions[HARMONY[kind]]
    lo = -2 + {"chorus": 4, "bridge": 2}.get(kind, 0)
    hi = lo + recipe.lead_span
    center = (lo + hi) // 2
    rapped = recipe.unit == 1
    notes, bar, k = [], 0, center
    lines = [s for s in syllables if s > 0]
    for n, count in enumerate(lines):
        bars = line_bars(count, recipe)
        rhythm = line_rhythm(count, bars, recipe.unit, rng)
        for i, (step, length) in enumerate(rhythm):
            degree = prog[(bar + step // STEPS) % len(prog)]
            k = int(np.clip(k + rng.choice((-2, -1, 0, 1, 2), p=_step_weights(k, center, recipe.lead_span, rapped)), lo, hi))
            if i == len(rhythm) - 1 and n == len(lines) - 1:
                k = _nearest(k, lambda c: c % 7 == 0, lo, hi)  # the section ends home
            elif step % 4 == 0 or i == len(rhythm) - 1:
                k = _nearest(k, lambda c: (c - degree) % 7 in (0, 2, 4), lo, hi)  # strong beats and line ends on chord tones
            notes.append((bar * STEPS + step, length, _scale_pitch(plan, k)))
        bar += bars
    return notes, max(4, 4 * math.ceil(bar / 4))
