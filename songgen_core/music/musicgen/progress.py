"""Progress reporting: fractions mapped into a part of the bar, never going back."""

from __future__ import annotations

from ..request import ProgressCallback


class _Progress:
    """Calls `callback(fraction, message)` with strictly increasing fractions in
    [0, 1], mapped through `offset + scale * fraction`. Exceptions raised by the
    callback propagate, which is how a caller cancels a generation."""

    def __init__(self, callback: ProgressCallback | None, offset: float = 0.0, scale: float = 1.0):
        self.callback = callback
        self.offset = offset
        self.scale = scale
        self.last = -1.0

    def __call__(self, fraction: float, message: str) -> None:
        if self.callback is None:
            return
        value = min(1.0, max(0.0, self.offset + self.scale * fraction))
        if value > self.last:
            self.last = value
            self.callback(value, message)
