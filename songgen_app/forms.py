"""The Generate form: its defaults and the check of what was typed, a message per bad field."""

from __future__ import annotations

import dataclasses

from songgen_core.errors import InvalidRequestError
from songgen_core.lyrics import LyricsRequest


def lyrics_defaults() -> dict:
    """The library's defaults for the sampling controls (max_words, temperature, top_k, top_p, ...)."""
    return {f.name: f.default for f in dataclasses.fields(LyricsRequest) if f.default is not dataclasses.MISSING}


# Valid stand-ins, so that one bad field does not hide the others' messages.
_STAND_INS = {"genre": "rock", "title": "x", "artist": "", "opening_line": "x"}


def check_lyrics_form(values: dict) -> tuple[LyricsRequest | None, dict[str, str]]:
    """Build a `LyricsRequest` from form values, or collect a message per bad field.

    Returns `(request, {})`, or `(None, {field: message})` with every field that
    is wrong (the request names one field at a time; each bad one is replaced by
    a valid stand-in and the request tried again). Numbers from form widgets are
    passed on as they are: the request checks them.
    """
    values = dict(values)
    defaults = lyrics_defaults()
    errors: dict[str, str] = {}
    for _ in range(len(values) + 1):
        try:
            request = LyricsRequest(**values)
        except InvalidRequestError as error:
            if error.field in errors or error.field not in values:
                errors.setdefault(error.field, error.message)
                break
            errors[error.field] = error.message
            values[error.field] = _STAND_INS.get(error.field, defaults.get(error.field))
            continue
        return (None, errors) if errors else (request, {})
    return None, errors
