"""A song as it is kept: `SongRecord`, the one shape a song has from the moment it is made
to the feedback store.

    record = SongRecord.made(lyrics, music_request, music, timings={...})
    record.info        # the song.json the song folder holds (see song_info)
    store.add_song(record)

The record's fields are the columns the store keeps (flat, typed); `info` is the whole
song.json, which the store keeps as it is without reading it. Only this module knows the
song.json layout (`song_info`, `lyrics_result`).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from . import __version__
from .errors import InvalidRequestError, SongGenError

if TYPE_CHECKING:  # the record is built from these, without importing the models for the store
    from .lyrics import LyricsResult
    from .music.request import MusicRequest, MusicResult

SONG_ID = re.compile(r"^[0-9a-f]{32}$")


def new_song_id() -> str:
    """A fresh song id (a uuid4 hex), safe as a folder name."""
    return uuid.uuid4().hex


def check_song_id(song_id) -> str:
    """`song_id` when it is 32 lowercase hexadecimal digits (so it can never name a path
    outside the songs folder); else `InvalidRequestError` (field `song_id`)."""
    if not isinstance(song_id, str) or not SONG_ID.match(song_id):
        raise InvalidRequestError("song_id", "must be 32 lowercase hexadecimal digits (see new_song_id)")
    return song_id


@dataclass(frozen=True)
class SongRecord:
    """One song: who asked for what, which models made it, its lyrics, timings and folder.

    Raises `InvalidRequestError` naming the field when the id is malformed, `created_at`
    is not an ISO 8601 time, the genre or a model is missing, or the lyrics are not text.
    """

    id: str
    created_at: str
    genre: str
    title: str
    artist: str
    opening_line: str
    lyrics: str
    lyrics_model: str
    lyrics_params: dict
    music_backend: str
    music_model: str
    music_params: dict
    timings: dict = field(default_factory=dict)
    folder: str | None = None
    info: dict = field(default_factory=dict)  # the whole song.json
    lyrics_metrics: dict = field(default_factory=dict)  # lyric_metrics.py's figures, kept as a column too

    def __post_init__(self):
        check_song_id(self.id)
        try:
            datetime.fromisoformat(self.created_at)
        except (TypeError, ValueError):
            raise InvalidRequestError("created_at", f"must be an ISO 8601 time, not {self.created_at!r}") from None
        for name in ("genre", "lyrics_model", "music_backend", "music_model"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidRequestError(name, "is missing")
        if not isinstance(self.lyrics, str):
            raise InvalidRequestError("lyrics", "must be text")
        for name in ("lyrics_params", "music_params", "timings", "info", "lyrics_metrics"):
            if not isinstance(getattr(self, name), dict):
                raise InvalidRequestError(name, "must be a dict")

    @classmethod
    def made(cls, lyrics: "LyricsResult", music_request: "MusicRequest", music: "MusicResult", *,
             song_id: str | None = None, timings: dict | None = None, folder: str | None = None,
             version: int = 1, version_of: str | None = None, system: dict | None = None) -> "SongRecord":
        """The record of a song just made from `lyrics` and `music` (see `song_info`); `system`
        is the Compare system that made it (systems.System.describe), None elsewhere."""
        info = song_info(lyrics, music_request, music)
        info.update(id=song_id or new_song_id(), version=int(version), version_of=version_of,
                    timings=dict(timings or {}), system=system)
        return cls.from_info(info, lyrics.text, folder)

    @classmethod
    def from_info(cls, info: dict, lyrics: str, folder: str | None = None) -> "SongRecord":
        """The record of a song.json `info` (with its `id`). Raises `InvalidRequestError`
        naming what is missing."""
        if not isinstance(info, dict):
            raise InvalidRequestError("info", "must be a song.json dict (see song_info)")
        lyrics_info, music_info = _section(info, "lyrics"), _section(info, "music")
        music_params = music_info.get("parameters") or {}
        return cls(id=info.get("id"), created_at=info.get("created_at"), genre=info.get("genre"),
                   title=info.get("title") or "", artist=info.get("artist") or "",
                   opening_line=info.get("opening_line") or "", lyrics=lyrics,
                   lyrics_model=lyrics_info.get("model"), lyrics_params=dict(lyrics_info.get("parameters") or {}),
                   music_backend=music_params.get("backend"), music_model=music_info.get("model"),
                   music_params=dict(music_params), timings=dict(info.get("timings") or {}),
                   folder=None if folder is None else str(folder), info=info,
                   lyrics_metrics=dict(lyrics_info.get("metrics") or {}))

    def with_timings(self, timings: dict) -> "SongRecord":
        """The same record with `timings` (in song.json too)."""
        info = {**self.info, "timings": dict(timings)}
        return SongRecord(**{**asdict(self), "timings": dict(timings), "info": info})


def song_info(lyrics: "LyricsResult", music_request: "MusicRequest", music: "MusicResult") -> dict:
    """Everything that made the song, as song.json holds it: parameters, models, timings."""
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
            "mode": lyrics.mode,
            "examples": lyrics.examples,
            "plan": lyrics.plan,
            "metrics": metrics_of(lyrics),
            "line_scores": lyrics.line_scores,
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


def metrics_of(lyrics: "LyricsResult") -> dict:
    """The lyric metrics of finished lyrics (lyric_metrics.py), read against their plan."""
    from .lyric_metrics import lyric_metrics
    from .song_plan import SongPlan

    plan = SongPlan.from_dict(lyrics.plan) if lyrics.plan else None
    return lyric_metrics(lyrics.text, title=lyrics.request.title, plan=plan)


def lyrics_result(song) -> "LyricsResult":
    """The `LyricsResult` a kept song was made with, from its song.json `info` and lyrics
    (`song`: a `SongRecord` or a store row). Raises `SongGenError` when the stored
    information is incomplete."""
    from .lyrics import LyricsRequest, LyricsResult

    get = song.get if isinstance(song, dict) else lambda name: getattr(song, name)
    section = (get("info") or {}).get("lyrics") or {}
    try:
        # Songs kept before the structured mode recorded no mode: they were written in one free run.
        request = LyricsRequest(**{"mode": "free", **section["parameters"]})
        return LyricsResult(
            text=get("lyrics"), request=request, seed=section["parameters"]["seed"],
            model_source=section["model"], model_description=section.get("model_description", ""),
            few_shot=bool(section.get("few_shot")), ended_by=section.get("ended_by", ""),
            prompt_tokens=int(section.get("prompt_tokens") or 0), new_tokens=int(section.get("new_tokens") or 0),
            timings=dict(section.get("timings") or {}), mode=request.mode, plan=section.get("plan"),
            line_scores=list(section.get("line_scores") or []), examples=int(section.get("examples") or 0),
        )
    except (KeyError, TypeError, InvalidRequestError) as error:
        raise SongGenError(f"song {get('id')!r} lacks the lyrics parameters it was made with ({error})") from error


def _section(info: dict, name: str) -> dict:
    section = info.get(name)
    if not isinstance(section, dict):
        raise InvalidRequestError(f"info.{name}", "is missing (expected the song.json layout of song_info)")
    return section


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))
