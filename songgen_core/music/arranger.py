"""The embedded default music backend: a genre-conditioned, lyrics-aware MIDI arranger.

No model weights. From a MusicRequest it writes a song as MIDI (pretty_midi)
and renders it with the GM soundfont pretty_midi ships (see render.py):

- brief (brief.py): style, mode, energy and a tempo hint from genre and lyrics;
  the seed picks the tempo within +-8 bpm of the hint (inside the style's range),
  the key, the chord progressions, the drum pattern variants and the sounds.
- form: one section per stanza (verse or chorus, see brief.song_sections), an
  instrumental intro of 1-2 bars for songs of 12 s or more, then choruses
  (or the whole form, when there is no chorus) repeat until the requested
  duration is filled. The audio is cut at exactly the requested duration,
  with a short fade-out. Empty lyrics get a default verse-chorus-verse-chorus
  form with an instrumental lead.
- drums (GM channel 10), a bass on the chord roots, a comping instrument
  (power chords, triads or seventh chords) and a lead melody with one note
  per syllable: each lyric line is a phrase of whole bars ending in a
  quarter-note rest; pitches walk the scale and land on chord tones on the
  beats. Choruses get denser drums, a crash and a melody a fifth higher.

Same request and seed -> identical MIDI and audio bytes. All randomness comes
from np.random.default_rng([seed, stream]), one stream per purpose.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pretty_midi

from .brief import MusicBrief, Section, line_syllables, make_brief, prompt_from_brief, song_sections
from .render import SAMPLE_RATE, SOUNDFONT_NAME, render_midi
from .request import MusicRequest, MusicResult, ProgressCallback

MODEL_NAME = f"arranger ({SOUNDFONT_NAME})"
STEPS = 16  # sixteenth notes per 4/4 bar
LINE_REST = 4  # a quarter-note breath after every lyric line
TEMPO_SPREAD = 8  # the seed moves the tempo up to this many bpm from the brief's hint
MAX_FADE_S = 1.5

# The mix. Mean power of each GM program as the arranger plays it in
# TimGM6mb.sf2 at full channel volume (measured over 8 seeds; "drums" is the kit),
# and the share of the mix's power each track should get: the lead stands in
# for the singer, so it is as loud as the drums.
PROGRAM_POWER = {
    "drums": 0.0075, 0: 0.0017, 4: 0.0041, 5: 0.001, 11: 0.0021, 22: 0.0035, 24: 0.0105, 25: 0.0035,
    29: 0.0032, 30: 0.0044, 32: 0.0068, 33: 0.0156, 34: 0.0081, 38: 0.0183, 39: 0.0289, 54: 0.0046,
    62: 0.0037, 73: 0.0186, 80: 0.0007, 81: 0.0015, 90: 0.0051,
}
MIX_SHARE = {"drums": 0.3, "bass": 0.25, "comping": 0.15, "lead": 0.3}

SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

# GM drum keys
KICK, STICK, SNARE, CLAP, HAT, OPEN_HAT, CRASH, RIDE = 36, 37, 38, 39, 42, 46, 49, 51
TOMS = (50, 48, 47, 45)
DRUM_VELOCITY = {"X": 118, "x": 96, "o": 64}

# Empty lyrics: syllables per line of an instrumental verse / chorus.
DEFAULT_FORM = (("verse", (7, 6, 7, 5)), ("chorus", (6, 6, 7, 4)), ("verse", (7, 7, 6, 5)), ("chorus", (6, 6, 7, 4)))


# ---------------------------------------------------------------------------
# Recipes: what each style plays. Patterns are 16 steps per bar, "X" accent,
# "x" hit, "o" ghost; for bass "x" root, "5" fifth, "8" octave.


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
        keys=(4, 9, 2, 7, 0),
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
        keys=(0, 7, 2, 5, 9),
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
        lead_programs=(80, 81), unit=1, line_bars=1, lead_span=4,
        progressions={"major": ((5, 3, 0, 4), (0, 5, 3, 4)), "minor": ((0, 5, 2, 6), (0, 3, 5, 4), (0, 5, 3, 4))},
        keys=tuple(range(12)),
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
        keys=(0, 7, 2, 9, 4, 5),
    ),
}


# ---------------------------------------------------------------------------
# The plan: every seed-dependent choice made up front.


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


# ---------------------------------------------------------------------------
# Melody: one note per syllable, a phrase of whole bars per line.


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

    Choruses sit four scale steps (about a fifth) higher than verses. The
    section is padded to a whole number of 4-bar progressions.
    """
    recipe = plan.recipe
    prog = plan.progressions[kind]
    lo = -2 + (4 if kind == "chorus" else 0)
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


# ---------------------------------------------------------------------------
# Form: sections placed in time, filling the requested duration.


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


# ---------------------------------------------------------------------------
# Writing the parts as MIDI.


class _Track:
    """Collects notes in steps and converts them to seconds (with swing) for one instrument."""

    def __init__(self, plan: Plan, name: str, program: int, is_drum: bool, end_s: float):
        self.plan = plan
        self.end_s = end_s
        self.instrument = pretty_midi.Instrument(program=program, is_drum=is_drum, name=name)
        self._swing_s = (plan.swing - 0.5) * 2 * plan.step_s

    def time(self, step: float) -> float:
        swing = self._swing_s if step == int(step) and int(step) % 2 == 1 else 0.0
        return step * self.plan.step_s + swing

    def add(self, pitch: int, velocity: float, start_step: float, length_s: float) -> None:
        start = self.time(start_step)
        if start >= self.end_s - 0.01:
            return
        end = min(start + length_s, self.end_s)
        self.instrument.notes.append(pretty_midi.Note(int(np.clip(round(velocity), 1, 127)), int(pitch), start, end))


def _onsets(pattern: str) -> list[tuple[int, str]]:
    return [(i, c) for i, c in enumerate(pattern) if c != "."]


def _gaps(onsets: list[int], until: int) -> list[int]:
    """Steps from each onset to the next one (the last to `until`)."""
    return [b - a for a, b in zip(onsets, onsets[1:] + [until])]


def _energy_gain(plan: Plan, kind: str) -> float:
    return 0.8 + 0.3 * plan.brief.energy + (0.08 if kind == "chorus" else 0.0)


def _write_drums(plan: Plan, parts: list[Part], track: _Track, rng: np.random.Generator) -> None:
    recipe = plan.recipe
    for p, part in enumerate(parts):
        pattern = plan.drums[part.kind]
        gain = _energy_gain(plan, part.kind)
        for b in range(part.bars):
            bar_step = (part.start_bar + b) * STEPS
            fill = b == part.bars - 1 and p + 1 < len(parts) and recipe.fill != "none"
            roll_beat = int(rng.choice([1, 3])) if recipe.hat_rolls and rng.random() < (0.7 if part.kind == "chorus" else 0.45) else None
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
            if recipe.crash and b == 0 and (part.kind == "chorus" or part.start_bar == 0):
                hits.append((CRASH, 0, "X"))
            for key, step, c in hits:
                velocity = DRUM_VELOCITY[c] * gain + rng.integers(-4, 5)
                track.add(key, velocity, bar_step + step, 0.25)


def _fill(kind: str) -> list[tuple[int, float, str]]:
    """Hits on the last beat of a bar leading into a new section."""
    if kind == "toms":
        return [(tom, 12 + i, "x") for i, tom in enumerate(TOMS)] + [(KICK, 12, "x")]
    return [(SNARE, 12 + i, "o" if i < 2 else "x") for i in range(4)]


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


def _write_midi(plan: Plan, parts: list[Part], duration_s: float) -> pretty_midi.PrettyMIDI:
    pm = pretty_midi.PrettyMIDI(resolution=480, initial_tempo=float(plan.tempo))
    drums = _Track(plan, "drums", 0, True, duration_s)
    bass = _Track(plan, "bass", plan.programs["bass"], False, duration_s)
    comping = _Track(plan, "comping", plan.programs["comping"], False, duration_s)
    lead = _Track(plan, "lead", plan.programs["lead"], False, duration_s)
    _write_drums(plan, parts, drums, _rng(plan.seed, 2))
    _write_bass(plan, parts, bass)
    _write_comping(plan, parts, comping)
    _write_lead(plan, parts, lead)
    pm.instruments = [t.instrument for t in (drums, bass, comping, lead)]
    volumes = mix_volumes(plan.programs)
    for instrument in pm.instruments:
        _trim_overlaps(instrument)
        instrument.control_changes.append(pretty_midi.ControlChange(7, volumes[instrument.name], 0.0))
    return pm


def mix_volumes(programs: dict[str, int]) -> dict[str, int]:
    """Channel volume (CC 7) per track so each gets its MIX_SHARE of the power.

    Set in the MIDI rather than applied to the audio so an exported MIDI file
    sounds balanced too. TinySoundFont's power goes with (CC 7 / 127) ** 6
    (the volume is cubed, as amplitude); the loudest-needed track gets 127.
    """
    power = {"drums": PROGRAM_POWER["drums"], **{role: PROGRAM_POWER.get(p, 0.005) for role, p in programs.items()}}
    gains = {role: (MIX_SHARE[role] / power[role]) ** (1 / 6) for role in MIX_SHARE}
    top = max(gains.values())
    return {role: int(round(127 * g / top)) for role, g in gains.items()}


def _trim_overlaps(instrument: pretty_midi.Instrument) -> None:
    """End each note before the next note of the same key starts.

    Overlapping notes of one key mean different things to different synths
    (TinySoundFont ends the oldest), so none are written.
    """
    instrument.notes.sort(key=lambda n: (n.pitch, n.start))
    for note, nxt in zip(instrument.notes, instrument.notes[1:]):
        if nxt.pitch == note.pitch and note.end > nxt.start:
            note.end = nxt.start
    instrument.notes = sorted((n for n in instrument.notes if n.end > n.start), key=lambda n: (n.start, n.pitch))


# ---------------------------------------------------------------------------
# Public API


@dataclass
class Arrangement:
    """A composed song: the MIDI, what was chosen, and how to render it."""

    midi: pretty_midi.PrettyMIDI
    duration_s: float
    fade_out_s: float
    info: dict[str, Any]
    brief: MusicBrief


def fade_seconds(duration_s: float) -> float:
    """Length of the fade-out at the end: 15% of the song, at most 1.5 s."""
    return min(MAX_FADE_S, 0.15 * duration_s)


def _info(plan: Plan, parts: list[Part], duration_s: float, instrumental: bool) -> dict[str, Any]:
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
    return {
        "seed": plan.seed,
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


def arrange(request: MusicRequest) -> Arrangement:
    """Compose the song for a request; a seed of None is replaced by a random one (see info["seed"])."""
    seed = request.seed if request.seed is not None else int(np.random.default_rng().integers(0, 2**32))
    brief = make_brief(request.genre, request.lyrics)
    plan = make_plan(brief, seed)
    sections = song_sections(request.lyrics)
    parts = plan_form(plan, sections, request.duration_s)
    midi = _write_midi(plan, parts, request.duration_s)
    info = _info(plan, parts, request.duration_s, instrumental=not sections)
    return Arrangement(midi, request.duration_s, fade_seconds(request.duration_s), info, brief)


def compose(request: MusicRequest) -> pretty_midi.PrettyMIDI:
    """The song for a request as MIDI (cut at the requested duration)."""
    return arrange(request).midi


def midi_to_bytes(pm: pretty_midi.PrettyMIDI) -> bytes:
    """A standard MIDI file (type 1) as bytes."""
    buffer = io.BytesIO()
    pm.write(buffer)
    return buffer.getvalue()


def generate(request: MusicRequest, progress: ProgressCallback | None = None) -> MusicResult:
    """Compose and render a song: stereo float32 audio at 44.1 kHz, exactly the requested length.

    Same request and seed give identical audio and MIDI bytes. Raises
    render.RenderError if the song renders to silence (should not happen) and
    ModelUnavailableError if the soundfont cannot be loaded.
    """
    report = progress or (lambda fraction, message: None)
    report(0.0, "composing")
    arrangement = arrange(request)
    report(0.2, "rendering")
    audio = render_midi(arrangement.midi, sample_rate=SAMPLE_RATE, duration_s=arrangement.duration_s, fade_out_s=arrangement.fade_out_s)
    report(0.95, "writing MIDI")
    result = MusicResult(
        audio=audio,
        sample_rate=SAMPLE_RATE,
        backend="arranger",
        model=MODEL_NAME,
        prompt=prompt_from_brief(arrangement.brief),
        midi_bytes=midi_to_bytes(arrangement.midi),
        info=dict(arrangement.info),
    )
    report(1.0, "done")
    return result
