"""Load a lyrics model from its source, once per process.

A loaded model is a `LyricsModel`: the transformers model and tokenizer, plus
what the prompt needs to know (few-shot or not, which tokens end a song).
"""

from __future__ import annotations

import os
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
    cpu_optimized: bool = False  # int8 weights, bf16 activations, top-k sampler (see cpu_speed.py)
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


def loaded_sources(device: str) -> set[str]:
    """The sources ("kind:ref") of the models loaded in this process on `device`."""
    with _cache_lock:
        return {source for source, dev in _cache if dev == device}


def unload_all() -> None:
    """Forget every loaded model (tests, and freeing GPU memory)."""
    with _cache_lock:
        _cache.clear()


def _load(source: ModelSource, device: str) -> LyricsModel:
    import time

    started = time.perf_counter()
    folder, description = _resolve_folder(source)
    preset = os.environ.get("SONGGEN_CPU_PRESET", "fast")
    cpu_optimized = device == "cpu" and preset != "off"
    bundle = _optimized_bundle_path(source, preset) if cpu_optimized else None
    loaded = _read_bundle(bundle) if bundle is not None and bundle.is_file() else None
    if loaded is None:
        loaded = _read_folder(source, folder, device, preset if cpu_optimized else None)
        if bundle is not None:  # also rewrites a cache entry that could not be read
            _write_bundle(bundle, *loaded)
    model, tokenizer = loaded

    end_id = tokenizer.convert_tokens_to_ids(END_OF_LYRICS) if END_OF_LYRICS in tokenizer.get_vocab() else None
    eos_ids = {i for i in (tokenizer.eos_token_id, end_id) if i is not None}
    generation_eos = model.generation_config.eos_token_id
    eos_ids.update(generation_eos if isinstance(generation_eos, list) else [generation_eos] if generation_eos is not None else [])
    few_shot = source.few_shot if source.few_shot is not None else end_id is None
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return LyricsModel(model, tokenizer, source, device, few_shot, sorted(eos_ids), description,
                       time.perf_counter() - started, cpu_optimized)


def _read_folder(source: ModelSource, folder: str, device: str, preset: str | None):
    """Load with transformers; on the CPU, make it fast (cpu_speed.py)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

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
    if preset is not None:
        from .cpu_speed import latin_script_ids, optimize_for_cpu

        keep = latin_script_ids(tokenizer) if preset == "fast" and len(tokenizer) > 100_000 else None
        model = optimize_for_cpu(model, preset, keep)
    return model, tokenizer


def _optimized_bundle_path(source: ModelSource, preset: str) -> Path | None:
    """Where the CPU-optimized copy of an embedded model is kept, keyed by every version that shapes it.

    Only embedded models are cached this way: their files never change, while
    a folder written by training may be replaced at any time.
    """
    if source.kind != "embedded":
        return None
    import importlib.metadata

    import torch
    import transformers

    from .cpu_speed import FORMAT_VERSION
    from .embedded import EMBEDDED_MODELS, cache_dir

    package = EMBEDDED_MODELS.get(source.ref, {}).get("package")
    try:
        version = importlib.metadata.version(package) if package else "none"
    except importlib.metadata.PackageNotFoundError:
        return None
    key = f"{source.ref}-{version}-{preset}-torch{torch.__version__}-transformers{transformers.__version__}-v{FORMAT_VERSION}"
    return cache_dir() / "optimized" / key / "bundle.pt"


def _read_bundle(path: Path):
    """The pickled (model, tokenizer), or None if it cannot be read (it is then rebuilt).

    The bundle is a pickle written by this program into its own cache folder;
    it loads in well under a second, where quantizing again takes several.
    """
    import torch

    try:
        bundle = torch.load(path, weights_only=False)
        return bundle["model"].eval(), bundle["tokenizer"]
    except Exception:  # a stale or broken cache entry: rebuild it
        path.unlink(missing_ok=True)
        return None


def _write_bundle(path: Path, model, tokenizer) -> None:
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        torch.save({"model": model, "tokenizer": tokenizer}, tmp)
        os.replace(tmp, path)
    except OSError:  # a cache is optional: a full disk must not stop the song
        tmp.unlink(missing_ok=True)


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
