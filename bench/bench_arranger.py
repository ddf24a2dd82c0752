"""How fast the arranger composes and renders a 30 s song, per genre.

    python bench/bench_arranger.py [--runs 5] [--duration 30]

Prints the median wall time of compose + render (+ MIDI bytes) over the runs,
e.g. "rock: 0.42 s for 30 s of audio (71x real time)".

Threads: the arranger uses no torch; TinySoundFont renders on one thread and
numpy does only element-wise work here. OMP/MKL/OpenBLAS threads are still
pinned to 1 before numpy is imported so the figure is a one-core figure.
The first run of each genre is a warm-up (it loads the soundfont) and is not
counted. On shared machines other work on the cores inflates the numbers.
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from songgen_core.music.arranger import generate  # noqa: E402
from songgen_core.music.request import MusicRequest  # noqa: E402

LYRICS = """[Verse 1]
Driving down the highway in the night
Fire in my eyes and the road so bright
Every mile a memory I leave behind
Every sign a story on my mind

[Chorus]
We run, we burn, we never stop
Fight the night until we drop
"""


def bench(genre: str, runs: int, duration_s: float) -> float:
    times = []
    for seed in range(runs + 1):
        request = MusicRequest(genre=genre, lyrics=LYRICS, duration_s=duration_s, seed=seed)
        start = time.perf_counter()
        generate(request)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--duration", type=float, default=30.0)
    args = parser.parse_args()
    print(f"arranger, compose + render + MIDI, median of {args.runs} runs, 1 thread")
    for genre in ("rock", "pop", "rap"):
        seconds = bench(genre, args.runs, args.duration)
        print(f"{genre}: {seconds:.2f} s for {args.duration:g} s of audio ({args.duration / seconds:.0f}x real time)")


if __name__ == "__main__":
    main()
