"""The Training page's pieces: the loss chart of the chosen runs, a run's result in words, and
table cells."""

import altair as alt
import pandas as pd

from .tables import MAX_COLUMN_PX


def cell(value):
    """One table cell as text (hyperparameters mix numbers, strings and booleans)."""
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)


def _ppl(value) -> str:
    return "overflow" if value is None else f"{value:.2f}"


def reward(run, name: str):
    """A preference run's final reward metric: on the held-out preferences, else the last logged on training."""
    final = run.preference.get("final", {})
    return final.get(f"eval_{name}") if final.get(f"eval_{name}") is not None else final.get(name)


def run_result(run) -> str:
    """The perplexity of a fine-tuning run; a DPO/KTO run's reward accuracy and margin (it has no perplexity)."""
    if not run.is_preference:
        return _ppl(run.perplexity)
    accuracy, margin = reward(run, "reward_accuracy"), reward(run, "reward_margin")
    parts = ([f"accuracy {accuracy:.0%}"] if accuracy is not None else []) + ([f"margin {margin:.3f}"] if margin is not None else [])
    return ", ".join(parts) or "no rewards logged"


def loss_chart(frame: pd.DataFrame, genre: str) -> alt.Chart:
    """Train and eval loss against step, a line per run (colour) and split (solid train, dashed eval)."""
    # The split's legend draws line pieces (solid train, dashed eval): with the points on the lines its
    # symbols were dots, the same for both. Vega-Lite colours a line-with-points legend by fill, so the
    # stroke symbols draw nothing without a fill colour (checked in Chromium). Run names get the room
    # they need (Vega cuts legend labels at 160 px).
    return alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("step:Q", title="step"),
        y=alt.Y("loss:Q", title="loss", scale=alt.Scale(zero=False)),
        color=alt.Color("run:N", title="run", legend=alt.Legend(labelLimit=MAX_COLUMN_PX)),
        strokeDash=alt.StrokeDash("split:N", title="split", sort=["train", "eval"],
                                  legend=alt.Legend(symbolType="stroke", symbolStrokeWidth=2, symbolSize=400,
                                                    symbolStrokeColor="gray", symbolFillColor="gray")),
        tooltip=["run", "split", "step", alt.Tooltip("loss:Q", format=".4f")],
    ).properties(title=f"{genre}: train and eval loss against step")
