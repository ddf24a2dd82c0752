"""Form: sections placed in time, as the whole song or fitted to a duration.

Two ways to lay a song out:

- the whole song (`duration_s=None`): an instrumental intro, every section of
  the lyrics once, in order (so every line is sung), then an instrumental
  outro that ends on a held tonic chord; the song is as long as that takes.
- a fixed duration: an intro of 0-2 bars, the sections in order, then the
  choruses again until the duration is covered; the last part is cut.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ..brief import Section, line_syllables, section_word
from .melody import section_melody
from .plan import HARMONY, Plan, _rng

# Empty lyrics: syllables per line of an instrumental verse / chorus.
DEFAULT_FORM = (("verse", (7, 6, 7, 5)), ("chorus", (6, 6, 7, 4)), ("verse", (7, 7, 6, 5)), ("chorus", (6, 6, 7, 4)))

OUTRO_BARS = 2  # a bar of the chorus chords, then the tonic held
END_TAIL_S = 2.0  # after the last bar: the held chord rings and fades
MAX_WHOLE_SONG_S = 600.0  # a whole song stops taking sections past this (absurdly long lyrics)
_BRIDGE_WORDS = re.compile(r"^(?:bridge|interlude|breakdown)$")


@dataclass
class Part:
    kind: str  # "intro", "verse", "chorus", "bridge" or "outro"
    label: str
    start_bar: int
    bars: int
    melody: list[tuple[int, int, int]] = field(default_factory=list)
    lines: int = 0
    syllables: tuple[int, ...] = ()  # per sung line, as the melody was made (one note each)
    texts: tuple[str, ...] = ()  # the sung lines themselves (lines without syllables left out)

    @property
    def harmony(self) -> str:
        """The progression this part plays: "verse", "chorus" or "bridge"."""
        return HARMONY[self.kind]

    @property
    def lifted(self) -> bool:
        """Choruses are lifted: fuller drums, the added pad, a higher tune."""
        return self.kind == "chorus"

    def degree(self, plan: Plan, bar: int) -> int:
        """The chord (scale degree) of the part's bar `bar`; the outro's last bar is the tonic."""
        if self.kind == "outro" and bar == self.bars - 1:
            return 0
        prog = plan.progressions[self.harmony]
        return prog[bar % len(prog)]

    def is_final_bar(self, bar: int) -> bool:
        return self.kind == "outro" and bar == self.bars - 1


def part_kind(section: Section) -> str:
    """The arranger's part kind for a lyrics section: chorus (also Hook, Refrain), bridge
    (also Interlude, Breakdown) or verse (everything else, a sung [Outro] included)."""
    if section.kind == "chorus":
        return "chorus"
    return "bridge" if _BRIDGE_WORDS.match(section_word(section)) else "verse"


def _material(sections: list[Section]) -> list[tuple[str, str, tuple[str, ...], list[int]]]:
    """(kind, label, sung lines, syllables per line) per section; the default form has no lines."""
    if sections:
        return [(part_kind(s), s.label, s.lines, [line_syllables(line) for line in s.lines]) for s in sections]
    return [(kind, kind.title(), (), list(counts)) for kind, counts in DEFAULT_FORM]


def _intro_bars(duration_s: float | None, plan: Plan) -> int:
    if duration_s is None:  # whole song: about 4 s or more of intro
        return 2 if plan.bar_s >= 2.0 else 4
    return 0 if duration_s < 12 else 1 if duration_s < 30 else 2


def plan_form(plan: Plan, sections: list[Section], duration_s: float | None) -> list[Part]:
    """The parts of the song, back to back, for a duration or the whole song (None).

    Without sections (empty lyrics) the default verse-chorus form is used. With
    a duration, parts that would start after the end are left out and the last
    one may run past it (it is cut). Never raises.
    """
    material = _material(sections)
    melodies: dict[tuple, tuple] = {}  # a repeated stanza is sung to the same tune

    def part_for(kind: str, label: str, lines: tuple[str, ...], syllables: list[int], bar: int) -> Part:
        key = (kind, tuple(syllables), label)
        if key not in melodies:
            melodies[key] = section_melody(plan, kind, syllables, _rng(plan.seed, 100 + len(melodies)))
        melody, bars = melodies[key]
        sung = [(text, n) for text, n in zip(lines, syllables) if n > 0]
        return Part(kind, label, bar, bars, melody, len(lines), tuple(n for _, n in sung) if lines else (),
                    tuple(text for text, _ in sung))

    intro = _intro_bars(duration_s, plan)
    parts = [Part("intro", "Intro", 0, intro)] if intro else []
    bar = intro
    if duration_s is None:
        limit_bars = (MAX_WHOLE_SONG_S - END_TAIL_S) / plan.bar_s - OUTRO_BARS
        for kind, label, lines, syllables in material:
            part = part_for(kind, label, lines, syllables, bar)
            if bar + part.bars > limit_bars:
                break
            parts.append(part)
            bar += part.bars
        parts.append(Part("outro", "Outro (instrumental)", bar, OUTRO_BARS))
        return parts
    needed = math.ceil(duration_s / plan.bar_s - 1e-9)
    repeats = [m for m in material if m[0] == "chorus"] or material
    order = list(material)
    while bar < needed:
        if not order:
            order = list(repeats)
        part = part_for(*order.pop(0), bar)
        parts.append(part)
        bar += part.bars
    return parts


def whole_song_seconds(plan: Plan, parts: list[Part]) -> float:
    """Length of a whole-song form: its bars plus the final chord's ring-out."""
    end_bar = parts[-1].start_bar + parts[-1].bars
    return round(end_bar * plan.bar_s + END_TAIL_S, 3)
