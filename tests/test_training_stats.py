"""Dataset statistics against a direct pandas computation on the bundled sample; the cache."""

import os

import numpy as np
import pandas as pd
import pytest

from training.data import SAMPLE_PATH, TAGS, CleaningOptions, clean_lyrics, lyric_lines, lyrics_key, problem_of, split_of
from training.stats import LINE_BIN, WORD_BIN, compute_stats, dataset_stats, main


@pytest.fixture(scope="module")
def stats():
    return compute_stats(SAMPLE_PATH, chunksize=50)


@pytest.fixture(scope="module")
def df():
    return pd.read_csv(SAMPLE_PATH)  # plain pandas: missing language is NaN here


def test_counts_match_pandas(stats, df):
    assert stats["sample"] and stats["dataset"]["rows"] == len(df)
    assert stats["songs_per_tag"]["all"] == {t: int((df.tag == t).sum()) for t in TAGS}
    assert stats["songs_per_tag"]["english"] == {t: int(((df.tag == t) & (df.language == "en")).sum()) for t in TAGS}
    assert stats["languages"] == df.language.fillna("(missing)").value_counts().to_dict()
    assert stats["years"] == {str(k): int(v) for k, v in (df.year // 10 * 10).value_counts().items()}
    buckets = np.where(df.views > 0, np.floor(np.log10(df.views.clip(lower=1))), -1).astype(int)
    expected = pd.Series(buckets).map(lambda b: "0" if b < 0 else f"1e{b}").value_counts().to_dict()
    assert stats["views"] == expected


def test_lengths_and_splits_match_pandas(stats, df):
    en = df[df.language == "en"].copy()
    en["clean"] = en.lyrics.fillna("").map(clean_lyrics)
    en = en[en.clean.map(problem_of).isna()]
    en = en[~en.clean.map(lyrics_key).duplicated()]
    en["words"] = en.clean.map(lambda t: sum(len(line.split()) for line in lyric_lines(t)))
    en["lines"] = en.clean.map(lambda t: len(lyric_lines(t)))
    en["split"] = en.id.map(split_of)
    for tag, group in en.groupby("tag"):
        for col, width in (("words", WORD_BIN), ("lines", LINE_BIN)):
            got = stats["lengths"][tag][col]
            assert got["count"] == len(group)
            assert got["mean"] == pytest.approx(group[col].mean())
            assert (got["min"], got["max"]) == (group[col].min(), group[col].max())
            assert abs(got["median"] - group[col].median()) <= width
        assert stats["splits"][tag] == {s: int((group.split == s).sum()) for s in ("train", "test")}


def test_cache_reused_and_invalidated(tmp_path, monkeypatch):
    path = tmp_path / "genius_sample.csv"
    path.write_bytes(SAMPLE_PATH.read_bytes())
    import training.stats as st

    calls = []
    real = st.compute_stats
    monkeypatch.setattr(st, "compute_stats", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = dataset_stats(path, cache_dir=tmp_path / "cache")
    assert dataset_stats(path, cache_dir=tmp_path / "cache") == first and len(calls) == 1
    dataset_stats(path, CleaningOptions(strict_language=True), cache_dir=tmp_path / "cache")
    assert len(calls) == 2
    pd.read_csv(path).iloc[:-1].to_csv(path, index=False)  # the file changes: one row fewer
    second = dataset_stats(path, cache_dir=tmp_path / "cache")
    assert second["dataset"]["rows"] == 299 and first["dataset"]["rows"] == 300
    assert len(calls) == 3


def test_cli(tmp_path, capsys):
    out = tmp_path / "stats.json"
    assert main([str(SAMPLE_PATH), "--out", str(out), "--cache-dir", str(tmp_path)]) == 0
    assert out.is_file() and "SAMPLE" in capsys.readouterr().out
    assert main([str(tmp_path / "nope.csv"), "--cache-dir", str(tmp_path)]) == 2
    assert "no dataset file" in capsys.readouterr().err
