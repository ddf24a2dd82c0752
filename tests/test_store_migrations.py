"""Feedback store, migrations: an old file is upgraded in place with no row lost; re-running is a no-op."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest
import sqlite_utils

from songgen_core import store as store_module
from songgen_core.store import MIGRATIONS, FeedbackStore, StoreError, migrate

# Schema version 1 as released (a frozen copy of m001 and of the migrations
# record sqlite-utils keeps), written by hand so that the test keeps checking
# the upgrade from the real old schema even if the code changes.
V1_SCHEMA = """
CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name" ON "_sqlite_migrations" ("migration_set", "name");
INSERT INTO _sqlite_migrations (migration_set, name, applied_at)
    VALUES ('songgen_feedback', 'm001_songs_and_ratings', '2026-01-01 00:00:00.000000+00:00');
CREATE TABLE songs (
    id TEXT PRIMARY KEY NOT NULL,
    created_at TEXT NOT NULL,
    genre TEXT NOT NULL,
    title TEXT,
    artist TEXT,
    opening_line TEXT,
    lyrics TEXT NOT NULL,
    lyrics_model TEXT,
    lyrics_params TEXT CHECK (lyrics_params IS NULL OR json_valid(lyrics_params)),
    music_backend TEXT,
    music_model TEXT,
    music_params TEXT CHECK (music_params IS NULL OR json_valid(music_params)),
    timings TEXT CHECK (timings IS NULL OR json_valid(timings)),
    folder TEXT
);
CREATE TABLE ratings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    song_id TEXT NOT NULL REFERENCES songs(id),
    target TEXT NOT NULL CHECK (target IN ('lyrics', 'music')),
    score INTEGER NOT NULL CHECK (typeof(score) = 'integer' AND score BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX ratings_song_target_created ON ratings (song_id, target, created_at);
"""
ALL = ["m001_songs_and_ratings", "m002_soft_delete_and_song_info", "m003_song_indexes", "m004_lyrics_metrics",
       "m005_votes"]


def _v1_file(path, songs=5, ratings_per_song=3):
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    song_rows, rating_rows = [], []
    for i in range(songs):
        song = (f"{i:032x}", f"2026-01-{i + 1:02d}T00:00:00.000000+00:00", ["rock", "pop"][i % 2], f"Song {i}",
                "Artist", "first line", f"lyrics {i}\nline two", "models/lyrics", json.dumps({"seed": i}),
                "arranger", "arranger-v1", json.dumps({"backend": "arranger", "duration_s": 5.0}),
                json.dumps({"total_s": 1.5}), f"out/song-{i}")
        song_rows.append(song)
        conn.execute("INSERT INTO songs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", song)
        for k in range(ratings_per_song):
            rating = (song[0], ["lyrics", "music"][k % 2], 1 + (i + k) % 5, f"comment {i}/{k}",
                      f"2026-02-01T00:00:{i * 10 + k:02d}.000000+00:00")
            cursor = conn.execute("INSERT INTO ratings (song_id, target, score, comment, created_at) "
                                  "VALUES (?, ?, ?, ?, ?)", rating)
            rating_rows.append((cursor.lastrowid, *rating))
    conn.commit()
    conn.close()
    return song_rows, rating_rows


def _dump(path):
    conn = sqlite3.connect(path)
    try:
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        songs = conn.execute("SELECT * FROM songs ORDER BY id").fetchall()
        ratings = conn.execute("SELECT * FROM ratings ORDER BY id").fetchall()
        applied = conn.execute("SELECT migration_set, name, applied_at FROM _sqlite_migrations ORDER BY id").fetchall()
    finally:
        conn.close()
    return schema, songs, ratings, applied


def test_a_v1_file_is_upgraded_with_no_row_lost(tmp_path):
    path = tmp_path / "feedback.db"
    song_rows, rating_rows = _v1_file(path)
    store = FeedbackStore(path)
    assert store.counts() == {"songs": 5, "ratings": 15, "deleted_songs": 0}

    schema, songs, ratings, applied = _dump(path)
    assert [name for _, name, _ in applied] == ALL
    assert applied[0][2] == "2026-01-01 00:00:00.000000+00:00"  # the old record is kept as it was
    names = {name for _, name, _ in schema}
    assert {"songs_created_at", "songs_genre", "ratings_song_target_created"} <= names
    assert [row[:14] for row in songs] == song_rows  # every old column, unchanged
    assert all(row[14:] == (None, None, None) for row in songs)  # new columns: deleted_at, info, lyrics_metrics
    assert ratings == rating_rows

    # The upgraded file works as a current one.
    song = store.get_song(song_rows[0][0])
    assert song["lyrics_params"] == {"seed": 0} and song["deleted_at"] is None and song["info"] is None
    assert len(store.ratings_for(song["id"])) == 3
    assert store.add_rating(song["id"], "lyrics", 5) > max(r[0] for r in rating_rows)
    store.delete_song(song_rows[1][0], keep_ratings=True)
    assert store.counts() == {"songs": 4, "ratings": 16, "deleted_songs": 1}


def test_upgrade_from_every_earlier_version(tmp_path):
    """Stopping before each migration, adding rows, then opening: all rows are kept."""
    for stop_before in ALL[1:]:
        path = tmp_path / f"before-{stop_before}.db"
        db = sqlite_utils.Database(path)
        MIGRATIONS.apply(db, stop_before=stop_before)
        db["songs"].insert({"id": "a" * 32, "created_at": "2026-01-01T00:00:00.000000+00:00", "genre": "rock",
                            "lyrics": "la", "lyrics_model": "m", "music_backend": "arranger", "music_model": "a"})
        db["ratings"].insert({"song_id": "a" * 32, "target": "music", "score": 4, "comment": "ok",
                              "created_at": "2026-01-02T00:00:00.000000+00:00"})
        db.close()
        store = FeedbackStore(path)
        assert store.counts() == {"songs": 1, "ratings": 1, "deleted_songs": 0}
        assert store.get_song("a" * 32)["music_rating"] == 4
        assert [name for *_, name, _ in _dump(path)[3]] == ALL


def test_migrating_twice_is_a_no_op(tmp_path):
    path = tmp_path / "feedback.db"
    _v1_file(path)
    FeedbackStore(path).counts()
    before = _dump(path)
    db = sqlite_utils.Database(path)
    try:
        assert migrate(db) == []
        assert migrate(db) == []
    finally:
        db.close()
    assert FeedbackStore(path).counts()["ratings"] == 15  # a new instance checks again
    assert _dump(path) == before


def test_a_new_file_gets_every_migration_once(tmp_path):
    path = tmp_path / "feedback.db"
    db = sqlite_utils.Database(path)
    try:
        assert migrate(db) == ALL
        assert migrate(db) == []
    finally:
        db.close()
    assert [name for *_, name, _ in _dump(path)[3]] == ALL


def test_concurrent_openers_of_a_new_file(tmp_path):
    """Many stores opening a new file at once: the migrations run once, nobody fails."""
    path = tmp_path / "feedback.db"
    barrier, errors = threading.Barrier(8), []

    def open_it():
        try:
            barrier.wait()
            FeedbackStore(path).counts()
        except Exception as e:  # noqa: BLE001 - collected for the assert
            errors.append(e)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [name for *_, name, _ in _dump(path)[3]] == ALL


def test_a_failing_migration_leaves_the_file_as_it_was(tmp_path):
    path = tmp_path / "feedback.db"
    _v1_file(path)
    before = _dump(path)
    broken = sqlite_utils.Migrations("songgen_feedback")
    for migration in MIGRATIONS._migrations:
        broken(name=migration.name)(migration.fn)

    @broken()
    def m004_broken(db):
        db.execute("ALTER TABLE ratings ADD COLUMN weight REAL")
        db.execute("DELETE FROM ratings")
        raise RuntimeError("boom")

    db = sqlite_utils.Database(path)
    try:
        with pytest.raises(RuntimeError, match="boom"):
            migrate(db, broken)
        assert not db.conn.in_transaction
    finally:
        db.close()
    assert _dump(path) == before  # m002 and m003 of the same run were rolled back too
    assert FeedbackStore(path).counts()["ratings"] == 15


def test_a_file_from_a_newer_songgen_is_refused(tmp_path):
    path = tmp_path / "feedback.db"
    FeedbackStore(path).counts()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('songgen_feedback', 'm999_from_the_future', '2030-01-01')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer SongGen.*m999_from_the_future"):
        FeedbackStore(path).counts()


def test_migration_names_are_unique_and_ordered():
    names = [m.name for m in store_module.MIGRATIONS._migrations]
    assert names == ALL == sorted(names)
