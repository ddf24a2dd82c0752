"""The training command line.

    python -m training prepare PATH [--out DIR] [--genres rock,pop,rap] [--strict-language] [--seed N]
    python -m training stats PATH [...]               (as python -m training.stats)
    python -m training finetune --genre rock [--base gpt2-medium] [--max-steps N] [...]
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

COMMANDS = ("prepare", "stats", "finetune", "prefer")


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
    if command == "prefer":
        from .prefer import main as prefer_main

        return prefer_main(rest)
    print(f"error: unknown command {command!r}; choose one of: {', '.join(COMMANDS)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
