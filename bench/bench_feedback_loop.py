"""SIMULATION of the feedback loop (issue 12): simulated votes -> preference data -> DPO -> a better model?

No person votes here. A simulated voter who prefers lyrics with more rhymes compares two takes of
each training prompt, written by the same model (free lyrics, two seeds), and its votes go through
the studio's real path: both takes are kept as songs (arranger music, 2 s) in a temporary
feedback.db, each vote is stored as a Compare vote, `training.store_preferences` builds the DPO
pairs from the store (ties give none), and `training.prefer` trains a LoRA adapter with TRL's
DPOTrainer on the CPU. Then the base model and the tuned one write free lyrics for held-out prompts
(not used in training) with the same seeds, and their mean rhyme rates are printed with the number
of votes, pairs and the times.

    python bench/bench_feedback_loop.py [--model embedded:smollm2-135m] [--votes 200] [--words 60]
                                        [--eval-prompts 20] [--threads 2] [--epochs 1] [--lr 2e-4] [--examples 1]

The takes are prompted as the studio prompts them, but with one example song before the song's header
(`--examples 1`, about 300 tokens for SmolLM2) instead of all three that fit (`--examples -1`, about 830
tokens: a DPO step took about 3 minutes on 2 cores in stop 15's run). `--examples 0` prompts with the
song's header and opening line only, but SmolLM2 then writes prose without line breaks: in a 6-vote try
(stop 16) every take had a rhyme rate of 0, every vote was a tie and no pair was made. The preference
pairs record how many examples each take was prompted with, so DPO trains on the same prompts, and the
tuned model is evaluated with them too.

On a machine with a GPU the takes are written there and DPO trains there in bf16 (where supported);
nothing else changes (`--examples -1` then gives the studio's own prompts at a GPU's cost).

Rhyme: the lyric_metrics rhyme rate (adjacent or alternate line ends rhyming in the CMU
dictionary), plus half the slant rate as the voter's tie-breaker. Threads pinned with
torch.set_num_threads; run on otherwise idle cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TITLES = ["Broken Radio", "Summer Rain", "Factory Town", "Midnight Train", "Silver Lake", "Paper Moon", "Iron Bridge",
          "Last Dance", "Wildfire", "Rust Belt", "Neon Sky", "Old Guitar", "Highway Ghost", "Cold Coffee", "River Stone",
          "Empty Stage", "Northern Lights", "Tin Roof", "Long Goodbye", "Thunder Road"]
OPENINGS = ["I woke up early with the sun in my eyes", "The bar was closing and the band played on",
            "She left a letter on the kitchen floor", "We drove all night with the windows down",
            "My father worked the line for thirty years", "The rain came down on the empty street",
            "I found your picture in an old guitar case", "The town was sleeping when I left for good",
            "There's a light still burning in the window", "We were young and we thought we knew it all"]
HELD_OUT = [("Harbour Wind", "The ships are leaving and the gulls are gone"), ("Copper Sky", "I counted every mile back home to you"),
            ("Glass House", "The neighbours heard us shouting through the wall"), ("Dust Bowl", "The fields were dry the summer that you came"),
            ("Night Shift", "I punch the clock when everyone's asleep"), ("Blue Motel", "The sign was flickering above the door"),
            ("Gravel Road", "My boots are heavy with the county clay"), ("Late Bloom", "You found your voice the year that you turned forty"),
            ("Static Heart", "The radio keeps playing our old song"), ("Stray Dog", "He followed me for twenty blocks tonight"),
            ("Fever Dream", "I saw you dancing on the ceiling fan"), ("Sunday Best", "We wore our finest clothes to say goodbye"),
            ("Wire Fence", "The cattle gathered where the river bends"), ("Mill Town", "The whistle blew and no one came outside"),
            ("Ghost Light", "The theatre's dark except a single bulb"), ("Salt Air", "The boardwalk's empty in the winter cold"),
            ("Trailer Park", "My mother sang while hanging out the wash"), ("Red Clay", "We buried grandpa underneath the oak"),
            ("Small Hours", "The clock says three and I'm still wide awake"), ("Steel Wheels", "The train goes by and shakes the kitchen plates")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="embedded:smollm2-135m")
    parser.add_argument("--genre", default="rock")
    parser.add_argument("--votes", type=int, default=200)
    parser.add_argument("--words", type=int, default=60)
    parser.add_argument("--eval-prompts", type=int, default=20)
    parser.add_argument("--eval-seeds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--beta", type=float, default=0.1)
    parser.add_argument("--min-pairs", type=int, default=20, help="fewer pairs stop the run (as training prefer does)")
    parser.add_argument("--folder", help="working folder (default: a new temporary one)")
    parser.add_argument("--examples", type=int, default=1, help="example songs in each prompt (0: none, -1: all that fit; see above)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from songgen_core.device import default_device

    cuda = default_device().startswith("cuda")  # the device the takes are written on: DPO there too
    folder = Path(args.folder or tempfile.mkdtemp(prefix="songgen-feedback-loop-"))
    os.environ.update(SONGGEN_DB=str(folder / "feedback.db"), SONGGEN_DATA=str(folder / "data"),
                      SONGGEN_MODELS_DIR=str(folder / "models"), SONGGEN_RUNS=str(folder / "runs"),
                      HF_HUB_OFFLINE="1")
    from songgen_core.loading import load_lyrics_model
    from songgen_core.lyric_metrics import lyric_metrics
    from songgen_core.lyrics import LyricsRequest, generate_lyrics
    from songgen_core.registry import ModelSource, read_adapter_base
    from songgen_core.songs import compose, save_song
    from songgen_core.store import FeedbackStore, VoteRecord
    from training.prefer import PreferArguments, prefer
    from training.preferences import save_preferences
    from training.store_preferences import preferences_from_store

    print(f"SIMULATION (no person votes): {args.model}, genre {args.genre}, {args.votes} simulated votes, "
          f"free lyrics of {args.words} words, prompts with {'all' if args.examples < 0 else args.examples} example songs, "
          f"torch {torch.__version__}, {torch.cuda.get_device_name() if cuda else f'CPU, {args.threads} threads'}, folder {folder}")
    few_shot, max_examples = args.examples != 0, None if args.examples < 0 else args.examples
    base = load_lyrics_model(replace(ModelSource.parse(args.model), few_shot=few_shot))
    base.max_examples = max_examples
    store = FeedbackStore()

    def take(model, title, opening, seed):
        request = LyricsRequest(genre=args.genre, title=title, opening_line=opening, seed=seed, mode="free",
                                max_words=args.words)
        return generate_lyrics(request, model=model)

    def rhyme(text):
        r = lyric_metrics(text)["rhyme"]
        return r["rate"], r["rate"] + 0.5 * r["slant_rate"]

    started = time.perf_counter()
    outcomes = {"a": 0, "b": 0, "tie": 0}
    for k in range(args.votes):
        title, opening = TITLES[k % len(TITLES)], OPENINGS[(k // len(TITLES)) % len(OPENINGS)]
        ids, scores = [], []
        for seed in (2 * k, 2 * k + 1):
            lyrics = take(base, title, opening, seed)
            ids.append(save_song(lyrics, compose(lyrics, duration_s=2.0, backend="arranger"), store,
                                 system={"name": "simulated-base"}))
            scores.append(rhyme(lyrics.text)[1])
        outcome = "a" if scores[0] > scores[1] else "b" if scores[1] > scores[0] else "tie"
        outcomes[outcome] += 1
        store.votes.add(VoteRecord(f"sim-{k}", "lyrics", ids[0], ids[1], "simulated-base", "simulated-base-2",
                                   outcome, voter="simulated-rhyme-voter"))
        if (k + 1) % 20 == 0:
            print(f"  {k + 1} votes ({outcomes}), {time.perf_counter() - started:.0f} s", flush=True)
    voting_s = time.perf_counter() - started

    found = preferences_from_store(store, args.genre)
    save_preferences(folder / "preferences", found.pairs, found.takes)
    print(f"preference data: {found.counts()}")
    started = time.perf_counter()
    log = prefer(PreferArguments(genre=args.genre, method="dpo", data=str(folder / "preferences"), model=args.model,
                                 use_cpu=not cuda, bf16=cuda and torch.cuda.is_bf16_supported(),
                                 num_train_epochs=args.epochs, learning_rate=args.lr, beta=args.beta,
                                 logging_steps=5, eval_steps=20, min_pairs=args.min_pairs))
    train_s = time.perf_counter() - started
    tuned_folder = folder / "models" / f"{args.genre}-pref"
    tuned = load_lyrics_model(ModelSource("path", str(tuned_folder), few_shot=few_shot,
                                          adapter_base=read_adapter_base(tuned_folder)))
    tuned.max_examples = max_examples

    started = time.perf_counter()
    results = {"base": [], "tuned": []}  # (rhyme rate, the voter's score) per take
    for title, opening in HELD_OUT[:args.eval_prompts]:
        for seed in range(1000, 1000 + args.eval_seeds):
            for name, model in (("base", base), ("tuned", tuned)):
                results[name].append(rhyme(take(model, title, opening, seed).text))
    eval_s = time.perf_counter() - started
    final = log.get("final", {}) if isinstance(log, dict) else {}
    print(f"\nSIMULATION result ({args.model}, {len(found.pairs)} pairs from {args.votes} votes, "
          f"{args.epochs:g} epochs, lr {args.lr:g}, beta {args.beta:g}):")
    for name in ("base", "tuned"):
        rates, scores = zip(*results[name])
        print(f"  {name:5s} on {len(rates)} held-out takes: mean rhyme rate {statistics.mean(rates):.3f}, "
              f"mean voter score (rate + slant/2) {statistics.mean(scores):.3f}, takes with a rhyme {sum(r > 0 for r in rates)}")
    print(f"  times: voting (2 takes + music + store per vote) {voting_s:.0f} s, DPO {train_s:.0f} s, "
          f"evaluation {eval_s:.0f} s; final DPO log: {final}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
