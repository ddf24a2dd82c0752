"""How long MusicGen-small takes per second of audio, without downloading it.

Builds a random-initialised model with facebook/musicgen-small's architecture
(decoder: 24 layers, hidden 1024, 16 heads, FFN 4096, 4 codebooks of 2048 codes;
text encoder: T5-base; EnCodec 32 kHz, 4 codebooks, 50 frames a second) and times
generation through `songgen_core.music.musicgen.MusicGen`, the code path the app
uses (classifier-free guidance on, so the decoder runs at batch 2, top-k 250).
Random weights cost the same compute as trained ones: MusicGen has no end token,
so every run makes exactly duration x 50 frames (+3 steps for the codebook delay).

    python bench/bench_musicgen.py                         # CPU, 2 s and 5 s
    python bench/bench_musicgen.py --threads 2 --durations 2 5 10
    python bench/bench_musicgen.py --device cuda           # float16 on a GPU
    python bench/bench_musicgen.py --text-encoder tiny     # skip building T5-base

`--text-encoder tiny` swaps T5-base for a 2-layer T5 to make setup quicker; the
text encoder runs once per window, so the per-second figures barely move.
Not a test: it takes minutes on CPU.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402
import torch  # noqa: E402


@dataclass(frozen=True)
class BenchConfig:
    durations: tuple[float, ...] = (2.0, 5.0)
    threads: int | None = None
    device: str = "cpu"
    text_encoder: str = "t5-base"
    prompt_tokens: int = 48
    repeats: int = 1
    warmup: bool = True
    seed: int = 0


def musicgen_small_configs(text_encoder: str = "t5-base"):
    """Sub-configs of facebook/musicgen-small (values from its config.json)."""
    from transformers import EncodecConfig, MusicgenDecoderConfig, T5Config

    if text_encoder == "t5-base":
        text = T5Config(vocab_size=32128, d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12,
                        relative_attention_num_buckets=32, feed_forward_proj="relu")
    elif text_encoder == "tiny":
        text = T5Config(vocab_size=32128, d_model=64, d_kv=16, d_ff=128, num_layers=2, num_heads=4)
    else:
        raise ValueError(f"unknown text encoder {text_encoder!r}")
    audio = EncodecConfig(
        sampling_rate=32_000, audio_channels=1, upsampling_ratios=[8, 5, 4, 4], target_bandwidths=[2.2],
        num_filters=64, hidden_size=128, codebook_size=2048, codebook_dim=128, num_lstm_layers=2,
        num_residual_layers=1, kernel_size=7, last_kernel_size=7, residual_kernel_size=3, dilation_growth_rate=2,
        compress=2, norm_type="weight_norm", normalize=False, chunk_length_s=None, overlap=None, pad_mode="reflect",
        trim_right_ratio=1.0, use_causal_conv=False, use_conv_shortcut=False,
    )
    decoder = MusicgenDecoderConfig(
        vocab_size=2048, max_position_embeddings=2048, num_hidden_layers=24, ffn_dim=4096, num_attention_heads=16,
        hidden_size=1024, num_codebooks=4, audio_channels=1, activation_function="gelu", dropout=0.1,
        attention_dropout=0.0, activation_dropout=0.0, layerdrop=0.0, scale_embedding=False,
        pad_token_id=2048, bos_token_id=2048,
    )
    return text, audio, decoder


class _FixedTokenizer:
    """Stands in for T5's tokenizer: `length` token ids per description (prompt
    content does not change the cost, only its length)."""

    def __init__(self, length: int, vocab: int = 32128):
        self.length = length
        self.vocab = vocab

    def __call__(self, texts, **kwargs):
        generator = torch.Generator().manual_seed(len(texts))
        ids = torch.randint(2, self.vocab, (len(texts), self.length), generator=generator)
        ids[:, -1] = 1  # </s>
        return {"input_ids": ids, "attention_mask": torch.ones_like(ids)}


def build_model(config: BenchConfig):
    """A `MusicGen` wrapper around a random musicgen-small, on the chosen device."""
    from transformers import MusicgenConfig, MusicgenForConditionalGeneration

    from songgen_core.music.musicgen import MusicGen

    device = torch.device(config.device)
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    text, audio, decoder = musicgen_small_configs(config.text_encoder)
    model = MusicgenForConditionalGeneration(MusicgenConfig(text_encoder=text, audio_encoder=audio, decoder=decoder))
    model.generation_config.decoder_start_token_id = 2048
    generator = torch.Generator().manual_seed(config.seed)
    with torch.no_grad():
        for layer in model.audio_encoder.quantizer.layers:  # zero after init; random so decoding is realistic
            layer.codebook.embed.copy_(torch.randn(layer.codebook.embed.shape, generator=generator))
    model.to(device=device, dtype=dtype).eval()
    return MusicGen("random musicgen-small", model, _FixedTokenizer(config.prompt_tokens), None, device, dtype)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_one(musicgen, duration: float, seed: int) -> tuple[float, float]:
    """(seconds making tokens, seconds decoding them) for one `duration`-second piece."""
    from songgen_core.music.musicgen import GenerationParams

    params = GenerationParams(duration=duration)
    _sync(musicgen.device)
    start = time.perf_counter()
    tokens = musicgen.generate_tokens(["a description"], seed=seed, params=params)
    _sync(musicgen.device)
    middle = time.perf_counter()
    audio = musicgen.decode(tokens.codes)
    _sync(musicgen.device)
    end = time.perf_counter()
    assert abs(audio.shape[1] / musicgen.sample_rate - duration) <= 1 / musicgen.frame_rate
    return middle - start, end - middle


def run(config: BenchConfig) -> None:
    if config.threads:
        torch.set_num_threads(config.threads)
    device = torch.device(config.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no GPU")
    where = f"cuda ({torch.cuda.get_device_name(device)}), float16" if device.type == "cuda" else f"cpu, {torch.get_num_threads()} threads"
    print(f"torch {torch.__version__}; {where}; os.cpu_count()={os.cpu_count()}")
    started = time.perf_counter()
    musicgen = build_model(config)
    params = sum(p.numel() for p in musicgen.model.decoder.parameters()) / 1e6
    print(f"built random musicgen-small ({params:.0f}M decoder parameters, text encoder {config.text_encoder}) "
          f"in {time.perf_counter() - started:.1f} s")
    if config.warmup:
        time_one(musicgen, 0.5, config.seed)
    for duration in config.durations:
        runs = [time_one(musicgen, duration, config.seed + i) for i in range(config.repeats)]
        tokens_s = float(np.median([r[0] for r in runs]))
        decode_s = float(np.median([r[1] for r in runs]))
        total = tokens_s + decode_s
        steps = int(duration * musicgen.frame_rate) + musicgen.delays
        print(f"{where}: {total / duration:.2f} s compute per 1 s audio "
              f"({duration:g} s audio: {total:.1f} s = {tokens_s:.1f} s tokens ({1000 * tokens_s / steps:.0f} ms/step) "
              f"+ {decode_s:.2f} s EnCodec decode; median of {config.repeats})")


def parse_args(argv=None) -> BenchConfig:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--durations", type=float, nargs="+", default=[2.0, 5.0], help="seconds of audio to time (default: 2 5)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    parser.add_argument("--text-encoder", choices=["t5-base", "tiny"], default="t5-base")
    parser.add_argument("--prompt-tokens", type=int, default=48, help="length of the text prompt in tokens")
    parser.add_argument("--repeats", type=int, default=1, help="runs per duration; the median is printed")
    parser.add_argument("--no-warmup", action="store_true", help="skip the 0.5 s warm-up run")
    args = parser.parse_args(argv)
    if any(d <= 0 or d > 30 for d in args.durations):
        parser.error("durations must be in (0, 30] seconds (one window)")
    return BenchConfig(durations=tuple(args.durations), threads=args.threads, device=args.device,
                       text_encoder=args.text_encoder, prompt_tokens=args.prompt_tokens, repeats=max(1, args.repeats),
                       warmup=not args.no_warmup)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    run(parse_args())
