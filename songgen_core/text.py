"""Checks on free text that people type or models write."""

from __future__ import annotations

import re

from .errors import InvalidRequestError

# C0 and C1 control characters except tab and newline; DEL too.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_NO_NEWLINE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def check_text(field: str, value, *, max_chars: int, allow_newlines: bool = False, required: bool = True) -> str:
    """Return `value` stripped, or raise `InvalidRequestError` naming `field`.

    Raises when the value is not a string, is empty (if `required`), is longer
    than `max_chars`, or holds control characters (newlines only if allowed).
    Carriage returns are normalised to newlines first.
    """
    if not isinstance(value, str):
        raise InvalidRequestError(field, "must be text")
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if required and not value:
        raise InvalidRequestError(field, "must not be empty")
    if len(value) > max_chars:
        raise InvalidRequestError(field, f"is {len(value)} characters long; at most {max_chars} are allowed")
    pattern = _CONTROL if allow_newlines else _CONTROL_NO_NEWLINE
    bad = pattern.search(value)
    if bad:
        what = "line breaks" if bad.group() == "\n" else f"control characters (such as {bad.group()!r})"
        raise InvalidRequestError(field, f"must not contain {what}")
    return value
