"""The reference melody of melody checkpoints: read, checked and turned into chroma."""

from __future__ import annotations

import os
from typing import Any, Mapping

import numpy as np
import torch

from ...audio import check_audio, read_audio, resample
from ...errors import InvalidRequestError

MIN_MELODY_S = 0.25
MAX_MELODY_S = 600.0


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
