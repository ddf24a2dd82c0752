"""Load a lyrics model from its source, once per process.

A loaded model is a `LyricsModel`: the transformers model and tokenizer, plus
what the prompt needs to know (few-shot or not, which tokens end a song).

LoRA adapters (a `models/<genre>/` folder written by `training finetune --lora`,
see registry.py) share their base: the base model is loaded once per (base
source, device), the first adapter wraps it in a peft `PeftModel`, and every
further adapter on that base is attached to the same object with `load_adapter`
under its own adapter name. So each genre's `LyricsModel` has the same `model`
and the same `lock`, and names its `adapter`; `LyricsModel.using()` holds the
lock and activates the adapter (`set_adapter`) for the whole of one generation.
Generations on one shared base are therefore serialised, across genres and
across the Streamlit sessions (threads) that use them.

The CPU speed preset (cpu_speed.py, int8 Linears) is not applied to a base that
serves adapters: peft injects its LoRA layers around the base's Linear layers,
which the preset replaces; merging the adapter into the weights would make it
possible, but then no two genres could share the base. Such a model runs in
fp32 on the CPU (fp16 on a GPU) with transformers' own sampling.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .device import default_device
from .embedded import EMBEDDED_MODELS, converted_dir
from .errors import ConfigError, ModelUnavailableError
from .prompts import END_OF_LYRICS, few_shot_header, genre_examples
from .registry import ModelSource, adapter_few_shot, read_adapter_base, source_version


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
    # Generation on one model object is serialised: callers hold `using()` (or this lock).
    # The genres served by adapters on one base share the model and this lock.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    adapter: str | None = None  # the peft adapter name to activate on the shared `model`
    base_source: ModelSource | None = None  # an adapter's base
    max_examples: int | None = None  # at most this many example songs a prompt (None: as many as fit)
    _examples: dict = field(default_factory=dict, repr=False)  # genre -> prompt_examples

    def prompt_examples(self, genre: str) -> int:
        """How many of `genre`'s example songs its prompts start with: none for a model that is
        not prompted with examples; else as many as take at most half the model's context (GPT-2's
        1024 positions hold about one), so the song has room, and at most `max_examples`.
        Counted once per genre."""
        if not self.few_shot:
            return 0
        if genre not in self._examples:
            available = len(genre_examples(genre)[:self.max_examples])
            limit = context_length(self.model)
            fits = available
            if limit is not None:
                count = lambda n: len(self.tokenizer(few_shot_header(genre, n))["input_ids"])  # noqa: E731
                fits = next((n for n in range(available, 0, -1) if count(n) <= limit // 2), 0)
            self._examples[genre] = fits
        return self._examples[genre]

    @contextmanager
    def using(self):
        """Hold the model for one generation: take its lock and, for a LoRA adapter on a
        shared base, make this genre's adapter the active one until the lock is released."""
        with self.lock:
            if self.adapter is not None:
                self.model.set_adapter(self.adapter, inference_mode=True)
            yield self.model


@dataclass
class _SharedBase:
    """A base model loaded once and shared by every adapter attached to it."""

    model: object  # the plain transformers model, then the PeftModel wrapping it once an adapter is attached
    tokenizer: object
    description: str
    load_seconds: float
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    adapters: dict[str, tuple[str, str]] = field(default_factory=dict)  # adapter folder -> (its version, adapter name)


_cache: dict[tuple[str, str], LyricsModel] = {}
_versions: dict[tuple[str, str], str] = {}  # (source, device) -> the folder version that was loaded
_bases: dict[tuple[str, str], _SharedBase] = {}  # (base source, device) -> the shared base
_cache_lock = threading.Lock()


def load_lyrics_model(source: ModelSource, device: str | None = None) -> LyricsModel:
    """Load (or return the already loaded) model for `source` on `device`.

    Raises `ModelUnavailableError` when the folder is missing or broken, the
    hub cannot be reached, or an embedded package is not installed.
    """
    device = device or default_device()
    key = (str(source), device)
    version = source_version(source)
    with _cache_lock:
        if key not in _cache or _versions.get(key) != version:  # new, or its folder was retrained since
            _cache.pop(key, None)
            _cache[key] = _load(source, device)
            _versions[key] = version
        return _cache[key]


def context_length(model) -> int | None:
    """How many positions the model can attend to (prompt and new tokens together), when its
    config says so: learnt position embeddings (GPT-2's n_positions) end there."""
    config = getattr(model, "config", None)
    for name in ("n_positions", "max_position_embeddings"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def loaded_sources(device: str) -> set[str]:
    """The sources ("kind:ref") of the models loaded in this process on `device`."""
    with _cache_lock:
        return {source for source, dev in _cache if dev == device}


def shared_bases(device: str) -> dict[str, list[str]]:
    """The bases loaded once to serve LoRA adapters on `device`: base source -> adapter folders."""
    with _cache_lock:
        return {base: sorted(shared.adapters) for (base, dev), shared in _bases.items() if dev == device}


def unload_all() -> None:
    """Forget every loaded model (tests, and freeing GPU memory)."""
    with _cache_lock:
        _cache.clear()
        _versions.clear()
        _bases.clear()


def _load(source: ModelSource, device: str) -> LyricsModel:
    import time

    started = time.perf_counter()
    adapter_base = source.adapter_base if source.is_adapter else (
        read_adapter_base(Path(source.ref)) if source.kind == "path" else None)
    if adapter_base is not None:
        return _load_adapter(ModelSource(source.kind, source.ref, source.few_shot, adapter_base), device, started)
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


def _load_adapter(source: ModelSource, device: str, started: float) -> LyricsModel:
    """Attach the adapter folder `source.ref` to its base, loading the base once per (base, device).

    Raises `ModelUnavailableError` naming the base when it cannot be found or loaded,
    and naming the adapter when it does not fit the base."""
    import time

    try:
        base = source.base_source()
    except ConfigError as error:
        raise ModelUnavailableError(f"LoRA adapter {source.ref} cannot be served: {error}") from None
    key = (str(base), device)
    shared = _bases.get(key)
    if shared is None:
        try:
            folder, description = _resolve_folder(base)
            model, tokenizer = _read_folder(base, folder, device, None)  # no CPU preset: see the module docstring
        except ModelUnavailableError as error:
            raise ModelUnavailableError(f"the base model {base} of LoRA adapter {source.ref} is unavailable: {error}") from None
        shared = _SharedBase(model, tokenizer, description, time.perf_counter() - started)
    version = source_version(source)
    with shared.lock:  # a generation on this base may be running in another thread
        attached = shared.adapters.get(source.ref)
        if attached is not None and attached[0] == version:
            name = attached[1]
        else:  # a new adapter, or the folder was retrained: attach the new one, then drop the old
            name = _adapter_name(Path(source.ref).name, {n for _, n in shared.adapters.values()})
            _attach(shared, source, base, name, device)
            shared.adapters[source.ref] = (version, name)
            if attached is not None:
                shared.model.delete_adapter(attached[1])
    _bases[key] = shared  # only once the base has an adapter that works

    tokenizer = shared.tokenizer
    if (Path(source.ref) / "tokenizer_config.json").is_file():
        from transformers import AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(source.ref)  # as trained (the same vocabulary: no token is added)
        except (OSError, ValueError) as error:
            raise ModelUnavailableError(f"the tokenizer of LoRA adapter {source.ref} could not be read: {error}") from error
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    # The end-of-lyrics marker is plain text to an adapter's tokenizer (training adds no token, so the
    # adapter needs no copy of the embeddings); generation stops on it in the decoded text (lyrics.py).
    end_id = tokenizer.convert_tokens_to_ids(END_OF_LYRICS) if END_OF_LYRICS in tokenizer.get_vocab() else None
    eos_ids = {i for i in (tokenizer.eos_token_id, end_id) if i is not None}
    generation_eos = shared.model.generation_config.eos_token_id
    eos_ids.update(generation_eos if isinstance(generation_eos, list) else [generation_eos] if generation_eos is not None else [])
    # Fine-tuned in the plain prompt format, unless the folder says it was tuned on few-shot prompts.
    few_shot = source.few_shot if source.few_shot is not None else adapter_few_shot(Path(source.ref))
    description = f"LoRA adapter {Path(source.ref).name} on {shared.description} ({base}; shared base, no CPU speed preset)"
    return LyricsModel(shared.model, tokenizer, source, device, few_shot, sorted(eos_ids), description,
                       time.perf_counter() - started, False, shared.lock, name, base)


def _adapter_name(folder_name: str, taken: set[str]) -> str:
    """A peft adapter name for a folder (a genre): "genre-rock". The dash keeps it clear of the
    attribute names of torch's ModuleDict, where peft keeps the adapters ("pop" is a method)."""
    name = wanted = f"genre-{folder_name}"
    n = 1
    while name in taken:  # the same genre from another models folder
        n += 1
        name = f"{wanted}-{n}"
    return name


def _attach(shared: _SharedBase, source: ModelSource, base: ModelSource, name: str, device: str) -> None:
    """Wrap the base in a PeftModel with the first adapter, or add another adapter to it."""
    from peft import PeftModel

    first = not isinstance(shared.model, PeftModel)
    try:
        if first:
            shared.model = PeftModel.from_pretrained(shared.model, source.ref, adapter_name=name,
                                                     is_trainable=False, torch_device=device)
        else:
            shared.model.load_adapter(source.ref, adapter_name=name, is_trainable=False, torch_device=device)
    except (OSError, ValueError, KeyError, RuntimeError, TypeError) as error:
        if not first:
            try:  # leave the shared model as it was
                shared.model.delete_adapter(name)
            except Exception:  # noqa: BLE001 (it may not have been added)
                pass
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ModelUnavailableError(f"LoRA adapter {source.ref} could not be attached to its base {base}: {first_line}") from error
    shared.model.eval()


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
    from .embedded import EMBEDDED_MODELS
    from .paths import cache_dir

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
