"""SongGen Studio: the entry page (what it does, status, navigation)."""

import streamlit as st

from songgen_app.resources import feedback_store, warm_lyrics_model
from songgen_app.status import device_status, model_status, musicgen_status
from songgen_app.text import caption, error_box
from songgen_core.errors import ConfigError
from songgen_core.registry import load_registry
from songgen_core.store import StoreError

st.set_page_config(page_title="SongGen Studio", page_icon="🎵", layout="wide")
st.title("SongGen Studio")
st.write(
    "Pick a genre, give a title, an artist to take after and an opening line: a language model "
    "writes the lyrics while you watch, then a music backend composes music from them. Listen, "
    "regenerate, download MP3, WAV, MIDI and the lyrics, and rate lyrics and music so that people "
    "judge the quality. Every song is kept."
)

st.page_link("pages/1_Generate.py", label="Write a song", icon="✍️")
st.page_link("pages/2_Rate.py", label="Rate songs", icon="⭐")
st.page_link("pages/3_History.py", label="History", icon="🗂️")
st.page_link("pages/4_Training.py", label="Training runs", icon="📈")
st.page_link("pages/5_Dataset.py", label="Dataset", icon="📚")
st.page_link("pages/6_Compare.py", label="Compare blind (A/B)", icon="⚖️")
st.page_link("pages/7_Leaderboard.py", label="Leaderboard", icon="🏆")

st.subheader("Device")
device = device_status()
if device["device"] == "cpu":
    st.info(f"Running on the CPU ({device['threads']} torch threads, {device['cores']} cores).")
else:
    st.success(f"Running on the GPU {device['name']} ({device['memory_gib']} GiB of memory).")

st.subheader("Songs and ratings")
try:
    counts = feedback_store().counts()
    songs, ratings = st.columns(2)
    songs.metric("Songs", counts["songs"])
    ratings.metric("Ratings", counts["ratings"])
except StoreError as error:
    error_box(f"The feedback database could not be read: {error}")

st.subheader("Models")
try:
    registry = load_registry()
    warm_lyrics_model(registry, announce=False)  # the first song should not wait for the load
    st.dataframe(model_status(registry), hide_index=True)
    st.caption("A model loads on first use and then stays loaded. Change a genre's model in "
               "config/models.toml; a trained folder models/GENRE/ takes over its genre. LoRA adapters "
               "run on their base, loaded once and shared (one generation at a time on it), without the "
               "CPU speed preset.")
    music = musicgen_status(registry)
    caption(f"Music: default backend {registry.music_backend}; the arranger needs no weights. "
               f"MusicGen model {music['model']}: {'available' if music['available'] else 'not available'} "
               f"({music['note']}).")
except ConfigError as error:
    error_box(f"The model registry could not be read: {error}. Fix config/models.toml and reload.")
