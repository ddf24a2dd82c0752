"""Fine-tuning data through datasets (`training.lyrics_datasets.genre_sets`): a first run against reruns.

    python bench/bench_training_data.py [--copies 40] [--genre rock] [--block-size 512] [--tokenizer smollm2|tiny]

How it measures:

* Data: the bundled SAMPLE (`training/sample/genius_sample.csv`) written `--copies` times into one CSV
  in the Genius schema (ids made unique, and each copy's lyrics given a last line of their own, else the
  cleaning drops them as duplicates), so the genre has some thousands of songs; read by the same
  streaming reader and cleaning as fine-tuning (`training.data.iter_songs`).
* Tokenizer: the embedded SmolLM2-135M tokenizer (from the local cache) with the end-of-lyrics token
  added as fine-tuning adds it, or `--tokenizer tiny` (tests/tiny_models).
* Runs, each timed with `time.perf_counter` around `genre_sets` (the train and test sets, packed into
  blocks of `--block-size`), in a new empty cache folder:
  1. cold: the CSV read and cleaned, the songs written to datasets' cache, tokenized and packed;
  2. warm: the same settings again (every step read back from the cache, memory-mapped);
  3. other blocks: block size halved (the cached songs re-tokenized and packed; the CSV not read);
  4. no cache (`--no-token-cache`): everything again, in memory.
  Figures are given as ratios to the cold run of the same process. The tokenizers library's own
  threads are left on; run on otherwise idle cores (a shared machine moves the times).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--genre", default="rock")
    parser.add_argument("--block-size", type=int, default=512)
    parser.add_argument("--tokenizer", choices=("smollm2", "tiny"), default="smollm2")
    args = parser.parse_args(argv)

    import pandas as pd

    from bench.bench_training_packing import load_tokenizer
    from training.data import SAMPLE_PATH, CleaningOptions
    from training.lyrics_datasets import count_tokens, genre_sets
    from training.packing import add_end_token

    tokenizer, label = load_tokenizer(args.tokenizer)
    add_end_token(tokenizer)
    folder = Path(tempfile.mkdtemp(prefix="songgen-bench-data-"))
    sample = pd.read_csv(SAMPLE_PATH, keep_default_na=False, dtype=str)
    copies = []
    for k in range(args.copies):
        copy = sample.copy()
        copy["id"] = [str(int(i) + k * 10_000_000) for i in copy["id"]]
        copy["lyrics"] = copy["lyrics"] + f"\nand that was the {k}th time around"
        copies.append(copy)
    csv = folder / "songs.csv"
    pd.concat(copies).to_csv(csv, index=False)
    options = CleaningOptions(genres=(args.genre,))
    print(f"data: {args.copies} copies of the SAMPLE, {len(sample) * args.copies} rows, {csv.stat().st_size / 1e6:.1f} MB; "
          f"genre {args.genre}; tokenizer {label}; blocks of {args.block_size}")

    runs = [("cold (read, clean, tokenize, pack)", args.block_size, True),
            ("warm (same settings, from the cache)", args.block_size, True),
            (f"other blocks ({args.block_size // 2}, cached songs)", args.block_size // 2, True),
            ("no cache (all in memory)", args.block_size, False)]
    cache = folder / "cache"
    results = []
    for name, block, use_cache in runs:
        started = time.perf_counter()
        train, test, meta = genre_sets(csv, options, tokenizer, block, cache=use_cache, cache_root=cache)
        seconds = time.perf_counter() - started
        results.append((name, seconds, meta, len(train), count_tokens(train) + count_tokens(test)))
    size = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file())
    cold = results[0][1]
    print(f"songs: {results[0][2]['train_songs']} train, {results[0][2]['test_songs']} test; cache folder {size / 1e6:.1f} MB")
    print(f"{'run':<42}{'seconds':>9}{'x cold':>8}{'from cache':>12}{'train blocks':>14}{'tokens':>11}")
    for name, seconds, meta, blocks, tokens in results:
        print(f"{name:<42}{seconds:>9.2f}{seconds / cold:>8.2f}{str(meta['from_cache']):>12}{blocks:>14,}{tokens:>11,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
