"""The training runs on disk: every `runs/<genre>/<run-id>/log.json` that `training.finetune` or
`training.prefer` wrote (a preference-tuning log says `"kind": "dpo"` or `"kto"`; `Run.method`).

`list_runs()` reads them all (no Streamlit here; the Training page draws them).
`portable_paths` is how `training.finetune` writes paths into a log: relative to the
project where they are inside it (the page shows them as written; nothing here opens them).
A log that cannot be read (missing, not JSON, not the expected shape) is
skipped and reported in `RunListing.problems`, never raised. Hidden folders
(`.<run-id>.tmp`, a run still being written) are ignored.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from songgen_core import paths
from songgen_core.paths import PROJECT_ROOT

PREFERENCE_METHODS = ("dpo", "kto")


def portable_paths(value, root: Path = PROJECT_ROOT, home: Path | None = None):
    """`value` (a run log: dicts, lists, strings) with every absolute path inside the project written
    relative to it ("training/sample/genius_sample.csv"), and every other one inside the home folder as
    "~/...": a committed log then names no machine's folders. Other strings are returned unchanged."""
    if isinstance(value, dict):
        return {key: portable_paths(item, root, home) for key, item in value.items()}
    if isinstance(value, list):
        return [portable_paths(item, root, home) for item in value]
    if not isinstance(value, str) or not os.path.isabs(value) or "\n" in value:
        return value
    path = Path(os.path.normpath(value))
    for folder, prefix in ((Path(root), ""), (Path(home) if home is not None else Path.home(), "~/")):
        if path.is_relative_to(folder):
            relative = path.relative_to(folder).as_posix()
            return prefix + relative if relative != "." else (prefix.rstrip("/") or ".")
    return value


@dataclass
class Run:
    """One fine-tuning run, as its `log.json` describes it."""

    genre: str
    run_id: str
    path: Path  # the log.json
    base: str | None
    sample: bool
    started: str | None
    finished: str | None
    train_loss: list[tuple[int, float]]  # (step, loss)
    eval_loss: list[tuple[int, float]]
    hyperparameters: dict
    final_step: int | None
    final_eval_loss: float | None
    perplexity: float | None
    sizes: dict = field(default_factory=dict)
    lora: dict | None = None  # the LoRA settings of an adapter run (--lora); None for a whole model
    parameters: dict = field(default_factory=dict)  # {"trainable", "total"} (runs logged since --lora exists)
    method: str = "finetune"  # "finetune", or a preference tuning: "dpo" or "kto" (training.prefer)
    # A preference run's "preference" log: {"train": [...], "eval": [...]} rows of step, loss and the
    # reward metrics (reward_margin, reward_accuracy, reward_chosen, reward_rejected, kl), and "final":
    # the last logged train reward margin/accuracy and the final eval ones.
    preference: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.genre}/{self.run_id}"

    @property
    def is_preference(self) -> bool:
        return self.method in PREFERENCE_METHODS

    @property
    def kind(self) -> str:
        """What the run trained: "LoRA adapter (r N)" or "whole model", after "DPO, " or "KTO, "
        for a preference tuning (whose adapter may have been merged into a whole model)."""
        what = "whole model" if self.lora is None else f"LoRA adapter (r {self.lora.get('r', '?')})"
        return f"{self.method.upper()}, {what}" if self.is_preference else what


class RunListing(list):
    """The readable runs (a list of `Run`), plus `problems`: (path, reason) for each unreadable log."""

    def __init__(self, runs=(), problems=None):
        super().__init__(runs)
        self.problems = list(problems or [])


class _BadLog(ValueError):
    pass


def _points(rows, name: str) -> list[tuple[int, float]]:
    if not isinstance(rows, list):
        raise _BadLog(f"{name} is not a list")
    points = []
    for row in rows:
        try:
            step, loss = int(row["step"]), float(row["loss"])
        except (TypeError, KeyError, ValueError):
            raise _BadLog(f"{name} has a row without a numeric step and loss: {row!r}") from None
        points.append((step, loss))
    return sorted(points)


def _number(value) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def read_run(log_path: Path) -> Run:
    """One run from its `log.json`. Raises `ValueError` (or `OSError`) naming what is wrong."""
    log_path = Path(log_path)
    data = json.loads(log_path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise _BadLog("not a JSON object")
    for key in ("train_loss", "eval_loss"):
        if key not in data:
            raise _BadLog(f"no {key!r} entry")
    hyper = data.get("hyperparameters") or {}
    final = data.get("final") or {}
    if not isinstance(hyper, dict) or not isinstance(final, dict):
        raise _BadLog("'hyperparameters' and 'final' must be objects")
    eval_points = _points(data["eval_loss"], "eval_loss")
    final_loss = _number(final.get("eval_loss"))
    method = data.get("kind") if data.get("kind") in PREFERENCE_METHODS else "finetune"
    perplexity = _number(final.get("perplexity"))
    if perplexity is None and final_loss is not None and final_loss < 700 and method == "finetune":
        perplexity = math.exp(final_loss)  # a DPO/KTO loss is no language-model loss: no perplexity
    preference = {}
    if method != "finetune":
        logged = data.get("preference") if isinstance(data.get("preference"), dict) else {}
        preference = {split: [row for row in logged.get(split) or [] if isinstance(row, dict)] for split in ("train", "eval")}
        preference["final"] = {key: _number(final.get(key)) for key in
                               ("reward_margin", "reward_accuracy", "eval_reward_margin", "eval_reward_accuracy")}
    step = final.get("step")
    return Run(
        genre=str(data.get("genre") or log_path.parent.parent.name),
        run_id=str(data.get("run_id") or log_path.parent.name),
        path=log_path,
        base=data.get("base"),
        sample=bool(data.get("sample")),
        started=data.get("started"),
        finished=data.get("finished"),
        train_loss=_points(data["train_loss"], "train_loss"),
        eval_loss=eval_points,
        hyperparameters=hyper,
        final_step=int(step) if isinstance(step, (int, float)) else None,
        final_eval_loss=final_loss,
        perplexity=perplexity,
        sizes=data.get("sizes") if isinstance(data.get("sizes"), dict) else {},
        lora=data.get("lora") if isinstance(data.get("lora"), dict) else None,
        parameters=data.get("parameters") if isinstance(data.get("parameters"), dict) else {},
        method=method,
        preference=preference,
    )


def latest_runs(runs) -> list[Run]:
    """The runs to compare when nothing was chosen yet: the most recent run of each kind (whole model,
    LoRA adapter; fine-tuning, DPO, KTO), by start time and then run id, in the order of `runs`."""
    latest = {}
    for run in runs:
        kind = (run.method, run.lora is not None)
        if kind not in latest or (run.started or "", run.run_id) >= (latest[kind].started or "", latest[kind].run_id):
            latest[kind] = run
    chosen = {id(run) for run in latest.values()}
    return [run for run in runs if id(run) in chosen]


def list_runs(runs_dir=None) -> RunListing:
    """Every readable run under `runs_dir` (default `songgen_core.paths.runs_dir()`), by genre then start time.

    Unreadable logs are skipped and listed in the result's `problems`."""
    root = Path(runs_dir) if runs_dir is not None else paths.runs_dir()
    runs, problems = [], []
    if not root.is_dir():
        return RunListing(runs, problems)
    for genre_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for run_dir in sorted(p for p in genre_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            log_path = run_dir / "log.json"
            if not log_path.exists():
                problems.append((log_path, "no log.json"))
                continue
            try:
                runs.append(read_run(log_path))
            except (OSError, ValueError, TypeError) as error:  # JSONDecodeError is a ValueError
                problems.append((log_path, f"{type(error).__name__ if not isinstance(error, _BadLog) else 'bad log'}: {error}"))
    runs.sort(key=lambda r: (r.genre, r.started or "", r.run_id))
    return RunListing(runs, problems)
