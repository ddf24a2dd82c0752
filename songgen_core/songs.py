"""Making a song: lyrics, then music from those lyrics, then its folder, and (in the studio)
its row in the feedback store. The one home of it, for the CLI and the studio alike.

    song = create_song(request, "out/highway")                    # the CLI: a folder, no store
    take = compose(lyrics, duration_s=None)                       # the studio: music for lyrics...
    song_id = save_song(lyrics, take, store)                      # ...kept as files and a row
    song_id = make_music(lyrics, store, backend="arranger")       # both, the Generate page's one call
    newer = regenerate_music(song_id, store)                      # another take: a new version

A song has one shape from the moment it is made: a `SongRecord` (song_record.py), written
as its folder's song.json (song_folder.py) and as its row (store/).

Where things go
---------------
The studio keeps `<data_dir>/songs/<song_id>/` (`song_folder.studio_folder`), built beside
its place and moved in only when complete. The row is added after the folder is in place
(with the same id); if adding it fails, the folder is removed again. So a failure leaves no
row without its files and never touches earlier songs. (A crash between the two steps can
leave a folder without a row; it is harmless and never listed.)

Versions: regenerating music makes a new song
---------------------------------------------
Regenerating the music of a song never changes that song: it adds a new song (new id,
folder and row) with the same lyrics and lyrics parameters and the new music, and records
where it came from in its song.json (`version_of`: the id of the song it was made from;
`version`: 1 for a first take, then 2, 3, ...). Ratings stay with the song that was rated:
a music rating judges one take's audio, and a new version starts unrated. Nothing is
overwritten, so no rating ever ends up attached to audio it did not judge.

Deleting (`delete_song`): with `keep_ratings=True` the song is hidden in the store and its
folder is kept, so its ratings still point at what was rated; with `keep_ratings=False`
the row, its ratings and its folder are removed.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .audio import read_audio
from .errors import InvalidRequestError
from .files import atomic_write_bytes
from .lyrics import LyricsRequest, LyricsResult, generate_lyrics, stream_lyrics
from .music.generate import generate_music
from .music.request import MusicRequest, MusicResult, ProgressCallback
from .paths import data_dir as default_data_dir
from .registry import Registry, load_registry
from .song_folder import studio_folder, write_song_folder
from .song_record import SongRecord, lyrics_result, new_song_id
from .store import FeedbackStore, StoreError

MELODY_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg")
MAX_MELODY_BYTES = 50 * 2**20
# progress(stage, fraction, message); stage is "lyrics", "music" or "files"
SongProgress = Callable[[str, float, str], None]


@dataclass
class MusicTake:
    """One run of a music backend: what was asked, what came back, how long it took."""

    request: MusicRequest
    result: MusicResult
    seconds: float


@dataclass
class Song:
    """A song written to a folder by `create_song`."""

    lyrics: LyricsResult
    music: MusicResult
    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    record: SongRecord | None = None

    @property
    def info(self) -> dict:
        """Its song.json."""
        return self.record.info


def music_options_for(backend: str, options: dict | None, registry: Registry) -> dict:
    """The backend options to use, checked: for `musicgen` the registry's model unless one
    is given. Raises `InvalidRequestError` naming a bad option."""
    options = dict(options or {})
    if backend == "musicgen":
        from .music.musicgen import parse_options

        options.setdefault("model", registry.musicgen_model)
        parse_options(options)
    return options


def music_request_for(lyrics: LyricsResult, duration_s: float | None, backend: str, seed: int | None,
                      options: dict | None, vocals: str = "none", voice: str | None = None) -> MusicRequest:
    """The music request that goes with finished lyrics (seed defaults to the lyrics seed;
    duration_s None is the whole song). Raises `InvalidRequestError` on bad input."""
    return MusicRequest(genre=lyrics.request.genre, lyrics=lyrics.text, duration_s=duration_s,
                        seed=lyrics.seed if seed is None else seed, backend=backend, options=options or {},
                        vocals=vocals, voice=voice)


def compose(lyrics: LyricsResult, *, duration_s: float | None = None, backend: str | None = None,
            seed: int | None = None, options: dict | None = None, registry: Registry | None = None,
            progress: ProgressCallback | None = None, vocals: str = "none", voice: str | None = None) -> MusicTake:
    """Music for finished lyrics. `duration_s` None is the whole song; `backend` defaults to
    the registry's, `seed` to the lyrics seed, and the musicgen model to the registry's.

    Raises `InvalidRequestError` (bad duration, backend or option, naming the field),
    `ModelUnavailableError` (a MusicGen model that cannot be loaded), `SongGenError`.
    """
    registry = registry or load_registry()
    backend = backend or registry.music_backend
    options = music_options_for(backend, options, registry)
    request = music_request_for(lyrics, duration_s, backend, seed, options, vocals, voice)
    started = time.perf_counter()
    result = generate_music(request, progress)
    return MusicTake(request, result, time.perf_counter() - started)


def create_song(lyrics_request: LyricsRequest, out_dir: str | Path, *, duration_s: float | None = None,
                music_backend: str | None = None, music_seed: int | None = None, music_options: dict | None = None,
                registry: Registry | None = None, overwrite: bool = False, progress: SongProgress | None = None,
                on_lyrics_piece: Callable[[str], None] | None = None, vocals: str = "none", voice: str | None = None,
                stems: bool = False) -> Song:
    """Write lyrics.txt, song.wav, song.mp3, song.mid (arranger) and song.json into `out_dir`.

    `duration_s` None (the default) makes the whole song: every line sung, with an intro and
    an outro; a number of seconds fits the song to that length. `vocals="guide"` sings the
    lyrics over the arranger's melody with `voice`; where the voice cannot sing on this
    machine the song is made without vocals and song.json says why (music.info.vocals.error).
    `stems` also writes stems/<part>.wav and stems.zip (arranger only).

    Raises `InvalidRequestError` (bad input, or `out_dir` not empty without `overwrite`),
    `UnknownGenreError`, `ModelUnavailableError`. Every input is checked before any model runs.
    """
    from .song_folder import check_target

    progress = progress or (lambda stage, fraction, message: None)
    registry = registry or load_registry()
    registry.lyrics_source(lyrics_request.genre)  # unknown genre: fail before any work
    backend = music_backend or registry.music_backend
    options = music_options_for(backend, music_options, registry)  # a typo fails now, not after the lyrics
    if stems:
        if backend != "arranger":
            raise InvalidRequestError("stems", f"stems are made by the arranger backend only, not {backend}")
        options["stems"] = True
    # The music side is checked now too, with placeholder lyrics.
    MusicRequest(genre=lyrics_request.genre, lyrics="", duration_s=duration_s, seed=music_seed, backend=backend,
                 options=options, vocals=vocals, voice=voice)
    target = Path(out_dir)
    check_target(target, overwrite)

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

    take = compose(lyrics, duration_s=duration_s, backend=backend, seed=music_seed, options=options,
                   registry=registry, progress=lambda fraction, message: progress("music", fraction, message),
                   vocals=vocals, voice=voice)
    progress("files", 0.0, "writing files")
    record = SongRecord.made(lyrics, take.request, take.result,
                             timings={"lyrics_s": round(lyrics_s, 3), "music_s": round(take.seconds, 3)})
    record, files = write_song_folder(target, record, take.result, overwrite=overwrite)
    progress("files", 1.0, "done")
    return Song(lyrics, take.result, target, files, record)


def save_song(lyrics: LyricsResult, take: MusicTake, store: FeedbackStore, data_dir: str | os.PathLike | None = None,
              *, version_of: str | None = None, version: int = 1, system: dict | None = None) -> str:
    """Keep a song the studio made: its files in `<data_dir>/songs/<id>/` and its row in
    `store`; return the id. Timings: the lyrics' own generation time, the take's seconds,
    and the files'. `version_of`/`version` mark a regenerated take (see the module notes);
    `system` is the Compare system that made it (song.json `system`).

    Raises `InvalidRequestError` on bad audio, `StoreError` when the store fails, `OSError`
    when the files cannot be written; in every case nothing of this song is left behind.
    """
    song_id = new_song_id()
    folder = studio_folder(song_id, data_dir)
    record = SongRecord.made(lyrics, take.request, take.result, song_id=song_id, folder=str(folder), version=version,
                             version_of=version_of, system=system,
                             timings={"lyrics_s": _round(lyrics.timings.get("generate_s")), "music_s": _round(take.seconds)})
    record, _files = write_song_folder(folder, record, take.result)
    try:
        store.add_song(record)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return record.id


def make_music(lyrics: LyricsResult, store: FeedbackStore, *, duration_s: float | None = None,
               backend: str | None = None, melody: tuple[bytes, str] | None = None, regenerate_from: str | None = None,
               registry: Registry | None = None, data_dir: str | os.PathLike | None = None,
               progress: ProgressCallback | None = None, vocals: str = "none", voice: str | None = None) -> str:
    """Compose music for `lyrics` and keep the song (files and row), or, with
    `regenerate_from`, a new version of that song; return the new song's id. `melody`
    (bytes, file name) is an uploaded reference melody for a MusicGen-melody model.
    `vocals="guide"` sings the lyrics with `voice` (arranger only; a voice that cannot sing
    here leaves the song without vocals and says why in its song.json). Arranger songs are
    kept with their stems (stems/<part>.wav and stems.zip).

    Raises as `compose`, `save_song`, `regenerate_music` and `save_melody`.
    """
    registry = registry or load_registry()
    backend = backend or registry.music_backend
    options = {"stems": True} if backend == "arranger" else {}
    if backend == "musicgen" and melody is not None:
        options["melody_path"] = str(save_melody(melody[0], melody[1], data_dir))
    if regenerate_from is not None:
        return regenerate_music(regenerate_from, store, duration_s=duration_s, backend=backend,
                                options=options or None, registry=registry, data_dir=data_dir, progress=progress,
                                vocals=vocals, voice=voice)
    take = compose(lyrics, duration_s=duration_s, backend=backend, options=options, registry=registry, progress=progress,
                   vocals=vocals, voice=voice)
    if progress is not None:
        progress(1.0, "saving the song")
    return save_song(lyrics, take, store, data_dir)


def regenerate_music(song_id: str, store: FeedbackStore, *, duration_s: float | None = None,
                     backend: str | None = None, seed: int | None = None, options: dict | None = None,
                     registry: Registry | None = None, data_dir: str | os.PathLike | None = None,
                     progress: ProgressCallback | None = None, vocals: str | None = None,
                     voice: str | None = None) -> str:
    """New music for the lyrics of song `song_id`, kept as a new song (a new version);
    returns the new id. The old song and its ratings are not touched.

    Duration, backend, options and vocals default to the old song's; `seed` defaults to a new
    random one (the same seed would give the same arranger audio). Raises
    `UnknownSongError`, `StoreError` (a deleted song), and whatever `compose` and
    `save_song` raise.
    """
    song = store.get_song(song_id)
    if song.get("deleted_at"):
        raise StoreError(f"song {song_id!r} was deleted; its music cannot be regenerated")
    lyrics = lyrics_result(song)
    previous = song.get("music_params") or {}
    backend = backend or previous.get("backend")
    if options is None:
        options = dict(previous.get("options") or {}) if backend == previous.get("backend") else {}
    if vocals is None:  # the old song's vocal, where the backend can sing it
        vocals = previous.get("vocals") or "none" if backend == "arranger" else "none"
        voice = previous.get("voice") if vocals != "none" else None
    take = compose(
        lyrics,
        # A song made whole (duration_s null) is regenerated whole; songs from before the
        # whole-song default recorded a number and keep it.
        duration_s=duration_s if duration_s is not None else previous.get("duration_s"),
        backend=backend, seed=secrets.randbelow(2**32) if seed is None else seed, options=options,
        registry=registry, progress=progress, vocals=vocals, voice=voice,
    )
    version = int((song.get("info") or {}).get("version") or 1) + 1
    return save_song(lyrics, take, store, data_dir, version_of=song_id, version=version)


def delete_song(store: FeedbackStore, song_id: str, keep_ratings: bool,
                data_dir: str | os.PathLike | None = None) -> None:
    """Delete a song as chosen: keep its ratings (hidden, files kept) or remove them
    (row, ratings and folder removed). Raises as `FeedbackStore.delete_song`."""
    song = store.get_song(song_id)
    store.delete_song(song_id, keep_ratings)
    if not keep_ratings:
        shutil.rmtree(studio_folder(song_id, data_dir), ignore_errors=True)
        recorded = Path(song["folder"]) if song.get("folder") else None
        # Only ever remove a folder named after this song, never an arbitrary recorded path.
        if recorded is not None and recorded.name == song_id and recorded.parent.name == "songs":
            shutil.rmtree(recorded, ignore_errors=True)


def save_melody(data: bytes, filename: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Keep an uploaded reference melody as `<data_dir>/melodies/<hash><suffix>` and return its
    path (the same upload gives the same path, so a song's recorded `melody_path` stays valid
    for regenerating it).

    Raises `InvalidRequestError` (field `melody`) for an unsupported file type, an empty or
    over-large file, or one that cannot be read as audio.
    """
    suffix = Path(str(filename or "")).suffix.lower()
    if suffix not in MELODY_SUFFIXES:
        raise InvalidRequestError("melody", f"must be one of: {', '.join(MELODY_SUFFIXES)}")
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise InvalidRequestError("melody", "the file is empty")
    if len(data) > MAX_MELODY_BYTES:
        raise InvalidRequestError("melody", f"the file is larger than {MAX_MELODY_BYTES // 2**20} MB")
    folder = Path(data_dir or default_data_dir()) / "melodies"
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
