"""The Dataset page (AppTest): the SAMPLE's statistics as training.stats computes them; bad paths are reported."""

from __future__ import annotations

import pytest

from studio_app import errors_shown, markdown_texts, open_page, shown
from training.data import SAMPLE_PATH, TAGS
from training.stats import dataset_stats

PAGE = "pages/5_Dataset.py"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("SONGGEN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SONGGEN_DB", str(tmp_path / "feedback.db"))
    monkeypatch.setenv("SONGGEN_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("SONGGEN_MODELS_DIR", str(tmp_path / "no-models"))
    return tmp_path


def _table(at, column: str):
    """The first table on the page with this column."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column")


def test_sample_counts_equal_training_stats(env):
    stats = dataset_stats(SAMPLE_PATH, cache_dir=env / "direct")
    at = open_page(PAGE)
    assert not at.exception and not at.error
    texts = [shown(t) for t in markdown_texts(at)]
    assert any(t.startswith("SAMPLE") for t in texts if t) and sum("SAMPLE" in t for t in texts) >= 6
    assert all("SAMPLE" in shown(s.value) for s in at.subheader)  # every statistic is labelled
    assert any("633,308" in t and "1,393,559" in t and "964,605" in t for t in texts)  # the full dataset, as text

    balance = _table(at, "English").set_index("tag")
    assert balance["all songs"].to_dict() == stats["songs_per_tag"]["all"]
    assert balance["English"].to_dict() == stats["songs_per_tag"]["english"]
    assert {t for t in TAGS if balance.loc[t, "chosen"]} == {"rock", "pop", "rap"}
    splits = _table(at, "train").set_index("tag")
    assert {t: {"train": int(r["train"]), "test": int(r["test"])} for t, r in splits.iterrows()} == stats["splits"]
    languages = _table(at, "language")
    assert dict(zip(languages["language"], languages["songs"])) == stats["languages"]
    years = _table(at, "decade")
    assert list(years["songs"]) == list(stats["years"].values())
    lengths = _table(at, "mean words").set_index("tag")
    assert lengths["songs"].to_dict() == {t: stats["lengths"][t]["words"]["count"] for t in TAGS}
    assert len(at.get("vega_lite_chart")) == 5
    assert list((env / "cache" / "dataset_stats").glob("*.json"))  # the page used training.stats's cache


def test_bad_paths_show_the_error_and_the_page_keeps_working(env):
    at = open_page(PAGE)
    at.radio(key="dataset_source").set_value("Full dataset (local CSV or hub)").run()
    assert not at.exception and at.info and not at.get("vega_lite_chart")

    at.text_input(key="dataset_path").set_value(str(env / "missing.csv")).run()
    assert not at.exception and any("no dataset file" in e for e in errors_shown(at))

    bad = env / "bad.csv"
    bad.write_text("title,genre\nA song,rock\n", encoding="utf-8")
    at.text_input(key="dataset_path").set_value(str(bad)).run()
    assert not at.exception and any("not in the Genius schema" in e for e in errors_shown(at))
    assert not at.get("vega_lite_chart")

    at.text_input(key="dataset_path").set_value("hub:sebastiandizon/genius-song-lyrics").run()  # the tests run offline
    assert not at.exception and any("HF_HUB_OFFLINE" in e for e in errors_shown(at))

    at.radio(key="dataset_source").set_value("Bundled SAMPLE").run()
    assert not at.exception and not at.error and len(at.get("vega_lite_chart")) == 5
