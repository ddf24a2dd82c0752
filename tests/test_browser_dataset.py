"""The Dataset page in a real browser (`streamlit run Home.py`, headless Debian chromium through
Playwright): paths outside the datasets folder all get the same message and no file content
reaches the page; an uploaded Genius-schema CSV shows its statistics.

Skipped only where /usr/bin/chromium or the playwright package is missing; .ci/run installs both.
"""

from __future__ import annotations

import pandas as pd
import pytest

from browser_studio import chromium_page, missing, no_exception, streamlit_server, wait_idle
from training.data import SAMPLE_PATH
from training.stats import dataset_stats

pytestmark = pytest.mark.skipif(missing() is not None, reason=f"browser test skipped: {missing()}")

SECRET = "hunter2-do-not-show"
LEAKS = ("root:x", "/bin/bash", "daemon:", SECRET)


@pytest.fixture
def studio(tmp_path):
    """The app with its data folder (the datasets folder) in tmp_path, a private file beside it."""
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "no-models").mkdir()
    private = tmp_path / "private.txt"
    private.write_text(f"password={SECRET}\nsecond line\n", encoding="utf-8")
    env = {"SONGGEN_DATA": str(data), "SONGGEN_DATASETS": "", "SONGGEN_CACHE": str(tmp_path / "cache"),
           "SONGGEN_DB": str(tmp_path / "feedback.db"), "SONGGEN_MODELS_DIR": str(tmp_path / "no-models"),
           "OMP_NUM_THREADS": "1"}
    with streamlit_server(env, log_on_exit=True) as url:
        yield url, tmp_path, private


def _alert(page, text: str) -> str:
    """The text of the alert holding `text`, once it is on the page and the script has finished."""
    alert = page.locator('[data-testid="stAlert"]').filter(has_text=text)
    alert.first.wait_for()
    wait_idle(page)
    no_exception(page)
    return alert.first.inner_text().replace("\u200b", "")


def _page_text(page) -> str:
    """What the page shows, without the zero-width spaces `markdown_literal` puts after colons."""
    return page.locator("body").inner_text().replace("\u200b", "")


def _type_path(page, text: str) -> None:
    field = page.locator(".st-key-dataset_path input")
    field.fill(text)
    field.press("Enter")


def test_outside_paths_one_message_and_an_upload_shows_its_statistics(studio):
    url, tmp_path, private = studio
    with chromium_page() as page:
        page.goto(f"{url}/Dataset")
        page.get_by_text("SAMPLE: genre balance", exact=False).first.wait_for()
        wait_idle(page)
        page.get_by_text("Full dataset (local CSV or hub)").click()
        _alert(page, "datasets folder")  # the hint names the folder

        messages = []
        for outside in ("/etc/passwd", str(private), str(tmp_path / "missing.csv")):
            # A missing file inside the folder first: its own message, so each wait below sees a fresh page.
            _type_path(page, "missing.csv")
            _alert(page, "no dataset file missing.csv")
            _type_path(page, outside)
            messages.append(_alert(page, "can be read here"))
            body = _page_text(page)
            for leak in LEAKS:
                assert leak not in body, (outside, leak)
            assert page.locator('[data-testid="stVegaLiteChart"]').count() == 0
        assert messages[0] == messages[1] == messages[2], messages
        assert str((tmp_path / "data").resolve()) in messages[0] and "private" not in messages[0]

        # Upload a small CSV in the Genius schema: its statistics, not the SAMPLE's.
        upload = tmp_path / "my_songs.csv"
        pd.read_csv(SAMPLE_PATH, keep_default_na=False, dtype=str).head(120).to_csv(upload, index=False)
        stats = dataset_stats(upload, cache_dir=tmp_path / "direct")
        page.get_by_text("Upload a CSV").click()
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
        page.get_by_text("Uploaded CSV: genre balance", exact=False).first.wait_for()
        wait_idle(page)
        no_exception(page)
        body = _page_text(page)
        assert "upload:my_songs.csv" in body and f"{stats['dataset']['rows']:,} rows" in body
        cleaning = stats["cleaning"]
        assert f"kept {cleaning['kept']:,}" in body and f"{cleaning['dropped_language']:,} not English" in body
        assert page.locator('[data-testid="stVegaLiteChart"]').count() == 5
