"""Feedback store, votes (issue 12): blind A/B votes are stored once each, checked, exported,
kept safe under 16 threads, and refused with a clear message for a deleted song or two genres."""

from __future__ import annotations

import csv
import io
import json
import threading

import pytest

from songgen_core.errors import InvalidRequestError, StoreError, UnknownSongError
from songgen_core.store import DuplicateVoteError, FeedbackStore, VoteRecord
from song_records import song_record


@pytest.fixture
def store(tmp_path):
    return FeedbackStore(tmp_path / "feedback.db")


def vote(a, b, outcome="a", aspect="lyrics", voter="voter-0001", pair="p1", systems=("rock-gemma", "rock-free"), **more):
    return VoteRecord(pair_id=pair, aspect=aspect, song_a=a, song_b=b, system_a=systems[0], system_b=systems[1],
                      outcome=outcome, voter=voter, **more)


def test_a_vote_is_stored_with_its_genre_times_and_listening(store):
    a, b = store.add_song(song_record()), store.add_song(song_record())
    vote_id = store.votes.add(vote(a, b, "b", "music", listened_a_s=12.5, listened_b_s=30.0, comment="B grooves",
                                   shown_at="2026-12-02T00:00:00+00:00"))
    [row] = store.votes.list()
    assert row["id"] == vote_id and row["genre"] == "rock" and row["outcome"] == "b" and row["aspect"] == "music"
    assert (row["song_a"], row["song_b"], row["check_pair"]) == (a, b, 0)
    assert (row["listened_a_s"], row["listened_b_s"], row["comment"]) == (12.5, 30.0, "B grooves")
    assert row["created_at"] > row["shown_at"]
    assert store.votes.for_pair("p1", "voter-0001") == {"music": row}
    assert store.votes.list(genre="pop") == [] and store.votes.count() == 1


def test_one_vote_per_voter_pair_and_aspect(store):
    a, b = store.add_song(song_record()), store.add_song(song_record())
    store.votes.add(vote(a, b, "a"))
    with pytest.raises(DuplicateVoteError, match="already voted"):
        store.votes.add(vote(a, b, "b"))
    store.votes.add(vote(a, b, "b", aspect="music"))
    store.votes.add(vote(a, b, "tie", voter="voter-0002"))
    assert [r["outcome"] for r in store.votes.list()] == ["a", "b", "tie"]


def test_bad_votes_are_refused_and_nothing_is_lost(store):
    a, b = store.add_song(song_record()), store.add_song(song_record())
    pop = store.add_song(song_record("pop"))
    store.votes.add(vote(a, b))
    with pytest.raises(InvalidRequestError, match="one genre"):
        store.votes.add(vote(a, pop, pair="p2"))
    with pytest.raises(UnknownSongError):
        store.votes.add(vote(a, "f" * 32, pair="p3"))
    store.delete_song(b, keep_ratings=True)  # deleted meanwhile
    with pytest.raises(StoreError, match="deleted meanwhile"):
        store.votes.add(vote(a, b, aspect="music"))
    for bad in ({"outcome": "c"}, {"aspect": "video"}, {"voter": "1.2.3.4"}, {"listened_a_s": -1}):
        with pytest.raises(InvalidRequestError):
            vote(a, b, **bad)
    with pytest.raises(InvalidRequestError, match="one system"):
        vote(a, a)
    assert store.votes.count() == 1


def test_removing_a_song_with_its_ratings_removes_its_votes_and_keeps_the_others(store):
    a, b, c = (store.add_song(song_record()) for _ in range(3))
    store.votes.add(vote(a, b))
    store.votes.add(vote(b, c, pair="p2"))
    store.delete_song(a, keep_ratings=False)
    assert [r["pair_id"] for r in store.votes.list()] == ["p2"]


def test_voter_checks_flag_a_voter_who_prefers_a_side(store):
    a, b = store.add_song(song_record()), store.add_song(song_record())
    store.votes.add(vote(a, a, "tie", pair="check1", voter="honest-01", systems=("rock-gemma", "rock-gemma")))
    store.votes.add(vote(b, b, "a", pair="check2", voter="careless-01", systems=("rock-free", "rock-free")))
    assert [r["check_pair"] for r in store.votes.list()] == [1, 1]
    assert store.votes.flagged_voters() == {"careless-01"}


def test_export_as_csv_and_json(store):
    a, b = store.add_song(song_record()), store.add_song(song_record())
    store.votes.add(vote(a, b, "both_bad", comment="tabs\tand, commas"))
    [row] = list(csv.DictReader(io.StringIO(store.votes.export("csv"))))
    assert row["outcome"] == "both_bad" and row["comment"] == "tabs\tand, commas" and row["system_b"] == "rock-free"
    assert json.loads(store.votes.export("json"))[0]["song_a"] == a
    with pytest.raises(InvalidRequestError):
        store.votes.export("xml")


def test_16_threads_casting_votes_lose_none(tmp_path):
    path = tmp_path / "feedback.db"
    songs = [FeedbackStore(path).add_song(song_record()) for _ in range(4)]
    errors, barrier = [], threading.Barrier(16)

    def cast(i):
        store = FeedbackStore(path)
        barrier.wait()
        try:
            for k in range(25):
                store.votes.add(vote(songs[k % 4], songs[(k + 1) % 4], "ab"[k % 2], voter=f"voter-{i:04d}", pair=f"p{k}"))
        except Exception as error:  # noqa: BLE001 -- collected for the assert
            errors.append(error)

    threads = [threading.Thread(target=cast, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert FeedbackStore(path).votes.count() == 16 * 25
