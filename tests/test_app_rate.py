"""The Rate page (AppTest): unrated first, stars 1-5 written to the store, history, aggregates, export."""

from __future__ import annotations

import json

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


def test_a_rating_is_stored_against_the_song_shown_and_the_page_stays_on_it(studio):
    """Issue 9, item 1: the second of two unrated songs, rated three times in a row. Before,
    the third save stored nothing and the page jumped to another song (the picker's label
    changed with the rating, and Streamlit dropped the selection)."""
    newest = make_song(studio, "Newest", seed=1)
    older = make_song(studio, "Older", seed=2)
    at = open_page(PAGE)
    assert at.selectbox(key="rate_song").value == older  # created last: newest first
    second = newest
    at.selectbox(key="rate_song").set_value(second).run()
    assert shown(at.subheader[0].value) == "Newest"

    steps = [({"lyrics": 1, "music": 1}, "Saved: lyrics 2/5, music 2/5"), ({"lyrics": 4}, "Saved: lyrics 5/5"),
             ({"lyrics": 3}, "Saved: lyrics 4/5")]
    for stars, message in steps:
        for target, value in stars.items():
            at.feedback(key=f"rate_{target}_{second}").set_value(value)
        at = button(at, "Save rating").click().run()
        assert not at.exception and [shown(s.value) for s in at.success] == [message]
        assert shown(at.subheader[0].value) == "Newest"  # still the song rated
        assert at.selectbox(key="rate_song").value == second
    assert [(r["target"], r["score"]) for r in studio.store.ratings_for(second)] == [
        ("lyrics", 2), ("music", 2), ("lyrics", 5), ("lyrics", 4)]
    assert studio.store.ratings_for(older) == []
    # The form shows the current stars, and the picker's label the current rating.
    assert at.feedback(key=f"rate_lyrics_{second}").value == 3 and at.feedback(key=f"rate_music_{second}").value == 1
    label = next(option for option in at.selectbox(key="rate_song").options if option.startswith("Newest"))
    assert "lyrics 4★, music 2★" in label

    # Saving the same stars again stores nothing and says so; "Next unrated" moves on.
    at = button(at, "Save rating").click().run()
    assert [shown(w.value) for w in at.warning] == ["Nothing changed: these are already your ratings."]
    assert len(studio.store.ratings_for(second)) == 4
    at = button(at, "Next unrated").click().run()
    assert shown(at.subheader[0].value) == "Older" and at.selectbox(key="rate_song").value == older


def test_twenty_saves_in_a_row_store_forty_ratings_of_one_song(studio):
    songs = [make_song(studio, f"Song {i}", seed=i) for i in range(3)]
    at = open_page(PAGE)
    song_id = at.selectbox(key="rate_song").value
    for i in range(20):
        at.feedback(key=f"rate_lyrics_{song_id}").set_value(i % 5)
        at.feedback(key=f"rate_music_{song_id}").set_value((i + 2) % 5)
        at = button(at, "Save rating").click().run()
        assert not at.exception and at.selectbox(key="rate_song").value == song_id
    assert len(studio.store.ratings_for(song_id)) == 40
    assert all(studio.store.ratings_for(other) == [] for other in songs if other != song_id)


def test_intervals_stay_on_the_scale_and_small_groups_show_none(studio):
    """Issue 9, item 6: two different ratings gave an interval of -9.7 to 15.7 drawn over the labels."""
    rock = [make_song(studio, f"Rock {i}", genre="rock", seed=i) for i in range(3)]
    pop = [make_song(studio, f"Pop {i}", genre="pop", seed=10 + i) for i in range(2)]
    for song, score in zip(rock + pop, (1, 5, 5, 1, 5)):
        studio.store.add_rating(song, "lyrics", score)
    at = open_page(PAGE)
    assert not at.exception
    table = at.dataframe[1].value  # after the shown song's own history
    by_group = table.set_index("group")
    assert by_group.loc["rock", "interval"] == "1.00-5.00"  # mean ± 5.7, clipped to the scale
    assert by_group.loc["pop", "interval"].startswith("too few")
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    scales = [layer["encoding"]["x"].get("scale") for layer in spec["layer"] if "scale" in layer["encoding"]["x"]]
    assert scales and all(scale["domain"] == [1, 5] for scale in scales)
    axes = [layer["encoding"]["x"]["axis"] for layer in spec["layer"] if "axis" in layer["encoding"]["x"]]
    assert axes and all(axis["values"] == [1, 2, 3, 4, 5] for axis in axes)
    assert spec["layer"][0]["encoding"]["y"]["axis"]["labelLimit"] == 0
