"""A song on a page: its lyrics, how they were written, its details, player and downloads,
and its label in a picker."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from songgen_core.audio import safe_filename
from songgen_core.lyric_metrics import lyric_metrics, summary
from songgen_core.song_folder import SONG_FILES, song_files, song_stems
from songgen_core.song_record import metrics_of

from .text import caption, isolate

DOWNLOAD_LABELS = {"mp3": "MP3", "wav": "WAV", "midi": "MIDI", "lyrics": "Lyrics (text)", "stems_zip": "Stems (ZIP)"}


def lyrics_box(text: str) -> None:
    """Lyrics, while they stream and once written: one style throughout."""
    st.code(text, language=None, wrap_lines=True)


ENDINGS = {"plan": "every section of its song plan was written", "end-marker": "the model ended the song", "eos": "the model ended the song",
           "word-limit": "it reached the length you chose", "token-limit": "it reached the longest length allowed",
           "stopped": "you stopped it", "cancelled": "it was cancelled"}


def lyrics_caption(lyrics) -> None:
    """How the lyrics were written, in plain words: one element (see `lyrics_details`)."""
    seconds = lyrics.timings.get("generate_s")
    took = f" in {seconds:.1f} s" if isinstance(seconds, (int, float)) else ""
    lines = len([line for line in lyrics.text.splitlines() if line.strip()])
    caption(f"Written by {lyrics.model_description or lyrics.model_source}{took} · {lines} lines · seed {lyrics.seed} · "
            f"ended because {ENDINGS.get(lyrics.ended_by, lyrics.ended_by)}\n{summary(metrics_of(lyrics))}")


def lyrics_details(lyrics) -> None:
    """The technical details of how the lyrics were written, in an expander."""
    with st.expander("Details"):
        st.text(f"mode: {lyrics.mode}\nmodel source: {lyrics.model_source}\n"
                f"prompt: {lyrics.prompt_tokens} tokens{' (with example songs)' if lyrics.few_shot else ''}\n"
                f"written: {lyrics.new_tokens} tokens, ended by {lyrics.ended_by}\n"
                f"timings: " + ", ".join(f"{k} {v}" for k, v in lyrics.timings.items() if v is not None))


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


def song_details(song: dict) -> None:
    """Who, what and which models, as plain text."""
    info = song.get("info") or {}
    artist = song.get("artist")
    who = f"by {isolate(artist)}" if artist else "no artist given"
    lines = [f"{song['genre']} · {who} · {song['created_at'][:19].replace('T', ' ')} UTC",
             f"lyrics: {song.get('lyrics_model')} · music: {song.get('music_backend')} ({song.get('music_model')})"]
    vocal = _vocal_line((info.get("music") or {}).get("info", {}).get("vocals"))
    if vocal:
        lines.append(vocal)
    if info.get("version_of"):
        lines.append(f"version {info.get('version')}: new music for the lyrics of song {info['version_of']}")
    lines.append(summary(song_metrics(song)))
    caption("\n".join(line for line in lines if line))


def _vocal_line(vocals: dict | None) -> str:
    """The guide vocal as song.json records it: who sang, under which licence, or why not."""
    if not vocals or vocals.get("requested") != "guide":
        return ""
    if not vocals.get("sung"):
        return f"guide vocal not sung: {vocals.get('error') or 'unknown reason'}"
    voice = vocals.get("voice") or {}
    return f"guide vocal: {voice.get('description') or voice.get('name')} · licence: {voice.get('licence')}"


def song_metrics(song: dict) -> dict:
    """A kept song's lyric metrics: as stored, or (songs kept before they were) from its lyrics."""
    return song.get("lyrics_metrics") or lyric_metrics(song.get("lyrics") or "", title=song.get("title"))


def song_media(song: dict, data_dir: Path, key: str) -> None:
    """The player and the downloads of the files that exist (MP3, WAV, MIDI, lyrics, the stems
    as one ZIP and one by one): a song whose audio is gone still offers its MIDI and lyrics."""
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
    stems = song_stems(song, data_dir)
    if stems:
        with st.expander(f"Stems: {', '.join(stems)} (they add up to the mix)"):
            for column, (part, path) in zip(st.columns(len(stems)), stems.items()):
                column.download_button(part.capitalize(), data=path.read_bytes, file_name=f"{name}-{part}.wav",
                                       mime="audio/wav", key=f"{key}-stem-{part}", on_click="ignore")
