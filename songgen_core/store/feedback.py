"""The feedback store: songs and the ratings people give them (`feedback.db`).

This is the project's evaluation data, so nothing in it may be lost:

* Ratings are never updated: re-rating adds a row, and the "current" rating of a song for
  a target is its latest row (by `created_at`, then `id`).
* A song comes in as a `SongRecord` (song_record.py): the store keeps its fields as columns
  and its song.json (`info`) as it is, without reading it.
* Deleting a song is an explicit choice (`delete_song(id, keep_ratings)`):
  `keep_ratings=True` hides the song (`deleted_at` is set); its row stays, so its ratings
  keep their context (genre, models) and still count in `aggregates` and `export_ratings`.
  `keep_ratings=False` removes the song row and all its ratings, in one transaction.
  `ratings.song_id` is a NOT NULL foreign key to `songs(id)` with no ON DELETE action: the
  database itself refuses to drop a song that still has ratings, so ratings can be lost
  neither by a cascade nor orphaned by SET NULL -- only by the explicit `keep_ratings=False`.
* The store never touches the files in a song's folder.

Connections and transactions: connection.py; schema and migrations: schema.py; the
confidence intervals: statistics.py.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from ..errors import InvalidRequestError, StoreError, UnknownSongError
from ..paths import db_path
from ..song_record import SongRecord
from ..text import check_text
from .connection import Database
from .export import FORMATS, rows_as_text
from .statistics import summarize
from .votes import Votes

TARGETS = ("lyrics", "music")
AGGREGATE_BY = ("genre", "lyrics_model", "music_backend")
SCORE_RANGE = (1, 5)
# With fewer rated songs a group's 95% interval says next to nothing (n = 2: t = 12.7).
MIN_INTERVAL_COUNT = 3
MAX_COMMENT_CHARS = 2000
DEFAULT_LIST_LIMIT = 100
JSON_COLUMNS = ("lyrics_params", "music_params", "timings", "info", "lyrics_metrics")
EXPORT_COLUMNS = ("id", "song_id", "target", "score", "comment", "created_at", "genre", "title", "artist",
                  "lyrics_model", "music_backend", "music_model", "song_created_at", "song_deleted_at")




class FeedbackStore:
    """Songs and ratings in one SQLite file; safe to share across threads.

    `path` defaults to `paths.db_path()`. The file (and its folder) is created and
    migrated on the first operation, not here.
    """

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else db_path()
        self._database = Database(self.path)
        self.votes = Votes(self._database)  # blind A/B votes (votes.py)

    def __repr__(self) -> str:
        return f"FeedbackStore({str(self.path)!r})"

    # -- songs

    def add_song(self, record: SongRecord) -> str:
        """Keep a song (its `SongRecord`); return its id.

        Raises `InvalidRequestError` if `record` is not a `SongRecord`, `StoreError` if the
        database fails (an id already taken too).
        """
        if not isinstance(record, SongRecord):
            raise InvalidRequestError("record", "must be a SongRecord (see songgen_core.song_record)")
        row = {**asdict(record), "created_at": _utc_time(record.created_at), "deleted_at": None}
        for column in JSON_COLUMNS:
            row[column] = _json(row[column])
        with self._database.write() as db:
            db["songs"].insert(row)
        return record.id

    def get_song(self, song_id: str) -> dict:
        """The song with its JSON fields decoded and its current ratings:
        `lyrics_rating`, `music_rating` (latest scores, None if unrated), their
        mean `rating`, and `ratings_count` (every rating row, history included).

        Deleted (hidden) songs are returned too, with `deleted_at` set.
        Raises `UnknownSongError` (a `StoreError`) if there is no such song.
        """
        with self._database.read() as db:
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
        where, params = _equal_to({"s.genre": genre})
        if not include_deleted:
            where.append("s.deleted_at IS NULL")
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
        with self._database.read() as db:
            return [_song_from_row(row) for row in db.query(sql, params)]

    def delete_song(self, song_id: str, keep_ratings: bool) -> None:
        """Delete a song, keeping or removing its ratings as chosen.

        `keep_ratings=True`: the song is hidden (`deleted_at` set, kept if it was
        already hidden); its row and ratings stay and still count in
        `aggregates` and `export_ratings`. `keep_ratings=False`: the song row and
        all its ratings (and the Compare votes on it) are removed for good. The audio folder is not touched.
        Raises `UnknownSongError` if there is no such song, `StoreError` if the
        database fails.
        """
        if not isinstance(keep_ratings, bool):
            raise InvalidRequestError("keep_ratings", "must be True or False")
        with self._database.write() as db:
            if not _song_exists(db, song_id):
                raise UnknownSongError(song_id)
            if keep_ratings:
                db.execute("UPDATE songs SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", [_now(), song_id])
            else:
                db.execute("DELETE FROM ratings WHERE song_id = ?", [song_id])
                db.execute("DELETE FROM votes WHERE song_a = ? OR song_b = ?", [song_id, song_id])
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
        with self._database.write() as db:
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
        with self._database.read() as db:
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
        where, params = _equal_to({"song_id": song_id, "target": target})
        sql = (f"SELECT {_RATING_COLUMNS} FROM ({_LATEST_SQL}) WHERE rn = 1"
               + "".join(f" AND {w}" for w in where) + " ORDER BY created_at DESC, id DESC")
        with self._database.read() as db:
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
        with self._database.read() as db:
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
        if fmt not in FORMATS:
            raise InvalidRequestError("fmt", "must be 'csv' or 'json'")
        sql = ("SELECT r.id, r.song_id, r.target, r.score, r.comment, r.created_at, s.genre, s.title, s.artist, "
               "s.lyrics_model, s.music_backend, s.music_model, s.created_at AS song_created_at, "
               "s.deleted_at AS song_deleted_at FROM ratings r JOIN songs s ON s.id = r.song_id ORDER BY r.id")
        with self._database.read() as db:
            rows = list(db.query(sql))
        return rows_as_text(rows, EXPORT_COLUMNS, fmt)

    def counts(self) -> dict:
        """`{'songs': songs not deleted, 'ratings': every rating row (kept ones
        of deleted songs too), 'deleted_songs': hidden songs}`.
        Raises `StoreError` if the database fails."""
        with self._database.read() as db:
            row = next(db.query(
                "SELECT (SELECT count(*) FROM songs WHERE deleted_at IS NULL) AS songs, "
                "(SELECT count(*) FROM ratings) AS ratings, "
                "(SELECT count(*) FROM songs WHERE deleted_at IS NOT NULL) AS deleted_songs"))
        return dict(row)


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


def _equal_to(values: dict) -> tuple[list[str], list]:
    """`column = ?` conditions and their parameters for the columns given a value (None: any)."""
    given = [(column, value) for column, value in values.items() if value is not None]
    return [f"{column} = ?" for column, _value in given], [value for _column, value in given]


def _check_target(target) -> None:
    if target not in TARGETS:
        raise InvalidRequestError("target", "must be 'lyrics' or 'music'")


def _song_exists(db: sqlite_utils.Database, song_id) -> bool:
    return bool(list(db.query("SELECT 1 AS found FROM songs WHERE id = ?", [song_id])))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _utc_time(value: str) -> str:
    """An ISO time (checked by SongRecord) as UTC with microseconds, so text order is time order."""
    when = datetime.fromisoformat(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _song_from_row(row: dict) -> dict:
    song = dict(row)
    for column in JSON_COLUMNS:
        if song.get(column) is not None:
            song[column] = json.loads(song[column])
    return song
