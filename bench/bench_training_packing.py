"""Training throughput: packing (`group_texts`) against padding (`PadCollator`).

    python bench/bench_training_packing.py [--steps 8] [--batch-size 8] [--block-size 256] [--threads 2]
                                           [--tokenizer smollm2|tiny]

How it measures:

* Songs: every kept song of the bundled sample (`training/sample/genius_sample.csv`,
  all six tags, train and test splits, cleaned by `training.data`), in the prompt
  format (`Song.text`, ending with the end-of-lyrics token).
* Tokenizer: the embedded SmolLM2-135M tokenizer
  (`songgen_core.embedded.converted_dir('smollm2-135m')`, read from the local cache),
  or with `--tokenizer tiny` the byte-level BPE built like
  `tests/tiny_models.tiny_bpe_tokenizer` (vocabulary 400). `training.packing.add_end_token`
  adds the end-of-lyrics / pad tokens as fine-tuning does.
* Model: a GPT-2 (`GPT2LMHeadModel`) random-initialised with torch seed 0:
  n_embd 256, 4 layers, 4 heads, n_positions = block size, vocabulary = len(tokenizer)
  (tied input/output embeddings). AdamW, lr 1e-4, fp32, dropout at its default, train mode.
* The two modes use the same model initialisation, batch size, block size and number
  of optimizer steps:
  - packing: `training.lyrics_datasets.build_dataset(..., packing=True)` (batched `Dataset.map`s, in
    memory): blocks of exactly block size, stacked by transformers' `default_data_collator`;
  - padding: `build_dataset(..., packing=False)` + `PadCollator(pad_to="longest")`
    (one song per row, cut to block size, padded to the longest of the batch).
  Batches come from a `DataLoader` (shuffle, generator seed 0, num_workers 0), as the
  Trainer's would. One warm-up step per mode is run and not timed; then --steps
  optimizer steps (forward, backward, AdamW step, zero_grad) are timed with
  `time.perf_counter`, batch assembly included.
* Figures: "trained tok/s" counts only real (non-pad, attention_mask 1) tokens;
  "positions/s" counts every position the model computes, pads included; "non-pad
  share" is real tokens / positions over the timed batches (min..max per batch shown).

Threads: `torch.set_num_threads(--threads)` (2 by default) and
`torch.set_num_interop_threads(1)`; the tokenizers library's parallelism is left on
for the (untimed) tokenization. On a shared machine the times move with the other work
on the cores; the non-pad shares are exact.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load_tokenizer(kind: str):
    if kind == "tiny":
        sys.path.insert(0, str(ROOT / "tests"))
        from tiny_models import tiny_bpe_tokenizer

        return tiny_bpe_tokenizer(), "tiny byte-level BPE (vocab 400, as tests/tiny_models)"
    from transformers import AutoTokenizer

    from songgen_core.embedded import converted_dir

    folder = converted_dir("smollm2-135m")
    return AutoTokenizer.from_pretrained(folder), f"SmolLM2-135M tokenizer ({folder})"


def run_mode(name, dataset, collate, model_state, config, args):
    import torch
    from transformers import GPT2LMHeadModel

    model = GPT2LMHeadModel(config)
    model.load_state_dict(model_state)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    g = torch.Generator().manual_seed(0)
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True, generator=g,
                                         collate_fn=collate, num_workers=0, drop_last=True)

    def batches():
        while True:
            yield from loader

    it = batches()

    def step(batch):
        out = model(**batch)
        out.loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return float(out.loss)

    step(next(it))  # warm-up, not timed
    real = positions = 0
    shares = []
    t0 = time.perf_counter()
    for _ in range(args.steps):
        batch = next(it)
        step(batch)
        mask = batch.get("attention_mask", torch.ones_like(batch["input_ids"]))  # packed blocks have no pads
        r, p = int(mask.sum()), mask.numel()
        real += r
        positions += p
        shares.append(r / p)
    seconds = time.perf_counter() - t0
    return {"name": name, "seconds": seconds, "real": real, "positions": positions,
            "tok_s": real / seconds, "pos_s": positions / seconds, "share": real / positions,
            "share_min": min(shares), "share_max": max(shares), "examples": len(dataset)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--block-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokenizer", choices=("smollm2", "tiny"), default="smollm2")
    args = parser.parse_args(argv)

    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, default_data_collator

    from training.data import SAMPLE_PATH, TAGS, CleaningOptions, iter_songs
    from training.lyrics_datasets import build_dataset
    from training.packing import PadCollator, add_end_token

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    tokenizer, tok_label = load_tokenizer(args.tokenizer)
    add_end_token(tokenizer)
    texts = [s.text for s in iter_songs(SAMPLE_PATH, CleaningOptions(genres=TAGS))]
    packed = build_dataset(texts, tokenizer, args.block_size, packing=True)
    padded = build_dataset(texts, tokenizer, args.block_size, packing=False)
    lengths = [len(ids) for ids in padded["input_ids"]]

    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=args.block_size, n_embd=256, n_layer=4, n_head=4,
                        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    state = GPT2LMHeadModel(config).state_dict()
    n_params = sum(v.numel() for k, v in state.items() if k != "lm_head.weight")

    print(f"songs: {len(texts)} (sample, all tags); tokenizer: {tok_label}, {len(tokenizer):,} tokens")
    print(f"tokens a song (cut to block): mean {sum(lengths) / len(lengths):.0f}, min {min(lengths)}, max {max(lengths)}; "
          f"{sum(l >= args.block_size for l in lengths)} songs reach the block size")
    print(f"model: GPT-2 random init, n_embd 256, 4 layers, 4 heads, {n_params / 1e6:.1f}M parameters (tied head); "
          f"batch {args.batch_size} x block {args.block_size}, {args.steps} timed optimizer steps (+1 warm-up), "
          f"torch threads {torch.get_num_threads()}")
    print(f"examples: packing {len(packed)} blocks, padding {len(padded)} songs")

    results = [
        run_mode("packing (group_texts)", packed, default_data_collator, state, config, args),
        run_mode("padding (pad to longest)", padded, PadCollator(tokenizer.pad_token_id, "longest"), state, config, args),
    ]
    print()
    print(f"{'mode':<26}{'time s':>8}{'trained tok/s':>15}{'positions/s':>13}{'non-pad share':>15}{'per batch':>14}")
    for r in results:
        print(f"{r['name']:<26}{r['seconds']:>8.1f}{r['tok_s']:>15,.0f}{r['pos_s']:>13,.0f}{r['share']:>15.1%}"
              f"{r['share_min']:>7.0%}..{r['share_max']:<5.0%}")
    pack, pad = results
    print()
    print(f"ratio packing / padding: trained tokens/s {pack['tok_s'] / pad['tok_s']:.2f}x, "
          f"non-pad share {pack['share'] / pad['share']:.2f}x, positions/s {pack['pos_s'] / pad['pos_s']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
