"""Dataset statistics: one streaming pass (`training.stats`) against plain `pandas.read_csv`.

    python bench/bench_dataset_stats.py [--rows 1000000] [--chunksize 50000] [--dir DIR] [--keep] [--csv FILE]

How it measures:

* Generation (timed and printed separately, not part of any figure): a CSV in the
  Genius schema with --rows rows is written into a temporary folder (or --dir), in
  chunks of 20,000 rows, so generation stays in bounded memory. Rows are drawn at
  random from the bundled sample (`training/sample/genius_sample.csv`, 300 rows)
  with new unique ids, random year / views, and one extra line appended to every
  lyric (so the lyrics are not all duplicates and the cleaning's de-duplication
  keeps about as many songs as on real data).
  `--csv FILE` reuses a CSV generated earlier (with --keep) instead.
* (a) statistics: `training.stats.dataset_stats(path, cache_dir=<fresh empty
  folder>, refresh=True)` -- the cache is never read -- in a child process.
  The numba lyrics kernel is loaded (or compiled, on a fresh checkout) on a
  two-song array before the clock starts, like the imports; its time is printed.
* (b) baseline: `pandas.read_csv(path)` of the whole file in another child
  process (pandas' defaults: the whole file in memory at once).
* (c) floor, for context: pyarrow's streaming reader alone over the same file
  with the same options (no statistics): what reading the bytes costs.

Each child is a fresh `python` process, so the two runs share no heap. Each
reports its own wall time of the call (imports excluded), its peak resident set
(VmHWM from /proc/self/status, as well as ru_maxrss) and its resident set right
after importing (the interpreter + numpy + pandas, a fixed cost paid by both).
The parent also prints `resource.getrusage(RUSAGE_CHILDREN).ru_maxrss` after
each child as a cross-check (it is the maximum over the children waited for so far).

Threads: nothing is set. pandas' C parser is single-threaded; pyarrow's reader
parses ahead on its thread pool and the numba kernel runs on all cores (2 here),
so the statistics use both cores where read_csv uses one. On a shared machine
other work on the cores moves the times; the peak memory is not affected.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLE = ROOT / "training" / "sample" / "genius_sample.csv"
TARGET_SPEEDUP = 5.0
TARGET_PEAK_MB = 1024.0

_CHILD_PRELUDE = textwrap.dedent("""
    import json, resource, sys, time
    sys.path.insert(0, {root!r})
    import numpy, pandas
    {imports}
    def status_mb(key):
        for line in open('/proc/self/status'):
            if line.startswith(key + ':'):
                return int(line.split()[1]) / 1024
    rss_after_imports = status_mb('VmRSS')
    t0 = time.perf_counter()
    {body}
    elapsed = time.perf_counter() - t0
    print(json.dumps({{"seconds": elapsed, "peak_mb": status_mb('VmHWM'),
                      "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "rss_after_imports_mb": rss_after_imports, "info": info}}))
""")


def generate(path: Path, rows: int, chunk: int = 20_000, seed: int = 0) -> None:
    import numpy as np
    import pandas as pd

    sample = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    words = np.array(["oh", "baby", "night", "fire", "home", "road", "heart", "light", "rain", "dance", "gold", "time"])
    written = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        while written < rows:
            n = min(chunk, rows - written)
            df = sample.iloc[rng.integers(0, len(sample), n)].reset_index(drop=True)
            ids = np.arange(written + 1, written + n + 1)
            df["id"] = ids.astype(str)
            df["year"] = rng.integers(1960, 2023, n).astype(str)
            df["views"] = (10 ** rng.uniform(0, 7, n)).astype(np.int64).astype(str)
            extra = (pd.Series(words[rng.integers(0, len(words), n)]) + " " + pd.Series(words[rng.integers(0, len(words), n)])
                     + " " + pd.Series(ids.astype(str)))
            df["lyrics"] = df["lyrics"] + "\n" + extra
            df.to_csv(f, header=(written == 0), index=False)
            written += n


def run_child(imports: str, body: str) -> dict:
    code = _CHILD_PRELUDE.format(root=str(ROOT), imports=imports, body=body)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    outer = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"child failed:\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_seconds"] = outer
    result["children_ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunksize", type=int, default=50_000, help="training.stats' chunk size")
    parser.add_argument("--csv", type=Path, help="reuse this generated CSV (from an earlier --keep) instead of generating one")
    parser.add_argument("--dir", type=Path, help="folder for the generated CSV (default: a temporary folder, removed after)")
    parser.add_argument("--keep", action="store_true", help="keep the generated CSV")
    args = parser.parse_args(argv)
    if args.csv and not args.csv.is_file():
        parser.error(f"--csv {args.csv}: no such file")
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)

    folder = Path(tempfile.mkdtemp(prefix="songgen-bench-stats-", dir=args.dir))
    try:
        if args.csv:
            csv_path = args.csv.resolve()
            print(f"reusing {csv_path} ({csv_path.stat().st_size / 2**20:,.0f} MiB)")
        else:
            csv_path = folder / "genius_generated.csv"
            t0 = time.perf_counter()
            generate(csv_path, args.rows)
            gen_s = time.perf_counter() - t0
            size_mb = csv_path.stat().st_size / 2**20
            print(f"generated {args.rows:,} rows, {size_mb:,.0f} MiB in {gen_s:.1f} s (not counted) -> {csv_path}")
        cache = folder / "fresh-cache"
        cache.mkdir()

        stats = run_child(
            "from training.stats import dataset_stats\nimport pyarrow\nfrom training.lyrics_scan import scan_lyrics\n"
            "k0 = time.perf_counter(); scan_lyrics(pyarrow.array(['warm', 'up']), method='kernel'); kernel_load = time.perf_counter() - k0",
            f"s = dataset_stats({str(csv_path)!r}, cache_dir={str(cache)!r}, refresh=True, chunksize={args.chunksize})\n"
            "info = {'rows': s['dataset']['rows'], 'kept': s['cleaning']['kept'], 'dropped_duplicate': s['cleaning']['dropped_duplicate'], "
            "'kernel_load_s': kernel_load}",
        )
        floor = run_child(
            "from training.data import iter_batches",
            f"info = {{'rows': sum(b.num_rows for b in iter_batches({str(csv_path)!r}, {args.chunksize}))}}",
        )
        base = run_child(
            "",
            f"df = pandas.read_csv({str(csv_path)!r})\ninfo = {{'rows': len(df)}}",
        )

        rows = stats["info"]["rows"]
        print(f"statistics counted {rows:,} rows; kept {stats['info']['kept']:,} songs "
              f"(duplicates dropped: {stats['info']['dropped_duplicate']:,}); read_csv read {base['info']['rows']:,} rows")
        print()
        print(f"{'':<32}{'wall s':>9}{'rows/s':>11}{'peak MB':>10}{'imports MB':>12}{'process s':>11}")
        for name, r in (("training.stats (one pass)", stats), ("pandas.read_csv (whole file)", base),
                        ("floor: pyarrow reader alone", floor)):
            print(f"{name:<32}{r['seconds']:>9.1f}{rows / r['seconds']:>11,.0f}{r['peak_mb']:>10,.0f}"
                  f"{r['rss_after_imports_mb']:>12,.0f}{r['process_seconds']:>11.1f}")
        print(f"(cross-check, RUSAGE_CHILDREN max after each child: {stats['children_ru_maxrss_mb']:,.0f} MB, "
              f"{base['children_ru_maxrss_mb']:,.0f} MB)")
        print(f"numba kernel load before the clock: {stats['info']['kernel_load_s']:.1f} s "
              "(a fresh checkout compiles it once, ~5-10 s; later processes load it from __pycache__)")
        speed = base["seconds"] / stats["seconds"]
        print(f"floor: reading the file with pyarrow alone is {base['seconds'] / floor['seconds']:.2f}x the speed of read_csv; "
              f"the statistics take {stats['seconds'] / floor['seconds']:.2f}x the reader's time")
        mem = base["peak_mb"] / stats["peak_mb"]
        print()
        print(f"speed: statistics are {speed:.2f}x the speed of read_csv (target >= {TARGET_SPEEDUP:.0f}x: "
              f"{'met' if speed >= TARGET_SPEEDUP else 'NOT met'})")
        print(f"peak memory: statistics {stats['peak_mb']:,.0f} MB, read_csv {base['peak_mb']:,.0f} MB "
              f"(read_csv / statistics = {mem:.2f}x; target < {TARGET_PEAK_MB:,.0f} MB: {'met' if stats['peak_mb'] < TARGET_PEAK_MB else 'NOT met'})")
        if args.rows != 1_000_000:
            f = 1_000_000 / args.rows
            print(f"EXTRAPOLATED to 1,000,000 rows (linear in rows, not measured): statistics ~{stats['seconds'] * f:.0f} s, "
                  f"read_csv ~{base['seconds'] * f:.0f} s, read_csv peak ~{(base['peak_mb'] - base['rss_after_imports_mb']) * f + base['rss_after_imports_mb']:,.0f} MB; "
                  "the statistics' peak grows only with the candidates kept for de-duplication (~30 bytes a song)")
        if args.keep:
            print(f"kept {csv_path}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
