"""How fast the arranger composes and renders a 30 s song and a whole standard song, per genre.

    python bench/bench_arranger.py [--runs 5] [--duration 30]

Prints the median wall time of compose + render (+ MIDI bytes) over the runs,
e.g. "rock: 0.42 s for 30 s of audio (71x real time)", then the same for the
whole song (duration None) of a standard song: Verse/Chorus/Verse/Chorus/
Bridge/Chorus, 4 lines each (rap: two 8-line verses and a 4-line hook twice).

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


_V1 = LYRICS.split("[Chorus]")[0].replace("[Verse 1]\n", "").strip().splitlines()
_CHORUS = ["We run, we burn, we never stop", "Fight the night until we drop",
           "Hold the line and hold it tight", "We are the fire in the night"]
_V2 = ["Cold rain falls on the empty road", "Night and road and a heavy load",
       "Every town a name I used to know", "Every friend a ghost I had to go"]
_BRIDGE = ["When the morning comes I will be gone", "Leave the light on, I am coming home",
           "All the years are written on the wall", "Hear the echo when the thunder calls"]


def _stanza(label: str, lines: list[str]) -> str:
    return f"[{label}]\n" + "\n".join(lines)


STANDARD = "\n\n".join([_stanza("Verse 1", _V1), _stanza("Chorus", _CHORUS), _stanza("Verse 2", _V2),
                        _stanza("Chorus", _CHORUS), _stanza("Bridge", _BRIDGE), _stanza("Chorus", _CHORUS)])
STANDARD_RAP = "\n\n".join([_stanza("Verse 1", _V1 + _V2), _stanza("Hook", _CHORUS),
                            _stanza("Verse 2", _BRIDGE + _V1), _stanza("Hook", _CHORUS)])


def bench(genre: str, runs: int, duration_s: float | None, lyrics: str = LYRICS) -> tuple[float, float]:
    """Median seconds of generate() and the median length of the audio it made."""
    times, lengths = [], []
    for seed in range(runs + 1):
        request = MusicRequest(genre=genre, lyrics=lyrics, duration_s=duration_s, seed=seed)
        start = time.perf_counter()
        result = generate(request)
        times.append(time.perf_counter() - start)
        lengths.append(result.duration_s)
    return statistics.median(times[1:]), statistics.median(lengths[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--duration", type=float, default=30.0)
    args = parser.parse_args()
    print(f"arranger, compose + render + MIDI, median of {args.runs} runs, 1 thread")
    for genre in ("rock", "pop", "rap"):
        seconds, length = bench(genre, args.runs, args.duration)
        print(f"{genre}: {seconds:.2f} s for {length:g} s of audio ({length / seconds:.0f}x real time)")
    print("whole song (duration None), standard song, medians of length and time")
    for genre in ("rock", "pop", "rap"):
        seconds, length = bench(genre, args.runs, None, STANDARD_RAP if genre == "rap" else STANDARD)
        print(f"{genre}: {seconds:.2f} s for {length:.1f} s of audio ({length / seconds:.0f}x real time)")


if __name__ == "__main__":
    main()
