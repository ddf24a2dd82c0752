"""The Home page (AppTest): what the studio does, device, models per genre, counts, navigation."""

from __future__ import annotations

import pytest

from songgen_core.device import default_device
from songgen_core.registry import ModelSource
from studio_app import errors_shown, make_song, make_studio, open_page


@pytest.fixture
def studio(tmp_path, monkeypatch, tiny_lyrics_dir):
    return make_studio(tmp_path, monkeypatch, tiny_lyrics_dir)


def test_status_counts_and_navigation(studio, tiny_lyrics_dir):
    song = make_song(studio, "Night Drive")  # loads the tiny model in this process
    studio.store.add_rating(song, "lyrics", 4)
    studio.store.add_rating(song, "music", 2)
    at = open_page()
    assert not at.exception and not at.error
    assert [link.label for link in at.page_link] == ["Write a song", "Rate songs", "History", "Training runs", "Dataset",
                                                    "Compare blind (A/B)", "Leaderboard"]
    assert [metric.value for metric in at.metric] == ["1", "2"]
    device = (at.info or at.success)[0].value
    assert ("CPU" in device) if default_device() == "cpu" else ("GPU" in device and "GiB" in device)
    models = at.dataframe[0].value.set_index("genre")
    assert list(models.index) == ["pop", "rap", "rock"]
    assert models.loc["rock", "model"] == str(ModelSource("path", str(tiny_lyrics_dir)))
    assert bool(models.loc["rock", "loaded"]) and not bool(models.loc["rap", "loaded"])
    assert models.loc["rap", "model"].endswith("no-such-model")


def test_a_broken_registry_is_reported_and_the_page_still_works(studio):
    studio.config.write_text("[lyrics.genres\nrock = ", encoding="utf-8")
    at = open_page()
    assert not at.exception
    assert any("registry could not be read" in error and "not valid TOML" in error for error in errors_shown(at))
    assert len(at.page_link) == 7 and [metric.value for metric in at.metric] == ["0", "0"]
