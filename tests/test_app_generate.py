"""The Generate page (AppTest): form -> streamed lyrics -> music -> player, downloads, saved song."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from songgen_app.text import markdown_literal
from studio_app import button, errors_shown, make_song, make_studio, markdown_texts, open_page, shown

PAGE = "pages/1_Generate.py"


@pytest.fixture
def studio(tmp_path, monkeypatch, tiny_lyrics_dir):
    return make_studio(tmp_path, monkeypatch, tiny_lyrics_dir)


def fill(at, title="Highway Static", opening="Headlights cutting", artist="The Rust Engines", genre="rock", seed=3):
    at.selectbox(key="gen_genre").set_value(genre)
    at.text_input(key="gen_title").set_value(title)
    at.text_input(key="gen_artist").set_value(artist)
    at.text_input(key="gen_opening").set_value(opening)
    at.number_input(key="gen_seed").set_value(seed)
    at.slider(key="gen_max_words").set_value(30)
    return button(at, "Generate lyrics").click().run()


def test_generate_lyrics_then_music_saves_the_song(studio):
    at = fill(open_page(PAGE))
    assert not at.exception and not at.error
    [lyrics] = at.code
    assert lyrics.value.startswith("[Verse 1]\nHeadlights cutting")  # structured, the default
    assert at.subheader[0].value == "Highway Static"
    assert any("seed 3" in caption.value for caption in at.caption)
    assert studio.store.counts()["songs"] == 0  # lyrics alone are not a song yet

    at = button(at, "Continue to music").click().run()
    at.radio(key="gen_length").set_value("Seconds").run()
    at.slider(key="gen_duration").set_value(5)
    at = button(at, "Compose music").click().run()
    assert not at.exception and not at.error
    assert len(at.get("audio")) == 1
    assert [d.label for d in at.get("download_button")] == ["MP3", "WAV", "MIDI", "Lyrics (text)", "Stems (ZIP)",
                                                            "Drums", "Bass", "Chords", "Lead"]

    [song] = studio.store.list_songs()
    assert (song["title"], song["artist"], song["genre"]) == ("Highway Static", "The Rust Engines", "rock")
    assert song["lyrics"] == lyrics.value
    assert song["lyrics_params"]["seed"] == 3 and song["lyrics_params"]["max_words"] == 30
    assert song["lyrics_model"].startswith("path:") and song["music_backend"] == "arranger"
    assert song["music_params"]["duration_s"] == 5.0
    assert {"lyrics_s", "music_s", "files_s", "total_s"} <= set(song["timings"])
    folder = Path(song["folder"])
    assert folder == studio.data / "songs" / song["id"]
    assert sorted(p.name for p in folder.iterdir()) == ["lyrics.txt", "song.json", "song.mid", "song.mp3", "song.wav",
                                                        "stems", "stems.zip"]
    assert sorted(p.name for p in (folder / "stems").iterdir()) == ["bass.wav", "chords.wav", "drums.wav", "lead.wav"]
    assert song["music_params"]["vocals"] == "none"
    assert json.loads((folder / "song.json").read_text())["id"] == song["id"]

    # Regenerating the music adds a new version; the first song is left as it was.
    at = button(at, "Regenerate the music (keeps these lyrics; saved as a new version)").click().run()
    assert not at.exception and not at.error and len(at.get("audio")) == 1
    newer, first = studio.store.list_songs()
    assert first == song
    assert newer["lyrics"] == song["lyrics"] and newer["info"]["version_of"] == song["id"]
    assert newer["info"]["version"] == 2 and newer["music_params"]["seed"] != song["music_params"]["seed"]

    # Repeat: same inputs, a new seed; the music section closes until asked for again.
    at = button(at, "Repeat with a new seed").click().run()
    assert not at.exception and at.code[0].value.startswith("[Verse 1]\nHeadlights cutting")
    assert not any("seed 3 " in caption.value for caption in at.caption)
    assert not at.get("audio") and studio.store.counts()["songs"] == 2

    # Start over: an empty form, no lyrics.
    at = button(at, "Start over").click().run()
    assert at.text_input(key="gen_title").value == "" and at.text_input(key="gen_opening").value == ""
    assert not at.code and not at.exception


def test_without_festival_the_vocal_switch_says_what_to_install_and_the_song_is_made(studio, monkeypatch):
    monkeypatch.setenv("SONGGEN_FESTIVAL", str(studio.data / "no-festival"))
    at = button(fill(open_page(PAGE)), "Continue to music").click().run()
    switch = at.toggle(key="gen_vocals")
    assert switch.disabled
    assert any("No guide vocal on this machine" in c.value and markdown_literal("festvox-kallpc16k") in c.value
               for c in at.caption), [c.value for c in at.caption]
    at.radio(key="gen_length").set_value("Seconds").run()
    at.slider(key="gen_duration").set_value(5)
    at = button(at, "Compose music").click().run()
    assert not at.exception and not at.error and len(at.get("audio")) == 1
    [song] = studio.store.list_songs()
    assert song["music_params"]["vocals"] == "none"


def test_html_and_markdown_in_inputs_are_shown_literally(studio):
    title, artist = "<script>alert(1)</script>", "**Bold** [link](http://example.com) :fire:"
    at = fill(open_page(PAGE), title=title, artist=artist, opening="<b>Hello</b> # world")
    assert not at.exception and not at.error
    assert at.subheader[0].value == markdown_literal(title) and shown(at.subheader[0].value) == title
    assert at.code[0].value.startswith("[Verse 1]\n<b>Hello</b> # world")  # st.code shows text as is
    assert not at.get("html")
    for text in markdown_texts(at):
        assert "<script>" not in text and "<b>" not in text and "**Bold**" not in text and ":fire:" not in text
    at = button(at, "Continue to music").click().run()
    at.radio(key="gen_length").set_value("Seconds").run()
    at.slider(key="gen_duration").set_value(5)
    at = button(at, "Compose music").click().run()
    [song] = studio.store.list_songs()
    assert (song["title"], song["artist"]) == (title, artist)
    for text in markdown_texts(at):
        assert "<script>" not in text and "**Bold**" not in text


def test_bad_fields_get_messages_next_to_them_and_nothing_is_saved(studio):
    at = fill(open_page(PAGE), title="   ", opening="x" * 301)
    assert not at.exception and not at.code
    form = [block for block in at.main.children.values() if getattr(block, "type", "") == "form"]
    assert len(form) == 1
    elements = list(form[0])
    kinds = [(type(element).__name__, getattr(element, "key", None) or "") for element in elements]
    title_at = kinds.index(("TextInput", "gen_title"))
    opening_at = kinds.index(("TextInput", "gen_opening"))
    assert kinds[title_at + 1][0] == "Error" and shown(elements[title_at + 1].value) == "must not be empty"
    assert kinds[opening_at + 1][0] == "Error" and "at most 300 are allowed" in shown(elements[opening_at + 1].value)
    assert studio.store.counts() == {"songs": 0, "ratings": 0, "deleted_songs": 0}
    assert not studio.data.exists() or not any(studio.data.rglob("*.wav"))

    at.text_input(key="gen_title").set_value("Fine now")
    at.text_input(key="gen_opening").set_value("Headlights cutting")
    at = button(at, "Generate lyrics").click().run()
    assert not at.error and at.code[0].value.startswith("[Verse 1]\nHeadlights cutting")


def test_a_missing_model_shows_what_to_do_and_the_page_keeps_working(studio):
    earlier = make_song(studio, "Earlier Song")
    studio.store.add_rating(earlier, "lyrics", 4)
    at = fill(open_page(PAGE), genre="rap")
    assert not at.exception and not at.code
    [error] = errors_shown(at)
    assert "not available" in error and "has no config.json" in error and "config/models.toml" in error
    assert "Stop writing" not in [button.label for button in at.button]  # nothing is being written

    at = fill(at, genre="rock")
    assert not at.exception and not at.error and at.code[0].value.startswith("[Verse 1]\nHeadlights cutting")
    assert studio.store.counts() == {"songs": 1, "ratings": 1, "deleted_songs": 0}


def test_a_failed_music_generation_leaves_earlier_songs_untouched(tmp_path, monkeypatch, tiny_lyrics_dir):
    broken = f'[music]\ndefault_backend = "musicgen"\nmusicgen_model = "{tmp_path / "no-musicgen"}"\n'
    studio = make_studio(tmp_path, monkeypatch, tiny_lyrics_dir, music=broken)
    earlier = make_song(studio, "Earlier Song")
    studio.store.add_rating(earlier, "music", 5)
    before = studio.store.list_songs()

    at = fill(open_page(PAGE))
    at = button(at, "Continue to music").click().run()
    assert at.radio(key="gen_backend").value == "musicgen"
    at.radio(key="gen_length").set_value("Seconds").run()
    at.slider(key="gen_duration").set_value(5)
    at = button(at, "Compose music").click().run()
    assert not at.exception and not at.get("audio")
    assert any("MusicGen model is not available" in error and "does not exist" in error for error in errors_shown(at))
    assert studio.store.list_songs() == before and len(studio.store.ratings_for(earlier)) == 1
    assert sorted(p.name for p in (studio.data / "songs").iterdir()) == [earlier]

    # The arranger still works on the same page.
    at.radio(key="gen_backend").set_value("arranger")
    at = button(at, "Compose music").click().run()
    assert not at.exception and len(at.get("audio")) == 1 and studio.store.counts()["songs"] == 2


def test_musicgen_melody_with_an_uploaded_reference_melody(tmp_path, monkeypatch, tiny_lyrics_dir):
    import numpy as np

    from songgen_core.audio import wav_bytes
    from test_musicgen_backend import _build

    melody_model = _build(tmp_path / "tiny-musicgen-melody", melody=True)
    studio = make_studio(tmp_path, monkeypatch, tiny_lyrics_dir,
                         music=f'[music]\ndefault_backend = "musicgen"\nmusicgen_model = "{melody_model}"\n')
    at = fill(open_page(PAGE))
    at = button(at, "Continue to music").click().run()
    assert at.radio(key="gen_backend").options == ["MusicGen", "Arranger (MIDI band, no weights)"]
    tune = 0.5 * np.sin(2 * np.pi * 220 * np.arange(3200) / 1600).astype(np.float32)
    at.file_uploader(key="gen_melody").upload("tune.wav", wav_bytes(tune, 1600), "audio/wav")
    at.radio(key="gen_length").set_value("Seconds").run()
    at.slider(key="gen_duration").set_value(5)
    at = button(at, "Compose music").click().run()
    assert not at.exception and not at.error and len(at.get("audio")) == 1
    assert [d.label for d in at.get("download_button")] == ["MP3", "WAV", "Lyrics (text)"]  # no MIDI from MusicGen
    [song] = studio.store.list_songs()
    assert song["music_backend"] == "musicgen" and song["music_model"] == str(melody_model)
    melody = Path(song["music_params"]["options"]["melody_path"])
    assert melody.parent == studio.data / "melodies" and melody.is_file()


def test_the_caption_says_in_plain_words_how_the_lyrics_were_written(studio):
    """Issue 9, item 17: the caption was written for developers ("ended by eos")."""
    at = fill(open_page(PAGE))
    [caption] = [shown(c.value) for c in at.caption if "seed 3" in shown(c.value)]
    assert caption.startswith("Written by ") and " lines · seed 3 · ended because " in caption
    assert "ended by" not in caption and "eos" not in caption
    assert "ended because every section of its song plan was written" in caption  # a structured song, finished
    [details] = [expander for expander in at.expander if expander.label == "Details"]
    assert "model source: path:" in details.text[0].value
    assert "ended by" in details.text[0].value


def test_the_default_genres_model_is_loaded_in_the_background_when_the_studio_opens(studio, monkeypatch):
    """Issue 9, item 16: the first song waited 10-15 s for imports and the model load."""
    from songgen_core.device import default_device
    from songgen_core.loading import loaded_sources, unload_all
    from songgen_core.registry import load_registry

    monkeypatch.setenv("SONGGEN_PRELOAD", "1")
    unload_all()
    source = str(load_registry().lyrics_source("rock"))
    open_page()  # Home only: nothing asked for a song
    deadline = time.monotonic() + 60
    while source not in loaded_sources(default_device()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert source in loaded_sources(default_device())
