"""training.preferences: preference records -> TRL's DPO and KTO datasets, saved and read back (issue 12)."""

from __future__ import annotations

import json

import pytest

from songgen_core.errors import InvalidRequestError
from songgen_core.prompts import few_shot_header, lyrics_prompt
from training.errors import PreferenceDataError
from training.preferences import (PreferencePair, RatedTake, SongPrompt, build_dpo_dataset, build_kto_dataset,
                                  load_preferences, preference_counts, save_preferences)

ROCK = SongPrompt(genre="rock", title="Highway Static", opening_line="Headlights cutting", artist="The Rust Engines")
POP = SongPrompt(genre="pop", title="Paper Hearts", opening_line="We were dancing", few_shot=True)


def test_the_prompt_is_the_one_the_model_was_asked_with():
    assert ROCK.text() == lyrics_prompt("The Rust Engines", "Highway Static", "Headlights cutting", "rock", False)
    assert POP.text() == few_shot_header("pop") + "[Artist: Unknown Artist]\n[Song: Paper Hearts]\nWe were dancing"
    assert ROCK.completion("Headlights cutting through the rain\nI left") == " through the rain\nI left"
    with pytest.raises(InvalidRequestError, match="opening line"):
        ROCK.completion("Something else")
    with pytest.raises(InvalidRequestError, match="nothing to learn"):
        ROCK.completion("Headlights cutting  \n")


def test_dpo_dataset_rows_and_counts():
    pairs = [PreferencePair(ROCK, "Headlights cutting through\nthe night", "Headlights cutting cutting cutting"),
             PreferencePair(POP, "We were dancing in the kitchen", "We were dancing dancing", source="rating")]
    data = build_dpo_dataset(pairs)
    assert data.column_names == ["prompt", "chosen", "rejected", "genre", "source"]
    row = data[0]
    assert row["prompt"] + row["chosen"] == ROCK.text()[:-len("Headlights cutting")] + pairs[0].chosen
    assert (row["chosen"], row["rejected"], row["genre"], row["source"]) == (" through\nthe night", " cutting cutting", "rock", "compare")
    counts = preference_counts(data)
    assert counts == {"rows": 2, "by_genre": {"pop": 1, "rock": 1}, "by_source": {"compare": 1, "rating": 1}}


def test_kto_dataset_holds_rated_takes_and_unpaired_pairs():
    takes = [RatedTake(ROCK, "Headlights cutting through", True), RatedTake(ROCK, "Headlights cutting la la", False)]
    pairs = [PreferencePair(ROCK, "Headlights cutting A", "Headlights cutting B")]
    data = build_kto_dataset(takes, pairs)
    assert data.column_names == ["prompt", "completion", "label", "genre", "source"]
    assert data["completion"] == [" through", " la la", " A", " B"] and data["label"] == [True, False, True, False]
    assert data["source"] == ["rating", "rating", "compare", "compare"]
    counts = preference_counts(data)
    assert (counts["desirable"], counts["undesirable"]) == (2, 2)
    assert counts["by_source_label"] == {"compare": {"desirable": 1, "undesirable": 1}, "rating": {"desirable": 1, "undesirable": 1}}
    assert len(build_kto_dataset()) == 0 and len(build_dpo_dataset([])) == 0  # empty, with the format's columns


@pytest.mark.parametrize("record, field", [
    (PreferencePair(ROCK, "Headlights cutting A", "Nope"), "pairs[0].rejected"),
    (PreferencePair(ROCK, "Headlights cutting A", "Headlights cutting A"), "pairs[0]"),
    (PreferencePair(SongPrompt("Rock!", "t", "o"), "o a", "o b"), "pairs[0].song.genre"),
    (PreferencePair(SongPrompt("rock", "", "o"), "o a", "o b"), "pairs[0].song.title"),
    (PreferencePair(SongPrompt("rock", "t", "o", few_shot="yes"), "o a", "o b"), "pairs[0].song.few_shot"),
    (PreferencePair(ROCK, "Headlights cutting A", "Headlights cutting B", source=""), "pairs[0].source"),
    (("prompt", "chosen", "rejected"), "pairs[0]"),
])
def test_bad_pairs_name_the_field(record, field):
    with pytest.raises(InvalidRequestError) as error:
        build_dpo_dataset([record])
    assert error.value.field == field


def test_bad_takes_name_the_field():
    with pytest.raises(InvalidRequestError) as error:
        build_kto_dataset([RatedTake(ROCK, "Headlights cutting A", 1)])
    assert error.value.field == "takes[0].label"


def test_saved_as_datasets_and_parquet_and_read_back(tmp_path):
    pairs = [PreferencePair(ROCK, f"Headlights cutting {i}", f"Headlights cutting no {i}") for i in range(3)]
    pairs.append(PreferencePair(POP, "We were dancing yes", "We were dancing no"))
    takes = [RatedTake(POP, "We were dancing on", False, source="thumbs")]
    out = tmp_path / "prefs"
    manifest = save_preferences(out, pairs, takes)
    assert sorted(p.name for p in out.iterdir()) == ["dpo", "dpo.parquet", "kto", "kto.parquet", "manifest.json"]
    assert json.loads((out / "manifest.json").read_text()) == manifest
    assert manifest["datasets"]["dpo"]["by_genre"] == {"pop": 1, "rock": 3}
    assert manifest["datasets"]["kto"]["by_source_label"] == {"compare": {"desirable": 4, "undesirable": 4},
                                                              "thumbs": {"desirable": 0, "undesirable": 1}}
    rock = load_preferences(out, "dpo", "rock")
    assert len(rock) == 3 and set(rock["genre"]) == {"rock"}
    assert sorted(p.name for p in (out / "dpo").iterdir()) == sorted(p.name for p in (out / "kto").iterdir())  # no cache files
    assert len(load_preferences(out, "kto")) == 9 and len(load_preferences(out, "kto", "jazz")) == 0
    import pandas as pd

    assert pd.read_parquet(out / "dpo.parquet")["chosen"].tolist() == load_preferences(out, "dpo")["chosen"]
    import shutil

    shutil.rmtree(out / "dpo")  # the parquet copy is read when the datasets folder is gone
    assert load_preferences(out, "dpo", "pop")["chosen"] == [" yes"]
    save_preferences(out, pairs[:1])  # replaced whole
    assert len(load_preferences(out, "dpo")) == 1 and not any(p.name.startswith(".") for p in tmp_path.iterdir())


def test_missing_data_is_a_preference_data_error(tmp_path):
    with pytest.raises(PreferenceDataError, match="no preference data folder"):
        load_preferences(tmp_path / "nowhere", "dpo")
    with pytest.raises(PreferenceDataError, match="holds no KTO data"):
        load_preferences(tmp_path, "kto")
    with pytest.raises(PreferenceDataError, match="method must be"):
        load_preferences(tmp_path, "ppo")
    (tmp_path / "dpo").mkdir()
    with pytest.raises(PreferenceDataError, match="could not be read"):
        load_preferences(tmp_path, "dpo")
    with pytest.raises(InvalidRequestError):  # a bad record: nothing written
        save_preferences(tmp_path / "out", [PreferencePair(ROCK, "x", "y")])
    assert not (tmp_path / "out").exists()


def test_empty_preference_data_reads_back_as_empty_datasets(tmp_path):
    """A store whose votes were all ties gives no pairs: the saved data reads back empty (for prefer's
    "too few pairs" message), not as datasets' IndexError on a dataset saved with no shards."""
    save_preferences(tmp_path / "prefs")
    for method in ("dpo", "kto"):
        dataset = load_preferences(tmp_path / "prefs", method, genre="rock")
        assert len(dataset) == 0 and "prompt" in dataset.column_names
