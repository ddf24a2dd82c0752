"""The Dataset page (AppTest): the SAMPLE's statistics as training.stats computes them; bad paths are reported;
local paths only inside the datasets folder, with one message for the rest and no file content shown; uploads."""

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
    monkeypatch.delenv("SONGGEN_DATASETS", raising=False)  # the datasets folder is the data folder
    monkeypatch.setenv("SONGGEN_MODELS_DIR", str(tmp_path / "no-models"))
    (tmp_path / "data").mkdir()
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
    data = env / "data"
    at = open_page(PAGE)
    at.radio(key="dataset_source").set_value("Full dataset (local CSV or hub)").run()
    assert not at.exception and at.info and not at.get("vega_lite_chart")
    assert any(str(data.resolve()) in shown(i.value) for i in at.info)  # where local files are read from

    at.text_input(key="dataset_path").set_value("missing.csv").run()
    assert not at.exception and any("no dataset file missing.csv" in e for e in errors_shown(at))

    bad = data / "bad.csv"
    bad.write_text("title,genre\nA song,rock\n", encoding="utf-8")
    at.text_input(key="dataset_path").set_value(str(bad)).run()
    assert not at.exception and any("not in the Genius schema" in e and "1 unexpected column(s)" in e for e in errors_shown(at))
    assert not any("genre" in e for e in errors_shown(at))  # the file's own header cells are never shown
    assert not at.get("vega_lite_chart")

    at.text_input(key="dataset_path").set_value("hub:sebastiandizon/genius-song-lyrics").run()  # the tests run offline
    assert not at.exception and any("HF_HUB_OFFLINE" in e for e in errors_shown(at))

    at.radio(key="dataset_source").set_value("Bundled SAMPLE").run()
    assert not at.exception and not at.error and len(at.get("vega_lite_chart")) == 5


def _page_text(at) -> str:
    return "\n".join(shown(t) for t in markdown_texts(at)) + "\n".join(str(c.value) for c in at.code)


def test_paths_outside_the_datasets_folder_get_one_message_and_no_content(env):
    private = env / "private.txt"
    private.write_text("password=hunter2\nsecond line\n", encoding="utf-8")
    (env / "data" / "link.csv").symlink_to(private)
    at = open_page(PAGE)
    at.radio(key="dataset_source").set_value("Full dataset (local CSV or hub)").run()
    messages = []
    for text in ("/etc/passwd", str(private), str(env / "missing.csv"), "../private.txt", "link.csv"):
        at.text_input(key="dataset_path").set_value(text).run()
        assert not at.exception and not at.get("vega_lite_chart")
        messages.append(errors_shown(at))
        page = _page_text(at)
        for leak in ("root:x", "/bin/bash", "hunter2", "second line"):
            assert leak not in page, (text, leak)
    assert all(m == messages[0] for m in messages) and len(messages[0]) == 1, messages
    assert "datasets folder" in messages[0][0] and "passwd" not in messages[0][0] and "private" not in messages[0][0]


def test_a_quoted_path_is_unquoted(env):
    (env / "data" / "songs.csv").write_bytes(SAMPLE_PATH.read_bytes())
    at = open_page(PAGE)
    at.radio(key="dataset_source").set_value("Full dataset (local CSV or hub)").run()
    for text in (f'"{env / "data" / "songs.csv"}"', "'songs.csv'"):
        at.text_input(key="dataset_path").set_value(text).run()
        assert not at.exception and not at.error, errors_shown(at)
        assert len(at.get("vega_lite_chart")) == 5


def _upload_csv(env) -> bytes:
    """A small Genius-schema CSV: the SAMPLE's first 120 rows."""
    import pandas as pd

    path = env / "upload.csv"
    pd.read_csv(SAMPLE_PATH, keep_default_na=False, dtype=str).head(120).to_csv(path, index=False)
    return path.read_bytes()


def test_an_uploaded_csv_shows_its_statistics(env):
    content = _upload_csv(env)
    stats = dataset_stats(env / "upload.csv", cache_dir=env / "direct")
    at = open_page(PAGE)
    at.radio(key="dataset_source").set_value("Upload a CSV").run()
    assert not at.exception and at.info and not at.get("vega_lite_chart")
    at.file_uploader(key="dataset_upload").set_value(("my songs.csv", content, "text/csv")).run()
    assert not at.exception and not at.error, errors_shown(at)
    assert len(at.get("vega_lite_chart")) == 5
    assert all(shown(s.value).startswith("Uploaded CSV") for s in at.subheader)
    assert any("upload:my songs.csv" in shown(c.value) and "120 rows" in shown(c.value) for c in at.caption)
    balance = _table(at, "English").set_index("tag")
    assert balance["all songs"].to_dict() == stats["songs_per_tag"]["all"]
    splits = _table(at, "train").set_index("tag")
    assert {t: {"train": int(r["train"]), "test": int(r["test"])} for t, r in splits.iterrows()} == stats["splits"]

    at.file_uploader(key="dataset_upload").set_value(("passwd.csv", b"root:x:0:0:root:/root:/bin/bash\n", "text/csv")).run()
    assert not at.exception and not at.get("vega_lite_chart")
    assert any("not in the Genius schema" in e for e in errors_shown(at)) and "root:x" not in _page_text(at)


def test_server_listens_on_loopback_unless_configured():
    import tomllib

    from studio_app import ROOT

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
