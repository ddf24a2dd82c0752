"""Systems (issue 12): config/systems.toml read and checked, trained folders added as systems."""

from __future__ import annotations

import json

import pytest

from songgen_core.errors import ConfigError
from songgen_core.registry import load_registry
from songgen_core.systems import UnknownSystemError, load_systems


@pytest.fixture
def registry(tmp_path):
    config = tmp_path / "models.toml"
    config.write_text('[lyrics.genres]\nrock = "embedded:gemma3-270m"\npop = "embedded:smollm2-135m"\n', encoding="utf-8")
    (tmp_path / "models").mkdir()
    return load_registry(config, tmp_path / "models")


def write(tmp_path, text):
    path = tmp_path / "systems.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_names_two_or_more_systems_per_genre():
    systems = load_systems()
    assert systems.genres() == ["pop", "rap", "rock"]
    free = systems["rock-free"]
    assert (free.genre, free.mode, str(free.lyrics), free.music) == ("rock", "free", "embedded:gemma3-270m", "arranger")
    request = free.lyrics_request("Title", "", "An opening line", seed=4)
    assert (request.mode, request.genre, request.seed) == ("free", "rock", 4)
    assert 0 < systems.check_rate < 0.5 and systems.min_votes == 10


def test_defaults_and_sampling(tmp_path, registry):
    systems = load_systems(write(tmp_path, '[systems.rock-hot]\ngenre = "rock"\ntemperature = 1.3\ntop_k = 20\n'
                                           '[systems.rock-plain]\ngenre = "rock"\n'), registry)
    hot = systems["rock-hot"]
    assert str(hot.lyrics) == "embedded:gemma3-270m" and hot.mode == "structured"  # the genre's model
    assert hot.sampling == {"temperature": 1.3, "top_k": 20}
    assert hot.lyrics_request("T", "", "Line").temperature == 1.3
    assert hot.describe()["lyrics"] == "embedded:gemma3-270m"
    with pytest.raises(UnknownSystemError, match="rock-cold"):
        systems["rock-cold"]


@pytest.mark.parametrize("text, message", [
    ('[systems.rock-x]\ngenre = "jazz"\n', "genre 'jazz'"),
    ('[systems.rock-x]\ngenre = "rock"\nmode = "poem"\n', "mode"),
    ('[systems.rock-x]\ngenre = "rock"\nmusic = "orchestra"\n', "music"),
    ('[systems.rock-x]\ngenre = "rock"\ntemperature = 9\n', "temperature"),
    ('[systems.rock-x]\ngenre = "rock"\nlyrics = "ftp:x"\n', "lyrics"),
    ('[systems.rock-x]\ngenre = "rock"\ncolour = "red"\n', "unknown field"),
    ('[systems."Rock X"]\ngenre = "rock"\n', "name"),
    ('[compare]\ncheck_rate = 2\n', "check_rate"),
    ('[systems.rock-x\n', "not valid TOML"),
])
def test_a_bad_system_is_named_with_its_field(tmp_path, registry, text, message):
    with pytest.raises(ConfigError, match=message) as caught:
        load_systems(write(tmp_path, text), registry)
    assert "systems.toml" in str(caught.value)


def test_trained_folders_become_systems(tmp_path, registry):
    models = tmp_path / "models"
    (models / "rock").mkdir()
    (models / "rock" / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    (models / "rock-pref").mkdir()
    (models / "rock-pref" / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "x"}))
    (models / "rock-pref" / "songgen_base.json").write_text(json.dumps({"base": "path:" + str(models / "rock")}))
    (models / "notes").mkdir()
    registry = load_registry(registry.config_path, models)
    systems = load_systems(write(tmp_path, ""), registry)
    assert systems.names() == ["rock-pref", "rock-trained"]
    assert systems["rock-pref"].genre == "rock" and systems["rock-pref"].lyrics.is_adapter
    assert systems["rock-trained"].lyrics.kind == "path" and systems.genres() == ["rock"]
