"""Fine-tuning data through `datasets` (training/lyrics_datasets.py): the cleaned songs, tokenized and
packed by batched maps, read back from datasets' cache by what they were made of, never read wrongly."""

import pandas as pd
import pytest

import training.lyrics_datasets as ld
from tests.tiny_models import tiny_bpe_tokenizer
from training.data import SAMPLE_PATH, CleaningOptions, DatasetError, iter_texts
from training.packing import add_end_token

ROCK = CleaningOptions(genres=("rock",))


@pytest.fixture(scope="module")
def tokenizer():
    tok = tiny_bpe_tokenizer(end_token=False)
    add_end_token(tok)
    return tok


def _no_reading(*a, **k):
    raise AssertionError("the CSV was read again")


def test_the_sets_hold_the_genre_songs_packed_in_order(tmp_path, tokenizer):
    train, test, meta = ld.genre_sets(SAMPLE_PATH, ROCK, tokenizer, 64, cache_root=tmp_path)
    texts = {split: list(iter_texts(SAMPLE_PATH, "rock", split)) for split in ("train", "test")}
    assert (meta["train_songs"], meta["test_songs"]) == (len(texts["train"]), len(texts["test"])) and meta["from_cache"] is False
    flat = [i for ids in tokenizer(texts["train"])["input_ids"] for i in ids]
    assert len(train) == len(flat) // 64 and ld.count_tokens(train) == 64 * len(train)
    assert [i for row in train["input_ids"] for i in row] == flat[: 64 * len(train)] and train["labels"] == train["input_ids"]
    assert ld.count_tokens(test) == 64 * len(test) > 0


def test_a_rerun_reads_the_cache_and_other_blocks_reuse_the_songs(tmp_path, tokenizer, monkeypatch):
    first = ld.genre_sets(SAMPLE_PATH, ROCK, tokenizer, 64, cache_root=tmp_path)
    monkeypatch.setattr(ld, "iter_songs", _no_reading)
    again = ld.genre_sets(SAMPLE_PATH, ROCK, tokenizer, 64, cache_root=tmp_path)
    assert again[2]["from_cache"] is True and again[2]["fingerprints"] == first[2]["fingerprints"]
    assert again[0]["input_ids"] == first[0]["input_ids"] and again[1]["input_ids"] == first[1]["input_ids"]
    padded = ld.genre_sets(SAMPLE_PATH, ROCK, tokenizer, 600, packing=False, cache_root=tmp_path)  # songs from the cache
    assert padded[2]["from_cache"] is False and len(padded[0]) == first[2]["train_songs"]
    assert max(len(ids) for ids in padded[0]["input_ids"]) <= 600 and "labels" not in padded[0].column_names
    with pytest.raises(AssertionError, match="read again"):  # without the cache the CSV is read
        ld.genre_sets(SAMPLE_PATH, ROCK, tokenizer, 64, cache=False, cache_root=tmp_path)
    with pytest.raises(AssertionError, match="read again"):  # another genre is other songs
        ld.genre_sets(SAMPLE_PATH, CleaningOptions(genres=("pop",)), tokenizer, 64, cache_root=tmp_path)


def test_another_tokenizer_or_a_changed_file_is_not_read_from_the_cache(tmp_path, tokenizer):
    csv = tmp_path / "songs.csv"
    csv.write_bytes(SAMPLE_PATH.read_bytes())
    first = ld.genre_sets(csv, ROCK, tokenizer, 64, cache_root=tmp_path / "cache")
    other = tiny_bpe_tokenizer(end_token=True)
    assert ld.tokenizer_fingerprint(other) != ld.tokenizer_fingerprint(tokenizer)
    assert ld.genre_sets(csv, ROCK, other, 64, cache_root=tmp_path / "cache")[2]["from_cache"] is False
    df = pd.read_csv(csv, keep_default_na=False, dtype=str)
    df[df.tag == "rock"].iloc[:-3].to_csv(csv, index=False)  # fewer rock songs
    changed = ld.genre_sets(csv, ROCK, tokenizer, 64, cache_root=tmp_path / "cache")
    assert changed[2]["from_cache"] is False
    kept = {split: len(list(iter_texts(csv, "rock", split))) for split in ("train", "test")}
    assert (changed[2]["train_songs"], changed[2]["test_songs"]) == (kept["train"], kept["test"])
    assert sum(kept.values()) < first[2]["train_songs"] + first[2]["test_songs"]


def test_nothing_is_left_in_the_cache_without_it(tmp_path, tokenizer):
    train, test, meta = ld.genre_sets(SAMPLE_PATH, ROCK, tokenizer, 64, cache=False, cache_root=tmp_path)
    assert len(train) > 0 and meta["from_cache"] is False and not any(tmp_path.iterdir())


def test_bad_data_gives_the_data_error_and_caches_nothing(tmp_path, tokenizer):
    pop_only = tmp_path / "pop.csv"
    df = pd.read_csv(SAMPLE_PATH, keep_default_na=False, dtype=str)
    df[df.tag == "pop"].to_csv(pop_only, index=False)
    with pytest.raises(DatasetError, match="rock"):
        ld.genre_sets(pop_only, ROCK, tokenizer, 64, cache_root=tmp_path / "cache")
    broken = tmp_path / "broken.csv"
    broken.write_text("title,lyrics\nx,y\n")
    with pytest.raises(DatasetError, match="column"):
        ld.genre_sets(broken, ROCK, tokenizer, 64, cache_root=tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("*.arrow"))


def test_a_tiny_eval_split_keeps_its_remainder(tokenizer):
    texts = list(iter_texts(SAMPLE_PATH, "rock", "test"))[:1]
    n = len(tokenizer(texts[0])["input_ids"])
    kept = ld.build_dataset(texts, tokenizer, n + 10, keep_remainder=True)
    assert len(kept) == 1 and len(kept[0]["input_ids"]) == n and kept[0]["labels"] == kept[0]["input_ids"]
    assert len(ld.build_dataset(texts, tokenizer, n + 10)) == 0


def test_fingerprints_follow_what_matters(tokenizer):
    assert ld.fingerprint({"a": 1, "b": 2}) == ld.fingerprint({"b": 2, "a": 1}) != ld.fingerprint({"a": 1, "b": 3})
    before = ld.tokenizer_fingerprint(tokenizer)
    tok = tiny_bpe_tokenizer(end_token=False)
    add_end_token(tok)
    assert ld.tokenizer_fingerprint(tok) == before
    tok.add_special_tokens({"additional_special_tokens": ["<|other|>"]})
    assert ld.tokenizer_fingerprint(tok) != before
