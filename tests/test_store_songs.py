"""Feedback store, songs: round trips (JSON fields too), list filters and order, deletion."""

from __future__ import annotations

import sqlite3

import pytest

from songgen_core.store import connection as store_connection
from songgen_core.errors import InvalidRequestError
from songgen_core.song_record import SongRecord
from songgen_core.store import FeedbackStore, StoreError, UnknownSongError
from song_records import song_record


@pytest.fixture
def store(tmp_path):
    return FeedbackStore(tmp_path / "feedback.db")


def test_path_from_env_and_default(monkeypatch, tmp_path):
    monkeypatch.setenv("SONGGEN_DB", str(tmp_path / "elsewhere.db"))
    assert FeedbackStore().path == tmp_path / "elsewhere.db"
    monkeypatch.delenv("SONGGEN_DB")
    default = FeedbackStore().path
    assert default.name == "feedback.db" and (default.parent / "songgen_core" / "store").is_dir()


def test_file_created_on_first_use_in_wal_mode(tmp_path):
    path = tmp_path / "new" / "folder" / "feedback.db"
    store = FeedbackStore(path)
    assert not path.exists()
    assert store.counts() == {"songs": 0, "ratings": 0, "deleted_songs": 0}
    assert path.is_file()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_round_trip_with_json_fields(store):
    record = song_record(backend="musicgen", music_model="facebook/musicgen-small", lyrics="[Verse]\nla la\n",
                         folder="out/night-drive")
    info = record.info
    song_id = store.add_song(record)
    assert song_id == record.id and len(song_id) == 32 and int(song_id, 16) >= 0
    song = store.get_song(song_id)
    assert song["id"] == song_id
    assert song["created_at"].startswith(info["created_at"][:19])
    assert (song["genre"], song["title"], song["artist"], song["opening_line"]) == (
        "rock", "Night Drive", "", "Driving down the highway")
    assert song["lyrics"] == "[Verse]\nla la\n"
    assert song["lyrics_model"] == "models/lyrics-rock"
    assert song["lyrics_params"] == info["lyrics"]["parameters"]
    assert song["lyrics_params"]["seed"] == 7
    assert (song["music_backend"], song["music_model"]) == ("musicgen", "facebook/musicgen-small")
    assert song["music_params"] == info["music"]["parameters"]
    assert song["music_params"]["options"] == {"guidance_scale": 3.0}
    assert song["timings"] == info["timings"]
    assert song["info"] == info
    assert song["folder"] == "out/night-drive"
    assert song["deleted_at"] is None
    assert (song["lyrics_rating"], song["music_rating"], song["rating"], song["ratings_count"]) == (None, None, None, 0)


def test_round_trip_without_folder_or_timings(store):
    song_id = store.add_song(song_record(timings=False))
    song = store.get_song(song_id)
    assert song["folder"] is None and song["timings"] == {}


def test_created_at_kept_as_utc(store):
    song_id = store.add_song(song_record(created_at="2026-03-01T12:00:00+02:00"))
    assert store.get_song(song_id)["created_at"] == "2026-03-01T10:00:00.000000+00:00"


@pytest.mark.parametrize("change, field", [
    (lambda info: info.pop("genre"), "genre"),
    (lambda info: info.pop("music"), "info.music"),
    (lambda info: info["lyrics"].pop("model"), "lyrics_model"),
    (lambda info: info["music"]["parameters"].pop("backend"), "music_backend"),
    (lambda info: info.update(created_at="yesterday"), "created_at"),
    (lambda info: info.update(id="../../etc"), "song_id"),
])
def test_a_record_with_bad_info_is_refused_before_the_store(store, change, field):
    info = song_record().info
    change(info)
    with pytest.raises(InvalidRequestError) as caught:
        store.add_song(SongRecord.from_info(info, "la"))
    assert caught.value.field == field
    assert store.counts()["songs"] == 0


def test_add_song_takes_only_a_record_with_text_lyrics(store):
    with pytest.raises(InvalidRequestError, match="lyrics"):
        SongRecord.from_info(song_record().info, None)
    with pytest.raises(InvalidRequestError, match="record"):
        store.add_song({"genre": "rock"})
    assert store.counts()["songs"] == 0


def test_get_unknown_song(store):
    with pytest.raises(UnknownSongError) as caught:
        store.get_song("nope")
    assert isinstance(caught.value, StoreError)


def test_list_newest_first(store):
    old = store.add_song(song_record(created_at="2026-01-01T00:00:00+00:00"))
    new = store.add_song(song_record(created_at="2026-01-03T00:00:00+00:00"))
    middle = store.add_song(song_record(created_at="2026-01-02T00:00:00+00:00"))
    same_time_later = store.add_song(song_record(created_at="2026-01-02T00:00:00+00:00"))
    assert [s["id"] for s in store.list_songs()] == [new, same_time_later, middle, old]
    assert [s["id"] for s in store.list_songs(limit=2)] == [new, same_time_later]
    assert [s["id"] for s in store.list_songs(limit=2, offset=2)] == [middle, old]
    assert [s["id"] for s in store.list_songs(limit=None, offset=3)] == [old]


def test_list_filters(store):
    rock = store.add_song(song_record(genre="rock", title="Fire Road", created_at="2026-01-01T00:00:00", lyrics="burn it"))
    pop = store.add_song(song_record(genre="pop", title="Sugar 100%", lyrics_model="models/pop",
                                   created_at="2026-01-02T00:00:00", lyrics="sweet_heart"))
    rap = store.add_song(song_record(genre="rap", title="Bars", artist="MC Test", backend="musicgen",
                                   music_model="facebook/musicgen-small", created_at="2026-01-03T00:00:00", lyrics="flow"))
    ids = lambda **kw: [s["id"] for s in store.list_songs(**kw)]  # noqa: E731
    assert ids(genre="pop") == [pop]
    assert ids(genre="country") == []
    assert ids(model="models/pop") == [pop]
    assert ids(model="musicgen") == [rap]
    assert ids(model="facebook/musicgen-small") == [rap]
    assert ids(model="models/lyrics-rock") == [rap, rock]
    assert ids(search="FIRE") == [rock]
    assert ids(search="mc test") == [rap]
    assert ids(search="heart") == [pop]
    assert ids(search="%") == [pop]  # LIKE wildcards are literal
    assert ids(search="t_h") == [pop]
    assert ids(search="  ") == [rap, pop, rock]
    assert ids(genre="rock", search="fire", model="arranger") == [rock]

    store.add_rating(rock, "lyrics", 5)
    store.add_rating(rock, "music", 2)  # mean 3.5
    store.add_rating(pop, "lyrics", 1)
    store.add_rating(pop, "lyrics", 4)  # re-rated: current 4; no music rating yet
    store.add_rating(rap, "lyrics", 3)
    store.add_rating(rap, "music", 3)
    assert ids(min_rating=3.5) == [pop, rock]
    assert ids(min_rating=4) == [pop]
    assert ids(min_rating=1) == [rap, pop, rock]
    assert ids(unrated_first=True) == [pop, rap, rock]  # pop lacks a music rating
    unrated = store.add_song(song_record(created_at="2025-12-31T00:00:00"))
    assert ids(min_rating=1) == [rap, pop, rock]  # unrated songs left out
    assert ids(unrated_first=True) == [pop, unrated, rap, rock]
    store.add_rating(pop, "music", 4)
    assert ids(unrated_first=True) == [unrated, rap, pop, rock]
    listed = {s["id"]: s for s in store.list_songs()}
    assert (listed[pop]["lyrics_rating"], listed[pop]["music_rating"], listed[pop]["rating"],
            listed[pop]["ratings_count"]) == (4, 4, 4.0, 3)


@pytest.mark.parametrize("kwargs, field", [
    ({"limit": 0}, "limit"), ({"limit": "10"}, "limit"), ({"offset": -1}, "offset"),
    ({"min_rating": "3"}, "min_rating"), ({"min_rating": float("nan")}, "min_rating"),
    ({"search": "a\x00b"}, "search"), ({"search": 3}, "search"),
])
def test_list_rejects_bad_arguments(store, kwargs, field):
    with pytest.raises(InvalidRequestError) as caught:
        store.list_songs(**kwargs)
    assert caught.value.field == field


def test_delete_keeping_ratings_hides_the_song(store):
    song_id = store.add_song(song_record())
    other = store.add_song(song_record())
    store.add_rating(song_id, "lyrics", 5, "great")
    store.add_rating(song_id, "music", 3)
    store.delete_song(song_id, keep_ratings=True)

    assert [s["id"] for s in store.list_songs()] == [other]
    assert {s["id"] for s in store.list_songs(include_deleted=True)} == {song_id, other}
    song = store.get_song(song_id)
    assert song["deleted_at"] is not None and song["lyrics_rating"] == 5
    assert [r["score"] for r in store.ratings_for(song_id)] == [5, 3]
    assert store.aggregates("genre", "lyrics")[0]["count"] == 1
    assert store.counts() == {"songs": 1, "ratings": 2, "deleted_songs": 1}
    with pytest.raises(StoreError, match="deleted"):
        store.add_rating(song_id, "lyrics", 1)

    deleted_at = song["deleted_at"]
    store.delete_song(song_id, keep_ratings=True)  # again: no change
    assert store.get_song(song_id)["deleted_at"] == deleted_at


def test_delete_removing_ratings(store):
    song_id = store.add_song(song_record())
    other = store.add_song(song_record())
    store.add_rating(song_id, "lyrics", 5)
    store.add_rating(song_id, "lyrics", 4)
    store.add_rating(other, "music", 2)
    store.delete_song(song_id, keep_ratings=False)

    with pytest.raises(UnknownSongError):
        store.get_song(song_id)
    assert [s["id"] for s in store.list_songs(include_deleted=True)] == [other]
    assert [r["song_id"] for r in store.latest_ratings()] == [other]
    assert store.counts() == {"songs": 1, "ratings": 1, "deleted_songs": 0}


def test_delete_after_hiding_removes_for_good(store):
    song_id = store.add_song(song_record())
    store.add_rating(song_id, "lyrics", 5)
    store.delete_song(song_id, keep_ratings=True)
    store.delete_song(song_id, keep_ratings=False)
    assert store.counts() == {"songs": 0, "ratings": 0, "deleted_songs": 0}


def test_delete_unknown_or_without_a_choice(store):
    with pytest.raises(UnknownSongError):
        store.delete_song("nope", keep_ratings=True)
    song_id = store.add_song(song_record())
    with pytest.raises(InvalidRequestError):
        store.delete_song(song_id, keep_ratings=None)


def test_database_refuses_to_drop_a_rated_song(store):
    """No cascade, no SET NULL: only delete_song(keep_ratings=False) removes ratings."""
    song_id = store.add_song(song_record())
    store.add_rating(song_id, "lyrics", 5)
    conn = sqlite3.connect(store.path)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("DELETE FROM songs WHERE id = ?", [song_id])
    finally:
        conn.close()
    assert store.counts()["ratings"] == 1


def test_not_a_feedback_database(tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a SongGen feedback database"):
        FeedbackStore(other).counts()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        FeedbackStore(garbage).counts()
    assert garbage.read_bytes() == b"this is not sqlite" * 100


def test_connections_are_closed(store, monkeypatch):
    """No connection outlives an operation (none is kept across threads)."""
    opened = []
    real_connect = store_connection.sqlite3.connect

    def connect(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        opened.append(conn)
        return conn

    monkeypatch.setattr(store_connection.sqlite3, "connect", connect)
    song_id = store.add_song(song_record())
    store.add_rating(song_id, "music", 4)
    store.list_songs()
    assert len(opened) >= 3
    for conn in opened:
        with pytest.raises(sqlite3.ProgrammingError):
            conn.execute("SELECT 1")
