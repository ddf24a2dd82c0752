"""Load a lyrics model from its source, once per process.

A loaded model is a `LyricsModel`: the transformers model and tokenizer, plus
what the prompt needs to know (few-shot or not, which tokens end a song).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from .device import default_device
from .embedded import EMBEDDED_MODELS, converted_dir
from .errors import ModelUnavailableError
from .prompts import END_OF_LYRICS
from .registry import ModelSource


@dataclass
class LyricsModel:
    model: object
    tokenizer: object
    source: ModelSource
    device: str
    few_shot: bool
    eos_token_ids: list[int]
    description: str
    load_seconds: float = 0.0
    # Generation on one model object is serialised: callers take this lock.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


_cache: dict[tuple[str, str], LyricsModel] = {}
_cache_lock = threading.Lock()


def load_lyrics_model(source: ModelSource, device: str | None = None) -> LyricsModel:
    """Load (or return the already loaded) model for `source` on `device`.

    Raises `ModelUnavailableError` when the folder is missing or broken, the
    hub cannot be reached, or an embedded package is not installed.
    """
    device = device or default_device()
    key = (str(source), device)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _load(source, device)
        return _cache[key]


def unload_all() -> None:
    """Forget every loaded model (tests, and freeing GPU memory)."""
    with _cache_lock:
        _cache.clear()


def _load(source: ModelSource, device: str) -> LyricsModel:
    import time

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    folder, description = _resolve_folder(source)
    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype)
    except OSError as error:
        raise ModelUnavailableError(_unavailable_message(source, error)) from error
    except (ValueError, KeyError) as error:
        raise ModelUnavailableError(f"model {source} could not be loaded: {error}") from error
    model.to(device)
    model.eval()
    if device == "cpu":
        from .cpu_speed import optimize_for_cpu

        model = optimize_for_cpu(model)

    end_id = tokenizer.convert_tokens_to_ids(END_OF_LYRICS) if END_OF_LYRICS in tokenizer.get_vocab() else None
    eos_ids = {i for i in (tokenizer.eos_token_id, end_id) if i is not None}
    generation_eos = model.generation_config.eos_token_id
    eos_ids.update(generation_eos if isinstance(generation_eos, list) else [generation_eos] if generation_eos is not None else [])
    few_shot = source.few_shot if source.few_shot is not None else end_id is None
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return LyricsModel(model, tokenizer, source, device, few_shot, sorted(eos_ids), description, time.perf_counter() - started)


def _resolve_folder(source: ModelSource) -> tuple[str, str]:
    if source.kind == "embedded":
        if source.ref not in EMBEDDED_MODELS:
            raise ModelUnavailableError(f"unknown embedded model {source.ref!r}; choose one of: {', '.join(EMBEDDED_MODELS)}")
        return str(converted_dir(source.ref)), EMBEDDED_MODELS[source.ref]["description"]
    if source.kind == "path":
        folder = Path(source.ref)
        if not (folder / "config.json").is_file():
            raise ModelUnavailableError(
                f"model folder {folder} has no config.json; train a model there (see training/) "
                f"or point the registry (config/models.toml) at another source"
            )
        return str(folder), f"local model {folder.name}"
    return source.ref, f"hub model {source.ref}"


def _unavailable_message(source: ModelSource, error: Exception) -> str:
    if source.kind == "hub":
        return (
            f"model {source.ref!r} is not in the local Hugging Face cache and the hub cannot be reached; "
            f"download it on a machine with internet (`hf download {source.ref}`) and copy the cache, "
            f"or use an embedded model in config/models.toml ({error.__class__.__name__})"
        )
    return f"model {source} could not be read: {error}"
