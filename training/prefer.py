"""Preference tuning of a genre's lyrics model on what people preferred (issue 12), with TRL and LoRA.

    python -m training prefer --genre rock --method dpo|kto --data DIR [--serve] [--max-steps N] [...]

`DIR` is a folder written by `training.preferences.save_preferences`; only the genre's rows are used.
`--method dpo` trains on the pairs (prompt, chosen, rejected) with TRL's `DPOTrainer`; `--method kto`
on single takes labelled good or bad (prompt, completion, label) with `KTOTrainer`.

The model tuned is the one the registry serves for the genre now (`--model` names another, in the
registry's syntax or as a folder):

* an embedded model, a hub model, a folder or a whole fine-tuned `models/<genre>/`: a new LoRA adapter
  (peft; rank `--lora-r` etc.) is trained on it, and the reference model of DPO/KTO is the same model
  with the adapter switched off (no second copy in memory). The adapter's `songgen_base.json` names
  that model as its base;
* a LoRA adapter (`models/<genre>/` from `finetune --lora`): training continues that adapter, against
  a frozen copy of it as the reference (TRL's "ref" adapter); the result is an adapter on the same base.

The result goes to `models/<genre>-pref/` (the registry then serves it as the genre "<genre>-pref",
beside the genre, so the two can be compared), or with `--serve` replaces `models/<genre>/`; a LoRA
adapter whose base would be the folder it replaces is merged into that model and saved whole. The
folder is written aside and moved in only on success (`songgen_core.files.replace_folder`).
`songgen_base.json` also records `few_shot`: whether the genre's model was prompted with example songs,
so that the tuned adapter is served with the prompts it was trained on.

The run's log goes to `runs/<genre>/<run-id>/log.json` (and `metrics.json`) with `"kind": "dpo"` or
`"kto"`: the losses as `train_loss`/`eval_loss` rows (as a fine-tuning log has them, so
`training.runs` reads both), and under `"preference"` every logged step's reward margin, reward
accuracy (DPO), chosen/rejected rewards and KL (KTO).

Too few preferences for the genre (`--min-pairs`, default 20 pairs, for DPO; `--min-examples`, default
40 takes, for KTO) raises `TooFewPreferencesError` (exit code 2) saying how many there are and how many
are needed.
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from songgen_core.errors import ConfigError, ModelUnavailableError, SongGenError
from songgen_core.files import write_json
from songgen_core.prompts import END_OF_LYRICS
from songgen_core.registry import (ADAPTER_BASE_FILE, GENRE_NAME, SOURCE_KINDS, ModelSource, adapter_few_shot,
                                   load_registry)

from .cli import training_command
from .base_models import default_block_size, load_base, parameter_counts, resolve_base
from .errors import TooFewPreferencesError
from .preferences import METHODS, load_preferences, preference_counts
from .run_folders import check_run_options, library_versions, plan_run

# The metrics TRL logs (with "eval_" in front for the eval set) and the names the run log gives them.
PREFERENCE_METRICS = {"rewards/margins": "reward_margin", "rewards/accuracies": "reward_accuracy",
                      "rewards/chosen": "reward_chosen", "rewards/rejected": "reward_rejected", "kl": "kl",
                      "logps/chosen": "logp_chosen", "logps/rejected": "logp_rejected"}


class PreferError(SongGenError):
    """A preference-tuning argument is wrong (method, sizes, the model to tune, the target folder)."""


@dataclass
class PreferArguments:
    """Arguments of one preference-tuning run (the command line's options, dashes for underscores)."""

    genre: str = field(metadata={"help": "the genre whose model is tuned, e.g. rock"})
    method: str = field(default="dpo", metadata={"help": "dpo (pairs: chosen over rejected) or kto (single takes, good or bad)"})
    data: str = field(default="data/preferences", metadata={"help": "a folder written by training.preferences.save_preferences"})
    model: str | None = field(default=None, metadata={"help": "the model to tune (default: the one the registry serves for the genre): "
                                                      "embedded:NAME, hub:ID, path:FOLDER or a folder"})
    config: str | None = field(default=None, metadata={"help": "the registry file (default: SONGGEN_CONFIG or config/models.toml)"})
    # None: where the studio looks (songgen_core.paths), so the tuned model is the one it serves.
    models_dir: str | None = field(default=None, metadata={"help": "the result goes to <models_dir>/<genre>-pref/ (or <genre>/ with --serve); default: SONGGEN_MODELS_DIR, else models/"})
    runs_dir: str | None = field(default=None, metadata={"help": "the run's log goes to <runs_dir>/<genre>/<run-id>/ (default: SONGGEN_RUNS, else runs/)"})
    run_id: str | None = field(default=None, metadata={"help": "name of the run folder (default: UTC time)"})
    serve: bool = field(default=False, metadata={"help": "replace models/<genre>/ (the genre then serves the tuned model) "
                                                 "instead of writing models/<genre>-pref/"})
    min_pairs: int = field(default=20, metadata={"help": "DPO: at least this many pairs of the genre, else exit with code 2"})
    min_examples: int = field(default=40, metadata={"help": "KTO: at least this many rated takes of the genre, else exit with code 2"})
    beta: float = field(default=0.1, metadata={"help": "how far the tuned model may move from the reference (DPO/KTO beta)"})
    desirable_weight: float = field(default=1.0, metadata={"help": "KTO: weight of the good takes' losses"})
    undesirable_weight: float = field(default=1.0, metadata={"help": "KTO: weight of the bad takes' losses"})
    eval_fraction: float = field(default=0.1, metadata={"help": "share of the preferences held out to evaluate on (0: none)"})
    num_train_epochs: float = 1.0
    max_steps: int = field(default=-1, metadata={"help": "at most this many optimizer steps (-1: num_train_epochs decides)"})
    per_device_train_batch_size: int = field(default=4, metadata={"help": "KTO needs at least 2 (its KL estimate pairs takes in a batch)"})
    per_device_eval_batch_size: int = 4
    gradient_accumulation_steps: int = 1
    learning_rate: float = 5e-5
    logging_steps: int = 10
    eval_steps: int = 50
    warmup_steps: int = 0
    max_length: int | None = field(default=None, metadata={"help": "tokens of prompt + completion kept (default: min(1024, the model's context))"})
    seed: int = 42
    bf16: bool = False
    fp16: bool = False
    # TRL turns it on by default; on the small lyrics models it costs a third more compute for memory they do not need.
    activation_checkpointing: bool = field(default=False, metadata={"help": "recompute activations in the backward pass: less memory, slower"})
    use_cpu: bool = field(default=False, metadata={"help": "train on the CPU even when a GPU is there"})
    lora_r: int = field(default=16, metadata={"help": "rank of a new adapter (an adapter that is continued keeps its own settings)"})
    lora_alpha: float = 32
    lora_dropout: float = 0.05
    lora_target_modules: list[str] | None = field(default=None, metadata={"help": "module names to adapt (default: all-linear)"})

    def check(self) -> None:
        """Raises `PreferError` naming the wrong option."""
        check_run_options(self, PreferError)
        if self.method not in METHODS:
            raise PreferError(f"method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if not GENRE_NAME.match(self.target_name()):
            raise PreferError(f"the result's folder name {self.target_name()!r} is too long for a genre; use --serve or a shorter genre")
        for name in ("per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps",
                     "logging_steps", "eval_steps", "lora_r"):
            if getattr(self, name) < 1:
                raise PreferError(f"{name.replace('_', '-')} must be at least 1")
        if self.method == "kto" and self.per_device_train_batch_size < 2:
            raise PreferError("KTO needs per-device-train-batch-size of at least 2 (it estimates its KL term across a batch)")
        for name in ("min_pairs", "min_examples", "warmup_steps"):
            if getattr(self, name) < 0:
                raise PreferError(f"{name.replace('_', '-')} must not be negative")
        if self.max_steps == 0 or self.max_steps < -1:
            raise PreferError("max-steps must be a positive number of steps, or -1 to train for num-train-epochs")
        for name in ("beta", "learning_rate", "lora_alpha", "num_train_epochs"):
            if not getattr(self, name) > 0:
                raise PreferError(f"{name.replace('_', '-')} must be positive")
        if not 0 <= self.lora_dropout < 1 or not 0 <= self.eval_fraction < 1:
            raise PreferError("lora-dropout and eval-fraction must be from 0 to below 1")
        if self.desirable_weight < 0 or self.undesirable_weight < 0:
            raise PreferError("desirable-weight and undesirable-weight must not be negative")
        if self.max_length is not None and self.max_length < 16:
            raise PreferError(f"max-length must be at least 16 tokens, not {self.max_length}")
        if self.bf16 and self.fp16:
            raise PreferError("choose bf16 or fp16, not both")

    def target_name(self) -> str:
        return self.genre if self.serve else f"{self.genre}-pref"


def genre_model(args: PreferArguments) -> ModelSource:
    """The source to tune: `--model`, else what the registry (with `args.models_dir`) serves for the genre.
    Raises `UnknownGenreError` or `ConfigError`."""
    if args.model:
        text = args.model.strip()
        if text.partition(":")[0] not in SOURCE_KINDS:
            text = f"path:{Path(text).expanduser().resolve()}"
        return ModelSource.parse(text)
    return load_registry(args.config, args.models_dir).lyrics_source(args.genre)


def _served_few_shot(source: ModelSource, tokenizer) -> bool:
    """Whether songgen_core.loading prompts `source` with example songs (its own rule)."""
    if source.few_shot is not None:
        return source.few_shot
    if source.is_adapter:
        return adapter_few_shot(Path(source.ref))
    return END_OF_LYRICS not in tokenizer.get_vocab()


def load_policy(args: PreferArguments, source: ModelSource):
    """(model, tokenizer, peft_config or None, lora settings, the adapter's base source, base folder).

    A LoRA adapter is loaded trainable on its base (TRL then keeps a frozen copy as the reference);
    any other model is loaded whole and `peft_config` describes the new adapter TRL wraps it in.
    Raises `ModelUnavailableError` when the model or its base cannot be loaded."""
    from peft import LoraConfig, PeftModel

    if source.is_adapter:
        try:
            base = source.base_source()
        except ConfigError as error:
            raise ModelUnavailableError(f"LoRA adapter {source.ref} cannot be tuned: {error}") from None
        folder = resolve_base(str(base))
        model, tokenizer = load_base(folder)
        if (Path(source.ref) / "tokenizer_config.json").is_file():
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(source.ref)
        try:
            model = PeftModel.from_pretrained(model, source.ref, is_trainable=True)
        except (OSError, ValueError, KeyError, RuntimeError) as error:
            raise ModelUnavailableError(f"LoRA adapter {source.ref} could not be loaded on {base}: {error}") from None
        config = model.peft_config["default"]
        modules = config.target_modules
        lora = {"r": config.r, "alpha": config.lora_alpha, "dropout": config.lora_dropout,
                "target_modules": sorted(modules) if isinstance(modules, (set, list)) else modules,
                "base": str(base), "continued_from": source.ref}
        return model, tokenizer, None, lora, str(base), folder
    folder = resolve_base(str(source))
    model, tokenizer = load_base(folder)
    modules = args.lora_target_modules or "all-linear"
    if isinstance(modules, list) and modules == ["all-linear"]:
        modules = "all-linear"
    peft_config = LoraConfig(task_type="CAUSAL_LM", r=args.lora_r, lora_alpha=args.lora_alpha,
                             lora_dropout=args.lora_dropout, target_modules=modules)
    lora = {"r": args.lora_r, "alpha": args.lora_alpha, "dropout": args.lora_dropout, "target_modules": modules,
            "base": str(source), "continued_from": None}
    return model, tokenizer, peft_config, lora, str(source), folder


def preference_sets(args: PreferArguments):
    """(train set, eval set, counts) of the genre's preferences, shuffled with `args.seed` and split
    (`eval_fraction`, none when it would leave under one example). Raises `PreferenceDataError`, and
    `TooFewPreferencesError` when the genre has fewer than `--min-pairs` / `--min-examples`."""
    from datasets import Dataset

    everything = load_preferences(args.data, args.method)
    data = everything.filter(lambda g: g == args.genre, input_columns="genre", keep_in_memory=True)
    need, what = (args.min_pairs, "pairs") if args.method == "dpo" else (args.min_examples, "rated takes")
    if len(data) < need:
        flag = "--min-pairs" if args.method == "dpo" else "--min-examples"
        raise TooFewPreferencesError(len(data), need, f"{args.method.upper()} {what} for {args.genre} in {args.data} "
                                     f"(of {len(everything)} in all genres)", f" ({flag})")
    counts = preference_counts(data)
    rows = data.to_list()  # in memory: TRL's tokenizing then writes no cache files into the data folder
    random.Random(args.seed).shuffle(rows)  # KTO reads in order (its KL term pairs neighbours): mix the labels
    n_eval = int(len(rows) * args.eval_fraction)
    features = data.features
    train = Dataset.from_list(rows[n_eval:], features=features)
    evals = Dataset.from_list(rows[:n_eval], features=features) if n_eval else None
    return train, evals, counts


def summarise_preference_log(log_history: list[dict]) -> tuple[list[dict], list[dict]]:
    """(train rows, eval rows): `{"step", "epoch", "loss", ...}` with each logged preference metric
    under its run-log name (`PREFERENCE_METRICS`); one eval row per step."""
    train, evals = [], {}
    for entry in log_history:
        if "step" not in entry:
            continue
        for prefix, into in (("", train), ("eval_", None)):
            if prefix + "loss" not in entry:
                continue
            row = {"step": int(entry["step"]), "epoch": entry.get("epoch"), "loss": float(entry[prefix + "loss"])}
            for key, name in PREFERENCE_METRICS.items():
                if prefix + key in entry:
                    row[name] = float(entry[prefix + key])
            if into is None:
                evals[row["step"]] = row
            else:
                for key in ("learning_rate", "grad_norm"):
                    if key in entry:
                        row[key] = float(entry[key])
                into.append(row)
    return train, [evals[s] for s in sorted(evals)]


def check_prompts_fit(train_set, tokenizer, max_length: int) -> None:
    """TRL leaves out every example whose prompt alone fills `max_length` (nothing of its completion
    would be learned). Raises `PreferError` when that leaves nothing to train on, saying how long the
    prompts are (a few-shot prompt holds example songs), instead of TRL's empty-sampler error."""
    lengths = [len(tokenizer(prompt)["input_ids"]) for prompt in train_set["prompt"]]
    if lengths and min(lengths) >= max_length:
        raise PreferError(f"every training prompt fills --max-length {max_length} ({min(lengths)}-{max(lengths)} tokens: "
                          f"few-shot prompts hold example songs), so nothing would be learned; "
                          f"set --max-length above {max(lengths) + 64}")


def prefer(args: PreferArguments) -> dict:
    """Tune the genre's model on its preferences; returns the log as written to `runs/`.

    Raises `PreferError`, `PreferenceDataError`, `TooFewPreferencesError`, `ModelUnavailableError`,
    `UnknownGenreError` or `ConfigError` on bad input; any failure leaves the earlier model folder and
    runs untouched."""
    args.check()
    train_set, eval_set, counts = preference_sets(args)
    source = genre_model(args)
    place = plan_run(Path(args.models_dir) / args.target_name(), Path(args.runs_dir) / args.genre, args.run_id)
    target = place.target
    model, tokenizer, peft_config, lora, adapter_base, folder = load_policy(args, source)
    few_shot = _served_few_shot(source, tokenizer)
    # An adapter cannot be served on the folder it replaces: merge it into that model instead.
    merge = args.serve and not source.is_adapter and source.kind == "path" and Path(source.ref).resolve() == target.resolve()

    from transformers import set_seed

    set_seed(args.seed)
    max_length = args.max_length or default_block_size(model, tokenizer)
    check_prompts_fit(train_set, tokenizer, max_length)
    common = dict(
        output_dir=str(place.work), num_train_epochs=args.num_train_epochs,
        max_steps=args.max_steps, per_device_train_batch_size=args.per_device_train_batch_size,
        per_device_eval_batch_size=args.per_device_eval_batch_size, gradient_accumulation_steps=args.gradient_accumulation_steps,
        learning_rate=args.learning_rate, warmup_steps=args.warmup_steps, beta=args.beta,
        max_length=max_length, logging_strategy="steps",
        logging_steps=args.logging_steps, eval_strategy="steps" if eval_set is not None else "no", eval_steps=args.eval_steps,
        save_strategy="no", report_to="none", seed=args.seed, bf16=args.bf16, fp16=args.fp16, use_cpu=args.use_cpu,
        activation_checkpointing=args.activation_checkpointing,
        disable_tqdm=True, dataloader_num_workers=0,
    )
    if args.method == "dpo":
        from trl import DPOConfig as Config, DPOTrainer as Trainer
    else:
        from trl import KTOConfig as Config, KTOTrainer as Trainer

        common.update(desirable_weight=args.desirable_weight, undesirable_weight=args.undesirable_weight)
    config = Config(**common)
    work = place.agree(config).work
    config.output_dir = str(work)
    try:
        trainer = Trainer(model=model, args=config, train_dataset=train_set, eval_dataset=eval_set,
                          processing_class=tokenizer, peft_config=peft_config)
    except ValueError as error:  # TRL's own checks on the settings and the data
        raise PreferError(f"{args.method.upper()} could not start: {str(error).splitlines()[0]}") from None
    main = trainer.is_world_process_zero()
    started = time.time()
    with place.building(main):  # the main process's folder replaces the target when the block ends
        train_result = trainer.train()
        final = trainer.evaluate() if eval_set is not None else {}
        if not main:
            return {}
        tuned = trainer.accelerator.unwrap_model(trainer.model)
        parameters = parameter_counts(tuned)
        if merge:
            tuned.merge_and_unload().save_pretrained(str(work))
        else:  # the trained adapter alone ("default"; not TRL's frozen "ref" copy)
            tuned.save_pretrained(str(work), selected_adapters=["default"])
            write_json(work / ADAPTER_BASE_FILE, {"base": adapter_base, "few_shot": few_shot, "tuned_from": str(source),
                                                  "method": args.method, "lora": {k: lora[k] for k in ("r", "alpha", "dropout", "target_modules")}})
        tokenizer.save_pretrained(str(work))
        train_rows, eval_rows = summarise_preference_log(trainer.state.log_history)
        last = train_rows[-1] if train_rows else {}
        log = {
            "run_id": place.run_id, "genre": args.genre, "kind": args.method,
            "base": str(source), "base_source": folder, "lora": lora, "merged": merge, "few_shot": few_shot,
            "parameters": parameters, "data": str(Path(args.data).expanduser().resolve()), "sample": False,
            "started": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="seconds"),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "hyperparameters": {**asdict(args), "max_length": common["max_length"], "world_size": config.world_size,
                                "effective_batch_size": args.per_device_train_batch_size * args.gradient_accumulation_steps * config.world_size,
                                "device": str(config.device)},
            "sizes": {**counts, "train_examples": len(train_set), "eval_examples": len(eval_set) if eval_set is not None else 0},
            "train_loss": [{"step": r["step"], "epoch": r["epoch"], "loss": r["loss"]} for r in train_rows],
            "eval_loss": [{"step": r["step"], "epoch": r["epoch"], "loss": r["loss"]} for r in eval_rows],
            "preference": {"train": train_rows, "eval": eval_rows},
            "final": {"step": trainer.state.global_step, "eval_loss": final.get("eval_loss"), "perplexity": None,
                      "train_loss": train_result.metrics.get("train_loss"),
                      **{name: last.get(name) for name in ("reward_margin", "reward_accuracy")},
                      **{f"eval_{name}": final.get(f"eval_{key}") for key, name in PREFERENCE_METRICS.items()
                         if name in ("reward_margin", "reward_accuracy")}},
            "model_dir": str(target.resolve()), "served": args.serve, "versions": library_versions("trl", "datasets"),
        }
        log = place.write_log(log, {**train_result.metrics, **final})
    return log


def _described(args: PreferArguments, log: dict) -> tuple[str, str]:
    final = log["final"]
    shown = {k: final.get(k) for k in ("train_loss", "reward_margin", "reward_accuracy", "eval_loss", "eval_reward_accuracy")}
    figures = ", ".join(f"{k.replace('_', ' ')} {v:.4f}" for k, v in shown.items() if isinstance(v, (int, float)))
    where = "merged model" if log["merged"] else "LoRA adapter on " + log["lora"]["base"]
    return f"{log['genre']} {log['kind'].upper()}: {final['step']} steps, {figures}", \
        f"{where}: {Path(args.models_dir).resolve() / args.target_name()}"


parse_args, main = training_command(PreferArguments, prefer, _described, "python -m training prefer",
                                    "Tune a genre's lyrics model on people's preferences (DPO or KTO, LoRA).")


if __name__ == "__main__":
    raise SystemExit(main())
