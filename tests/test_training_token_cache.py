"""The tokenized-set cache: the same sets back, keyed by everything that changes them, never half written."""

import numpy as np

from tests.tiny_models import tiny_bpe_tokenizer
from training import token_cache
from training.packing import build_dataset

TEXTS = [f"[Artist: A]\n[Song: S{i}]\nla la {i} night fire road\n<|endoflyrics|>\n" for i in range(40)]


def test_round_trip_packed_and_padded(tmp_path):
    tok = tiny_bpe_tokenizer()
    packed = {"train": build_dataset(TEXTS, tok, 16), "test": build_dataset(TEXTS[:3], tok, 64, keep_remainder=True)}
    padded = {"train": build_dataset(TEXTS, tok, 16, packing=False)}
    for sets in (packed, padded):
        key = token_cache.cache_key({"n": len(sets), "tok": token_cache.tokenizer_fingerprint(tok)})
        assert token_cache.load(key, tmp_path) is None
        token_cache.save(key, sets, {"train_songs": 40}, tmp_path)
        loaded, meta = token_cache.load(key, tmp_path)
        assert meta["train_songs"] == 40 and set(loaded) == set(sets)
        for split, dataset in sets.items():
            assert len(loaded[split]) == len(dataset) and loaded[split].num_tokens() == dataset.num_tokens()
            for i in range(len(dataset)):
                assert np.array_equal(np.asarray(loaded[split].examples[i]), np.asarray(dataset.examples[i]))
                assert loaded[split][i]["input_ids"].tolist() == dataset[i]["input_ids"].tolist()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no half-written folders left


def test_key_and_fingerprint_change_with_what_matters():
    tok = tiny_bpe_tokenizer(end_token=False)
    before = token_cache.tokenizer_fingerprint(tok)
    tok.add_special_tokens({"additional_special_tokens": ["<|endoflyrics|>"]})
    assert token_cache.tokenizer_fingerprint(tok) != before
    assert token_cache.cache_key({"block": 16}) != token_cache.cache_key({"block": 32})
    assert token_cache.cache_key({"a": 1, "b": 2}) == token_cache.cache_key({"b": 2, "a": 1})


def test_broken_entry_reads_as_missing(tmp_path):
    tok = tiny_bpe_tokenizer()
    token_cache.save("k", {"train": build_dataset(TEXTS, tok, 16)}, {}, tmp_path)
    (tmp_path / "k" / "train.ids.npy").write_bytes(b"not numpy")
    assert token_cache.load("k", tmp_path) is None
