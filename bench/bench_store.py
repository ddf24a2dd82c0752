"""Feedback store: rating writes per second, one writer and many at once.

    python bench/bench_store.py [--writers 16] [--per-writer 200] [--single 400] [--dir DIR]

Prints, for a fresh database in a temporary folder (or in --dir):

* the single-writer baseline: writes/s and median / 95th percentile latency of
  `add_rating` from one thread;
* the same with --writers threads, each with its own `FeedbackStore` (so its
  own connection per write), started together: writes/s, latencies, errors,
  and the count lost (ratings whose `add_rating` returned but that are not in
  the file, plus those that failed) -- the target is 0.

Every write is one connection, one BEGIN IMMEDIATE transaction and one commit
with SQLite's default synchronous=FULL, so the figure is bound by fsync
latency of the disk more than by the CPU; on shared machines other work on the
cores and the disk still moves it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from songgen_core.song_record import SongRecord, new_song_id  # noqa: E402
from songgen_core.store import FeedbackStore  # noqa: E402


def bench_song() -> SongRecord:
    return SongRecord(id=new_song_id(), created_at="2026-01-01T00:00:00+00:00", genre="rock", title="Bench", artist="",
                      opening_line="first line", lyrics="la la", lyrics_model="models/lyrics", lyrics_params={"seed": 1},
                      music_backend="arranger", music_model="arranger-v1", music_params={"backend": "arranger"})


def run(path: Path, writers: int, per_writer: int, tag: str) -> dict:
    """`writers` threads write `per_writer` ratings each; return figures."""
    song = FeedbackStore(path).add_song(bench_song())
    barrier = threading.Barrier(writers)
    latencies: list[float] = []
    errors: list[str] = []
    written = [0] * writers
    lock = threading.Lock()

    def write(i: int) -> None:
        store = FeedbackStore(path)
        store.counts()  # open and migrate before the clock starts
        mine = []
        barrier.wait()
        for k in range(per_writer):
            started = time.perf_counter()
            try:
                store.add_rating(song, ("lyrics", "music")[k % 2], 1 + k % 5, f"{tag} {i}/{k}")
                written[i] += 1
            except Exception as e:  # noqa: BLE001 - counted and shown
                with lock:
                    errors.append(repr(e))
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()  # the barrier releases them about now
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    present = sum(1 for r in FeedbackStore(path).ratings_for(song) if r["comment"].startswith(tag + " "))
    attempted = writers * per_writer
    latencies.sort()
    return {"writers": writers, "writes": attempted, "seconds": seconds, "per_s": attempted / seconds,
            "p50_ms": 1000 * statistics.median(latencies),
            "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
            "errors": errors, "lost": attempted - present, "returned_but_missing": sum(written) - present}


def report(name: str, figures: dict) -> None:
    print(f"{name}: {figures['writes']} ratings in {figures['seconds']:.2f} s = {figures['per_s']:.0f} writes/s, "
          f"latency p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
          f"errors {len(figures['errors'])}, lost {figures['lost']}")
    for error in sorted(set(figures["errors"]))[:5]:
        print(f"  error: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--per-writer", type=int, default=200)
    parser.add_argument("--single", type=int, default=400, help="writes of the single-writer baseline")
    parser.add_argument("--dir", type=Path, default=None, help="folder for the database (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        path = Path(folder) / "feedback.db"
        print(f"feedback store bench, database {path}")
        report("1 writer (baseline)", run(path, 1, args.single, "single"))
        figures = run(path, args.writers, args.per_writer, "concurrent")
        report(f"{args.writers} writers, own store each", figures)
        if figures["lost"] or figures["returned_but_missing"]:
            print(f"LOST {figures['lost']} ratings ({figures['returned_but_missing']} returned an id but are missing)")
            sys.exit(1)


if __name__ == "__main__":
    main()
