"""The Dataset page's statistics: genre balance before and after the English filter, split sizes,
languages, years, views and lyrics lengths, as charts and tables (pages/5_Dataset.py computes them)."""

import altair as alt
import pandas as pd
import streamlit as st

from songgen_app.text import caption
from training.data import DEFAULT_GENRES, TAGS


def show_stats(stats: dict, label: str, is_sample: bool) -> None:
    """Every statistic of `stats` (training.stats), each chart and table titled with `label`."""

    def titled(text: str) -> str:
        return f"{label}: {text}"

    if is_sample:
        st.warning("SAMPLE: these are the statistics of the small bundled sample (made up in the Genius schema), "
                   "not of the full dataset; the full dataset's counts are given above.")
    caption(f"{label}: {stats['dataset']['path']} · {stats['dataset']['rows']:,} rows")
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
    caption(f"{label} cleaning over all tags: {cleaning['rows']:,} rows; dropped {cleaning['dropped_language']:,} "
               f"not English, {cleaning['dropped_empty']:,} empty, {cleaning['dropped_placeholder']:,} placeholder, "
               f"{cleaning['dropped_duplicate']:,} duplicate; kept {cleaning['kept']:,}.")

    # --------------------------------------------------------------------------- split sizes

    st.subheader(titled("train/test split sizes (90/10)"))
    splits = pd.DataFrame([{"tag": t, "train": stats["splits"][t]["train"], "test": stats["splits"][t]["test"],
                            "chosen": t in genres} for t in TAGS])
    splits["test share"] = (splits["test"] / (splits["train"] + splits["test"]).where(lambda n: n > 0)).round(3)
    st.dataframe(splits, hide_index=True)
    chosen_splits = splits[splits["chosen"]]
    caption(f"{label} chosen tags together: {int(chosen_splits['train'].sum()):,} train and "
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
