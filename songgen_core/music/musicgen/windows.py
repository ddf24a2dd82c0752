"""Windowed continuation in frames: which windows audiocraft's `_generate_tokens`
generates for a piece longer than one window (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """One generation window, in EnCodec frames of the whole piece.

    The window covers frames [offset, offset + prompt_frames + new_frames); its
    first `prompt_frames` frames are the previous window's last frames, given as
    the prompt, and `new_frames` frames are generated.
    """

    offset: int
    prompt_frames: int
    new_frames: int

    @property
    def end(self) -> int:
        return self.offset + self.prompt_frames + self.new_frames


def plan_windows(total_frames: int, window_frames: int, stride_frames: int) -> list[Window]:
    """The windows audiocraft's `_generate_tokens` uses for `total_frames` frames.

    Its loop, in frames: generate min(total, window) frames; then while
    `offset + prompt_len < total`, prompt with the last `chunk - stride` frames of
    the previous chunk, advance `offset` by `stride` and generate a chunk of
    min(total - offset, window) frames (prompt included). The new frames add up
    to `total_frames`. Raises `ValueError` when a count is not positive or, for a
    piece longer than one window, the stride is not shorter than the window.
    """
    if total_frames < 1 or window_frames < 1 or stride_frames < 1:
        raise ValueError("frame counts must be positive")
    if total_frames <= window_frames:
        return [Window(0, 0, total_frames)]
    if stride_frames >= window_frames:
        raise ValueError("the stride must be shorter than the window")
    windows: list[Window] = []
    offset, prompt = 0, 0
    while offset + prompt < total_frames:
        chunk = min(total_frames - offset, window_frames)
        windows.append(Window(offset, prompt, chunk - prompt))
        prompt = chunk - stride_frames
        offset += stride_frames
    return windows
