"""The song folder: what a song's files are called, writing them, and finding them again.

A song folder holds lyrics.txt, song.wav, song.mp3, song.mid (arranger only), stems/ and
stems.zip (when the music has stems) and song.json (the `SongRecord.info`). The studio keeps
its songs in `<data_dir>/songs/<song_id>/`; the CLI writes one wherever it is asked.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .audio import write_midi, write_mp3, write_wav
from .errors import InvalidRequestError, SongGenError
from .files import building_folder, write_json
from .music.request import MusicResult
from .music.stems import STEM_NAMES, write_stems
from .paths import data_dir as default_data_dir
from .song_record import SongRecord, check_song_id

SONG_JSON = "song.json"
# kind -> (file name, MIME type, download suffix)
SONG_FILES = {
    "mp3": ("song.mp3", "audio/mpeg", ".mp3"),
    "wav": ("song.wav", "audio/wav", ".wav"),
    "midi": ("song.mid", "audio/midi", ".mid"),
    "lyrics": ("lyrics.txt", "text/plain", ".txt"),
    "stems_zip": ("stems.zip", "application/zip", "-stems.zip"),
}
STEMS_FOLDER = "stems"


def studio_folder(song_id: str, data_dir: str | os.PathLike | None = None) -> Path:
    """`<data_dir>/songs/<song_id>` (data_dir defaults to `paths.data_dir()`). Raises
    `InvalidRequestError` for a malformed id (so an id can never name a path outside the songs folder)."""
    return Path(data_dir or default_data_dir()) / "songs" / check_song_id(song_id)


def write_song_folder(target: Path, record: SongRecord, music: MusicResult, *,
                      overwrite: bool = False) -> tuple[SongRecord, dict[str, Path]]:
    """Write the song's files into a folder built beside `target`, then put it in place;
    return the record as written (its `timings` completed with `files_s` and `total_s`, the
    sum of the parts; `info["files"]` lists the files) and the files by kind.

    song.json is written once, last, with the time the other files took. On any failure
    nothing is left and an earlier `target` is untouched. Raises `InvalidRequestError` when
    `target` is not an empty folder and `overwrite` is false (checked again just before the
    swap: it may have filled up meanwhile), `OSError` when the files cannot be written.
    """
    check_target(target, overwrite)
    files_started = time.perf_counter()
    with building_folder(target) as work:
        (work / "lyrics.txt").write_text(record.lyrics + "\n", encoding="utf-8")
        write_wav(work / "song.wav", music.audio, music.sample_rate)
        write_mp3(work / "song.mp3", music.audio, music.sample_rate)
        if music.midi_bytes:
            write_midi(work / "song.mid", music.midi_bytes)
        if music.stems:
            write_stems(work, music.stems, music.sample_rate)
        names = sorted(p.name for p in work.iterdir()) + [SONG_JSON]
        timings = {**record.timings, "files_s": round(time.perf_counter() - files_started, 3)}
        timings["total_s"] = round(sum(timings.get(k) or 0.0 for k in ("lyrics_s", "music_s", "files_s")), 3)
        record = record.with_timings(timings)
        record.info["files"] = names
        write_json(work / SONG_JSON, record.info)
        check_target(target, overwrite)
    kinds = {name: kind for kind, (name, _mime, _suffix) in SONG_FILES.items()}
    return record, {kinds.get(name, name.rsplit(".", 1)[-1]): target / name for name in names}


def check_target(target: Path, overwrite: bool) -> None:
    """Raises `InvalidRequestError` (field `out`) when `target` is a file, or a folder that is
    not empty and `overwrite` is false."""
    if target.exists() and not target.is_dir():
        raise InvalidRequestError("out", f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise InvalidRequestError("out", f"{target} is not empty; choose another folder or allow overwriting")


def read_song_json(folder: str | os.PathLike) -> dict:
    """The song.json of a song folder. Raises `SongGenError` when it is missing or unreadable."""
    path = Path(folder) / SONG_JSON
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SongGenError(f"cannot read {path}: {error}") from error


def song_files(song: dict, data_dir: str | os.PathLike | None = None) -> dict[str, Path]:
    """The files of a kept song (a store row) that exist on disk, by kind (mp3, wav, midi,
    lyrics, stems_zip)."""
    folder = _kept_folder(song, data_dir)
    found = {}
    for kind, (name, _mime, _suffix) in SONG_FILES.items():
        path = folder / name
        if path.is_file():
            found[kind] = path
    return found


def song_stems(song: dict, data_dir: str | os.PathLike | None = None) -> dict[str, Path]:
    """The stem WAVs of a kept song that exist on disk, by part, in `STEM_NAMES` order
    (vocal, drums, bass, chords, lead); only those names are looked for."""
    folder = _kept_folder(song, data_dir) / STEMS_FOLDER
    return {name: folder / f"{name}.wav" for name in STEM_NAMES if (folder / f"{name}.wav").is_file()}


def _kept_folder(song: dict, data_dir: str | os.PathLike | None) -> Path:
    folder = Path(song["folder"]) if song.get("folder") else None
    if folder is None or not folder.is_dir():
        folder = studio_folder(song["id"], data_dir)
    return folder
