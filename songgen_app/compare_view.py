"""The Compare page's pair: both songs side by side as A and B, the listening gate, the votes,
and the reveal (pages/6_Compare.py draws the prompt form and calls `pair_area`).

The pair on screen is `cmp_pair`; its votes are read back from the store (by pair and voter),
so a double click or an old button cannot vote twice or on another pair. The lyrics vote opens
LYRICS_UNLOCK_S after the pair is shown; the music vote once both players have been played
for a few seconds, as the browser reports it (listening/index.html, a component that reads
the two players of this page); the seconds listened are stored with the vote. The systems'
names are shown once both votes are in.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from songgen_core.compare import LYRICS_UNLOCK_S, Pair, cast_vote
from songgen_core.errors import InvalidRequestError
from songgen_core.song_folder import SONG_FILES, song_files
from songgen_core.store import DuplicateVoteError, FeedbackStore, StoreError

from .song_view import lyrics_box
from .text import caption, error_box, success_box

state = st.session_state
MUSIC_UNLOCK_S = 5.0
OUTCOME_LABELS = {"a": "A is better", "b": "B is better", "tie": "Tie", "both_bad": "Both bad"}
_listening = components.declare_component("songgen_listening", path=str(Path(__file__).parent / "listening"))


def on_vote(store: FeedbackStore, pair: Pair, aspect: str, outcome: str, listened: dict | None):
    """Store the vote of the pair it was drawn for; a second click is told, not stored."""
    if state.get("cmp_pair") is None or state.cmp_pair.pair_id != pair.pair_id:
        return  # a button of an earlier pair
    listened = listened or {}
    try:
        cast_vote(store, pair, aspect, outcome, state.cmp_voter, listened_a_s=listened.get("a"),
                  listened_b_s=listened.get("b"), comment=state.get(f"cmp_comment_{pair.pair_id}", ""))
        state.cmp_message = ("success", f"Your {aspect} vote is saved: {OUTCOME_LABELS[outcome]}.")
    except DuplicateVoteError:  # a double click: the first click's vote stands
        state.cmp_message = ("success", f"Your {aspect} vote was already saved; it stands as first given.")
    except (InvalidRequestError, StoreError) as error:
        state.cmp_message = ("error", f"The {aspect} vote was not saved: {error}")


def pair_area(pair: Pair, store: FeedbackStore, data_dir: Path) -> None:
    """The two songs as A and B, the votes, and, once both are in, the systems' names."""
    songs = {side: store.get_song(song_id) for side, song_id in (("a", pair.song_a), ("b", pair.song_b))}
    votes = store.votes.for_pair(pair.pair_id, state.cmp_voter)
    for side, column in zip("ab", st.columns(2)):
        with column:
            st.subheader(side.upper())
            lyrics_box(songs[side]["lyrics"])
            files = song_files(songs[side], data_dir)
            with st.container(key=f"cmp_audio_{side}"):
                if "mp3" in files:
                    st.audio(str(files["mp3"]), format=SONG_FILES["mp3"][1])
                else:
                    st.warning("The audio of this song is missing.")
    durations = [float((s.get("info") or {}).get("music", {}).get("duration_s") or 0) for s in songs.values()]
    unlock_s = max(1.0, min([MUSIC_UNLOCK_S] + [0.8 * d for d in durations if d > 0]))
    listened = _listening(a="st-key-cmp_audio_a", b="st-key-cmp_audio_b", unlock_s=unlock_s,
                          key=f"cmp_listening_{pair.pair_id}", default=None)
    st.text_input("Comment (optional, saved with your votes)", key=f"cmp_comment_{pair.pair_id}", max_chars=2000)
    if "cmp_message" in state:
        kind, text = state.pop("cmp_message")
        (success_box if kind == "success" else error_box)(text)
    _vote_row(store, pair, "lyrics", votes, locked=_lyrics_wait(pair), listened=listened)
    music_locked = None if listened else (f"Play both songs for {unlock_s:.0f} s or more to vote on the music "
                                          "(the vote opens by itself).")
    _vote_row(store, pair, "music", votes, locked=music_locked, listened=listened)
    if len(votes) == 2:
        names = f"A was made by **{pair.system_a}**, B by **{pair.system_b}**."
        st.info(("This pair was a voter check: one song shown twice. " if pair.check else "") + names)


def _lyrics_wait(pair: Pair) -> str | None:
    waited = time.time() - datetime.fromisoformat(pair.shown_at).timestamp()
    if waited >= LYRICS_UNLOCK_S:
        return None
    return f"Read both lyrics: the lyrics vote opens in {LYRICS_UNLOCK_S - waited:.0f} s."


def _vote_row(store: FeedbackStore, pair: Pair, aspect: str, votes: dict, locked: str | None,
              listened: dict | None) -> None:
    st.markdown(f"**Which {aspect} are better?**")
    done = votes.get(aspect)
    if done is not None:
        caption(f"You voted: {OUTCOME_LABELS[done['outcome']]}.")
        return
    for outcome, column in zip(OUTCOME_LABELS, st.columns(len(OUTCOME_LABELS))):
        column.button(OUTCOME_LABELS[outcome], key=f"cmp_{aspect}_{outcome}_{pair.pair_id}", disabled=locked is not None,
                      on_click=on_vote, args=(store, pair, aspect, outcome, listened if aspect == "music" else None))
    if locked:
        caption(locked)
        if aspect == "lyrics":
            _rerun_when_open()


@st.fragment(run_every=1.0)
def _rerun_when_open() -> None:
    """Rerun the page once the lyrics vote opens (a timer, without a click)."""
    pair = state.get("cmp_pair")
    if pair is not None and _lyrics_wait(pair) is None:
        st.rerun()
