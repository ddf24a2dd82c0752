"""Feedback store, ratings: round trips, history on re-rating, validation, aggregates, export."""

from __future__ import annotations

import csv
import io
import json
import math
import random
import statistics

import pytest

from songgen_core import store as store_module
from songgen_core.store import feedback as feedback_module
from songgen_core.errors import InvalidRequestError
from songgen_core.store import FeedbackStore, StoreError, UnknownSongError, summarize, t_quantile_975
from song_records import song_record

# Student t 0.975 quantiles from published tables.
T_975 = {1: 12.7062, 2: 4.3027, 3: 3.1824, 4: 2.7764, 5: 2.5706, 6: 2.4469, 7: 2.3646, 8: 2.3060, 9: 2.2622,
         10: 2.2281, 11: 2.2010, 12: 2.1788, 13: 2.1604, 14: 2.1448, 15: 2.1314, 16: 2.1199, 17: 2.1098,
         18: 2.1009, 19: 2.0930, 20: 2.0860, 21: 2.0796, 22: 2.0739, 23: 2.0687, 24: 2.0639, 25: 2.0595,
         26: 2.0555, 27: 2.0518, 28: 2.0484, 29: 2.0452, 30: 2.0423, 40: 2.0211, 60: 2.0003, 120: 1.9799}


@pytest.fixture
def store(tmp_path):
    return FeedbackStore(tmp_path / "feedback.db")


@pytest.fixture
def song(store):
    return store.add_song(song_record(lyrics="la la"))


def test_round_trip(store, song):
    first = store.add_rating(song, "lyrics", 4, "  catchy chorus\nweak bridge  ")
    second = store.add_rating(song, "music", 2)
    assert second > first
    lyrics, music = store.ratings_for(song)
    assert lyrics == {"id": first, "song_id": song, "target": "lyrics", "score": 4,
                      "comment": "catchy chorus\nweak bridge", "created_at": lyrics["created_at"]}
    assert (music["target"], music["score"], music["comment"]) == ("music", 2, "")
    assert lyrics["created_at"] <= music["created_at"]
    assert store.ratings_for(song, "music") == [music]
    assert store.add_rating(song, "music", 5, None) > second


def test_rerating_keeps_history(store, song):
    ids = [store.add_rating(song, "lyrics", score) for score in (2, 5, 3)]
    store.add_rating(song, "music", 4)
    assert [r["score"] for r in store.ratings_for(song, "lyrics")] == [2, 5, 3]
    assert [r["id"] for r in store.ratings_for(song, "lyrics")] == ids
    current = store.latest_ratings(song_id=song)
    assert {(r["target"], r["score"]) for r in current} == {("lyrics", 3), ("music", 4)}
    assert [r["score"] for r in store.latest_ratings(target="lyrics")] == [3]
    got = store.get_song(song)
    assert (got["lyrics_rating"], got["music_rating"], got["rating"], got["ratings_count"]) == (3, 4, 3.5, 4)
    assert store.counts()["ratings"] == 4


def test_latest_breaks_time_ties_by_id(store, song, monkeypatch):
    monkeypatch.setattr(feedback_module, "_now", lambda: "2026-01-01T00:00:00.000000+00:00")
    store.add_rating(song, "lyrics", 1)
    last = store.add_rating(song, "lyrics", 5)
    [current] = store.latest_ratings(song_id=song)
    assert (current["id"], current["score"]) == (last, 5)


@pytest.mark.parametrize("target, score, comment, field", [
    ("video", 3, "", "target"),
    (None, 3, "", "target"),
    ("lyrics", 0, "", "score"),
    ("lyrics", 6, "", "score"),
    ("lyrics", 3.5, "", "score"),
    ("lyrics", "3", "", "score"),
    ("lyrics", True, "", "score"),
    ("music", 3, "x" * 2001, "comment"),
    ("music", 3, "bad\x00byte", "comment"),
    ("music", 3, "escape \x1b[31m", "comment"),
    ("music", 3, 42, "comment"),
])
def test_invalid_ratings_are_refused(store, song, target, score, comment, field):
    with pytest.raises(InvalidRequestError) as caught:
        store.add_rating(song, target, score, comment)
    assert caught.value.field == field
    assert store.counts()["ratings"] == 0


def test_longest_comment_is_accepted(store, song):
    rating_id = store.add_rating(song, "music", 3, "é" * 2000)
    assert store.ratings_for(song)[0]["id"] == rating_id
    assert store.ratings_for(song)[0]["comment"] == "é" * 2000


def test_unknown_song_is_refused(store):
    with pytest.raises(UnknownSongError) as caught:
        store.add_rating("0" * 32, "lyrics", 3)
    assert isinstance(caught.value, StoreError)
    with pytest.raises(StoreError):
        store.ratings_for("0" * 32)
    assert store.counts()["ratings"] == 0


def test_latest_ratings_rejects_bad_target(store):
    with pytest.raises(InvalidRequestError):
        store.latest_ratings(target="video")
    with pytest.raises(InvalidRequestError):
        store.ratings_for("x", target="video")


def _ci(scores):
    n = len(scores)
    mean = sum(scores) / n
    if n < 2:
        return n, mean, None, None
    sd = math.sqrt(sum((s - mean) ** 2 for s in scores) / (n - 1))
    half = T_975[n - 1] * sd / math.sqrt(n)
    return n, mean, mean - half, mean + half


def test_aggregates_equal_a_direct_computation(store):
    rng = random.Random(4)
    groups = [("rock", "models/rock", "arranger"), ("pop", "models/pop", "musicgen"),
              ("rap", "models/pop", "arranger"), ("country", "models/country", "musicgen")]
    sizes = {"rock": 12, "pop": 6, "rap": 2, "country": 1}
    current = {}  # (song, target) -> latest score, with the song's group
    for genre, lyrics_model, backend in groups:
        for _ in range(sizes[genre]):
            song = store.add_song(song_record(genre, lyrics_model=lyrics_model, backend=backend))
            for target in ("lyrics", "music"):
                for _ in range(rng.randint(0 if target == "music" else 1, 3)):  # re-ratings: only the last counts
                    score = rng.randint(1, 5)
                    store.add_rating(song, target, score)
                    current[song, target] = (score, {"genre": genre, "lyrics_model": lyrics_model,
                                                     "music_backend": backend})
    hidden = store.list_songs(genre="rock")[0]["id"]
    store.delete_song(hidden, keep_ratings=True)  # kept ratings still count

    for by in ("genre", "lyrics_model", "music_backend"):
        for target in ("lyrics", "music"):
            expected = {}
            for (song, song_target), (score, keys) in current.items():
                if song_target == target:
                    expected.setdefault(keys[by], []).append(score)
            rows = store.aggregates(by, target)
            assert {row[by] for row in rows} == set(expected)
            assert [row["count"] for row in rows] == sorted((row["count"] for row in rows), reverse=True)
            for row in rows:
                n, mean, low, high = _ci(expected[row[by]])
                assert row["count"] == n
                assert row["mean"] == pytest.approx(mean)
                if n < 2:
                    assert row["ci_low"] is row["ci_high"] is row["stdev"] is None
                else:
                    assert row["stdev"] == pytest.approx(statistics.stdev(expected[row[by]]))
                    assert row["ci_low"] == pytest.approx(low, abs=1e-3)
                    assert row["ci_high"] == pytest.approx(high, abs=1e-3)
                    assert row["ci_low"] <= row["mean"] <= row["ci_high"]


def test_aggregates_edge_cases(store):
    assert store.aggregates("genre", "lyrics") == []
    song = store.add_song(song_record("pop"))
    store.add_rating(song, "lyrics", 4)
    assert store.aggregates("genre", "lyrics") == [
        {"genre": "pop", "count": 1, "mean": 4.0, "stdev": None, "ci_low": None, "ci_high": None}]
    assert summarize([3, 3, 3]) == {"count": 3, "mean": 3.0, "stdev": 0.0, "ci_low": 3.0, "ci_high": 3.0}
    assert summarize([])["count"] == 0
    with pytest.raises(InvalidRequestError) as caught:
        store.aggregates("title", "lyrics")
    assert caught.value.field == "by"
    with pytest.raises(InvalidRequestError) as caught:
        store.aggregates("genre", "both")
    assert caught.value.field == "target"


def test_t_quantiles_match_tables():
    for df, value in T_975.items():
        assert t_quantile_975(df) == pytest.approx(value, abs=6e-5)
    assert t_quantile_975(1) == pytest.approx(12.706204736, abs=1e-8)
    assert t_quantile_975(1000) == pytest.approx(1.962339, abs=1e-6)
    assert t_quantile_975(1001) < t_quantile_975(1000)
    assert t_quantile_975(10 ** 7) == pytest.approx(1.959964, abs=1e-6)


def _history(store):
    return [r for song in store.list_songs(include_deleted=True) for r in store.ratings_for(song["id"])]


def _filled(store):
    a = store.add_song(song_record("rock", title='He said "hi", then left'))
    b = store.add_song(song_record("pop", title="Ünïcødé ✓"))
    store.add_rating(a, "lyrics", 4, 'commas, "quotes"\nand a second line')
    store.add_rating(a, "lyrics", 2)
    store.add_rating(b, "music", 5, "ünïcødé ✓")
    store.delete_song(b, keep_ratings=True)
    return a, b


def test_export_csv_parses_back(store):
    a, b = _filled(store)
    text = store.export_ratings("csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(store_module.EXPORT_COLUMNS)
    history = sorted(_history(store), key=lambda r: r["id"])
    assert [(int(r["id"]), r["song_id"], r["target"], int(r["score"]), r["comment"], r["created_at"])
            for r in rows] == [(r["id"], r["song_id"], r["target"], r["score"], r["comment"], r["created_at"])
                               for r in history]
    assert rows[0]["title"] == 'He said "hi", then left'
    assert rows[0]["genre"] == "rock" and rows[0]["lyrics_model"] == "models/lyrics-rock"
    assert rows[2]["song_id"] == b and rows[2]["song_deleted_at"] != ""
    assert rows[0]["song_deleted_at"] == ""


def test_export_json_parses_back(store):
    _filled(store)
    rows = json.loads(store.export_ratings("json"))
    history = sorted(_history(store), key=lambda r: r["id"])
    assert [{k: r[k] for k in ("id", "song_id", "target", "score", "comment", "created_at")} for r in rows] == history
    assert set(rows[0]) == set(store_module.EXPORT_COLUMNS)
    assert rows[2]["title"] == "Ünïcødé ✓" and rows[2]["song_deleted_at"] is not None


def test_export_empty_and_bad_format(store):
    assert store.export_ratings("csv").splitlines() == [",".join(store_module.EXPORT_COLUMNS)]
    assert json.loads(store.export_ratings("json")) == []
    with pytest.raises(InvalidRequestError) as caught:
        store.export_ratings("xlsx")
    assert caught.value.field == "fmt"
