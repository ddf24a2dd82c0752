"""Writing the parts as MIDI: one track per instrument, mixed, without overlapping notes."""

from __future__ import annotations

import io

import pretty_midi

from .drums import _write_drums
from .form import Part
from .instruments import _write_bass, _write_comping, _write_lead, _write_pad
from .mix import mix_volumes
from .plan import Plan, _rng
from .track import _Track


def _write_midi(plan: Plan, parts: list[Part], duration_s: float) -> pretty_midi.PrettyMIDI:
    pm = pretty_midi.PrettyMIDI(resolution=480, initial_tempo=float(plan.tempo))
    drums = _Track(plan, "drums", 0, True, duration_s)
    bass = _Track(plan, "bass", plan.programs["bass"], False, duration_s)
    comping = _Track(plan, "comping", plan.programs["comping"], False, duration_s)
    lead = _Track(plan, "lead", plan.programs["lead"], False, duration_s)
    pad = _Track(plan, "pad", plan.programs["pad"], False, duration_s)
    _write_drums(plan, parts, drums, _rng(plan.seed, 2))
    _write_bass(plan, parts, bass)
    _write_comping(plan, parts, comping)
    _write_lead(plan, parts, lead)
    _write_pad(plan, parts, pad)
    # The pad plays only in choruses: a song cut before its first chorus has none.
    pm.instruments = [t.instrument for t in (drums, bass, comping, lead, pad) if t.instrument.notes or t is not pad]
    volumes = mix_volumes(plan.programs)
    for instrument in pm.instruments:
        _trim_overlaps(instrument)
        instrument.control_changes.append(pretty_midi.ControlChange(7, volumes[instrument.name], 0.0))
    return pm


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


def midi_to_bytes(pm: pretty_midi.PrettyMIDI) -> bytes:
    """A standard MIDI file (type 1) as bytes."""
    buffer = io.BytesIO()
    pm.write(buffer)
    return buffer.getvalue()
