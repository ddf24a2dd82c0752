"""What a caller asks of a music backend, and what it gets back."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from ..errors import InvalidRequestError
from ..text import check_text

MUSIC_BACKENDS = ("arranger", "musicgen")
MAX_DURATION_S = 300.0
MAX_LYRICS_CHARS = 20_000

# progress(fraction_done in [0, 1], message)
ProgressCallback = Callable[[float, str], None]


@dataclass(frozen=True)
class MusicRequest:
    """A validated request for music.

    `options` carries backend settings (for `musicgen`: model, guidance_scale,
    top_k, temperature, melody_path; for `arranger`: none needed).
    Raises `InvalidRequestError` on bad input.
    """

    genre: str
    lyrics: str
    duration_s: float = 20.0
    seed: int | None = None
    backend: str = "arranger"
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.genre, str) or not self.genre.strip():
            raise InvalidRequestError("genre", "a genre is required")
        object.__setattr__(self, "genre", self.genre.strip().lower())
        object.__setattr__(self, "lyrics", check_text("lyrics", self.lyrics, max_chars=MAX_LYRICS_CHARS, allow_newlines=True, required=False))
        try:
            duration = float(self.duration_s)
        except (TypeError, ValueError):
            raise InvalidRequestError("duration_s", "duration must be a number of seconds") from None
        if not math.isfinite(duration) or not (1.0 <= duration <= MAX_DURATION_S):
            raise InvalidRequestError("duration_s", f"duration must be between 1 and {MAX_DURATION_S:g} seconds")
        object.__setattr__(self, "duration_s", duration)
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int) or not (0 <= self.seed < 2**32)):
            raise InvalidRequestError("seed", "seed must be a whole number from 0 to 4294967295")
        if self.backend not in MUSIC_BACKENDS:
            raise InvalidRequestError("backend", f"unknown music backend {self.backend!r}; choose one of: {', '.join(MUSIC_BACKENDS)}")
        object.__setattr__(self, "options", dict(self.options or {}))


@dataclass
class MusicResult:
    """Audio as float32 in [-1, 1], shape (samples, channels), plus what made it."""

    audio: np.ndarray
    sample_rate: int
    backend: str
    model: str
    prompt: str
    midi_bytes: bytes | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.audio.shape[0] / self.sample_rate
