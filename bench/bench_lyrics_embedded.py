"""Benchmark: the embedded lyrics model on this machine's CPU.

Prints, for Gemma 3 270M (and SmolLM2 with --model smollm2-135m):
- cold load: GGUF -> dequantize -> safetensors copy -> CPU-optimized copy, in an empty cache;
- warm load: from the caches, as every later start does;
- decode tokens/s and first-token latency of plain fp32 `generate` (the baseline,
  measured in the same run) against the library's CPU path (cpu_speed.py), for
  each preset; 3 interleaved repeats, medians;
- fidelity of each preset against fp32: mean KL (nats/token) and top-1 agreement,
  teacher-forced on lyrics fp32 wrote.

Run: .venv/bin/python bench/bench_lyrics_embedded.py [--threads 2] [--tokens 150]
Threads are pinned with torch.set_num_threads; run it on otherwise idle cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROMPT = ("rock", "Midnight Engine", "The Rust Engines", "The city sleeps but I am wide awake")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="gemma3-270m")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-cold", action="store_true")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, {os.cpu_count()} cores, model {args.model}")
    if not args.skip_cold:
        cold_load(args.model)

    from transformers import AutoModelForCausalLM

    from songgen_core import loading
    from songgen_core.embedded import converted_dir
    from songgen_core.registry import ModelSource

    source = ModelSource("embedded", args.model)
    folder = converted_dir(args.model)
    models = {}
    for preset in ("fast", "quality"):
        os.environ["SONGGEN_CPU_PRESET"] = preset
        loading.load_lyrics_model(source)  # make sure the optimized copy is cached
        loading.unload_all()
        started = time.perf_counter()
        models[preset] = loading.load_lyrics_model(source)
        print(f"warm load, preset {preset}: {time.perf_counter() - started:.2f} s (optimized copy, tokenizer included)")
    started = time.perf_counter()
    baseline = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    print(f"warm load, plain fp32 from the safetensors copy: {time.perf_counter() - started:.2f} s (model only)")
    tokenizer = models["fast"].tokenizer

    speed = {name: [] for name in ("fp32 baseline", "fast", "quality")}
    first = {name: [] for name in speed}
    for repeat in range(args.repeats):
        rate, ttft = baseline_run(baseline, tokenizer, models["fast"].few_shot, args.tokens, seed=repeat)
        speed["fp32 baseline"].append(rate)
        first["fp32 baseline"].append(ttft)
        for preset in ("fast", "quality"):
            rate, ttft = library_run(models[preset], args.tokens, seed=repeat)
            speed[preset].append(rate)
            first[preset].append(ttft)
    base = statistics.median(speed["fp32 baseline"])
    print(f"\ndecode speed, {args.tokens} new tokens, median of {args.repeats}:")
    for name in speed:
        rate = statistics.median(speed[name])
        print(f"  {name:14s} {rate:6.2f} tokens/s  ({rate / base:.2f}x baseline)  first token {statistics.median(first[name]):.2f} s")

    print("\nfidelity against fp32 (teacher-forced on fp32 lyrics):")
    for preset in ("fast", "quality"):
        kl, agree, outside = fidelity(baseline, models[preset].model, tokenizer, models["fast"].few_shot)
        print(f"  {preset:8s} KL {kl:.4f} nats/token, top-1 agreement {agree:.1%}, fp32 probability on tokens it cannot emit {outside:.4f}")


def cold_load(name: str) -> None:
    from songgen_core import loading
    from songgen_core.registry import ModelSource

    with tempfile.TemporaryDirectory() as cache:
        os.environ["SONGGEN_CACHE"] = cache
        started = time.perf_counter()
        model = loading.load_lyrics_model(ModelSource("embedded", name))
        print(f"cold load (GGUF assemble + dequantize + convert + optimize, empty cache): {time.perf_counter() - started:.1f} s")
        del model
        loading.unload_all()
    del os.environ["SONGGEN_CACHE"]


def prompt_ids(tokenizer, few_shot: bool):
    from songgen_core.prompts import lyrics_prompt

    genre, title, artist, opening = PROMPT
    return tokenizer(lyrics_prompt(artist, title, opening, genre, few_shot), return_tensors="pt")


def baseline_run(model, tokenizer, few_shot: bool, tokens: int, seed: int) -> tuple[float, float]:
    """Plain fp32 generate with transformers' own sampling; first-token time from a stopping criterion."""
    import torch

    inputs = prompt_ids(tokenizer, few_shot)
    stamps = []

    def stamp(input_ids, scores, **kwargs):
        stamps.append(time.perf_counter())
        return torch.zeros(input_ids.shape[0], dtype=torch.bool)

    torch.manual_seed(seed)
    started = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=True, top_k=50,
                             top_p=0.95, stopping_criteria=[stamp])
    new = out.shape[1] - inputs["input_ids"].shape[1]
    return (new - 1) / (stamps[-1] - stamps[0]), stamps[0] - started


def library_run(lm, tokens: int, seed: int) -> tuple[float, float]:
    """The library's path; the word budget is set high so it writes about `tokens` tokens."""
    from songgen_core.lyrics import LyricsRequest, generate_lyrics

    genre, title, artist, opening = PROMPT
    # A base model may end a song early; ask for words enough and keep the rate, not the count.
    request = LyricsRequest(genre=genre, title=title, artist=artist, opening_line=opening, seed=seed,
                            max_words=max(10, int(tokens / 1.3)))
    result = generate_lyrics(request, model=lm)
    decode_s = result.timings["generate_s"] - result.timings["first_token_s"]
    return (result.new_tokens - 1) / decode_s, result.timings["first_token_s"]


def fidelity(reference, model, tokenizer, few_shot: bool) -> tuple[float, float, float]:
    import torch

    inputs = prompt_ids(tokenizer, few_shot)
    start = inputs["input_ids"].shape[1]
    kls, agrees, outside = [], [], []
    for seed in range(3):
        torch.manual_seed(seed)
        with torch.inference_mode():
            text = reference.generate(**inputs, max_new_tokens=120, do_sample=True, top_k=50, top_p=0.95)
            ref = reference(text).logits[0, start - 1 : -1].float().log_softmax(-1)
            got = model(text).logits[0, start - 1 : -1].float().log_softmax(-1)
        p = ref.exp()
        emit = torch.isfinite(got)
        outside.append((p * ~emit).sum(-1).mean().item())
        # KL over the tokens the model can emit, renormalised: what sampling actually sees.
        p_kept = torch.where(emit, p, 0.0)
        p_kept = p_kept / p_kept.sum(-1, keepdim=True)
        log_kept = torch.where(emit, p_kept.clamp_min(1e-30).log() - got, 0.0)
        kls.append((p_kept * log_kept).sum(-1).mean().item())
        agrees.append((ref.argmax(-1) == got.argmax(-1)).float().mean().item())
    return statistics.mean(kls), statistics.mean(agrees), statistics.mean(outside)


if __name__ == "__main__":
    main()
