"""Writing files so that nothing is ever half-written: the one place that does it.

A file goes to a temporary name beside its target and is renamed over it
(`atomic_write_bytes`, `write_json`); a folder is built beside its target and put in
place whole (`building_folder`). On any failure the target is left as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import tomllib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import ConfigError

# The process's umask, read once (os.umask can only be read by setting it): a file written
# through a temporary file gets the mode a plain open() would have given it.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` atomically and return the path.

    The bytes go to a temporary file in the same folder (same file system, so
    `os.replace` is atomic), are flushed to disk, and then replace `path`. On any
    failure the temporary file is removed and `path` is left as it was. Raises
    `OSError` when the folder does not exist or is not writable.
    """
    path = Path(path)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o666 & ~_UMASK)
        os.replace(tmp_name, path)
    except BaseException:
        # BaseException: an interrupt mid-write must not leave a stray temp file either.
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    return path




def write_json(path: str | os.PathLike, data) -> Path:
    """Write `data` as indented UTF-8 JSON, atomically (non-JSON values as `str`). Raises `OSError`."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    return atomic_write_bytes(path, text.encode("utf-8"))


def replace_folder(work: Path, target: Path) -> None:
    """Put the finished folder `work` at `target`, replacing what was there.

    The old folder is renamed aside first and deleted only once `work` is in
    place; if the swap fails, the old folder is put back.
    """
    if not target.exists():
        os.replace(work, target)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    os.replace(target, old)
    try:
        os.replace(work, target)
    except BaseException:
        os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def building_folder(target: str | os.PathLike, *, keep_existing: bool = False,
                    work: str | os.PathLike | None = None) -> Iterator[Path]:
    """Build a folder aside and put it at `target` when the block ends without an error.

        with building_folder(out) as work:
            (work / "a.txt").write_text("...")      # `out` appears whole, or not at all

    The work folder is a fresh hidden folder beside `target` (same file system, so the
    final rename is atomic), or `work` when given (a name other processes must know, such
    as a Trainer's output_dir; it is emptied first). At the end it replaces `target`
    (`replace_folder`); with `keep_existing` a `target` that exists by then (another
    process built it meanwhile) is kept and the new folder dropped. On an error, the work
    folder is removed, `target` is as it was, and the error is raised. Raises `OSError`
    when the folders cannot be made.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if work is None:
        folder = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    else:
        folder = Path(work)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    try:
        yield folder
        if keep_existing and target.exists():
            shutil.rmtree(folder, ignore_errors=True)
        else:
            replace_folder(folder, target)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def read_toml(path: str | os.PathLike, what: str) -> dict:
    """The TOML file at `path`, read as a dict. Raises `ConfigError` saying which file (`what`,
    e.g. "model registry") is missing or not valid TOML."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{what} file not found: {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{what} file {path} is not valid TOML: {error}") from None
