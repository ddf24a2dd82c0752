"""Text on the pages, shown as exactly what it is.

Text a person typed or a model wrote is never handed to Markdown as is: it goes through
`st.text` / `st.code`, or through `markdown_literal` where a Markdown element (headings,
captions, alerts) shows it. No `unsafe_allow_html` anywhere.
"""

from __future__ import annotations

import streamlit as st

# Every ASCII punctuation character may be backslash-escaped in CommonMark. Escaping the
# colon is enough to keep Streamlit's own syntax (":red[...]", ":material/x:", emoji
# shortcodes) from forming: it is parsed from the Markdown source, where an escaped colon
# is no longer one (checked in a browser with Streamlit 1.67), so no invisible character
# is needed, and text copied from the page is the text itself. A newline becomes a hard
# line break. Character by character, so it can be applied to streamed pieces one at a time.
_MARKDOWN_LITERAL = str.maketrans(
    {**{c: "\\" + c for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"}, "\n": "  \n", "\t": " "}
)


def markdown_literal(text: str) -> str:
    """`text` as Markdown that displays as exactly that text: no HTML, links,
    emphasis, headings, math or Streamlit directives; line breaks kept."""
    return str(text).translate(_MARKDOWN_LITERAL)


def isolate(text: str) -> str:
    """User text set apart from the text around it (Unicode first-strong isolate ... pop
    directional isolate), so a right-to-left name does not reorder a caption around it."""
    return f"\u2068{text}\u2069"


def heading(text: str, level: str = "subheader") -> None:
    getattr(st, level)(markdown_literal(text))


def caption(text: str) -> None:
    st.caption(markdown_literal(text))


def error_box(text: str) -> None:
    st.error(markdown_literal(text))


def warning_box(text: str) -> None:
    st.warning(markdown_literal(text))


def success_box(text: str) -> None:
    st.success(markdown_literal(text))


def field_error(errors: dict, *fields: str) -> None:
    """The message for a form field, shown right under it."""
    for name in fields:
        if name in errors:
            error_box(errors[name])
