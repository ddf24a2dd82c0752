"""Connections to the feedback database, one per operation.

No connection is kept: every operation opens its own (Streamlit reruns run on other
threads), with `foreign_keys=ON`, a 30 s busy timeout and the WAL journal (persisted in the
file), and closes it. So one `Database` may be shared by threads, and many (or processes)
may write the same file at once. Every write runs in one `BEGIN IMMEDIATE` transaction: it
takes the write lock up front, so a writer waits for another (up to the busy timeout)
instead of failing with "database is locked" when a read has to become a write.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterator

import sqlite_utils

from ..errors import StoreError
from .schema import check_is_ours, migrate

BUSY_TIMEOUT_S = 30


class Database:
    """The feedback database file at `path`: created, checked and migrated on first use."""

    def __init__(self, path: Path):
        self.path = path
        self._ready = False
        self._ready_lock = threading.Lock()

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite_utils.Database]:
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
    def write(self) -> Iterator[sqlite_utils.Database]:
        """`read()` inside one BEGIN IMMEDIATE transaction: committed, or rolled back on any error."""
        with self.read() as db:
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
                check_is_ours(db, self.path)
                migrate(db)
            except sqlite3.Error as e:
                raise StoreError(f"cannot prepare the feedback database {self.path}: {e}") from e
            finally:
                db.close()
            self._ready = True
