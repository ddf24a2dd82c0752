"""The Rate page (AppTest): unrated first, stars 1-5 written to the store, history, aggregates, export."""

from __future__ import annotations

import pytest

from studio_app import button, make_song, make_studio, open_page, shown

PAGE = "pages/2_Rate.py"


@pytest.fixture
def studio(tmp_path, monkeypatch, tiny_lyrics_dir):
    return make_studio(tmp_path, monkeypatch, tiny_lyrics_dir)


def test_rating_writes_rows_and_keeps_history(studio):
    unrated = make_song(studio, "Unrated <i>Song</i>", genre="pop", seed=1)
    rated = make_song(studio, "Rated Song", seed=2)  # newer, but rated: listed after the unrated one
    studio.store.add_rating(rated, "lyrics", 2)
    studio.store.add_rating(rated, "music", 3)

    at = open_page(PAGE)
    picker = at.selectbox(key="rate_song")
    assert picker.options[0].startswith("Unrated <i>Song</i> · pop") and picker.value == unrated
    assert shown(at.subheader[0].value) == "Unrated <i>Song</i>"
    assert at.code[0].value == studio.store.get_song(unrated)["lyrics"]
    assert len(at.get("audio")) == 1 and len(at.get("download_button")) == 6  # 4 song files + 2 exports

    # Nothing chosen: a hint, no row.
    at = button(at, "Save rating").click().run()
    assert at.warning and studio.store.counts()["ratings"] == 2

    at.feedback(key=f"rate_lyrics_{unrated}").set_value(3)  # the fourth star
    at.feedback(key=f"rate_music_{unrated}").set_value(4)
    at.text_area(key=f"rate_comment_{unrated}").set_value("catchy <b>chorus</b>")
    at = button(at, "Save rating").click().run()
    assert not at.exception and not at.error and at.success
    rows = studio.store.ratings_for(unrated)
    assert [(r["target"], r["score"], r["comment"]) for r in rows] == [
        ("lyrics", 4, "catchy <b>chorus</b>"), ("music", 5, "catchy <b>chorus</b>")]

    # Re-rating adds a row; the latest counts.
    at.feedback(key=f"rate_lyrics_{unrated}").set_value(0)
    at = button(at, "Save rating").click().run()
    assert [r["score"] for r in studio.store.ratings_for(unrated, "lyrics")] == [4, 1]
    song = studio.store.get_song(unrated)
    assert (song["lyrics_rating"], song["music_rating"], song["ratings_count"]) == (1, 5, 3)
    history = at.dataframe[0].value
    assert list(history["score"]) == [4, 5, 1] and "catchy <b>chorus</b>" in list(history["comment"])


def test_aggregates_and_export(studio):
    songs = [make_song(studio, f"Song {i}", genre=genre, seed=i) for i, genre in enumerate(["rock", "rock", "pop"])]
    for song, score in zip(songs, (4, 2, 5)):
        studio.store.add_rating(song, "lyrics", score)
    studio.store.add_rating(songs[0], "music", 3)

    at = open_page(PAGE)
    assert not at.exception
    charts = at.get("vega_lite_chart")
    assert len(charts) == 6  # lyrics and music, per genre, per lyrics model, per music backend
    genre_table = at.dataframe[1].value  # after the rated song's own history
    rock = genre_table[genre_table["group"] == "rock"].iloc[0]
    assert (rock["count"], rock["mean"]) == (2, 3.0) and rock["ci_low"] < 3.0 < rock["ci_high"]
    assert {d.label for d in at.get("download_button")} >= {"All ratings as CSV", "All ratings as JSON"}


def test_no_songs_yet(studio):
    at = open_page(PAGE)
    assert not at.exception and at.info and not at.get("vega_lite_chart")
