"""Form: sections placed in time, filling the requested duration."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..brief import Section, line_syllables
from .melody import section_melody
from .plan import Plan, _rng

# Empty lyrics: syllables per line of an instrumental verse / chorus.
DEFAULT_FORM = (("verse", (7, 6, 7, 5)), ("chorus", (6, 6, 7, 4)), ("verse", (7, 7, 6, 5)), ("chorus", (6, 6, 7, 4)))


@dataclass
class Part:
    kind: str  # "intro", "verse" or "chorus"
    label: str
    start_bar: int
    bars: int
    melody: list[tuple[int, int, int]] = field(default_factory=list)
    lines: int = 0


def _intro_bars(duration_s: float) -> int:
    return 0 if duration_s < 12 else 1 if duration_s < 30 else 2


def plan_form(plan: Plan, sections: list[Section], duration_s: float) -> list[Part]:
    """Intro, one part per section, then repeated choruses until the duration is covered.

    Without sections (empty lyrics) the default form is used. Parts that would
    start after the end are left out; the last one may run past it (it is cut).
    """
    if sections:
        material = [(s.kind, s.label, [line_syllables(line) for line in s.lines], len(s.lines)) for s in sections]
    else:
        material = [(kind, kind.title(), list(counts), 0) for kind, counts in DEFAULT_FORM]
    melodies: dict[tuple, tuple] = {}  # a repeated stanza is sung to the same tune
    parts = []
    intro = _intro_bars(duration_s)
    if intro:
        parts.append(Part("intro", "Intro", 0, intro))
    needed = math.ceil(duration_s / plan.bar_s - 1e-9)
    bar = intro
    repeats = [m for m in material if m[0] == "chorus"] or material
    order = list(material)
    while bar < needed:
        if not order:
            order = list(repeats)
        kind, label, syllables, lines = order.pop(0)
        key = (kind, tuple(syllables), label)
        if key not in melodies:
            melodies[key] = section_melody(plan, kind, syllables, _rng(plan.seed, 100 + len(melodies)))
        melody, bars = melodies[key]
        parts.append(Part(kind, label, bar, bars, melody, lines))
        bar += bars
    return parts
