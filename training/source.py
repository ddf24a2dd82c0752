"""Where a Genius CSV comes from: a local file, a file of a dataset repository on the Hugging Face hub,
or an open binary file (an upload).

    training/sample/genius_sample.csv                       a local path
    hub:sebastiandizon/genius-song-lyrics                   the repository's one CSV file
    hub:sebastiandizon/genius-song-lyrics/song_lyrics 2.csv a named file in it
    resolve_source(uploaded_file)                           a seekable binary file object

The command line reads any path it is given (its user has the shell anyway). The
studio's pages are reached over a network, so what a page names goes through
`studio_source`: a hub dataset, or a local file inside `songgen_core.paths.datasets_dir()` and no other.

A hub file is read as a stream of byte ranges (`huggingface_hub.HfFileSystem`,
fsspec), so neither memory nor disk ever holds the 9 GB file; the reader parses
it block by block as it arrives. With `HF_HUB_OFFLINE=1` a hub source is refused
up front with a `DatasetError` instead of a network error.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from songgen_core import paths

from .errors import DatasetError, DatasetPathError

COLUMNS = ("title", "tag", "artist", "year", "views", "features", "lyrics", "id", "language_cld3", "language_ft", "language")
HUB_PREFIX = "hub:"
UPLOAD_PREFIX = "upload:"
GENIUS_HUB_ID = "sebastiandizon/genius-song-lyrics"
STREAM_BLOCK = 8 << 20  # bytes per HTTP range request


@dataclass(frozen=True)
class DatasetSource:
    """A local CSV (`path`), a hub file (`repo`, `file`) or an open binary file (`stream`, named `text`);
    `filesystem` is the fsspec filesystem for hub files (the hub's by default; tests hand in a local one)."""

    text: str
    path: Path | None = None
    repo: str | None = None
    file: str | None = None
    filesystem: object = field(default=None, compare=False, repr=False)
    stream: object = field(default=None, compare=False, repr=False)
    # The stream's identity, computed once (hashing an upload reads all of it).
    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_hub(self) -> bool:
        return self.repo is not None

    @property
    def name(self) -> str:
        if self.stream is not None:
            return self.text
        return self.path.name if self.path is not None else f"{self.repo}/{self.file}"

    @property
    def label(self) -> str:
        """What a person reads: the resolved local path, `hub:owner/name/file` or `upload:name`."""
        if self.stream is not None:
            return f"{UPLOAD_PREFIX}{self.text}"
        return str(self.path) if self.path is not None else f"{HUB_PREFIX}{self.repo}/{self.file}"

    def open(self):
        """A binary stream of the file from its first byte."""
        if self.stream is not None:
            self.stream.seek(0)
            # Closing what the reader is handed must not close the caller's file: it is read twice
            # (header, then rows), and an upload is read again on the page's next run.
            return io.BufferedReader(_Borrowed(self.stream), STREAM_BLOCK)
        if self.path is not None:
            return open(self.path, "rb")
        return self.filesystem.open(_hub_path(self.repo, self.file), "rb", block_size=STREAM_BLOCK)

    def identity(self) -> dict:
        """What changes when the file changes: path + size + mtime, hub file + size + blob id,
        or an upload's name + size + SHA-256 of its content."""
        if self.stream is not None:
            if "identity" not in self._memo:
                self._memo["identity"] = {"path": self.label, **_digest(self.stream)}
            return dict(self._memo["identity"])
        if self.path is not None:
            st = self.path.stat()
            return {"path": str(self.path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
        info = self.filesystem.info(_hub_path(self.repo, self.file))
        blob = info.get("blob_id") or (info.get("lfs") or {}).get("sha256") or info.get("last_commit") or info.get("mtime")
        return {"path": self.label, "size": int(info["size"]), "blob": str(blob) if blob is not None else None}


class _Borrowed(io.RawIOBase):
    """Reads from a file object it does not own: closing this leaves that one open."""

    def __init__(self, inner):
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _digest(stream) -> dict:
    stream.seek(0)
    sha, size = hashlib.sha256(), 0
    while block := stream.read(STREAM_BLOCK):
        sha.update(block)
        size += len(block)
    stream.seek(0)
    return {"size": size, "sha256": sha.hexdigest()}


def stream_source(stream, name: str | None = None) -> DatasetSource:
    """A `DatasetSource` for an open binary file (an upload: `st.file_uploader`'s file, `io.BytesIO`).

    It must be seekable: the header is checked before the rows are read, and an
    upload is read again on the page's next run. Raises `DatasetError` otherwise."""
    seekable = getattr(stream, "seekable", None)
    if not callable(seekable) or not seekable():
        raise DatasetError("a dataset file object must be seekable (it is read twice: header, then rows)")
    name = Path(str(name or getattr(stream, "name", "") or "upload.csv")).name
    return DatasetSource(name, stream=stream)


def unquote(text: str) -> str:
    """`text` stripped, without one pair of matching quotes around it (a path pasted as "/a/b.csv" or '/a/b.csv')."""
    text = str(text).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def outside_message(root: Path) -> str:
    """The one message for a path outside the datasets folder: it names the folder, never the path,
    so it reads the same whether that path exists, is a folder, or cannot be read."""
    return (f"only CSV files inside the datasets folder {root} can be read here (a path relative to it, or an "
            "absolute path inside it; SONGGEN_DATASETS sets the folder). Upload the CSV instead, or name a hub "
            "dataset (hub:owner/name).")


def studio_source(text: str, folder=None, filesystem=None) -> DatasetSource:
    """A dataset a page names: `hub:owner/name[/file.csv]`, or a local file inside `folder`
    (default `songgen_core.paths.datasets_dir()`), relative to it or absolute. Matching quotes around the text are removed.

    A path that is outside the folder once symlinks and `..` are resolved raises `DatasetPathError`
    with one message that does not depend on whether the path exists; a missing file inside the
    folder raises `DatasetError`."""
    text = unquote(text)
    if text.startswith(HUB_PREFIX):
        return resolve_source(text, filesystem)
    root = Path(folder if folder is not None else paths.datasets_dir()).expanduser().resolve()
    try:
        path = (root / Path(text).expanduser()).resolve()  # an absolute `text` replaces `root` here
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte: not a path inside the folder
        raise DatasetPathError(outside_message(root), root) from None
    if not path.is_relative_to(root):
        raise DatasetPathError(outside_message(root), root)
    if not path.is_file():
        raise DatasetError(f"no dataset file {path.relative_to(root)} in the datasets folder {root}")
    return DatasetSource(text, path=path)


def resolve_source(source, filesystem=None) -> DatasetSource:
    """A `DatasetSource` for a path (any path: see `studio_source` for the pages), `hub:owner/name[/file.csv]`
    or a seekable binary file object.

    Raises `DatasetError` when the local file does not exist, the hub is switched off
    (HF_HUB_OFFLINE), the repository has no CSV or several (name one), or the named file is missing.
    """
    if isinstance(source, DatasetSource):
        return source
    if hasattr(source, "read"):
        return stream_source(source)
    text = unquote(source)
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
    """The CSV's column names, checked against the Genius schema (missing, extra, repeated).

    The error never quotes the file: a page may be asked to read a file that is not a
    dataset at all, so unexpected columns are counted, and only the expected names appear."""
    with source.open() as raw:
        first = raw.readline(1 << 20)
    if not first.strip():
        raise DatasetError(f"{source.name} is empty: expected a header with the columns {', '.join(COLUMNS)}")
    try:
        header = next(csv.reader(io.StringIO(first.decode("utf-8-sig"))))
    except UnicodeDecodeError:
        raise DatasetError(f"{source.name} is not a CSV file: its first line is not UTF-8 text") from None
    except (csv.Error, StopIteration) as e:
        raise DatasetError(f"{source.name} is not a readable CSV file: {e}") from None
    header = [h.strip() for h in header]
    problems = []
    missing = [c for c in COLUMNS if c not in header]
    extra = sum(c not in COLUMNS for c in header)
    repeated = [c for c in COLUMNS if header.count(c) > 1]  # a repeated unknown name is counted in `extra`
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if extra:
        problems.append(f"{extra} unexpected column(s)")
    if repeated:
        problems.append(f"repeated column(s): {', '.join(repeated)}")
    if problems:
        raise DatasetError(f"{source.name} is not in the Genius schema: {'; '.join(problems)} (expected exactly: {', '.join(COLUMNS)})")
    return header
