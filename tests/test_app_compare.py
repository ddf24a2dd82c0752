"""The Compare and Leaderboard pages (AppTest; issue 12): make a pair, vote on the lyrics once
the wait is over, the music vote locked until the browser reports listening (the browser test
plays both), the names revealed after both votes; the leaderboard from stored votes."""

from __future__ import annotations

import time

import pytest

from songgen_core.store import VoteRecord
from studio_app import button, make_song, make_studio, markdown_texts, open_page
from test_compare import systems_file

PAGE = "pages/6_Compare.py"
BOARD = "pages/7_Leaderboard.py"


@pytest.fixture
def studio(tmp_path, monkeypatch, tiny_lyrics_dir):
    studio = make_studio(tmp_path, monkeypatch, tiny_lyrics_dir)
    monkeypatch.setenv("SONGGEN_SYSTEMS_CONFIG", str(systems_file(tmp_path, tiny_lyrics_dir)))
    return studio


def make_pair_on_page(at, title="Quarry Lights", opening="Dust across the quarry road"):
    at.selectbox(key="cmp_genre").set_value("rock").run()
    at.text_input(key="cmp_title").set_value(title)
    at.text_input(key="cmp_opening").set_value(opening)
    return button(at, "Make the pair").click().run()


def test_make_a_pair_vote_blind_then_see_the_names(studio):
    at = make_pair_on_page(open_page(PAGE))
    assert not at.exception and not at.error
    pair = at.session_state.cmp_pair
    assert [s.value for s in at.subheader][-2:] == ["A", "B"]
    assert len(at.code) == 2 and len(at.get("audio")) == 2
    texts = "\n".join(markdown_texts(at))
    assert pair.system_a not in texts and pair.system_b not in texts  # blind
    lyrics_a = button(at, "A is better")
    assert lyrics_a.disabled and any("opens in" in c.value for c in at.caption)
    time.sleep(5.1)
    at.run()
    [a_better, music_a] = [b for b in at.button if b.label == "A is better"]
    assert not a_better.disabled and music_a.disabled
    assert any("Play both songs" in c.value for c in at.caption)
    at.text_input(key=f"cmp_comment_{pair.pair_id}").set_value("A has a chorus")
    stale = a_better
    at = a_better.click().run()
    assert any("lyrics vote is saved" in s.value for s in at.success)
    at = stale.click().run()  # a double click: the button of the same pair, already voted
    assert any("already saved" in s.value for s in at.success) and not at.error
    [vote] = studio.store.votes.list()
    assert (vote["aspect"], vote["outcome"], vote["song_a"], vote["comment"]) == ("lyrics", "a", pair.song_a, "A has a chorus")
    assert vote["voter"] == at.session_state.cmp_voter and vote["listened_a_s"] is None
    assert not any(pair.system_a in t for t in markdown_texts(at))  # one vote in: still blind

    # The music vote, as the browser would unlock it (its listening report), then the reveal.
    studio.store.votes.add(VoteRecord(pair.pair_id, "music", pair.song_a, pair.song_b, pair.system_a, pair.system_b,
                                      "tie", at.session_state.cmp_voter, 6.0, 6.5))
    at.run()
    assert any(pair.system_a in t and pair.system_b in t for t in markdown_texts(at))
    assert len(studio.store.list_songs()) == 2


def test_a_bad_prompt_is_told_and_nothing_is_made(studio):
    at = make_pair_on_page(open_page(PAGE), opening="")
    assert not at.exception and any("Opening line" in e.value for e in at.error), [e.value for e in at.error]
    assert studio.store.list_songs() == [] and "cmp_pair" not in at.session_state


def test_the_leaderboard_ranks_systems_and_exports_votes(studio):
    one, two = make_song(studio, "One"), make_song(studio, "Two", seed=2)
    for k in range(3):
        studio.store.votes.add(VoteRecord(f"p{k}", "lyrics", one, two, "rock-song", "rock-loose", "a", voter="voter-steady"))
    at = open_page(BOARD)
    assert not at.exception
    table, provisional = at.dataframe  # the ranked systems; apart, pop's system without votes
    assert list(table.value["system"]) == ["rock-song", "rock-loose"] and list(table.value["votes"]) == [3, 3]
    assert list(provisional.value["system"]) == ["pop-song"]
    assert [d.label for d in at.get("download_button")] == ["Votes (CSV)", "Votes (JSON)"]
    at.radio(key="lb_aspect").set_value("music").run()
    assert any("No system has 2 music votes" in i.value for i in at.info)
