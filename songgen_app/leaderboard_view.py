"""The Leaderboard page's pieces: the scores as a table and a chart, the star ratings beside them."""

from __future__ import annotations

import altair as alt
import pandas as pd

from songgen_core.ranking import SystemScore
from songgen_core.store import FeedbackStore

from .rating_charts import aggregate_frame

STARS_BY = {"lyrics": "lyrics_model", "music": "music_backend"}


def leaderboard_frame(scores: list[SystemScore]) -> pd.DataFrame:
    """One row per system: rank, score, its 95% interval, win rate, votes, wins, losses, ties."""
    return pd.DataFrame([{
        "rank": s.rank, "system": s.system, "score": round(s.score),
        "95% interval": "" if s.low is None else f"{s.low:.0f}-{s.high:.0f}",
        "low": s.low, "high": s.high,
        "win rate": None if s.win_rate is None else round(s.win_rate, 3),
        "votes": s.votes, "wins": s.wins, "losses": s.losses, "ties": s.ties, "both bad": s.both_bad,
    } for s in scores])


def leaderboard_chart(frame: pd.DataFrame) -> alt.Chart:
    """Scores as dots with their bootstrap intervals as rules, best at the top; names never cut."""
    base = alt.Chart(frame).encode(y=alt.Y("system:N", sort=alt.SortField("score", order="descending"), title="System",
                                           axis=alt.Axis(labelLimit=0)))
    rules = base.transform_filter("isValid(datum.low)").mark_rule(strokeWidth=2).encode(
        x=alt.X("low:Q", title="Bradley-Terry score (Elo scale, 95% interval)", scale=alt.Scale(zero=False)),
        x2="high:Q")
    points = base.mark_point(filled=True, size=90).encode(
        x=alt.X("score:Q", scale=alt.Scale(zero=False)),
        tooltip=["system", "score:Q", "95% interval:N", "win rate:Q", "votes:Q"])
    return (rules + points).properties(height=max(120, 40 * len(frame)))


def stars_frame(store: FeedbackStore, aspect: str) -> pd.DataFrame | None:
    """The Rate page's mean stars of `aspect` per lyrics model (lyrics) or music backend (music)."""
    rows = store.aggregates(STARS_BY[aspect], aspect)
    if not rows:
        return None
    frame = aggregate_frame(rows, STARS_BY[aspect])
    return frame[["group", "count", "mean", "interval"]].rename(columns={"count": "rated songs", "mean": "mean stars"})
