"""What the Home page reports: the device, which model serves each genre and whether it is
loaded, and whether MusicGen can be used here (without loading anything)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from songgen_core.device import default_device, describe_device
from songgen_core.loading import loaded_sources
from songgen_core.registry import Registry, load_registry


def model_status(registry: Registry | None = None) -> list[dict]:
    """One row per genre: its model source and whether it is loaded in this process.

    A LoRA adapter reads "path:FOLDER (LoRA adapter on BASE)": it is served on the base,
    loaded once and shared with the other adapters on it, without the CPU speed preset."""
    registry = registry or load_registry()
    loaded = loaded_sources(default_device())
    return [
        {
            "genre": genre,
            "model": source.describe(),
            "trained here": genre in registry.taken_over,
            "loaded": str(source) in loaded,
        }
        for genre, source in sorted(registry.lyrics.items())
    ]


def device_status() -> dict:
    return describe_device()


def musicgen_status(registry: Registry) -> dict:
    """Whether the registry's MusicGen model can be used here, without loading it.

    `{"model", "available", "melody", "note"}`: a local folder is available when it
    holds a config.json, a hub id when it is in the local Hugging Face cache.
    `melody` tells whether the checkpoint takes a reference melody.
    """
    model = registry.musicgen_model
    folder = Path(os.path.expanduser(model))
    config = None
    if folder.is_dir():
        config = folder / "config.json" if (folder / "config.json").is_file() else None
        note = "local folder" if config else "the folder has no config.json"
        available = config is not None
    else:
        try:
            from huggingface_hub import try_to_load_from_cache

            cached = try_to_load_from_cache(model, "config.json")
        except Exception:  # a malformed id: not usable
            cached = None
        config = Path(cached) if isinstance(cached, str) else None
        available = config is not None
        note = ("in the local Hugging Face cache" if available else
                "not downloaded; it downloads on first use when music.default_backend is \"musicgen\" "
                "in config/models.toml and the hub can be reached")
    melody = "melody" in model.lower()
    if config is not None:
        try:
            melody = json.loads(config.read_text(encoding="utf-8")).get("model_type") == "musicgen_melody"
        except (OSError, ValueError):
            pass
    return {"model": model, "available": available, "melody": melody, "note": note}


def music_backends(registry: Registry) -> list[str]:
    """The backends to offer: the arranger always, MusicGen where it is configured
    as the default or its model is available; the registry's default first."""
    backends = ["arranger"]
    if registry.music_backend == "musicgen" or musicgen_status(registry)["available"]:
        backends.append("musicgen")
    return sorted(backends, key=lambda name: name != registry.music_backend)


def vocal_status(voice: str | None = None) -> dict:
    """Whether the guide vocal can be sung here, without singing: `{"voice", "available",
    "note"}`; `note` says what to install when it cannot (a missing program or voice)."""
    from songgen_core.music.vocals import VoiceUnavailableError, require_voice

    try:
        found, _program = require_voice(voice)
    except VoiceUnavailableError as error:
        return {"voice": error.voice, "available": False, "note": str(error)}
    return {"voice": found.name, "available": True, "note": f"{found.description}; licence: {found.licence}"}
