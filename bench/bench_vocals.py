"""How well and how fast the guide vocal sings: 10 standard songs.

    python bench/bench_vocals.py [--songs 10]

For each song (Verse/Chorus/Verse/Chorus/Bridge/Chorus, 4 lines each; the rap
songs two 8-line verses and a 4-line hook twice; genres rock, pop, rap and
country in turn, seeds 0..9) the arranger composes the whole song and the
vocal is sung (festival, the default voice). Then, on the vocal stem
(resampled to 16 kHz), `pyworld.harvest` (5 ms frames) estimates the pitch:

- pitch error: cents between the estimated F0 and the note's frequency on
  every voiced frame of every sung vowel (vowel spans as sung, glides and
  vibrato included); the median of the absolute error over all frames, and
  the median over vowels of each vowel's median;
- coverage: a syllable counts as sung when at least half the frames of its
  vowel are voiced;
- vocal render time: `sing_song` wall time (phonemes, festival, placing,
  resampling) against the song's length.

Targets (issue 13): median error <= 20 cents, every syllable sung, vocal
render time <= 0.5x the song's duration. Needs Debian's festival (and
festvox-kallpc16k, which scripts/install.sh installs where it can) and pyworld
(`.venv/bin/python -m pip install -r requirements-bench.txt`).
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_arranger import STANDARD, STANDARD_RAP  # noqa: E402
from songgen_core.audio import resample  # noqa: E402
from songgen_core.music.arranger import arrange  # noqa: E402
from songgen_core.music.request import MusicRequest  # noqa: E402
from songgen_core.music.vocals import sing_song  # noqa: E402

GENRES = ("rock", "pop", "rap", "country")


def measure(genre: str, seed: int) -> dict:
    warnings.filterwarnings("ignore", category=UserWarning)  # pyworld's pkg_resources notice
    try:
        import pyworld
    except ImportError:
        sys.exit("bench_vocals needs pyworld: .venv/bin/python -m pip install -r requirements-bench.txt")

    lyrics = STANDARD_RAP if genre == "rap" else STANDARD
    arr = arrange(MusicRequest(genre=genre, lyrics=lyrics, seed=seed))
    started = time.perf_counter()
    vocal = sing_song(arr.plan, arr.parts, arr.duration_s)
    render_s = time.perf_counter() - started
    x = resample(vocal.audio, vocal.sample_rate, 16000).astype(np.float64)
    f0, t = pyworld.harvest(x, 16000, f0_floor=60.0, f0_ceil=700.0, frame_period=5.0)
    frames, per_vowel, sung = [], [], 0
    for note, (a, b) in zip(vocal.notes, vocal.vowel_spans):
        inside = (t >= a) & (t < b)
        voiced = inside & (f0 > 0)
        if inside.sum() and voiced.sum() >= 0.5 * inside.sum():
            sung += 1
        if voiced.any():
            cents = np.abs(1200 * np.log2(f0[voiced] / note.hz))
            frames.extend(cents.tolist())
            per_vowel.append(float(np.median(cents)))
    return {"genre": genre, "seed": seed, "duration_s": arr.duration_s, "render_s": render_s,
            "syllables": len(vocal.notes), "sung": sung, "frames": frames, "per_vowel": per_vowel}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=10)
    args = parser.parse_args()
    results = []
    for i in range(args.songs):
        r = measure(GENRES[i % len(GENRES)], i)
        results.append(r)
        print(f"{r['genre']:8s} seed {r['seed']}: {r['duration_s']:6.1f} s song, vocal {r['render_s']:5.1f} s "
              f"({r['render_s'] / r['duration_s']:.2f}x), {r['sung']}/{r['syllables']} syllables sung, "
              f"median |error| {np.median(r['frames']):.1f} cents", flush=True)
    frames = [c for r in results for c in r["frames"]]
    vowels = [c for r in results for c in r["per_vowel"]]
    ratio = [r["render_s"] / r["duration_s"] for r in results]
    print(f"all {len(results)} songs: median |pitch error| {np.median(frames):.1f} cents over {len(frames)} voiced vowel frames "
          f"(median of vowel medians {np.median(vowels):.1f}, 90th percentile of frames {np.percentile(frames, 90):.1f}); "
          f"syllables sung {sum(r['sung'] for r in results)}/{sum(r['syllables'] for r in results)}; "
          f"vocal render time {statistics.median(ratio):.2f}x the song's duration (median; max {max(ratio):.2f}x)")


if __name__ == "__main__":
    main()
