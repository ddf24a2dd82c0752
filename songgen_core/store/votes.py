"""Blind A/B votes (the Compare page): which of two songs was better, per aspect.

A vote names its pair (`pair_id`), both songs (`song_a` shown on the left as A, `song_b` on
the right), the systems that made them, the aspect ("lyrics" or "music"), the outcome ("a",
"b", "tie", "both_bad"), a pseudonymous voter id (a random id kept in the browser session,
never an address), how long each clip was listened to (None where the browser did not say),
a comment, and when the pair was shown and the vote cast. A voter votes once per pair and
aspect. A voter check shows one song twice: a voter who prefers one side of it is flagged
(`flagged_voters`); their votes stay stored and can be left out of the leaderboard.

Votes are never updated; removing a song with its ratings (`delete_song(keep_ratings=False)`)
removes the votes on it too, in the same transaction.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from ..errors import InvalidRequestError, StoreError, UnknownSongError
from ..text import check_text
from .connection import Database
from .export import FORMATS, rows_as_text

ASPECTS = ("lyrics", "music")
OUTCOMES = ("a", "b", "tie", "both_bad")
VOTER_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_VOTE_COMMENT_CHARS = 2000
VOTE_COLUMNS = ("id", "pair_id", "genre", "aspect", "song_a", "song_b", "system_a", "system_b", "outcome", "voter",
                "listened_a_s", "listened_b_s", "comment", "check_pair", "shown_at", "created_at")


class DuplicateVoteError(StoreError):
    """This voter has already voted on this pair for this aspect."""


@dataclass(frozen=True)
class VoteRecord:
    """One vote as the Compare page casts it. Raises `InvalidRequestError` naming the field."""

    pair_id: str
    aspect: str
    song_a: str
    song_b: str
    system_a: str
    system_b: str
    outcome: str
    voter: str
    listened_a_s: float | None = None
    listened_b_s: float | None = None
    comment: str = ""
    shown_at: str | None = None

    def __post_init__(self):
        if self.aspect not in ASPECTS:
            raise InvalidRequestError("aspect", f"must be one of: {', '.join(ASPECTS)}")
        if self.outcome not in OUTCOMES:
            raise InvalidRequestError("outcome", f"must be one of: {', '.join(OUTCOMES)}")
        if not isinstance(self.voter, str) or not VOTER_ID.match(self.voter):
            raise InvalidRequestError("voter", "must be a pseudonymous id of 8-64 letters, digits, '-' or '_'")
        for name in ("pair_id", "song_a", "song_b", "system_a", "system_b"):
            check_text(name, getattr(self, name), max_chars=120)
        for name in ("listened_a_s", "listened_b_s"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not 0 <= value < 1e6):
                raise InvalidRequestError(name, "must be a number of seconds, 0 or more, or None")
        object.__setattr__(self, "comment", check_text("comment", self.comment or "", max_chars=MAX_VOTE_COMMENT_CHARS,
                                                        allow_newlines=True, required=False))
        if self.song_a == self.song_b and self.system_a != self.system_b:
            raise InvalidRequestError("system_b", "one song shown twice has one system")


class Votes:
    """The votes table of a feedback database (reach it as `FeedbackStore.votes`)."""

    def __init__(self, database: Database):
        self._database = database

    def add(self, vote: VoteRecord) -> int:
        """Store a vote; return its id.

        Raises `InvalidRequestError` if `vote` is not a `VoteRecord` or its songs are of two
        different genres; `UnknownSongError` for a song that does not exist; `StoreError` for
        a song deleted meanwhile; `DuplicateVoteError` when this voter already voted on this
        pair and aspect; `StoreError` if the database fails. A refused vote stores nothing.
        """
        if not isinstance(vote, VoteRecord):
            raise InvalidRequestError("vote", "must be a VoteRecord")
        with self._database.write() as db:
            songs = {row["id"]: row for row in db.query(
                "SELECT id, genre, deleted_at FROM songs WHERE id IN (?, ?)", [vote.song_a, vote.song_b])}
            for song_id in (vote.song_a, vote.song_b):
                if song_id not in songs:
                    raise UnknownSongError(song_id)
                if songs[song_id]["deleted_at"] is not None:
                    raise StoreError(f"song {song_id!r} was deleted meanwhile; the vote was not stored")
            genres = {row["genre"] for row in songs.values()}
            if len(genres) != 1:
                raise InvalidRequestError("song_b", f"a pair is two songs of one genre, not {' and '.join(sorted(genres))}")
            row = {**asdict(vote), "genre": genres.pop(), "check_pair": int(vote.song_a == vote.song_b),
                   "created_at": datetime.now(timezone.utc).isoformat(timespec="microseconds")}
            table = db["votes"]
            try:
                table.insert(row)
            except sqlite3.IntegrityError as error:
                if "votes.pair_id" in str(error) or "UNIQUE" in str(error):
                    raise DuplicateVoteError(f"this voter has already voted on the {vote.aspect} of this pair") from None
                raise
            return table.last_rowid

    def list(self, genre: str | None = None, aspect: str | None = None, voter: str | None = None) -> list[dict]:
        """Votes, oldest first, optionally of one genre, aspect or voter. Raises `StoreError`."""
        given = [(column, value) for column, value in (("genre", genre), ("aspect", aspect), ("voter", voter))
                 if value is not None]
        sql = f"SELECT {', '.join(VOTE_COLUMNS)} FROM votes"
        if given:
            sql += " WHERE " + " AND ".join(f"{column} = ?" for column, _ in given)
        with self._database.read() as db:
            return list(db.query(sql + " ORDER BY id", [value for _, value in given]))

    def for_pair(self, pair_id: str, voter: str) -> dict[str, dict]:
        """This voter's votes on a pair, by aspect. Raises `StoreError`."""
        with self._database.read() as db:
            rows = db.query(f"SELECT {', '.join(VOTE_COLUMNS)} FROM votes WHERE pair_id = ? AND voter = ?",
                            [pair_id, voter])
            return {row["aspect"]: row for row in rows}

    def flagged_voters(self) -> set[str]:
        """Voters who preferred one side of a voter check (one song shown twice)."""
        with self._database.read() as db:
            return {row["voter"] for row in db.query(
                "SELECT DISTINCT voter FROM votes WHERE check_pair = 1 AND outcome IN ('a', 'b')")}

    def system_names(self) -> set[str]:
        """Every system name a stored vote has on either side."""
        with self._database.read() as db:
            return {row["name"] for row in db.query(
                "SELECT system_a AS name FROM votes UNION SELECT system_b FROM votes")}

    def count(self) -> int:
        with self._database.read() as db:
            return next(db.query("SELECT count(*) AS n FROM votes"))["n"]

    def export(self, fmt: str = "csv") -> str:
        """Every vote, oldest first, as CSV (with a header) or a JSON list. Raises
        `InvalidRequestError` for another `fmt`, `StoreError` if the database fails."""
        if fmt not in FORMATS:
            raise InvalidRequestError("fmt", "must be 'csv' or 'json'")
        return rows_as_text(self.list(), VOTE_COLUMNS, fmt)
