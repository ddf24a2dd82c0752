"""The songs the studio keeps: audio files on disk plus a row in the feedback store.

    take = compose(lyrics, duration_s=20, backend="arranger")      # music for finished lyrics
    song_id = save_song(lyrics, take.result, take.request, store, timings={"music_s": take.seconds})
    newer = regenerate_music(song_id, store)                       # another take: a new version

Where things go
---------------
`<data_dir>/songs/<song_id>/` holds lyrics.txt, song.wav, song.mp3, song.mid
(arranger only) and song.json, written by `pipeline.write_song_folder`: into a
temporary folder beside it, moved into place only when complete. The row is
added to the store after the folder is in place (with the same id); if adding
it fails, the folder is removed again. So a failure leaves no row without its
files and never touches earlier songs. (A crash between the two steps can leave
a folder without a row; it is harmless and never listed.) `data_dir` is
`paths.data_dir()` (`SONGGEN_DATA`, else `<project root>/data`).

Versions: regenerating music makes a new song
---------------------------------------------
Regenerating the music of a song never changes that song: it adds a new song
(new id, folder and row) with the same lyrics and lyrics parameters and the new
music, and records where it came from in its song.json (`info["version_of"]`:
the id of the song it was made from; `info["version"]`: 1 for a first take, then
2, 3, ...). Ratings stay with the song that was rated: a music rating judges one
take's audio, and a lyrics rating stays with the song it was given on (the new
version starts unrated, so it gets its own, comparable ratings). Nothing is
overwritten, so no rating ever ends up attached to audio it did not judge.

Deleting (`delete_song`): with `keep_ratings=True` the song is hidden in the
store and its folder is kept, so its ratings still point at what was rated;
with `keep_ratings=False` the row, its ratings and its folder are removed.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .audio import read_audio
from .files import atomic_write_bytes
from .errors import InvalidRequestError, SongGenError
from .lyrics import LyricsRequest, LyricsResult
from .music.generate import generate_music
from .music.request import MusicRequest, MusicResult, ProgressCallback
from .pipeline import music_options_for, music_request_for, song_info, write_json, write_song_folder
from .paths import data_dir as paths_data_dir
from .registry import Registry, load_registry
from .store import SONG_ID, FeedbackStore, StoreError, new_song_id

MELODY_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg")
MAX_MELODY_BYTES = 50 * 2**20
# kind -> (file name, MIME type, download suffix)
SONG_FILES = {
    "mp3": ("song.mp3", "audio/mpeg", ".mp3"),
    "wav": ("song.wav", "audio/wav", ".wav"),
    "midi": ("song.mid", "audio/midi", ".mid"),
    "lyrics": ("lyrics.txt", "text/plain", ".txt"),
}


def song_folder(song_id: str, data_dir: str | os.PathLike | None = None) -> Path:
    """`<data_dir>/songs/<song_id>`. Raises `InvalidRequestError` for a malformed id
    (so an id can never name a path outside the songs folder)."""
    if not isinstance(song_id, str) or not SONG_ID.match(song_id):
        raise InvalidRequestError("song_id", "must be 32 lowercase hexadecimal digits")
    return Path(data_dir or paths_data_dir()) / "songs" / song_id


@dataclass
class MusicTake:
    """One run of a music backend: what was asked, what came back, how long it took."""

    request: MusicRequest
    result: MusicResult
    seconds: float


def compose(lyrics: LyricsResult, *, duration_s: float | None = None, backend: str | None = None, seed: int | None = None,
            options: dict | None = None, registry: Registry | None = None,
            progress: ProgressCallback | None = None) -> MusicTake:
    """Music for finished lyrics. `duration_s` None (the default) is the whole song;
    `backend` defaults to the registry's, `seed` to the lyrics seed, and the
    musicgen model to the registry's.

    Raises `InvalidRequestError` (bad duration, backend or option, naming the field),
    `ModelUnavailableError` (a MusicGen model that cannot be loaded), `SongGenError`.
    """
    registry = registry or load_registry()
    backend = backend or registry.music_backend
    request = music_request_for(lyrics, duration_s, backend, seed, music_options_for(backend, options, registry))
    started = time.perf_counter()
    result = generate_music(request, progress)
    return MusicTake(request, result, time.perf_counter() - started)


def save_song(lyrics: LyricsResult, music: MusicResult, music_request: MusicRequest, store: FeedbackStore,
              data_dir: str | os.PathLike | None = None, *, timings: dict | None = None,
              version_of: str | None = None, version: int = 1) -> str:
    """Write the song's files into `<data_dir>/songs/<id>/` and add its row; return the id.

    `timings` may give `lyrics_s` (default: the lyrics' own generation time) and
    `music_s`; `files_s` and `total_s` are added. `version_of`/`version` mark a
    regenerated take (see the module notes). Raises `InvalidRequestError` on bad
    audio, `StoreError` when the store fails, `OSError` when the files cannot be
    written; in every case nothing of this song is left behind.
    """
    song_id = new_song_id()
    folder = song_folder(song_id, data_dir)
    info = song_info(lyrics, music_request, music)
    given = dict(timings or {})
    lyrics_s = given.get("lyrics_s", lyrics.timings.get("generate_s"))
    music_s = given.get("music_s")
    info["id"] = song_id
    info["version"] = int(version)
    info["version_of"] = version_of
    started = time.perf_counter()
    write_song_folder(folder, lyrics, music, info)
    try:
        files_s = time.perf_counter() - started
        info["timings"] = {
            "lyrics_s": _round(lyrics_s),
            "music_s": _round(music_s),
            "files_s": round(files_s, 3),
            "total_s": round(sum(x for x in (lyrics_s, music_s, files_s) if x is not None), 3),
        }
        write_json(folder / "song.json", info)
        store.add_song(info, lyrics.text, folder, song_id=song_id)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return song_id


def lyrics_from_song(song: dict) -> LyricsResult:
    """The `LyricsResult` a stored song was made with (from its song.json `info`).

    Raises `SongGenError` when the stored information is incomplete.
    """
    info = song.get("info") or {}
    section = info.get("lyrics") or {}
    try:
        request = LyricsRequest(**section["parameters"])
        return LyricsResult(
            text=song["lyrics"], request=request, seed=section["parameters"]["seed"],
            model_source=section["model"], model_description=section.get("model_description", ""),
            few_shot=bool(section.get("few_shot")), ended_by=section.get("ended_by", ""),
            prompt_tokens=int(section.get("prompt_tokens") or 0), new_tokens=int(section.get("new_tokens") or 0),
            timings=dict(section.get("timings") or {}),
        )
    except (KeyError, TypeError, InvalidRequestError) as error:
        raise SongGenError(f"song {song.get('id')!r} lacks the lyrics parameters it was made with ({error})") from error


def regenerate_music(song_id: str, store: FeedbackStore, *, duration_s: float | None = None,
                     backend: str | None = None, seed: int | None = None, options: dict | None = None,
                     registry: Registry | None = None, data_dir: str | os.PathLike | None = None,
                     progress: ProgressCallback | None = None) -> str:
    """New music for the lyrics of song `song_id`, saved as a new song (a new
    version); returns the new id. The old song and its ratings are not touched.

    Duration, backend and options default to the old song's; `seed` defaults to
    a new random one (the same seed would give the same arranger audio).
    Raises `UnknownSongError`, `StoreError` (a deleted song), and whatever
    `compose` and `save_song` raise.
    """
    song = store.get_song(song_id)
    if song.get("deleted_at"):
        raise StoreError(f"song {song_id!r} was deleted; its music cannot be regenerated")
    lyrics = lyrics_from_song(song)
    previous = song.get("music_params") or {}
    backend = backend or previous.get("backend")
    if options is None:
        options = dict(previous.get("options") or {}) if backend == previous.get("backend") else {}
    take = compose(
        lyrics,
        # A song made whole (duration_s null) is regenerated whole; songs from before the
        # whole-song default recorded a number and keep it.
        duration_s=duration_s if duration_s is not None else previous.get("duration_s"),
        backend=backend,
        seed=secrets.randbelow(2**32) if seed is None else seed,
        options=options,
        registry=registry,
        progress=progress,
    )
    version = int((song.get("info") or {}).get("version") or 1) + 1
    return save_song(lyrics, take.result, take.request, store, data_dir,
                     timings={"music_s": take.seconds}, version_of=song_id, version=version)


def song_files(song: dict, data_dir: str | os.PathLike | None = None) -> dict[str, Path]:
    """The files of a stored song that exist on disk, by kind (mp3, wav, midi, lyrics)."""
    folder = Path(song["folder"]) if song.get("folder") else None
    if folder is None or not folder.is_dir():
        folder = song_folder(song["id"], data_dir)
    found = {}
    for kind, (name, _mime, _suffix) in SONG_FILES.items():
        path = folder / name
        if path.is_file():
            found[kind] = path
    return found


def delete_song(store: FeedbackStore, song_id: str, keep_ratings: bool,
                data_dir: str | os.PathLike | None = None) -> None:
    """Delete a song as chosen: keep its ratings (hidden, files kept) or remove them
    (row, ratings and folder removed). Raises as `FeedbackStore.delete_song`."""
    song = store.get_song(song_id)
    store.delete_song(song_id, keep_ratings)
    if not keep_ratings:
        folder = song_folder(song_id, data_dir)
        shutil.rmtree(folder, ignore_errors=True)
        recorded = Path(song["folder"]) if song.get("folder") else None
        # Only ever remove a folder named after this song, never an arbitrary recorded path.
        if recorded is not None and recorded.name == song_id and recorded.parent.name == "songs":
            shutil.rmtree(recorded, ignore_errors=True)


def save_melody(data: bytes, filename: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Keep an uploaded reference melody as `<data_dir>/melodies/<hash><suffix>` and
    return its path (the same upload gives the same path, so a song's recorded
    `melody_path` stays valid for regenerating it).

    Raises `InvalidRequestError` (field `melody`) for an unsupported file type,
    an empty or over-large file, or one that cannot be read as audio.
    """
    suffix = Path(str(filename or "")).suffix.lower()
    if suffix not in MELODY_SUFFIXES:
        raise InvalidRequestError("melody", f"must be one of: {', '.join(MELODY_SUFFIXES)}")
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise InvalidRequestError("melody", "the file is empty")
    if len(data) > MAX_MELODY_BYTES:
        raise InvalidRequestError("melody", f"the file is larger than {MAX_MELODY_BYTES // 2**20} MB")
    folder = Path(data_dir or paths_data_dir()) / "melodies"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(bytes(data)).hexdigest()[:24]}{suffix}"
    if not path.is_file():
        atomic_write_bytes(path, bytes(data))
    try:
        read_audio(path, field="melody")
    except InvalidRequestError:
        path.unlink(missing_ok=True)
        raise
    return path


def _round(value) -> float | None:
    return None if value is None else round(float(value), 3)
