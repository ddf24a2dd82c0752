"""Rate: read and listen, rate lyrics and music 1-5 (history kept), see aggregates, export."""

import altair as alt
import pandas as pd
import streamlit as st

from songgen_app import ui
from songgen_core.errors import InvalidRequestError
from songgen_core.songs import default_data_dir
from songgen_core.store import AGGREGATE_BY, StoreError

st.set_page_config(page_title="Rate · SongGen Studio", page_icon="⭐", layout="wide")
st.title("Rate songs")
store = ui.feedback_store()
data_dir = default_data_dir()
state = st.session_state
BY_LABELS = {"genre": "Genre", "lyrics_model": "Lyrics model", "music_backend": "Music backend"}

try:
    songs = store.list_songs(unrated_first=True, limit=None)
except StoreError as error:
    ui.error_box(f"The feedback database could not be read: {error}")
    st.stop()

# --------------------------------------------------------------------------- rate one song

if not songs:
    st.info("No songs yet. Write one first.")
    st.page_link("pages/1_Generate.py", label="Write a song", icon="✍️")
else:
    by_id = {song["id"]: song for song in songs}
    song_id = st.selectbox("Song (unrated first)", list(by_id), format_func=lambda i: ui.song_label(by_id[i]),
                           key="rate_song")
    song = by_id[song_id]
    ui.heading(song.get("title") or "(untitled)")
    ui.song_details(song)
    ui.lyrics_box(song["lyrics"])
    ui.song_media(song, data_dir, key=f"rate-{song_id}")

    with st.form(f"rate_form_{song_id}", clear_on_submit=True):
        lyrics_col, music_col = st.columns(2)
        with lyrics_col:
            st.write("Lyrics")
            lyrics_stars = st.feedback("stars", key=f"rate_lyrics_{song_id}")
        with music_col:
            st.write("Music")
            music_stars = st.feedback("stars", key=f"rate_music_{song_id}")
        comment = st.text_area("Comment (optional)", key=f"rate_comment_{song_id}", height=80)
        submitted = st.form_submit_button("Save rating", type="primary")
    if submitted:
        chosen = {"lyrics": lyrics_stars, "music": music_stars}
        chosen = {target: stars + 1 for target, stars in chosen.items() if stars is not None}  # 0-4 -> 1-5
        if not chosen:
            st.warning("Choose stars for the lyrics, the music or both.")
        else:
            try:
                for target, score in chosen.items():
                    store.add_rating(song_id, target, score, comment)
            except InvalidRequestError as error:
                ui.error_box(str(error))
            except StoreError as error:
                ui.error_box(f"The rating could not be saved: {error}")
            else:
                st.success("Saved: " + ", ".join(f"{target} {score}/5" for target, score in chosen.items()))

    history = store.ratings_for(song_id)
    if history:
        st.caption("Ratings of this song, oldest first (the latest of each counts):")
        st.dataframe(pd.DataFrame(history)[["target", "score", "comment", "created_at"]], hide_index=True)

# --------------------------------------------------------------------------- aggregates and export

st.divider()
st.subheader("What people think")
st.caption("Mean of each song's latest rating, with its 95% confidence interval (Student t) and the count.")
for by, tab in zip(AGGREGATE_BY, st.tabs([BY_LABELS[by] for by in AGGREGATE_BY])):
    with tab:
        for target in ("lyrics", "music"):
            rows = store.aggregates(by, target)
            if not rows:
                st.caption(f"No {target} ratings yet.")
                continue
            frame = pd.DataFrame(rows).rename(columns={by: "group"})
            frame["group"] = frame["group"].fillna("(none)").astype(str)
            frame["low"] = frame["ci_low"].fillna(frame["mean"])
            frame["high"] = frame["ci_high"].fillna(frame["mean"])
            base = alt.Chart(frame).encode(y=alt.Y("group:N", title=BY_LABELS[by], sort="-x"))
            bars = base.mark_rule().encode(x=alt.X("low:Q", title=f"{target} score", scale=alt.Scale(domain=[0, 6])),
                                           x2="high:Q")
            points = base.mark_point(filled=True, size=80).encode(
                x="mean:Q", tooltip=["group", alt.Tooltip("mean:Q", format=".2f"), "count:Q",
                                     alt.Tooltip("ci_low:Q", format=".2f"), alt.Tooltip("ci_high:Q", format=".2f")])
            counts = base.mark_text(align="left", dx=8).encode(x="high:Q", text=alt.Text("count:Q", format="d"))
            st.altair_chart((bars + points + counts).properties(title=f"{target.capitalize()} by {BY_LABELS[by].lower()}"),
                            width="stretch")
            st.dataframe(frame[["group", "count", "mean", "ci_low", "ci_high"]], hide_index=True)

st.subheader("Export")
csv_col, json_col = st.columns(2)
csv_col.download_button("All ratings as CSV", data=lambda: store.export_ratings("csv"), file_name="ratings.csv",
                        mime="text/csv", key="export_csv", on_click="ignore")
json_col.download_button("All ratings as JSON", data=lambda: store.export_ratings("json"), file_name="ratings.json",
                         mime="application/json", key="export_json", on_click="ignore")
