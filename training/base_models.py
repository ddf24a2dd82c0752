"""The model a training run starts from: the `--base` (or `--model`) as given, the folder or hub id
transformers loads it from, the model itself, and how long a block of tokens it takes."""

from __future__ import annotations

import os
from pathlib import Path

from songgen_core.errors import ModelUnavailableError
from songgen_core.loading import context_length
from songgen_core.registry import ModelSource, parse_base


def resolve_base(base: str | ModelSource) -> str:
    """A folder or hub id `from_pretrained` accepts, for a base as given on a command line (see
    `songgen_core.registry.parse_base`) or a registry source. Raises `ModelUnavailableError`
    for an empty base, an embedded model that is not installed, or a folder without a model."""
    source = base if isinstance(base, ModelSource) else parse_base(base)
    if source.kind == "embedded":
        from songgen_core.embedded import converted_dir

        return str(converted_dir(source.ref))
    if source.kind == "hub":
        return source.ref
    path = Path(source.ref)
    if not (path / "config.json").is_file():
        raise ModelUnavailableError(f"base model folder {path} has no config.json (a saved transformers model)")
    return str(path)


def load_base(source: str):
    """(model, tokenizer) from a folder or hub id, or `ModelUnavailableError` naming the reason."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForCausalLM.from_pretrained(source)
    except (OSError, ValueError, KeyError) as e:
        offline = os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("TRANSFORMERS_OFFLINE") == "1"
        hint = " (the hub is off: HF_HUB_OFFLINE is set; use a local folder or embedded:NAME)" if offline else ""
        raise ModelUnavailableError(f"cannot load base model {source!r}: {str(e).splitlines()[0] if str(e) else type(e).__name__}{hint}") from None
    return model, tokenizer


def default_block_size(model, tokenizer) -> int:
    """Tokens per training block: 1024, or less where the model or its tokenizer takes less."""
    limits = [1024, context_length(model) or 1024]
    if isinstance(tokenizer.model_max_length, int) and 0 < tokenizer.model_max_length < 10**9:
        limits.append(tokenizer.model_max_length)
    return min(limits)


def parameter_counts(model) -> dict:
    """Trainable and total parameters (a tied weight counted once)."""
    params = list(model.parameters())  # parameters() yields a shared tensor once
    return {"trainable": sum(p.numel() for p in params if p.requires_grad), "total": sum(p.numel() for p in params)}
