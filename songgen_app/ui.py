"""Streamlit pieces the pages share: cached loaders, literal text, a song's player and downloads.

Text a person typed or a model wrote is never handed to Markdown as is: it goes
through `st.text` / `st.code`, or through `markdown_literal` where a Markdown
element (headings, captions, alerts) shows it. No `unsafe_allow_html` anywhere.

Caching: `st.cache_resource` holds the lyrics models (keyed by model source and
device: each loads once per process and stays on its device across reruns and
sessions; a model's `lock` serialises generation on it, and the genres served by LoRA
adapters on one base share that base and its lock), the MusicGen model,
and the `FeedbackStore` (it holds only a path: every operation opens its own
SQLite connection, so no connection is shared between threads). A load that
fails is not cached: fixing the model and trying again works without a restart.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from songgen_core.audio import safe_filename
from songgen_core.device import default_device
from songgen_core.errors import ConfigError
from songgen_core.loading import LyricsModel, load_lyrics_model
from songgen_core.registry import source_version
from songgen_core.registry import ModelSource, Registry, load_registry
from songgen_core.songs import SONG_FILES, song_files
from songgen_core.store import FeedbackStore, default_db_path
from songgen_core.text import markdown_literal

DOWNLOAD_LABELS = {"mp3": "MP3", "wav": "WAV", "midi": "MIDI", "lyrics": "Lyrics (text)"}


# --------------------------------------------------------------------------- cached resources

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
    return _store(str(default_db_path()))


def registry_or_stop() -> Registry:
    """The model registry; on a broken config file, say what to do and stop this page."""
    try:
        return load_registry()
    except ConfigError as error:
        error_box(f"The model registry could not be read: {error}. Fix config/models.toml "
                  f"(or the file SONGGEN_CONFIG names) and reload the page.")
        st.stop()


# --------------------------------------------------------------------------- literal text

def heading(text: str, level: str = "subheader") -> None:
    getattr(st, level)(markdown_literal(text))


def caption(text: str) -> None:
    st.caption(markdown_literal(text))


def error_box(text: str) -> None:
    st.error(markdown_literal(text))


def field_error(errors: dict, *fields: str) -> None:
    """The message for a form field, shown right under it."""
    for name in fields:
        if name in errors:
            error_box(errors[name])


def lyrics_box(text: str) -> None:
    st.code(text, language=None, wrap_lines=True)


# --------------------------------------------------------------------------- tables

CHAR_PX = 7  # a generous average width of a character in st.dataframe's 14 px font (measured in Chromium: 6.3-6.9)
CELL_PADDING_PX = 28
MAX_COLUMN_PX = 640


def text_width(texts) -> int:
    """Pixels that show the longest of `texts` whole in a table column (within `MAX_COLUMN_PX`).
    Streamlit sizes a column from its first rows and header only roughly, and cuts what does not fit."""
    longest = max((len(str(t)) for t in texts), default=0)
    return min(MAX_COLUMN_PX, CHAR_PX * longest + CELL_PADDING_PX)


def whole_text_columns(frame, *columns: str, index: bool = False) -> dict:
    """`column_config` entries that show the named text columns (and the index, with `index`) whole:
    each as wide as its longest value or its header."""
    config = {name: st.column_config.TextColumn(width=text_width([name, *frame[name].astype(str)])) for name in columns}
    if index:
        config["_index"] = st.column_config.TextColumn(width=text_width([frame.index.name or "", *map(str, frame.index)]))
    return config


# --------------------------------------------------------------------------- a song

def song_label(song: dict) -> str:
    """One line for pickers (select boxes show plain text)."""
    rated = []
    if song.get("lyrics_rating") is not None:
        rated.append(f"lyrics {song['lyrics_rating']}★")
    if song.get("music_rating") is not None:
        rated.append(f"music {song['music_rating']}★")
    version = (song.get("info") or {}).get("version") or 1
    parts = [song.get("title") or "(untitled)", song["genre"], song["created_at"][:16].replace("T", " ")]
    if version > 1:
        parts.append(f"version {version}")
    parts.append(", ".join(rated) if rated else "unrated")
    return " · ".join(parts)


def song_details(song: dict) -> None:
    """Who, what and which models, as plain text."""
    info = song.get("info") or {}
    lines = [f"{song['genre']} · by {song.get('artist') or 'no artist given'} · {song['created_at'][:19].replace('T', ' ')} UTC",
             f"lyrics: {song.get('lyrics_model')} · music: {song.get('music_backend')} ({song.get('music_model')})"]
    if info.get("version_of"):
        lines.append(f"version {info.get('version')}: new music for the lyrics of song {info['version_of']}")
    caption("\n".join(lines))


def song_media(song: dict, data_dir: Path, key: str) -> None:
    """The player and the downloads (MP3, WAV, MIDI where there is one, lyrics)."""
    files = song_files(song, data_dir)
    audio = files.get("mp3") or files.get("wav")
    if audio is None:
        st.warning("The audio files of this song are missing from the data folder.")
        return
    st.audio(str(audio), format=SONG_FILES["mp3" if audio.suffix == ".mp3" else "wav"][1])
    name = safe_filename(song.get("title") or "")
    columns = st.columns(len(DOWNLOAD_LABELS))
    for column, kind in zip(columns, DOWNLOAD_LABELS):
        if kind in files:
            _file, mime, suffix = SONG_FILES[kind]
            column.download_button(DOWNLOAD_LABELS[kind], data=files[kind].read_bytes, file_name=f"{name}{suffix}",
                                   mime=mime, key=f"{key}-download-{kind}", on_click="ignore")
