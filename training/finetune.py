"""Per-genre fine-tuning of a causal LM on Genius lyrics with transformers' `Trainer`.

In the style of transformers' `examples/pytorch/language-modeling/run_clm.py`:
the songs of one genre (cleaned and split 90/10 by `training.data`, in the prompt
format) are tokenized and packed into blocks (`training.packing`), the
end-of-lyrics token is added to the tokenizer and the embeddings are resized,
and `Trainer` trains with the original design's defaults (gpt2-medium, 2 epochs,
batch 4, lr 3e-5, eval every 500 steps, at most 1000 steps, logging every 100,
gradient accumulation 4).

With `--lora`, peft's LoRA adapters are trained instead of the whole model
(`get_peft_model` with `LoraConfig(task_type="CAUSAL_LM")`, rank `--lora-r`, alpha
`--lora-alpha`, dropout `--lora-dropout`, on `--lora-target-modules`, by default
peft's "all-linear": every Linear of the layers, not the LM head). No token is
added to the tokenizer and the embeddings are not resized, so the adapter holds
no copy of the embedding matrix: the end-of-lyrics marker is then learnt as
plain text (a few ordinary tokens), and generation stops on it in the decoded
text as it does for the embedded models. Only the adapter is saved
(`adapter_config.json`, `adapter_model.safetensors`), with the tokenizer and
`songgen_base.json`, which names the base in the registry's source syntax
(`{"base": "embedded:smollm2-135m"}`, a local folder as an absolute `path:`), so
that the registry finds the base offline and serves every adapter on one copy
of it (see songgen_core/loading.py).

Where things go:
* the model (or adapter) and tokenizer are saved to a new hidden folder `models/.<genre>.tmp-<run-id>`
  and moved to `models/<genre>/` only when training and saving succeeded, so an
  interrupted or failed run leaves the earlier model intact (the registry serves
  `models/<genre>/` as soon as it has a `config.json`);
* the run's log goes to `runs/<genre>/<run-id>/`: `log.json` (every logged train and
  eval loss with its step, hyperparameters, sizes, final eval loss and perplexity)
  and `metrics.json` (like `Trainer.save_metrics`), also written aside and moved.

The data are `datasets.Dataset`s (`training.lyrics_datasets`): the genre's cleaned songs from one
streaming pass over the CSV, tokenized and packed by batched `map`s, each step kept in datasets'
cache under its fingerprint. It runs unchanged under `torchrun` / `accelerate launch`: the main
process prepares the sets first (`TrainingArguments.main_process_first`), the other processes then
find them in the cache; the Trainer shards the batches, and only the main process
(`trainer.is_world_process_zero()`) writes logs and moves folders. A rerun with the same data,
genre, tokenizer and block settings reads the cached sets too, one with other block settings reads
the cached songs (`--no-token-cache` reads and tokenizes afresh, in memory).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from songgen_core.errors import SongGenError
from songgen_core.files import write_json
from songgen_core.loading import context_length
from songgen_core.registry import ADAPTER_BASE_FILE, parse_base

from . import lyrics_datasets
from .cli import training_command
from .base_models import default_block_size, load_base, parameter_counts, resolve_base
from .data import SAMPLE_PATH, CleaningOptions, DatasetError
from .packing import PAD_TO, PadCollator, add_end_token
from .run_folders import check_run_options, library_versions, plan_run
from .source import resolve_source

DEFAULT_BASE = "gpt2-medium"


class FinetuneError(SongGenError):
    """A fine-tuning argument is wrong (base model, sizes, flags)."""


@dataclass
class FinetuneArguments:
    """Arguments of one fine-tuning run (the command line's options, dashes for underscores)."""

    genre: str = field(metadata={"help": "the Genius tag to fine-tune on, e.g. rock, pop or rap"})
    data: str = field(default=str(SAMPLE_PATH), metadata={"help": "a CSV in the Genius schema (default: the bundled SAMPLE), or hub:owner/name[/file.csv] read as a stream"})
    base: str = field(default=DEFAULT_BASE, metadata={"help": "base model: a hub id (gpt2-medium), a local folder, or embedded:smollm2-135m / embedded:gemma3-270m"})
    # None: where the studio looks (songgen_core.paths), so a model trained here is the one it serves.
    models_dir: str | None = field(default=None, metadata={"help": "the trained model goes to <models_dir>/<genre>/ (default: SONGGEN_MODELS_DIR, else models/)"})
    runs_dir: str | None = field(default=None, metadata={"help": "the run's log goes to <runs_dir>/<genre>/<run-id>/ (default: SONGGEN_RUNS, else runs/)"})
    run_id: str | None = field(default=None, metadata={"help": "name of the run folder (default: UTC time)"})
    num_train_epochs: float = 2.0
    per_device_train_batch_size: int = 4
    per_device_eval_batch_size: int = 4
    learning_rate: float = 3e-5
    eval_steps: int = 500
    max_steps: int = field(default=1000, metadata={"help": "at most this many optimizer steps (-1: num_train_epochs decides)"})
    logging_steps: int = 100
    gradient_accumulation_steps: int = 4
    block_size: int | None = field(default=None, metadata={"help": "tokens per example (default: min(1024, the model's context))"})
    packing: bool = field(default=True, metadata={"help": "pack songs into full blocks (--no-packing: one padded song per example)"})
    token_cache: bool = field(default=True, metadata={"help": "reuse the songs and tokenized sets datasets cached for the same data, genre, tokenizer and blocks (--no-token-cache: read and tokenize afresh, in memory)"})
    pad_to: str = field(default="longest", metadata={"help": "with --no-packing: pad to the 'longest' in the batch or to the 'block' size"})
    seed: int = 42
    split_seed: int = field(default=42, metadata={"help": "seed of the 90/10 train/test split"})
    strict_language: bool = field(default=False, metadata={"help": "also require language_cld3 and language_ft to say en"})
    bf16: bool = field(default=False, metadata={"help": "bf16 mixed precision (GPU)"})
    fp16: bool = field(default=False, metadata={"help": "fp16 mixed precision (GPU)"})
    warmup_steps: int = 0
    weight_decay: float = 0.0
    use_cpu: bool = field(default=False, metadata={"help": "train on the CPU even when a GPU is there"})
    lora: bool = field(default=False, metadata={"help": "train LoRA adapters (peft) instead of the whole model; "
                                                "models/<genre>/ then holds only the adapter, served on the shared base"})
    lora_r: int = field(default=16, metadata={"help": "with --lora: the rank of the adapters"})
    lora_alpha: float = field(default=32, metadata={"help": "with --lora: the scaling alpha (the update is scaled by alpha / r)"})
    lora_dropout: float = field(default=0.05, metadata={"help": "with --lora: dropout on the adapters' input"})
    lora_target_modules: list[str] | None = field(default=None, metadata={
        "help": "with --lora: the module names to adapt, e.g. q_proj v_proj (default: peft's all-linear)"})

    def check(self) -> None:
        check_run_options(self, FinetuneError)
        if not str(self.data).strip().startswith("hub:") and not Path(self.data).expanduser().is_file():
            raise DatasetError(f"no dataset file at {self.data}")
        if self.block_size is not None and self.block_size < 8:
            raise FinetuneError(f"block size must be at least 8 tokens, not {self.block_size}")
        if self.pad_to not in PAD_TO:
            raise FinetuneError(f"pad-to must be one of {', '.join(PAD_TO)}, not {self.pad_to!r}")
        if self.bf16 and self.fp16:
            raise FinetuneError("choose bf16 or fp16, not both")
        for name in ("per_device_train_batch_size", "per_device_eval_batch_size", "eval_steps", "logging_steps", "gradient_accumulation_steps"):
            if getattr(self, name) < 1:
                raise FinetuneError(f"{name.replace('_', '-')} must be at least 1")
        if self.max_steps == 0 or self.max_steps < -1:
            raise FinetuneError("max-steps must be a positive number of steps, or -1 to train for num-train-epochs")
        if not self.learning_rate > 0:
            raise FinetuneError("learning-rate must be positive")
        if isinstance(self.lora_r, bool) or not isinstance(self.lora_r, int) or self.lora_r < 1:
            raise FinetuneError(f"lora-r must be a whole number of at least 1, not {self.lora_r!r}")
        if isinstance(self.lora_alpha, bool) or not isinstance(self.lora_alpha, (int, float)) or not self.lora_alpha > 0 \
                or not math.isfinite(self.lora_alpha):
            raise FinetuneError(f"lora-alpha must be a positive number, not {self.lora_alpha!r}")
        if isinstance(self.lora_dropout, bool) or not isinstance(self.lora_dropout, (int, float)) or not 0 <= self.lora_dropout < 1:
            raise FinetuneError(f"lora-dropout must be from 0 to below 1, not {self.lora_dropout!r}")
        if self.lora_target_modules is not None:
            if isinstance(self.lora_target_modules, str):
                self.lora_target_modules = [self.lora_target_modules]
            names = [n.strip() for item in self.lora_target_modules for n in str(item).split(",") if n.strip()]
            if not names:
                raise FinetuneError("lora-target-modules needs at least one module name (or leave it out for all-linear)")
            self.lora_target_modules = names

    def lora_settings(self) -> dict:
        """The LoRA settings as given (target modules: the names, or "all-linear")."""
        modules = self.lora_target_modules or "all-linear"
        if isinstance(modules, list) and modules == ["all-linear"]:
            modules = "all-linear"
        return {"r": self.lora_r, "alpha": self.lora_alpha, "dropout": self.lora_dropout, "target_modules": modules}


def cleaning_options(args: FinetuneArguments) -> CleaningOptions:
    return CleaningOptions(genres=(args.genre,), strict_language=args.strict_language, seed=args.split_seed)


def tokenized_sets(args: FinetuneArguments, data, tokenizer, block_size: int, training_args):
    """(train set, eval set, meta) as `datasets.Dataset`s, prepared by the main process first while
    the other processes wait (`main_process_first`), then read from datasets' cache by them."""
    with training_args.main_process_first(desc="reading and tokenizing the data"):
        return lyrics_datasets.genre_sets(data, cleaning_options(args), tokenizer, block_size, args.packing, args.token_cache)


def _perplexity(loss) -> float | None:
    if loss is None:
        return None
    try:
        return math.exp(loss)
    except OverflowError:
        return None


def summarise_log(log_history: list[dict]) -> tuple[list[dict], list[dict]]:
    """(train losses, eval losses) as `{"step", "epoch", "loss"}` rows; one eval row per step (the last)."""
    train, evals = [], {}
    for entry in log_history:
        if "loss" in entry and "step" in entry:
            row = {"step": int(entry["step"]), "epoch": entry.get("epoch"), "loss": float(entry["loss"])}
            for key in ("learning_rate", "grad_norm"):
                if key in entry:
                    row[key] = float(entry[key])
            train.append(row)
        if "eval_loss" in entry and "step" in entry:
            evals[int(entry["step"])] = {"step": int(entry["step"]), "epoch": entry.get("epoch"), "loss": float(entry["eval_loss"])}
    return train, [evals[s] for s in sorted(evals)]


def finetune(args: FinetuneArguments) -> dict:
    """Fine-tune `args.base` on `args.genre`; returns the log as written to `runs/` (paths inside the project
    relative to it, see `training.runs.portable_paths`).

    Raises `DatasetError`, `ModelUnavailableError` or `FinetuneError` on bad input;
    any failure leaves an earlier `models/<genre>/` and earlier runs untouched."""
    args.check()
    source = resolve_base(args.base)
    data = resolve_source(args.data)
    model, tokenizer = load_base(source)

    from transformers import Trainer, TrainingArguments, default_data_collator, set_seed

    set_seed(args.seed)
    place = plan_run(Path(args.models_dir) / args.genre, Path(args.runs_dir) / args.genre, args.run_id)
    target = place.target
    lora = None
    if args.lora:
        if source == str(target.resolve()):
            raise FinetuneError(f"the base {args.base} is the folder the adapter would replace; copy the base elsewhere first")
        lora = {**args.lora_settings(), "base": str(parse_base(args.base))}
        model = _with_lora(model, tokenizer, args)
        adapted = [name for name, module in model.named_modules() if hasattr(module, "lora_A")]
        lora["adapted_modules"] = {"count": len(adapted), "names": sorted({name.rsplit(".", 1)[-1] for name in adapted})}
    elif add_end_token(tokenizer):
        model.resize_token_embeddings(len(tokenizer))
    parameters = parameter_counts(model)
    block_size = args.block_size or default_block_size(model, tokenizer)
    context = context_length(model) or 10**9
    if block_size > context:
        raise FinetuneError(f"block size {block_size} is longer than the model's context ({context} tokens)")

    settings = dict(
        output_dir=str(place.work), num_train_epochs=args.num_train_epochs, max_steps=args.max_steps,
        per_device_train_batch_size=args.per_device_train_batch_size, per_device_eval_batch_size=args.per_device_eval_batch_size,
        gradient_accumulation_steps=args.gradient_accumulation_steps, learning_rate=args.learning_rate,
        warmup_steps=args.warmup_steps, weight_decay=args.weight_decay, eval_strategy="steps", eval_steps=args.eval_steps,
        logging_strategy="steps", logging_steps=args.logging_steps, save_strategy="no", report_to="none", seed=args.seed,
        bf16=args.bf16, fp16=args.fp16, use_cpu=args.use_cpu, disable_tqdm=True, dataloader_num_workers=0,
        label_names=["labels"],  # a PeftModel's forward hides the name from the Trainer
    )
    training_args = TrainingArguments(**settings)
    work = place.agree(training_args).work
    training_args.output_dir = str(work)

    train_set, eval_set, data_meta = tokenized_sets(args, data, tokenizer, block_size, training_args)
    if len(train_set) == 0:
        raise DatasetError(f"the {args.genre} train split has fewer tokens than one block of {block_size}; use a smaller --block-size")
    if len(eval_set) == 0:
        raise DatasetError(f"the {args.genre} test split has no tokens to evaluate on")

    collator = default_data_collator if args.packing else PadCollator(tokenizer.pad_token_id, args.pad_to, block_size)
    trainer = Trainer(model=model, args=training_args, train_dataset=train_set, eval_dataset=eval_set,
                      data_collator=collator, processing_class=tokenizer)
    main = trainer.is_world_process_zero()
    started = time.time()
    # Only the main process builds the model folder; it replaces models/<genre>/ when the block
    # ends, after the run log is written.
    with place.building(main):
        train_result = trainer.train()
        final = trainer.evaluate()
        # The model (with --lora: only the adapter) and the tokenizer (processing_class), on the main process.
        trainer.save_model(str(work))
        if not main:
            return {}
        tokenizer.save_pretrained(str(work))
        if lora is not None:
            write_json(work / ADAPTER_BASE_FILE, {"base": lora["base"], "base_as_given": args.base, "base_folder": source,
                                                  "lora": args.lora_settings()})
        train_losses, eval_losses = summarise_log(trainer.state.log_history)
        metrics = {**train_result.metrics, **final, "perplexity": _perplexity(final.get("eval_loss"))}
        log = {
            "run_id": place.run_id,
            "genre": args.genre,
            "base": args.base,
            "base_source": source,
            "lora": lora,
            "parameters": parameters,
            "data": data.label,
            "sample": data.path is not None and data.path == SAMPLE_PATH.resolve(),
            "started": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="seconds"),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "hyperparameters": {
                **asdict(args),
                "block_size": block_size,
                "world_size": training_args.world_size,
                "effective_batch_size": args.per_device_train_batch_size * args.gradient_accumulation_steps * training_args.world_size,
                "device": str(training_args.device),
            },
            "cleaning": data_meta["cleaning"],
            "sizes": {
                "train_songs": data_meta["train_songs"], "test_songs": data_meta["test_songs"],
                "tokenized_from_cache": data_meta["from_cache"],
                "train_examples": len(train_set), "eval_examples": len(eval_set),
                "train_tokens": lyrics_datasets.count_tokens(train_set), "eval_tokens": lyrics_datasets.count_tokens(eval_set),
            },
            "train_loss": train_losses,
            "eval_loss": eval_losses,
            "final": {"step": trainer.state.global_step, "eval_loss": final.get("eval_loss"),
                      "perplexity": metrics["perplexity"], "train_loss": train_result.metrics.get("train_loss")},
            "model_dir": str(target.resolve()),
            "versions": library_versions(),
        }
        log = place.write_log(log, metrics)  # what is returned is what is written
    return log


def _with_lora(model, tokenizer, args: FinetuneArguments):
    """The base wrapped in LoRA adapters (peft); the tokenizer gets a pad token only from its own eos."""
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError:
        raise FinetuneError("--lora needs the peft package (pip install peft)") from None
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is None and not args.packing:
            raise FinetuneError("--lora --no-packing needs a tokenizer with a pad or eos token (no token is added with --lora)")
        tokenizer.pad_token = tokenizer.eos_token
    config = LoraConfig(task_type="CAUSAL_LM", r=args.lora_r, lora_alpha=args.lora_alpha, lora_dropout=args.lora_dropout,
                        target_modules=args.lora_settings()["target_modules"])
    try:
        return get_peft_model(model, config)
    except ValueError as error:  # e.g. no module matches the target names
        raise FinetuneError(f"LoRA could not be applied to {args.base}: {str(error).splitlines()[0]}") from None


def _described(args: FinetuneArguments, log: dict) -> tuple[str, str]:
    final, ppl = log["final"], log["final"]["perplexity"]
    return (f"{'SAMPLE ' if log['sample'] else ''}{log['genre']}: {final['step']} steps, eval loss "
            f"{final['eval_loss']:.4f}, perplexity {'overflow' if ppl is None else f'{ppl:.2f}'}",
            f"{'LoRA adapter on ' + log['lora']['base'] if log.get('lora') else 'model'}: "
            f"{Path(args.models_dir).resolve() / log['genre']}")


parse_args, main = training_command(FinetuneArguments, finetune, _described, "python -m training finetune",
                                    "Fine-tune a causal LM on one genre of a Genius lyrics CSV.")


if __name__ == "__main__":
    raise SystemExit(main())
