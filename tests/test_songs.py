"""Making and keeping songs (songgen_core.songs): files, rows, versions, deletion, melodies."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from songgen_core import paths, songs
from songgen_core.music.vocals.voices import festival_program
from songgen_core.song_folder import song_files, song_stems, studio_folder
from songgen_core.song_record import lyrics_result
from songgen_core.audio import wav_bytes
from songgen_core.errors import InvalidRequestError
from songgen_core.lyrics import LyricsRequest, generate_lyrics
from songgen_core.registry import load_registry
from songgen_core.store import FeedbackStore, StoreError
from studio_app import make_studio


@pytest.fixture
def studio(tmp_path, monkeypatch, tiny_lyrics_dir):
    return make_studio(tmp_path, monkeypatch, tiny_lyrics_dir)


@pytest.fixture
def lyrics(studio):
    # Free mode: lyrics_from_song does not restore a structured result's plan and line scores (yet).
    return generate_lyrics(LyricsRequest(genre="rock", title="Night Drive", opening_line="Neon rain", seed=5, max_words=20,
                                         mode="free"),
                           load_registry())


def test_save_song_writes_the_folder_and_the_row(studio, lyrics):
    take = songs.compose(lyrics, duration_s=2.0)
    assert take.request.seed == 5 and take.request.backend == "arranger" and take.seconds > 0
    song_id = songs.save_song(lyrics, take, studio.store)
    assert paths.data_dir() == studio.data
    folder = studio.data / "songs" / song_id
    assert sorted(p.name for p in folder.iterdir()) == ["lyrics.txt", "song.json", "song.mid", "song.mp3", "song.wav"]
    info = json.loads((folder / "song.json").read_text())
    assert (info["id"], info["version"], info["version_of"]) == (song_id, 1, None)
    assert set(info["timings"]) == {"lyrics_s", "music_s", "files_s", "total_s"}
    song = studio.store.get_song(song_id)
    assert song["info"] == info and song["lyrics"] == lyrics.text and Path(song["folder"]) == folder
    assert set(song_files(song)) == {"mp3", "wav", "midi", "lyrics"}
    # The lyric metrics, the mode and the examples the prompt held are kept (song.json and a column).
    assert info["lyrics"]["mode"] == lyrics.mode and info["lyrics"]["examples"] == lyrics.examples
    assert song["lyrics_metrics"] == info["lyrics"]["metrics"] and song["lyrics_metrics"]["words"] > 0
    assert {"rhyme", "distinct_2", "repeated", "structure_ok"} <= set(song["lyrics_metrics"])
    assert lyrics_result(song).to_dict() | {"timings": {}} == lyrics.to_dict() | {"timings": {}}


def test_a_failing_store_leaves_no_files(studio, lyrics, tmp_path):
    take = songs.compose(lyrics, duration_s=2.0)
    not_a_db = tmp_path / "not-a-db"
    not_a_db.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(StoreError):
        songs.save_song(lyrics, take, FeedbackStore(not_a_db), studio.data)
    assert list((studio.data / "songs").iterdir()) == []


def test_regenerating_makes_a_new_version_and_keeps_ratings_where_they_were(studio, lyrics):
    take = songs.compose(lyrics, duration_s=2.0)
    first = songs.save_song(lyrics, take, studio.store)
    studio.store.add_rating(first, "music", 2)
    second = songs.regenerate_music(first, studio.store)
    third = songs.regenerate_music(second, studio.store, duration_s=3.0, seed=9)
    old, new, newest = (studio.store.get_song(i) for i in (first, second, third))
    assert old["ratings_count"] == 1 and new["ratings_count"] == 0
    assert new["lyrics"] == old["lyrics"] and new["lyrics_params"] == old["lyrics_params"]
    assert (new["info"]["version_of"], new["info"]["version"]) == (first, 2)
    assert (newest["info"]["version_of"], newest["info"]["version"]) == (second, 3)
    assert new["music_params"]["duration_s"] == 2.0 and newest["music_params"] == {
        "duration_s": 3.0, "seed": 9, "backend": "arranger", "options": {}, "vocals": "none", "voice": None}  # vocals: new
    assert (studio.data / "songs" / first / "song.wav").read_bytes() != (studio.data / "songs" / second / "song.wav").read_bytes()
    studio.store.delete_song(third, keep_ratings=True)
    with pytest.raises(StoreError, match="deleted"):
        songs.regenerate_music(third, studio.store)


@pytest.mark.skipif(festival_program() is None, reason="Debian's festival is not installed (scripts/install.sh installs it as root)")
def test_the_studio_keeps_stems_and_a_regenerated_song_keeps_its_vocal(studio, lyrics):
    first = songs.make_music(lyrics, studio.store, duration_s=3.0, vocals="guide")
    second = songs.regenerate_music(first, studio.store)
    for song_id in (first, second):
        song = studio.store.get_song(song_id)
        assert song["music_params"]["vocals"] == "guide" and song["music_params"]["options"] == {"stems": True}
        assert song["info"]["music"]["info"]["vocals"]["sung"] is True
        assert list(song_stems(song)) == ["vocal", "drums", "bass", "chords", "lead"]
        assert "stems_zip" in song_files(song)
    # Switched off for the next take: no vocal stem.
    third = songs.make_music(lyrics, studio.store, duration_s=3.0, regenerate_from=second)
    assert list(song_stems(studio.store.get_song(third))) == ["drums", "bass", "chords", "lead"]


def test_delete_keeps_or_removes_files_with_the_ratings(studio, lyrics):
    take = songs.compose(lyrics, duration_s=2.0)
    kept, removed = (songs.save_song(lyrics, take, studio.store) for _ in range(2))
    songs.delete_song(studio.store, kept, keep_ratings=True)
    songs.delete_song(studio.store, removed, keep_ratings=False)
    assert (studio.data / "songs" / kept).is_dir() and not (studio.data / "songs" / removed).exists()


def test_song_ids_cannot_name_other_paths(studio):
    for bad in ("../etc", "A" * 32, "", None):
        with pytest.raises(InvalidRequestError):
            studio_folder(bad)


def test_melodies_are_kept_by_content_and_checked(studio):
    tune = wav_bytes(np.sin(np.arange(8000) / 10).astype(np.float32) * 0.5, 16000)
    path = songs.save_melody(tune, "My Tune.WAV")
    assert path.parent == studio.data / "melodies" and path.suffix == ".wav"
    assert songs.save_melody(tune, "again.wav") == path
    for data, name in ((tune, "tune.exe"), (b"", "tune.wav"), (b"not audio at all", "tune.wav")):
        with pytest.raises(InvalidRequestError) as error:
            songs.save_melody(data, name)
        assert error.value.field == "melody"
    assert list((studio.data / "melodies").iterdir()) == [path]
