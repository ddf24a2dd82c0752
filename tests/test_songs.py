"""Saved songs (songgen_core.songs) and the pages' helpers (studio, markdown_literal), without Streamlit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from songgen_core import songs
from songgen_core.audio import wav_bytes
from songgen_core.errors import InvalidRequestError
from songgen_core.lyrics import LyricsRequest, generate_lyrics
from songgen_core.registry import load_registry
from songgen_core.store import FeedbackStore, StoreError
from songgen_core.studio import check_lyrics_form, lyrics_defaults, music_backends, musicgen_status
from songgen_core.text import markdown_literal
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
    song_id = songs.save_song(lyrics, take.result, take.request, studio.store, timings={"music_s": take.seconds})
    assert songs.default_data_dir() == studio.data
    folder = studio.data / "songs" / song_id
    assert sorted(p.name for p in folder.iterdir()) == ["lyrics.txt", "song.json", "song.mid", "song.mp3", "song.wav"]
    info = json.loads((folder / "song.json").read_text())
    assert (info["id"], info["version"], info["version_of"]) == (song_id, 1, None)
    assert set(info["timings"]) == {"lyrics_s", "music_s", "files_s", "total_s"}
    song = studio.store.get_song(song_id)
    assert song["info"] == info and song["lyrics"] == lyrics.text and Path(song["folder"]) == folder
    assert set(songs.song_files(song)) == {"mp3", "wav", "midi", "lyrics"}
    assert songs.lyrics_from_song(song).to_dict() | {"timings": {}} == lyrics.to_dict() | {"timings": {}}


def test_a_failing_store_leaves_no_files(studio, lyrics, tmp_path):
    take = songs.compose(lyrics, duration_s=2.0)
    not_a_db = tmp_path / "not-a-db"
    not_a_db.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(StoreError):
        songs.save_song(lyrics, take.result, take.request, FeedbackStore(not_a_db), studio.data)
    assert list((studio.data / "songs").iterdir()) == []


def test_regenerating_makes_a_new_version_and_keeps_ratings_where_they_were(studio, lyrics):
    take = songs.compose(lyrics, duration_s=2.0)
    first = songs.save_song(lyrics, take.result, take.request, studio.store)
    studio.store.add_rating(first, "music", 2)
    second = songs.regenerate_music(first, studio.store)
    third = songs.regenerate_music(second, studio.store, duration_s=3.0, seed=9)
    old, new, newest = (studio.store.get_song(i) for i in (first, second, third))
    assert old["ratings_count"] == 1 and new["ratings_count"] == 0
    assert new["lyrics"] == old["lyrics"] and new["lyrics_params"] == old["lyrics_params"]
    assert (new["info"]["version_of"], new["info"]["version"]) == (first, 2)
    assert (newest["info"]["version_of"], newest["info"]["version"]) == (second, 3)
    assert new["music_params"]["duration_s"] == 2.0 and newest["music_params"] == {
        "duration_s": 3.0, "seed": 9, "backend": "arranger", "options": {}}
    assert (studio.data / "songs" / first / "song.wav").read_bytes() != (studio.data / "songs" / second / "song.wav").read_bytes()
    studio.store.delete_song(third, keep_ratings=True)
    with pytest.raises(StoreError, match="deleted"):
        songs.regenerate_music(third, studio.store)


def test_delete_keeps_or_removes_files_with_the_ratings(studio, lyrics):
    take = songs.compose(lyrics, duration_s=2.0)
    kept, removed = (songs.save_song(lyrics, take.result, take.request, studio.store) for _ in range(2))
    songs.delete_song(studio.store, kept, keep_ratings=True)
    songs.delete_song(studio.store, removed, keep_ratings=False)
    assert (studio.data / "songs" / kept).is_dir() and not (studio.data / "songs" / removed).exists()


def test_song_ids_cannot_name_other_paths(studio):
    for bad in ("../etc", "A" * 32, "", None):
        with pytest.raises(InvalidRequestError):
            songs.song_folder(bad)


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


def test_check_lyrics_form_names_every_bad_field():
    good = {"genre": "rock", "title": "T", "artist": "", "opening_line": "Line", **{k: v for k, v in lyrics_defaults().items()
                                                                                  if k not in ("genre",)}}
    request, errors = check_lyrics_form(good)
    assert errors == {} and request.title == "T" and request.top_k == 50
    request, errors = check_lyrics_form(good | {"title": " ", "opening_line": "x" * 301, "seed": -1, "top_p": 0.0})
    assert request is None and set(errors) == {"title", "opening_line", "seed", "top_p"}
    assert errors["title"] == "must not be empty"


def test_musicgen_is_offered_only_when_usable(studio, tmp_path):
    registry = load_registry()
    assert music_backends(registry) == ["arranger"]
    assert musicgen_status(registry)["available"] is False
    folder = tmp_path / "musicgen-melody"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "musicgen_melody"}))
    registry.musicgen_model = str(folder)
    assert musicgen_status(registry) == {"model": str(folder), "available": True, "melody": True, "note": "local folder"}
    assert music_backends(registry) == ["arranger", "musicgen"]
    registry.music_backend = "musicgen"
    assert music_backends(registry) == ["musicgen", "arranger"]


def test_markdown_literal_escapes_everything_markdown_would_interpret():
    text = "<script>alert(1)</script> **b** _i_ [l](u) # h $x$ :red[r] :fire:\nline two\n\nstanza"
    escaped = markdown_literal(text)
    assert "<script>" not in escaped and "**" not in escaped and "](" not in escaped and ":fire:" not in escaped
    assert escaped.count("  \n") == 3
    import re

    assert re.sub(r"\\(.)", r"\1", escaped.replace("\u200b", "").replace("  \n", "\n")) == text
