"""SongGen Studio: the entry page (status and navigation)."""

import streamlit as st

from songgen_core.errors import ConfigError
from songgen_core.studio import device_status, model_status

st.set_page_config(page_title="SongGen Studio", page_icon="🎵", layout="wide")
st.title("SongGen Studio")
st.write(
    "Pick a genre, give a title, an artist to take after and an opening line: a language model "
    "writes the lyrics, then a music backend composes music from them. Listen, regenerate, download."
)

device = device_status()
if device["device"] == "cpu":
    st.info(f"Running on the CPU ({device['threads']} torch threads, {device['cores']} cores).")
else:
    st.success(f"Running on {device['name']} ({device['memory_gib']} GiB).")

try:
    st.subheader("Lyrics models")
    st.dataframe(model_status(), hide_index=True, use_container_width=True)
except ConfigError as error:
    st.error(f"The model registry could not be read: {error}")

st.page_link("pages/1_Generate.py", label="Write a song", icon="✍️")
