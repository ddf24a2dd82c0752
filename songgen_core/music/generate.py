"""One entry point for every music backend."""

from __future__ import annotations

from .request import MusicRequest, MusicResult, ProgressCallback


def generate_music(request: MusicRequest, progress: ProgressCallback | None = None) -> MusicResult:
    """Compose music for `request` with its backend.

    Raises `InvalidRequestError` for bad options and `ModelUnavailableError`
    when a MusicGen model cannot be loaded.
    """
    if request.backend == "arranger":
        from .arranger import generate
    else:
        from .musicgen import generate
    return generate(request, progress)
