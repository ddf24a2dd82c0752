"""`python -m training preferences` (issue 12, part 5): DPO pairs from lyrics votes and KTO takes
from star ratings, read from a feedback.db that also holds ties, voter checks, flagged voters,
deleted songs, songs without lyrics and another genre; saved as datasets and parquet."""

from __future__ import annotations

import pytest

from songgen_core.store import FeedbackStore, VoteRecord
from song_records import song_record
from training.__main__ import main
from training.errors import PreferenceDataError
from training.preferences import load_preferences
from training.store_preferences import preferences_from_store

OPENING = "Driving down the highway"


def song(store, lyrics, genre="rock"):
    return store.add_song(song_record(genre, opening_line=OPENING, lyrics=lyrics))


def vote(store, a, b, outcome, pair, voter="steady-voter", aspect="lyrics"):
    store.votes.add(VoteRecord(pair, aspect, a, b, "rock-x" if a != b else "rock-y", "rock-y", outcome, voter))


@pytest.fixture
def store(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.db")
    good = song(store, f"[Verse 1]\n{OPENING}\nwith the radio on\n\n[Chorus]\nNight Drive, night drive")
    plain = song(store, f"{OPENING}\nla la la")
    other = song(store, f"{OPENING}\nstatic and rain")
    gone = song(store, f"{OPENING}\ngone now")
    empty = song(store, " ")
    pop = song(store, f"{OPENING}\npop song", genre="pop")
    vote(store, good, plain, "a", "p1")                     # a pair: good over plain
    vote(store, plain, other, "b", "p2")                    # a pair: other over plain
    vote(store, good, other, "tie", "p3")                   # a tie: no pair
    vote(store, good, plain, "b", "p1", aspect="music")     # music: not lyrics
    vote(store, other, other, "a", "c1", voter="careless-voter")  # a failed voter check...
    vote(store, plain, good, "a", "p4", voter="careless-voter")  # ...so this voter's votes are left out
    vote(store, gone, good, "b", "p5")                      # then the song is deleted
    for song_id, score in ((good, 5), (plain, 1), (other, 3), (gone, 5), (empty, 4), (pop, 5)):
        store.add_rating(song_id, "lyrics", score)
    store.add_rating(plain, "music", 5)
    store.delete_song(gone, keep_ratings=True)
    return store, good, plain, other


def test_pairs_from_votes_and_takes_from_stars_with_the_left_out_counted(store):
    store, good, plain, other = store
    found = preferences_from_store(store, "rock")
    assert [(p.chosen.splitlines()[1], p.rejected.splitlines()[1]) for p in found.pairs] == [
        ("with the radio on", "la la la"), ("static and rain", "la la la")]
    first = found.pairs[0]
    assert first.chosen.startswith(OPENING)  # the structured take's "[Verse 1]" header dropped
    assert first.song.text().endswith(OPENING)  # the prompt the songs were asked with, up to the opening line
    assert first.song.completion(first.chosen) == "\nwith the radio on\n\n[Chorus]\nNight Drive, night drive"
    assert [(t.lyrics.splitlines()[1], t.label) for t in found.takes] == [("la la la", False), ("with the radio on", True)]
    assert found.left_out == {"vote: tie": 1, "vote: voter check": 1, "vote: flagged voter": 1, "vote: deleted song": 1,
                              "rating: 3 stars": 1, "rating: deleted song": 1, "rating: no lyrics": 1}


def test_the_command_saves_both_datasets_and_prints_the_counts(store, tmp_path, capsys):
    store, *_ = store
    out = tmp_path / "prefs"
    assert main(["preferences", "--genre", "rock", "--out", str(out), "--db", str(store.path)]) == 0
    printed = capsys.readouterr().out
    assert "pairs (compare votes): 2" in printed and "good takes (4-5 stars): 1" in printed
    dpo = load_preferences(out, "dpo", "rock")
    assert len(dpo) == 2 and set(dpo.column_names) >= {"prompt", "chosen", "rejected"}
    assert dpo[0]["prompt"].endswith(OPENING) and dpo[0]["chosen"].startswith("\nwith the radio on")
    kto = load_preferences(out, "kto", "rock")
    assert sorted(kto["label"]) == [False, False, False, True, True, True]  # 2 rated + both takes of 2 pairs
    assert (out / "dpo.parquet").is_file() and (out / "kto.parquet").is_file()


def test_an_empty_store_or_genre_is_a_clear_error(tmp_path, capsys):
    empty = FeedbackStore(tmp_path / "empty.db")
    with pytest.raises(PreferenceDataError, match="no rap songs"):
        preferences_from_store(empty, "rap")
    assert main(["preferences", "--genre", "rap", "--out", str(tmp_path / "x"), "--db", str(empty.path)]) == 2
    assert "no rap songs" in capsys.readouterr().err and not (tmp_path / "x").exists()
