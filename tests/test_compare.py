"""Compare (issue 12): a pair made by two systems from one prompt, blind votes, the leaderboard.

Two systems on the tiny trained GPT-2: structured songs and free lyrics (short), both with
the arranger, so a pair takes seconds."""

from __future__ import annotations

import random

import pytest

from songgen_core.compare import (PairRequest, bundled_prompts, cast_vote, draw_systems, leaderboard_for, make_pair,
                                  new_voter_id, unknown_system_names)
from songgen_core.errors import InvalidRequestError
from songgen_core.store import DuplicateVoteError, StoreError, VoteRecord
from songgen_core.systems import UnknownSystemError, load_systems
from studio_app import make_studio


def systems_file(tmp_path, model_dir, check_rate=0.0):
    path = tmp_path / "systems.toml"
    path.write_text(f"[compare]\ncheck_rate = {check_rate}\nmin_votes = 2\n"
                    f'[systems.rock-song]\ngenre = "rock"\nlyrics = "path:{model_dir}"\nlength = "short"\n'
                    f'[systems.rock-loose]\ngenre = "rock"\nlyrics = "path:{model_dir}"\nmode = "free"\n'
                    f'temperature = 1.2\n'
                    f'[systems.pop-song]\ngenre = "pop"\nlyrics = "path:{model_dir}"\n', encoding="utf-8")
    return path


@pytest.fixture
def studio(tmp_path, monkeypatch, tiny_lyrics_dir):
    studio = make_studio(tmp_path, monkeypatch, tiny_lyrics_dir)
    monkeypatch.setenv("SONGGEN_SYSTEMS_CONFIG", str(systems_file(tmp_path, tiny_lyrics_dir)))
    return studio


def test_a_pair_is_two_songs_from_one_prompt_shown_blind_then_voted_and_ranked(studio):
    systems = load_systems()
    request = PairRequest("rock", "Quarry Lights", "", "Dust across the quarry road", seed=11)
    pair = make_pair(request, systems, studio.store, rng=random.Random(3))
    assert {pair.system_a, pair.system_b} == {"rock-song", "rock-loose"} and not pair.check
    a, b = studio.store.get_song(pair.song_a), studio.store.get_song(pair.song_b)
    for song, system in ((a, pair.system_a), (b, pair.system_b)):
        assert song["info"]["system"]["name"] == system and song["genre"] == "rock"
        assert song["opening_line"] == "Dust across the quarry road" and song["lyrics_params"]["seed"] == 11
    structured = a if pair.system_a == "rock-song" else b
    assert structured["lyrics"].startswith("[Verse 1]\nDust across the quarry road")
    assert len(studio.store.list_songs()) == 2  # kept like any song: History and Rate list them

    voter = new_voter_id()
    cast_vote(studio.store, pair, "lyrics", "a", voter, comment="A tells a story")
    cast_vote(studio.store, pair, "music", "tie", voter, listened_a_s=6.0, listened_b_s=7.5)
    with pytest.raises(DuplicateVoteError):
        cast_vote(studio.store, pair, "lyrics", "b", voter)
    standing = leaderboard_for(studio.store, "lyrics", "rock", min_votes=1, systems=systems)
    top = standing.board.ranked[0]
    assert top.system == pair.system_a and top.wins == 1 and standing.votes == 1
    assert {s.system for s in standing.board.systems} == {"rock-song", "rock-loose"}


def test_two_systems_are_drawn_from_the_pairs_with_fewest_votes(studio):
    systems = load_systems()
    assert sorted(draw_systems(systems, "rock", studio.store, random.Random(1))) == ["rock-loose", "rock-song"]
    with pytest.raises(InvalidRequestError, match="two systems"):
        draw_systems(systems, "pop", studio.store)


def test_bad_pairs_get_clear_messages_and_make_nothing(studio):
    systems = load_systems()
    with pytest.raises(UnknownSystemError, match="rock-nope"):
        make_pair(PairRequest("rock", "T", "", "Line", system_a="rock-nope"), systems, studio.store)
    with pytest.raises(InvalidRequestError, match="writes pop"):
        make_pair(PairRequest("rock", "T", "", "Line", system_a="rock-song", system_b="pop-song"), systems, studio.store)
    with pytest.raises(InvalidRequestError, match="two different"):
        make_pair(PairRequest("rock", "T", "", "Line", system_a="rock-song", system_b="rock-song"), systems, studio.store)
    with pytest.raises(InvalidRequestError, match="opening_line"):
        make_pair(PairRequest("rock", "T", "", ""), systems, studio.store)
    assert studio.store.list_songs() == []


def test_a_voter_check_shows_one_song_twice_and_flags_a_side_taker(studio, tmp_path, tiny_lyrics_dir, monkeypatch):
    monkeypatch.setenv("SONGGEN_SYSTEMS_CONFIG", str(systems_file(tmp_path, tiny_lyrics_dir, check_rate=0.5)))
    systems = load_systems()
    pair = None
    for seed in range(20):  # half the pairs are checks: one of the first few is
        pair = make_pair(PairRequest("rock", "Mirror", "", "Same old song", seed=1), systems, studio.store,
                         rng=random.Random(seed))
        if pair.check:
            break
    assert pair.check and pair.song_a == pair.song_b and pair.system_a == pair.system_b
    honest, careless = new_voter_id(), new_voter_id()
    cast_vote(studio.store, pair, "lyrics", "tie", honest)
    cast_vote(studio.store, pair, "lyrics", "a", careless)
    assert studio.store.votes.flagged_voters() == {careless}
    standing = leaderboard_for(studio.store, "lyrics", "rock", exclude_flagged=True, systems=systems)
    assert standing.checks == 2 and standing.board.fitted_votes == 0 and standing.flagged_voters == 1


def test_a_vote_on_a_song_deleted_meanwhile_is_refused(studio):
    systems = load_systems()
    pair = make_pair(PairRequest("rock", "Gone", "", "Here and gone", seed=2), systems, studio.store,
                     rng=random.Random(5))
    studio.store.delete_song(pair.song_b, keep_ratings=True)
    with pytest.raises(StoreError, match="deleted meanwhile"):
        cast_vote(studio.store, pair, "lyrics", "a", new_voter_id())
    assert studio.store.votes.count() == 0


def test_flagged_votes_are_left_out_with_one_switch_and_stale_system_names_are_listed(studio):
    systems = load_systems()
    a, b = (studio.store.get_song(i) for i in _two_songs(studio))
    for k in range(4):
        studio.store.votes.add(VoteRecord(f"p{k}", "lyrics", a["id"], b["id"], "rock-song", "rock-old", "a",
                                          voter="steady-voter"))
    studio.store.votes.add(VoteRecord("p9", "lyrics", a["id"], b["id"], "rock-song", "rock-old", "b", voter="flaky-voter"))
    studio.store.votes.add(VoteRecord("c1", "lyrics", a["id"], a["id"], "rock-song", "rock-song", "a", voter="flaky-voter"))
    everyone = leaderboard_for(studio.store, "lyrics", "rock", min_votes=1)
    trusted = leaderboard_for(studio.store, "lyrics", "rock", min_votes=1, exclude_flagged=True)
    assert everyone.board.fitted_votes == 5 and trusted.board.fitted_votes == 4 and trusted.left_out == 1
    assert unknown_system_names(studio.store, systems) == ["rock-old"]
    assert studio.store.votes.count() == 6  # left out, not deleted


def _two_songs(studio):
    from studio_app import make_song

    return make_song(studio, "One"), make_song(studio, "Two", seed=2)


def test_bundled_prompts_cover_every_genre():
    prompts = bundled_prompts()
    assert {p["genre"] for p in prompts} == {"rock", "pop", "rap"}
    assert all(p["title"] and p["opening_line"] for p in prompts) and bundled_prompts("rap")[0]["genre"] == "rap"
