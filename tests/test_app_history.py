"""The History page (AppTest): newest first, search and filters, replay, delete keeping or removing ratings."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio_app import button, errors_shown, make_song, make_studio, open_page, shown

PAGE = "pages/3_History.py"


@pytest.fixture
def studio(tmp_path, monkeypatch, tiny_lyrics_dir):
    return make_studio(tmp_path, monkeypatch, tiny_lyrics_dir)


@pytest.fixture
def songs(studio):
    ids = {
        "drive": make_song(studio, "Night Drive", genre="rock", seed=1, artist="The Rust Engines"),
        "neon": make_song(studio, "Neon Hearts", genre="pop", seed=2),
        "html": make_song(studio, "<script>alert(1)</script>", genre="pop", seed=3),
    }
    studio.store.add_rating(ids["neon"], "lyrics", 5)
    studio.store.add_rating(ids["neon"], "music", 4)
    studio.store.add_rating(ids["drive"], "lyrics", 2)
    return ids


def test_lists_newest_first_and_filters(studio, songs):
    at = open_page(PAGE)
    assert not at.exception
    picker = at.selectbox(key="history_song")
    assert picker.options[0].startswith("<script>alert(1)</script> · pop")  # plain text in a picker
    assert [option.split(" · ")[0] for option in picker.options] == ["<script>alert(1)</script>", "Neon Hearts", "Night Drive"]
    assert list(at.dataframe[0].value["title"]) == ["<script>alert(1)</script>", "Neon Hearts", "Night Drive"]
    assert len(at.get("audio")) == 1 and {d.label for d in at.get("download_button")} == {"MP3", "WAV", "MIDI", "Lyrics (text)"}

    at.text_input(key="history_search").set_value("night").run()
    assert list(at.dataframe[0].value["title"]) == ["Night Drive"]
    at.text_input(key="history_search").set_value("").run()

    at.selectbox(key="history_genre").set_value("pop").run()
    assert list(at.dataframe[0].value["title"]) == ["<script>alert(1)</script>", "Neon Hearts"]
    at.selectbox(key="history_rating").set_value(4).run()
    assert list(at.dataframe[0].value["title"]) == ["Neon Hearts"]
    at.selectbox(key="history_genre").set_value("(any)").run()
    at.selectbox(key="history_rating").set_value(1).run()
    assert list(at.dataframe[0].value["title"]) == ["Neon Hearts", "Night Drive"]

    at.selectbox(key="history_rating").set_value("(any)").run()
    model = studio.store.get_song(songs["drive"])["lyrics_model"]
    at.selectbox(key="history_model").set_value(model).run()
    assert len(at.dataframe[0].value) == 3
    at.selectbox(key="history_model").set_value("arranger").run()
    assert len(at.dataframe[0].value) == 3

    at.selectbox(key="history_model").set_value("(any)")
    at.text_input(key="history_search").set_value("x" * 501).run()
    assert not at.exception and any("at most 500" in error for error in errors_shown(at))


def test_delete_keeping_ratings_hides_the_song(studio, songs):
    at = open_page(PAGE)
    at.selectbox(key="history_song").set_value(songs["neon"]).run()
    at = button(at, "Delete this song…").click().run()
    assert at.radio(key="history_keep").value == "keep"
    at = button(at, "Cancel").click().run()
    assert studio.store.counts() == {"songs": 3, "ratings": 3, "deleted_songs": 0}

    at.selectbox(key="history_song").set_value(songs["neon"]).run()
    at = button(at, "Delete this song…").click().run()
    at = button(at, "Delete").click().run()
    assert not at.exception and at.success
    assert studio.store.counts() == {"songs": 2, "ratings": 3, "deleted_songs": 1}
    assert len(studio.store.ratings_for(songs["neon"])) == 2
    assert Path(studio.store.get_song(songs["neon"])["folder"]).is_dir()  # the rated audio stays
    assert songs["neon"] not in at.selectbox(key="history_song").options


def test_delete_removing_ratings_removes_everything(studio, songs):
    at = open_page(PAGE)
    folder = Path(studio.store.get_song(songs["drive"])["folder"])
    at.selectbox(key="history_song").set_value(songs["drive"]).run()
    at = button(at, "Delete this song…").click().run()
    at.radio(key="history_keep").set_value("remove")
    at = button(at, "Delete").click().run()
    assert not at.exception and at.success
    assert studio.store.counts() == {"songs": 2, "ratings": 2, "deleted_songs": 0}
    assert not folder.exists()
    assert [s["id"] for s in studio.store.list_songs(include_deleted=True)] == [songs["html"], songs["neon"]]
    assert len(at.selectbox(key="history_song").options) == 2


def test_the_rating_filter_is_the_mean_shown_in_the_table(studio, songs):
    """Issue 9, item 8: "4 stars or more" filtered on a mean the table did not show."""
    studio.store.add_rating(songs["drive"], "music", 5)  # lyrics 2, music 5: mean 3.5
    at = open_page(PAGE)
    table = at.dataframe[0].value.set_index("title")
    assert table.loc["Night Drive", "mean ★"] == 3.5 and table.loc["Neon Hearts", "mean ★"] == 4.5
    at.selectbox(key="history_rating").set_value(4).run()
    assert list(at.dataframe[0].value["title"]) == ["Neon Hearts"]
    assert at.selectbox(key="history_rating").label == "Mean rating"


def test_a_right_to_left_artist_is_isolated_in_the_caption(studio):
    """Issue 9, item 9: an Arabic artist reordered the caption around it."""
    make_song(studio, "Night", seed=4, artist="فيروز")
    at = open_page(PAGE)
    details = [shown(caption.value) for caption in at.caption if "by " in shown(caption.value)]
    assert details and details[0].startswith("rock · by \u2068فيروز\u2069 · ")


def test_midi_and_lyrics_downloads_stay_when_the_audio_is_gone(studio, songs):
    """Issue 9, item 11: the MIDI and lyrics downloads were hidden with the audio."""
    folder = Path(studio.store.get_song(songs["html"])["folder"])
    (folder / "song.mp3").unlink()
    (folder / "song.wav").unlink()
    at = open_page(PAGE)
    assert at.selectbox(key="history_song").value == songs["html"]
    assert any("audio files of this song are missing" in w.value for w in at.warning)
    assert not at.get("audio")
    assert [d.label for d in at.get("download_button")] == ["MIDI", "Lyrics (text)"]
