"""Feedback store, concurrency: many writers at once lose nothing and never see 'database is locked'."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from songgen_core.store import FeedbackStore
from song_records import song_record

WRITERS, PER_WRITER = 16, 200


def _run_threads(count, work):
    """Start `count` threads on `work(i)` at the same moment; return (seconds, errors)."""
    barrier, errors = threading.Barrier(count), []

    def run(i):
        barrier.wait()
        try:
            work(i)
        except Exception as e:  # noqa: BLE001 - collected for the assert
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, errors


def test_16_writers_lose_nothing(tmp_path):
    """16 threads, each with its own FeedbackStore, write 200 ratings each at once."""
    path = tmp_path / "feedback.db"
    songs = [FeedbackStore(path).add_song(song_record()) for _ in range(4)]

    def write(i):
        store = FeedbackStore(path)
        for k in range(PER_WRITER):
            store.add_rating(songs[k % len(songs)], ("lyrics", "music")[k % 2], 1 + (i + k) % 5, f"{i}/{k}")

    seconds, errors = _run_threads(WRITERS, write)
    print(f"\n{WRITERS} writers x {PER_WRITER} ratings: {seconds:.1f} s, {WRITERS * PER_WRITER / seconds:.0f} writes/s")
    assert errors == []
    store = FeedbackStore(path)
    assert store.counts()["ratings"] == WRITERS * PER_WRITER
    rows = [r for song in songs for r in store.ratings_for(song)]
    assert Counter(r["comment"] for r in rows) == Counter(f"{i}/{k}" for i in range(WRITERS) for k in range(PER_WRITER))
    assert len({r["id"] for r in rows}) == WRITERS * PER_WRITER
    assert seconds < 60


def test_readers_and_writers_together(tmp_path):
    """Pages read (lists, aggregates, exports) while others rate and add songs."""
    path = tmp_path / "feedback.db"
    song = FeedbackStore(path).add_song(song_record())
    shared = FeedbackStore(path)  # one instance used by several threads, as a cached Streamlit resource

    def work(i):
        if i % 2:
            for k in range(25):
                shared.add_rating(song, "lyrics", 1 + k % 5)
                if k % 10 == 0:
                    shared.add_song(song_record("pop"))
        else:
            reader = FeedbackStore(path)
            for _ in range(25):
                reader.list_songs(min_rating=1, unrated_first=True)
                reader.aggregates("genre", "lyrics")
                reader.export_ratings("csv")

    seconds, errors = _run_threads(6, work)
    assert errors == []
    assert FeedbackStore(path).counts() == {"songs": 1 + 3 * 3, "ratings": 3 * 25, "deleted_songs": 0}


@pytest.mark.parametrize("keep_ratings", [True, False])
def test_delete_while_rating(tmp_path, keep_ratings):
    """A rating racing a delete either lands before it or is refused: none is half-written."""
    path = tmp_path / "feedback.db"
    store = FeedbackStore(path)
    song = store.add_song(song_record())
    accepted = []

    def work(i):
        if i == 0:
            time.sleep(0.02)
            store.delete_song(song, keep_ratings=keep_ratings)
            return
        for _ in range(40):
            try:
                accepted.append(store.add_rating(song, "music", 3))
            except Exception as e:  # noqa: BLE001
                if "deleted" not in str(e) and "no song" not in str(e):
                    raise

    _, errors = _run_threads(3, work)
    assert errors == []
    assert store.counts()["ratings"] == (len(accepted) if keep_ratings else 0)
