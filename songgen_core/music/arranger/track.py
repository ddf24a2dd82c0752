"""One instrument's notes, placed in steps and written in seconds (with swing),
and the pattern helpers the drum and instrument writers share."""

from __future__ import annotations

import numpy as np
import pretty_midi

from .plan import Plan


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
