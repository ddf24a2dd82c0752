"""Generate: lyrics streamed as they are written, then music, a player and downloads.

Flow: the form -> Generate (the lyrics stream in; "Stop writing" keeps the lines so far)
-> repeat with a new seed, start over, or continue to music -> Compose (progress) ->
player, downloads, regenerate the music. Every song with music is kept
(songgen_core.songs). The song part of the page: songgen_app/generate_view.py.
"""

import streamlit as st

from songgen_app import generate_view as view
from songgen_app.forms import lyrics_defaults
from songgen_app.resources import default_genre, feedback_store, plans_or_stop, registry_or_stop, warm_lyrics_model
from songgen_app.text import error_box, field_error
from songgen_core import paths

st.set_page_config(page_title="Write a song · SongGen Studio", page_icon="✍️", layout="wide")

registry = registry_or_stop()
plans_or_stop()  # a broken config/songs.toml is named here, before any song
store = feedback_store()
defaults = lyrics_defaults()
genres = registry.genres()
if not genres:
    error_box("The model registry lists no genres: add one to config/models.toml, e.g. rock = \"embedded:gemma3-270m\".")
    st.stop()
errors = st.session_state.get("gen_errors", {})
SAMPLING = ("max_words", "temperature", "top_k", "top_p", "seed")
MODES = {"structured": "Song (verses, a chorus with the title, rhymes)", "free": "Free (one run of the model, as written)"}

st.title("Write a song")
warm_lyrics_model(registry)
with st.form("lyrics_form"):
    st.selectbox("Genre", genres, index=genres.index(default_genre(registry)), key="gen_genre", persist_state="session")
    field_error(errors, "genre")
    st.text_input("Title", key="gen_title", persist_state="session", help="Up to 120 characters.")
    field_error(errors, "title")
    st.text_input("Artist to take after (optional)", key="gen_artist", persist_state="session",
                  help="Up to 120 characters.")
    field_error(errors, "artist")
    st.text_input("Opening line", key="gen_opening", persist_state="session", help="Up to 300 characters.")
    field_error(errors, "opening_line")
    mode_col, length_col, clean_col = st.columns([3, 2, 1], vertical_alignment="bottom")
    mode_col.radio("Lyrics", list(MODES), format_func=MODES.get, key="gen_mode", horizontal=True, persist_state="session")
    length_col.radio("Length", ["short", "standard", "long"], index=1, key="gen_length_words", horizontal=True,
                     persist_state="session", help="Songs: standard is 150-250 words. Free lyrics: see Advanced.")
    clean_col.toggle("Clean lyrics", value=True, key="gen_clean", persist_state="session",
                     help="Keeps profanity and sexual vulgarity out: lines holding such words are not kept.")
    field_error(errors, "mode", "length", "explicit")
    with st.expander("Advanced sampling", expanded=any(field in errors for field in SAMPLING)):
        st.slider("Length of free lyrics (words)", 10, 400, defaults["max_words"], 10, key="gen_max_words", persist_state="session")
        field_error(errors, "max_words")
        st.slider("Temperature (0 = always the likeliest word)", 0.0, 2.0, defaults["temperature"], 0.05,
                  key="gen_temperature", persist_state="session")
        field_error(errors, "temperature")
        st.number_input("Top-k (0 = off)", 0, 1000, defaults["top_k"], 1, key="gen_top_k", persist_state="session")
        field_error(errors, "top_k")
        st.slider("Top-p", 0.01, 1.0, defaults["top_p"], 0.01, key="gen_top_p", persist_state="session")
        field_error(errors, "top_p")
        st.number_input("Seed (empty = a new random seed each time)", 0, 2**32 - 1, None, 1, key="gen_seed",
                        persist_state="session")
        field_error(errors, "seed")
    st.form_submit_button("Generate lyrics", type="primary", on_click=view.on_generate)

view.song_area(registry, store, paths.data_dir())
