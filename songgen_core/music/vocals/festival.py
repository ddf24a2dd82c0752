"""Run Festival as a separate program to sing phone segments with set durations and pitch.

Each line of the song is one Festival utterance of type `Segments`: a list of
phones, each with its duration and F0 targets (times relative to the phone's
start), which Festival's diphone synthesiser renders as given (no duration or
intonation model runs). All lines of a song go to one `festival --batch`
process, which writes a WAV per line into a temporary folder.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from ...errors import SongGenError
from .voices import Voice, VoiceUnavailableError

TIMEOUT_BASE_S = 30.0
TIMEOUT_PER_LINE_S = 5.0


class VocalRenderError(SongGenError):
    """Festival ran but did not sing: it failed, timed out or wrote no audio."""


@dataclass(frozen=True)
class Segment:
    """One phone: its name (Festival's radio phone set), seconds, and F0 targets (seconds into the phone, Hz)."""

    phone: str
    duration_s: float
    f0: tuple[tuple[float, float], ...] = ()


def _scheme(segments: list[Segment]) -> str:
    items = []
    for seg in segments:
        targets = " ".join(f"({t:.4f} {hz:.3f})" for t, hz in seg.f0)
        items.append(f"({seg.phone} {seg.duration_s:.4f} {targets})")
    return "(Utterance Segments (" + " ".join(items) + "))"


def script(voice: Voice, utterances: list[list[Segment]], folder: Path) -> str:
    """The Scheme program that sings every utterance into folder/<index>.wav."""
    lines = [f"({voice.festival_voice})"]
    for i, segments in enumerate(utterances):
        lines.append(f"(set! u {_scheme(segments)})")
        lines.append("(utt.synth u)")
        lines.append(f'(utt.save.wave u "{folder / f"{i}.wav"}" \'riff)')
    return "\n".join(lines) + "\n"


def sing_utterances(voice: Voice, program: str, utterances: list[list[Segment]]) -> list[np.ndarray]:
    """Mono float32 audio at `voice.sample_rate` for each utterance, in order.

    Raises `VoiceUnavailableError` when the program cannot be started and
    `VocalRenderError` when it fails, times out or leaves an utterance unsung.
    """
    if not utterances:
        return []
    with tempfile.TemporaryDirectory(prefix="songgen-vocal-") as tmp:
        folder = Path(tmp)
        (folder / "song.scm").write_text(script(voice, utterances, folder), encoding="ascii")
        timeout = TIMEOUT_BASE_S + TIMEOUT_PER_LINE_S * len(utterances)
        try:
            done = subprocess.run([program, "--batch", str(folder / "song.scm")], capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL)
        except FileNotFoundError as error:
            raise VoiceUnavailableError(voice.name, f"cannot start festival ({program}): {error}", voice.debian_packages) from error
        except subprocess.TimeoutExpired as error:
            raise VocalRenderError(f"festival did not finish singing {len(utterances)} lines in {timeout:g} s") from error
        if done.returncode != 0:
            raise VocalRenderError(f"festival failed (exit {done.returncode}): {done.stderr.strip()[-400:]}")
        waves = []
        for i in range(len(utterances)):
            path = folder / f"{i}.wav"
            if not path.is_file():
                raise VocalRenderError(f"festival wrote no audio for line {i + 1}: {done.stderr.strip()[-400:]}")
            audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
            if rate != voice.sample_rate:
                raise VocalRenderError(f"festival sang at {rate} Hz, expected {voice.sample_rate} Hz")
            waves.append(audio[:, 0].copy())
        return waves
