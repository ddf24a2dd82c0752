"""Which model writes the lyrics of each genre.

The registry is read from a small TOML file (`config/models.toml` by default,
or the file named by `SONGGEN_CONFIG`). Folders written by training,
`models/<genre>/`, take over their genre automatically: a whole model (a
`config.json`), or a LoRA adapter (an `adapter_config.json`, written by
`python -m training finetune --lora`) served on its base model, which the
folder names in `songgen_base.json` in this registry's own source syntax
(`{"base": "embedded:smollm2-135m"}`). Genres whose adapters name the same base
share one loaded copy of it (see `loading.py`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .files import read_toml
from .errors import ConfigError, ModelUnavailableError, UnknownGenreError

SOURCE_KINDS = ("embedded", "hub", "path")
GENRE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
ADAPTER_CONFIG = "adapter_config.json"  # peft's
ADAPTER_BASE_FILE = "songgen_base.json"  # ours: {"base": "<source of the base model>"}


@dataclass(frozen=True)
class ModelSource:
    """Where a lyrics model comes from: `kind` is embedded, hub or path."""

    kind: str
    ref: str
    few_shot: bool | None = None  # None: decide from the tokenizer when loading
    # Only for a LoRA adapter folder (kind "path"): the source of its base model as
    # "kind:ref" text, "" when the folder does not say; None for a whole model.
    adapter_base: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}"

    @property
    def is_adapter(self) -> bool:
        return self.adapter_base is not None

    def describe(self) -> str:
        """The source as people read it: "kind:ref", plus "(LoRA adapter on BASE)" for an adapter."""
        if not self.is_adapter:
            return str(self)
        return f"{self} (LoRA adapter on {self.adapter_base or 'an unknown base'})"

    def base_source(self) -> "ModelSource":
        """The parsed source of an adapter's base. Raises `ConfigError` when it is missing or malformed."""
        if not self.is_adapter:
            raise ConfigError(f"model {self} is not a LoRA adapter")
        if not self.adapter_base:
            raise ConfigError(f"LoRA adapter {self.ref} does not name its base model ({ADAPTER_BASE_FILE} is missing)")
        base = ModelSource.parse(self.adapter_base, base_dir=Path(self.ref))
        if base.is_adapter:
            raise ConfigError(f"LoRA adapter {self.ref} names another adapter as its base ({base.ref})")
        return base

    @classmethod
    def parse(cls, text: str, few_shot: bool | None = None, base_dir: Path = paths.PROJECT_ROOT) -> "ModelSource":
        """Parse "kind:ref". Raises `ConfigError` on an unknown kind or empty ref."""
        kind, sep, ref = str(text).partition(":")
        if not sep or kind not in SOURCE_KINDS or not ref.strip():
            raise ConfigError(f"model source {text!r} must look like one of: embedded:NAME, hub:ORG/NAME, path:FOLDER")
        ref = ref.strip()
        if kind == "path" and not Path(ref).is_absolute():
            ref = str((base_dir / ref).resolve())
        adapter_base = read_adapter_base(Path(ref)) if kind == "path" else None
        return cls(kind, ref, few_shot, adapter_base)


def parse_base(text: str) -> ModelSource:
    """A model as a command line names it: "embedded:NAME", "hub:ID", "path:FOLDER", or a bare
    folder (absolute, starting with ".", or existing) or hub id. A folder is made absolute
    (relative to the working folder, as a command line means it). Raises
    `ModelUnavailableError` for an empty value."""
    text = str(text).strip()
    if not text:
        raise ModelUnavailableError("the base model is empty: give a hub id, a folder or embedded:NAME")
    kind, sep, ref = text.partition(":")
    if not (sep and kind in SOURCE_KINDS):
        path = Path(text).expanduser()
        kind, ref = ("path", text) if path.is_absolute() or text.startswith(".") or path.exists() else ("hub", text)
    ref = ref.strip()
    if kind == "path":
        return ModelSource.parse(f"path:{Path(ref).expanduser().resolve()}")
    return ModelSource(kind, ref)


def source_version(source: ModelSource) -> str:
    """Changes when a model folder is replaced (a retrained `models/<genre>/`): the folder's
    inode and its newest file time. "" for embedded and hub sources, which do not change."""
    if source.kind != "path":
        return ""
    try:
        folder = os.stat(source.ref)
        newest = max((entry.stat().st_mtime_ns for entry in os.scandir(source.ref) if entry.is_file()), default=0)
    except OSError:
        return "missing"
    return f"{folder.st_ino}-{newest}"


def is_adapter_folder(folder: Path) -> bool:
    """A folder holding a peft adapter and no whole model (no config.json)."""
    return (folder / ADAPTER_CONFIG).is_file() and not (folder / "config.json").is_file()


def read_adapter_base(folder: Path) -> str | None:
    """The base source ("kind:ref") an adapter folder names; None when `folder` is not an adapter.

    Read from `songgen_base.json`; failing that, from peft's `base_model_name_or_path`
    (an absolute or existing folder becomes "path:FOLDER", anything else "hub:ID"); "" when neither says.
    Never raises: a broken folder is reported when the model is loaded."""
    import json

    if not is_adapter_folder(folder):
        return None
    try:
        base = json.loads((folder / ADAPTER_BASE_FILE).read_text(encoding="utf-8")).get("base")
        if isinstance(base, str) and base.strip():
            return base.strip()
    except (OSError, ValueError, AttributeError):
        pass
    try:
        name = json.loads((folder / ADAPTER_CONFIG).read_text(encoding="utf-8")).get("base_model_name_or_path")
    except (OSError, ValueError, AttributeError):
        name = None
    if isinstance(name, str) and name.strip():
        name = name.strip()
        local = Path(name).expanduser()
        return f"path:{local.resolve()}" if local.is_absolute() or local.is_dir() else f"hub:{name}"
    return ""


def adapter_few_shot(folder: Path) -> bool:
    """Whether an adapter folder is prompted with example songs: the `few_shot` its songgen_base.json
    records (`training prefer` writes it: an adapter tuned on few-shot prompts is served with them),
    else False (`finetune --lora` trains in the plain prompt format). Never raises."""
    import json

    try:
        recorded = json.loads((Path(folder) / ADAPTER_BASE_FILE).read_text(encoding="utf-8")).get("few_shot")
    except (OSError, ValueError, AttributeError):
        return False
    return recorded if isinstance(recorded, bool) else False


@dataclass
class Registry:
    """Genres and their lyrics models, plus the music settings."""

    lyrics: dict[str, ModelSource]
    default_source: ModelSource
    music_backend: str = "arranger"
    musicgen_model: str = "facebook/musicgen-small"
    config_path: Path | None = None
    taken_over: dict[str, Path] = field(default_factory=dict)  # genre -> trained folder

    def genres(self) -> list[str]:
        return sorted(self.lyrics)

    def lyrics_source(self, genre: str) -> ModelSource:
        """The source for `genre`. Raises `UnknownGenreError`."""
        key = genre.strip().lower() if isinstance(genre, str) else genre
        if key not in self.lyrics:
            raise UnknownGenreError(str(genre), self.genres())
        return self.lyrics[key]


def load_registry(config_path: str | Path | None = None, models_dir: str | Path | None = None) -> Registry:
    """Read the registry. Raises `ConfigError` if the file is missing or malformed."""
    path = Path(config_path) if config_path else paths.config_path()
    models = Path(models_dir) if models_dir else paths.models_dir()
    data = read_toml(path, "model registry")

    base_dir = path.resolve().parent.parent if path.resolve().parent.name == "config" else path.resolve().parent
    lyrics = data.get("lyrics", {})
    default = ModelSource.parse(lyrics.get("default", "embedded:gemma3-270m"), base_dir=base_dir)
    sources: dict[str, ModelSource] = {}
    for genre, entry in lyrics.get("genres", {}).items():
        sources[_genre_name(genre, path)] = _parse_entry(entry, genre, path, base_dir)

    taken_over = {}
    if models.is_dir():
        for folder in sorted(models.iterdir()):
            genre = folder.name.lower()
            if not GENRE_NAME.match(genre):
                continue
            if (folder / "config.json").is_file():
                sources[genre] = ModelSource("path", str(folder.resolve()))
                taken_over[genre] = folder
            elif is_adapter_folder(folder):
                sources[genre] = ModelSource("path", str(folder.resolve()), adapter_base=read_adapter_base(folder))
                taken_over[genre] = folder

    music = data.get("music", {})
    backend = music.get("default_backend", "arranger")
    if backend not in ("arranger", "musicgen"):
        raise ConfigError(f"{path}: music.default_backend must be 'arranger' or 'musicgen', not {backend!r}")
    return Registry(sources, default, backend, str(music.get("musicgen_model", "facebook/musicgen-small")), path, taken_over)


def _genre_name(genre: str, path: Path) -> str:
    name = str(genre).strip().lower()
    if not GENRE_NAME.match(name):
        raise ConfigError(f"{path}: genre name {genre!r} must be lowercase letters, digits, '-' or '_'")
    return name


def _parse_entry(entry, genre: str, path: Path, base_dir: Path) -> ModelSource:
    if isinstance(entry, str):
        return ModelSource.parse(entry, base_dir=base_dir)
    if isinstance(entry, dict) and "source" in entry:
        few_shot = entry.get("few_shot")
        if few_shot is not None and not isinstance(few_shot, bool):
            raise ConfigError(f"{path}: few_shot for genre {genre!r} must be true or false")
        return ModelSource.parse(entry["source"], few_shot, base_dir=base_dir)
    raise ConfigError(f"{path}: genre {genre!r} needs a source string or a table with a 'source' key")
