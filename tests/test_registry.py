"""The model registry: config file, sources, and trained folders taking over."""

import pytest

from songgen_core.errors import ConfigError, UnknownGenreError
from songgen_core.registry import ModelSource, load_registry


def write(tmp_path, text):
    path = tmp_path / "models.toml"
    path.write_text(text)
    return path


def test_default_config_has_rock_pop_rap_on_the_embedded_model(tmp_path):
    registry = load_registry(models_dir=tmp_path / "none")
    assert registry.genres() == ["pop", "rap", "rock"]
    for genre in ("rock", "pop", "rap"):
        assert registry.lyrics_source(genre) == ModelSource("embedded", "gemma3-270m")
    assert registry.music_backend == "arranger"


def test_a_new_genre_is_one_line_and_sources_parse(tmp_path):
    config = write(tmp_path, """
[lyrics.genres]
rock = "hub:gpt2-medium"
country = "embedded:smollm2-135m"
jazz = { source = "path:my/jazz", few_shot = true }
""")
    registry = load_registry(config, models_dir=tmp_path / "none")
    assert registry.genres() == ["country", "jazz", "rock"]
    assert registry.lyrics_source("rock") == ModelSource("hub", "gpt2-medium")
    assert registry.lyrics_source("Country ").ref == "smollm2-135m"
    jazz = registry.lyrics_source("jazz")
    assert jazz.kind == "path" and jazz.few_shot is True and jazz.ref == str((tmp_path / "my" / "jazz").resolve())


def test_unknown_genre_lists_the_known_ones(tmp_path):
    registry = load_registry(models_dir=tmp_path / "none")
    with pytest.raises(UnknownGenreError, match="choose one of: pop, rap, rock") as caught:
        registry.lyrics_source("polka")
    assert caught.value.field == "genre"


def test_trained_folders_take_over_their_genre_and_add_new_ones(tmp_path):
    models = tmp_path / "models"
    for genre in ("rock", "metal"):
        (models / genre).mkdir(parents=True)
        (models / genre / "config.json").write_text("{}")
    (models / "half-written").mkdir()  # no config.json: ignored
    registry = load_registry(models_dir=models)
    assert registry.lyrics_source("rock") == ModelSource("path", str((models / "rock").resolve()))
    assert registry.lyrics_source("metal").kind == "path"
    assert registry.lyrics_source("pop").kind == "embedded"
    assert "half-written" not in registry.genres()
    assert set(registry.taken_over) == {"rock", "metal"}


@pytest.mark.parametrize(
    "text, message",
    [
        ("[lyrics.genres]\nrock = 'ftp:x'", "must look like"),
        ("[lyrics.genres]\nrock = 'hub:'", "must look like"),
        ("[lyrics.genres]\n'Rock Music' = 'hub:gpt2'", "genre name"),
        ("[lyrics.genres]\nrock = { few_shot = true }", "needs a source"),
        ("[lyrics.genres]\nrock = { source = 'hub:gpt2', few_shot = 'yes' }", "true or false"),
        ("[music]\ndefault_backend = 'kazoo'", "default_backend"),
        ("this is = = not toml", "not valid TOML"),
    ],
)
def test_malformed_config_raises_config_error(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_registry(write(tmp_path, text), models_dir=tmp_path / "none")


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_registry(tmp_path / "nope.toml")


def test_environment_selects_the_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SONGGEN_CONFIG", str(write(tmp_path, "[lyrics.genres]\nfolk = 'hub:gpt2'")))
    monkeypatch.setenv("SONGGEN_MODELS_DIR", str(tmp_path / "none"))
    assert load_registry().genres() == ["folk"]
