"""The feedback store: songs and the ratings people give them (`feedback.db`).

This is the project's evaluation data, so nothing in it may be lost:

* The file is SQLite, written through sqlite-utils, at `SONGGEN_DB` or
  `feedback.db` in the project root. It is created on first use.
* No connection is kept: every operation opens its own (Streamlit reruns run
  on other threads), with `foreign_keys=ON`, a 30 s busy timeout and the WAL
  journal (persisted in the file), and closes it. A `FeedbackStore` holds only
  its path, so one instance may be shared by threads, and many instances (or
  processes) may write the same file at once.
* Every write runs in one `BEGIN IMMEDIATE` transaction: it takes the write
  lock up front, so a writer waits for another (up to the busy timeout) instead
  of failing with "database is locked" when a read has to become a write.
* The schema is built by ordered, named migrations (`MIGRATIONS`, the
  `sqlite_utils.Migrations` API of sqlite-utils 4; applied ones are recorded in
  `_sqlite_migrations`). A migration is never edited once released: a change
  of schema is a new migration appended to the list, each applied in its own
  transaction, so an older file is upgraded in place and keeps its rows. A file
  written by a newer SongGen (migrations this code does not know) is refused.
* Ratings are never updated: re-rating adds a row, and the "current" rating of
  a song for a target is its latest row (by `created_at`, then `id`).

Deleting a song, the explicit choice (`delete_song(id, keep_ratings)`):

* `keep_ratings=True` hides the song (`deleted_at` is set). Its row stays, so
  its ratings keep their context (genre, models) and still count in
  `aggregates` and `export_ratings`.
* `keep_ratings=False` removes the song row and all its ratings, in one
  transaction.

`ratings.song_id` is a NOT NULL foreign key to `songs(id)` with no ON DELETE
action: the database itself refuses to drop a song that still has ratings, so
ratings can be lost neither by a cascade nor orphaned by SET NULL (which would
lose what they rated) -- only by the explicit `keep_ratings=False`.
The store never touches the audio files in a song's folder.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
import sqlite3
import statistics
import threading
import time
import uuid
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import sqlite_utils

from .errors import InvalidRequestError, SongGenError
from .paths import db_path
from .text import check_text

TARGETS = ("lyrics", "music")
AGGREGATE_BY = ("genre", "lyrics_model", "music_backend")
SCORE_RANGE = (1, 5)
# With fewer rated songs a group's 95% interval says next to nothing (n = 2: t = 12.7).
MIN_INTERVAL_COUNT = 3
MAX_COMMENT_CHARS = 2000
DEFAULT_LIST_LIMIT = 100
BUSY_TIMEOUT_S = 30
JSON_COLUMNS = ("lyrics_params", "music_params", "timings", "info")
EXPORT_COLUMNS = ("id", "song_id", "target", "score", "comment", "created_at", "genre", "title", "artist",
                  "lyrics_model", "music_backend", "music_model", "song_created_at", "song_deleted_at")


class StoreError(SongGenError):
    """The feedback store cannot do what was asked: an unknown or deleted song,
    a file that is not a SongGen feedback database (or is from a newer SongGen),
    or SQLite failing (disk full, locked past the busy timeout, ...)."""


class UnknownSongError(StoreError):
    """No song has this id."""

    def __init__(self, song_id):
        super().__init__(f"no song with id {song_id!r}")
        self.song_id = song_id


SONG_ID = re.compile(r"^[0-9a-f]{32}$")


def new_song_id() -> str:
    """A fresh song id (a uuid4 hex), safe as a folder name."""
    return uuid.uuid4().hex


# --------------------------------------------------------------------------- schema

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


# --------------------------------------------------------------------------- store

class FeedbackStore:
    """Songs and ratings in one SQLite file; safe to share across threads.

    `path` defaults to `paths.db_path()`. The file (and its folder) is created
    and migrated on the first operation, not here.
    """

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else db_path()
        self._ready = False
        self._ready_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FeedbackStore({str(self.path)!r})"

    # -- connections

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite_utils.Database]:
        """A fresh connection for one operation, migrated, closed afterwards.

        Raises `StoreError` for any SQLite failure (the cause is chained).
        """
        self._ensure_ready()
        try:
            db = self._connect()
        except sqlite3.Error as e:
            raise StoreError(f"cannot open the feedback database {self.path}: {e}") from e
        try:
            yield db
        except sqlite3.Error as e:
            raise StoreError(f"feedback database {self.path}: {e}") from e
        finally:
            db.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite_utils.Database]:
        """`_db()` inside one BEGIN IMMEDIATE transaction: committed, or rolled back on any error."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                db.rollback()
                raise

    def _connect(self) -> sqlite_utils.Database:
        conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S, check_same_thread=False)
        try:
            db = sqlite_utils.Database(conn)
            db.execute("PRAGMA foreign_keys=ON")
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
            self._use_wal(db)
            return db
        except BaseException:
            conn.close()
            raise

    def _use_wal(self, db: sqlite_utils.Database) -> None:
        """Switch to the WAL journal (it persists in the file, so usually it already is).

        SQLite answers a journal-mode switch with "database is locked" without
        waiting on the busy timeout when another connection holds the file, so
        the switch is retried for up to the busy timeout.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            try:
                if db.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() == "wal":
                    return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
            if time.monotonic() > deadline:
                raise StoreError(f"cannot switch {self.path} to the WAL journal")
            time.sleep(0.01)

    def _ensure_ready(self) -> None:
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(f"cannot create the folder of the feedback database {self.path}: {e}") from e
            try:
                db = self._connect()
            except sqlite3.Error as e:
                raise StoreError(f"cannot open the feedback database {self.path}: {e}") from e
            try:
                _check_is_ours(db, self.path)
                migrate(db)
            except sqlite3.Error as e:
                raise StoreError(f"cannot prepare the feedback database {self.path}: {e}") from e
            finally:
                db.close()
            self._ready = True

    # -- songs

    def add_song(self, info: dict, lyrics: str, folder: str | os.PathLike | None = None,
                 song_id: str | None = None) -> str:
        """Record a song from its song.json `info` (the `pipeline.song_info` layout,
        with `timings` if present); return its id: `song_id` when given (32
        lowercase hex digits, as `new_song_id()` makes; lets a caller name the
        song's folder before the row exists), else a new uuid4 hex.

        Raises `InvalidRequestError` if `info` lacks the genre or a model, its
        `created_at` is not an ISO time, `lyrics` is not text or `song_id` is
        malformed; `StoreError` if the database fails (an id already taken too).
        """
        row = _song_row(info, lyrics, folder)
        if song_id is not None:
            if not isinstance(song_id, str) or not SONG_ID.match(song_id):
                raise InvalidRequestError("song_id", "must be 32 lowercase hexadecimal digits (see new_song_id)")
            row["id"] = song_id
        with self._write() as db:
            db["songs"].insert(row)
        return row["id"]

    def get_song(self, song_id: str) -> dict:
        """The song with its JSON fields decoded and its current ratings:
        `lyrics_rating`, `music_rating` (latest scores, None if unrated), their
        mean `rating`, and `ratings_count` (every rating row, history included).

        Deleted (hidden) songs are returned too, with `deleted_at` set.
        Raises `UnknownSongError` (a `StoreError`) if there is no such song.
        """
        with self._db() as db:
            rows = list(db.query(f"{_SONGS_SELECT} WHERE s.id = ?", [song_id]))
        if not rows:
            raise UnknownSongError(song_id)
        return _song_from_row(rows[0])

    def list_songs(self, genre: str | None = None, model: str | None = None, search: str | None = None,
                   min_rating: float | None = None, unrated_first: bool = False,
                   limit: int | None = DEFAULT_LIST_LIMIT, offset: int = 0,
                   include_deleted: bool = False) -> list[dict]:
        """Songs newest first (as `get_song` returns them), filtered:

        * `genre`: exactly this genre;
        * `model`: this lyrics model, music model or music backend;
        * `search`: text found (case-insensitive) in the title, artist, opening
          line or lyrics;
        * `min_rating`: songs whose `rating` (mean of the current lyrics and
          music scores) is at least this; unrated songs are left out;
        * `unrated_first`: songs still missing a lyrics or a music rating come
          first (each group newest first);
        * `limit` (None: all), `offset`; `include_deleted` adds hidden songs.

        Raises `InvalidRequestError` for a bad `limit`, `offset`, `min_rating`
        or search text; `StoreError` if the database fails.
        """
        where, params = [], []
        if not include_deleted:
            where.append("s.deleted_at IS NULL")
        if genre is not None:
            where.append("s.genre = ?")
            params.append(genre)
        if model is not None:
            where.append("? IN (s.lyrics_model, s.music_model, s.music_backend)")
            params.append(model)
        search = None if search is None else check_text("search", search, max_chars=500, required=False)
        if search:
            where.append("(" + " OR ".join(f"s.{column} LIKE ? ESCAPE '\\'" for column in
                                           ("title", "artist", "opening_line", "lyrics")) + ")")
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params.extend([pattern] * 4)
        if min_rating is not None:
            if isinstance(min_rating, bool) or not isinstance(min_rating, (int, float)) or math.isnan(min_rating):
                raise InvalidRequestError("min_rating", "must be a number")
            where.append("rating IS NOT NULL AND rating >= ?")
            params.append(float(min_rating))
        order = ["s.created_at DESC", "s.rowid DESC"]
        if unrated_first:
            order.insert(0, "(lyrics_rating IS NOT NULL AND music_rating IS NOT NULL)")
        sql = _SONGS_SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY " + ", ".join(order)
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise InvalidRequestError("limit", "must be a positive whole number or None")
            sql += " LIMIT ?"
            params.append(limit)
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise InvalidRequestError("offset", "must be a whole number, 0 or more")
        if offset:
            sql += (" " if limit is not None else " LIMIT -1 ") + "OFFSET ?"
            params.append(offset)
        with self._db() as db:
            return [_song_from_row(row) for row in db.query(sql, params)]

    def delete_song(self, song_id: str, keep_ratings: bool) -> None:
        """Delete a song, keeping or removing its ratings as chosen.

        `keep_ratings=True`: the song is hidden (`deleted_at` set, kept if it was
        already hidden); its row and ratings stay and still count in
        `aggregates` and `export_ratings`. `keep_ratings=False`: the song row and
        all its ratings are removed for good. The audio folder is not touched.
        Raises `UnknownSongError` if there is no such song, `StoreError` if the
        database fails.
        """
        if not isinstance(keep_ratings, bool):
            raise InvalidRequestError("keep_ratings", "must be True or False")
        with self._write() as db:
            if not _song_exists(db, song_id):
                raise UnknownSongError(song_id)
            if keep_ratings:
                db.execute("UPDATE songs SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", [_now(), song_id])
            else:
                db.execute("DELETE FROM ratings WHERE song_id = ?", [song_id])
                db.execute("DELETE FROM songs WHERE id = ?", [song_id])

    # -- ratings

    def add_rating(self, song_id: str, target: str, score: int, comment: str | None = "") -> int:
        """Add a rating (1-5) of a song's lyrics or music; return its id.

        Re-rating adds a row: the history is kept and the latest row is the
        current rating. Raises as `add_ratings`.
        """
        return self.add_ratings(song_id, {target: score}, comment)[0]

    def add_ratings(self, song_id: str, scores: dict, comment: str | None = "") -> list[int]:
        """Add one rating per target in `scores` ({'lyrics': 4, 'music': 5}) with the same
        comment, all in one transaction (all are stored or none); return their ids.

        Raises `InvalidRequestError` if `scores` is empty, a target is not
        'lyrics' or 'music', a score is not a whole number from 1 to 5, or
        `comment` is longer than 2000 characters or holds control characters;
        `UnknownSongError` for an unknown song, `StoreError` for a deleted
        (hidden) one or if the database fails.
        """
        if not isinstance(scores, dict) or not scores:
            raise InvalidRequestError("scores", "give at least one of lyrics or music")
        for target, score in scores.items():
            _check_target(target)
            if isinstance(score, bool) or not isinstance(score, int) or not SCORE_RANGE[0] <= score <= SCORE_RANGE[1]:
                raise InvalidRequestError("score", "must be a whole number from 1 to 5")
        comment = check_text("comment", "" if comment is None else comment, max_chars=MAX_COMMENT_CHARS,
                             allow_newlines=True, required=False)
        with self._write() as db:
            song = list(db.query("SELECT deleted_at FROM songs WHERE id = ?", [song_id]))
            if not song:
                raise UnknownSongError(song_id)
            if song[0]["deleted_at"] is not None:
                raise StoreError(f"song {song_id!r} was deleted; it cannot be rated")
            table, ids, now = db["ratings"], [], _now()
            for target, score in scores.items():
                table.insert({"song_id": song_id, "target": target, "score": score, "comment": comment,
                              "created_at": now})
                ids.append(table.last_rowid)
            return ids

    def ratings_for(self, song_id: str, target: str | None = None) -> list[dict]:
        """Every rating of a song (or of one target of it), oldest first.

        Raises `UnknownSongError` for an unknown song, `InvalidRequestError` for
        a bad target, `StoreError` if the database fails.
        """
        if target is not None:
            _check_target(target)
        with self._db() as db:
            if not _song_exists(db, song_id):
                raise UnknownSongError(song_id)
            sql = f"SELECT {_RATING_COLUMNS} FROM ratings WHERE song_id = ?"
            params = [song_id]
            if target is not None:
                sql += " AND target = ?"
                params.append(target)
            return list(db.query(sql + " ORDER BY created_at, id", params))

    def latest_ratings(self, song_id: str | None = None, target: str | None = None) -> list[dict]:
        """The current rating (the latest row) of each song and target, newest
        first, optionally for one song and/or one target. Ratings kept from
        deleted songs are included. Raises `InvalidRequestError` for a bad
        target, `StoreError` if the database fails."""
        if target is not None:
            _check_target(target)
        where, params = [], []
        if song_id is not None:
            where.append("song_id = ?")
            params.append(song_id)
        if target is not None:
            where.append("target = ?")
            params.append(target)
        sql = (f"SELECT {_RATING_COLUMNS} FROM ({_LATEST_SQL}) WHERE rn = 1"
               + "".join(f" AND {w}" for w in where) + " ORDER BY created_at DESC, id DESC")
        with self._db() as db:
            return list(db.query(sql, params))

    def aggregates(self, by: str, target: str) -> list[dict]:
        """Mean current score of `target` per value of `by` ('genre',
        'lyrics_model' or 'music_backend'), most rated first.

        Each song counts once: its current (latest) rating. Ratings kept from
        deleted songs count. Each row: `{by: value, 'count', 'mean', 'stdev',
        'ci_low', 'ci_high'}`, where the 95% confidence interval of the mean is
        mean ± t(0.975, n-1)·s/√n with the Student t-distribution (s the sample
        standard deviation), not clamped to 1-5; for n = 1 there is no
        interval (stdev, ci_low and ci_high are None).
        Raises `InvalidRequestError` for a bad `by` or `target`, `StoreError`
        if the database fails.
        """
        if by not in AGGREGATE_BY:
            raise InvalidRequestError("by", f"must be one of {', '.join(AGGREGATE_BY)}")
        _check_target(target)
        sql = (f"SELECT s.{by} AS value, r.score FROM ({_LATEST_SQL}) r JOIN songs s ON s.id = r.song_id "
               "WHERE r.rn = 1 AND r.target = ?")
        groups: dict = {}
        with self._db() as db:
            for row in db.query(sql, [target]):
                groups.setdefault(row["value"], []).append(row["score"])
        rows = [{by: value, **summarize(scores)} for value, scores in groups.items()]
        rows.sort(key=lambda row: (-row["count"], "" if row[by] is None else str(row[by])))
        return rows

    def export_ratings(self, fmt: str = "csv") -> str:
        """Every rating (the whole history, oldest first) with its song's
        genre, title, artist, models and times, as CSV (with a header) or as a
        JSON list of objects. Raises `InvalidRequestError` for another `fmt`,
        `StoreError` if the database fails."""
        if fmt not in ("csv", "json"):
            raise InvalidRequestError("fmt", "must be 'csv' or 'json'")
        sql = ("SELECT r.id, r.song_id, r.target, r.score, r.comment, r.created_at, s.genre, s.title, s.artist, "
               "s.lyrics_model, s.music_backend, s.music_model, s.created_at AS song_created_at, "
               "s.deleted_at AS song_deleted_at FROM ratings r JOIN songs s ON s.id = r.song_id ORDER BY r.id")
        with self._db() as db:
            rows = list(db.query(sql))
        if fmt == "json":
            return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()

    def counts(self) -> dict:
        """`{'songs': songs not deleted, 'ratings': every rating row (kept ones
        of deleted songs too), 'deleted_songs': hidden songs}`.
        Raises `StoreError` if the database fails."""
        with self._db() as db:
            row = next(db.query(
                "SELECT (SELECT count(*) FROM songs WHERE deleted_at IS NULL) AS songs, "
                "(SELECT count(*) FROM ratings) AS ratings, "
                "(SELECT count(*) FROM songs WHERE deleted_at IS NOT NULL) AS deleted_songs"))
        return dict(row)


# --------------------------------------------------------------------------- statistics

def summarize(scores: list[int | float]) -> dict:
    """`count`, `mean`, `stdev` and the 95% t-interval of the mean (see `aggregates`)."""
    n = len(scores)
    mean = statistics.fmean(scores) if n else None
    if n < 2:
        return {"count": n, "mean": mean, "stdev": None, "ci_low": None, "ci_high": None}
    stdev = statistics.stdev(scores)
    half = t_quantile_975(n - 1) * stdev / math.sqrt(n)
    return {"count": n, "mean": mean, "stdev": stdev, "ci_low": mean - half, "ci_high": mean + half}


@lru_cache(maxsize=512)
def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with `df` degrees of freedom.

    Exact (to 1e-12) for df ≤ 1000, by bisection on the closed-form t
    distribution for whole df (Abramowitz & Stegun 26.7.3-4); beyond, the
    Cornish-Fisher expansion around the normal quantile (error < 1e-10).
    """
    if df < 1:
        raise ValueError("df must be at least 1")
    if df > 1000:
        z = 1.959963984540054
        return (z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)
                + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3))
    low, high = 0.0, 20.0 if df > 1 else 100.0
    while high - low > 1e-12:
        middle = (low + high) / 2
        if _t_central_probability(middle, df) < 0.95:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _t_central_probability(t: float, df: int) -> float:
    """P(|T| < t) for Student's t with whole `df` (Abramowitz & Stegun 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    sin, cos2 = math.sin(theta), math.cos(theta) ** 2
    if df % 2 == 1:
        total, term = 0.0, math.cos(theta)
        for k in range(1, (df - 1) // 2 + 1):
            total += term
            term *= cos2 * (2 * k) / (2 * k + 1)
        return 2 / math.pi * (theta + sin * total)
    total, term = 0.0, 1.0
    for k in range(1, df // 2 + 1):
        total += term
        term *= cos2 * (2 * k - 1) / (2 * k)
    return sin * total


# --------------------------------------------------------------------------- helpers

_RATING_COLUMNS = "id, song_id, target, score, comment, created_at"
_LATEST_SQL = (f"SELECT {_RATING_COLUMNS}, row_number() OVER "
               "(PARTITION BY song_id, target ORDER BY created_at DESC, id DESC) AS rn FROM ratings")
_SONGS_SELECT = f"""
    SELECT s.*, cur.lyrics_rating, cur.music_rating, cur.rating,
           coalesce(cur.ratings_count, 0) AS ratings_count
    FROM songs s LEFT JOIN (
        SELECT song_id,
               max(CASE WHEN target = 'lyrics' AND rn = 1 THEN score END) AS lyrics_rating,
               max(CASE WHEN target = 'music' AND rn = 1 THEN score END) AS music_rating,
               avg(CASE WHEN rn = 1 THEN score END) AS rating,
               count(*) AS ratings_count
        FROM ({_LATEST_SQL}) GROUP BY song_id
    ) cur ON cur.song_id = s.id"""


def _check_is_ours(db: sqlite_utils.Database, path: Path) -> None:
    names = set(db.table_names())
    if names and "_sqlite_migrations" not in names:
        raise StoreError(f"{path} is a database but not a SongGen feedback database "
                         f"(it has tables {', '.join(sorted(names))} and no migrations record)")


def _check_target(target) -> None:
    if target not in TARGETS:
        raise InvalidRequestError("target", "must be 'lyrics' or 'music'")


def _song_exists(db: sqlite_utils.Database, song_id) -> bool:
    return bool(list(db.query("SELECT 1 AS found FROM songs WHERE id = ?", [song_id])))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _utc_time(field: str, value) -> str:
    """An ISO time as UTC with microseconds, so text order is time order."""
    if value is None:
        return _now()
    try:
        when = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidRequestError(field, f"must be an ISO 8601 time, not {value!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _section(info: dict, name: str) -> dict:
    section = info.get(name)
    if not isinstance(section, dict):
        raise InvalidRequestError(f"info.{name}", "is missing (expected the song.json layout of pipeline.song_info)")
    return section


def _required_text(field: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(field, "is missing")
    return value


def _song_row(info: dict, lyrics: str, folder) -> dict:
    if not isinstance(info, dict):
        raise InvalidRequestError("info", "must be the song.json dict from pipeline.song_info")
    if not isinstance(lyrics, str):
        raise InvalidRequestError("lyrics", "must be text")
    lyrics_info, music_info = _section(info, "lyrics"), _section(info, "music")
    music_params = music_info.get("parameters") or {}
    return {
        "id": new_song_id(),
        "created_at": _utc_time("info.created_at", info.get("created_at")),
        "genre": _required_text("info.genre", info.get("genre")),
        "title": info.get("title"),
        "artist": info.get("artist"),
        "opening_line": info.get("opening_line"),
        "lyrics": lyrics,
        "lyrics_model": _required_text("info.lyrics.model", lyrics_info.get("model")),
        "lyrics_params": _json(lyrics_info.get("parameters") or {}),
        "music_backend": _required_text("info.music.parameters.backend", music_params.get("backend")),
        "music_model": _required_text("info.music.model", music_info.get("model")),
        "music_params": _json(music_params),
        "timings": _json(info.get("timings") or {}),
        "folder": None if folder is None else str(folder),
        "deleted_at": None,
        "info": _json(info),
    }


def _song_from_row(row: dict) -> dict:
    song = dict(row)
    for column in JSON_COLUMNS:
        if song.get(column) is not None:
            song[column] = json.loads(song[column])
    return song
