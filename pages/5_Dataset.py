"""Dataset: statistics of the Genius lyrics CSV (the bundled SAMPLE, a CSV in the datasets folder, an uploaded
CSV or a hub file): genre balance before and after the English filter, languages, years, lyrics lengths, views,
split sizes.

The page is served over a network, so a typed local path is read only inside the datasets folder
(`training.source.studio_source`); other files are uploaded."""

import json

import streamlit as st

from songgen_app.dataset_view import show_stats
from songgen_app.text import error_box, markdown_literal
from songgen_core import paths
from training.data import SAMPLE_PATH, DatasetError
from training.source import resolve_source, studio_source
from training.stats import dataset_stats

st.set_page_config(page_title="Dataset · SongGen Studio", page_icon="📚", layout="wide")
st.title("Dataset")
SOURCES = ("Bundled SAMPLE", "Full dataset (local CSV or hub)", "Upload a CSV")

st.write(
    "The original design trains on English songs only (language = en) of three Genius tags: rock, pop and rap, "
    "each split 90/10 into train and test. On the full Genius dataset (sebastiandizon/genius-song-lyrics) that "
    "leaves rock 633,308, pop 1,393,559 and rap 964,605 English songs."
)


@st.cache_data(show_spinner=False, max_entries=8)
def _stats(key: str, _dataset) -> dict:
    """Keyed by the file's identity (path, size, mtime or hub blob) or the upload's file id, so an upload is
    not hashed again on every rerun; `dataset_stats` also keeps its JSON cache on disk (by content hash)."""
    return dataset_stats(_dataset)


choice = st.radio("Dataset", SOURCES, horizontal=True, key="dataset_source")
if choice == SOURCES[1]:
    typed = st.text_input("Path of the Genius CSV in the datasets folder (song_lyrics.csv, about 9 GB), "
                          "or hub:sebastiandizon/genius-song-lyrics", key="dataset_path")
    if not typed.strip():
        st.info(markdown_literal(
            f"Type the path of a CSV in the datasets folder {paths.datasets_dir()} (relative to it, or absolute; "
            "SONGGEN_DATASETS sets the folder), or a hub id (hub:owner/name, read as a stream; needs the internet). "
            "Its statistics are computed once in one streaming pass (minutes for the full 9 GB file) and then cached."))
        st.stop()
elif choice == SOURCES[2]:
    upload = st.file_uploader("A CSV in the Genius schema", type=["csv"], key="dataset_upload")
    if upload is None:
        st.info("Upload a CSV in the Genius schema (up to the server's upload limit, 200 MB by default); it is read "
                "as a stream and its statistics are cached by its content.")
        st.stop()

try:
    if choice == SOURCES[0]:
        dataset = resolve_source(SAMPLE_PATH)
        key = json.dumps(dataset.identity(), sort_keys=True)
    elif choice == SOURCES[1]:
        dataset = studio_source(typed)
        key = json.dumps(dataset.identity(), sort_keys=True)
    else:
        dataset, key = resolve_source(upload), f"upload:{upload.file_id}"
    with st.spinner("Computing the statistics in one streaming pass (minutes for the full dataset; cached afterwards)…"):
        stats = _stats(key, dataset)
except DatasetError as error:
    error_box(str(error))
    st.stop()
except (OSError, ValueError) as error:
    # The error's kind only: a parser's ValueError may quote the file.
    error_box(f"The dataset could not be read as a Genius CSV ({getattr(error, 'strerror', None) or type(error).__name__}).")
    st.stop()

is_sample = choice == SOURCES[0] or bool(stats.get("sample"))
LABEL = "SAMPLE" if is_sample else "Uploaded CSV" if choice == SOURCES[2] else "Full dataset"

show_stats(stats, LABEL, is_sample)
