"""The feedback database's schema: ordered, named migrations (sqlite-utils' `Migrations`).

A migration is never edited once released: a change of schema is a new migration appended
here. Applied ones are recorded in `_sqlite_migrations`, so an older file is upgraded in
place and keeps its rows; a file written by a newer SongGen (migrations this code does not
know) is refused.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from ..errors import StoreError

MIGRATIONS = sqlite_utils.Migrations("songgen_feedback")


@MIGRATIONS()
def m001_songs_and_ratings(db: sqlite_utils.Database) -> None:
    """Schema version 1: songs and their ratings (history, never updated)."""
    db.execute("""
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
        )""")
    db.execute("""
        CREATE TABLE ratings (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            song_id TEXT NOT NULL REFERENCES songs(id),
            target TEXT NOT NULL CHECK (target IN ('lyrics', 'music')),
            score INTEGER NOT NULL CHECK (typeof(score) = 'integer' AND score BETWEEN 1 AND 5),
            comment TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX ratings_song_target_created ON ratings (song_id, target, created_at)")


@MIGRATIONS()
def m002_soft_delete_and_song_info(db: sqlite_utils.Database) -> None:
    """Songs can be hidden without losing their ratings (`deleted_at`), and keep
    the whole song.json `info` they were made with."""
    db.execute("ALTER TABLE songs ADD COLUMN deleted_at TEXT")
    db.execute("ALTER TABLE songs ADD COLUMN info TEXT CHECK (info IS NULL OR json_valid(info))")


@MIGRATIONS()
def m003_song_indexes(db: sqlite_utils.Database) -> None:
    """Indexes for listing songs newest first and by genre."""
    db.execute("CREATE INDEX songs_created_at ON songs (created_at)")
    db.execute("CREATE INDEX songs_genre ON songs (genre)")


@MIGRATIONS()
def m004_lyrics_metrics(db: sqlite_utils.Database) -> None:
    """Each song's lyric metrics (rhyme rate, repeats, distinct-2, words...; lyric_metrics.py) as a
    column of their own, so pages can list and correlate them without reading song.json. Songs
    kept before have none (NULL): pages compute theirs from the lyrics when they show them."""
    db.execute("ALTER TABLE songs ADD COLUMN lyrics_metrics TEXT "
               "CHECK (lyrics_metrics IS NULL OR json_valid(lyrics_metrics))")


@MIGRATIONS()
def m005_votes(db: sqlite_utils.Database) -> None:
    """Blind A/B votes from the Compare page (votes.py): per pair of songs and aspect, which
    was better. `song_a` is the song shown on the left (as A), `song_b` on the right; a voter
    check shows one song twice (`song_a = song_b`, `check_pair` 1). Votes are never updated."""
    db.execute("""
        CREATE TABLE votes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            pair_id TEXT NOT NULL,
            genre TEXT NOT NULL,
            aspect TEXT NOT NULL CHECK (aspect IN ('lyrics', 'music')),
            song_a TEXT NOT NULL REFERENCES songs(id),
            song_b TEXT NOT NULL REFERENCES songs(id),
            system_a TEXT NOT NULL,
            system_b TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('a', 'b', 'tie', 'both_bad')),
            voter TEXT NOT NULL,
            listened_a_s REAL CHECK (listened_a_s IS NULL OR listened_a_s >= 0),
            listened_b_s REAL CHECK (listened_b_s IS NULL OR listened_b_s >= 0),
            comment TEXT NOT NULL DEFAULT '',
            check_pair INTEGER NOT NULL DEFAULT 0 CHECK (check_pair IN (0, 1)),
            shown_at TEXT,
            created_at TEXT NOT NULL
        )""")
    db.execute("CREATE UNIQUE INDEX votes_one_per_voter ON votes (pair_id, aspect, voter)")
    db.execute("CREATE INDEX votes_genre_aspect ON votes (genre, aspect)")
    db.execute("CREATE INDEX votes_song_a ON votes (song_a)")
    db.execute("CREATE INDEX votes_song_b ON votes (song_b)")


def migrate(db: sqlite_utils.Database, migrations: sqlite_utils.Migrations = MIGRATIONS) -> list[str]:
    """Apply the pending migrations; return their names (empty: nothing to do).

    They run in order inside one `BEGIN IMMEDIATE` transaction, so concurrent
    openers of a new file wait for each other instead of applying a migration
    twice. Each is recorded in `_sqlite_migrations` with its own changes; the
    whole run commits together, so if one fails (its error is raised) none of
    this run's changes is kept and the file is as it was. Raises `StoreError`
    if the file records migrations that `migrations` does not know (it was
    written by a newer SongGen: older code must not write to it).
    """
    if _newer_migrations(db, migrations):
        raise StoreError(f"this feedback database was written by a newer SongGen "
                         f"(unknown migrations: {', '.join(_newer_migrations(db, migrations))})")
    if not migrations.pending(db):
        return []
    db.execute("BEGIN IMMEDIATE")
    try:
        pending = [m.name for m in migrations.pending(db)]  # again, now that we hold the lock
        migrations.apply(db)
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise
    return pending


def _newer_migrations(db: sqlite_utils.Database, migrations: sqlite_utils.Migrations) -> list[str]:
    # Migrations has no public list of its registered names; pending() only
    # lists those not applied, so read the registration list itself.
    known = {m.name for m in migrations._migrations}
    return [m.name for m in migrations.applied(db) if m.name not in known]


def check_is_ours(db: sqlite_utils.Database, path: Path) -> None:
    """Raises `StoreError` when the file is a database but not one of ours (no migrations record)."""
    names = set(db.table_names())
    if names and "_sqlite_migrations" not in names:
        raise StoreError(f"{path} is a database but not a SongGen feedback database "
                         f"(it has tables {', '.join(sorted(names))} and no migrations record)")
