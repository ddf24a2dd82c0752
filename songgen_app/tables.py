"""Tables whose columns show their text whole."""

from __future__ import annotations

import streamlit as st

CHAR_PX = 7  # a generous average width of a character in st.dataframe's 14 px font (measured in Chromium: 6.3-6.9)
CELL_PADDING_PX = 28
MAX_COLUMN_PX = 640


def text_width(texts) -> int:
    """Pixels that show the longest of `texts` whole in a table column (within `MAX_COLUMN_PX`).
    Streamlit sizes a column from its first rows and header only roughly, and cuts what does not fit."""
    longest = max((len(str(t)) for t in texts), default=0)
    return min(MAX_COLUMN_PX, CHAR_PX * longest + CELL_PADDING_PX)


def whole_text_columns(frame, *columns: str, index: bool = False) -> dict:
    """`column_config` entries that show the named text columns (and the index, with `index`) whole:
    each as wide as its longest value or its header."""
    config = {name: st.column_config.TextColumn(width=text_width([name, *frame[name].astype(str)])) for name in columns}
    if index:
        config["_index"] = st.column_config.TextColumn(width=text_width([frame.index.name or "", *map(str, frame.index)]))
    return config
