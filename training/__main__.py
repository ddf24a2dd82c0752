"""The training command line.

    python -m training prepare PATH [--out DIR] [--genres rock,pop,rap] [--strict-language] [--seed N]
    python -m training stats PATH [...]               (as python -m training.stats)
    python -m training finetune --genre rock [--base gpt2-medium] [--max-steps N] [...]
    python -m training preferences --genre rock --out DIR [--db feedback.db]
    python -m training prefer --genre rock --method dpo|kto --data DIR [--serve] [...]

Bad input (missing file, wrong schema, a genre without songs, a base model that
cannot be loaded) prints `error: ...` and exits with code 2.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .cli import DataArguments, parse, run_command

COMMANDS = ("prepare", "stats", "finetune", "preferences", "prefer")


@dataclass
class PrepareArguments:
    """Where the cleaned, split and formatted songs go."""

    out: str = field(default="data/prepared", metadata={"help": "output folder (<out>/<genre>/{train,test}.jsonl)"})


def _prepare(data: DataArguments, args: PrepareArguments, path: str) -> dict:
    from .data import prepare

    return prepare(path, Path(args.out), data.cleaning(), data.chunksize)


def _prepared(data: DataArguments, args: PrepareArguments, path: str, manifest: dict) -> None:
    print(json.dumps(manifest["sizes"]))
    print(f"written to {args.out}")


@dataclass
class PreferencesArguments:
    """Which genre's preferences to read from the feedback store, and where to save them."""

    genre: str = field(metadata={"help": "the genre whose votes and ratings are read"})
    out: str = field(metadata={"help": "output folder (dpo/, kto/, dpo.parquet, kto.parquet, manifest.json)"})
    db: str = field(default="", metadata={"help": "the feedback database (default: SONGGEN_DB, else feedback.db)"})


def _preferences(args: PreferencesArguments) -> dict:
    from songgen_core.store import FeedbackStore

    from .preferences import save_preferences
    from .store_preferences import preferences_from_store

    found = preferences_from_store(FeedbackStore(args.db or None), args.genre)
    manifest = save_preferences(args.out, found.pairs, found.takes)
    return {"counts": found.counts(), "manifest": manifest}


def _preferences_saved(args: PreferencesArguments, result: dict) -> None:
    for name, count in result["counts"].items():
        print(f"{name}: {count}")
    print(f"written to {args.out} (DPO: {result['manifest']['datasets']['dpo']['rows']} rows, "
          f"KTO: {result['manifest']['datasets']['kto']['rows']} rows)")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "prepare":
        parsed = parse((DataArguments, PrepareArguments), rest, "python -m training prepare",
                       "Clean, split 90/10 and format a Genius CSV into <out>/<genre>/{train,test}.jsonl.", path=True)
        return run_command(_prepare, parsed, _prepared)
    if command == "stats":
        from .stats import main as stats_main

        return stats_main(rest)
    if command == "finetune":
        from .finetune import main as finetune_main

        return finetune_main(rest)
    if command == "preferences":
        parsed = parse((PreferencesArguments,), rest, "python -m training preferences",
                       "Build DPO pairs and KTO rated takes of one genre from feedback.db.")
        return run_command(_preferences, parsed, _preferences_saved)
    if command == "prefer":
        from .prefer import main as prefer_main

        return prefer_main(rest)
    print(f"error: unknown command {command!r}; choose one of: {', '.join(COMMANDS)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
