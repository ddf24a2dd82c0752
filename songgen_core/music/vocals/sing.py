"""The guide vocal: the arranger's lead melody sung with the lyrics.

Alignment: the arranger gave every line `brief.line_syllables(line)` notes;
`phonemes.line_syllables_sung` splits the same line into exactly that many
syllables (the same count, word by word), so syllable k of a line is sung on
note k. Nothing is re-counted here.

Timing of one note (a syllable): its consonants before the vowel (onset) keep
their natural length and come *before* the beat, taken from the end of the
previous note or the rest before the line, so the vowel starts on the note;
the vowel is held to the note's end; consonants after it (coda) close the
note. When a note is too short for its consonants (a sixteenth holding
"strengths"), the consonants around it are shortened in proportion, so each
vowel keeps at least 40% of its note.

Pitch: each phone of a syllable gets the note's frequency as its F0 target;
a vowel that follows a note closely glides from the previous pitch over its
first 50 ms, and a vowel held longer than 0.4 s gets a light vibrato (5.5 Hz,
+-15 cents, fading in). The melody is moved by whole octaves into the voice's
range (`octave_shift`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..arranger.form import Part
from ..arranger.plan import Plan
from ..arranger.recipes import STEPS
from ..arranger.track import _Track
from .festival import Segment
from .phonemes import VOWELS, Syllable, line_syllables_sung
from .voices import Voice


class VocalAlignmentError(ValueError):
    """A line's syllables and notes differ in number (a bug: both come from one count)."""


# Natural consonant lengths (s), roughly what a diphone voice says at a relaxed pace.
_CONSONANT_S = {**{p: 0.06 for p in "p b t d k g".split()}, **{p: 0.08 for p in "ch jh f v th dh s z sh zh".split()},
                "hh": 0.05, **{p: 0.06 for p in "m n ng".split()}, **{p: 0.05 for p in "l r w y".split()}}
_UNSTRESSED_VOWEL_S = 0.07  # a vowel merged into a neighbour's syllable ("fire": the "er")
MIN_VOWEL_SHARE = 0.4
MIN_VOWEL_S = 0.03
LINE_LEAD_IN_S = 0.35  # at most this much of the rest before a line goes to its first consonants
PAUSE_S = 0.05  # silence at both ends of an utterance, for the diphones' context
GLIDE_S = 0.05
VIBRATO_AFTER_S, VIBRATO_HZ, VIBRATO_CENTS = 0.25, 5.5, 15.0
LEGATO_GAP_S = 0.12  # a note starting within this of the last one glides from it


@dataclass(frozen=True)
class SungNote:
    """One syllable on one note: seconds, MIDI key (after the octave shift), Hz."""

    syllable: Syllable
    start_s: float
    end_s: float
    key: int

    @property
    def hz(self) -> float:
        return 440.0 * 2 ** ((self.key - 69) / 12)


@dataclass
class SungLine:
    text: str
    notes: list[SungNote]
    segments: list[Segment]
    start_s: float  # where the utterance's first sample goes in the song
    vowel_spans: list[tuple[float, float]]  # (start s, end s) of each note's vowel, in the song's time


def octave_shift(keys: list[int], voice: Voice) -> int:
    """Semitones (a multiple of 12) that put most of the melody in the voice's range,
    its middle nearest the range's middle on ties. 0 for no notes."""
    if not keys:
        return 0
    middle = (voice.low_midi + voice.high_midi) / 2
    median = float(np.median(keys))

    def score(shift):
        inside = sum(voice.low_midi <= k + shift <= voice.high_midi for k in keys)
        return (inside, -abs(median + shift - middle))

    return max(range(-48, 25, 12), key=score)


def _length(phone: str) -> float:
    return _UNSTRESSED_VOWEL_S if phone in VOWELS else _CONSONANT_S.get(phone, 0.06)


def line_notes(plan: Plan, part: Part, duration_s: float) -> list[tuple[str, list[tuple[float, float, int]], bool]]:
    """Each sung line of a part with its notes as (start s, end s, MIDI key), cut at
    `duration_s`, and whether the cut shortened it (a song of fixed length may end mid-line:
    the line's first syllables are sung, one per note left).

    A note ends where the next one starts when they touch (legato), else at its
    written length. Raises `VocalAlignmentError` when the melody and the lines'
    syllable counts disagree."""
    clock = _Track(plan, "vocal", 0, False, duration_s)
    notes = sorted(part.melody)
    if len(notes) != sum(part.syllables):
        raise VocalAlignmentError(f"{part.label}: {len(notes)} notes for {sum(part.syllables)} syllables")
    lines, at = [], 0
    for text, count in zip(part.texts, part.syllables):
        timed = []
        for step, length, key in notes[at:at + count]:
            start = clock.time(part.start_bar * STEPS + step)
            end = clock.time(part.start_bar * STEPS + step + length)
            timed.append((start, end, key))
        for i in range(len(timed) - 1):  # never past the next note's start
            timed[i] = (timed[i][0], min(timed[i][1], timed[i + 1][0]), timed[i][2])
        kept = [(s, min(e, duration_s), k) for s, e, k in timed if s < duration_s - 0.05]
        if kept:
            lines.append((text, kept, len(kept) < len(timed)))
        at += count
    return lines


def _fit_consonants(onsets: list[float], codas: list[float], starts: list[float], ends: list[float], lead_in: float) -> None:
    """Shorten onset/coda totals (in place) so every vowel keeps its minimum share."""
    n = len(starts)
    vmin = [max(MIN_VOWEL_S, MIN_VOWEL_SHARE * (e - s)) for s, e in zip(starts, ends)]
    if onsets[0] > lead_in:
        onsets[0] = lead_in
    for i in range(n - 1):
        room = max(0.0, ends[i] - starts[i] - vmin[i]) + max(0.0, starts[i + 1] - ends[i])
        need = codas[i] + onsets[i + 1]
        if need > room:
            scale = room / need
            codas[i] *= scale
            onsets[i + 1] *= scale
        codas[i] = min(codas[i], max(0.0, ends[i] - starts[i] - vmin[i]))
    codas[-1] = min(codas[-1], max(0.0, ends[-1] - starts[-1] - vmin[-1]))


def _scaled(phones: tuple[str, ...], total: float) -> list[tuple[str, float]]:
    natural = [_length(p) for p in phones]
    factor = total / sum(natural) if natural and sum(natural) > 0 else 0.0
    return [(p, d * factor) for p, d in zip(phones, natural)]


def _vowel_f0(duration: float, hz: float, from_hz: float | None) -> tuple[tuple[float, float], ...]:
    targets = [(0.0, from_hz if from_hz else hz)]
    glide = min(GLIDE_S, 0.3 * duration)
    if from_hz:
        targets.append((glide, hz))
    if duration > VIBRATO_AFTER_S + 0.15:
        t = VIBRATO_AFTER_S
        while t < duration - 0.02:
            fade = min(1.0, (t - VIBRATO_AFTER_S) / 0.2)
            cents = VIBRATO_CENTS * fade * math.sin(2 * math.pi * VIBRATO_HZ * (t - VIBRATO_AFTER_S))
            targets.append((t, hz * 2 ** (cents / 1200)))
            t += 0.03
    targets.append((duration, hz))
    return tuple(targets)


def sing_line(text: str, timed: list[tuple[float, float, int]], shift: int, previous_end: float,
              cut: bool = False) -> SungLine:
    """The phone segments of one line: its syllables on its notes (see the module docstring).

    `previous_end` is when the previous line's singing ended (its first
    consonants may not start before it). `cut`: the song ends inside this line, so
    only its first `len(timed)` syllables are sung. Raises `VocalAlignmentError` when
    the line has not one syllable per note (at least as many syllables as notes when cut)."""
    syllables = line_syllables_sung(text)
    if cut and len(syllables) > len(timed):
        syllables = syllables[:len(timed)]
    if len(syllables) != len(timed):
        raise VocalAlignmentError(f"{text!r}: {len(syllables)} syllables for {len(timed)} notes")
    notes = [SungNote(s, start, end, key + shift) for s, (start, end, key) in zip(syllables, timed)]
    starts, ends = [n.start_s for n in notes], [n.end_s for n in notes]
    onsets = [sum(_length(p) for p in n.syllable.onset) for n in notes]
    codas = [sum(_length(p) for p in n.syllable.coda) for n in notes]
    lead_in = max(0.0, min(LINE_LEAD_IN_S, starts[0] - previous_end - PAUSE_S))
    _fit_consonants(onsets, codas, starts, ends, lead_in)

    origin = starts[0] - onsets[0] - PAUSE_S
    segments = [Segment("pau", PAUSE_S)]
    clock = starts[0] - onsets[0]
    last_hz, last_end = None, -1.0
    spans = []
    for i, note in enumerate(notes):
        hz = note.hz
        for phone, dur in _scaled(note.syllable.onset, onsets[i]):
            segments.append(Segment(phone, dur, ((0.0, hz),)))
        clock = note.start_s
        next_onset = starts[i + 1] - onsets[i + 1] if i + 1 < len(notes) else math.inf
        vowel_end = min(ends[i], next_onset) - codas[i]
        vowel = max(MIN_VOWEL_S, vowel_end - clock)
        legato = last_hz is not None and note.start_s - last_end < LEGATO_GAP_S
        segments.append(Segment(note.syllable.vowel, vowel, _vowel_f0(vowel, hz, last_hz if legato else None)))
        spans.append((clock, clock + vowel))
        clock += vowel
        for phone, dur in _scaled(note.syllable.coda, codas[i]):
            segments.append(Segment(phone, dur, ((0.0, hz),)))
        clock += codas[i]
        last_hz, last_end = hz, clock
        gap = next_onset - clock if i + 1 < len(notes) else 0.0
        if gap > 0.002:
            segments.append(Segment("pau", gap))
            clock += gap
    segments.append(Segment("pau", PAUSE_S))
    return SungLine(text, notes, [s for s in segments if s.duration_s > 0.0005], origin, spans)


def plan_vocal(plan: Plan, parts: list[Part], duration_s: float, voice: Voice) -> tuple[list[SungLine], int]:
    """Every sung line of the song as phone segments, and the octave shift used.

    Raises `VocalAlignmentError` on a syllable/note mismatch."""
    per_part = [(part, line_notes(plan, part, duration_s)) for part in parts if part.texts]
    shift = octave_shift([k for _, lines in per_part for _, timed, _ in lines for _, _, k in timed], voice)
    sung, previous_end = [], 0.0
    for _, lines in per_part:
        for text, timed, cut in lines:
            line = sing_line(text, timed, shift, previous_end, cut)
            sung.append(line)
            previous_end = line.notes[-1].end_s
    return sung, shift
