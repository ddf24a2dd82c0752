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


WHOLE_SONG = None  # duration_s meaning "the whole song": every line sung, intro and outro
VOCALS = ("none", "guide")


def check_duration(duration_s: Any) -> float | None:
    """`duration_s` as seconds, or None for the whole song.

    Accepts None, "whole" / "whole song" (None), or a number of seconds from 1
    to MAX_DURATION_S. Raises `InvalidRequestError` (field duration_s) otherwise.
    """
    if duration_s is None or (isinstance(duration_s, str) and duration_s.strip().lower() in ("whole", "whole song")):
        return WHOLE_SONG
    if isinstance(duration_s, bool):
        raise InvalidRequestError("duration_s", "duration must be a number of seconds or None for the whole song")
    try:
        duration = float(duration_s)
    except (TypeError, ValueError):
        raise InvalidRequestError("duration_s", "duration must be a number of seconds or None for the whole song") from None
    if not math.isfinite(duration) or not (1.0 <= duration <= MAX_DURATION_S):
        raise InvalidRequestError("duration_s", f"duration must be between 1 and {MAX_DURATION_S:g} seconds")
    return duration


@dataclass(frozen=True)
class MusicRequest:
    """A validated request for music.

    `duration_s` is seconds of music (fitted and cut), or None (the default)
    for the whole song: the arranger sings every line of every section with an
    intro and an outro, and MusicGen gets that song's length (see
    `songgen_core.music.arranger.whole_song_length`). `vocals` is "none" or
    "guide" (a sung guide vocal, arranger only; `voice` names one of
    `songgen_core.music.vocals.VOICES`, None for the default voice).
    `options` carries backend settings (for `musicgen`: model, guidance_scale,
    top_k, temperature, melody_path; for `arranger`: none needed).
    Raises `InvalidRequestError` on bad input, among them vocals="guide" with
    the musicgen backend.
    """

    genre: str
    lyrics: str
    duration_s: float | None = WHOLE_SONG
    seed: int | None = None
    backend: str = "arranger"
    options: Mapping[str, Any] = field(default_factory=dict)
    vocals: str = "none"
    voice: str | None = None

    @property
    def whole_song(self) -> bool:
        return self.duration_s is None

    def __post_init__(self):
        if not isinstance(self.genre, str) or not self.genre.strip():
            raise InvalidRequestError("genre", "a genre is required")
        object.__setattr__(self, "genre", self.genre.strip().lower())
        object.__setattr__(self, "lyrics", check_text("lyrics", self.lyrics, max_chars=MAX_LYRICS_CHARS, allow_newlines=True, required=False))
        object.__setattr__(self, "duration_s", check_duration(self.duration_s))
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int) or not (0 <= self.seed < 2**32)):
            raise InvalidRequestError("seed", "seed must be a whole number from 0 to 4294967295")
        if self.backend not in MUSIC_BACKENDS:
            raise InvalidRequestError("backend", f"unknown music backend {self.backend!r}; choose one of: {', '.join(MUSIC_BACKENDS)}")
        object.__setattr__(self, "options", dict(self.options or {}))
        if self.vocals not in VOCALS:
            raise InvalidRequestError("vocals", f"vocals must be one of: {', '.join(VOCALS)}; got {self.vocals!r}")
        if self.vocals == "guide" and self.backend != "arranger":
            raise InvalidRequestError("vocals", "a guide vocal is sung over the arranger's melody; "
                                                f"the {self.backend} backend cannot have one (use vocals='none')")
        if self.voice is not None:
            from .vocals.voices import check_voice_name  # light: no synthesis is loaded

            check_voice_name(self.voice)


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
    # Arranger only, when asked (options["stems"]): name -> audio like `audio`, summing to it.
    stems: dict[str, np.ndarray] | None = None

    @property
    def duration_s(self) -> float:
        return self.audio.shape[0] / self.sample_rate
