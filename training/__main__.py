"""The training command line.

    python -m training prepare PATH [--out DIR] [--genres rock,pop,rap] [--strict-language] [--seed N]
    python -m training stats PATH [...]               (as python -m training.stats)
    python -m training finetune --genre rock [--base gpt2-medium] [--max-steps N] [...]
    python -m training prefer --genre rock --method dpo|kto --data DIR [--serve] [...]

Bad input (missing file, wrong schema, a genre without songs, a base model that
cannot be loaded) prints `error: ...` and exits with code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

COMMANDS = ("prepare", "stats", "finetune", "prefer")


def _prepare(argv: list[str]) -> int:
    from .data import DEFAULT_CHUNKSIZE, CleaningOptions, DatasetError, prepare

    parser = argparse.ArgumentParser(prog="python -m training prepare",
                                     description="Clean, split 90/10 and format a Genius CSV into <out>/<genre>/{train,test}.jsonl.")
    parser.add_argument("path", help="a CSV in the Genius schema (training/sample/genius_sample.csv is the bundled sample), "
                        "or hub:owner/name[/file.csv] (hub:sebastiandizon/genius-song-lyrics), streamed")
    parser.add_argument("--out", type=Path, default=Path("data/prepared"), help="output folder (default: data/prepared)")
    parser.add_argument("--genres", default=",".join(CleaningOptions().genres), help="the chosen genres (comma-separated)")
    parser.add_argument("--strict-language", action="store_true", help="also require language_cld3 and language_ft to agree")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--chunksize", type=int, default=DEFAULT_CHUNKSIZE)
    args = parser.parse_args(argv)
    try:
        options = CleaningOptions(genres=tuple(g.strip() for g in args.genres.split(",") if g.strip()),
                                  strict_language=args.strict_language, seed=args.seed)
        manifest = prepare(args.path, args.out, options, args.chunksize)
    except DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(manifest["sizes"]))
    print(f"written to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "prepare":
        return _prepare(rest)
    if command == "stats":
        from .stats import main as stats_main

        return stats_main(rest)
    if command == "finetune":
        from .finetune import main as finetune_main

        return finetune_main(rest)
    if command == "prefer":
        from .prefer import main as prefer_main

        return prefer_main(rest)
    print(f"error: unknown command {command!r}; choose one of: {', '.join(COMMANDS)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
