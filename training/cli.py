"""The training command line's one style: each command's options are a dataclass, parsed by
transformers' `HfArgumentParser` (as run_clm.py does), and a command runs through `run_command`:
bad input (a `SongGenError`) prints `error: ...` and exits with code 2.

`DataArguments` are the cleaning options `prepare` and `stats` share (fine-tuning names its
own: one genre and the split seed).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from songgen_core.errors import SongGenError

from .data import DEFAULT_CHUNKSIZE, DEFAULT_GENRES, CleaningOptions

PATH_HELP = ("a CSV in the Genius schema (training/sample/genius_sample.csv is the bundled sample), "
             "or hub:owner/name[/file.csv] (hub:sebastiandizon/genius-song-lyrics), streamed")


@dataclass
class DataArguments:
    """Which songs of a Genius CSV are kept, and how they are split."""

    genres: str = field(default=",".join(DEFAULT_GENRES), metadata={"help": "the chosen genres (comma-separated)"})
    strict_language: bool = field(default=False, metadata={"help": "also require language_cld3 and language_ft to agree"})
    seed: int = field(default=42, metadata={"help": "seed of the 90/10 train/test split"})
    chunksize: int = field(default=DEFAULT_CHUNKSIZE, metadata={"help": "rows read at a time"})

    def cleaning(self) -> CleaningOptions:
        """The cleaning options. Raises `DatasetError` for an unknown genre."""
        return CleaningOptions(genres=tuple(g.strip() for g in self.genres.split(",") if g.strip()),
                               strict_language=self.strict_language, seed=self.seed)


def parse(types: tuple, argv: list[str] | None, prog: str, description: str, path: bool = False) -> list:
    """The command line as one object per dataclass in `types` (and, with `path`, the positional
    PATH as the last item). Exits with code 2 and argparse's usage message on unknown options."""
    from transformers import HfArgumentParser

    parser = HfArgumentParser(types, prog=prog, description=description)
    if path:
        parser.add_argument("path", help=PATH_HELP)
    parsed = parser.parse_args_into_dataclasses(args=argv)
    return [*parsed[:len(types)], parsed[len(types)].path] if path else list(parsed)


def training_command(args_type: type, train: Callable, describe: Callable, prog: str, description: str):
    """(parse_args, main) of a training run whose options are the dataclass `args_type`: `main`
    runs `train(args)` and, on the main process (the one `train` returns a log on), prints
    `describe(args, log)` (its figures, where the model went) and where the run log is."""

    def parse_args(argv: list[str] | None = None):
        return parse((args_type,), argv, prog, description)[0]

    def report(args, log: dict) -> None:
        if log:
            print("\n".join(describe(args, log)))
            print(f"run log: {Path(args.runs_dir) / log['genre'] / log['run_id'] / 'log.json'}")

    def main(argv: list[str] | None = None) -> int:
        return run_command(train, [parse_args(argv)], report)

    return parse_args, main


def run_command(action: Callable, parsed: list, report: Callable | None = None) -> int:
    """`action(*parsed)`, then `report(*parsed, result)`; a `SongGenError` prints `error: ...` and gives 2."""
    try:
        result = action(*parsed)
    except SongGenError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if report is not None:
        report(*parsed, result)
    return 0
