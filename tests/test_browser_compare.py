"""Compare in a real browser (issue 12): two systems, one pair made, the lyrics vote after the
wait, the music vote once both players were played (the listening component reports it), the
names revealed, the votes in feedback.db with their listening times, and the leaderboard
listing both systems.

Skipped only where /usr/bin/chromium or the playwright package is missing; .ci/run installs both.
"""

from __future__ import annotations

import pytest

from browser_studio import chromium_page, missing, no_exception, streamlit_server, studio_env, wait_idle
from songgen_core.store import FeedbackStore
from test_compare import systems_file

pytestmark = pytest.mark.skipif(missing() is not None, reason=f"browser test skipped: {missing()}")


def test_a_blind_pair_voted_on_lyrics_and_music_then_the_leaderboard(tmp_path, tiny_lyrics_dir):
    env = studio_env(tmp_path, {"rock": tiny_lyrics_dir, "pop": tiny_lyrics_dir})
    env["SONGGEN_SYSTEMS_CONFIG"] = str(systems_file(tmp_path, tiny_lyrics_dir))
    with streamlit_server(env, log_on_exit=True) as url, chromium_page() as page:
        page.goto(f"{url}/Compare")
        page.get_by_role("button", name="Make the pair").wait_for()
        page.locator(".st-key-cmp_title input").fill("Quarry Lights")
        page.locator(".st-key-cmp_opening input").fill("Dust across the quarry road")
        page.get_by_role("button", name="Make the pair").click()
        page.get_by_role("heading", name="B", exact=True).wait_for()
        page.locator('[data-testid="stCode"]').nth(1).wait_for()
        wait_idle(page)
        assert page.locator('[data-testid="stCode"]').count() == 2
        assert "rock-song" not in page.content() and "rock-loose" not in page.content()  # blind

        lyrics_a = page.get_by_role("button", name="A is better").first
        page.get_by_text("lyrics vote opens in").wait_for()
        page.wait_for_function(  # enabled after the wait, by the page's own timer
            "() => [...document.querySelectorAll('button')].filter(b => b.innerText.trim() === 'A is better')"
            ".some(b => !b.disabled)", polling=200, timeout=20_000)
        lyrics_a.click()
        page.get_by_text("Your lyrics vote is saved: A is better.").wait_for()

        # Play both songs (muted: a headless page may start muted audio without a click).
        page.get_by_text("Play both songs").wait_for()
        for side in ("a", "b"):
            page.locator(f".st-key-cmp_audio_{side} audio").evaluate("a => { a.muted = true; return a.play(); }")
        page.wait_for_function(
            "() => [...document.querySelectorAll('button')].filter(b => b.innerText.trim() === 'Tie')"
            ".some(b => !b.disabled)", polling=200, timeout=30_000)
        wait_idle(page)
        page.get_by_role("button", name="Tie").click()
        page.get_by_text("A was made by").wait_for()
        no_exception(page)

        page.goto(f"{url}/Leaderboard")
        page.get_by_text("Too few votes to rank").wait_for()
        board = page.locator('[data-testid="stDataFrame"]').first
        board.wait_for()
        no_exception(page)

    votes = FeedbackStore(env["SONGGEN_DB"]).votes.list()
    assert [(v["aspect"], v["outcome"]) for v in votes] == [("lyrics", "a"), ("music", "tie")]
    music = votes[1]
    assert music["listened_a_s"] >= 4.0 and music["listened_b_s"] >= 4.0
    assert {music["system_a"], music["system_b"]} == {"rock-song", "rock-loose"}
    assert len(FeedbackStore(env["SONGGEN_DB"]).list_songs()) == 2
