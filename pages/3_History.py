"""History: every song, newest first; search, filter, replay, download, delete."""

import pandas as pd
import streamlit as st

from songgen_app.resources import feedback_store
from songgen_app.song_view import lyrics_box, song_details, song_label, song_media, song_metrics
from songgen_app.text import error_box, heading
from songgen_core import paths
from songgen_core.errors import InvalidRequestError
from songgen_core.lyric_metrics import metric_scores
from songgen_core.songs import delete_song
from songgen_core.store import StoreError

st.set_page_config(page_title="History · SongGen Studio", page_icon="🗂️", layout="wide")
st.title("History")
store = feedback_store()
data_dir = paths.data_dir()
state = st.session_state
ANY = "(any)"
KEEP, REMOVE = "keep", "remove"

try:
    everything = store.list_songs(limit=None)
except StoreError as error:
    error_box(f"The feedback database could not be read: {error}")
    st.stop()

if "history_notice" in state:
    st.success(state.pop("history_notice"))

genres = sorted({song["genre"] for song in everything})
models = sorted({value for song in everything for value in (song["lyrics_model"], song["music_backend"], song["music_model"])
                 if value})
search_col, genre_col, model_col, rating_col = st.columns([3, 1, 2, 1])
search = search_col.text_input("Search title, artist, opening line and lyrics", key="history_search")
genre = genre_col.selectbox("Genre", [ANY, *genres], key="history_genre")
model = model_col.selectbox("Model or music backend", [ANY, *models], key="history_model")
min_rating = rating_col.selectbox("Mean rating", [ANY, 1, 2, 3, 4, 5], key="history_rating",
                                  format_func=lambda r: r if r == ANY else f"{r}★ or more",
                                  help="The mean of a song's current lyrics and music ratings (the 'mean ★' column).")

try:
    songs = store.list_songs(genre=None if genre == ANY else genre, model=None if model == ANY else model,
                             search=search or None, min_rating=None if min_rating == ANY else float(min_rating),
                             limit=None)
except InvalidRequestError as error:
    with search_col:
        error_box(error.message)
    songs = []

st.caption(f"{len(songs)} of {len(everything)} songs")
if not songs:
    st.info("No songs match." if everything else "No songs yet.")
    st.stop()

table = pd.DataFrame([{
    "created": song["created_at"][:19].replace("T", " "), "title": song["title"], "artist": song["artist"],
    "genre": song["genre"], "lyrics model": song["lyrics_model"], "music": song["music_backend"],
    "lyrics ★": song["lyrics_rating"], "music ★": song["music_rating"], "mean ★": song["rating"],
    **{name: metric_scores(song_metrics(song)).get(name) for name in ("rhyme rate", "words")},
    "ratings": song["ratings_count"],
} for song in songs])
st.dataframe(table, hide_index=True, column_config={"mean ★": st.column_config.NumberColumn(format="%.1f")})

by_id = {song["id"]: song for song in songs}
song_id = st.selectbox("Song", list(by_id), format_func=lambda i: song_label(by_id[i]), key="history_song")
song = by_id[song_id]
heading(song.get("title") or "(untitled)")
song_details(song)
lyrics_box(song["lyrics"])
song_media(song, data_dir, key=f"history-{song_id}")

# Delete: ask first, with an explicit choice about the ratings.
if state.get("history_confirm") != song_id:
    if st.button("Delete this song…", key="history_delete"):
        state.history_confirm = song_id
        st.rerun()
else:
    st.warning(f"Delete this song? It has {song['ratings_count']} rating(s).")
    choice = st.radio("Its ratings", [KEEP, REMOVE], key="history_keep", format_func={
        KEEP: "Keep its ratings (the song is hidden; its ratings and files stay and still count)",
        REMOVE: "Remove its ratings too (the song, its ratings and its files are removed for good)"}.get)
    confirm, cancel = st.columns(2)
    if confirm.button("Delete", type="primary", key="history_delete_confirm"):
        try:
            delete_song(store, song_id, keep_ratings=choice == KEEP, data_dir=data_dir)
        except StoreError as error:
            error_box(f"The song could not be deleted: {error}")
        else:
            state.pop("history_confirm", None)
            state.pop("history_song", None)
            state.history_notice = ("Song deleted; its ratings were kept." if choice == KEEP
                                    else "Song and its ratings deleted.")
            st.rerun()
    if cancel.button("Cancel", key="history_delete_cancel"):
        state.pop("history_confirm", None)
        st.rerun()
