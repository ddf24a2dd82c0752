"""The Rate page's aggregates: means with their confidence intervals, as a table and a chart."""

from __future__ import annotations

import altair as alt
import pandas as pd

from songgen_core.lyric_metrics import SCORES, metric_scores
from songgen_core.store import MIN_INTERVAL_COUNT, SCORE_RANGE, correlation


def aggregate_frame(rows: list[dict], by: str) -> pd.DataFrame:
    """`FeedbackStore.aggregates` rows as a table: `group`, the interval clipped to the
    1-5 scale (`low`, `high`, None with fewer than MIN_INTERVAL_COUNT rated songs), and
    `interval` in words ("too few" then)."""
    frame = pd.DataFrame(rows).rename(columns={by: "group"})
    frame["group"] = frame["group"].fillna("(none)").astype(str)
    enough = (frame["count"] >= MIN_INTERVAL_COUNT) & frame["ci_low"].notna()
    low, high = SCORE_RANGE
    frame["low"] = frame["ci_low"].clip(low, high).where(enough)
    frame["high"] = frame["ci_high"].clip(low, high).where(enough)
    frame["interval"] = [f"{lo:.2f}-{hi:.2f}" if ok else f"too few (under {MIN_INTERVAL_COUNT})"
                         for lo, hi, ok in zip(frame["low"], frame["high"], enough)]
    return frame


def aggregate_chart(frame: pd.DataFrame, title: str, group_title: str, score_title: str) -> alt.Chart:
    """Means as dots with their clipped intervals as rules, on a fixed 1-5 axis with whole
    ticks, the count beside each group; group labels are never cut."""
    low, high = SCORE_RANGE
    axis = alt.Axis(values=list(range(low, high + 1)), format="d")
    base = alt.Chart(frame).encode(y=alt.Y("group:N", title=group_title, sort="-x", axis=alt.Axis(labelLimit=0)))
    scale = alt.Scale(domain=[low, high], clamp=True)
    rules = base.transform_filter("isValid(datum.low)").mark_rule(strokeWidth=2).encode(
        x=alt.X("low:Q", title=score_title, scale=scale, axis=axis), x2="high:Q")
    points = base.mark_point(filled=True, size=80).encode(
        x=alt.X("mean:Q", scale=scale, axis=axis),
        tooltip=["group", alt.Tooltip("mean:Q", format=".2f"), "count:Q", "interval:N"])
    counts = base.mark_text(align="left", dx=8, dy=-10).encode(
        x=alt.X("mean:Q", scale=scale), text=alt.Text("count:Q", format="d"))
    return (rules + points + counts).properties(title=alt.TitleParams(title, anchor="start"))


def metric_correlations(songs: list[dict], metrics_of) -> pd.DataFrame:
    """Per lyric metric, Pearson's r with the songs' current lyrics ratings (None under
    MIN_CORRELATION_COUNT rated songs), the songs counted, and the metric's mean over them.
    `metrics_of(song)` gives a song's metrics."""
    rated = [(metric_scores(metrics_of(song)), song["lyrics_rating"]) for song in songs
             if song.get("lyrics_rating") is not None]
    rated = [(scores, rating) for scores, rating in rated if scores]
    rows = []
    for name in SCORES:
        values = [scores[name] for scores, _ in rated]
        r = correlation(values, [float(rating) for _, rating in rated])
        rows.append({"metric": name, "r with lyrics ★": None if r is None else round(r, 2), "rated songs": len(values),
                     "mean": round(sum(values) / len(values), 2) if values else None})
    return pd.DataFrame(rows)
