"""Dataset: statistics of the Genius lyrics CSV (the bundled SAMPLE, a CSV in the datasets folder, an uploaded
CSV or a hub file): genre balance before and after the English filter, languages, years, lyrics lengths, views,
split sizes.

The page is served over a network, so a typed local path is read only inside the datasets folder
(`training.source.studio_source`); other files are uploaded."""

import json

import altair as alt
import pandas as pd
import streamlit as st

from songgen_app.text import caption, error_box, markdown_literal
from songgen_core import paths
from training.data import DEFAULT_GENRES, SAMPLE_PATH, TAGS, DatasetError
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


def titled(text: str) -> str:
    return f"{LABEL}: {text}"


if is_sample:
    st.warning("SAMPLE: these are the statistics of the small bundled sample (made up in the Genius schema), "
               "not of the full dataset; the full dataset's counts are given above.")
caption(f"{LABEL}: {stats['dataset']['path']} · {stats['dataset']['rows']:,} rows")
genres = [g for g in stats["options"]["genres"]] or list(DEFAULT_GENRES)

# --------------------------------------------------------------------------- genre balance

st.subheader(titled("genre balance before and after the English filter"))
balance = pd.DataFrame({
    "tag": list(TAGS),
    "all songs": [stats["songs_per_tag"]["all"][t] for t in TAGS],
    "English": [stats["songs_per_tag"]["english"][t] for t in TAGS],
    "kept (cleaned)": [stats["splits"][t]["train"] + stats["splits"][t]["test"] for t in TAGS],
    "chosen": [t in genres for t in TAGS],
})
long = balance.melt(id_vars=["tag", "chosen"], value_vars=["all songs", "English"], var_name="filter", value_name="songs")
chart = alt.Chart(long).mark_bar().encode(
    x=alt.X("tag:N", sort=list(TAGS), title="tag"), xOffset=alt.XOffset("filter:N", sort=["all songs", "English"]),
    y=alt.Y("songs:Q", title="songs"), color=alt.Color("filter:N", sort=["all songs", "English"]),
    opacity=alt.condition(alt.datum.chosen, alt.value(1.0), alt.value(0.45)),
    tooltip=["tag", "filter", "songs:Q", "chosen"],
).properties(title=titled("songs per tag, before and after the English filter (chosen tags opaque)"))
st.altair_chart(chart, width="stretch")
st.dataframe(balance, hide_index=True)
caption(f"Chosen tags: {', '.join(genres)}. 'kept (cleaned)' is after the English filter, empty-lyrics and "
           "placeholder removal and de-duplication.")
cleaning = stats["cleaning"]
caption(f"{LABEL} cleaning over all tags: {cleaning['rows']:,} rows; dropped {cleaning['dropped_language']:,} "
           f"not English, {cleaning['dropped_empty']:,} empty, {cleaning['dropped_placeholder']:,} placeholder, "
           f"{cleaning['dropped_duplicate']:,} duplicate; kept {cleaning['kept']:,}.")

# --------------------------------------------------------------------------- split sizes

st.subheader(titled("train/test split sizes (90/10)"))
splits = pd.DataFrame([{"tag": t, "train": stats["splits"][t]["train"], "test": stats["splits"][t]["test"],
                        "chosen": t in genres} for t in TAGS])
splits["test share"] = (splits["test"] / (splits["train"] + splits["test"]).where(lambda n: n > 0)).round(3)
st.dataframe(splits, hide_index=True)
chosen_splits = splits[splits["chosen"]]
caption(f"{LABEL} chosen tags together: {int(chosen_splits['train'].sum()):,} train and "
           f"{int(chosen_splits['test'].sum()):,} test songs (the split is a seeded hash of the song id, "
           "so no test song is ever in train).")

# --------------------------------------------------------------------------- languages, years, views

left, right = st.columns(2)
with left:
    st.subheader(titled("languages"))
    languages = pd.DataFrame(list(stats["languages"].items()), columns=["language", "songs"])
    top = languages.head(15)
    st.altair_chart(alt.Chart(top).mark_bar().encode(
        x=alt.X("songs:Q"), y=alt.Y("language:N", sort="-x"), tooltip=["language", "songs"],
    ).properties(title=titled("songs per language (top 15, all tags)")), width="stretch")
    st.dataframe(languages, hide_index=True)
with right:
    st.subheader(titled("years by decade"))
    years = pd.DataFrame([{"decade": k if k == "(missing)" else f"{k}s", "songs": v} for k, v in stats["years"].items()])
    st.altair_chart(alt.Chart(years).mark_bar().encode(
        x=alt.X("decade:N", sort=list(years["decade"])), y="songs:Q", tooltip=["decade", "songs"],
    ).properties(title=titled("songs per decade (all tags)")), width="stretch")
    st.dataframe(years, hide_index=True)

st.subheader(titled("views"))
views = pd.DataFrame([{"views": k if k in ("0", "(missing)") else f"{10 ** int(k[2:]):,}+", "songs": v}
                      for k, v in stats["views"].items()])
st.altair_chart(alt.Chart(views).mark_bar().encode(
    x=alt.X("views:N", sort=list(views["views"]), title="views (log10 bucket: 1,000+ = 1,000-9,999)"),
    y="songs:Q", tooltip=["views", "songs"],
).properties(title=titled("songs per views bucket (all tags)")), width="stretch")

# --------------------------------------------------------------------------- lengths

st.subheader(titled("lyrics lengths per tag (cleaned English songs)"))
lengths = pd.DataFrame([{
    "tag": t, "songs": stats["lengths"][t]["words"]["count"],
    "mean words": stats["lengths"][t]["words"]["mean"], "median words (≈)": stats["lengths"][t]["words"]["median"],
    "min words": stats["lengths"][t]["words"]["min"], "max words": stats["lengths"][t]["words"]["max"],
    "mean lines": stats["lengths"][t]["lines"]["mean"], "median lines (≈)": stats["lengths"][t]["lines"]["median"],
} for t in TAGS])
st.altair_chart(alt.Chart(lengths.dropna(subset=["mean words"])).mark_bar().encode(
    x=alt.X("tag:N", sort=list(TAGS)), y=alt.Y("mean words:Q"),
    tooltip=["tag", "songs", alt.Tooltip("mean words:Q", format=".0f"), "median words (≈):Q", "max words:Q"],
).properties(title=titled("mean words per song")), width="stretch")
st.dataframe(lengths, hide_index=True)
caption(stats["notes"])
