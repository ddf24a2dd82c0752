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

import os
import threading
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from songgen_core.audio import safe_filename
from songgen_core.device import default_device
from songgen_core.errors import ConfigError
from songgen_core.loading import LyricsModel, load_lyrics_model, loaded_sources
from songgen_core.registry import source_version
from songgen_core.registry import ModelSource, Registry, load_registry
from songgen_core.songs import SONG_FILES, song_files
from songgen_core.paths import db_path
from songgen_core.store import MIN_INTERVAL_COUNT, SCORE_RANGE, FeedbackStore
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
            thread = _warming[key] = threading.Thread(target=_load_quietly, args=(source, device, key), daemon=True,
                                                      name=f"songgen-warm-{genre}")
            thread.start()
    if announce and thread is not None and thread.is_alive():
        st.info(f"Loading the {genre} lyrics model in the background (once after the server starts): "
                "your first song starts as soon as it is ready.")


def _load_quietly(source: ModelSource, device: str, key: tuple[str, str]) -> None:
    try:
        load_lyrics_model(source, device)
    except Exception:  # noqa: BLE001 -- reported by the first song that asks for this model
        with _warming_lock:
            _warm_failed.add(key)


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


def warning_box(text: str) -> None:
    st.warning(markdown_literal(text))


def success_box(text: str) -> None:
    st.success(markdown_literal(text))


def field_error(errors: dict, *fields: str) -> None:
    """The message for a form field, shown right under it."""
    for name in fields:
        if name in errors:
            error_box(errors[name])


def lyrics_box(text: str) -> None:
    """Lyrics, while they stream and once written: one style throughout."""
    st.code(text, language=None, wrap_lines=True)


ENDINGS = {"end-marker": "the model ended the song", "eos": "the model ended the song",
           "word-limit": "it reached the length you chose", "token-limit": "it reached the longest length allowed",
           "stopped": "you stopped it", "cancelled": "it was cancelled"}


def lyrics_caption(lyrics) -> None:
    """How the lyrics were written, in plain words; the technical details in an expander."""
    seconds = lyrics.timings.get("generate_s")
    took = f" in {seconds:.1f} s" if isinstance(seconds, (int, float)) else ""
    lines = len([line for line in lyrics.text.splitlines() if line.strip()])
    caption(f"Written by {lyrics.model_description or lyrics.model_source}{took} · {lines} lines · seed {lyrics.seed} · "
            f"ended because {ENDINGS.get(lyrics.ended_by, lyrics.ended_by)}")
    with st.expander("Details"):
        st.text(f"model source: {lyrics.model_source}\n"
                f"prompt: {lyrics.prompt_tokens} tokens{' (with example songs)' if lyrics.few_shot else ''}\n"
                f"written: {lyrics.new_tokens} tokens, ended by {lyrics.ended_by}\n"
                f"timings: " + ", ".join(f"{k} {v}" for k, v in lyrics.timings.items() if v is not None))


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
    """One line for pickers (select boxes show plain text): `song_name(song)`, then its ratings."""
    rated = []
    if song.get("lyrics_rating") is not None:
        rated.append(f"lyrics {song['lyrics_rating']}★")
    if song.get("music_rating") is not None:
        rated.append(f"music {song['music_rating']}★")
    return f"{song_name(song)}{LABEL_SEPARATOR}{', '.join(rated) if rated else 'unrated'}"


LABEL_SEPARATOR = " · "


def song_name(song: dict) -> str:
    """The part of a song's picker label that never changes: title, genre, time, version."""
    version = (song.get("info") or {}).get("version") or 1
    parts = [song.get("title") or "(untitled)", song["genre"], song["created_at"][:16].replace("T", " ")]
    if version > 1:
        parts.append(f"version {version}")
    return LABEL_SEPARATOR.join(parts)


def picked_song(value, names: dict[str, str]) -> str | None:
    """The song id a picker's value stands for. Streamlit sends a select box's value as the
    label the browser last showed, so after a song's rating (and label) changed, a stale
    label comes back as the plain label text: it is matched by the song's unchanging name
    (`names`: name -> id). None when it matches no song."""
    if value in names.values():
        return value
    if isinstance(value, str):
        return names.get(value.rsplit(LABEL_SEPARATOR, 1)[0])
    return None


def isolate(text: str) -> str:
    """User text set apart from the text around it (Unicode first-strong isolate ... pop
    directional isolate), so a right-to-left name does not reorder a caption around it."""
    return f"\u2068{text}\u2069"


def song_details(song: dict) -> None:
    """Who, what and which models, as plain text."""
    info = song.get("info") or {}
    artist = song.get("artist")
    who = f"by {isolate(artist)}" if artist else "no artist given"
    lines = [f"{song['genre']} · {who} · {song['created_at'][:19].replace('T', ' ')} UTC",
             f"lyrics: {song.get('lyrics_model')} · music: {song.get('music_backend')} ({song.get('music_model')})"]
    if info.get("version_of"):
        lines.append(f"version {info.get('version')}: new music for the lyrics of song {info['version_of']}")
    caption("\n".join(lines))


def song_media(song: dict, data_dir: Path, key: str) -> None:
    """The player and the downloads of the files that exist (MP3, WAV, MIDI, lyrics): a song
    whose audio is gone still offers its MIDI and lyrics."""
    files = song_files(song, data_dir)
    audio = files.get("mp3") or files.get("wav")
    if audio is None:
        st.warning("The audio files of this song are missing from the data folder.")
    else:
        st.audio(str(audio), format=SONG_FILES["mp3" if audio.suffix == ".mp3" else "wav"][1])
    kinds = [kind for kind in DOWNLOAD_LABELS if kind in files]
    if not kinds:
        return
    name = safe_filename(song.get("title") or "")
    for column, kind in zip(st.columns(len(DOWNLOAD_LABELS)), kinds):
        _file, mime, suffix = SONG_FILES[kind]
        column.download_button(DOWNLOAD_LABELS[kind], data=files[kind].read_bytes, file_name=f"{name}{suffix}",
                               mime=mime, key=f"{key}-download-{kind}", on_click="ignore")


# --------------------------------------------------------------------------- ratings

def aggregate_frame(rows: list[dict], by: str) -> pd.DataFrame:
    """`FeedbackStore.aggregates` rows as a table: `group`, the interval clipped to the
    1-5 scale (`low`, `high`, None with fewer than MIN_INTERVAL_COUNT rated songs), and
    `interval` in words ("too few" then)."""
    frame = pd.DataFrame(rows).rename(columns={by: "group"})
    frame["group"] = frame["group"].fillna("(none)").astype(str)
    enough = (frame["count"] >= MIN_INTERVAL_COUNT) & frame["ci_low"].notna()
    low, high = SCORE_RANGE
    frame["low"] = frame["ci_low"].clip(low, high).where(enough)
    frame["high"] = frame["ci_high"].clip(low, high).where(enough)
    frame["interval"] = [f"{lo:.2f}-{hi:.2f}" if ok else f"too few (under {MIN_INTERVAL_COUNT})"
                         for lo, hi, ok in zip(frame["low"], frame["high"], enough)]
    return frame


def aggregate_chart(frame: pd.DataFrame, title: str, group_title: str, score_title: str) -> alt.Chart:
    """Means as dots with their clipped intervals as rules, on a fixed 1-5 axis with whole
    ticks, the count beside each group; group labels are never cut."""
    low, high = SCORE_RANGE
    axis = alt.Axis(values=list(range(low, high + 1)), format="d")
    base = alt.Chart(frame).encode(y=alt.Y("group:N", title=group_title, sort="-x", axis=alt.Axis(labelLimit=0)))
    scale = alt.Scale(domain=[low, high], clamp=True)
    rules = base.transform_filter("isValid(datum.low)").mark_rule(strokeWidth=2).encode(
        x=alt.X("low:Q", title=score_title, scale=scale, axis=axis), x2="high:Q")
    points = base.mark_point(filled=True, size=80).encode(
        x=alt.X("mean:Q", scale=scale, axis=axis),
        tooltip=["group", alt.Tooltip("mean:Q", format=".2f"), "count:Q", "interval:N"])
    counts = base.mark_text(align="left", dx=8, dy=-10).encode(
        x=alt.X("mean:Q", scale=scale), text=alt.Text("count:Q", format="d"))
    return (rules + points + counts).properties(title=alt.TitleParams(title, anchor="start"))
