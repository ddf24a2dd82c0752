"""Where a training run writes, for fine-tuning and preference tuning alike: a run id every
process agrees on, the model folder built aside by the main process and put in place whole,
and the run's log in runs/<genre>/<run-id>/ (paths inside the project written relative to it).
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from songgen_core import paths
from songgen_core.errors import SongGenError
from songgen_core.files import building_folder, write_json
from songgen_core.registry import GENRE_NAME

from .runs import portable_paths


class RunExistsError(SongGenError):
    """A run of that name is already in the runs folder."""


@dataclass
class RunPlace:
    """Where one run writes: its model folder `target`, the work folder beside it (the Trainer's
    output_dir, the same name on every process) and `runs_dir/run_id` for its log."""

    target: Path
    runs_dir: Path
    run_id: str

    @property
    def work(self) -> Path:
        return self.target.parent / f".{self.target.name}.tmp-{self.run_id}"

    def agree(self, training_args) -> "RunPlace":
        """The main process's run id on every process (under torchrun each may have made its own)."""
        self.run_id = broadcast(self.run_id, training_args)
        return self

    def building(self, main: bool):
        """On the main process, the model folder built in `work` and put at `target` when the
        block ends without an error (removed otherwise); elsewhere just `work`."""
        return building_folder(self.target, work=self.work) if main else nullcontext(self.work)

    def write_log(self, log: dict, metrics: dict) -> dict:
        """Write log.json and metrics.json to `runs_dir/run_id/`; return the log as written."""
        log = portable_paths(log)  # committed logs must not name this machine's folders
        write_run(self.runs_dir, self.run_id, log, metrics)
        return log


def check_run_options(args, error: type[Exception]) -> None:
    """The options every training run has, checked and completed in place: `genre` (a genre
    name, lower-cased), `run_id` (letters, digits, "-" or "_"), and `models_dir` / `runs_dir`
    (where the studio reads, songgen_core.paths, when not given). Raises `error` naming the option."""
    if not isinstance(args.genre, str) or not GENRE_NAME.match(args.genre.strip().lower()):
        raise error(f"genre {args.genre!r} must be a genre name such as rock, pop or rap")
    args.genre = args.genre.strip().lower()
    args.models_dir = str(args.models_dir or paths.models_dir())
    args.runs_dir = str(args.runs_dir or paths.runs_dir())
    if args.run_id is not None and not GENRE_NAME.match(args.run_id.lower()):
        raise error(f"run id {args.run_id!r} must be letters, digits, '-' or '_'")


def plan_run(target: Path, runs_dir: Path, run_id: str | None) -> RunPlace:
    """The run's place (run id: the one given, else the UTC time). Raises `RunExistsError` when
    the run id is taken."""
    place = RunPlace(Path(target), Path(runs_dir), run_id or datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S"))
    if (place.runs_dir / place.run_id).exists():
        raise RunExistsError(f"a run named {place.run_id} already exists in {place.runs_dir}; choose another --run-id")
    return place


def broadcast(value, training_args):
    """The main process's `value` on every process (run ids and folder names must agree)."""
    if training_args.world_size > 1:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            box = [value]
            dist.broadcast_object_list(box, src=0)
            return box[0]
    return value


def write_run(runs_dir: Path, run_id: str, log: dict, metrics: dict) -> Path:
    """Write `log.json` and `metrics.json` into `<runs_dir>/<run_id>/`, built aside and put in place
    whole. Raises `RunExistsError` when that run exists."""
    target = runs_dir / run_id
    if target.exists():
        raise RunExistsError(f"a run named {run_id} already exists in {runs_dir}; choose another --run-id")
    with building_folder(target) as work:
        for name, data in (("log.json", log), ("metrics.json", metrics)):
            write_json(work / name, portable_paths(data))
    return target


def library_versions(*extra: str) -> dict:
    """Versions of torch, transformers and peft (when installed), and of the modules named."""
    import importlib

    versions = {}
    for name in ("torch", "transformers", "peft", *extra):
        try:
            versions[name] = importlib.import_module(name).__version__
        except ImportError:
            pass
    return versions
