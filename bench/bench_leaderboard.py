"""How long the Compare page's leaderboard takes: Bradley-Terry on random votes with bootstrap intervals.

    python bench/bench_leaderboard.py [--votes 10000] [--systems 8] [--rounds 200] [--runs 5] [--threads 2] [--page]

Draws `--votes` random votes among `--systems` systems of known strengths (10% ties, 5% "both
bad"), then times `songgen_core.ranking.leaderboard` (validating the votes, the fit, the bootstrap
fits and the percentiles: the whole computation the page would run). Prints the median and the
slowest of `--runs` timed calls after one warm-up call, and the fitted order against the true one.
BLAS threads are pinned to `--threads` (default 2, the cores of this project's machines) before numpy
is imported. On shared machines other work on the cores inflates the numbers.

With `--page`, the votes are also stored in a temporary feedback.db (between songs of one genre, made
by `--systems` systems named in a temporary config/systems.toml) and the Leaderboard page is rendered
by Streamlit's AppTest (the whole script: reading the votes, the fit with its bootstrap, the table,
the chart, the star ratings): the first render and the median of `--runs` reruns are printed. This
is the server's time for the page; the browser draws it after that.
"""

import argparse
import os
import sys

_threads = "2"
if "--threads" in sys.argv:
    _threads = sys.argv[sys.argv.index("--threads") + 1]
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = _threads

import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from songgen_core.ranking import leaderboard  # noqa: E402


def random_votes(n_votes: int, n_systems: int, seed: int = 0) -> tuple[list[tuple[str, str, str]], np.ndarray]:
    """Votes between random pairs, the winner drawn by Bradley-Terry with strengths from -1 to 1."""
    rng = np.random.default_rng(seed)
    strengths = np.linspace(-1.0, 1.0, n_systems)
    pairs = rng.integers(0, n_systems, size=(2 * n_votes, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]][:n_votes]
    u, v = rng.random(n_votes), rng.random(n_votes)
    p_a = 1 / (1 + np.exp(strengths[pairs[:, 1]] - strengths[pairs[:, 0]]))
    outcome = np.where(u < 0.10, "tie", np.where(u < 0.15, "both_bad", np.where(v < p_a, "a", "b")))
    names = [f"system-{i}" for i in range(n_systems)]
    return [(names[a], names[b], str(o)) for (a, b), o in zip(pairs, outcome)], strengths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=10_000)
    parser.add_argument("--systems", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--page", action="store_true", help="also time the Leaderboard page on a stored feedback.db")
    args = parser.parse_args(argv)

    votes, strengths = random_votes(args.votes, args.systems)
    leaderboard(votes, rounds=args.rounds, seed=0)  # warm-up (imports, first allocations)
    times = []
    for run in range(args.runs):
        started = time.perf_counter()
        board = leaderboard(votes, rounds=args.rounds, seed=run)
        times.append(time.perf_counter() - started)
    print(f"{len(votes)} votes, {args.systems} systems, {args.rounds} bootstrap rounds, {args.threads} BLAS thread(s): "
          f"median {statistics.median(times):.3f} s, slowest {max(times):.3f} s over {args.runs} runs")
    for entry in board.ranked:
        print(f"  {entry.rank}. {entry.system}: {entry.score:.0f} [{entry.low:.0f}, {entry.high:.0f}], "
              f"{entry.votes} votes, win rate {entry.win_rate:.3f}")
    truth = [f"system-{i}" for i in np.argsort(-strengths)]
    print("fitted order matches the true order" if [e.system for e in board.ranked] == truth else
          f"fitted order differs from the true order {truth}")
    if args.page:
        bench_page(votes, args)
    return 0


def bench_page(votes, args) -> None:
    """Store the votes, then time the Leaderboard page as Streamlit renders it (AppTest)."""
    import tempfile

    import sqlite_utils

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from song_records import song_record  # real SongRecords, no model run
    from songgen_core.store import FeedbackStore
    from streamlit.testing.v1 import AppTest

    folder = Path(tempfile.mkdtemp(prefix="songgen-bench-board-"))
    systems = folder / "systems.toml"
    systems.write_text("".join(f'[systems.system-{i}]\ngenre = "rock"\n' for i in range(args.systems)), encoding="utf-8")
    os.environ.update(SONGGEN_DB=str(folder / "feedback.db"), SONGGEN_SYSTEMS_CONFIG=str(systems),
                      SONGGEN_DATA=str(folder / "data"), SONGGEN_PRELOAD="0", HF_HUB_OFFLINE="1")
    store = FeedbackStore(folder / "feedback.db")
    songs = [store.add_song(song_record()) for _ in range(args.systems)]
    by_name = {f"system-{i}": songs[i] for i in range(args.systems)}
    rows = [{"pair_id": f"p{k}", "genre": "rock", "aspect": "lyrics", "song_a": by_name[a], "song_b": by_name[b],
             "system_a": a, "system_b": b, "outcome": o, "voter": f"voter-{k % 97:04d}", "comment": "",
             "check_pair": 0, "created_at": f"2026-12-01T00:00:{k % 60:02d}"} for k, (a, b, o) in enumerate(votes)]
    db = sqlite_utils.Database(folder / "feedback.db")
    db["votes"].insert_all(rows, batch_size=1000)
    db.close()
    root = Path(__file__).resolve().parents[1]
    at = AppTest.from_file(str(root / "Home.py"), default_timeout=120).run()
    started = time.perf_counter()
    at.switch_page("pages/7_Leaderboard.py").run()
    first = time.perf_counter() - started
    assert not at.exception, at.exception
    reruns = []
    for _ in range(args.runs):
        started = time.perf_counter()
        at.run()
        reruns.append(time.perf_counter() - started)
    shown = list(at.dataframe[0].value["system"])
    print(f"Leaderboard page (AppTest, {store.votes.count()} stored votes, {args.rounds} rounds): first render "
          f"{first:.2f} s, rerun median {statistics.median(reruns):.2f} s (slowest {max(reruns):.2f} s); "
          f"{len(shown)} systems ranked")


if __name__ == "__main__":
    raise SystemExit(main())
