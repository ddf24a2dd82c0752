"""`MusicGen`: a loaded checkpoint with audiocraft-style generation through
transformers (get_pretrained, set_generation_params, generate, generate_tokens,
decode)."""

from __future__ import annotations

import logging
import os
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np
import torch
from transformers import StoppingCriteria, StoppingCriteriaList

from ...errors import InvalidRequestError, ModelUnavailableError
from ..request import ProgressCallback
from .checkpoint import _load, _pick_device, _resolve_source
from .chroma import _ChromaExtractor, _load_melody
from .options import DEFAULT_MODEL, MAX_WINDOW_S, GenerationParams, _check_whole
from .progress import _Progress
from .windows import Window, plan_windows

logger = logging.getLogger(__name__)

MAX_TEXT_TOKENS = 512  # T5's usual limit; a long lyrics-derived prompt is cut here

# Share of the progress bar used by token generation; the rest is EnCodec decoding.
_TOKENS_SHARE = 0.95


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
