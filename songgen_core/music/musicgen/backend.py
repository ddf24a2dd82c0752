"""The musicgen backend of the song pipeline: `generate(request, progress)` with
a cache of loaded models."""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, replace

import numpy as np

from ...errors import InvalidRequestError, SongGenError
from ..request import MusicRequest, MusicResult, ProgressCallback
from .checkpoint import _pick_device
from .model import MusicGen
from .options import DEFAULT_MODEL, GenerationParams, parse_options
from .progress import _Progress

PEAK_CEILING = 0.98  # about -0.2 dBFS: headroom for MP3 encoding overshoot
MAX_CACHED_MODELS = 2  # the real checkpoints are 1-13 GB each

_CACHE: "OrderedDict[tuple[str, str], MusicGen]" = OrderedDict()
_CACHE_LOCK = threading.Lock()


def load_model(source: str = DEFAULT_MODEL, device: str | None = None) -> MusicGen:
    """`MusicGen.get_pretrained`, cached per (source, device); the
    `MAX_CACHED_MODELS` most recently used stay loaded. Raises as `get_pretrained`."""
    chosen = _pick_device(device)
    key = (os.fspath(source).strip() if isinstance(source, (str, os.PathLike)) else repr(source), str(chosen))
    # Loading under the lock: two requests for the same model must not load it twice.
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        model = MusicGen.get_pretrained(source, device=str(chosen))
        _CACHE[key] = model
        while len(_CACHE) > MAX_CACHED_MODELS:
            _CACHE.popitem(last=False)
        return model


def clear_model_cache() -> None:
    """Forget all cached models (their memory is freed once no one holds them)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def limit_peak(audio: np.ndarray, ceiling: float = PEAK_CEILING) -> np.ndarray:
    """Scale `audio` down so its peak is at most `ceiling` (quieter audio is left as is).

    Raises `SongGenError` when the audio holds NaN or infinity (seen with float16
    overflow), rather than hiding it."""
    if not np.isfinite(audio).all():
        raise SongGenError("musicgen produced invalid audio (NaN or infinity); try again, or run on CPU in float32")
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    return (audio * (ceiling / peak)).astype(np.float32) if peak > ceiling else audio.astype(np.float32)


def whole_song_duration(request: MusicRequest, seed: int) -> float:
    """Seconds of music to generate: the request's duration, or for the whole song
    (duration_s None) the length the arranger's plan gives these lyrics, genre and
    seed (intro, every section once, outro), so both backends make songs of one
    length. Never raises for a validated request."""
    if request.duration_s is not None:
        return request.duration_s
    from ..arranger import whole_song_length

    return whole_song_length(replace(request, backend="arranger", seed=seed, vocals="none"))


def generate(request: MusicRequest, progress: ProgressCallback | None = None) -> MusicResult:
    """Compose music for `request` with MusicGen.

    The prompt is `build_music_prompt(genre, lyrics)`. A request for the whole
    song (duration_s None) gets the arranger plan's length for the same lyrics
    and seed (`whole_song_duration`). Options (request.options):
    model (hub id or folder, default facebook/musicgen-small), guidance_scale,
    top_k, top_p, temperature, melody_path (melody checkpoints), window_s and
    extend_stride_s (windowed continuation). The same seed gives the same audio;
    without one a random seed is drawn and reported in `info["seed"]`.

    Returns float32 audio (samples, channels), peak-limited to `PEAK_CEILING`.
    Raises `InvalidRequestError` on bad options, `ModelUnavailableError` when the
    model cannot be loaded, `SongGenError` on invalid output; an exception raised
    by `progress` aborts the generation and propagates.
    """
    if request.backend != "musicgen":
        raise InvalidRequestError("backend", f"the musicgen backend got a request for {request.backend!r}")
    options = parse_options(request.options)
    from ..brief import build_music_prompt

    prompt = build_music_prompt(request.genre, request.lyrics)
    tracker = _Progress(progress)
    tracker(0.0, f"loading {options.model}")
    model = load_model(options.model)
    window = model.max_duration if options.window_s is None else options.window_s
    if window > model.max_duration:
        raise InvalidRequestError("window_s", f"must be at most {model.max_duration:g} seconds for {options.model}")
    seed = request.seed if request.seed is not None else secrets.randbelow(2**32)
    duration = whole_song_duration(request, seed)
    if duration > window and options.extend_stride_s >= window:
        raise InvalidRequestError("extend_stride_s", f"must be shorter than the window ({window:g} s)")
    params = GenerationParams(
        duration=duration,
        top_k=options.top_k,
        top_p=options.top_p,
        temperature=options.temperature,
        guidance_scale=options.guidance_scale,
        extend_stride=options.extend_stride_s,
        max_window=window,
    )
    started = time.perf_counter()
    audio, sample_rate, tokens = model.generate(
        [prompt], progress=_Progress(progress, 0.02, 0.98), melody=options.melody_path, seed=seed, params=params, return_tokens=True
    )
    compute_s = time.perf_counter() - started
    return MusicResult(
        audio=limit_peak(audio[0]),
        sample_rate=sample_rate,
        backend="musicgen",
        model=options.model,
        prompt=prompt,
        info={
            "seed": seed,
            "length": "whole song" if request.duration_s is None else "fixed",
            "device": str(model.device),
            "dtype": str(model.dtype).replace("torch.", ""),
            "windows": len(tokens.windows),
            "window_s": window,
            "extend_stride_s": options.extend_stride_s,
            "frames": int(tokens.codes.shape[-1]),
            "frame_rate": model.frame_rate,
            "compute_s": round(compute_s, 3),
            "melody_path": options.melody_path,
            "params": asdict(tokens.params),
        },
    )
