"""A whole song: lyrics, then music from those lyrics, then files on disk.

`create_song` writes into a fresh temporary folder beside the target and moves
it into place only when every file is written, so a failure leaves nothing
half-written and an earlier song in the target untouched.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from . import __version__
from .audio import write_midi, write_mp3, write_wav
from .errors import InvalidRequestError
from .files import replace_folder, write_json
from .lyrics import LyricsRequest, LyricsResult, generate_lyrics, stream_lyrics
from .music.generate import generate_music
from .music.request import MusicRequest, MusicResult
from .music.stems import write_stems
from .registry import Registry, load_registry

# progress(stage, fraction, message); stage is "lyrics", "music" or "files"
SongProgress = Callable[[str, float, str], None]


@dataclass
class Song:
    lyrics: LyricsResult
    music: MusicResult
    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    info: dict = field(default_factory=dict)


def music_options_for(backend: str, options: dict | None, registry: Registry) -> dict:
    """The backend options to use, checked: for `musicgen` the registry's model
    unless one is given. Raises `InvalidRequestError` naming a bad option."""
    options = dict(options or {})
    if backend == "musicgen":
        from .music.musicgen import parse_options

        options.setdefault("model", registry.musicgen_model)
        parse_options(options)
    return options


def music_request_for(lyrics: LyricsResult, duration_s: float | None, backend: str, seed: int | None, options: dict | None,
                      vocals: str = "none", voice: str | None = None) -> MusicRequest:
    """The music request that goes with finished lyrics (seed defaults to the lyrics seed;
    duration_s None is the whole song). Raises `InvalidRequestError` on bad input."""
    return MusicRequest(
        genre=lyrics.request.genre,
        lyrics=lyrics.text,
        duration_s=duration_s,
        seed=lyrics.seed if seed is None else seed,
        backend=backend,
        options=options or {},
        vocals=vocals,
        voice=voice,
    )


def create_song(
    lyrics_request: LyricsRequest,
    out_dir: str | Path,
    *,
    duration_s: float | None = None,
    music_backend: str | None = None,
    music_seed: int | None = None,
    music_options: dict | None = None,
    registry: Registry | None = None,
    overwrite: bool = False,
    progress: SongProgress | None = None,
    on_lyrics_piece: Callable[[str], None] | None = None,
    vocals: str = "none",
    voice: str | None = None,
    stems: bool = False,
) -> Song:
    """Write lyrics.txt, song.wav, song.mp3, song.mid (arranger) and song.json into `out_dir`.

    `duration_s` None (the default) makes the whole song: every line sung, with
    an intro and an outro; a number of seconds fits the song to that length.
    `vocals="guide"` sings the lyrics over the arranger's melody with `voice`
    (default: the default voice); where the voice cannot sing on this machine
    the song is made without vocals and song.json says why
    (music.info.vocals.error). `stems` also writes stems/<part>.wav and
    stems.zip (arranger only).

    Raises `InvalidRequestError` (bad input, or `out_dir` not empty without
    `overwrite`), `UnknownGenreError`, `ModelUnavailableError`.
    Every input is checked before any model runs.
    """
    progress = progress or (lambda stage, fraction, message: None)
    registry = registry or load_registry()
    registry.lyrics_source(lyrics_request.genre)  # unknown genre: fail before any work
    backend = music_backend or registry.music_backend
    options = music_options_for(backend, music_options, registry)  # a typo fails now, not after the lyrics
    if stems:
        if backend != "arranger":
            raise InvalidRequestError("stems", f"stems are made by the arranger backend only, not {backend}")
        options["stems"] = True
    # Validate the music side now too, with placeholder lyrics.
    MusicRequest(genre=lyrics_request.genre, lyrics="", duration_s=duration_s, seed=music_seed, backend=backend, options=options,
                 vocals=vocals, voice=voice)
    target = Path(out_dir)
    _check_target(target, overwrite)

    started = time.perf_counter()
    progress("lyrics", 0.0, "writing lyrics")
    if on_lyrics_piece is None:
        lyrics = generate_lyrics(lyrics_request, registry)
    else:
        stream = stream_lyrics(lyrics_request, registry)
        for piece in stream:
            on_lyrics_piece(piece)
        lyrics = stream.result
    progress("lyrics", 1.0, "lyrics written")
    lyrics_s = time.perf_counter() - started

    music_started = time.perf_counter()
    request = music_request_for(lyrics, duration_s, backend, music_seed, options, vocals, voice)
    music = generate_music(request, lambda fraction, message: progress("music", fraction, message))
    music_s = time.perf_counter() - music_started

    progress("files", 0.0, "writing files")
    files_started = time.perf_counter()
    info = song_info(lyrics, request, music)
    folder, files = write_song_folder(target, lyrics, music, info, overwrite)
    files_s = time.perf_counter() - files_started
    info["timings"] = {"lyrics_s": round(lyrics_s, 3), "music_s": round(music_s, 3), "files_s": round(files_s, 3),
                       "total_s": round(time.perf_counter() - started, 3)}
    write_json(folder / "song.json", info)
    progress("files", 1.0, "done")
    return Song(lyrics, music, folder, files, info)


def song_info(lyrics: LyricsResult, music_request: MusicRequest, music: MusicResult) -> dict:
    """Everything that made the song: parameters, models, timings (song.json)."""
    request = lyrics.request
    return {
        "songgen_version": __version__,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "genre": request.genre,
        "title": request.title,
        "artist": request.artist,
        "opening_line": request.opening_line,
        "lyrics": {
            "parameters": asdict(request) | {"seed": lyrics.seed},
            "model": lyrics.model_source,
            "model_description": lyrics.model_description,
            "few_shot": lyrics.few_shot,
            "ended_by": lyrics.ended_by,
            "prompt_tokens": lyrics.prompt_tokens,
            "new_tokens": lyrics.new_tokens,
            "timings": lyrics.timings,
        },
        "music": {
            "parameters": {"duration_s": music_request.duration_s, "seed": music_request.seed,
                           "backend": music_request.backend, "options": _jsonable(music_request.options),
                           "vocals": music_request.vocals, "voice": music_request.voice},
            # "whole song" (duration_s null: every line sung) or "fixed"; duration_s below is the real length
            "length": "whole song" if music_request.duration_s is None else "fixed",
            "model": music.model,
            "prompt": music.prompt,
            "sample_rate": music.sample_rate,
            "channels": int(music.audio.shape[1]) if music.audio.ndim == 2 else 1,
            "duration_s": round(music.duration_s, 3),
            "info": _jsonable(music.info),
        },
    }


def _check_target(target: Path, overwrite: bool) -> None:
    if target.exists() and not target.is_dir():
        raise InvalidRequestError("out", f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise InvalidRequestError("out", f"{target} is not empty; choose another folder or allow overwriting")


def write_song_folder(target: Path, lyrics: LyricsResult, music: MusicResult, info: dict, overwrite: bool = False):
    """Write lyrics.txt, song.wav, song.mp3, song.mid (if any), stems/ and stems.zip
    (if the music has stems) and song.json into a
    temporary folder beside `target`, then move it into place; returns (folder,
    {kind: path}). `info["files"]` is filled in. On any failure nothing is left
    and an earlier `target` is untouched. Raises `InvalidRequestError` when
    `target` is not empty and `overwrite` is false."""
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        (work / "lyrics.txt").write_text(lyrics.text + "\n", encoding="utf-8")
        write_wav(work / "song.wav", music.audio, music.sample_rate)
        write_mp3(work / "song.mp3", music.audio, music.sample_rate)
        if music.midi_bytes:
            write_midi(work / "song.mid", music.midi_bytes)
        if music.stems:
            write_stems(work, music.stems, music.sample_rate)
        names = sorted(p.name for p in work.iterdir()) + ["song.json"]
        info["files"] = names
        write_json(work / "song.json", info)
        _move_into_place(work, target, overwrite)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target, {name.rsplit(".", 1)[-1] if name != "lyrics.txt" else "lyrics": target / name for name in names}


def _move_into_place(work: Path, target: Path, overwrite: bool) -> None:
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    if target.exists():
        _check_target(target, overwrite)  # it may have filled up while the song was made
    replace_folder(work, target)


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))
