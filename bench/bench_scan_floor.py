"""How fast could any statistics pass over a Genius CSV be here? Per-byte costs of its parts.

    python bench/bench_scan_floor.py CSV [--mib 300]

The statistics target of issue 4 is 5x the speed of `pandas.read_csv`; with read_csv at
3-5 s for the 986 MiB CSV of `bench_dataset_stats.py`, that is 0.6-1.0 s for about a
billion bytes on 2 cores, i.e. 1.2-2 ns per byte per core for everything. This bench
measures, on the first --mib MiB of a CSV (read once into memory, then timed in this
process, one thread each, best of 3):

* `read`: copying the file into a reused 8 MiB buffer (`readinto`), what any reader pays;
* `hash`: the de-duplication key's FNV-1a chain over the letters and digits alone
  (a multiply that depends on the previous byte: no parser can avoid a per-byte chain
  like it for an exact key);
* `fused`: the least a hand-written parser must do in one pass: track CSV quoting,
  count rows and fields, and in the lyrics field count words and hash letters;
* `kernel`: `training.lyrics_kernel._kernel` on the lyrics column (the real scan: sung
  lines, headers, placeholders, the key), per byte of lyrics.

Threads: each loop is single-threaded numba; 2 cores at best halve the figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.lyrics_kernel import _CLASS, _LOWER, _kernel  # noqa: E402


@njit(nogil=True)
def _hash_alnum(data, cls, lower):
    h = np.uint64(0xCBF29CE484222325)
    prime = np.uint64(0x100000001B3)
    for k in range(data.size):
        b = data[k]
        if cls[b] == 3:
            h = (h ^ lower[b]) * prime
    return h


@njit(nogil=True)
def _fused(data, lyrics_field, cls, lower):
    rows = 0
    field = 0
    quoted = False
    in_word = False
    words = 0
    h = np.uint64(0xCBF29CE484222325)
    prime = np.uint64(0x100000001B3)
    j = 0
    n = data.size
    while j < n:
        b = data[j]
        if quoted:
            if b == 34:
                if j + 1 < n and data[j + 1] == 34:
                    j += 2
                    continue
                quoted = False
            elif field == lyrics_field:
                c = cls[b]
                if c == 1 or c == 2:
                    in_word = False
                else:
                    if c == 3:
                        h = (h ^ lower[b]) * prime
                    if not in_word:
                        words += 1
                        in_word = True
            j += 1
            continue
        if b == 34:
            quoted = True
        elif b == 44:
            field += 1
        elif b == 10:
            rows += 1
            field = 0
        j += 1
    return rows, words, h


@njit(nogil=True)
def _end_of_last_row(data):
    """Just past the last newline outside quotes."""
    quoted = False
    end = 0
    for j in range(data.size):
        if data[j] == 34:
            quoted = not quoted
        elif data[j] == 10 and not quoted:
            end = j + 1
    return end


def best_of(fn, repeat=3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--mib", type=int, default=300)
    args = parser.parse_args()
    import pyarrow as pa
    import pyarrow.csv as pcsv

    with open(args.csv, "rb") as f:
        raw = f.read(args.mib << 20)
    data = np.frombuffer(raw, np.uint8)
    data = data[: _end_of_last_row(data)]
    raw = data.tobytes()
    header = raw[: raw.index(b"\n")].decode().split(",")
    lyrics = pcsv.read_csv(pa.py_buffer(raw), parse_options=pcsv.ParseOptions(newlines_in_values=True),
                           convert_options=pcsv.ConvertOptions(include_columns=["lyrics"], column_types={"lyrics": pa.large_string()}))
    column = lyrics.column("lyrics").combine_chunks()
    _, offsets_buf, data_buf = column.buffers()
    offsets = np.frombuffer(offsets_buf, np.int64, count=len(column) + 1, offset=column.offset * 8)
    lyric_bytes = np.frombuffer(data_buf, np.uint8)
    wanted = np.ones(len(column), np.bool_)
    for fn, a in ((_hash_alnum, (data[:100], _CLASS, _LOWER)), (_fused, (data[:100], 6, _CLASS, _LOWER))):
        fn(*a)  # compile before the clock
    _kernel(lyric_bytes, offsets[:3], wanted[:2], 64, _CLASS, _LOWER)

    buf = np.empty(8 << 20, np.uint8)

    def read():
        with open(args.csv, "rb", buffering=0) as f:
            left = data.size
            while left > 0 and (n := f.readinto(buf)):
                left -= n

    import numba
    numba.set_num_threads(1)
    results = {
        "read (readinto, 8 MiB buffer)": (best_of(read), data.size),
        "hash (FNV-1a over letters, digits)": (best_of(lambda: _hash_alnum(data, _CLASS, _LOWER)), data.size),
        "fused (CSV quoting + words + hash)": (best_of(lambda: _fused(data, header.index("lyrics"), _CLASS, _LOWER)), data.size),
        "kernel (training.lyrics_kernel, lyrics bytes)": (best_of(lambda: _kernel(lyric_bytes, offsets, wanted, 64, _CLASS, _LOWER)), lyric_bytes.size),
    }
    print(f"{data.size / 2**20:.0f} MiB of {args.csv.name} ({len(column):,} rows, {lyric_bytes.size / 2**20:.0f} MiB of lyrics); one thread, best of 3")
    print(f"{'part':<48}{'s':>7}{'ns/byte':>9}{'s per GB on 2 cores':>22}")
    for name, (seconds, nbytes) in results.items():
        ns = seconds / nbytes * 1e9
        print(f"{name:<48}{seconds:>7.2f}{ns:>9.2f}{ns / 2:>22.2f}")
    print("5x read_csv at 3-5 s per GB leaves 0.6-1.0 s per GB on 2 cores for reading, parsing and scanning together")


if __name__ == "__main__":
    main()
