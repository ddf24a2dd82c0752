"""Rate: read and listen, rate lyrics and music 1-5 (history kept), see aggregates, export.

The song being rated is this page's own state (`rate_current`), not the picker's: the
picker's labels change when a song is rated, and the page must stay on the song a person
sees until they move on (the picker or "Next unrated"). A rating is saved by the form's
callback with the id of the song the form was drawn for, so it can never land on another.
"""

import pandas as pd
import streamlit as st

from songgen_app.rating_charts import aggregate_chart, aggregate_frame, metric_correlations
from songgen_app.resources import feedback_store
from songgen_app.song_view import lyrics_box, picked_song, song_details, song_label, song_media, song_metrics, song_name
from songgen_app.text import error_box, heading, success_box, warning_box
from songgen_core import paths
from songgen_core.errors import InvalidRequestError
from songgen_core.store import AGGREGATE_BY, MIN_CORRELATION_COUNT, MIN_INTERVAL_COUNT, TARGETS, StoreError

st.set_page_config(page_title="Rate · SongGen Studio", page_icon="⭐", layout="wide")
st.title("Rate songs")
store = feedback_store()
data_dir = paths.data_dir()
state = st.session_state
BY_LABELS = {"genre": "Genre", "lyrics_model": "Lyrics model", "music_backend": "Music backend"}


def on_pick(names: dict[str, str]):
    picked = picked_song(state.rate_song, names)
    if picked is not None:
        state.rate_current = picked


def on_next(after: str, unrated: list[str]):
    """Move to the next song still missing a rating after `after` (wrapping round)."""
    if after in unrated:
        i = unrated.index(after)
        unrated = unrated[i + 1:] + unrated[:i]
    if unrated:
        state.rate_current = unrated[0]


def on_save(song_id: str, current: dict):
    """Save the stars set in the form of `song_id` that differ from its current rating (all
    of them when a comment is written); the outcome is kept for the next run to show."""
    chosen = {target: state.get(f"rate_{target}_{song_id}") for target in TARGETS}
    chosen = {target: stars + 1 for target, stars in chosen.items() if stars is not None}  # 0-4 -> 1-5
    comment = state.get(f"rate_comment_{song_id}") or ""
    if not comment.strip():
        chosen = {target: score for target, score in chosen.items() if score != current.get(target)}
    if not chosen:
        state.rate_notice = (song_id, "warning", "Choose stars for the lyrics, the music or both."
                             if not any(current.values()) else "Nothing changed: these are already your ratings.")
        return
    try:
        store.add_ratings(song_id, chosen, comment)
    except InvalidRequestError as error:
        state.rate_notice = (song_id, "error", str(error))
    except StoreError as error:
        state.rate_notice = (song_id, "error", f"The rating could not be saved: {error}")
    else:
        state[f"rate_comment_{song_id}"] = ""
        state.rate_notice = (song_id, "success", "Saved: " + ", ".join(f"{t} {s}/5" for t, s in chosen.items()))


try:
    songs = store.list_songs(unrated_first=True, limit=None)
except StoreError as error:
    error_box(f"The feedback database could not be read: {error}")
    st.stop()

# --------------------------------------------------------------------------- rate one song

if not songs:
    st.info("No songs yet. Write one first.")
    st.page_link("pages/1_Generate.py", label="Write a song", icon="✍️")
else:
    by_id = {song["id"]: song for song in songs}
    unrated = [song["id"] for song in songs if song["lyrics_rating"] is None or song["music_rating"] is None]
    if state.get("rate_current") not in by_id:  # first visit, or the song was deleted meanwhile
        state.rate_current = songs[0]["id"]
    song_id = state.rate_current
    song = by_id[song_id]
    state.rate_song = song_id  # the picker shows the page's song, under its current label
    picker, next_col = st.columns([5, 1], vertical_alignment="bottom")
    picker.selectbox("Song (unrated first)", list(by_id), format_func=lambda i: song_label(by_id[i]),
                     key="rate_song", on_change=on_pick, args=({song_name(s): s["id"] for s in songs},))
    next_col.button("Next unrated", key="rate_next", on_click=on_next, args=(song_id, unrated),
                    disabled=not [i for i in unrated if i != song_id], width="stretch")
    heading(song.get("title") or "(untitled)")
    song_details(song)
    lyrics_box(song["lyrics"])
    song_media(song, data_dir, key=f"rate-{song_id}")

    current = {"lyrics": song["lyrics_rating"], "music": song["music_rating"]}
    with st.form(f"rate_form_{song_id}"):
        for target, column in zip(TARGETS, st.columns(2)):
            with column:
                st.write(f"{target.capitalize()} (now: {current[target] or 'unrated'})")
                st.feedback("stars", key=f"rate_{target}_{song_id}",
                            default=None if current[target] is None else current[target] - 1)
        st.text_area("Comment (optional)", key=f"rate_comment_{song_id}", height=80)
        st.form_submit_button("Save rating", type="primary", on_click=on_save, args=(song_id, current))
    notice = state.get("rate_notice")
    if notice and notice[0] == song_id:
        {"success": success_box, "warning": warning_box, "error": error_box}[notice[1]](notice[2])

    history = store.ratings_for(song_id)
    if history:
        st.caption("Ratings of this song, oldest first (the latest of each counts):")
        st.dataframe(pd.DataFrame(history)[["target", "score", "comment", "created_at"]], hide_index=True)

# --------------------------------------------------------------------------- aggregates and export

st.divider()
st.subheader("What people think")
st.caption(f"Mean of each song's latest rating, with its 95% confidence interval (Student t, clipped to the 1-5 "
           f"scale; groups with fewer than {MIN_INTERVAL_COUNT} rated songs show no interval) and the count.")
for by, tab in zip(AGGREGATE_BY, st.tabs([BY_LABELS[by] for by in AGGREGATE_BY])):
    with tab:
        for target in TARGETS:
            rows = store.aggregates(by, target)
            if not rows:
                st.caption(f"No {target} ratings yet.")
                continue
            frame = aggregate_frame(rows, by)
            st.altair_chart(aggregate_chart(frame, f"{target.capitalize()} by {BY_LABELS[by].lower()}",
                                               BY_LABELS[by], f"{target} score"), width="stretch")
            st.dataframe(frame[["group", "count", "mean", "interval", "ci_low", "ci_high"]], hide_index=True)

st.subheader("Lyric metrics and the lyrics ratings")
st.caption(f"How each measured property of the lyrics goes with the current lyrics ratings (Pearson's r; shown once "
           f"{MIN_CORRELATION_COUNT} songs or more are rated). A number, not a verdict: read the songs too.")
st.dataframe(metric_correlations(songs, song_metrics), hide_index=True)

st.subheader("Export")
csv_col, json_col = st.columns(2)
csv_col.download_button("All ratings as CSV", data=lambda: store.export_ratings("csv"), file_name="ratings.csv",
                        mime="text/csv", key="export_csv", on_click="ignore")
json_col.download_button("All ratings as JSON", data=lambda: store.export_ratings("json"), file_name="ratings.json",
                         mime="application/json", key="export_json", on_click="ignore")
