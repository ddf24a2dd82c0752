"""What the pages load once per process: the lyrics and MusicGen models, the feedback store,
the model registry, and the default model warmed in the background.

`st.cache_resource` holds the lyrics models (keyed by model source and device: each loads
once per process and stays on its device across reruns and sessions; a model's `lock`
serialises generation on it, and the genres served by LoRA adapters on one base share that
base and its lock), the MusicGen model, and the `FeedbackStore` (it holds only a path: every
operation opens its own SQLite connection, so no connection is shared between threads). A
load that fails is not cached: fixing the model and trying again works without a restart.
"""

from __future__ import annotations

import os
import threading

import streamlit as st

from songgen_core.device import default_device
from songgen_core.errors import ConfigError
from songgen_core.loading import LyricsModel, load_lyrics_model, loaded_sources
from songgen_core.paths import db_path
from songgen_core.registry import ModelSource, Registry, load_registry, source_version
from songgen_core.store import FeedbackStore

from .text import error_box


@st.cache_resource(show_spinner="Loading the lyrics model (the first load of an embedded model converts it once)…",
                   max_entries=8)
def _lyrics_model(source_key: str, device: str, _source: ModelSource) -> LyricsModel:
    return load_lyrics_model(_source, device)


def lyrics_model(source: ModelSource) -> LyricsModel:
    """The loaded model for `source` on this process's device (loaded once; loaded again
    when its folder was retrained). Raises `ModelUnavailableError`."""
    return _lyrics_model(f"{source}@{source_version(source)}", default_device(), source)


@st.cache_resource(show_spinner="Loading the MusicGen model…", max_entries=2)
def _musicgen_model(source: str, device: str):
    from songgen_core.music.musicgen import load_model

    return load_model(source)


def warm_musicgen(source: str) -> None:
    """Load the MusicGen model once (generation then finds it in the backend's cache).
    Raises `ModelUnavailableError`."""
    _musicgen_model(source, default_device())


@st.cache_resource
def _store(path: str) -> FeedbackStore:
    return FeedbackStore(path)


def feedback_store() -> FeedbackStore:
    """The store at `SONGGEN_DB` (or feedback.db); one object per path, holding only the path."""
    return _store(str(db_path()))


_warming: dict[tuple[str, str], threading.Thread] = {}
_warm_failed: set[tuple[str, str]] = set()
_warming_lock = threading.Lock()


def default_genre(registry: Registry) -> str:
    """The genre the Generate form starts on."""
    genres = registry.genres()
    return "rock" if "rock" in genres else genres[0]


def warm_lyrics_model(registry: Registry, announce: bool = True) -> None:
    """Load the default genre's lyrics model in a background thread when it is not loaded, so
    that the first song after the server starts does not wait for imports and the load; with
    `announce`, say so on the page while it loads. A load that failed is not tried again here:
    the first song that asks for the model tries, and shows the error. SONGGEN_PRELOAD=0 turns
    this off (the tests do, so that a page opened without a registry of its own does not load
    the embedded model)."""
    if not registry.genres() or os.environ.get("SONGGEN_PRELOAD", "1") == "0":
        return
    genre = default_genre(registry)
    source, device = registry.lyrics_source(genre), default_device()
    key = (f"{source}@{source_version(source)}", device)
    with _warming_lock:
        thread = _warming.get(key)
        if (thread is None or not thread.is_alive()) and key not in _warm_failed \
                and str(source) not in loaded_sources(device):
            thread = _warming[key] = threading.Thread(target=_load_quietly, args=(source, device, key, genre), daemon=True,
                                                      name=f"songgen-warm-{genre}")
            thread.start()
    if announce and thread is not None and thread.is_alive():
        st.info(f"Loading the {genre} lyrics model in the background (once after the server starts): "
                "your first song starts as soon as it is ready.")


def _load_quietly(source: ModelSource, device: str, key: tuple[str, str], genre: str) -> None:
    """Load the model, then read what a structured song of `genre` needs first (the tokenizer's
    tables, the pronouncing dictionary, the example songs in the prefix cache)."""
    from songgen_core.structured import prepare

    try:
        prepare(load_lyrics_model(source, device), genre)
    except Exception:  # noqa: BLE001 -- reported by the first song that asks for this model
        with _warming_lock:
            _warm_failed.add(key)


def plans_or_stop() -> None:
    """Read the song plans (config/songs.toml); when one is malformed, say which genre and field
    and stop this page."""
    from songgen_core.song_plan import load_song_plans

    try:
        load_song_plans()
    except ConfigError as error:
        error_box(f"The song plans could not be read: {error}. Fix config/songs.toml (or the file "
                  f"SONGGEN_SONGS_CONFIG names) and reload the page.")
        st.stop()


def registry_or_stop() -> Registry:
    """The model registry; on a broken config file, say what to do and stop this page."""
    try:
        return load_registry()
    except ConfigError as error:
        error_box(f"The model registry could not be read: {error}. Fix config/models.toml "
                  f"(or the file SONGGEN_CONFIG names) and reload the page.")
        st.stop()


def systems_or_stop(registry: Registry):
    """The Compare systems (config/systems.toml and the trained folders); on a broken file,
    say which system and field, and stop this page."""
    from songgen_core.systems import load_systems

    try:
        return load_systems(registry=registry)
    except ConfigError as error:
        error_box(f"The systems could not be read: {error}. Fix config/systems.toml (or the file "
                  f"SONGGEN_SYSTEMS_CONFIG names) and reload the page.")
        st.stop()
