"""Cleaning, splitting, formatting and bad input of the Genius dataset reader, on the bundled sample."""

import json

import pandas as pd
import pytest

from songgen_core.prompts import END_OF_LYRICS
from training.data import (
    COLUMNS, SAMPLE_PATH, TAGS, Cleaner, CleaningOptions, DatasetError, clean_lyrics, iter_songs, iter_texts,
    normalise_headers, prepare, problem_of, split_of,
)


def _songs(options=None, chunksize=64):
    cleaner = Cleaner(options or CleaningOptions())
    return list(iter_songs(SAMPLE_PATH, cleaner=cleaner, chunksize=chunksize)), cleaner


def test_sample_is_small_and_in_the_genius_schema():
    assert SAMPLE_PATH.stat().st_size < 400_000
    df = pd.read_csv(SAMPLE_PATH, keep_default_na=False)
    assert list(df.columns) == list(COLUMNS) and len(df) == 300
    assert set(df.tag) == set(TAGS)
    counts = df.tag.value_counts()
    assert counts.index[0] == "pop" and counts.index[1] == "rap" and counts.idxmin() == "country"
    assert {"en", "es", "fr", "pt", "de", ""} <= set(df.language)


def test_cleaning_counts_on_the_sample():
    songs, cleaner = _songs()
    c = cleaner.counts
    df = pd.read_csv(SAMPLE_PATH, keep_default_na=False)
    assert c["rows"] == 300
    assert c["dropped_language"] == (df.language != "en").sum()
    assert c["dropped_genre"] == ((df.language == "en") & ~df.tag.isin(["rock", "pop", "rap"])).sum()
    assert c["dropped_empty"] > 0 and c["dropped_placeholder"] == 5 and c["dropped_duplicate"] > 0
    assert len(songs) == c["kept"] == sum(sum(s.values()) for s in cleaner.sizes().values())
    assert {s.tag for s in songs} == {"rock", "pop", "rap"}
    assert len({s.id for s in songs}) == len(songs)
    for s in songs:
        assert s.lyrics and "yet to be released" not in s.lyrics and problem_of(s.lyrics) is None


def test_strict_language_keeps_fewer_songs():
    loose, _ = _songs(CleaningOptions(genres=TAGS))
    strict, _ = _songs(CleaningOptions(genres=TAGS, strict_language=True))
    assert {s.id for s in strict} < {s.id for s in loose}


def test_split_is_deterministic_disjoint_and_about_90_10():
    a, _ = _songs(chunksize=64)
    b, _ = _songs(chunksize=1000)
    assert [(s.id, s.split) for s in a] == [(s.id, s.split) for s in b]
    train = {s.id for s in a if s.split == "train"}
    test = {s.id for s in a if s.split == "test"}
    assert train and test and not train & test
    assert 0.04 < len(test) / len(a) < 0.2
    assert all(split_of(s.id, 42, 0.1) == s.split for s in a)
    other, _ = _songs(CleaningOptions(seed=7))
    assert {s.id for s in other if s.split == "test"} != test


def test_header_normalisation():
    assert normalise_headers("[Chorus: Lil X & Y]") == "[Chorus]"
    assert normalise_headers("  [ verse  2 : A ]  ") == "[Verse 2]"
    assert normalise_headers("[Artist: Muse]\nnot [a header] here") == "[Artist]\nnot [a header] here"
    assert clean_lyrics("[Intro]\nla  \n\n\n\nla\r\n") == "[Intro]\nla\n\nla"
    songs, _ = _songs()
    assert all(":" not in line for s in songs for line in s.lyrics.split("\n") if line.startswith("["))


def test_placeholders_duplicates_and_header_only():
    assert problem_of(clean_lyrics("Lyrics for this song have yet to be released. Please check back")) == "placeholder"
    assert problem_of(clean_lyrics("[Instrumental]")) == problem_of("") == "empty"
    assert problem_of(clean_lyrics("[Verse 1]\nA real line")) is None
    songs, cleaner = _songs(CleaningOptions(genres=TAGS))
    assert cleaner.counts["dropped_duplicate"] == 14  # 8 exact copies and 6 re-uploads with credits/spaces


def test_format_and_prepare(tmp_path):
    text = next(iter_texts(SAMPLE_PATH, "rock", "train"))
    assert text.startswith("[Artist: ") and text.endswith(END_OF_LYRICS + "\n")
    manifest = prepare(SAMPLE_PATH, tmp_path / "prepared", CleaningOptions(genres=("rock",)))
    lines = (tmp_path / "prepared" / "rock" / "test.jsonl").read_text().splitlines()
    assert len(lines) == manifest["sizes"]["rock"]["test"] > 0
    assert json.loads(lines[0])["text"].endswith(END_OF_LYRICS + "\n")
    with pytest.raises(DatasetError):  # a failed run leaves the earlier output intact
        prepare(tmp_path / "missing.csv", tmp_path / "prepared")
    assert (tmp_path / "prepared" / "manifest.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["prepared"]


# ------------------------------------------------------------------------------------------- bad input

def _csv(tmp_path, rows, columns=COLUMNS):
    path = tmp_path / "bad.csv"
    pd.DataFrame(rows, columns=list(columns)).to_csv(path, index=False)
    return path


def _row(**kw):
    row = dict(title="T", tag="rock", artist="A", year=2000, views=10, features="{}", lyrics="[Verse 1]\nla la",
               id=1, language_cld3="en", language_ft="en", language="en")
    row.update(kw)
    return row


def _error(path, options=None):
    with pytest.raises(DatasetError) as e:
        list(iter_songs(path, options or CleaningOptions(genres=("rock",))))
    return str(e.value)


def test_missing_and_extra_columns(tmp_path):
    cols = [c for c in COLUMNS if c != "language_ft"]
    msg = _error(_csv(tmp_path, [{k: v for k, v in _row().items() if k != "language_ft"}], cols))
    assert "missing column(s): language_ft" in msg
    msg = _error(_csv(tmp_path, [{**_row(), "genre": "x"}], [*COLUMNS, "genre"]))
    assert "1 unexpected column(s)" in msg and "genre" not in msg  # counted, never quoted


@pytest.mark.parametrize("column", ["year", "views"])
def test_wrong_type(tmp_path, column):
    msg = _error(_csv(tmp_path, [_row(), _row(id=2, **{column: "lots"})]))
    assert repr(column) in msg and "data row 2" in msg and "'lots'" in msg


def test_empty_lyrics_only(tmp_path):
    msg = _error(_csv(tmp_path, [_row(lyrics=""), _row(id=2, lyrics="[Chorus]")]))
    assert "no usable songs" in msg and "2 with empty lyrics" in msg


def test_genre_with_no_rows(tmp_path):
    msg = _error(_csv(tmp_path, [_row()]), CleaningOptions(genres=("rock", "country")))
    assert "country" in msg and "no songs" in msg
    with pytest.raises(DatasetError, match="unknown genre"):
        CleaningOptions(genres=("jazz",))
    assert "no dataset file" in _error(tmp_path / "nope.csv")
