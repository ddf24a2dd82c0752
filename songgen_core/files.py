"""Writing files so that nothing is ever half-written.

A file goes to a temporary name beside its target and is renamed over it; a
folder is built beside its target and swapped in whole. On any failure the
target is left as it was.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from .audio import atomic_write_bytes


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
