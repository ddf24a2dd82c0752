"""Benchmark: do the lyrics read like songs? Structured against free mode, per genre.

A fixed set of prompts (10 per genre for rock, pop and rap; none of them used
by the tests), each written in both modes with the same seed, on the embedded
Gemma (or --model). Prints per genre and mode: rhyme rate over the scheme's
pairs (strict CMU, slant beside it), repeated and near-duplicate lines outside
the chorus, distinct-2 outside the chorus, words, title in the chorus,
Verse/Chorus/Verse/Chorus present (with the chorus repeated word for word),
songs with markup or stop-marker text, songs with clean-list words, seconds per
song, seconds per word, and the seconds to the first model-written line
(structured) or first token (free). Every song is written to --songs so it
can be read, as a listener would.

The model is loaded, and each genre's example-song prefix read once (as a warm
app has done), before the clock starts; songs alternate between the modes.

Run: .venv/bin/python bench/bench_lyrics_quality.py [--threads 2] [--per-genre 10] [--modes structured,free]
Threads are pinned with torch.set_num_threads; run it on otherwise idle cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROMPTS = {
    "rock": [
        ("Rust and Thunder", "Iron Valley", "The factory lights went out along the bay"),
        ("Broken Compass", "Northbound", "I packed my boots and left the porch light on"),
        ("Steel Lanterns", "Gravel Heart", "We drove until the gravel turned to sand"),
        ("The Low Wires", "Static Saints", "My brother sold his guitar for a ticket west"),
        ("Ashfall", "Cinder Road", "There is smoke above the county line tonight"),
        ("Red Quarry", "Hammer Down", "The foreman rang the bell at half past nine"),
        ("Velvet Fuse", "Last Train Home", "Rain was hammering the windows of the bar"),
        ("Open Circuit", "Wild Current", "We were seventeen and restless in July"),
        ("Stone Parade", "Paper Crown", "They built a throne of paper in the yard"),
        ("Night Foundry", "Burning Blue", "The river caught the colour of the sky"),
    ],
    "pop": [
        ("Mira Bloom", "Glitter Rain", "You called me up at midnight just to say hello"),
        ("Ava Rivers", "Sugar Skies", "We painted all the walls in your favourite shade"),
        ("Leo Bright", "Dance Again", "The music started and I couldn't stay"),
        ("Skye Harper", "Polaroid", "I keep a picture of us on the fridge"),
        ("Jules Moreno", "Lemonade Summer", "Sunlight spilling over every rooftop in the town"),
        ("Tessa Lane", "Heartbeat Radio", "Turn the dial until you find my voice"),
        ("Nico Star", "Good Things", "I woke up smiling for the first time in a while"),
        ("Ruby Kai", "Cherry Lights", "The carnival is closing but we stay"),
        ("Daisy Cole", "Fireflies", "We chased the fireflies across the field"),
        ("Owen Vale", "Ocean Eyes", "Your laughter sounds like waves against the pier"),
    ],
    "rap": [
        ("Big Harbor", "Block Symphony", "Sirens singing lullabies across the avenue"),
        ("Kid Meridian", "Rent Day", "First of the month and the landlord at the door"),
        ("Marcus Vale", "Glass Ceiling", "I was reaching for the top with empty hands"),
        ("Young Static", "Night Shift", "Clocking in when all the city goes to sleep"),
        ("Duke Avenue", "Paper Planes", "Mama told me write it down before it's gone"),
        ("Lyric Stone", "Underground", "Subway rumbling underneath my feet again"),
        ("T-Ray", "Crown Heights", "Grew up where the buildings scrape the clouds"),
        ("Nova Kane", "Blueprint", "Sketching out my future on a napkin in the rain"),
        ("Ace Monroe", "Long Way Up", "Every step I climb I'm counting what it cost"),
        ("Jada Prime", "Hometown Hero", "Little kids are watching from the corner store"),
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="gemma3-270m")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--per-genre", type=int, default=10)
    parser.add_argument("--genres", default="rock,pop,rap")
    parser.add_argument("--modes", default="structured,free")
    parser.add_argument("--length", default="standard")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--songs", default="bench/results/lyrics_quality_songs.json")
    parser.add_argument("--table", help="print the table of a songs file written before, and stop")
    args = parser.parse_args()
    if args.table:
        songs = json.loads(Path(args.table).read_text(encoding="utf-8"))
        print(table(songs, sorted({s["genre"] for s in songs}, key=list(PROMPTS).index), args.modes.split(",")))
        return

    import torch

    torch.set_num_threads(args.threads)
    from songgen_core.loading import load_lyrics_model
    from songgen_core.lyric_metrics import lyric_metrics
    from songgen_core.lyrics import LyricsRequest, generate_lyrics
    from songgen_core.registry import ModelSource
    from songgen_core.song_plan import SongPlan
    from songgen_core.structured import prepare

    started = time.perf_counter()
    lm = load_lyrics_model(ModelSource("embedded", args.model))
    print(f"torch {torch.__version__}, {args.threads} threads, {os.cpu_count()} cores, model {args.model} "
          f"({lm.description}); load {time.perf_counter() - started:.1f} s")
    genres, modes = args.genres.split(","), args.modes.split(",")
    for genre in genres:
        started = time.perf_counter()
        prepare(lm, genre)
        print(f"prepare {genre}: {time.perf_counter() - started:.1f} s (tables, dictionary, example prefix)")

    songs = []
    for genre in genres:
        for k, (artist, title, opening) in enumerate(PROMPTS[genre][: args.per_genre]):
            for mode in (modes if k % 2 == 0 else modes[::-1]):
                request = LyricsRequest(genre=genre, title=title, artist=artist, opening_line=opening,
                                        seed=args.seed + k, mode=mode, length=args.length, max_words=200)
                began = time.perf_counter()
                result = generate_lyrics(request, model=lm)
                seconds = time.perf_counter() - began
                plan = SongPlan.from_dict(result.plan) if result.plan else None
                metrics = lyric_metrics(result.text, title, plan)
                first = result.timings.get("first_line_s") if mode == "structured" else result.timings.get("first_token_s")
                songs.append({"genre": genre, "mode": mode, "title": title, "artist": artist, "seed": request.seed,
                              "seconds": seconds, "first_s": first, "metrics": metrics, "text": result.text,
                              "line_scores": result.line_scores})
                Path(args.songs).parent.mkdir(parents=True, exist_ok=True)
                Path(args.songs).write_text(json.dumps(songs, indent=1), encoding="utf-8")  # so far, after every song
                r = metrics["rhyme"]
                print(f"  {genre:4s} {mode:10s} {title:18s} {seconds:5.1f} s {metrics['words']:3d} words "
                      f"rhyme {r['rate']:.2f} (slant {r['slant_rate']:.2f}) first {first}", flush=True)
    print(f"\nsongs written to {args.songs}\n")
    print(table(songs, genres, modes))


def table(songs: list[dict], genres: list[str], modes: list[str]) -> str:
    """The per-genre table (also: python bench/bench_lyrics_quality.py --table SONGS.json)."""
    head = ("| genre | mode | songs | rhyme rate strict (slant) | repeated / near-dup lines outside chorus | distinct-2 "
            "| words mean (min-max) | title in chorus | V/C/V/C, chorus repeated | markup songs | clean-list songs "
            "| s per song mean (max) | s per word | first line/token s |")
    rows = [head, "|" + " --- |" * 14]
    for genre in genres + ["all"]:
        for mode in modes:
            group = [s for s in songs if s["mode"] == mode and (genre == "all" or s["genre"] == genre)]
            if not group:
                continue
            m = [s["metrics"] for s in group]
            words = [x["words"] for x in m]
            secs = [s["seconds"] for s in group]
            firsts = [s["first_s"] for s in group if s["first_s"] is not None]
            rows.append(
                f"| {genre} | {mode} | {len(group)} "
                f"| {statistics.mean(x['rhyme']['rate'] for x in m):.2f} ({statistics.mean(x['rhyme']['slant_rate'] for x in m):.2f}) "
                f"| {sum(x['repeated']['exact'] for x in m)} / {sum(x['repeated']['near'] for x in m)} "
                f"| {statistics.mean(x['distinct_2'] for x in m):.2f} "
                f"| {statistics.mean(words):.0f} ({min(words)}-{max(words)}) "
                f"| {sum(bool(x['title_in_chorus']) for x in m)}/{len(m)} "
                f"| {sum(x['structure_ok'] for x in m)}/{len(m)} "
                f"| {sum(bool(x['markup']) for x in m)} | {sum(bool(x['clean_list_words']) for x in m)} "
                f"| {statistics.mean(secs):.1f} ({max(secs):.1f}) | {sum(secs) / max(1, sum(words)):.3f} "
                f"| {statistics.median(firsts) if firsts else float('nan'):.2f} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
