"""Recipes: what each style plays. Patterns are 16 steps per bar, "X" accent,
"x" hit, "o" ghost; for bass "x" root, "5" fifth, "8" octave."""

from __future__ import annotations

from dataclasses import dataclass

STEPS = 16  # sixteenth notes per 4/4 bar

# GM drum keys
KICK, STICK, SNARE, CLAP, HAT, OPEN_HAT, CRASH, RIDE = 36, 37, 38, 39, 42, 46, 49, 51
TOMS = (50, 48, 47, 45)


@dataclass(frozen=True)
class Recipe:
    drum_name: str
    drums: dict[str, tuple[dict[int, str], ...]]  # section kind -> variants (seed picks one)
    fill: str  # last beat before a new section: "toms", "snare" or "none"
    crash: bool  # crash on the downbeat of choruses and the song
    swing: tuple[float, float]  # swing ratio of the off 16ths, (0.5, 0.5) = straight
    hat_rolls: bool  # trap: 32nd / triplet rolls on a beat of some bars
    bass_programs: tuple[int, ...]
    bass: dict[str, str] | None  # None: the bass plays with the kick
    bass_low: int  # lowest MIDI key of the bass root octave
    bass_gate: float  # note length as a fraction of the gap to the next note
    comp_programs: tuple[int, ...]
    comp: dict[str, str]
    comp_gate: float
    voicing: str  # "power", "triad" or "seventh"
    lead_programs: tuple[int, ...]
    unit: int  # sixteenths per syllable the style prefers (2: sung, 1: rapped)
    line_bars: int  # bars per lyric line unless it needs more
    lead_span: int  # melody range in scale steps
    progressions: dict[str, tuple[tuple[int, ...], ...]]  # mode -> chord degree sequences
    keys: tuple[int, ...]  # tonic pitch classes to choose from
    pad_programs: tuple[int, ...] = (48,)  # the part added in choruses (sustained chords)


_POP_PROGRESSIONS = {
    "major": ((0, 4, 5, 3), (5, 3, 0, 4), (0, 5, 3, 4), (0, 3, 5, 4)),
    "minor": ((0, 5, 2, 6), (0, 3, 5, 4), (5, 6, 0, 0), (0, 6, 5, 6)),
}

RECIPES: dict[str, Recipe] = {
    "rock": Recipe(
        drum_name="rock backbeat",
        drums={
            "verse": (
                {KICK: "x.......x.x.....", SNARE: "....X.......X...", HAT: "X.x.X.x.X.x.X.x."},
                {KICK: "x.....x.x.......", SNARE: "....X.......X...", HAT: "X.x.X.x.X.x.X.x."},
            ),
            "chorus": ({KICK: "x.....x.x.x.....", SNARE: "....X.......X...", RIDE: "X.x.X.x.X.x.X.x.", HAT: "..o...o...o...o."},),
        },
        fill="toms", crash=True, swing=(0.5, 0.5), hat_rolls=False,
        bass_programs=(33, 34), bass={"verse": "x.x.x.x.x.x.x.x.", "chorus": "x.x.x.x.x.x.8.x."}, bass_low=36, bass_gate=0.85,
        comp_programs=(29, 30), comp={"verse": "x.......x.......", "chorus": "x.x.x.x.x.x.x.x."}, comp_gate=0.8, voicing="power",
        lead_programs=(81, 62), unit=2, line_bars=2, lead_span=8,
        progressions={"major": ((0, 4, 5, 3), (0, 3, 4, 3), (0, 5, 3, 4)), "minor": ((0, 5, 2, 6), (0, 6, 5, 6), (0, 3, 4, 0))},
        keys=(4, 9, 2, 7, 0, 11, 6),
        pad_programs=(48, 50),  # string ensemble, synth strings
    ),
    "pop": Recipe(
        drum_name="pop four-on-the-floor / syncopated",
        drums={
            "verse": (
                {KICK: "x...x...x...x...", SNARE: "....x.......x...", CLAP: "....x.......x...", HAT: "..x...x...x...x."},
                {KICK: "x.....x...x.....", SNARE: "....x.......x...", HAT: "x.x.x.x.x.x.x.x."},
            ),
            "chorus": ({KICK: "x...x...x...x...", SNARE: "....X.......X...", CLAP: "....X.......X...", HAT: "xoxoxoxoxoxoxo..", OPEN_HAT: "..............x."},),
        },
        fill="snare", crash=True, swing=(0.5, 0.5), hat_rolls=False,
        bass_programs=(38, 33), bass={"verse": "x.....x...x.....", "chorus": "x.x...x.x.x...5."}, bass_low=36, bass_gate=0.9,
        comp_programs=(0, 90), comp={"verse": "x..x..x...x..x..", "chorus": "x.x.x.x.x.x.x.x."}, comp_gate=0.9, voicing="triad",
        lead_programs=(80, 54), unit=2, line_bars=2, lead_span=8,
        progressions=_POP_PROGRESSIONS,
        keys=(0, 7, 2, 5, 9, 4, 10),
        pad_programs=(89, 48),  # warm pad, string ensemble
    ),
    "boom-bap": Recipe(
        drum_name="boom-bap (swung 16ths)",
        drums={
            "verse": (
                {KICK: "x......x..x.....", SNARE: "....X.......X...", HAT: "xoxoxoxoxoxoxoxo"},
                {KICK: "x.........x..x..", SNARE: "....X.......X...", HAT: "xoxoxoxoxoxoxoxo"},
            ),
            "chorus": ({KICK: "x......x.xx...x.", SNARE: "....X.......X..o", HAT: "xoxoxoxoxoxoxo..", OPEN_HAT: "..............x."},),
        },
        fill="none", crash=False, swing=(0.56, 0.62), hat_rolls=False,
        bass_programs=(33, 32), bass=None, bass_low=36, bass_gate=0.9,
        comp_programs=(4, 5), comp={"verse": "x...............", "chorus": "x.....x........."}, comp_gate=0.95, voicing="seventh",
        lead_programs=(80, 11), unit=1, line_bars=1, lead_span=4,
        progressions={"major": ((5, 3, 0, 4), (0, 5, 1, 4)), "minor": ((0, 3, 4, 0), (0, 5, 3, 4), (0, 6, 5, 6))},
        keys=tuple(range(12)),
        pad_programs=(48, 52),  # strings, choir aahs
    ),
    "trap": Recipe(
        drum_name="trap half-time (rolling hi-hats, 808)",
        drums={
            "verse": (
                {KICK: "x......x..x.....", SNARE: "........x.......", CLAP: "........X.......", HAT: "x.x.x.x.x.x.x.x."},
                {KICK: "x.....x....x....", SNARE: "........x.......", CLAP: "........X.......", HAT: "x.x.x.x.x.x.x.x."},
            ),
            "chorus": ({KICK: "x......x..x..x..", SNARE: "........x.......", CLAP: "........X.......", HAT: "xoxoxoxoxoxoxoxo"},),
        },
        fill="none", crash=False, swing=(0.5, 0.5), hat_rolls=True,
        bass_programs=(38, 39), bass=None, bass_low=28, bass_gate=0.98,
        comp_programs=(4, 90), comp={"verse": "x...............", "chorus": "x.......x......."}, comp_gate=0.95, voicing="seventh",
        # Half-time: a rapped line takes two bars of the counted tempo (one of the felt one).
        lead_programs=(80, 81), unit=1, line_bars=2, lead_span=4,
        progressions={"major": ((5, 3, 0, 4), (0, 5, 3, 4)), "minor": ((0, 5, 2, 6), (0, 3, 5, 4), (0, 5, 3, 4))},
        keys=tuple(range(12)),
        pad_programs=(89, 95),  # warm pad, sweep pad
    ),
    "generic": Recipe(
        drum_name="light backbeat (side-stick verses)",
        drums={
            "verse": ({KICK: "x.......x.......", STICK: "....x.......x...", HAT: "x...x...x...x..."},),
            "chorus": ({KICK: "x.....x.x.......", SNARE: "....x.......x...", HAT: "x.o.x.o.x.o.x.o."},),
        },
        fill="toms", crash=True, swing=(0.5, 0.5), hat_rolls=False,
        bass_programs=(32, 33), bass={"verse": "x.......5.......", "chorus": "x...5...x...5..."}, bass_low=36, bass_gate=0.6,
        comp_programs=(25, 24), comp={"verse": "x...x...x...x...", "chorus": "x.x.x.x.x.x.x.x."}, comp_gate=0.9, voicing="triad",
        lead_programs=(73, 22), unit=2, line_bars=2, lead_span=8,
        progressions=_POP_PROGRESSIONS,
        keys=(0, 7, 2, 9, 4, 5, 10),
        pad_programs=(48, 49),  # string ensembles
    ),
}
