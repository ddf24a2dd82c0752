"""Leaderboard: the systems ranked by the blind votes of the Compare page.

Per aspect (lyrics, music), one genre or all: Bradley-Terry scores with bootstrap 95%
intervals, win rates and vote counts (songgen_core.ranking), systems under the minimum of
votes listed apart; voter checks never count, and flagged voters' votes can be left out with
one switch (they stay stored). The star ratings of the Rate page beside it; votes as CSV/JSON.
"""

import streamlit as st

from songgen_app.leaderboard_view import leaderboard_chart, leaderboard_frame, stars_frame
from songgen_app.resources import feedback_store, registry_or_stop, systems_or_stop
from songgen_app.tables import whole_text_columns
from songgen_app.text import caption, warning_box
from songgen_core.compare import leaderboard_for, unknown_system_names

st.set_page_config(page_title="Leaderboard · SongGen Studio", page_icon="🏆", layout="wide")
st.title("Leaderboard")
registry = registry_or_stop()
systems = systems_or_stop(registry)
store = feedback_store()
ALL = "All genres"

genre_col, aspect_col, flag_col = st.columns([2, 2, 3], vertical_alignment="bottom")
genre = genre_col.selectbox("Genre", [ALL, *sorted({s.genre for s in systems.systems.values()})], key="lb_genre")
aspect = aspect_col.radio("Aspect", ["lyrics", "music"], horizontal=True, key="lb_aspect")
exclude = flag_col.toggle("Leave out flagged voters", key="lb_exclude",
                          help="Voters who preferred one side of a voter check (one song shown twice).")
standing = leaderboard_for(store, aspect, None if genre == ALL else genre, exclude_flagged=exclude,
                           min_votes=systems.min_votes, systems=systems)
board = standing.board
caption(f"{standing.votes} {aspect} votes stored ({standing.checks} voter checks, never counted) · "
        f"{standing.flagged_voters} flagged voters" + (f", {standing.left_out} of their votes left out" if exclude else "")
        + f" · Bradley-Terry fit of {board.fitted_votes} votes, {board.rounds} bootstrap rounds")
if board.ranked:
    frame = leaderboard_frame(board.ranked)
    st.dataframe(frame, hide_index=True, column_config=whole_text_columns(frame, "system"))
    st.altair_chart(leaderboard_chart(frame), width="stretch")
else:
    st.info(f"No system has {systems.min_votes} {aspect} votes yet: vote on the Compare page.")
if board.provisional:
    st.markdown(f"**Too few votes to rank** (under {systems.min_votes})")
    provisional = leaderboard_frame(board.provisional)
    st.dataframe(provisional, hide_index=True, column_config=whole_text_columns(provisional, "system"))
stale = unknown_system_names(store, systems)
if stale:
    warning_box(f"Votes name systems no longer in config/systems.toml: {', '.join(stale)} (kept and counted).")

st.subheader("Star ratings (Rate page)")
stars = stars_frame(store, aspect)
if stars is None:
    st.info(f"No {aspect} star ratings yet.")
else:
    st.dataframe(stars, hide_index=True, column_config=whole_text_columns(stars, "group"))

st.subheader("Export the votes")
csv_col, json_col = st.columns(2)
csv_col.download_button("Votes (CSV)", data=lambda: store.votes.export("csv"), file_name="votes.csv", mime="text/csv",
                        on_click="ignore")
json_col.download_button("Votes (JSON)", data=lambda: store.votes.export("json"), file_name="votes.json",
                         mime="application/json", on_click="ignore")
