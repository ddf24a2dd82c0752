"""MusicGen through transformers: text (and, for melody checkpoints, a reference
melody) to music.

audiocraft cannot be installed with this stack, so the `facebook/musicgen-*`
weights run through transformers' `MusicgenForConditionalGeneration` (and
`MusicgenMelodyForConditionalGeneration` for melody checkpoints). This module puts
a thin API in the spirit of audiocraft's `models/musicgen.py` on top:

    model = MusicGen.get_pretrained("facebook/musicgen-small")     # or a local folder
    model.set_generation_params(duration=45, top_k=250, guidance_scale=3.0)
    audio, sample_rate = model.generate(["lofi hip hop with warm piano"], progress=print)

and a module-level `generate(request, progress)` for the song pipeline.

Long pieces: windowed continuation, as audiocraft's `MusicGen._generate_tokens`
---------------------------------------------------------------------------
The models were trained on 30-second segments (`max_window`). For a longer piece
audiocraft generates the first window, then repeatedly takes the last
`window - extend_stride` seconds of the *tokens* it just made as the prompt of the
next window and generates `extend_stride` new seconds after them, until the
requested length is reached; the new tokens of each window are concatenated and
the whole token sequence is decoded by EnCodec once at the end. `plan_windows`
reproduces its loop exactly (same offsets, prompt lengths and last-chunk length,
in whole frames). The prompt is handed to transformers as `decoder_input_ids`
holding those previous codes, which is what transformers itself does for
audio-prompted generation after encoding `input_values` with EnCodec: its delay
pattern mask then forces every prompt position, per codebook with its delay, to
the given codes and samples only the rest. Passing the codes, not decoded audio
re-encoded through `audio_values`, keeps the overlap token-exact like audiocraft's
`prompt_tokens` (re-encoding would be lossy and cost an EnCodec round-trip).
For melody checkpoints, each window gets the chroma of the reference melody from
that window's start time, looped when the melody is shorter, as audiocraft does.

transformers' `generate` returns decoded audio only, so the codes of each window
are read through a `StoppingCriteria` that sees the token sequence after every
step (it never stops anything; it also drives the per-step progress callback),
then the delay pattern is undone the way transformers does it.

Known differences from audiocraft: the classifier-free-guidance "null" condition
is transformers' (zeroed text states, and for melody a fixed null chroma); the
melody is not separated with Demucs before the chroma is taken (audiocraft removes
drums and bass first), so a full mix gives a noisier chroma than in audiocraft.

This module imports torch and transformers: import it lazily.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from transformers import StoppingCriteria, StoppingCriteriaList

from ..audio import check_audio, read_audio, resample
from ..errors import InvalidRequestError, ModelUnavailableError, SongGenError
from .request import MusicRequest, MusicResult, ProgressCallback

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "facebook/musicgen-small"
MAX_WINDOW_S = 30.0  # the released checkpoints were trained on 30-second segments
DEFAULT_EXTEND_STRIDE_S = 18.0  # audiocraft's default
MAX_TEXT_TOKENS = 512  # T5's usual limit; a long lyrics-derived prompt is cut here
MIN_MELODY_S = 0.25
MAX_MELODY_S = 600.0
PEAK_CEILING = 0.98  # about -0.2 dBFS: headroom for MP3 encoding overshoot
MAX_CACHED_MODELS = 2  # the real checkpoints are 1-13 GB each
OPTION_NAMES = ("model", "guidance_scale", "top_k", "top_p", "temperature", "melody_path", "window_s", "extend_stride_s")

# Share of the progress bar used by token generation; the rest is EnCodec decoding.
_TOKENS_SHARE = 0.95


# --------------------------------------------------------------------------- settings


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


# --------------------------------------------------------------------------- windows


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


@dataclass
class GeneratedTokens:
    """EnCodec codes of a generation, and how they were made.

    `codes`: (batch, codebooks, frames) int64 on the CPU. `window_codes[i]`: the
    codes window `windows[i]` ended with, prompt included, so
    `window_codes[i][..., :prompt_frames]` equals
    `window_codes[i - 1][..., stride:]`.
    """

    codes: torch.Tensor
    windows: list[Window]
    window_codes: list[torch.Tensor]
    seed: int
    params: GenerationParams


# --------------------------------------------------------------------------- progress


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


class _TokenRecorder(StoppingCriteria):
    """A stopping criterion that never stops: it keeps the latest token sequence
    (transformers' `generate` only returns decoded audio) and counts steps."""

    def __init__(self, on_step):
        self.sequences: torch.Tensor | None = None
        self.on_step = on_step

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        self.sequences = input_ids
        self.on_step()
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


# --------------------------------------------------------------------------- melody chroma


class _ChromaExtractor:
    """Reference melody -> one-hot chroma, as `MusicgenMelodyFeatureExtractor`.

    transformers' extractor needs torchaudio, which this stack does not ship; when
    torchaudio is missing the same computation runs here with torch.stft
    (torchaudio's Spectrogram with power 2, normalized by the window energy,
    center=True, reflect padding; librosa-style chroma filters; arg-max one-hot).
    The per-frame normalisation the extractor applies before the arg-max does not
    change it, so it is left out.
    """

    def __init__(self, config: Mapping[str, Any]):
        self.sampling_rate = int(config.get("sampling_rate", 32000))
        self.n_fft = int(config.get("n_fft", 16384))
        self.hop_length = int(config.get("hop_length", 4096))
        self.num_chroma = int(config.get("num_chroma", 12))
        self.max_samples = int(config.get("chunk_length", 30)) * self.sampling_rate
        self._hf = None
        try:
            import torchaudio  # noqa: F401
        except ImportError:
            from transformers.audio_utils import chroma_filter_bank

            filters = chroma_filter_bank(num_frequency_bins=self.n_fft, num_chroma=self.num_chroma, sampling_rate=self.sampling_rate, tuning=0)
            self._filters = torch.from_numpy(filters).float()
            self._window = torch.hann_window(self.n_fft)
        else:
            from transformers import MusicgenMelodyFeatureExtractor

            known = {k: v for k, v in config.items() if k not in ("feature_extractor_type", "processor_class")}
            self._hf = MusicgenMelodyFeatureExtractor(**known)

    def __call__(self, wav: np.ndarray) -> torch.Tensor:
        """Chroma of mono float32 audio at `sampling_rate`: (frames, num_chroma) float32."""
        if self._hf is not None:
            return self._hf(wav, sampling_rate=self.sampling_rate, return_tensors="pt").input_features[0]
        signal = torch.from_numpy(np.ascontiguousarray(wav[: self.max_samples], dtype=np.float32))
        if signal.shape[-1] < self.n_fft:
            pad = self.n_fft - signal.shape[-1]
            signal = torch.nn.functional.pad(signal, (pad // 2, pad // 2 + pad % 2))
        spec = torch.stft(signal, n_fft=self.n_fft, hop_length=self.hop_length, win_length=self.n_fft, window=self._window,
                          center=True, pad_mode="reflect", normalized=False, onesided=True, return_complex=True)
        power = spec.abs().pow(2) / self._window.pow(2).sum()
        raw = self._filters @ power  # (chroma, frames)
        chroma = torch.zeros(raw.shape[1], self.num_chroma)
        chroma.scatter_(1, raw.argmax(0, keepdim=True).T, 1.0)
        return chroma


def _load_melody(melody, target_sr: int) -> np.ndarray:
    """A melody given as a file path or (array, sample_rate) -> mono float32 at `target_sr`.

    Raises `InvalidRequestError` (field "melody") when it cannot be read, is not
    valid audio, or is shorter than `MIN_MELODY_S` or longer than `MAX_MELODY_S`.
    """
    if isinstance(melody, (str, os.PathLike)):
        audio, sample_rate = read_audio(melody, field="melody", max_seconds=MAX_MELODY_S)
    elif isinstance(melody, tuple) and len(melody) == 2:
        audio, sample_rate = check_audio(melody[0], melody[1], field="melody"), int(melody[1])
    else:
        raise InvalidRequestError("melody", "must be a path to an audio file or a (samples array, sample rate) pair")
    seconds = audio.shape[0] / sample_rate
    if not (MIN_MELODY_S <= seconds <= MAX_MELODY_S):
        raise InvalidRequestError("melody", f"must last {MIN_MELODY_S:g} to {MAX_MELODY_S:g} seconds, got {seconds:.2f}")
    mono = audio.mean(axis=1)
    return resample(mono, sample_rate, target_sr) if sample_rate != target_sr else mono


# --------------------------------------------------------------------------- loading


def _resolve_source(source) -> tuple[str, bool]:
    """(source to load, whether it is a local folder).

    An existing folder is local. Anything else shaped like a hub id ("owner/name"
    or "name") is a hub id; other paths are missing folders. Raises
    `InvalidRequestError` on an empty or non-text source, `ModelUnavailableError`
    on a path that is not a folder.
    """
    if not isinstance(source, (str, os.PathLike)) or not os.fspath(source).strip():
        raise InvalidRequestError("model", "must name a hub model (e.g. facebook/musicgen-small) or a local folder")
    text = os.fspath(source).strip()
    expanded = os.path.expanduser(text)
    if os.path.isdir(expanded):
        return expanded, True
    looks_like_path = os.path.isabs(expanded) or text.startswith((".", "~")) or "\\" in text or text.count("/") > 1 or os.path.exists(expanded)
    if looks_like_path:
        raise ModelUnavailableError(
            f"model folder {text!r} does not exist or is not a folder; point the musicgen model option to a folder "
            "holding a MusicGen checkpoint saved with save_pretrained (model and processor), or use a hub id such as "
            f"{DEFAULT_MODEL}"
        )
    return text, False


def _hub_offline() -> bool:
    import huggingface_hub

    flags = (os.environ.get("HF_HUB_OFFLINE", ""), os.environ.get("TRANSFORMERS_OFFLINE", ""))
    return huggingface_hub.is_offline_mode() or any(flag.strip().upper() in ("1", "ON", "YES", "TRUE") for flag in flags)


def _load(loader, source: str, is_local: bool, display: str, what: str, **kwargs):
    """Run a transformers `from_pretrained`-style loader; the hub cache first, the
    hub itself only when not offline. Raises `ModelUnavailableError` with what to do."""
    try:
        if is_local:
            return loader(source, local_files_only=True, **kwargs)
        try:
            return loader(source, local_files_only=True, **kwargs)
        except OSError as cache_miss:
            if _hub_offline():
                raise ModelUnavailableError(
                    f"model {display!r} is not in the local cache and the hub is unreachable (offline mode); download it "
                    f"on a machine with internet (huggingface-cli download {display}) and copy the cache, or point the "
                    "musicgen model option to a local folder"
                ) from cache_miss
        return loader(source, **kwargs)
    except ModelUnavailableError:
        raise
    except Exception as exc:  # any failure here means the model cannot be used; keep the cause chained
        if is_local:
            message = (f"cannot load the {what} from model folder {display!r} ({type(exc).__name__}: {exc}); the folder must "
                       "hold a MusicGen checkpoint saved with save_pretrained (config, weights, tokenizer/processor files)")
        else:
            message = (f"cannot load the {what} of model {display!r}: it is not in the local cache and downloading it failed "
                       f"({type(exc).__name__}: {exc}); download it on a machine with internet (huggingface-cli download "
                       f"{display}) or point the musicgen model option to a local folder")
        raise ModelUnavailableError(message) from exc


def _pick_device(device) -> torch.device:
    """The torch device to run on: CUDA when available unless told otherwise.

    Raises `InvalidRequestError` on an unknown device name, `ModelUnavailableError`
    when CUDA is asked for and torch sees no GPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise InvalidRequestError("device", f"unknown torch device {device!r}") from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise ModelUnavailableError("a CUDA device was asked for but torch sees no GPU; use device='cpu'")
    return chosen


# --------------------------------------------------------------------------- the model


class MusicGen:
    """A loaded MusicGen checkpoint with audiocraft-style generation.

    Build it with `MusicGen.get_pretrained`. Generation calls on one instance are
    serialised by a lock: they seed torch's global RNG and share the model.
    """

    def __init__(self, name: str, model, tokenizer, chroma: _ChromaExtractor | None, device: torch.device, dtype: torch.dtype):
        self.name = name
        self.model = model
        self.tokenizer = tokenizer
        self.chroma = chroma
        self.device = device
        self.dtype = dtype
        audio_config = model.config.audio_encoder
        self.sample_rate = int(audio_config.sampling_rate)
        self.frame_rate = int(audio_config.frame_rate)
        self.hop_length = int(audio_config.hop_length)
        self.num_codebooks = int(model.decoder.num_codebooks)
        self.audio_channels = int(model.config.decoder.audio_channels)
        # With the delay pattern, codebook k lags codebook 0 by k steps (stereo
        # checkpoints interleave left/right codebooks that share a delay), so a
        # window of n frames takes n + delays decoding steps.
        self.delays = (self.num_codebooks // self.audio_channels) - 1
        generation_config = model.generation_config
        start = generation_config.decoder_start_token_id
        self.decoder_start_id = int(start if start is not None else generation_config.bos_token_id)
        max_positions = int(model.config.decoder.max_position_embeddings)
        self.max_duration = min(MAX_WINDOW_S, (max_positions - 1 - self.delays) / self.frame_rate)
        self.params = GenerationParams(duration=min(15.0, self.max_duration))
        self._generate_lock = threading.Lock()

    @property
    def is_melody(self) -> bool:
        return self.chroma is not None

    # ---------------------------------------------------------------- loading

    @classmethod
    def get_pretrained(cls, source: str = DEFAULT_MODEL, device: str | None = None, *, dtype: torch.dtype | None = None) -> "MusicGen":
        """Load a checkpoint: a hub id (facebook/musicgen-small|medium|large|melody,
        from the local hub cache, or downloaded when not offline) or a local folder
        holding model and processor saved with `save_pretrained`.

        Device: CUDA with float16 when available, else CPU with float32 (override
        with `device`/`dtype`). Raises `ModelUnavailableError` when the checkpoint
        is missing, broken, not MusicGen, or not cached while the hub is
        unreachable; `InvalidRequestError` on a bad source or device name.
        """
        from transformers import AutoConfig

        chosen = _pick_device(device)
        dtype = dtype or (torch.float16 if chosen.type == "cuda" else torch.float32)
        path, is_local = _resolve_source(source)
        display = os.fspath(source).strip()
        config = _load(AutoConfig.from_pretrained, path, is_local, display, "config")
        model_type = getattr(config, "model_type", None)
        if model_type == "musicgen":
            from transformers import AutoProcessor, MusicgenForConditionalGeneration

            model = _load(MusicgenForConditionalGeneration.from_pretrained, path, is_local, display, "model weights", dtype=dtype)
            processor = _load(AutoProcessor.from_pretrained, path, is_local, display, "processor")
            tokenizer, chroma = getattr(processor, "tokenizer", processor), None
        elif model_type == "musicgen_melody":
            # MusicgenMelodyProcessor needs torchaudio, so the tokenizer and the
            # chroma settings are loaded on their own (see _ChromaExtractor).
            from transformers import AutoTokenizer, MusicgenMelodyForConditionalGeneration
            from transformers.feature_extraction_utils import FeatureExtractionMixin

            model = _load(MusicgenMelodyForConditionalGeneration.from_pretrained, path, is_local, display, "model weights", dtype=dtype)
            tokenizer = _load(AutoTokenizer.from_pretrained, path, is_local, display, "tokenizer")
            chroma_config, _ = _load(FeatureExtractionMixin.get_feature_extractor_dict, path, is_local, display, "feature extractor config")
            chroma = _ChromaExtractor(chroma_config)
        else:
            raise ModelUnavailableError(f"{display!r} is a {model_type!r} checkpoint, not MusicGen (musicgen or musicgen_melody)")
        model.to(chosen).eval()
        logger.info("loaded %s (%s) on %s as %s", display, model_type, chosen, dtype)
        return cls(display, model, tokenizer, chroma, chosen, dtype)

    # ---------------------------------------------------------------- settings

    def set_generation_params(self, **params) -> None:
        """Set the defaults of later `generate` calls: duration (s), use_sampling,
        top_k, top_p, temperature, guidance_scale, extend_stride (s), max_window (s).

        Raises `InvalidRequestError` on unknown names or bad values (nothing changes then).
        """
        unknown = set(params) - set(GenerationParams.__dataclass_fields__)
        if unknown:
            raise InvalidRequestError(sorted(unknown)[0], f"unknown generation parameter; known: {', '.join(GenerationParams.__dataclass_fields__)}")
        candidate = replace(self.params, **params)
        candidate.validated(self.max_duration)
        self.params = candidate

    # ---------------------------------------------------------------- generation

    def generate(self, descriptions: Sequence[str], progress: ProgressCallback | None = None, melody=None, *,
                 seed: int | None = None, params: GenerationParams | None = None, return_tokens: bool = False):
        """Generate one piece per description.

        `melody` (melody checkpoints only): a path to an audio file or a
        (samples, sample_rate) pair used for every description, or a list with one
        per description. `params` overrides `set_generation_params` for this call
        only; `seed` makes the result reproducible (the caller's torch RNG state is
        left untouched). `progress(fraction, message)` is called with increasing
        fractions, per decoding step and per window, ending at 1.0; an exception
        it raises aborts the generation.

        Returns (audio, sample_rate) with audio float32 of shape (batch, samples,
        channels), not peak-limited, or (audio, sample_rate, GeneratedTokens) with
        `return_tokens`. Raises `InvalidRequestError` on bad input.
        """
        tracker = _Progress(progress)
        tokens = self.generate_tokens(descriptions, progress=_Progress(progress, 0.0, _TOKENS_SHARE), melody=melody, seed=seed, params=params)
        tracker(_TOKENS_SHARE + 0.01, "decoding audio")
        audio = self.decode(tokens.codes)
        tracker(1.0, "done")
        return (audio, self.sample_rate, tokens) if return_tokens else (audio, self.sample_rate)

    def generate_tokens(self, descriptions: Sequence[str], progress: ProgressCallback | None = None, melody=None, *,
                        seed: int | None = None, params: GenerationParams | None = None) -> GeneratedTokens:
        """Generate EnCodec codes (see `generate`), with windowed continuation past `max_window`.

        Progress fractions go from 0 to 1 over the decoding steps of all windows.
        Raises `InvalidRequestError` on bad input.
        """
        params = (params or self.params).validated(self.max_duration)
        descriptions = _check_descriptions(descriptions)
        melodies = self._prepare_melodies(melody, len(descriptions))
        if seed is None:
            seed = secrets.randbelow(2**32)
        seed = _check_whole("seed", seed, 0, 2**32 - 1)

        total = int(params.duration * self.frame_rate)
        window = int(params.max_window * self.frame_rate)
        stride = max(1, int(params.extend_stride * self.frame_rate))
        if total < self.delays + 1:
            raise InvalidRequestError("duration", f"must be at least {(self.delays + 1) / self.frame_rate:g} seconds")
        windows = plan_windows(total, window, stride)
        steps = [w.new_frames + self.delays for w in windows]
        # +1: the fraction reaches 1 only once all windows are done.
        total_steps = sum(steps) + 1
        report = progress if isinstance(progress, _Progress) else _Progress(progress)
        every = max(1, total_steps // 200)  # at most ~200 per-step progress calls
        counter = {"done": 0, "window": 0}

        def on_step():
            counter["done"] += 1
            if counter["done"] % every == 0:
                report(counter["done"] / total_steps, f"generating music: window {counter['window'] + 1}/{len(windows)}")

        text_inputs = self._tokenize(descriptions)
        window_codes: list[torch.Tensor] = []
        pieces: list[torch.Tensor] = []
        report(0.0, "generating music")
        with self._generate_lock, torch.inference_mode(), _seeded(seed, self.device):
            for index, win in enumerate(windows):
                counter["window"] = index
                prompt = window_codes[-1][:, :, stride:].to(self.device) if win.prompt_frames else None
                if prompt is not None and prompt.shape[-1] != win.prompt_frames:
                    raise RuntimeError(f"window {index}: prompt has {prompt.shape[-1]} frames, expected {win.prompt_frames}")
                features = self._melody_features(melodies, win.offset / self.frame_rate, params.max_window) if melodies else None
                codes = self._generate_window(text_inputs, prompt, win.new_frames, features, params, on_step)
                window_codes.append(codes.cpu())
                pieces.append(window_codes[-1][:, :, win.prompt_frames:])
                report(sum(steps[: index + 1]) / total_steps, f"generated window {index + 1}/{len(windows)}")
        codes = torch.cat(pieces, dim=-1)
        report(1.0, "music tokens done")
        return GeneratedTokens(codes=codes, windows=windows, window_codes=window_codes, seed=seed, params=params)

    def decode(self, codes: torch.Tensor) -> np.ndarray:
        """EnCodec codes (batch, codebooks, frames) -> float32 audio (batch, samples, channels).

        The whole sequence is decoded at once, as audiocraft does, so there is no
        seam between windows. Memory grows with length (a few GB of activations
        for 5 minutes on CPU).
        """
        codes = codes.to(self.device)
        batch = codes.shape[0]
        decoder = self.model.audio_encoder
        with torch.inference_mode():
            if self.audio_channels == 1:
                audio = decoder.decode(codes[None], audio_scales=[None] * batch).audio_values
            else:  # stereo checkpoints interleave left and right codebooks
                left = decoder.decode(codes[None, :, ::2], audio_scales=[None] * batch).audio_values
                right = decoder.decode(codes[None, :, 1::2], audio_scales=[None] * batch).audio_values
                audio = torch.cat([left, right], dim=1)
        return np.ascontiguousarray(audio.float().cpu().numpy().transpose(0, 2, 1))

    # ---------------------------------------------------------------- internals

    def _tokenize(self, descriptions: list[str]) -> dict[str, torch.Tensor]:
        encoded = self.tokenizer(descriptions, padding=True, truncation=True, max_length=MAX_TEXT_TOKENS, return_tensors="pt")
        return {"input_ids": encoded["input_ids"].to(self.device), "attention_mask": encoded["attention_mask"].to(self.device)}

    def _prepare_melodies(self, melody, batch: int) -> list[np.ndarray] | None:
        if melody is None:
            return None
        if not self.is_melody:
            raise InvalidRequestError("melody", f"model {self.name!r} does not take a reference melody; use a melody checkpoint such as facebook/musicgen-melody")
        items = melody if isinstance(melody, list) else [melody] * batch
        if len(items) != batch:
            raise InvalidRequestError("melody", f"give one melody for all descriptions or one per description ({batch}), got {len(items)}")
        return [_load_melody(item, self.chroma.sampling_rate) for item in items]

    def _melody_features(self, melodies: list[np.ndarray], time_offset_s: float, window_s: float) -> torch.Tensor:
        # As audiocraft: the window's chroma comes from the melody starting at the
        # window's time offset, `window_s` long, looping the melody if it is shorter.
        sample_rate = self.chroma.sampling_rate
        positions = int(time_offset_s * sample_rate) + np.arange(int(window_s * sample_rate))
        features = [self.chroma(wav[positions % wav.shape[0]]) for wav in melodies]
        return torch.stack(features).to(self.device, self.dtype)

    def _generate_window(self, text_inputs, prompt: torch.Tensor | None, new_frames: int, melody_features,
                         params: GenerationParams, on_step) -> torch.Tensor:
        """Codes (batch, codebooks, prompt + new_frames) of one window."""
        batch = text_inputs["input_ids"].shape[0]
        start = torch.full((batch * self.num_codebooks, 1), self.decoder_start_id, dtype=torch.long, device=self.device)
        # The start token is prepended here (transformers would do it too) so the
        # delay mask below is built from exactly the ids generate() starts from.
        decoder_input_ids = start if prompt is None else torch.cat([start, prompt.reshape(batch * self.num_codebooks, -1)], dim=-1)
        max_new_tokens = new_frames + self.delays
        recorder = _TokenRecorder(on_step)
        kwargs: dict[str, Any] = dict(
            text_inputs,
            decoder_input_ids=decoder_input_ids,
            max_new_tokens=max_new_tokens,
            guidance_scale=params.guidance_scale,
            do_sample=params.use_sampling,
            stopping_criteria=StoppingCriteriaList([recorder]),
        )
        if params.use_sampling:
            kwargs.update(top_k=params.top_k, temperature=params.temperature)
            if 0.0 < params.top_p < 1.0:
                kwargs["top_p"] = params.top_p
        if melody_features is not None:
            kwargs["input_features"] = melody_features
        # The decoded audio generate() returns is dropped: the codes of all windows
        # are decoded together at the end. That costs one EnCodec decode per
        # window, small next to the language model's steps.
        self.model.generate(**kwargs)
        if recorder.sequences is None:
            raise RuntimeError("transformers' generate() ran no decoding step")
        sequences = recorder.sequences[:, : decoder_input_ids.shape[1] + max_new_tokens]
        return self._undelay(decoder_input_ids, sequences, batch, expected=(0 if prompt is None else prompt.shape[-1]) + new_frames)

    def _undelay(self, start_ids: torch.Tensor, sequences: torch.Tensor, batch: int, expected: int) -> torch.Tensor:
        """Undo MusicGen's delay pattern on raw generated ids: (batch*K, L) -> (batch, K, frames).

        During generation transformers only feeds the model the masked ids; the raw
        sequence still holds sampled values in the masked slots (prompt positions
        of the delayed codebooks, the ragged start and end). Applying the mask and
        dropping the padding slots is what transformers does before decoding.
        """
        decoder = self.model.decoder
        length = sequences.shape[-1]
        _, pattern = decoder.build_delay_pattern_mask(start_ids, pad_token_id=self.decoder_start_id, max_length=length)
        ids = decoder.apply_delay_pattern_mask(sequences, pattern).reshape(batch, self.num_codebooks, length)
        # Sampled codes are < vocab_size and the padding id is vocab_size, so the
        # valid slots are exactly those not equal to it.
        valid = ids != self.decoder_start_id
        counts = valid.sum(dim=-1)
        if not bool((counts == expected).all()):
            raise RuntimeError(f"unexpected MusicGen token layout: {counts.tolist()} frames per codebook, expected {expected}")
        return ids[valid].reshape(batch, self.num_codebooks, expected)


def _check_descriptions(descriptions) -> list[str]:
    """A non-empty list of strings (one piece each), else `InvalidRequestError`."""
    if isinstance(descriptions, str) or not isinstance(descriptions, Sequence) or not descriptions:
        raise InvalidRequestError("descriptions", "must be a non-empty list of text descriptions")
    if not all(isinstance(text, str) for text in descriptions):
        raise InvalidRequestError("descriptions", "every description must be text")
    return list(descriptions)


@contextmanager
def _seeded(seed: int, device: torch.device):
    """Seed torch for the block, restoring the caller's RNG state afterwards."""
    devices = [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


# --------------------------------------------------------------------------- cache


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


# --------------------------------------------------------------------------- the backend


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


def limit_peak(audio: np.ndarray, ceiling: float = PEAK_CEILING) -> np.ndarray:
    """Scale `audio` down so its peak is at most `ceiling` (quieter audio is left as is).

    Raises `SongGenError` when the audio holds NaN or infinity (seen with float16
    overflow), rather than hiding it."""
    if not np.isfinite(audio).all():
        raise SongGenError("musicgen produced invalid audio (NaN or infinity); try again, or run on CPU in float32")
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    return (audio * (ceiling / peak)).astype(np.float32) if peak > ceiling else audio.astype(np.float32)


def generate(request: MusicRequest, progress: ProgressCallback | None = None) -> MusicResult:
    """Compose music for `request` with MusicGen.

    The prompt is `build_music_prompt(genre, lyrics)`. Options (request.options):
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
    from .brief import build_music_prompt

    prompt = build_music_prompt(request.genre, request.lyrics)
    tracker = _Progress(progress)
    tracker(0.0, f"loading {options.model}")
    model = load_model(options.model)
    window = model.max_duration if options.window_s is None else options.window_s
    if window > model.max_duration:
        raise InvalidRequestError("window_s", f"must be at most {model.max_duration:g} seconds for {options.model}")
    if request.duration_s > window and options.extend_stride_s >= window:
        raise InvalidRequestError("extend_stride_s", f"must be shorter than the window ({window:g} s)")
    params = GenerationParams(
        duration=request.duration_s,
        top_k=options.top_k,
        top_p=options.top_p,
        temperature=options.temperature,
        guidance_scale=options.guidance_scale,
        extend_stride=options.extend_stride_s,
        max_window=window,
    )
    seed = request.seed if request.seed is not None else secrets.randbelow(2**32)
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


__all__ = [
    "DEFAULT_MODEL",
    "GenerationParams",
    "GeneratedTokens",
    "MusicGen",
    "MusicgenOptions",
    "Window",
    "clear_model_cache",
    "generate",
    "limit_peak",
    "load_model",
    "parse_options",
    "plan_windows",
]
