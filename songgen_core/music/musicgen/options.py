"""Settings, validated: the model's generation parameters (`GenerationParams`,
named as audiocraft's `set_generation_params`) and the backend's request options
(`parse_options` -> `MusicgenOptions`). Every check raises `InvalidRequestError`
naming the bad field."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from typing import Any, Mapping

import numpy as np

from ...errors import InvalidRequestError

DEFAULT_MODEL = "facebook/musicgen-small"
MAX_WINDOW_S = 30.0  # the released checkpoints were trained on 30-second segments
DEFAULT_EXTEND_STRIDE_S = 18.0  # audiocraft's default
OPTION_NAMES = ("model", "guidance_scale", "top_k", "top_p", "temperature", "melody_path", "window_s", "extend_stride_s")


@dataclass(frozen=True)
class GenerationParams:
    """Sampling and length settings, named as in audiocraft's `set_generation_params`.

    `guidance_scale` is audiocraft's `cfg_coef` (1 turns classifier-free guidance
    off); `top_k` 0 and `top_p` 0 turn those filters off; `max_window` is the
    longest single window in seconds (None: the model's, 30 s for the released
    checkpoints); `extend_stride` is how many new seconds each further window adds.
    """

    duration: float = 15.0
    use_sampling: bool = True
    top_k: int = 250
    top_p: float = 0.0
    temperature: float = 1.0
    guidance_scale: float = 3.0
    extend_stride: float = DEFAULT_EXTEND_STRIDE_S
    max_window: float | None = None

    def validated(self, max_duration: float) -> "GenerationParams":
        """Return a copy with numbers normalised and `max_window` filled in.

        Raises `InvalidRequestError` naming the bad parameter.
        """
        window = max_duration if self.max_window is None else _check_number("max_window", self.max_window, 0.0, max_duration, low_open=True)
        # When everything fits in one window the stride is never used, so a stride
        # longer than a short window is harmless; it must only be shorter otherwise.
        duration = _check_number("duration", self.duration, 0.0, math.inf, low_open=True)
        stride = _check_number("extend_stride", self.extend_stride, 0.0, math.inf, low_open=True)
        if duration > window and stride >= window:
            raise InvalidRequestError("extend_stride", f"must be shorter than the window ({window:g} s) to continue past it")
        return replace(
            self,
            duration=duration,
            use_sampling=bool(self.use_sampling),
            top_k=_check_whole("top_k", self.top_k, 0, 100_000),
            top_p=_check_number("top_p", self.top_p, 0.0, 1.0),
            temperature=_check_number("temperature", self.temperature, 0.0, 10.0, low_open=True),
            guidance_scale=_check_number("guidance_scale", self.guidance_scale, 1.0, 20.0),
            extend_stride=stride,
            max_window=window,
        )


def _check_number(field: str, value, low: float, high: float, *, low_open: bool = False) -> float:
    """`value` as a finite float in [low, high] ((low, high] when `low_open`), else `InvalidRequestError`."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidRequestError(field, f"must be a number, got {value!r}")
    value = float(value)
    below = value <= low if low_open else value < low
    if not math.isfinite(value) or below or value > high:
        bracket = "(" if low_open else "["
        upper = "" if math.isinf(high) else f", {high:g}"
        raise InvalidRequestError(field, f"must be in {bracket}{low:g}{upper}{']' if upper else ', ...)'}, got {value!r}")
    return value


def _check_whole(field: str, value, low: int, high: int) -> int:
    """`value` as an int in [low, high], else `InvalidRequestError` (floats like 250.0 are refused too)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not (low <= value <= high):
        raise InvalidRequestError(field, f"must be a whole number from {low} to {high}, got {value!r}")
    return int(value)



@dataclass(frozen=True)
class MusicgenOptions:
    """The musicgen backend's `request.options`, validated."""

    model: str = DEFAULT_MODEL
    guidance_scale: float = 3.0
    top_k: int = 250
    top_p: float = 0.0
    temperature: float = 1.0
    melody_path: str | None = None
    window_s: float | None = None
    extend_stride_s: float = DEFAULT_EXTEND_STRIDE_S


def parse_options(options: Mapping[str, Any]) -> MusicgenOptions:
    """Validate musicgen options. Raises `InvalidRequestError` naming the option:
    unknown names (typos would otherwise be ignored silently), wrong types, values
    out of range, a melody file that does not exist, a stride not shorter than the
    window."""
    options = dict(options or {})
    unknown = sorted(set(options) - set(OPTION_NAMES))
    if unknown:
        raise InvalidRequestError(unknown[0], f"unknown musicgen option; known: {', '.join(OPTION_NAMES)}")
    model = options.get("model", DEFAULT_MODEL)
    if not isinstance(model, str) or not model.strip() or len(model) > 500 or any(ord(c) < 32 for c in model):
        raise InvalidRequestError("model", "must be a hub id such as facebook/musicgen-small or a local folder path")
    melody_path = options.get("melody_path")
    if melody_path is not None:
        if not isinstance(melody_path, (str, os.PathLike)) or not os.fspath(melody_path).strip():
            raise InvalidRequestError("melody_path", "must be the path of an audio file")
        melody_path = os.fspath(melody_path)
        if not os.path.isfile(melody_path):
            raise InvalidRequestError("melody_path", f"no audio file at {melody_path!r}")
    window = options.get("window_s")
    if window is not None:
        window = _check_number("window_s", window, 0.0, MAX_WINDOW_S, low_open=True)
    stride = _check_number("extend_stride_s", options.get("extend_stride_s", DEFAULT_EXTEND_STRIDE_S), 0.0, MAX_WINDOW_S, low_open=True)
    return MusicgenOptions(
        model=model.strip(),
        guidance_scale=_check_number("guidance_scale", options.get("guidance_scale", 3.0), 1.0, 20.0),
        top_k=_check_whole("top_k", options.get("top_k", 250), 0, 100_000),
        top_p=_check_number("top_p", options.get("top_p", 0.0), 0.0, 1.0),
        temperature=_check_number("temperature", options.get("temperature", 1.0), 0.0, 10.0, low_open=True),
        melody_path=melody_path,
        window_s=window,
        extend_stride_s=stride,
    )
