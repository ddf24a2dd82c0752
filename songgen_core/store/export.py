"""Rows of the store as a download: CSV with a header, or a JSON list of objects."""

from __future__ import annotations

import csv
import io
import json

from ..errors import InvalidRequestError

FORMATS = ("csv", "json")


def rows_as_text(rows: list[dict], columns: tuple[str, ...], fmt: str) -> str:
    """`rows` as CSV (columns in this order, with a header) or as JSON. Raises
    `InvalidRequestError` for another `fmt`."""
    if fmt not in FORMATS:
        raise InvalidRequestError("fmt", "must be 'csv' or 'json'")
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
