"""Where a Genius CSV comes from: a local file, or a file of a dataset repository on the Hugging Face hub.

    training/sample/genius_sample.csv                       a local path
    hub:sebastiandizon/genius-song-lyrics                   the repository's one CSV file
    hub:sebastiandizon/genius-song-lyrics/song_lyrics 2.csv a named file in it

A hub file is read as a stream of byte ranges (`huggingface_hub.HfFileSystem`,
fsspec), so neither memory nor disk ever holds the 9 GB file; the reader parses
it block by block as it arrives. With `HF_HUB_OFFLINE=1` a hub source is refused
up front with a `DatasetError` instead of a network error.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DatasetError

COLUMNS = ("title", "tag", "artist", "year", "views", "features", "lyrics", "id", "language_cld3", "language_ft", "language")
HUB_PREFIX = "hub:"
GENIUS_HUB_ID = "sebastiandizon/genius-song-lyrics"
STREAM_BLOCK = 8 << 20  # bytes per HTTP range request


@dataclass(frozen=True)
class DatasetSource:
    """A local CSV (`path`) or a hub file (`repo`, `file`); `filesystem` is the fsspec filesystem
    for hub files (the hub's by default; tests hand in a local one)."""

    text: str
    path: Path | None = None
    repo: str | None = None
    file: str | None = None
    filesystem: object = field(default=None, compare=False, repr=False)

    @property
    def is_hub(self) -> bool:
        return self.repo is not None

    @property
    def name(self) -> str:
        return self.path.name if self.path is not None else f"{self.repo}/{self.file}"

    @property
    def label(self) -> str:
        """What a person reads: the resolved local path, or `hub:owner/name/file`."""
        return str(self.path) if self.path is not None else f"{HUB_PREFIX}{self.repo}/{self.file}"

    def open(self):
        """A binary stream of the file from its first byte."""
        if self.path is not None:
            return open(self.path, "rb")
        return self.filesystem.open(_hub_path(self.repo, self.file), "rb", block_size=STREAM_BLOCK)

    def identity(self) -> dict:
        """What changes when the file changes: path + size + mtime, or hub file + size + blob id."""
        if self.path is not None:
            st = self.path.stat()
            return {"path": str(self.path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
        info = self.filesystem.info(_hub_path(self.repo, self.file))
        blob = info.get("blob_id") or (info.get("lfs") or {}).get("sha256") or info.get("last_commit") or info.get("mtime")
        return {"path": self.label, "size": int(info["size"]), "blob": str(blob) if blob is not None else None}


def resolve_source(source, filesystem=None) -> DatasetSource:
    """A `DatasetSource` for a path or `hub:owner/name[/file.csv]`.

    Raises `DatasetError` when the local file does not exist, the hub is switched off
    (HF_HUB_OFFLINE), the repository has no CSV or several (name one), or the named file is missing.
    """
    if isinstance(source, DatasetSource):
        return source
    text = str(source).strip()
    if not text.startswith(HUB_PREFIX):
        path = Path(text).expanduser().resolve()
        if not path.is_file():
            raise DatasetError(f"no dataset file at {path}")
        return DatasetSource(text, path=path)
    ref = text[len(HUB_PREFIX):].strip().strip("/")
    parts = ref.split("/")
    if len(parts) < 2 or not all(parts[:2]):
        raise DatasetError(f"{text!r} is not a hub dataset: write hub:owner/name or hub:owner/name/file.csv")
    repo, file = "/".join(parts[:2]), "/".join(parts[2:]) or None
    if filesystem is None:
        if os.environ.get("HF_HUB_OFFLINE") == "1":
            raise DatasetError(f"cannot read {text}: the hub is switched off here (HF_HUB_OFFLINE=1); "
                               "download the CSV and give its local path instead")
        from huggingface_hub import HfFileSystem

        filesystem = HfFileSystem()
    try:
        if file is None:
            found = sorted(p for p in filesystem.find(_hub_path(repo, "")) if p.lower().endswith(".csv"))
            prefix = _hub_path(repo, "")
            found = [p[len(prefix):] if p.startswith(prefix) else p for p in found]
            if len(found) != 1:
                listed = ", ".join(found) if found else "none"
                raise DatasetError(f"hub dataset {repo} has {len(found)} CSV files ({listed}); name one: hub:{repo}/FILE.csv")
            file = found[0]
        if not filesystem.isfile(_hub_path(repo, file)):
            raise DatasetError(f"hub dataset {repo} has no file {file!r}")
    except DatasetError:
        raise
    except Exception as e:  # the hub's errors: network, authentication, missing repository
        raise DatasetError(f"cannot read hub dataset {repo}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    return DatasetSource(text, repo=repo, file=file, filesystem=filesystem)


def _hub_path(repo: str, file: str) -> str:
    return f"datasets/{repo}/{file}"


def read_header(source: DatasetSource) -> list[str]:
    """The CSV's column names, checked against the Genius schema (missing, extra, repeated)."""
    with source.open() as raw:
        first = raw.readline(1 << 20)
    if not first.strip():
        raise DatasetError(f"{source.name} is empty: expected a header with the columns {', '.join(COLUMNS)}")
    try:
        header = next(csv.reader(io.StringIO(first.decode("utf-8-sig"))))
    except (csv.Error, UnicodeDecodeError, StopIteration) as e:
        raise DatasetError(f"{source.name} is not a readable CSV file: {e}") from None
    header = [h.strip() for h in header]
    problems = []
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected column(s): {', '.join(extra)}")
    if repeated:
        problems.append(f"repeated column(s): {', '.join(repeated)}")
    if problems:
        raise DatasetError(f"{source.name} is not in the Genius schema: {'; '.join(problems)} (expected exactly: {', '.join(COLUMNS)})")
    return header
